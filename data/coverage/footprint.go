package coverage

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage/contour"
	"phusong/data/land"
	"phusong/geo"
)

// Footprint is the area where one sector alone delivers at least its technology's coverage
// threshold (the rule's RequiredMedianDBm(false)), clipped to the province.
type Footprint struct {
	Site     data.SiteKey
	Sector   int // index into the site's Sectors
	CellID   string
	Tech     data.Tech
	BandMHz  float64
	Geometry orb.MultiPolygon // lon/lat, RFC 7946; empty when the sector covers no land
	AreaM2   float64          // planar area of the projected footprint, in the engine's frame
}

// Footprints returns the footprint of every sector of technology tech of the sites the engine
// counts (active ones, or planned too under Options.IncludePlanned), in input order then sector
// order; sectors whose footprint is empty are left out.
//
// Each footprint is computed on the window of the engine grid within the sector's range, with the
// engine's own per-cell level (the same sector model, land class and cell centres as Compute),
// contoured at the threshold with linear interpolation and clipped to the province like
// Result.Layer. The union of a carrier's footprints is therefore the carrier's coverage
// layer up to the interpolation inside cells where two sectors cross. It is cancellable through
// ctx and runs on the engine's workers. A site whose sectors cannot be modelled fails with a
// *SectorError; a technology not analysed gives ErrNoLayer.
func (e *Engine) Footprints(ctx context.Context, sites []data.Site, tech data.Tech) ([]Footprint, error) {
	ti := techIndex(tech)
	if ti < 0 {
		return nil, fmt.Errorf("%w: technology %q is not analysed", ErrNoLayer, tech)
	}
	type job struct {
		site   int
		sector int // index into Sectors
		model  *sectorModel
	}
	var jobs []job
	for si := range sites {
		s := &sites[si]
		if !e.counts(s) || !s.HasTech(tech) {
			continue
		}
		m, err := e.modelSite(s)
		if err != nil {
			return nil, err
		}
		n := 0
		for k := range s.Sectors {
			if s.Sectors[k].Tech == tech {
				jobs = append(jobs, job{site: si, sector: k, model: &m.sectors[ti][n]})
				n++
			}
		}
	}
	e.boundaries() // build the land-class rasters once, before the workers share them
	out := make([]Footprint, len(jobs))
	eachParallel(ctx, e.opts.Workers, len(jobs), func() func(int) {
		return func(j int) {
			mp := e.sectorFootprint(jobs[j].model, ti)
			s := &sites[jobs[j].site]
			sec := &s.Sectors[jobs[j].sector]
			out[j] = Footprint{Site: s.Key(), Sector: jobs[j].sector, CellID: sec.CellID, Tech: tech,
				BandMHz: sec.BandMHz, AreaM2: geo.PlanarAreaM2(mp), Geometry: geo.LonLatMultiPolygon(e.tm, mp)}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	kept := out[:0]
	for _, f := range out {
		if len(f.Geometry) > 0 {
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// sectorFootprint contours sector sm of technology index ti over its window (projected).
func (e *Engine) sectorFootprint(sm *sectorModel, ti int) orb.MultiPolygon {
	g := e.land.Grid
	rM := sm.rM + g.CellM
	i0, i1 := land.CentresIn(g.X0M, g.CellM, sm.x-rM, sm.x+rM, g.NX)
	j0, j1 := land.CentresIn(g.Y0M, g.CellM, sm.y-rM, sm.y+rM, g.NY)
	bc := e.boundaries()
	w := contour.NewWindow(g, land.CellRect{I0: i0 - contour.WindowPad, J0: j0 - contour.WindowPad, I1: i1 + contour.WindowPad, J1: j1 + contour.WindowPad}.Intersect(bc.provWin.Rect))
	if w.Grid.Len() == 0 {
		return nil
	}
	tr := &e.rules[ti]
	n := w.Grid.Len()
	far := contour.FarOutside(g.CellM)
	dist0, dist1, vals, other := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	margin := func(dx, dy float64, cls uint8) float32 {
		lv := sm.levelDBm(dx, dy, dx*dx+dy*dy, cls)
		if math.IsInf(lv, -1) {
			lv = tr.cutoff
		}
		return contour.DistanceMargin(float32(lv - tr.requiredOut))
	}
	nan := float32(math.NaN())
	nx := w.Grid.NX
	for j := range w.Grid.NY { // w lies in the province window: its rows are runs of it
		pk := bc.provWin.Index(w.Rect.I0, w.Rect.J0+j)
		bc.classRows(pk, dist0[j*nx:(j+1)*nx], dist1[j*nx:(j+1)*nx])
	}
	dist := [2][]float32{dist0, dist1}
	for wk := range vals {
		i, j := w.Rect.I0+wk%w.Grid.NX, w.Rect.J0+wk/w.Grid.NX
		other[wk] = nan
		if dist0[wk] <= 0 && dist1[wk] <= 0 {
			continue // outside the province: contour.ClipClassMargins sets the value
		}
		c := g.Center(i, j)
		dx, dy := c[0]-sm.x, c[1]-sm.y
		cls := e.landClass(g.Index(i, j))
		vals[wk] = margin(dx, dy, cls)
		if dist[1-cls][wk] != far {
			other[wk] = margin(dx, dy, 1-cls)
		}
	}
	contour.ClipClassMargins(w, vals, other, dist0, dist1)
	return geo.ContourPolygons(w.Grid, vals, 0)
}

// landClass returns the propagation land class of grid cell gk as the engine's cellWard: 1 on
// ward land, 0 elsewhere (commune land and outside the province).
func (e *Engine) landClass(gk int) uint8 {
	if ci := e.land.Commune[gk]; ci >= 0 {
		return e.communeClass(int(ci))
	}
	return 0
}
