package coverage

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage/contour"
	"phusong/geo"
)

// DefaultMinGapAreaM2 is the smallest gap polygon the map keeps (Result.Gaps' minimum), m² (one hectare: four
// 50 m cells). Smaller uncovered pieces are slivers between coverage edges and the commune
// boundary, not places anyone could plan a site for.
const DefaultMinGapAreaM2 = 10_000

// Errors of the polygon builders.
var (
	ErrNoLayer = errors.New("coverage: no such layer")
	ErrTier    = errors.New("coverage: no such tier")
)

// polygonCache holds a Result's polygons, built on first use. The layers and gaps are kept
// within Options.PolygonCacheBytes together (polygonLRU); the levels and block kinds, a few
// megabytes in all, are kept.
type polygonCache struct {
	once   sync.Once                           // sets lru.maxBytes (Result.polygons)
	lru    polygonLRU                          // of full and gaps
	full   map[layerKey]*polygonEntry          // projected metres, full detail (guarded by lru.mu)
	gaps   map[gapKey]*polygonEntry            // projected metres, one commune, slivers dropped (guarded by lru.mu)
	other  memo[layerKey, levelFill]           // levels on the other land class near its edge (tier 0 keys)
	blocks memo[layerKey, []contour.BlockKind] // block kinds of the province window (package contour)
}

// polygonLRU bounds the polygons a Result keeps by their bytes (polygonBytes): past maxBytes
// (≤ 0: no bound) the least recently used are dropped, and built again when next asked for.
// A layer's or a gap's polygons depend only on the Result and the key (the contouring is
// deterministic), so a rebuilt one is the same, coordinate for coordinate.
type polygonLRU struct {
	maxBytes int64

	mu    sync.Mutex
	lru   list.List // of *polygonEntry, built and kept; most recently used first
	bytes int64     // of the entries in lru
}

// polygonEntry is one key's polygons, built once; concurrent callers wait for the build.
type polygonEntry struct {
	once sync.Once
	mp   orb.MultiPolygon
	size int64         // polygonBytes(mp)
	elem *list.Element // in lru; nil while building, or once dropped
	drop func()        // forgets the entry in its map (with lru.mu held)
}

// cachedPolygons returns the polygons of k in m, building them with build on first use (or
// after they were dropped) and keeping them within l's bytes.
func cachedPolygons[K comparable](l *polygonLRU, m *map[K]*polygonEntry, k K, build func() orb.MultiPolygon) orb.MultiPolygon {
	l.mu.Lock()
	if *m == nil {
		*m = map[K]*polygonEntry{}
	}
	en := (*m)[k]
	switch {
	case en == nil:
		en = &polygonEntry{}
		en.drop = func() {
			if (*m)[k] == en {
				delete(*m, k)
			}
		}
		(*m)[k] = en
	case en.elem != nil:
		l.lru.MoveToFront(en.elem)
	}
	l.mu.Unlock()
	en.once.Do(func() {
		en.mp = build()
		l.keep(en)
	})
	return en.mp
}

// keep adds en, just built, as the most recently used and drops the least recently used past
// maxBytes (en itself when it alone is over: its caller still gets it).
func (l *polygonLRU) keep(en *polygonEntry) {
	en.size = polygonBytes(en.mp)
	l.mu.Lock()
	defer l.mu.Unlock()
	en.elem = l.lru.PushFront(en)
	l.bytes += en.size
	for l.maxBytes > 0 && l.bytes > l.maxBytes {
		old := l.lru.Back().Value.(*polygonEntry)
		l.lru.Remove(old.elem)
		old.elem = nil
		l.bytes -= old.size
		old.drop()
	}
}

// stats returns the number of polygon sets kept and their bytes.
func (l *polygonLRU) stats() (entries int, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len(), l.bytes
}

// polygonBytes is the memory mp holds: 16 bytes a point, 24 a slice header.
func polygonBytes(mp orb.MultiPolygon) int64 {
	n := int64(24)
	for _, p := range mp {
		n += 24
		for _, r := range p {
			n += 24 + 16*int64(cap(r))
		}
	}
	return n
}

// PolygonCache returns the number of layers and gaps r keeps built and their bytes (see
// Options.PolygonCacheBytes).
func (r *Result) PolygonCache() (entries int, bytes int64) { return r.polygons().lru.stats() }

type layerKey struct {
	carrier string
	tech    data.Tech
	tier    int
}

type gapKey struct {
	tech      data.Tech
	commune   int
	minAreaM2 float64
}

// polygons returns r's cache.
func (r *Result) polygons() *polygonCache {
	pc := &r.polys
	pc.once.Do(func() { pc.lru.maxBytes = r.eng.opts.PolygonCacheBytes })
	return pc
}

// layerThreshold checks (carrier, tech, tier) and returns the tier's level in dBm and the
// technology index.
func (r *Result) layerThreshold(carrier string, tech data.Tech, tier int) (float64, int, error) {
	ti := techIndex(tech)
	if ti < 0 {
		return 0, 0, fmt.Errorf("%w: technology %q is not analysed", ErrNoLayer, tech)
	}
	if r.statsOnly && r.regional == nil {
		return 0, 0, ErrStatsOnly
	}
	if carrier != AnyCarrier && !slices.Contains(r.carriers, carrier) {
		return 0, 0, fmt.Errorf("%w: carrier %q has no counted site", ErrNoLayer, carrier)
	}
	tr := &r.eng.rules[ti]
	switch {
	case tier == 0:
		return tr.requiredOut, ti, nil
	case tier >= 1 && tier <= len(tr.rule.TiersDBm):
		return tr.rule.TiersDBm[tier-1], ti, nil
	}
	return 0, 0, fmt.Errorf("%w: %d (%s has tiers 0..%d)", ErrTier, tier, tech, len(tr.rule.TiersDBm))
}

// Layer is a coverage layer at full detail in the engine's frame (Engine.Projection, metres):
// the area where Carrier (an ID of Result.Carriers, or AnyCarrier) reaches the level of Tier
// for Tech. data/render turns it into GeoJSON (lon/lat, simplified per web-map zoom).
type Layer struct {
	Carrier      string
	Tech         data.Tech
	Tier         int     // 0: the coverage threshold; n ≥ 1: the definition's TiersDBm[n−1]
	ThresholdDBm float64 // the tier's level
	// Polygons is the contour of the predicted level field (linear interpolation between cell
	// centres) clipped to the province (see package contour): counter-clockwise exteriors,
	// clockwise holes, projected metres; nil when empty. It is shared: do not modify it.
	Polygons orb.MultiPolygon
}

// Layer returns the area where carrier (an ID of Carriers, or AnyCarrier) reaches the level of
// tier for tech: tier 0 is the coverage threshold (the rule's RequiredMedianDBm(false)), tier
// n ≥ 1 the definition's TiersDBm[n−1] (strongest first). The polygons are computed on first
// use and shared between calls while kept (Options.PolygonCacheBytes; once dropped, they are
// computed again, the same). Unknown carriers and technologies give ErrNoLayer, unknown
// tiers ErrTier.
func (r *Result) Layer(carrier string, tech data.Tech, tier int) (Layer, error) {
	thr, _, err := r.layerThreshold(carrier, tech, tier)
	if err != nil {
		return Layer{}, err
	}
	if r.regional != nil {
		mp, err := r.regional.layer(context.Background(), layerKey{carrier, tech, tier}, r.within)
		if err != nil {
			return Layer{}, err
		}
		return Layer{Carrier: carrier, Tech: tech, Tier: tier, ThresholdDBm: thr, Polygons: mp}, nil
	}
	return Layer{Carrier: carrier, Tech: tech, Tier: tier, ThresholdDBm: thr, Polygons: r.fullLayer(layerKey{carrier, tech, tier})}, nil
}

// fullLayer returns layer k at full detail in the engine frame (cached).
func (r *Result) fullLayer(k layerKey) orb.MultiPolygon {
	pc := r.polygons()
	return cachedPolygons(&pc.lru, &pc.full, k, func() orb.MultiPolygon { return r.contourLayer(k) })
}

// Gap is the uncovered land of one commune for one technology at full detail in the engine's
// frame (see Result.Gaps).
type Gap struct {
	Commune  int              // index into Engine.Communes
	Polygons orb.MultiPolygon // projected metres (Engine.Projection); shared: do not modify
	AreaM2   float64          // planar area of Polygons
	// UncoveredPopulation is, with a population grid (Engine.Population), the people of the
	// commune's uncovered land cells (CommuneStats.UncoveredPopulation, pieces under the
	// minimum area included); without one, the commune's population × AreaM2 / the commune's
	// polygon area (at most the population): the population spread uniformly over its land.
	// Not rounded.
	UncoveredPopulation float64
}

// GapLayer is the uncovered land of a technology, commune by commune (see Result.Gaps).
type GapLayer struct {
	Tech         data.Tech
	ThresholdDBm float64 // the coverage threshold (RequiredMedianDBm(false))
	MinAreaM2    float64 // gap polygons under this area, m², were dropped (≥ 0)
	Gaps         []Gap   // the communes with a gap left, code order
}

// Gaps returns, for tech, the uncovered land of every commune (communeCode "") or of one (its
// code): where the best level over all carriers is below the coverage threshold inside the
// commune, contoured like Layer but clipped to the commune, at full detail, dropping the gap
// polygons (exterior minus holes) under minAreaM2 m² (a negative minimum counts as 0, which keeps
// every piece; DefaultMinGapAreaM2 is the map's). The polygons are computed on first use and
// shared between calls while kept (Options.PolygonCacheBytes). An unknown technology or code gives ErrNoLayer.
func (r *Result) Gaps(tech data.Tech, communeCode string, minAreaM2 float64) (GapLayer, error) {
	thr, ti, err := r.layerThreshold(AnyCarrier, tech, 0)
	if err != nil {
		return GapLayer{}, err
	}
	e := r.eng
	var cis []int
	for ci, c := range e.communes {
		if communeCode == "" || c.Code == communeCode {
			cis = append(cis, ci)
		}
	}
	if len(cis) == 0 {
		return GapLayer{}, fmt.Errorf("%w: commune %q", ErrNoLayer, communeCode)
	}
	gl := GapLayer{Tech: tech, ThresholdDBm: thr, MinAreaM2: max(0, minAreaM2)}
	if r.regional != nil && gl.MinAreaM2 < DefaultMinGapAreaM2 {
		return GapLayer{}, fmt.Errorf("%w: computed region by region, the gaps keep pieces of %g m² or more (asked for %g m²)",
			ErrStatsOnly, float64(DefaultMinGapAreaM2), gl.MinAreaM2)
	}
	if r.regional != nil {
		if communeCode == "" && r.within != nil {
			cis = slices.DeleteFunc(cis, func(ci int) bool { return !r.within[r.plan.regionOf[ci]] })
		}
		if err := r.regional.allGaps(context.Background(), tech, cis); err != nil {
			return GapLayer{}, err
		}
	}
	for _, ci := range cis {
		mp := r.gapPolygons(gapKey{tech, ci, gl.MinAreaM2}, ti, thr)
		if len(mp) == 0 {
			continue
		}
		g := Gap{Commune: ci, Polygons: mp, AreaM2: geo.PlanarAreaM2(mp)}
		if e.pop != nil {
			g.UncoveredPopulation = r.commune[ti][ci].UncoveredPopulation
		} else if e.polyArea[ci] > 0 {
			g.UncoveredPopulation = float64(e.communes[ci].Population) * min(1, g.AreaM2/e.polyArea[ci])
		}
		gl.Gaps = append(gl.Gaps, g)
	}
	return gl, nil
}

// gapPolygons returns the gaps of k.commune for k.tech (technology index ti, threshold thr dBm)
// in the engine frame, pieces under k.minAreaM2 dropped (cached).
func (r *Result) gapPolygons(k gapKey, ti int, thr float64) orb.MultiPolygon {
	if r.regional != nil { // kept at DefaultMinGapAreaM2 (Gaps refuses a smaller minimum)
		gaps, err := r.regional.regionGaps(context.Background(), r.plan.regionOf[k.commune], k.tech)
		if err != nil {
			return nil // Gaps built them first (allGaps): only a spill or context error gets here
		}
		mp := gaps[k.commune]
		if k.minAreaM2 > DefaultMinGapAreaM2 {
			mp = dropSmall(mp, k.minAreaM2)
		}
		return mp
	}
	pc := r.polygons()
	return cachedPolygons(&pc.lru, &pc.gaps, k, func() orb.MultiPolygon { return dropSmall(r.contourGaps(k.commune, ti, thr), k.minAreaM2) })
}

// contourGaps contours the uncovered land of commune ci for technology index ti (projected):
// the field of contour.CommuneClip over the commune's window, computed in its active blocks only (see
// package contour).
func (r *Result) contourGaps(ci, ti int, thr float64) orb.MultiPolygon {
	e := r.eng
	cb := e.communeBoundary(ci)
	if cb.win.Grid.Len() == 0 {
		return nil
	}
	k := layerKey{AnyCarrier, e.rules[ti].tech, 0}
	field := r.Field(k.carrier, k.tech)
	kinds := contour.SettleBlocks(cb.win, e.land.Grid, cb.static, field, thr, -1)
	contour.SettleCommuneEdges(kinds, cb.win, e.land.Grid, cb.static, cb.dist, field, thr)
	s := float32(contour.BoundarySlopeDBPerCell / cb.win.Grid.CellM)
	ps := e.getScratch(cb.win.Grid.Len())
	defer e.putScratch(ps)
	r.sparseMargins(k, cb.win, cb.static, kinds, -1, ps.vals, func(wk0 int, row []float32) {
		for n, d := range cb.dist[wk0 : wk0+len(row)] {
			row[n] = contour.CommuneClip(row[n], d, s)
		}
	})
	return contour.Polygons(cb.win, ps.vals, kinds, &ps.contour)
}

// dropSmall returns the polygons of mp whose area (exterior minus holes) is at least minAreaM2.
func dropSmall(mp orb.MultiPolygon, minAreaM2 float64) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		if geo.PlanarAreaM2(p) >= minAreaM2 {
			out = append(out, p)
		}
	}
	return out
}

// WarmLayers builds, on the engine's workers, every coverage layer (each carrier of Carriers and
// AnyCarrier, each analysed technology, tier 0) and every commune's gaps (DefaultMinGapAreaM2)
// at full detail in the engine frame, so that later calls of Layer and Gaps with those
// arguments return from the cache (as many as Options.PolygonCacheBytes keeps). Layers are
// independent, so this takes about 1/Workers of building them one by one. It stops early when
// ctx is cancelled.
func (r *Result) WarmLayers(ctx context.Context) error {
	if r.regional != nil {
		return nil // contoured region by region when asked (ServeRegions)
	}
	if r.statsOnly {
		return ErrStatsOnly
	}
	return r.warm(ctx, func(k layerKey) { r.fullLayer(k) }, func(tech data.Tech, ci int) {
		thr, ti, _ := r.layerThreshold(AnyCarrier, tech, 0)
		r.gapPolygons(gapKey{tech, ci, DefaultMinGapAreaM2}, ti, thr)
	})
}

// warm runs layer for every (carrier or AnyCarrier, analysed technology, tier 0) and gaps for
// every (technology, commune) on the engine's workers, until done or ctx is cancelled. Every
// layer comes before every gap: the gaps read the "any" fields, which the AnyCarrier layers
// build, so a gap started earlier would wait for that build.
func (r *Result) warm(ctx context.Context, layer func(layerKey), gaps func(tech data.Tech, commune int)) error {
	var jobs []func()
	for _, tech := range data.AnalysedTechs {
		for _, c := range append(r.Carriers(), AnyCarrier) {
			jobs = append(jobs, func() { layer(layerKey{c, tech, 0}) })
		}
	}
	for _, tech := range data.AnalysedTechs {
		for ci := range r.eng.communes {
			jobs = append(jobs, func() { gaps(tech, ci) })
		}
	}
	eachParallel(ctx, r.eng.opts.Workers, len(jobs), func() func(int) { return func(n int) { jobs[n]() } })
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	return nil
}
