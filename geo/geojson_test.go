package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Expected outputs are written by hand: rounding to 6 decimals, the ring turned to the
// right-hand rule, repeated points gone. Orientation is checked with orb's Ring.Orientation, an
// implementation independent of this package.
func TestRFC7946(t *testing.T) {
	// A clockwise exterior (wrong for RFC 7946) around a counter-clockwise hole (also wrong), with
	// 7-decimal coordinates, a point repeated after rounding, and a hole that rounds to a line.
	cwOuter := orb.Ring{{106.3, 9.9}, {106.3, 9.95}, {106.35, 9.95}, {106.3500004, 9.9499996}, {106.35, 9.9}, {106.3, 9.9}}
	ccwHole := orb.Ring{{106.31, 9.91}, {106.32, 9.91}, {106.32, 9.92}, {106.31, 9.92}, {106.31, 9.91}}
	flatHole := orb.Ring{{106.33, 9.93}, {106.3300001, 9.9300004}, {106.3300002, 9.9300001}, {106.33, 9.93}}
	cases := []struct {
		name string
		in   orb.Geometry
		want string // GeoJSON geometry
	}{
		{"point-rounded", orb.Point{106.12345649, -0.0000004}, `{"type":"Point","coordinates":[106.123456,0]}`},
		{"point-round-up", orb.Point{106.12345651, 9.00000151}, `{"type":"Point","coordinates":[106.123457,9.000002]}`},
		{"line-duplicates", orb.LineString{{1, 2}, {1.0000001, 2}, {3, 4}, {3, 4}},
			`{"type":"LineString","coordinates":[[1,2],[3,4]]}`},
		{"line-collapses", orb.LineString{{1, 2}, {1.0000001, 2.0000001}}, `{"type":"LineString","coordinates":[]}`},
		{"polygon-reoriented", orb.Polygon{cwOuter, ccwHole, flatHole},
			`{"type":"Polygon","coordinates":[` +
				`[[106.3,9.9],[106.35,9.9],[106.35,9.95],[106.3,9.95],[106.3,9.9]],` +
				`[[106.31,9.91],[106.31,9.92],[106.32,9.92],[106.32,9.91],[106.31,9.91]]]}`},
		{"multipolygon-drops-degenerate", orb.MultiPolygon{{flatHole}, {ccwHole}},
			`{"type":"MultiPolygon","coordinates":[[[[106.31,9.91],[106.32,9.91],[106.32,9.92],[106.31,9.92],[106.31,9.91]]]]}`},
		{"polygon-degenerate", orb.Polygon{flatHole, ccwHole}, `{"type":"Polygon","coordinates":[]}`},
		{"multilinestring", orb.MultiLineString{{{0, 0}, {0, 0}}, {{0, 0}, {1, 1}}},
			`{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}`},
		{"collection", orb.Collection{orb.Point{1.00000049, 2}, orb.LineString{{0, 0}, {0, 0.0000001}}, orb.MultiPolygon{{cwOuter}}},
			`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},` +
				`{"type":"MultiPolygon","coordinates":[[[[106.3,9.9],[106.35,9.9],[106.35,9.95],[106.3,9.95],[106.3,9.9]]]]}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fmt.Sprint(c.in)
			got := RFC7946(c.in)
			if fmt.Sprint(c.in) != before {
				t.Error("input modified")
			}
			raw, err := json.Marshal(geojson.NewGeometry(got))
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != c.want {
				t.Errorf("got  %s\nwant %s", raw, c.want)
			}
		})
	}
}

func TestRFC7946Bound(t *testing.T) {
	b := orb.Bound{Min: orb.Point{106.1234567, -0.0000001}, Max: orb.Point{106.2000001, 9.9999999}}
	want := orb.Bound{Min: orb.Point{106.123456, -0.000001}, Max: orb.Point{106.200001, 10}}
	if got := RFC7946(b); got != want {
		t.Errorf("RFC7946(%v) = %v, want %v", b, got, want)
	}
	if got := RFC7946(nil); got != nil {
		t.Errorf("RFC7946(nil) = %v", got)
	}
}

// TestRFC7946Contours runs RFC7946 on simplified contours placed on Trà Vinh, every ring turned
// the wrong way round first: every ring must come out with the right-hand rule, closed, without repeated points, and the area must change
// by no more than the rounding can explain (0.11 m times the boundary length).
func TestRFC7946Contours(t *testing.T) {
	rng := seededRand(t, 7946)
	g := Grid{X0M: -20000, Y0M: -20000, CellM: 50, NX: 80, NY: 80}
	vals := make([]float32, g.Len())
	for k := range vals {
		i, j := float64(k%g.NX), float64(k/g.NX)
		vals[k] = float32(math.Sin(i/7)+math.Cos(j/5)) + float32(0.4*rng.Float64())
	}
	mp := SimplifyTopology(ContourPolygons(g, vals, 0.6), ToleranceForZoom(14, 9.93), 0)
	ll := goldenTM.InverseGeometry(mp).(orb.MultiPolygon)
	reversed := make(orb.MultiPolygon, len(ll))
	for k, p := range ll {
		reversed[k] = reversedPolygon(p) // every ring wrong way round
	}
	got, ok := RFC7946(reversed).(orb.MultiPolygon)
	if !ok || len(got) != len(ll) {
		t.Fatalf("%d polygons in, %T with %d out", len(ll), got, len(got))
	}
	holes := 0
	for _, h := range holeCount(got) {
		holes += h
	}
	if holes == 0 {
		t.Fatal("the test field gave no holes: the clockwise rule is not exercised")
	}
	t.Logf("%d polygons, %d holes, %d vertices", len(got), holes, vertexCount(got))
	perimM := 0.0
	for pi, p := range got {
		for ri, r := range p {
			want := orb.CCW
			if ri > 0 {
				want = orb.CW
			}
			if r.Orientation() != want || r[0] != r[len(r)-1] {
				t.Fatalf("polygon %d ring %d: orientation %v, closed %v", pi, ri, r.Orientation(), r[0] == r[len(r)-1])
			}
			for k := 0; k+1 < len(r); k++ {
				if r[k] == r[k+1] {
					t.Fatalf("polygon %d ring %d: repeated point %v", pi, ri, r[k])
				}
				for _, v := range r[k] {
					if v != math.Round(v*1e6)/1e6 {
						t.Fatalf("coordinate %v not rounded", v)
					}
				}
				perimM += DistanceM(r[k], r[k+1])
			}
		}
	}
	before, after := AreaM2(goldenTM, ll), AreaM2(goldenTM, got)
	if d := math.Abs(after - before); d > 0.11*perimM {
		t.Errorf("area %v m² → %v m²: moved %v, more than 0.11 m × %v m of boundary", before, after, d, perimM)
	}
}

func TestAsMultiPolygon(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	cases := []struct {
		name string
		in   orb.Geometry
		want int // members; -1 for nil
	}{
		{"polygon", sq, 1},
		{"multipolygon", orb.MultiPolygon{sq, sq}, 2},
		{"point", orb.Point{1, 2}, -1},
		{"line", orb.LineString{{0, 0}, {1, 1}}, -1},
		{"nil", nil, -1},
	}
	for _, tc := range cases {
		got := AsMultiPolygon(tc.in)
		if (tc.want < 0) != (got == nil) || (tc.want >= 0 && len(got) != tc.want) {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
