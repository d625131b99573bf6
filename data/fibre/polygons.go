package fibre

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/geo"
)

// maxZoom bounds the zoom levels ReachGeoJSON simplifies for; higher zooms get maxZoom's.
const maxZoom = 22

// minSampleGapM keeps every contour vertex at least this far from the cell centres of its
// grid edge: samples within it of the level are moved to ±minSampleGapM. The contoured field
// changes by at most one metre per metre, so a crossing is then at least minSampleGapM from
// either end of its edge, and distinct rings stay more than twice the 6-decimal rounding of
// RFC 7946 output (0.11 m) apart. The reach edge moves by at most this much.
const minSampleGapM = 0.5

// polyKey names a cached reach geometry: an operator's layer at a zoom (−1: full detail), in
// projected metres or in lon/lat.
type polyKey struct {
	operator string
	zoom     int
	lonLat   bool
}

// lazyPolygons is one cached geometry, built on first use.
type lazyPolygons struct {
	once sync.Once
	mp   orb.MultiPolygon
}

// cached returns the geometry of k, building it with build once.
func (r *Reach) cached(k polyKey, build func() orb.MultiPolygon) orb.MultiPolygon {
	v, _ := r.polys.LoadOrStore(k, &lazyPolygons{})
	lp := v.(*lazyPolygons)
	lp.once.Do(func() { lp.mp = build() })
	return lp.mp
}

// ReachGeoJSON returns the land in reach of operator (or AnyOperator) as one Feature whose
// MultiPolygon follows RFC 7946 (counter-clockwise exteriors, clockwise holes, lon/lat with 6
// decimals; an empty MultiPolygon when nothing is in reach). The area is the contour at 0 of
// min(DropM − distance, signed distance to the province boundary) between cell centres (linear
// interpolation: the drop buffer's edge, not a staircase of cells), clipped to the province
// (see Land for the clipping without a boundary distance). zoom ≥ 0 simplifies for a web map at
// that zoom (geo.ToleranceForZoom at the grid's centre latitude, keeping topology; zooms above
// 22 as 22); zoom < 0 gives the full detail. Properties: operator, drop_m, feeder_reach, zoom
// (−1 for full detail), area_km2 (of the returned geometry, in the projection). Geometries are
// built once per Reach and shared between calls: callers may change the collection and the
// properties but not the coordinates. An operator without fibre in the network gives
// ErrNoLayer.
func (r *Reach) ReachGeoJSON(operator string, zoom int) (*geojson.FeatureCollection, error) {
	l, err := r.layerOf(operator)
	if err != nil {
		return nil, err
	}
	zoom = max(-1, min(zoom, maxZoom))
	full := r.cached(polyKey{operator, -1, false}, func() orb.MultiPolygon { return r.contour(l) })
	mp := full
	if zoom >= 0 {
		mp = r.cached(polyKey{operator, zoom, false}, func() orb.MultiPolygon {
			tol := geo.ToleranceForZoom(zoom, r.tm.Inverse(r.grid.Bound().Center())[1])
			return geo.SimplifyTopology(full, tol, tol*tol)
		})
	}
	ll := r.cached(polyKey{operator, zoom, true}, func() orb.MultiPolygon {
		out, _ := geo.RFC7946(r.tm.InverseGeometry(mp)).(orb.MultiPolygon)
		if out == nil {
			out = orb.MultiPolygon{}
		}
		return out
	})
	f := geojson.NewFeature(ll)
	f.Properties = geojson.Properties{"operator": operator, "drop_m": r.opts.DropM, "feeder_reach": r.opts.FeederReach,
		"zoom": zoom, "area_km2": math.Round(geo.PlanarAreaM2(mp)) / 1e6}
	fc := geojson.NewFeatureCollection()
	fc.Append(f)
	return fc, nil
}

// contour returns l's reach area in projected metres (see ReachGeoJSON).
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
