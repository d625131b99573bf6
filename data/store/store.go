// Package store is phusong's in-memory spatial index of base stations: per-carrier R-trees
// keyed by each site's reach, versioned copy-on-write snapshots, and the two-phase queries
// (box search, then the exact geodesic test) the coverage engine and the API use. Writes are
// validated with data.CheckSite; distances are geodesic metres (WGS84).
package store

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/btree"
	"github.com/tidwall/rtree"

	"phusong/data"
	"phusong/geo"
)

// Errors of the Store's writes. A rejected write returns a *SiteError wrapping one of them.
var (
	ErrSiteNotFound  = errors.New("data: site not found")
	ErrDuplicateSite = errors.New("data: duplicate site")
	ErrInvalidSite   = errors.New("data: invalid site")
)

// SiteError names the site a write rejected: Index is its 0-based position in the write's
// argument (sites or keys), Field the offending field ("carrier", "site_id", "lon", "lat",
// "height_m", "reach"; empty for a duplicate or an unknown key). Err wraps ErrInvalidSite,
// ErrDuplicateSite or ErrSiteNotFound.
type SiteError struct {
	Index int
	Key   data.SiteKey
	Field string
	Err   error
}

// Error renders e as "data: site #1 vt/TV-017 lat: invalid site: NaN is outside -90..90°".
func (e *SiteError) Error() string {
	s := fmt.Sprintf("data: site #%d %s/%s", e.Index, e.Key.Carrier, e.Key.SiteID)
	if e.Field != "" {
		s += " " + e.Field
	}
	return s + ": " + strings.TrimPrefix(e.Err.Error(), "data: ")
}

// Unwrap returns the wrapped sentinel (with its detail).
func (e *SiteError) Unwrap() error { return e.Err }

// ReachFunc returns how far in metres a site's strongest sector can still deliver a usable
// signal (its maximum reach); the coverage package supplies it from the propagation model.
// The store keys each site in the R-tree by the lon/lat bounding box of a circle of that radius
// around it, so "which sites can reach this cell" is one search. It must return a finite value
// ≥ 0 (0: the site reaches nothing beyond its own position) and be safe for concurrent use:
// writes call it before taking the store's lock.
type ReachFunc func(s *data.Site) (reachM float64)

// Filter selects sites by carrier (exact id), technology (any sector carrying it) and status.
// The zero value of each field matches every site.
type Filter struct {
	Carrier string
	Tech    data.Tech
	Status  data.Status
}

func (f Filter) match(s *data.Site) bool {
	return (f.Carrier == "" || s.Carrier == f.Carrier) &&
		(f.Status == "" || s.Status == f.Status) &&
		(f.Tech == "" || s.HasTech(f.Tech))
}

// Change lists what a write did. Affected holds, in (carrier, site_id) order, before/after
// views of every site the write added (Before nil), removed (After nil) or modified; a site
// written again with identical fields, sectors and reach is not listed and keeps its *Site.
// Version is the store version the write produced.
type Change struct {
	Version                  uint64
	Added, Removed, Modified int
	Affected                 []SiteDelta
}

// SiteDelta is one site before and after a write (nil: absent on that side). The pointers are
// the snapshots' own immutable sites: callers must not mutate them.
type SiteDelta struct {
	Before, After *data.Site
}

// SiteDistance is a site and its geodesic (WGS84) distance in metres from a query point.
type SiteDistance struct {
	Site      *data.Site
	DistanceM float64
}

// entry is one stored site: a private deep copy of the written Site, its reach and reach box.
// Entries are never mutated once inserted, so snapshots share them.
type entry struct {
	site   data.Site
	reachM float64
	box    [2][2]float64 // reach box: min, max (lon, lat degrees)
}

func (e *entry) point() [2]float64 { return [2]float64{e.site.Lon, e.site.Lat} }

// keyed is a B-tree item: the key by value so that lookups need no allocation.
type keyed struct {
	key data.SiteKey
	e   *entry
}

func cmpKey(a, b data.SiteKey) int {
	if c := strings.Compare(a.Carrier, b.Carrier); c != 0 {
		return c
	}
	return strings.Compare(a.SiteID, b.SiteID)
}

func keyedLess(a, b keyed) bool { return cmpKey(a.key, b.key) < 0 }

func cmpEntry(a, b *entry) int { return cmpKey(a.site.Key(), b.site.Key()) }

// index is one state of the store: a copy-on-write B-tree of every site by key, and per carrier
// two R-trees (sorted by carrier). Carrier-filtered queries, the coverage engine's, search
// only that carrier's trees, and ReplaceCarrier can rebuild one carrier's trees alone.
type index struct {
	keys     *btree.BTreeG[keyed] // by (carrier, site_id)
	carriers []carrierTrees
}

// carrierTrees are the R-trees of one carrier's sites.
type carrierTrees struct {
	carrier string
	points  *rtree.RTreeG[*entry] // by position
	boxes   *rtree.RTreeG[*entry] // by reach box
}

// copy returns an O(carriers) copy-on-write clone; later writes to the source copy the nodes
// they touch.
func (x index) copy() index {
	out := index{keys: x.keys.Copy(), carriers: make([]carrierTrees, len(x.carriers))}
	for i, c := range x.carriers {
		out.carriers[i] = carrierTrees{carrier: c.carrier, points: c.points.Copy(), boxes: c.boxes.Copy()}
	}
	return out
}

// trees returns the trees a query with filter f searches.
func (x index) trees(f Filter) []carrierTrees {
	if f.Carrier == "" {
		return x.carriers
	}
	if i, ok := x.find(f.Carrier); ok {
		return x.carriers[i : i+1]
	}
	return nil
}

// carrierEntries returns the entries of carrier in site_id order.
func (x index) carrierEntries(carrier string) []*entry {
	var out []*entry
	x.keys.Ascend(keyed{key: data.SiteKey{Carrier: carrier}}, func(k keyed) bool {
		if k.key.Carrier != carrier {
			return false
		}
		out = append(out, k.e)
		return true
	})
	return out
}

func (x index) find(carrier string) (int, bool) {
	return slices.BinarySearchFunc(x.carriers, carrier, func(c carrierTrees, id string) int { return strings.Compare(c.carrier, id) })
}

// Store is the in-memory spatial store of sites, safe for concurrent use. Writers are
// serialised by one mutex inside the Store's methods and each successful write publishes a new
// immutable Snapshot; readers take a Snapshot without locking and never see a half-applied
// write. Publishing is copy-on-write: the trees are shared with the previous snapshot and a
// write copies only the nodes it touches (O(log n) a site), or rebuilds a carrier's R-trees
// when it changes a large part of that carrier (see rebuildRatio).
type Store struct {
	reach ReachFunc
	mu    sync.Mutex // held by writers only
	live  index      // written under mu; never read by a Snapshot
	cur   atomic.Pointer[Snapshot]
}

// New returns an empty store at version 0. reach gives each site's reach in metres; nil
// means every reach is 0.
func New(reach ReachFunc) *Store {
	s := &Store{reach: reach, live: index{keys: btree.NewBTreeGOptions(keyedLess, btree.Options{NoLocks: true})}}
	s.cur.Store(&Snapshot{idx: s.live.copy()})
	return s
}

// Fork returns a new store holding what s holds now, at the same version and with the same
// ReachFunc. The two share their trees copy-on-write: a write to either never shows in the
// other, and each goes on numbering versions from the shared one (so a coverage result of s's
// current snapshot can be updated incrementally with the fork's next change). Forking costs
// O(carriers), not O(sites).
func (s *Store) Fork() *Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &Store{reach: s.reach, live: s.live.copy()}
	f.cur.Store(&Snapshot{version: s.cur.Load().version, idx: f.live.copy()})
	return f
}

// Snapshot returns the current immutable, consistent view of the store. It never blocks.
func (s *Store) Snapshot() *Snapshot { return s.cur.Load() }

// Version returns the current version: 0 for a new store, +1 on every successful write.
func (s *Store) Version() uint64 { return s.cur.Load().version }

// ReplaceCarrier replaces the whole site list of carrier with sites, atomically: sites of the
// carrier not in the list are removed. Every site's Carrier must equal carrier. A site may not
// appear twice. On error nothing is applied and the error is a *SiteError (or wraps
// ErrInvalidSite for an empty carrier).
func (s *Store) ReplaceCarrier(carrier string, sites []data.Site) (Change, error) {
	if carrier == "" {
		return Change{}, fmt.Errorf("%w: empty carrier", ErrInvalidSite)
	}
	in, err := s.prepare(sites, carrier)
	if err != nil {
		return Change{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.live.carrierEntries(carrier)
	var deltas []delta
	i, j := 0, 0
	for i < len(old) || j < len(in) {
		switch {
		case j == len(in) || (i < len(old) && cmpEntry(old[i], in[j]) < 0):
			deltas = append(deltas, delta{old[i], nil})
			i++
		case i == len(old) || cmpEntry(old[i], in[j]) > 0:
			deltas = append(deltas, delta{nil, in[j]})
			j++
		default:
			deltas = append(deltas, delta{old[i], in[j]})
			i, j = i+1, j+1
		}
	}
	return s.apply(deltas), nil
}

// Upsert adds sites, or replaces the stored site of the same (carrier, site_id); the sites may
// belong to several carriers, but a key may not appear twice. On error nothing is applied and
// the error is a *SiteError.
func (s *Store) Upsert(sites []data.Site) (Change, error) {
	in, err := s.prepare(sites, "")
	if err != nil {
		return Change{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	deltas := make([]delta, len(in))
	for i, e := range in {
		old, _ := s.live.keys.Get(keyed{key: e.site.Key()})
		deltas[i] = delta{old.e, e}
	}
	return s.apply(deltas), nil
}

// Delete removes the sites with the given keys. An unknown or repeated key fails the whole
// call with a *SiteError wrapping ErrSiteNotFound or ErrDuplicateSite; nothing is applied.
func (s *Store) Delete(keys []data.SiteKey) (Change, error) {
	order, dup := keyOrder(len(keys), func(i int) data.SiteKey { return keys[i] })
	s.mu.Lock()
	defer s.mu.Unlock()
	olds := make([]*entry, len(keys))
	for i, k := range keys {
		old, ok := s.live.keys.Get(keyed{key: k})
		if !ok {
			return Change{}, &SiteError{Index: i, Key: k, Err: ErrSiteNotFound}
		}
		olds[i] = old.e
	}
	if dup >= 0 {
		return Change{}, &SiteError{Index: dup, Key: keys[dup], Err: ErrDuplicateSite}
	}
	deltas := make([]delta, len(keys))
	for i, o := range order {
		deltas[i] = delta{olds[o], nil}
	}
	return s.apply(deltas), nil
}

// keyOrder returns the indices 0..n-1 sorted by key(i) (stable), and the smallest index whose
// key repeats an earlier one, or -1.
func keyOrder(n int, key func(i int) data.SiteKey) (order []int, dup int) {
	order = make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpKey(key(a), key(b)) })
	dup = -1
	for i := 1; i < n; i++ {
		if key(order[i-1]) == key(order[i]) && (dup < 0 || order[i] < dup) {
			dup = order[i] // the stable sort puts the first occurrence first
		}
	}
	return order, dup
}

// delta is one planned change: old nil = add, new nil = remove.
type delta struct{ old, new *entry }

// prepare validates sites (all of carrier when carrier is not empty), computes their reach and
// returns private copies sorted by key. It reads no store state.
func (s *Store) prepare(sites []data.Site, carrier string) ([]*entry, error) {
	es := make([]*entry, len(sites))
	for i := range sites {
		// One allocation per entry, not one array per write: a kept entry must not pin the
		// entries of its write that later writes replace.
		e := &entry{site: sites[i]}
		es[i] = e
		e.site.Sectors = slices.Clone(sites[i].Sectors)
		if err := checkSite(&e.site, carrier); err != nil {
			err.Index = i
			return nil, err
		}
		if s.reach != nil {
			e.reachM = s.reach(&e.site)
		}
		if !(e.reachM >= 0 && e.reachM <= math.MaxFloat64) {
			return nil, &SiteError{Index: i, Key: e.site.Key(), Field: "reach",
				Err: fmt.Errorf("%w: reach %v m is not finite and ≥ 0", ErrInvalidSite, e.reachM)}
		}
		e.box[0], e.box[1] = reachBox(e.point(), e.reachM)
	}
	order, dup := keyOrder(len(sites), func(i int) data.SiteKey { return sites[i].Key() })
	if dup >= 0 {
		return nil, &SiteError{Index: dup, Key: sites[dup].Key(), Err: ErrDuplicateSite}
	}
	out := make([]*entry, len(sites))
	for i, o := range order {
		out[i] = es[o]
	}
	return out, nil
}

// checkSite checks what the store relies on: ids present, carrier as required, a finite
// position on the globe and a finite height. Index is filled by the caller.
func checkSite(s *data.Site, carrier string) *SiteError {
	bad := func(field, format string, args ...any) *SiteError {
		return &SiteError{Key: s.Key(), Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidSite}, args...)...)}
	}
	switch {
	case s.Carrier == "":
		return bad("carrier", "empty")
	case carrier != "" && s.Carrier != carrier:
		return bad("carrier", "%q is not the carrier being replaced, %q", s.Carrier, carrier)
	case s.SiteID == "":
		return bad("site_id", "empty")
	case !(s.Lon >= -180 && s.Lon <= 180):
		return bad("lon", "%v is outside -180..180°", s.Lon)
	case !(s.Lat >= -90 && s.Lat <= 90):
		return bad("lat", "%v is outside -90..90°", s.Lat)
	case math.IsNaN(s.HeightM) || math.IsInf(s.HeightM, 0):
		return bad("height_m", "%v is not finite", s.HeightM)
	}
	return nil
}

// apply performs deltas (sorted by key; validated) on the live index and publishes the next
// snapshot. Called with s.mu held; it cannot fail.
func (s *Store) apply(deltas []delta) Change {
	ch := Change{Version: s.cur.Load().version + 1}
	var changed []delta
	for _, d := range deltas {
		sd := SiteDelta{}
		switch {
		case d.old != nil && d.new != nil && sameEntry(d.old, d.new):
			continue
		case d.old == nil:
			ch.Added++
		case d.new == nil:
			ch.Removed++
		default:
			ch.Modified++
		}
		if d.old != nil {
			s.live.keys.Delete(keyed{key: d.old.site.Key()})
			sd.Before = &d.old.site
		}
		if d.new != nil {
			s.live.keys.Set(keyed{key: d.new.site.Key(), e: d.new})
			sd.After = &d.new.site
		}
		ch.Affected = append(ch.Affected, sd)
		changed = append(changed, d)
	}
	for len(changed) > 0 { // per carrier (the deltas are sorted by key, so by carrier)
		c := changed[0].carrier()
		n := 1
		for n < len(changed) && changed[n].carrier() == c {
			n++
		}
		s.updateTrees(c, changed[:n])
		changed = changed[n:]
	}
	s.cur.Store(&Snapshot{version: ch.Version, idx: s.live.copy()})
	return ch
}

// rebuildRatio: a write that changes more than 1/rebuildRatio of a carrier's sites rebuilds
// the carrier's R-trees instead of editing them. An edit copies the paths it touches, and
// rtree v1.10.0's node copy keeps the source node's copy-on-write tag, so every edit of the same
// write copies its paths again (~45 µs a site at 100k sites); a fresh tree, filled in Hilbert
// order, copies nothing (~2.5 µs a site). Measured crossover: about 1/18 of the carrier.
const rebuildRatio = 16

// updateTrees brings carrier's R-trees in line with the live B-tree after deltas (all of that
// carrier) were applied to it.
func (s *Store) updateTrees(carrier string, deltas []delta) {
	i, ok := s.live.find(carrier)
	if ok && len(deltas)*rebuildRatio < s.live.carriers[i].points.Len() {
		t := s.live.carriers[i]
		for _, d := range deltas {
			if d.old != nil {
				t.points.Delete(d.old.point(), d.old.point(), d.old)
				t.boxes.Delete(d.old.box[0], d.old.box[1], d.old)
			}
			if d.new != nil {
				t.insert(d.new)
			}
		}
		return
	}
	t := carrierTrees{carrier: carrier, points: &rtree.RTreeG[*entry]{}, boxes: &rtree.RTreeG[*entry]{}}
	for _, e := range hilbertOrder(s.live.carrierEntries(carrier)) {
		t.insert(e)
	}
	switch {
	case ok && t.points.Len() == 0:
		s.live.carriers = slices.Delete(s.live.carriers, i, i+1)
	case ok:
		s.live.carriers[i] = t
	case t.points.Len() > 0:
		s.live.carriers = slices.Insert(s.live.carriers, i, t)
	}
}

// hilbertOrder sorts es along a Hilbert curve over their bounding box: inserted in that order,
// neighbours land in the same R-tree nodes, which builds a tree several times faster.
func hilbertOrder(es []*entry) []*entry {
	if len(es) < 2 {
		return es
	}
	lo, hi := es[0].point(), es[0].point()
	for _, e := range es {
		p := e.point()
		lo = [2]float64{math.Min(lo[0], p[0]), math.Min(lo[1], p[1])}
		hi = [2]float64{math.Max(hi[0], p[0]), math.Max(hi[1], p[1])}
	}
	const side = 1 << 16
	scale := func(v, a, b float64) uint32 {
		if b <= a {
			return 0
		}
		return uint32(math.Min((v-a)/(b-a)*side, side-1))
	}
	type item struct {
		d uint64
		e *entry
	}
	items := make([]item, len(es))
	for i, e := range es {
		p := e.point()
		items[i] = item{hilbertD(side, scale(p[0], lo[0], hi[0]), scale(p[1], lo[1], hi[1])), e}
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.d, b.d) })
	for i := range items {
		es[i] = items[i].e
	}
	return es
}

// hilbertD is the distance along the Hilbert curve filling a side × side grid (side a power of
// two) of cell (x, y).
func hilbertD(side, x, y uint32) uint64 {
	var d uint64
	for s := side / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
	}
	return d
}

func (t carrierTrees) insert(e *entry) {
	t.points.Insert(e.point(), e.point(), e)
	t.boxes.Insert(e.box[0], e.box[1], e)
}

func (d delta) carrier() string {
	if d.new != nil {
		return d.new.site.Carrier
	}
	return d.old.site.Carrier
}

// sameEntry reports whether a and b hold equal sites with equal reach. (A test checks that
// every field of Site is compared.)
func sameEntry(a, b *entry) bool {
	x, y := &a.site, &b.site
	return x.Carrier == y.Carrier && x.SiteID == y.SiteID && x.Lon == y.Lon && x.Lat == y.Lat &&
		x.HeightM == y.HeightM && x.Status == y.Status && slices.Equal(x.Sectors, y.Sectors) &&
		a.reachM == b.reachM
}

// Snapshot is an immutable, consistent view of the store at one version. All its methods are
// read-only and safe for concurrent use without locks. The *Site values it returns are shared
// with the store and with later snapshots: callers must not mutate them (copy first). Slices
// returned are fresh and never nil (empty when nothing matches).
type Snapshot struct {
	version uint64
	idx     index
}

// Version returns the store version this snapshot shows.
func (v *Snapshot) Version() uint64 { return v.version }

// Len returns the number of sites.
func (v *Snapshot) Len() int { return v.idx.keys.Len() }

// Site returns the site with key, or false.
func (v *Snapshot) Site(key data.SiteKey) (*data.Site, bool) {
	k, ok := v.idx.keys.Get(keyed{key: key})
	if !ok {
		return nil, false
	}
	return &k.e.site, true
}

// ReachM returns the reach in metres the store's ReachFunc gave the site with key, or 0 when
// there is no such site (use Site to tell the two apart).
func (v *Snapshot) ReachM(key data.SiteKey) float64 {
	k, ok := v.idx.keys.Get(keyed{key: key})
	if !ok {
		return 0
	}
	return k.e.reachM
}

// Sites returns every site matching f in (carrier, site_id) order.
func (v *Snapshot) Sites(f Filter) []*data.Site {
	out := []*data.Site{}
	iter := func(k keyed) bool {
		if f.Carrier != "" && k.key.Carrier != f.Carrier {
			return false
		}
		if f.match(&k.e.site) {
			out = append(out, &k.e.site)
		}
		return true
	}
	if f.Carrier != "" {
		v.idx.keys.Ascend(keyed{key: data.SiteKey{Carrier: f.Carrier}}, iter)
	} else {
		v.idx.keys.Scan(iter)
	}
	return out
}

// InBBox returns the sites matching f whose position lies in b, boundary included, in
// (carrier, site_id) order. b is a plain lon/lat box (Min ≤ Max, no antimeridian wrap); an
// inverted or NaN box matches nothing.
func (v *Snapshot) InBBox(b orb.Bound, f Filter) []*data.Site {
	out := []*data.Site{}
	if !validBound(b) {
		return out
	}
	for _, t := range v.idx.trees(f) {
		t.points.Search(b.Min, b.Max, func(_, _ [2]float64, e *entry) bool {
			if f.match(&e.site) {
				out = append(out, &e.site)
			}
			return true
		})
	}
	return sortSites(out)
}

// Reaching returns the sites matching f that may cover some of b, in (carrier, site_id)
// order: every site with a point of b within its reach (geodesic, ReachM metres) is returned.
// It works in two phases: an R-tree search for the sites whose reach box (a lon/lat box that
// holds the reach circle, at most ~0.1 % wider at Trà Vinh's latitude; all longitudes when the
// circle comes within 10° of a pole or crosses the antimeridian) meets b, then a metric lower
// bound of the distance from the site to b that drops the sites that cannot reach it (those
// whose reach box only touches b by its corners). b is as in InBBox.
func (v *Snapshot) Reaching(b orb.Bound, f Filter) []*data.Site {
	out := []*data.Site{}
	if !validBound(b) {
		return out
	}
	for _, t := range v.idx.trees(f) {
		t.boxes.Search(b.Min, b.Max, func(_, _ [2]float64, e *entry) bool {
			if f.match(&e.site) && lowerBoundM(e.point(), b.Min, b.Max) <= e.reachM {
				out = append(out, &e.site)
			}
			return true
		})
	}
	return sortSites(out)
}

// Nearest returns the n sites matching f nearest to p by geodesic (WGS84) distance, in
// ascending distance, ties in (carrier, site_id) order. Fewer are returned when fewer match;
// none for n ≤ 0 or a p that is not a valid lon/lat.
func (v *Snapshot) Nearest(p orb.Point, n int, f Filter) []SiteDistance {
	n = min(n, v.Len())
	if n <= 0 || !validPoint(p) {
		return []SiteDistance{}
	}
	h := make(distHeap, 0, n) // max-heap: h[0] is the worst of the best n so far
	v.nearby(p, f, func(e *entry, lbM float64) bool {
		if len(h) == n && lbM > h[0].DistanceM {
			return false // every site left is farther than the n found
		}
		d := SiteDistance{Site: &e.site, DistanceM: geo.DistanceM(p, e.point())}
		if len(h) < n {
			h.push(d)
		} else if cmpDist(d, h[0]) < 0 {
			h.replaceTop(d)
		}
		return true
	})
	slices.SortFunc(h, cmpDist)
	return h
}

// WithinRadius returns the sites matching f whose geodesic (WGS84) distance from p is at most
// radiusM metres, in ascending distance, ties in (carrier, site_id) order. A negative or NaN
// radius or an invalid p matches nothing.
func (v *Snapshot) WithinRadius(p orb.Point, radiusM float64, f Filter) []SiteDistance {
	out := []SiteDistance{}
	if !(radiusM >= 0) || !validPoint(p) {
		return out
	}
	v.nearby(p, f, func(e *entry, lbM float64) bool {
		if lbM > radiusM {
			return false
		}
		if d := geo.DistanceM(p, e.point()); d <= radiusM {
			out = append(out, SiteDistance{Site: &e.site, DistanceM: d})
		}
		return true
	})
	slices.SortFunc(out, cmpDist)
	return out
}

// nearby visits, carrier by carrier, the sites matching f in ascending order of lowerBoundM
// from p (a lower bound of their geodesic distance, within ~0.05 % of it at short range) until
// visit returns false, which ends that carrier's walk.
func (v *Snapshot) nearby(p orb.Point, f Filter, visit func(e *entry, lbM float64) bool) {
	for _, t := range v.idx.trees(f) {
		t.points.Nearby(
			func(min, max [2]float64, _ *entry, _ bool) float64 { return lowerBoundM(p, min, max) },
			func(_, _ [2]float64, e *entry, lbM float64) bool {
				return !f.match(&e.site) || visit(e, lbM)
			})
	}
}

func validPoint(p orb.Point) bool { return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90 }

func validBound(b orb.Bound) bool { return b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1] }

func sortSites(s []*data.Site) []*data.Site {
	slices.SortFunc(s, func(a, b *data.Site) int { return cmpKey(a.Key(), b.Key()) })
	return s
}

func cmpDist(a, b SiteDistance) int {
	if c := cmp.Compare(a.DistanceM, b.DistanceM); c != 0 {
		return c
	}
	return cmpKey(a.Site.Key(), b.Site.Key())
}

// distHeap is a max-heap by cmpDist.
type distHeap []SiteDistance

func (h *distHeap) push(d SiteDistance) {
	*h = append(*h, d)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if cmpDist(s[parent], s[i]) >= 0 {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h distHeap) replaceTop(d SiteDistance) {
	h[0] = d
	for i := 0; ; {
		big, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && cmpDist(h[l], h[big]) > 0 {
			big = l
		}
		if r < len(h) && cmpDist(h[r], h[big]) > 0 {
			big = r
		}
		if big == i {
			return
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}

// Metric bounds on the WGS84 ellipsoid without solving geodesics.
//
// Along any path, ds² = (M dφ)² + (N cosφ dλ)², with M (meridian radius) growing and N cosφ
// (parallel radius) shrinking with |φ|. By Minkowski's inequality the length of a path is at
// least hypot(∫M|dφ|, ∫N cosφ|dλ|) ≥ hypot(M(φlow)·|Δφ|, N cos φhigh·|Δλ|), where φlow and
// φhigh bound |φ| along the path. For the shortest path between two points, |φ| stays within
// the endpoints' range except for a poleward bulge below Δλ²/16 rad on the sphere (Δλ in rad,
// the vertex of a great circle through two points of latitude φ is Δλ²·sin2φ/16 above them);
// bulgeFactor takes four times that, and the longitude term is only used within maxLonSpanDeg
// of longitude, so it never needs the antimeridian. The bound is tight for short distances (to
// 1e-8 at 30 m), so boundSlackM keeps it below geo.DistanceM's rounding too: otherwise a site
// co-located with another could be cut off before its tie is broken by key.
const (
	bulgeFactor       = 0.25 // poleward bulge of a geodesic, rad per rad² of longitude span
	boundSlackM       = 1e-3 // taken off every bound: 10 × geo.DistanceM's error (0.1 mm)
	maxLonSpanDeg     = 10   // longitude term of lowerBoundM only within this span, degrees
	maxBoxLatDeg      = 80   // reach boxes crossing this |latitude| span all longitudes
	maxBoxHalfLonDeg  = 5    // reach boxes wider than ± this span all longitudes
	radPerDeg         = math.Pi / 180
	poleLatDeg        = 90
	antimeridianLonDg = 180
)

// bulgeDeg bounds, in degrees of latitude, how far poleward of its endpoints a geodesic
// spanning spanDeg of longitude can go.
func bulgeDeg(spanDeg float64) float64 {
	s := spanDeg * radPerDeg
	return bulgeFactor * s * s / radPerDeg
}

// scaleStepsPerDeg is the resolution of degScales.
const scaleStepsPerDeg = 100

// degScales[i] is geo.MetresPerDegree at latitude i/scaleStepsPerDeg: bounds look it up
// instead of evaluating the ellipsoid (a sine, a cosine and a root) for every R-tree node.
var degScales = func() [][2]float64 {
	t := make([][2]float64, poleLatDeg*scaleStepsPerDeg+1)
	for i := range t {
		t[i][0], t[i][1] = geo.MetresPerDegree(float64(i) / scaleStepsPerDeg)
	}
	return t
}()

// latMBelow returns at most the metres per degree of latitude at |latitude| absLat (≤ 90): the
// table's value at or below absLat (they grow with |latitude|).
func latMBelow(absLat float64) float64 {
	return degScales[int(absLat*scaleStepsPerDeg)][1]
}

// lonMBelow returns at most the metres per degree of longitude at |latitude| absLat (≤ 90):
// the table's value at or above absLat (they shrink with |latitude|).
func lonMBelow(absLat float64) float64 {
	i := int(absLat * scaleStepsPerDeg)
	if float64(i) < absLat*scaleStepsPerDeg {
		i++
	}
	return degScales[min(i, poleLatDeg*scaleStepsPerDeg)][0]
}

// nearestEquator returns the smallest |lat| over [lo, hi].
func nearestEquator(lo, hi float64) float64 {
	return max(lo, -hi, 0)
}

// lowerBoundM returns a lower bound in metres of the geodesic distance from p to the nearest
// point of the lon/lat box [min, max] (0 when p is inside). At Trà Vinh's latitude and a few
// km it is within 0.05 % + 1 mm of the true distance; beyond maxLonSpanDeg of longitude it
// keeps only the latitude term.
func lowerBoundM(p, bMin, bMax [2]float64) float64 {
	gapLat := max(bMin[1]-p[1], p[1]-bMax[1], 0)
	gapLon := max(bMin[0]-p[0], p[0]-bMax[0], 0)
	if gapLat == 0 && gapLon == 0 {
		return 0
	}
	lo, hi := min(p[1], bMin[1]), max(p[1], bMax[1])
	latTermM := latMBelow(nearestEquator(lo, hi)) * gapLat
	lonTermM := 0.0
	if span := max(p[0]-bMin[0], bMin[0]-p[0], p[0]-bMax[0], bMax[0]-p[0]); gapLon > 0 && span <= maxLonSpanDeg {
		far := min(max(-lo, hi)+bulgeDeg(span), poleLatDeg)
		lonTermM = lonMBelow(far) * gapLon
	}
	return max(0, math.Sqrt(latTermM*latTermM+lonTermM*lonTermM)-boundSlackM)
}

// reachBox returns a lon/lat box holding every point within rM metres (geodesic) of p: every
// point q outside it has lowerBoundM(p, q, q) > rM. Near a pole (beyond maxBoxLatDeg), for
// circles wider than maxBoxHalfLonDeg or crossing the antimeridian the box spans all
// longitudes.
func reachBox(p [2]float64, rM float64) (min, max [2]float64) {
	if rM == 0 {
		return p, p
	}
	rM += boundSlackM
	_, latM0 := geo.MetresPerDegree(0)
	dLat0 := rM / latM0 // no latitude is shorter than the equator's
	_, latM := geo.MetresPerDegree(nearestEquator(p[1]-dLat0, p[1]+dLat0))
	dLat := rM / latM
	min[1], max[1] = math.Max(p[1]-dLat, -poleLatDeg), math.Min(p[1]+dLat, poleLatDeg)
	min[0], max[0] = -antimeridianLonDg, antimeridianLonDg
	far := math.Max(math.Abs(min[1]), math.Abs(max[1]))
	if far > maxBoxLatDeg {
		return min, max
	}
	// Within 2·dLon0 of longitude the bulge is below bulgeDeg(2·dLon0); a path to any point
	// farther east or west passes a point 2·dLon0 away, already more than rM from p (the
	// parallel radius shrinks < 5 % over the ≤ 0.44° bulge below 80.5°).
	lonM0, _ := geo.MetresPerDegree(far)
	dLon0 := rM / lonM0
	lonM, _ := geo.MetresPerDegree(far + bulgeDeg(2*dLon0))
	dLon := rM / lonM
	if dLon > maxBoxHalfLonDeg || p[0]-dLon < -antimeridianLonDg || p[0]+dLon > antimeridianLonDg {
		return min, max
	}
	min[0], max[0] = p[0]-dLon, p[0]+dLon
	return min, max
}
