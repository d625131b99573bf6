package server

import (
	"cmp"
	"sync"
	"sync/atomic"

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
// except for the cache, which only grows (bounded by the validated parameter space).
type view struct {
	st       *app.State
	def      *coverage.Definition // st.Definition, or its engine's
	version  uint64
	carriers []carrierInfo
	carrier  map[string]int  // carrier id → index in carriers
	covered  map[string]bool // carrier ids the coverage result has
	commune  map[string]int  // commune code → index in st.Communes
	bounds   []orb.Bound     // per commune, for point lookups
	bound    orb.Bound       // all communes
	cache    sync.Map        // key → *cacheEntry
	sets     sync.Map        // collection id|zoom → *setEntry (handle_ogc.go)
	entries  atomic.Int64

	densityOnce sync.Once // the population density image, made on first use
	densityImg  *render.DensityImage
	densityErr  error
}

// newView indexes st. Carriers that have sites but are missing from st.Carriers are listed
// after them with their id as name.
func newView(st *app.State) *view {
	v := &view{
		st:      st,
		def:     cmp.Or(st.Definition, st.Coverage.Engine().Definition()),
		version: st.Snapshot.Version(),
		carrier: map[string]int{},
		covered: map[string]bool{},
		commune: make(map[string]int, len(st.Communes)),
		bounds:  make([]orb.Bound, len(st.Communes)),
	}
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

// cacheEntry computes one answer once; concurrent first requests wait for the same build.
type cacheEntry struct {
	once sync.Once
	b    *body
	err  error
}

// cached returns the answer stored under key, building it on first use. Keys are made only
// of validated, bounded parameters, so the cache of one data version is bounded. Failed
// builds are not kept.
func (v *view) cached(m *metrics, key string, build func() (*body, error)) (*body, error) {
	e, ok := v.cache.Load(key)
	if !ok {
		e, ok = v.cache.LoadOrStore(key, &cacheEntry{})
	}
	ce := e.(*cacheEntry)
	if ok {
		m.cacheHits.Add(1)
	}
	ce.once.Do(func() {
		m.cacheMisses.Add(1)
		ce.b, ce.err = build()
		if ce.err != nil {
			v.cache.CompareAndDelete(key, ce)
		} else {
			v.entries.Add(1)
		}
	})
	return ce.b, ce.err
}

// warmKey is one cached answer to compute ahead of the first request.
type warmKey struct {
	key   string
	build func() (*body, error)
}

// warmKeys lists what the map loads first: communes, all sites, and any-carrier coverage of
// each analysed tech at the zooms of a phone and a desktop showing the whole province.
func (v *view) warmKeys() []warmKey {
	ks := []warmKey{{communesKey, v.communesBuild}, {sitesKey(store.Filter{}), v.sitesBuild(store.Filter{})}}
	for _, t := range data.AnalysedTechs {
		for z := defaultZoom; z <= defaultZoom+1; z++ {
			ks = append(ks, warmKey{coverageKey(anyCarrier, t, 0, z), v.coverageBuild(anyCarrier, t, 0, z)})
		}
	}
	return ks
}

// mark labels every feature of fc as built on synthetic stations when the state is the demo
// (render.MarkSynthetic), and returns fc.
func (v *view) mark(fc *geojson.FeatureCollection) *geojson.FeatureCollection {
	if v.st.Note != "" {
		render.MarkSynthetic(fc, v.st.Note)
	}
	return fc
}
