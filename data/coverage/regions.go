package coverage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"

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
	merged := plan.result(sites, 1)
	carriers := merged.carriers
	if keep {
		rp, err := newRegionPolygons(plan, ps)
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
	all := make([]int, len(plan.regions))
	for r := range plan.regions {
		rep.MaxCells = max(rep.MaxCells, plan.regions[r].grid.Len())
		all[r] = r
	}
	if err := merged.computeEach(ctx, all, ps, cells); err != nil {
		return nil, nil, err
	}
	for _, n := range cells {
		rep.LandCells += n
	}
	base.land = &land.Land{Grid: whole, CommuneCells: cells}
	merged.buildStats(everyCommune(len(base.communes)))
	return merged, rep, nil
}

// everyCommune marks each of n communes (buildStats of every commune).
func everyCommune(n int) []bool {
	all := make([]bool, n)
	for ci := range all {
		all[ci] = true
	}
	return all
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
	plan.regionOf = make([]int, len(projected))
	for ri, k := range keys {
		plan.regions = append(plan.regions, plan.region(regions[k]))
		for _, ci := range regions[k] {
			plan.regionOf[ci] = ri
		}
	}
	return plan, nil
}

// result is an empty regional Result of plan at version for sites, its carriers those with
// counted sites.
func (plan *regionPlan) result(sites []data.Site, version uint64) *Result {
	var counted []*data.Site
	for i := range sites {
		if plan.base.counts(&sites[i]) {
			counted = append(counted, &sites[i])
		}
	}
	return &Result{eng: plan.base, version: version, carriers: carrierOrder(counted), statsOnly: true, plan: plan,
		fields: map[fieldKey]*fieldEntry{}, bases: map[fieldKey]fieldBase{}}
}

// regionPlan is how computeRegions cut the communes into regions; the result keeps it (for
// UpdateRegions).
type regionPlan struct {
	base      *Engine // the whole frame: projection, rules, tables; no land
	projected []orb.MultiPolygon
	bounds    []orb.Bound // of projected
	whole     geo.Grid
	regions   []region
	regionOf  []int          // per commune, its region
	communes  regionCommunes // the regions' own land as runs, for Result.NewPredictor
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

// computeEach computes the regions listed (computeRegion), one after another in the order
// listed, with a regionCollector asked after each.
func (r *Result) computeEach(ctx context.Context, regions []int, ps *placedSites, cells []int) error {
	gc := newRegionCollector()
	defer gc.stop()
	for _, ri := range regions {
		if err := r.computeRegion(ctx, ri, ps, cells); err != nil {
			return err
		}
		gc.ask()
	}
	return nil
}

// regionCollector collects a computed region's garbage (its levels, land and store) so that
// the heap holds about one region besides what is kept, but the next region does not wait for
// it: the collection marks the whole live heap (≈ 330 MB on the national set) on the core a
// region's one-core steps (its land, store and uncovered pieces) leave idle. stop ends it.
type regionCollector chan struct{}

func newRegionCollector() regionCollector {
	c := make(regionCollector, 1) // a collection asked for; one waits at most
	go func() {
		for range c {
			runtime.GC()
		}
	}()
	return c
}

// ask asks for a collection after a region; when one is asked for and not started yet, it
// collects this region too.
func (c regionCollector) ask() {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (c regionCollector) stop() { close(c) }

// computeRegion computes region ri of r's plan over the placed sites: its own communes'
// counts go into r.counts (replacing theirs) and their land cells into cells, and with
// polygons kept (r.regional) the map's first layers of the region are contoured (the others
// are contoured when asked, regionPolygons.layer).
func (r *Result) computeRegion(ctx context.Context, ri int, ps *placedSites, cells []int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	run, err := r.plan.regionResult(ctx, &r.plan.regions[ri], ps)
	if err != nil {
		return err
	}
	return r.takeRegion(ctx, ri, run, cells)
}

// takeRegion takes region ri's computation run into r: its own communes' counts go into
// r.counts (replacing theirs) and their land cells into cells, and with polygons kept
// (r.regional) the map's first layers of the region are contoured and its uncovered land
// labelled (keepUncovered).
func (r *Result) takeRegion(ctx context.Context, ri int, run *regionRun, cells []int) error {
	base, rg, res := r.eng, &r.plan.regions[ri], run.res
	remap := make([]int, len(res.carriers))
	for c, id := range res.carriers {
		remap[c] = slices.Index(r.carriers, id)
	}
	for _, ci := range rg.own {
		n := run.local[ci]
		r.counts[ci] = newCounts(len(base.rules), len(r.carriers))
		r.counts[ci].add(&res.counts[n], remap)
		cells[ci] = res.eng.land.CommuneCells[n]
	}
	if r.regional != nil {
		r.regional.keepUncovered(ri, run)
		return r.regional.first(ctx, ri, res)
	}
	return nil
}

// regionRun is the whole coverage of one region: its engine's result and, per whole commune
// index of its members, the engine's index.
type regionRun struct {
	res   *Result
	local map[int]int
	bytes int64 // about what res holds (regionResults' budget)
}

// regionResult computes region rg over the placed sites: an engine over the whole frame and
// rg's window, with every commune whose bound meets the window (so that overlaps go to the
// same commune as in a whole engine), keeping the cells of rg's own communes (every member
// when rg.own is nil), and a store of the sites whose reach meets the window. It returns nil
// when no commune meets the window.
func (p *regionPlan) regionResult(ctx context.Context, rg *region, ps *placedSites) (*regionRun, error) {
	e, local, err := p.regionLand(rg)
	if err != nil || e == nil {
		return nil, err
	}
	st := store.New(func(s *data.Site) float64 { return ps.reach[s.Key()] })
	lists := map[string][]data.Site{}
	for i := range ps.sites {
		if p.reaches(rg, ps.xy[i], ps.reachM[i]) {
			lists[ps.sites[i].Carrier] = append(lists[ps.sites[i].Carrier], ps.sites[i])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(lists)) {
		if _, err := st.ReplaceCarrier(id, lists[id]); err != nil {
			return nil, fmt.Errorf("coverage: region sites of %s: %w", id, err)
		}
	}
	res, err := e.Compute(ctx, st.Snapshot())
	if err != nil {
		return nil, err
	}
	layers := 0
	for ti := range e.rules {
		if e.computes(ti) {
			layers += len(res.carriers)
		}
	}
	// The land raster and boundary rasters (a few float32s a cell of the window) and the
	// levels (float32 and uint16 a land cell a layer).
	bytes := int64(rg.grid.Len())*16 + int64(len(e.land.CellI))*int64(layers)*6
	return &regionRun{res: res, local: local, bytes: bytes}, nil
}

// regionLand returns an engine over the whole frame and rg's window with every commune whose
// bound meets the window, its land keeping the cells of rg's own communes (every member when
// rg.own is nil), and per whole commune index of its members the engine's index; nil when no
// commune meets the window.
func (p *regionPlan) regionLand(rg *region) (*Engine, map[int]int, error) {
	base := p.base
	wb := rg.grid.Bound()
	var members []int // every commune whose bound meets the window, code order
	for ci := range p.bounds {
		if p.bounds[ci].Intersects(wb) {
			members = append(members, ci)
		}
	}
	if len(members) == 0 {
		return nil, nil, nil
	}
	e := &Engine{def: base.def, opts: base.opts, tm: base.tm, rules: base.rules, antenna: base.antenna,
		tables: base.tables}
	proj := make([]orb.MultiPolygon, len(members))
	local := make(map[int]int, len(members)) // whole index → member index
	for n, ci := range members {
		e.communes = append(e.communes, base.communes[ci])
		e.polyArea = append(e.polyArea, base.polyArea[ci])
		proj[n] = p.projected[ci]
		local[ci] = n
	}
	e.own = make([]bool, len(members))
	for n := range e.own {
		e.own[n] = rg.own == nil
	}
	for _, ci := range rg.own {
		e.own[local[ci]] = true
	}
	if err := e.rasterise(rg.grid, proj); err != nil {
		return nil, nil, err
	}
	return e, local, nil
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
	r := plan.result(sites, prev.version+1)
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
	ps := plan.place(sites)
	r.regional = prev.regional.without(redo, ps)
	cells := slices.Clone(base.land.CommuneCells)
	var done []int
	for ri, again := range redo {
		if again {
			done = append(done, ri)
		}
	}
	if err := r.computeEach(ctx, done, ps, cells); err != nil {
		return nil, nil, err
	}
	r.buildStats(everyCommune(len(base.communes)))
	return r, done, nil
}

// StatsOnly reports whether r holds statistics only (ComputeRegions): no levels or polygons.
func (r *Result) StatsOnly() bool { return r.statsOnly }

// Regional reports whether r was computed region by region keeping the map's polygons
// (ServeRegions): Layer and Gaps answer, the level readers do not.
func (r *Result) Regional() bool { return r.regional != nil }

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
