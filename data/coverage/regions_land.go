package coverage

import (
	"context"
	"fmt"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// RegionLand is the land of one region of a result computed region by region (EachRegionLand),
// as package fibre measures reach on it (fibre.Land, fibre.Parts.Add): a window of the whole
// grid, the whole frame's projection, the communes whose bound meets the window (code order)
// and the cells of the region's own communes only; ProvinceSignedDistanceM is the signed
// distance to those own communes' outer boundary, so that what is clipped to it in one region
// meets what is clipped in the next along their border.
type RegionLand struct {
	e   *Engine
	own []orb.MultiPolygon // the own communes' projected polygons
	// Whole is, per commune of Communes, its index in the whole result's Engine().Communes()
	// when the region owns it, −1 otherwise.
	Whole []int
}

// Regions returns the number of regions of a result computed region by region (0 for one
// computed by a whole engine).
func (r *Result) Regions() int {
	if r == nil || r.plan == nil {
		return 0
	}
	return len(r.plan.regions)
}

// Region returns region ri (0 ≤ ri < Regions()) of a result computed region by region: its
// window of the whole grid, its own communes (indexes of Engine().Communes(), ascending) and
// their land cells.
func (r *Result) Region(ri int) (window geo.Grid, own []int, landCells []int) {
	rg := &r.plan.regions[ri]
	landCells = make([]int, len(rg.own))
	for n, ci := range rg.own {
		landCells[n] = r.eng.land.CommuneCells[ci]
	}
	return rg.grid, slices.Clone(rg.own), landCells
}

// EachRegionLand calls f with the land (RegionLand) of each region of regions (indexes from 0
// to Regions()), rasterised again as when the region's coverage was computed, on the engine's
// workers (Options.Workers goroutines, so f must be safe for concurrent use): memory holds a
// region's land per worker. It returns the first error of f, or ErrForeign for a result not
// computed region by region.
func (r *Result) EachRegionLand(ctx context.Context, regions []int, f func(ri int, l *RegionLand) error) error {
	if r.Regions() == 0 {
		return ErrForeign
	}
	plan := r.plan
	return eachParallelErr(ctx, plan.base.opts.Workers, len(regions), func(n int) error {
		ri := regions[n]
		l, err := plan.regionLandOf(ri)
		if err != nil || l == nil {
			return err
		}
		return f(ri, l)
	})
}

// eachParallelErr runs f for every i in [0, n) on workers goroutines (eachParallel) and returns
// ctx's error, or else the error of the first i whose f failed.
func eachParallelErr(ctx context.Context, workers, n int, f func(i int) error) error {
	errs := make([]error, n)
	eachParallel(ctx, workers, n, func() func(int) {
		return func(i int) { errs[i] = f(i) }
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// regionLandOf returns region ri's land (nil when no commune meets its window).
func (p *regionPlan) regionLandOf(ri int) (*RegionLand, error) {
	rg := &p.regions[ri]
	e, local, err := p.regionLand(rg)
	if err != nil || e == nil {
		return nil, err
	}
	l := &RegionLand{e: e, own: make([]orb.MultiPolygon, len(rg.own)), Whole: make([]int, len(e.communes))}
	for n := range l.Whole {
		l.Whole[n] = -1
	}
	for n, ci := range rg.own {
		l.Whole[local[ci]] = ci
		l.own[n] = p.projected[ci]
	}
	return l, nil
}

// Grid returns the region's window of the whole grid.
func (l *RegionLand) Grid() geo.Grid { return l.e.Grid() }

// Projection returns the whole frame's projection.
func (l *RegionLand) Projection() geo.TransverseMercator { return l.e.Projection() }

// Communes returns the communes whose bound meets the window, in code order.
func (l *RegionLand) Communes() []data.Commune { return l.e.Communes() }

// CommuneIndexRaster returns per window cell the index into Communes() of the own commune
// owning it, −1 elsewhere (see Engine.CommuneIndexRaster). It must not be modified.
func (l *RegionLand) CommuneIndexRaster() []int32 { return l.e.CommuneIndexRaster() }

// ProvinceSignedDistanceM is the signed distance from each cell centre to the outer boundary of
// the region's own communes (see Engine.ProvinceSignedDistanceM).
func (l *RegionLand) ProvinceSignedDistanceM() []float32 {
	return signedDistance(l.e.land.Grid, l.e.land.Commune, l.own)
}
