package coverage

import (
	"context"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data/store"
)

// LevelsAtPoints returns LevelsAt of every point of pts (nil for a point off the land), in pts'
// order. For a Regional result the points are answered region by region: each region whose
// window holds one is computed again once (kept while it fits the result's cache of regions,
// as for its layers) on the engine's workers, and a point takes the levels of the region whose
// own land holds its cell: the whole engine's levels exactly, as At. For many points (the
// hexagons' centres, the stored signal reports) this costs a region per region touched, where
// At per point computes a tile per point.
func (r *Result) LevelsAtPoints(ctx context.Context, pts []orb.Point) ([][]PointLevel, error) {
	out := make([][]PointLevel, len(pts))
	if r.regional == nil {
		for n, p := range pts {
			out[n] = r.LevelsAt(p)
		}
		return out, nil
	}
	rp := r.regional
	plan := rp.plan
	byRegion := make([][]int, len(plan.regions))
	cells := make([][2]int, len(pts))
	for n, p := range pts {
		i, j, ok := plan.whole.CellOf(plan.base.tm.Forward(p))
		if !ok {
			continue
		}
		cells[n] = [2]int{i, j}
		for ri := range plan.regions {
			if _, _, in := plan.local(ri, i, j); in {
				byRegion[ri] = append(byRegion[ri], n)
			}
		}
	}
	var regions []int
	for ri, ns := range byRegion {
		if len(ns) > 0 {
			regions = append(regions, ri)
		}
	}
	err := eachParallelErr(ctx, plan.base.opts.Workers, len(regions), func(k int) error {
		ri := regions[k]
		run, err := rp.run(ctx, ri)
		if err != nil || run == nil {
			return err
		}
		for _, n := range byRegion[ri] {
			li, lj, _ := plan.local(ri, cells[n][0], cells[n][1])
			if got := run.res.atCell(li, lj, false); got != nil { // its own land: one region at most
				out[n] = r.inCarrierOrder(got)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// local returns whole grid cell (i, j) in region ri's window, false when the window does not
// hold it.
func (p *regionPlan) local(ri, i, j int) (li, lj int, ok bool) {
	g, cellM := p.regions[ri].grid, p.whole.CellM
	li = i - int(math.Round((g.X0M-p.whole.X0M)/cellM))
	lj = j - int(math.Round((g.Y0M-p.whole.Y0M)/cellM))
	return li, lj, li >= 0 && lj >= 0 && li < g.NX && lj < g.NY
}

// inCarrierOrder returns the levels got of a region's (or a tile's) result in the order of r's
// carriers and AnyCarrier, per technology: a carrier without a site within reach of the region
// has no level there.
func (r *Result) inCarrierOrder(got []PointLevel) []PointLevel {
	var out []PointLevel
	for _, id := range append(slices.Clone(r.carriers), AnyCarrier) {
		for _, tr := range r.eng.rules {
			pl := tr.point(PointLevel{Carrier: id, Tech: tr.tech, LevelDBm: math.NaN()})
			if n := slices.IndexFunc(got, func(g PointLevel) bool { return g.Carrier == id && g.Tech == tr.tech }); n >= 0 {
				pl = got[n]
			}
			out = append(out, pl)
		}
	}
	return out
}

// NewPredictor returns a predictor over snap on the result's engine (Engine.NewPredictor). For
// a result computed region by region, whose engine holds no land raster of the whole area, the
// commune of a point's cell (which gives its land class and commune) is read from the land of
// the regions whose window holds it, rasterised again on first use and kept as runs of cells
// per row (regionPlan.communeAt): the predictions of a whole engine's predictor exactly.
func (r *Result) NewPredictor(snap *store.Snapshot) *Predictor {
	p := r.eng.NewPredictor(snap)
	if r.plan != nil {
		p.communeAt = r.plan.communeAt
	}
	return p
}

// communeRuns is one region's own land as runs along its window's rows: per row, the columns
// where a run starts (ascending) and the whole commune index of each run (−1 off its own land).
type communeRuns struct {
	start   [][]int32
	commune [][]int32
}

// at returns the whole commune index of the region's cell (li, lj) of its window.
func (c *communeRuns) at(li, lj int) int32 {
	if lj >= len(c.start) {
		return -1 // a region without land
	}
	row := c.start[lj]
	k, found := slices.BinarySearch(row, int32(li))
	if !found {
		k--
	}
	if k < 0 {
		return -1
	}
	return c.commune[lj][k]
}

// regionCommunes are a plan's communeRuns, made on first use and kept (the land does not depend
// on the sites, so the results UpdateRegions makes share them).
type regionCommunes struct {
	once sync.Once
	runs []lazyValue[*communeRuns]
}

// communeAt returns the whole commune index owning cell (i, j) of the whole grid, −1 off the
// land (or when a region's land cannot be rasterised again, which its first computation did).
func (p *regionPlan) communeAt(i, j int) int32 {
	p.communes.once.Do(func() { p.communes.runs = make([]lazyValue[*communeRuns], len(p.regions)) })
	for ri := range p.regions {
		li, lj, ok := p.local(ri, i, j)
		if !ok {
			continue
		}
		runs, err := p.communes.runs[ri].get(func() (*communeRuns, error) { return p.regionRuns(ri) })
		if err != nil || runs == nil {
			continue
		}
		if ci := runs.at(li, lj); ci >= 0 {
			return ci
		}
	}
	return -1
}

// regionRuns rasterises region ri's land again (regionLandOf) and returns its own cells as runs.
func (p *regionPlan) regionRuns(ri int) (*communeRuns, error) {
	l, err := p.regionLandOf(ri)
	if err != nil || l == nil {
		return &communeRuns{}, err
	}
	g, raster := l.Grid(), l.CommuneIndexRaster()
	c := &communeRuns{start: make([][]int32, g.NY), commune: make([][]int32, g.NY)}
	for j := range g.NY {
		prev := int32(-2)
		for i := range g.NX {
			ci := int32(-1)
			if k := raster[g.Index(i, j)]; k >= 0 {
				ci = int32(l.Whole[k])
			}
			if ci != prev {
				c.start[j], c.commune[j] = append(c.start[j], int32(i)), append(c.commune[j], ci)
				prev = ci
			}
		}
	}
	return c, nil
}
