package server

import (
	"cmp"
	"container/list"
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/render"
	"phusong/data/store"
	"phusong/server/app"
)

// view is one State with its lookups and its response cache. It is immutable once built,
// except for the cache (see responseCache).
type view struct {
	app      *app.App // for what lives beside the state: the stored measurements
	st       *app.State
	def      *coverage.Definition // st.Definition, or its engine's
	version  uint64
	verHdr   []string // version as the X-Data-Version header
	carriers []carrierInfo
	carrier  map[string]int  // carrier id → index in carriers
	covered  map[string]bool // carrier ids the coverage result has
	commune  map[string]int  // commune code → index in st.Communes
	bounds   []orb.Bound     // per commune, for point lookups
	bound    orb.Bound       // all communes
	cache    *responseCache  // answers, and the feature sets of the OGC API and tiles (handle_ogc.go)

	densityOnce sync.Once // the population density image, made on first use
	densityImg  *render.DensityImage
	densityErr  error
}

// newView indexes st, with a response cache of cacheBytes (its evictions counted in m).
// Carriers that have sites but are missing from st.Carriers are listed after them with their
// id as name.
func newView(a *app.App, st *app.State, cacheBytes int64, m *metrics) *view {
	v := &view{
		app:     a,
		st:      st,
		def:     cmp.Or(st.Definition, st.Coverage.Engine().Definition()),
		version: st.Snapshot.Version(),
		carrier: map[string]int{},
		covered: map[string]bool{},
		commune: make(map[string]int, len(st.Communes)),
		bounds:  make([]orb.Bound, len(st.Communes)),
		cache:   newResponseCache(cacheBytes, m),
	}
	v.verHdr = []string{strconv.FormatUint(v.version, 10)}
	add := func(c data.Carrier) {
		if _, dup := v.carrier[c.ID]; dup {
			return
		}
		v.carrier[c.ID] = len(v.carriers)
		v.carriers = append(v.carriers, carrierInfo{ID: c.ID, Name: c.Name, MNC: c.MNC, Colour: c.Colour, SitesByTech: map[data.Tech]int{}})
	}
	for _, c := range st.Carriers {
		add(c)
	}
	for _, s := range st.Snapshot.Sites(store.Filter{}) {
		if _, ok := v.carrier[s.Carrier]; !ok {
			add(data.Carrier{ID: s.Carrier, Name: s.Carrier, Colour: app.UnlistedColour})
		}
		ci := &v.carriers[v.carrier[s.Carrier]]
		ci.Sites++
		for _, t := range s.Techs() {
			ci.SitesByTech[t]++
		}
	}
	for _, id := range st.Coverage.Carriers() {
		v.covered[id] = true
	}
	for i, c := range st.Communes {
		v.commune[c.Code] = i
		v.bounds[i] = c.Geometry.Bound()
		if i == 0 {
			v.bound = v.bounds[i]
		} else {
			v.bound = v.bound.Union(v.bounds[i])
		}
	}
	return v
}

// communeAt returns the commune containing p (boundary points count as inside), or nil.
func (v *view) communeAt(p orb.Point) *data.Commune {
	for i := range v.st.Communes {
		if v.bounds[i].Contains(p) && planar.MultiPolygonContains(v.st.Communes[i].Geometry, p) {
			return &v.st.Communes[i]
		}
	}
	return nil
}

// builder makes one cached answer from the view it is asked of: the same builder serves every
// data version, so that a new version's cache can be filled with the answers asked of the old
// one (warmFrom).
type builder func(v *view) (*body, error)

// cached returns the answer stored under key in v's cache, building it with build on first use
// (concurrent first requests wait for the same build; builds of different keys wait for one of
// f's slots). Keys are made of validated, canonical parameters (equivalent URLs share a key).
// Failed builds are not kept.
func (v *view) cached(f *fills, key string, build builder) (*body, error) {
	e, hit := v.cache.entry(key, build)
	if hit {
		f.m.cacheHits.Add(1)
	}
	e.used.Store(time.Now().UnixNano())
	e.once.Do(func() {
		f.m.cacheMisses.Add(1)
		b, err := f.build(v, build, nil)
		v.cache.done(e, b, err)
	})
	return e.b, e.err
}

// fills bounds the answers being built at once, over every view: each build holds its layer,
// its encoded bytes and their gzip form until it is cached, so N clients asking N different
// uncached answers would otherwise hold N of them (a cache-filling client asks 8 at a time);
// with the CPU it takes, a build waiting for a slot loses no time it would have had.
type fills struct {
	m     *metrics
	slots chan struct{}
}

// newFills returns builds bounded to n at once (at least 1).
func newFills(m *metrics, n int) *fills {
	return &fills{m: m, slots: make(chan struct{}, max(n, 1))}
}

// build runs build for v in a slot and compresses its body, reusing prev when the answer is
// the same (body.compress).
func (f *fills) build(v *view, build builder, prev *body) (*body, error) {
	f.slots <- struct{}{}
	defer func() { <-f.slots }()
	b, err := build(v)
	if err != nil {
		return nil, err
	}
	nb := b.compress(prev)
	if nb == prev {
		f.m.cacheReused.Add(1)
	}
	return nb, nil
}

// warmKey is one cached answer to compute ahead of the first request.
type warmKey struct {
	key   string
	build builder
	used  int64 // the last request for it, Unix nanoseconds (0: none yet)
}

// warmWindow: a new data version's cache is filled with the answers of the old one asked for
// in the last warmWindow (warmFrom).
const warmWindow = time.Minute

// warmFrom fills v's cache, before v is served, with the answers the map loads first and those
// asked of old in the last warmWindow, most recent first, until ctx is done or the cache is
// full: readers keep being served old's answers meanwhile, then find v's ready. An answer
// that comes out the same as old's is old's body (body.compress): no gzip again, same ETag.
func (v *view) warmFrom(ctx context.Context, old *view, f *fills) {
	since := time.Now().Add(-warmWindow).UnixNano()
	keys := v.warmKeys()
	if old != nil {
		keys = append(old.cache.recent(since), keys...)
	}
	for _, k := range keys {
		if ctx.Err() != nil || v.cache.full() {
			return
		}
		e, hit := v.cache.entry(k.key, k.build)
		if hit {
			continue
		}
		e.used.Store(k.used) // its last request counts on, so that it stays warm for warmWindow
		e.once.Do(func() {
			f.m.cacheWarmed.Add(1)
			var prev *body
			if old != nil {
				prev = old.cache.kept(k.key)
			}
			if prev != nil && v.sameLayer(old, k.key) {
				f.m.cacheReused.Add(1)
				v.cache.done(e, prev, nil)
				return
			}
			b, err := f.build(v, k.build, prev)
			v.cache.done(e, b, err)
		})
	}
}

// sameLayer reports whether the coverage answer under key (a coverageKey) is the same in v as
// in old without building it: v's coverage was updated from old's (the next version, by the
// same engine, with the same note and carriers) and the update recomputed no cell of the
// key's carrier and technology (coverage.Result.Changed; for "any", of any carrier), or v has
// old's coverage. An upload of one carrier's sites leaves the other carriers' layers as they
// were.
func (v *view) sameLayer(old *view, key string) bool {
	carrier, tech, ok := coverageKeyLayer(key)
	if !ok {
		return false
	}
	nr, or := v.st.Coverage, old.st.Coverage
	if nr == or { // a fibre upload: the coverage is the same
		return v.st.Note == old.st.Note && slices.Equal(v.st.Carriers, old.st.Carriers)
	}
	if nr.Engine() != or.Engine() || nr.Version() != or.Version()+1 || v.st.Note != old.st.Note ||
		!slices.Equal(v.st.Carriers, old.st.Carriers) {
		return false
	}
	rects, all := nr.Changed(carrier, tech)
	return !all && len(rects) == 0
}

// responseCache is one view's cache of answers and of feature sets (the collections of the
// OGC API and the vector tiles), bounded by their bytes together (an answer's body, raw and
// gzip; a set's estimate, setBytes): past maxBytes the least recently used are dropped, and
// built again when next asked for. It is safe for concurrent use.
type responseCache struct {
	maxBytes int64
	m        *metrics // counts the evictions

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     list.List // of *cacheEntry, built and kept; most recently used first
	bytes   int64     // of the entries in lru
}

// cacheEntry computes one answer (build, b) or one feature set (set) once.
type cacheEntry struct {
	key   string
	build builder // nil for a feature set
	once  sync.Once
	b     *body
	set   *app.FeatureSet
	err   error
	size  int64
	elem  *list.Element // in lru; nil while building, or when not kept
	used  atomic.Int64  // last request, Unix nanoseconds (0: warmed, never asked)
}

func newResponseCache(maxBytes int64, m *metrics) *responseCache {
	return &responseCache{maxBytes: maxBytes, m: m, entries: map[string]*cacheEntry{}}
}

// entry returns key's entry, new (with build) when there is none; hit says whether there was.
func (c *responseCache) entry(key string, build builder) (e *cacheEntry, hit bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.entries[key]; e != nil {
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		}
		return e, true
	}
	e = &cacheEntry{key: key, build: build}
	c.entries[key] = e
	return e, false
}

// done records e's build of an answer: a failure is forgotten (the next request tries
// again); a body is kept when it fits, evicting the least recently used others past maxBytes.
func (c *responseCache) done(e *cacheEntry, b *body, err error) {
	e.b, e.err = b, err
	var size int64
	if err == nil {
		size = b.size()
	}
	c.keep(e, size)
}

// doneSet records e's build of a feature set as done does an answer's.
func (c *responseCache) doneSet(e *cacheEntry, fs *app.FeatureSet, err error) {
	e.set, e.err = fs, err
	var size int64
	if err == nil {
		size = setBytes(fs)
	}
	c.keep(e, size)
}

// keep keeps e, built (size bytes), unless its build failed or it is over maxBytes.
func (c *responseCache) keep(e *cacheEntry, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.err != nil || size > c.maxBytes {
		if c.entries[e.key] == e {
			delete(c.entries, e.key)
		}
		return
	}
	e.size = size
	e.elem = c.lru.PushFront(e)
	c.bytes += e.size
	for c.bytes > c.maxBytes {
		old := c.lru.Back().Value.(*cacheEntry)
		c.lru.Remove(old.elem)
		old.elem = nil
		delete(c.entries, old.key)
		c.bytes -= old.size
		c.m.cacheEvictions.Add(1)
	}
}

// kept returns the body kept under key, or nil (none, or still being built).
func (c *responseCache) kept(key string) *body {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil && e.elem != nil {
		return e.b
	}
	return nil
}

// recent lists the kept answers (not feature sets) asked for since (Unix nanoseconds), most
// recently used first.
func (c *responseCache) recent(since int64) []warmKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []warmKey
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*cacheEntry); e.build != nil && e.used.Load() >= since {
			out = append(out, warmKey{e.key, e.build, e.used.Load()})
		}
	}
	return out
}

// full reports whether the kept answers take maxBytes.
func (c *responseCache) full() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes >= c.maxBytes
}

// setBytes estimates the memory fs holds: 16 bytes a coordinate pair, and per feature its
// headers, bound, id entry and properties (featureBytes, propertyBytes each). Features shared
// with another set (a collection kept at several zooms shares its properties) are counted in
// each: the estimate errs high.
func setBytes(fs *app.FeatureSet) int64 {
	n := int64(featureBytes) * int64(len(fs.Features))
	for _, f := range fs.Features {
		n += int64(propertyBytes * len(f.Properties))
		if f.Geometry != nil {
			n += 16 * int64(pointsOf(f.Geometry))
		}
	}
	return n
}

// featureBytes and propertyBytes: the memory of a geojson.Feature with its bound and id in a
// FeatureSet, and of one property (map entry, key, boxed value), roughly.
const (
	featureBytes  = 256
	propertyBytes = 64
)

// pointsOf counts g's coordinate pairs.
func pointsOf(g orb.Geometry) int {
	n := 0
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.Bound:
		return 2
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.Ring:
		return len(g)
	case orb.MultiLineString:
		for _, l := range g {
			n += len(l)
		}
	case orb.Polygon:
		for _, r := range g {
			n += len(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			n += pointsOf(p)
		}
	case orb.Collection:
		for _, c := range g {
			n += pointsOf(c)
		}
	}
	return n
}

// stats returns the number of kept answers and their bytes.
func (c *responseCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}

// warmKeys lists what the map loads first: any-carrier coverage of each analysed tech at the
// zooms of a phone and a desktop showing the whole province, 4G first (the map's default: its
// first request waits for no 3G answer built ahead of it), communes and all sites. The map's
// default layer at the default zoom comes before the communes and the sites: Warm builds
// GOMAXPROCS answers at once, and on a start on stored results (a country's) that layer is a
// database read while the communes and the sites take seconds to encode — behind them, the
// first map request waited 2.1 s for a slot (national, 2 cores).
func (v *view) warmKeys() []warmKey {
	var ks []warmKey
	for _, t := range slices.Backward(data.AnalysedTechs) {
		for z := defaultZoom; z <= defaultZoom+1; z++ {
			ks = append(ks, warmKey{coverageKey(anyCarrier, t, 0, z), coverageBuild(anyCarrier, t, 0, z), 0})
		}
	}
	rest := []warmKey{{communesKey, (*view).communesBuild, 0}, {sitesKey(store.Filter{}), sitesBuild(store.Filter{}), 0}}
	return slices.Insert(ks, 1, rest...)
}

// mark labels every feature of fc as built on synthetic stations when the state is the demo
// (render.MarkSynthetic), and returns fc.
func (v *view) mark(fc *geojson.FeatureCollection) *geojson.FeatureCollection {
	if v.st.Note != "" {
		render.MarkSynthetic(fc, v.st.Note)
	}
	return fc
}
