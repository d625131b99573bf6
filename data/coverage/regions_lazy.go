package coverage

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
	"phusong/geo"
)

// regionPolygons are the polygons a Regional result serves, contoured lazily region by region.
// ServeRegions contours, while it computes each region's statistics, only the layers the map
// loads first (AnyCarrier at tier 0, per computed technology: firstLayers); any other layer, a
// commune's gaps or a level at a point is computed on first request: the region's levels are
// computed again from the result's sites (the same engine, window and store as ServeRegions,
// so the same levels exactly) and contoured, once per (region, layer) however many requests ask
// at the same time, the regions of one request on the engine's workers. The pieces are spilled
// to an unlinked temporary file (a country's layers at full detail take gigabytes) and read
// back when asked; the gaps are kept in memory; the last regions computed are kept while they
// fit regionCacheBytes, so a province's other layers do not compute them again. A result
// assembled from stored region outputs (AssembleRegions) starts with every piece and gap of
// those regions known: the pieces are read from the store (stored) when asked, never computed
// again.
type regionPolygons struct {
	plan    *regionPlan
	ps      *placedSites // the sites of the result
	spill   *spillFile
	results *regionResults
	stored  *storedLayers // where stored pieces are read (AssembleRegions); nil otherwise

	mu     sync.Mutex
	pieces map[pieceKey]*lazyValue[span]
	gaps   map[regionTech]*lazyValue[map[int]orb.MultiPolygon] // whole commune index → its gaps
	// uncoveredPieces are each region's pieces of uncovered land, uncoveredSets the sets they
	// make (regions_uncovered.go).
	uncoveredPieces map[regionTech]*lazyValue[[]uncoveredPiece]
	uncoveredSets   map[data.Tech]*lazyValue[*uncoveredIndex]
}

// regionCacheBytes bounds the regions a Regional result keeps computed (regionRun.bytes): about
// two regions of DefaultRegionCells at 50 m with six carriers.
const regionCacheBytes = 256 << 20

// pieceKey is one region's piece of one layer.
type pieceKey struct {
	region int
	layer  layerKey
}

// regionTech is one region's gaps of one technology.
type regionTech struct {
	region int
	tech   data.Tech
}

// lazyValue is a value computed once on success: concurrent callers wait for the first; a
// failure (a cancelled context) is not kept, so the next caller tries again.
type lazyValue[V any] struct {
	mu   sync.Mutex
	done bool
	v    V
}

// get returns the value, computing it with f unless done.
func (l *lazyValue[V]) get(f func() (V, error)) (V, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.v, nil
	}
	v, err := f()
	if err != nil {
		return v, err
	}
	l.v, l.done = v, true
	return v, nil
}

// set makes a done value.
func doneValue[V any](v V) *lazyValue[V] { return &lazyValue[V]{done: true, v: v} }

// spillFile is the unlinked file of the layers, shared by a result and those UpdateRegions
// made from it (each reads its own spans); it is closed once none of them is reachable.
type spillFile struct {
	f    *os.File
	mu   sync.Mutex // guards size
	size int64
}

// span is one encoded MultiPolygon in the spill file; n == 0 is an empty piece (not written)
// unless stored, a piece kept outside (a database, read through storedLayers).
type span struct {
	off, n int64
	stored bool
}

// empty reports whether s is an empty piece.
func (s span) empty() bool { return s.n == 0 && !s.stored }

// newRegionPolygons creates the spill file in the system's temporary directory.
func newRegionPolygons(plan *regionPlan, ps *placedSites) (*regionPolygons, error) {
	f, err := os.CreateTemp("", "phusong-regions-*")
	if err != nil {
		return nil, fmt.Errorf("coverage: region layers: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("coverage: region layers: %w", err)
	}
	sf := &spillFile{f: f}
	runtime.AddCleanup(sf, func(f *os.File) { f.Close() }, f)
	return &regionPolygons{plan: plan, ps: ps, spill: sf, results: newRegionResults(regionCacheBytes),
		pieces: map[pieceKey]*lazyValue[span]{}, gaps: map[regionTech]*lazyValue[map[int]orb.MultiPolygon]{},
		uncoveredPieces: map[regionTech]*lazyValue[[]uncoveredPiece]{}, uncoveredSets: map[data.Tech]*lazyValue[*uncoveredIndex]{}}, nil
}

// without returns rp for the sites ps: the pieces and gaps of the regions marked in redo
// dropped, the others shared.
func (rp *regionPolygons) without(redo []bool, ps *placedSites) *regionPolygons {
	out := &regionPolygons{plan: rp.plan, ps: ps, spill: rp.spill, results: newRegionResults(regionCacheBytes), stored: rp.stored,
		pieces: map[pieceKey]*lazyValue[span]{}, gaps: map[regionTech]*lazyValue[map[int]orb.MultiPolygon]{},
		uncoveredPieces: map[regionTech]*lazyValue[[]uncoveredPiece]{}, uncoveredSets: map[data.Tech]*lazyValue[*uncoveredIndex]{}}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for k, v := range rp.pieces {
		if !redo[k.region] {
			out.pieces[k] = v
		}
	}
	for k, v := range rp.gaps {
		if !redo[k.region] {
			out.gaps[k] = v
		}
	}
	for k, v := range rp.uncoveredPieces {
		if !redo[k.region] {
			out.uncoveredPieces[k] = v
		}
	}
	return out
}

// firstLayers are the layers ServeRegions contours at once: the best level over all carriers at
// the coverage threshold, per computed technology (what the map and the server's warm-up ask
// first).
func (e *Engine) firstLayers() []layerKey {
	var out []layerKey
	for ti, tr := range e.rules {
		if e.computes(ti) {
			out = append(out, layerKey{AnyCarrier, tr.tech, 0})
		}
	}
	return out
}

// canonical returns the layer whose polygons k has: a tier at the coverage threshold's level
// (the weakest tier usually is) is tier 0.
func (e *Engine) canonical(k layerKey) layerKey {
	ti := techIndex(k.tech)
	if ti < 0 || k.tier < 1 || k.tier > len(e.rules[ti].rule.TiersDBm) {
		return k
	}
	if e.rules[ti].rule.TiersDBm[k.tier-1] == e.rules[ti].requiredOut {
		k.tier = 0
	}
	return k
}

// first contours the first layers (firstLayers) of region ri from its result res, on res's
// engine workers, and keeps them.
func (rp *regionPolygons) first(ctx context.Context, ri int, res *Result) error {
	keys := res.eng.firstLayers()
	out := make([]orb.MultiPolygon, len(keys))
	eachParallel(ctx, res.eng.opts.Workers, len(keys), func() func(int) {
		return func(n int) { out[n] = regionLayer(res, keys[n]) }
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	for n, k := range keys {
		sp, err := rp.write(out[n])
		if err != nil {
			return err
		}
		rp.mu.Lock()
		rp.pieces[pieceKey{ri, k}] = doneValue(sp)
		rp.mu.Unlock()
	}
	return nil
}

// regionLayer is layer k of a region's result: its contour clipped to the region's own
// communes, nil where the region has no site of the carrier or does not compute the technology.
func regionLayer(res *Result, k layerKey) orb.MultiPolygon {
	if !res.eng.computes(techIndex(k.tech)) || (k.carrier != AnyCarrier && !slices.Contains(res.carriers, k.carrier)) {
		return nil
	}
	return res.fullLayer(k)
}

// run returns region ri's result, computed again unless kept.
func (rp *regionPolygons) run(ctx context.Context, ri int) (*regionRun, error) {
	return rp.results.get(ri, func() (*regionRun, error) {
		return rp.plan.regionResult(ctx, &rp.plan.regions[ri], rp.ps)
	})
}

// layer returns layer k: every region's piece (of the regions marked in within; all when nil),
// in region order (nil when empty), contouring those not built yet on the engine's workers.
func (rp *regionPolygons) layer(ctx context.Context, k layerKey, within []bool) (orb.MultiPolygon, error) {
	k = rp.plan.base.canonical(k)
	spans := make([]span, len(rp.plan.regions))
	errs := make([]error, len(spans))
	eachParallel(ctx, rp.plan.base.opts.Workers, len(spans), func() func(int) {
		return func(ri int) {
			if within == nil || within[ri] {
				spans[ri], errs[ri] = rp.piece(ctx, ri, k)
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	var stored []int // the regions whose piece is read from the store, in one read
	for ri, s := range spans {
		if errs[ri] != nil {
			return nil, errs[ri]
		}
		if s.stored {
			stored = append(stored, ri)
		}
	}
	pieces, err := rp.stored.read(k, stored)
	if err != nil {
		return nil, err
	}
	var out orb.MultiPolygon
	var buf []byte
	for ri, s := range spans {
		switch {
		case s.stored:
			out = decodeMultiPolygon(pieces[ri], out)
		case s.n > 0:
			buf = slices.Grow(buf[:0], int(s.n))[:s.n]
			if _, err := rp.spill.f.ReadAt(buf, s.off); err != nil {
				return nil, fmt.Errorf("coverage: reading region layer: %w", err)
			}
			out = decodeMultiPolygon(buf, out)
		}
	}
	return out, nil
}

// pieceBytes returns the encoding of region ri's piece s of layer k (EncodeMultiPolygon's), read
// from the spill file or the store.
func (rp *regionPolygons) pieceBytes(k layerKey, ri int, s span) ([]byte, error) {
	if s.stored {
		pieces, err := rp.stored.read(k, []int{ri})
		return pieces[ri], err
	}
	b := make([]byte, s.n)
	if _, err := rp.spill.f.ReadAt(b, s.off); err != nil {
		return nil, fmt.Errorf("coverage: reading region layer: %w", err)
	}
	return b, nil
}

// piece returns where region ri's piece of layer k is, contouring it on first use.
func (rp *regionPolygons) piece(ctx context.Context, ri int, k layerKey) (span, error) {
	rp.mu.Lock()
	en := rp.pieces[pieceKey{ri, k}]
	if en == nil {
		en = &lazyValue[span]{}
		rp.pieces[pieceKey{ri, k}] = en
	}
	rp.mu.Unlock()
	return en.get(func() (span, error) {
		run, err := rp.run(ctx, ri)
		if err != nil || run == nil {
			return span{}, err
		}
		return rp.write(regionLayer(run.res, k))
	})
}

// regionGaps returns the gaps (DefaultMinGapAreaM2) of tech of region ri's own communes, by
// whole commune index, contouring them on first use.
func (rp *regionPolygons) regionGaps(ctx context.Context, ri int, tech data.Tech) (map[int]orb.MultiPolygon, error) {
	rp.mu.Lock()
	en := rp.gaps[regionTech{ri, tech}]
	if en == nil {
		en = &lazyValue[map[int]orb.MultiPolygon]{}
		rp.gaps[regionTech{ri, tech}] = en
	}
	rp.mu.Unlock()
	return en.get(func() (map[int]orb.MultiPolygon, error) {
		out := map[int]orb.MultiPolygon{}
		run, err := rp.run(ctx, ri)
		if err != nil || run == nil {
			return out, err
		}
		res, ti := run.res, techIndex(tech)
		if !res.eng.computes(ti) {
			return out, nil
		}
		own := rp.plan.regions[ri].own
		mps := make([]orb.MultiPolygon, len(own))
		thr := res.eng.rules[ti].requiredOut
		eachParallel(ctx, res.eng.opts.Workers, len(own), func() func(int) {
			return func(n int) {
				mps[n] = res.gapPolygons(gapKey{tech, run.local[own[n]], DefaultMinGapAreaM2}, ti, thr)
			}
		})
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		for n, ci := range own {
			if len(mps[n]) > 0 {
				out[ci] = mps[n]
			}
		}
		return out, nil
	})
}

// allGaps contours the gaps of tech of the regions of communes cis not built yet, on the
// engine's workers.
func (rp *regionPolygons) allGaps(ctx context.Context, tech data.Tech, cis []int) error {
	want := make([]bool, len(rp.plan.regions))
	for _, ci := range cis {
		want[rp.plan.regionOf[ci]] = true
	}
	var regions []int
	for ri := range want {
		if want[ri] {
			regions = append(regions, ri)
		}
	}
	return eachParallelErr(ctx, rp.plan.base.opts.Workers, len(regions), func(n int) error {
		_, err := rp.regionGaps(ctx, regions[n], tech)
		return err
	})
}

// at returns the levels at p (Result.At) of the result r whose polygons rp are: the tile of the
// whole grid holding p is computed as a region of its own (every commune meeting it), which
// gives the whole engine's levels exactly (the same cell centres, tile and candidate sites).
func (rp *regionPolygons) at(ctx context.Context, r *Result, p orb.Point) ([]PointLevel, error) {
	whole, base := rp.plan.whole, rp.plan.base
	i, j, ok := whole.CellOf(base.tm.Forward(p))
	if !ok {
		return nil, nil
	}
	i0, j0 := i/land.TileCells*land.TileCells, j/land.TileCells*land.TileCells
	cellM := whole.CellM
	rg := region{grid: geo.Grid{X0M: (whole.X0M/cellM + float64(i0)) * cellM, Y0M: (whole.Y0M/cellM + float64(j0)) * cellM,
		CellM: cellM, NX: min(land.TileCells, whole.NX-i0), NY: min(land.TileCells, whole.NY-j0)}}
	run, err := rp.plan.regionResult(ctx, &rg, rp.ps)
	if err != nil || run == nil {
		return nil, err
	}
	got := run.res.atCell(i-i0, j-j0, true)
	if got == nil {
		return nil, nil
	}
	return r.inCarrierOrder(got), nil
}

// regionResults keeps the last regions computed again (regionPolygons.run) within maxBytes
// (regionRun.bytes), the least recently used dropped past it.
type regionResults struct {
	maxBytes int64

	mu      sync.Mutex
	entries map[int]*regionSlot
	tick    uint64
}

// regionSlot is one region's result, computed once while kept.
type regionSlot struct {
	lazyValue[*regionRun]
	used  uint64 // guarded by regionResults.mu
	bytes int64  // guarded by regionResults.mu; 0 until built
}

func newRegionResults(maxBytes int64) *regionResults {
	return &regionResults{maxBytes: maxBytes, entries: map[int]*regionSlot{}}
}

// get returns region ri's result, built by build unless kept.
func (c *regionResults) get(ri int, build func() (*regionRun, error)) (*regionRun, error) {
	c.mu.Lock()
	s := c.entries[ri]
	if s == nil {
		s = &regionSlot{}
		c.entries[ri] = s
	}
	c.tick++
	s.used = c.tick
	c.mu.Unlock()
	run, err := s.get(build)
	if err != nil || run == nil {
		return run, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.bytes == 0 {
		s.bytes = max(1, run.bytes)
		c.evict(s)
	}
	return run, nil
}

// evict drops the least recently used built results other than keep until the kept ones fit
// maxBytes (keep always stays).
func (c *regionResults) evict(keep *regionSlot) {
	var total int64
	for _, s := range c.entries {
		total += s.bytes
	}
	for total > c.maxBytes {
		victim := -1
		for ri, s := range c.entries {
			if s != keep && s.bytes > 0 && (victim < 0 || s.used < c.entries[victim].used) {
				victim = ri
			}
		}
		if victim < 0 {
			return
		}
		total -= c.entries[victim].bytes
		delete(c.entries, victim)
	}
}

// write appends mp to the spill file and returns where it is (n == 0 for an empty mp).
func (rp *regionPolygons) write(mp orb.MultiPolygon) (span, error) {
	if len(mp) == 0 {
		return span{}, nil
	}
	return rp.writeBytes(EncodeMultiPolygon(mp))
}

// writeBytes appends b, a MultiPolygon's encoding (EncodeMultiPolygon), to the spill file and
// returns where it is (n == 0 for an empty b).
func (rp *regionPolygons) writeBytes(b []byte) (span, error) {
	if len(b) == 0 {
		return span{}, nil
	}
	sf := rp.spill
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if _, err := sf.f.WriteAt(b, sf.size); err != nil {
		return span{}, fmt.Errorf("coverage: writing region layer: %w", err)
	}
	sp := span{off: sf.size, n: int64(len(b))}
	sf.size += sp.n
	return sp, nil
}

// EncodeMultiPolygon writes mp exactly (the encoding of stored layer pieces and gaps): counts as
// uint32 (polygons, then per polygon its rings, per ring its points) and coordinates as float64
// bits, little-endian.
func EncodeMultiPolygon(mp orb.MultiPolygon) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(mp)))
	for _, p := range mp {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		for _, r := range p {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
			for _, pt := range r {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(pt[0]))
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(pt[1]))
			}
		}
	}
	return b
}

// decodeMultiPolygon reads what EncodeMultiPolygon wrote, appending its polygons to out.
func decodeMultiPolygon(b []byte, out orb.MultiPolygon) orb.MultiPolygon {
	u32 := func() int {
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return int(v)
	}
	f64 := func() float64 {
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		return v
	}
	for range u32() {
		p := make(orb.Polygon, u32())
		for ri := range p {
			r := make(orb.Ring, u32())
			for n := range r {
				r[n] = orb.Point{f64(), f64()}
			}
			p[ri] = r
		}
		out = append(out, p)
	}
	return out
}

// Within returns, for a Regional result, a view of r whose Layer and Gaps (every commune) answer
// only the regions whose window meets b (lon/lat degrees), so that a province's map contours only
// its regions: every polygon of r meeting b is in the view's (the view may hold more). Other
// results are returned as they are.
func (r *Result) Within(b orb.Bound) *Result {
	if r.regional == nil {
		return r
	}
	const steps = 16 // a lon/lat box is not a box in the engine's frame: follow its sides
	var pb orb.Bound
	for n := 0; n <= steps; n++ {
		f := float64(n) / steps
		for _, p := range []orb.Point{{b.Min[0] + f*(b.Max[0]-b.Min[0]), b.Min[1]}, {b.Min[0] + f*(b.Max[0]-b.Min[0]), b.Max[1]},
			{b.Min[0], b.Min[1] + f*(b.Max[1]-b.Min[1])}, {b.Max[0], b.Min[1] + f*(b.Max[1]-b.Min[1])}} {
			q := r.eng.tm.Forward(p)
			if n == 0 && pb.IsZero() {
				pb = orb.Bound{Min: q, Max: q}
			}
			pb = pb.Extend(q)
		}
	}
	pb = pb.Pad(1000) // the sides bulge between samples by far less than a kilometre
	within := make([]bool, len(r.plan.regions))
	for ri := range within {
		within[ri] = r.plan.regions[ri].grid.Bound().Intersects(pb)
	}
	return &Result{eng: r.eng, version: r.version, carriers: r.carriers, counts: r.counts, commune: r.commune,
		province: r.province, statsOnly: r.statsOnly, regional: r.regional, plan: r.plan, within: within,
		fields: map[fieldKey]*fieldEntry{}, bases: map[fieldKey]fieldBase{}}
}
