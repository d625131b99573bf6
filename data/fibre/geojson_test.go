package fibre_test

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data/fibre"
	"phusong/data/render"
	"phusong/geo"
)

// TestReachGeoJSONZoom checks that the reach GeoJSON (render.Reach) simplified for a zoom stays
// close to the full detail and says its zoom.
func TestReachGeoJSONZoom(t *testing.T) {
	land := fibre.NewSquareLand(8000, 5000, 25)
	tm := land.Projection()
	ll := func(ps ...orb.Point) orb.LineString {
		out := make(orb.LineString, len(ps))
		for i, p := range ps {
			out[i] = tm.Inverse(p)
		}
		return out
	}
	net := fibre.Network{Routes: []fibre.Route{{Operator: "viettel", RouteID: "R", Kind: fibre.Distribution, Line: ll(orb.Point{-3000, -1000}, orb.Point{0, 1200}, orb.Point{2500, -500})}},
		AccessPoints: []fibre.AccessPoint{{Operator: "tvcable", ID: "A", Point: tm.Inverse(orb.Point{3000, 2000})}}}
	r, err := fibre.Compute(land, &net, fibre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := render.Reach(r, fibre.AnyOperator, -1)
	fullArea := geo.PlanarAreaM2(tm.ForwardGeometry(full.Features[0].Geometry))
	for _, z := range []int{8, 12, 15, 30} {
		fc, err := render.Reach(r, fibre.AnyOperator, z)
		if err != nil {
			t.Fatal(err)
		}
		f := fc.Features[0]
		if want := min(z, 22); f.Properties["zoom"] != want {
			t.Errorf("zoom %d: property %v", z, f.Properties["zoom"])
		}
		mp := f.Geometry.(orb.MultiPolygon)
		for _, p := range mp {
			if planar.Area(p[0]) <= 0 {
				t.Errorf("zoom %d: exterior ring not counter-clockwise", z)
			}
		}
		if z >= 12 { // half a pixel ≤ 19 m against a 600 m wide buffer
			if a := geo.PlanarAreaM2(tm.ForwardGeometry(mp)); math.Abs(a-fullArea) > 0.02*fullArea {
				t.Errorf("zoom %d: area %.1f m², full detail %.1f m² ± 2 %%", z, a, fullArea)
			}
		}
	}
}
