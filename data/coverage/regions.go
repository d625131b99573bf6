package coverage

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/store"
	"phusong/geo"
)

// ErrStatsOnly is returned by the level and polygon accessors of a statistics-only Result
// (ComputeRegions): its levels were dropped region by region.
var ErrStatsOnly = errors.New("coverage: the result holds statistics only (computed region by region)")

// DefaultRegionCells is ComputeRegions' default region size: about a million grid cells
// (50 × 50 km at 50 m). Measured on the 3-province national set (13,278 sites, 21 M grid
// cells, 2 cores): 1 M-cell regions peak at 281 MB RSS and 10.2 s CPU, 2 M at 372 MB and
// 8.6 s, 4 M at 566 MB and 8.2 s; the whole grid at once took 1,289 MB and 7.0 s.
const DefaultRegionCells = 1_000_000

// RegionReport says how ComputeRegions cut the work.
type RegionReport struct {
	Regions   int // regions computed
	GridCells int // cells of the whole grid (its bounding box)
	MaxCells  int // grid cells of the largest region (its window)
	LandCells int // land cells, summed over the regions' own communes
	// Recomputed is, after an update (UpdateRegions through app.State.WithSites), how many
	// regions the last change computed again; 0 after a full computation.
	Recomputed int
}

// ComputeRegions computes the per-commune and province statistics of sites over communes
// region by region, holding the levels of one region at a time, so memory follows the
// largest region instead of the whole extent (a country at 50 m does not fit a whole grid).
// The statistics equal those of New(communes, def, opts) + Compute over a store of the same
// sites exactly, for cell sizes in whole metres (see below).
//
// Regions: the whole grid (geo.NewGrid over the communes' projected bound in the engine's
// frame, the local TM at the centre of their lon/lat bound) is cut into squares of about
// regionCells cells (≤ 0 = DefaultRegionCells), whole tiles on a side; each commune belongs to
// the square holding the centre of its projected bound. A region's engine uses the whole
// frame and a window of the whole grid aligned to its tiles (the window of its own communes'
// bounds), so every cell has the same centre (exactly, for whole-metre cells: every
// coordinate is then a whole multiple of half a cell) and the same tile as in the whole
// engine; it rasterises its own communes and every other commune whose bound meets the
// window, so that where communes overlap, a cell goes to the same (first) commune, then keeps
// its own communes' cells only (land.RasteriseOwn), so it evaluates only their tiles. Its store
// holds the sites whose reach (Engine.Reach) meets the window. Only the own communes'
// integer counts are kept; they are summed and turned into statistics as Compute does.
//
// The Result holds statistics only (StatsOnly): Layer, Gaps, Field, At and WarmLayers answer
// ErrStatsOnly or nothing. A population grid (Options.Population) is not supported yet.
func ComputeRegions(ctx context.Context, communes []data.Commune, def *Definition, opts Options,
	sites []data.Site, regionCells int) (*Result, *RegionReport, error) {
	return computeRegions(ctx, communes, def, opts, sites, regionCells, false)
}

// ServeRegions is ComputeRegions keeping, besides the statistics, what the map serves: every
// region's coverage layers (each carrier with counted sites and AnyCarrier, each computed
// technology, every tier) and its own communes' gaps (DefaultMinGapAreaM2), contoured on the
// region's engine (on Options.Workers goroutines) and clipped to the region's own communes, so
// the regions' pieces of a layer meet along commune borders without overlapping. The Result
// is Regional: Layer and Gaps answer from those polygons; its levels are dropped (Field, At and
// the other level readers answer nothing or ErrStatsOnly, as for ComputeRegions).
//
// Inside a region the polygons are those of a whole engine over the region's own communes:
// they differ from a whole engine's over every commune only near the borders between regions,
// where the region's contour follows the border (as a whole engine's does at the province edge).
func ServeRegions(ctx context.Context, communes []data.Commune, def *Definition, opts Options,
	sites []data.Site, regionCells int) (*Result, *RegionReport, error) {
	return computeRegions(ctx, communes, def, opts, sites, regionCells, true)
}

// computeRegions is ComputeRegions, keeping the polygons of ServeRegions when keep is set.
func computeRegions(ctx context.Context, communes []data.Commune, def *Definition, opts Options,
	sites []data.Site, regionCells int, keep bool) (*Result, *RegionReport, error) {
	plan, err := newRegionPlan(communes, def, opts, regionCells)
	if err != nil {
		return nil, nil, err
	}
	base, whole, keys := plan.base, plan.whole, plan.regions
	ps := plan.place(sites)
	var counted []*data.Site
	for i := range sites {
		if base.counts(&sites[i]) {
			counted = append(counted, &sites[i])
		}
	}
	carriers := carrierOrder(counted)
	merged := &Result{eng: base, version: 1, carriers: carriers, statsOnly: true, plan: plan,
		fields: map[fieldKey]*fieldEntry{}, bases: map[fieldKey]fieldBase{}}
	if keep {
		rp, err := newRegionPolygons()
		if err != nil {
			return nil, nil, err
		}
		merged.regional = rp
	}
	merged.counts = make([]communeCounts, len(base.communes))
	for ci := range merged.counts {
		merged.counts[ci] = newCounts(len(base.rules), len(carriers))
	}
	cells := make([]int, len(base.communes))
	rep := &RegionReport{Regions: len(keys), GridCells: whole.NX * whole.NY}
	for r := range plan.regions {
		rep.MaxCells = max(rep.MaxCells, plan.regions[r].grid.Len())
		if err := merged.computeRegion(ctx, r, ps, cells); err != nil {
			return nil, nil, err
		}
	}
	for _, n := range cells {
		rep.LandCells += n
	}
	base.land = &land.Land{Grid: whole, CommuneCells: cells}
	all := make([]bool, len(base.communes))
	for ci := range all {
		all[ci] = true
	}
	merged.buildStats(all)
	return merged, rep, nil
}

// newRegionPlan cuts communes into regions of about regionCells grid cells (≤ 0 =
// DefaultRegionCells), as ComputeRegions describes.
func newRegionPlan(communes []data.Commune, def *Definition, opts Options, regionCells int) (*regionPlan, error) {
	if opts.Population != nil {
		return nil, fmt.Errorf("%w: a population grid is not supported region by region yet", ErrOptions)
	}
	if regionCells <= 0 {
		regionCells = DefaultRegionCells
	}
	base, projected, pBound, err := prepare(communes, def, opts)
	if err != nil {
		return nil, err
	}
	cellM := base.opts.CellM
	whole := geo.NewGrid(pBound, cellM)
	if whole.NX <= 0 || whole.NY <= 0 {
		return nil, fmt.Errorf("%w: no %g m grid over %v", ErrOptions, cellM, pBound)
	}
	side := max(land.TileCells, int(math.Round(math.Sqrt(float64(regionCells))/land.TileCells))*land.TileCells)
	regions := map[[2]int][]int{}
	bounds := make([]orb.Bound, len(projected))
	for ci, mp := range projected {
		bounds[ci] = mp.Bound()
		c := bounds[ci].Center()
		i := min(max(int(math.Floor((c[0]-whole.X0M)/cellM)), 0), whole.NX-1)
		j := min(max(int(math.Floor((c[1]-whole.Y0M)/cellM)), 0), whole.NY-1)
		k := [2]int{j / side, i / side}
		regions[k] = append(regions[k], ci)
	}
	keys := make([][2]int, 0, len(regions))
	for k := range regions {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	plan := &regionPlan{base: base, projected: projected, bounds: bounds, whole: whole}
	for _, k := range keys {
		plan.regions = append(plan.regions, plan.region(regions[k]))
	}
	return plan, nil
}

// regionPlan is how computeRegions cut the communes into regions; the result keeps it (for
// UpdateRegions).
type regionPlan struct {
	base      *Engine // the whole frame: projection, rules, tables; no land
	projected []orb.MultiPolygon
	bounds    []orb.Bound // of projected
	whole     geo.Grid
	regions   []region
}

// region is one region: its own communes (whole indexes, ascending) and its window of the
// whole grid.
type region struct {
	own  []int
	grid geo.Grid
}

// region returns the region of the own communes: its window is whole tiles of the whole grid
// around their bounds.
func (p *regionPlan) region(own []int) region {
	cellM, whole := p.whole.CellM, p.whole
	ob := p.bounds[own[0]]
	for _, ci := range own[1:] {
		ob = ob.Union(p.bounds[ci])
	}
	i0, i1 := land.CentresIn(whole.X0M, cellM, ob.Min[0], ob.Max[0], whole.NX)
	j0, j1 := land.CentresIn(whole.Y0M, cellM, ob.Min[1], ob.Max[1], whole.NY)
	i0, j0 = i0/land.TileCells*land.TileCells, j0/land.TileCells*land.TileCells
	i1, j1 = min(whole.NX, max(i1, i0+1)), min(whole.NY, max(j1, j0+1))
	x0 := whole.X0M/cellM + float64(i0)
	y0 := whole.Y0M/cellM + float64(j0)
	return region{own: own, grid: geo.Grid{X0M: x0 * cellM, Y0M: y0 * cellM, CellM: cellM, NX: i1 - i0, NY: j1 - j0}}
}

// placedSites are sites with their projected positions and reaches (Engine.Reach: the same in
// every region).
type placedSites struct {
	sites  []data.Site
	xy     []orb.Point
	reachM []float64
	reach  map[data.SiteKey]float64
}

// place projects sites and measures their reach, once.
func (p *regionPlan) place(sites []data.Site) *placedSites {
	ps := &placedSites{sites: sites, xy: make([]orb.Point, len(sites)), reachM: make([]float64, len(sites)),
		reach: make(map[data.SiteKey]float64, len(sites))}
	for i := range sites {
		s := &sites[i]
		ps.xy[i], ps.reachM[i] = p.base.tm.Forward(orb.Point{s.Lon, s.Lat}), p.base.Reach(s)
		ps.reach[s.Key()] = ps.reachM[i]
	}
	return ps
}

// reaches reports whether a site at xy with reachM may cover a cell of region rg: the sites a
// region's store holds.
func (p *regionPlan) reaches(rg *region, xy orb.Point, reachM float64) bool {
	return rg.grid.Bound().Pad(reachM + p.whole.CellM).Contains(xy)
}

// computeRegion computes region ri of r's plan over the placed sites: its own communes'
// counts go into r.counts (replacing theirs) and their land cells into cells, and with
// polygons kept (r.regional) its layers and gaps replace the region's earlier ones.
func (r *Result) computeRegion(ctx context.Context, ri int, ps *placedSites, cells []int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	base, plan := r.eng, r.plan
	rg := &plan.regions[ri]
	wb := rg.grid.Bound()
	var members []int // every commune whose bound meets the window, code order
	for ci := range plan.bounds {
		if plan.bounds[ci].Intersects(wb) {
			members = append(members, ci)
		}
	}
	e := &Engine{def: base.def, opts: base.opts, tm: base.tm, rules: base.rules, antenna: base.antenna,
		tables: base.tables}
	proj := make([]orb.MultiPolygon, len(members))
	local := make(map[int]int, len(members)) // whole index → member index
	for n, ci := range members {
		e.communes = append(e.communes, base.communes[ci])
		e.polyArea = append(e.polyArea, base.polyArea[ci])
		proj[n] = plan.projected[ci]
		local[ci] = n
	}
	e.own = make([]bool, len(members))
	for _, ci := range rg.own {
		e.own[local[ci]] = true
	}
	if err := e.rasterise(rg.grid, proj); err != nil {
		return err
	}
	st := store.New(func(s *data.Site) float64 { return ps.reach[s.Key()] })
	lists := map[string][]data.Site{}
	for i := range ps.sites {
		if plan.reaches(rg, ps.xy[i], ps.reachM[i]) {
			lists[ps.sites[i].Carrier] = append(lists[ps.sites[i].Carrier], ps.sites[i])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(lists)) {
		if _, err := st.ReplaceCarrier(id, lists[id]); err != nil {
			return fmt.Errorf("coverage: region sites of %s: %w", id, err)
		}
	}
	res, err := e.Compute(ctx, st.Snapshot())
	if err != nil {
		return err
	}
	remap := make([]int, len(res.carriers))
	for c, id := range res.carriers {
		remap[c] = slices.Index(r.carriers, id)
	}
	for _, ci := range rg.own {
		n := local[ci]
		r.counts[ci] = newCounts(len(base.rules), len(r.carriers))
		r.counts[ci].add(&res.counts[n], remap)
		cells[ci] = e.land.CommuneCells[n]
	}
	if r.regional != nil {
		if err := r.regional.keep(ctx, ri, res, rg.own, local); err != nil {
			return err
		}
	}
	// The region's levels, land and store are garbage now: collect them before the next
	// region allocates its own, so that the heap holds one region, not two.
	res, e, st = nil, nil, nil
	runtime.GC()
	return nil
}

// UpdateRegions returns the Regional result prev (ServeRegions) after a change of its sites:
// sites is the whole new list, changed the sites the change added, removed or modified (either
// version; store.Change.Affected). Only the regions whose store holds one of changed (before
// or after) are computed again, so the statistics and polygons equal ServeRegions over sites
// exactly. prev is not modified and stays valid. When the carriers with counted sites change,
// every region is computed again. It fails with ErrForeign for a result not from ServeRegions.
func UpdateRegions(ctx context.Context, prev *Result, sites []data.Site, changed []*data.Site) (*Result, []int, error) {
	if prev == nil || prev.regional == nil {
		return nil, nil, ErrForeign
	}
	plan := prev.plan
	base := prev.eng
	var counted []*data.Site
	for i := range sites {
		if base.counts(&sites[i]) {
			counted = append(counted, &sites[i])
		}
	}
	r := &Result{eng: base, version: prev.version + 1, carriers: carrierOrder(counted), statsOnly: true, plan: plan,
		fields: map[fieldKey]*fieldEntry{}, bases: map[fieldKey]fieldBase{}}
	redo := make([]bool, len(plan.regions))
	if slices.Equal(r.carriers, prev.carriers) {
		r.counts = slices.Clone(prev.counts)
		for _, s := range changed {
			xy, reachM := base.tm.Forward(orb.Point{s.Lon, s.Lat}), base.Reach(s)
			for ri := range plan.regions {
				redo[ri] = redo[ri] || plan.reaches(&plan.regions[ri], xy, reachM)
			}
		}
	} else {
		r.counts = make([]communeCounts, len(base.communes))
		for ri := range redo {
			redo[ri] = true
		}
	}
	r.regional = prev.regional.without(plan, redo)
	cells := slices.Clone(base.land.CommuneCells)
	ps := plan.place(sites)
	var done []int
	for ri, again := range redo {
		if again {
			if err := r.computeRegion(ctx, ri, ps, cells); err != nil {
				return nil, nil, err
			}
			done = append(done, ri)
		}
	}
	for _, spans := range r.regional.layers { // region order, as ServeRegions writes them
		slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.region, b.region) })
	}
	all := make([]bool, len(base.communes))
	for ci := range all {
		all[ci] = true
	}
	r.buildStats(all)
	return r, done, nil
}

// StatsOnly reports whether r holds statistics only (ComputeRegions): no levels or polygons.
func (r *Result) StatsOnly() bool { return r.statsOnly }

// Regional reports whether r was computed region by region keeping the map's polygons
// (ServeRegions): Layer and Gaps answer, the level readers do not.
func (r *Result) Regional() bool { return r.regional != nil }

// regionPolygons are the polygons a Regional result keeps: every layer, its regions' pieces
// spilled to an unlinked temporary file (a country's layers at full detail take gigabytes) and
// read back when asked, and every commune's gaps at DefaultMinGapAreaM2 in memory, in the whole
// frame.
type regionPolygons struct {
	spill  *spillFile
	layers map[layerKey][]span // the regions' pieces, in region order
	gaps   map[gapKey]orb.MultiPolygon
	stored *storedLayers // where the pieces of stored spans are read (AssembleRegions); nil otherwise
}

// spillFile is the unlinked file of the layers, shared by a result and those UpdateRegions
// made from it (each reads its own spans); it is closed once none of them is reachable.
type spillFile struct {
	f    *os.File
	mu   sync.Mutex // guards size
	size int64
}

// span is one encoded MultiPolygon in the spill file: a piece of a layer from region.
type span struct {
	region int
	off, n int64
	stored bool // kept outside (a database, storedLayers), not in the spill file
}

// newRegionPolygons creates the spill file in the system's temporary directory.
func newRegionPolygons() (*regionPolygons, error) {
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
	return &regionPolygons{spill: sf, layers: map[layerKey][]span{}, gaps: map[gapKey]orb.MultiPolygon{}}, nil
}

// without returns a copy of rp without the pieces and gaps of the regions marked in redo.
func (rp *regionPolygons) without(plan *regionPlan, redo []bool) *regionPolygons {
	out := &regionPolygons{spill: rp.spill, stored: rp.stored,
		layers: make(map[layerKey][]span, len(rp.layers)), gaps: make(map[gapKey]orb.MultiPolygon, len(rp.gaps))}
	for k, spans := range rp.layers {
		out.layers[k] = slices.DeleteFunc(slices.Clone(spans), func(s span) bool { return redo[s.region] })
	}
	dropped := map[int]bool{}
	for ri, again := range redo {
		if again {
			for _, ci := range plan.regions[ri].own {
				dropped[ci] = true
			}
		}
	}
	for k, mp := range rp.gaps {
		if !dropped[k.commune] {
			out.gaps[k] = mp
		}
	}
	return out
}

// layer reads layer k back: its regions' pieces, in region order (nil when empty).
func (rp *regionPolygons) layer(k layerKey) (orb.MultiPolygon, error) {
	var out orb.MultiPolygon
	var buf []byte
	stored, err := rp.stored.read(k, rp.layers[k])
	if err != nil {
		return nil, err
	}
	for _, s := range rp.layers[k] {
		if s.stored {
			out = decodeMultiPolygon(stored[s.region], out)
			continue
		}
		buf = slices.Grow(buf[:0], int(s.n))[:s.n]
		if _, err := rp.spill.f.ReadAt(buf, s.off); err != nil {
			return nil, fmt.Errorf("coverage: reading region layer: %w", err)
		}
		out = decodeMultiPolygon(buf, out)
	}
	return out, nil
}

// write appends mp to the spill file and returns where it is, as a piece of region ri.
func (rp *regionPolygons) write(ri int, mp orb.MultiPolygon) (span, error) {
	b := encodeMultiPolygon(mp)
	sf := rp.spill
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if _, err := sf.f.WriteAt(b, sf.size); err != nil {
		return span{}, fmt.Errorf("coverage: writing region layer: %w", err)
	}
	sp := span{region: ri, off: sf.size, n: int64(len(b))}
	sf.size += sp.n
	return sp, nil
}

// encodeMultiPolygon writes mp exactly: counts as uint32 (polygons, then per polygon its rings,
// per ring its points) and coordinates as float64 bits, little-endian.
func encodeMultiPolygon(mp orb.MultiPolygon) []byte {
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

// decodeMultiPolygon reads what encodeMultiPolygon wrote, appending its polygons to out.
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

// keep contours the layers and own communes' gaps of region ri's result res (own: whole
// commune indexes; local: whole index → the region's) on res's engine workers and adds them to
// rp. A tier at the coverage threshold's level (the weakest tier usually is) is contoured once.
func (rp *regionPolygons) keep(ctx context.Context, ri int, res *Result, own []int, local map[int]int) error {
	e := res.eng
	var layers []layerKey
	alias := map[layerKey]layerKey{} // a tier at tier 0's level → tier 0
	for ti, tr := range e.rules {
		if !e.computes(ti) {
			continue
		}
		for _, c := range append(res.Carriers(), AnyCarrier) {
			layers = append(layers, layerKey{c, tr.tech, 0})
			for tier, thr := range tr.rule.TiersDBm {
				if thr == tr.requiredOut {
					alias[layerKey{c, tr.tech, tier + 1}] = layerKey{c, tr.tech, 0}
					continue
				}
				layers = append(layers, layerKey{c, tr.tech, tier + 1})
			}
		}
	}
	type gapJob struct {
		key   gapKey // whole commune index
		local int
		ti    int
	}
	var gaps []gapJob
	for ti, tr := range e.rules {
		if !e.computes(ti) {
			continue
		}
		for _, ci := range own {
			gaps = append(gaps, gapJob{gapKey{tr.tech, ci, DefaultMinGapAreaM2}, local[ci], ti})
		}
	}
	out := make([]orb.MultiPolygon, len(layers)+len(gaps))
	eachParallel(ctx, e.opts.Workers, len(out), func() func(int) {
		return func(n int) {
			if n < len(layers) {
				out[n] = res.fullLayer(layers[n])
				return
			}
			g := gaps[n-len(layers)]
			thr := e.rules[g.ti].requiredOut
			out[n] = res.gapPolygons(gapKey{g.key.tech, g.local, g.key.minAreaM2}, g.ti, thr)
		}
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	spans := map[layerKey]span{}
	for n, k := range layers {
		if len(out[n]) > 0 {
			sp, err := rp.write(ri, out[n])
			if err != nil {
				return err
			}
			spans[k] = sp
			rp.layers[k] = append(rp.layers[k], sp)
		}
	}
	for k, to := range alias { // the same piece, read from the same bytes
		if sp, ok := spans[to]; ok {
			rp.layers[k] = append(rp.layers[k], sp)
		}
	}
	for n, g := range gaps {
		if mp := out[len(layers)+n]; len(mp) > 0 {
			rp.gaps[g.key] = mp
		}
	}
	return nil
}

// GridCells returns the number of cells of the whole grid over communes (New's, before its
// limit), the size ComputeRegions cuts into regions.
func GridCells(communes []data.Commune, def *Definition, opts Options) (int, error) {
	_, _, pBound, err := prepare(communes, def, opts)
	if err != nil {
		return 0, err
	}
	g := geo.NewGrid(pBound, cmp.Or(opts.CellM, DefaultCellM))
	return g.NX * g.NY, nil
}
