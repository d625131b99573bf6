package fibre

import (
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/geo"
)

// The coverage engine gives the exact province boundary distance.
var _ boundaryDistancer = (*coverage.Engine)(nil)

// landOnly hides an engine's boundary distance (the half-cell staircase fallback).
type landOnly struct{ Land }

// TestReachClippedByEngine: a 6 km lon/lat square commune on the coverage engine (25 m cells)
// and a distribution route along the engine frame's x axis from x = −1000 m to 2 km past the
// east edge x_e. The land in reach is the stadium cut by the edge: 2·D·(x_e + 1000) + π·D²/2
// (closed form). With the engine's boundary distance the polygon stops at the edge (within
// 0.5 m: minSampleGapM) and its area is within 0.1 %; without it (land cells only), it spills
// up to a cell beyond the edge.
//
//	        ┃ x_e
//	 ╭──────┨
//	(  •━━━━╂━━━━━•
//	 ╰──────┨
//	        ┃
func TestReachClippedByEngine(t *testing.T) {
	const D, lon0, lat0, sideM = 300.0, 106.34, 9.93, 6000.0
	lonM, latM := geo.MetresPerDegree(lat0)
	dx, dy := sideM/2/lonM, sideM/2/latM
	sq := orb.Ring{{lon0 - dx, lat0 - dy}, {lon0 + dx, lat0 - dy}, {lon0 + dx, lat0 + dy}, {lon0 - dx, lat0 + dy}, {lon0 - dx, lat0 - dy}}
	communes := []data.Commune{{Code: "00001", Name: "Xã Một", Type: data.TypeCommune, Population: 8000, Households: 2000,
		Geometry: orb.MultiPolygon{{sq}}}}
	e, err := coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{CellM: 25})
	if err != nil {
		t.Fatal(err)
	}
	tm := e.Projection()
	origin := tm.Forward(orb.Point{lon0, lat0})
	xe := tm.Forward(orb.Point{lon0 + dx, lat0})[0]
	line := orb.LineString{tm.Inverse(orb.Point{origin[0] - 1000, origin[1]}), tm.Inverse(orb.Point{xe + 2000, origin[1]})}
	net := &Network{Routes: []Route{{Operator: "viettel", RouteID: "R", Kind: Distribution, Line: line}}}
	want := 2*D*(xe-(origin[0]-1000)) + 3.141592653589793*D*D/2
	for _, c := range []struct {
		name     string
		land     Land
		spillM   float64 // how far past x_e the polygon may reach
		areaTol  float64
		wantOver bool // the polygon must reach past x_e + 1 m (the staircase)
	}{
		{"engine boundary distance", e, minSampleGapM + 0.01, 0.001, false},
		{"land cells only", landOnly{e}, e.CellM(), 0.01, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(c.land, net, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mp, err := r.Polygons(AnyOperator)
			if err != nil {
				t.Fatal(err)
			}
			within(t, "polygon area m²", geo.PlanarAreaM2(mp), want, c.areaTol)
			over := mp.Bound().Max[0] - xe
			t.Logf("area %.0f m² (closed form %.0f), %.2f m past the edge", geo.PlanarAreaM2(mp), want, over)
			if over > c.spillM {
				t.Errorf("polygon reaches %.2f m past the east edge; at most %.2f m allowed", over, c.spillM)
			}
			if c.wantOver && over < 1 {
				t.Errorf("without the boundary distance the polygon stops %.2f m past the edge: the fixture does not tell the two apart", over)
			}
		})
	}
}
