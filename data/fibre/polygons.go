package fibre

import (
	"sync"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// minSampleGapM keeps every contour vertex at least this far from the cell centres of its
// grid edge: samples within it of the level are moved to ±minSampleGapM. The contoured field
// changes by at most one metre per metre, so a crossing is then at least minSampleGapM from
// either end of its edge, and distinct rings stay more than twice the 6-decimal rounding of
// RFC 7946 output (0.11 m) apart. The reach edge moves by at most this much.
const minSampleGapM = 0.5

// lazyPolygons is one operator's reach geometry, built on first use.
type lazyPolygons struct {
	once sync.Once
	mp   orb.MultiPolygon
}

// Polygons returns the land in reach of operator (or AnyOperator) at full detail in projected
// metres (Projection): the contour at 0 of min(DropM − distance, signed distance to the
// province boundary) between cell centres (linear interpolation: the drop buffer's edge, not a
// staircase of cells), clipped to the province (see Land for the clipping without a boundary
// distance); counter-clockwise exteriors, clockwise holes, nil when nothing is in reach. It is
// built once per Reach and shared: callers must not modify it. data/render turns it into
// GeoJSON. An operator without fibre in the network gives ErrNoLayer.
func (r *Reach) Polygons(operator string) (orb.MultiPolygon, error) {
	l, err := r.layerOf(operator)
	if err != nil {
		return nil, err
	}
	v, _ := r.polys.LoadOrStore(operator, &lazyPolygons{})
	lp := v.(*lazyPolygons)
	lp.once.Do(func() { lp.mp = r.contour(l) })
	return lp.mp, nil
}

// contour returns l's reach area in projected metres (see Polygons).
func (r *Reach) contour(l *layer) orb.MultiPolygon {
	g := r.grid
	R := float32(r.radiusM())
	drop := float32(r.opts.DropM)
	half := float32(g.CellM / 2)
	vals := make([]float32, g.Len())
	for j := range g.NY {
		for i := range g.NX {
			k := g.Index(i, j)
			v := drop - min(l.dist.at(i, j), R)
			switch {
			case r.sd != nil:
				v = min(v, r.sd[k])
			case r.raster[k] < 0:
				v = min(v, -half)
			}
			vals[k] = awayFromLevel(v)
		}
	}
	return geo.ContourPolygons(g, vals, 0)
}

// awayFromLevel moves v out of (−minSampleGapM, minSampleGapM): 0 and small positives to
// +minSampleGapM, small negatives to −minSampleGapM.
func awayFromLevel(v float32) float32 {
	switch {
	case v >= 0 && v < minSampleGapM:
		return minSampleGapM
	case v < 0 && v > -minSampleGapM:
		return -minSampleGapM
	}
	return v
}
