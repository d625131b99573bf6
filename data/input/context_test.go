package input

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/testenv"
	"phusong/geo"
)

// TestReadContextRealRoads reads the national roads around Trà Vinh (shared data, loaded at run
// time): every road kept with its name, fewer vertices, and no original vertex farther from the
// simplified line than the tolerance (measured geodesically on a densified line, not in the
// projection the simplifier used).
func TestReadContextRealRoads(t *testing.T) {
	path := testenv.SharedFile(t, "travinh/national_roads.geojson")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := LoadContextFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(orig.Features) {
		t.Fatalf("%d features, want the file's %d", len(fc.Features), len(orig.Features))
	}
	var before, after int
	for i, f := range fc.Features {
		if f.Properties["kind"] != ContextRoad || !strings.HasPrefix(f.Properties.MustString("name"), "Quốc lộ") {
			t.Errorf("feature %d: properties %v, want a road named Quốc lộ …", i+1, f.Properties)
		}
		visitPoints(orig.Features[i].Geometry, func(orb.Point) { before++ })
		visitPoints(f.Geometry, func(orb.Point) { after++ })
		worst := 0.0
		visitPoints(orig.Features[i].Geometry, func(p orb.Point) { worst = max(worst, distanceToLinesM(p, f.Geometry)) })
		if worst > ContextToleranceM+0.5 {
			t.Errorf("feature %d: an original vertex is %.1f m from the simplified line (tolerance %d m)", i+1, worst, ContextToleranceM)
		}
	}
	if after >= before {
		t.Errorf("%d vertices after simplification, %d before", after, before)
	}
	t.Logf("%d roads, %d → %d vertices", len(fc.Features), before, after)
}

// distanceToLinesM is the geodesic distance from p to the nearest of g's lines: for each
// segment, a golden-section search along it of the geodesic distance to p (unimodal along a
// segment this short compared with the Earth).
func distanceToLinesM(p orb.Point, g orb.Geometry) float64 {
	best := math.Inf(1)
	var lines []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		lines = []orb.LineString{g}
	case orb.MultiLineString:
		lines = g
	}
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			at := func(f float64) float64 {
				return geo.DistanceM(p, orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])})
			}
			lo, hi := 0.0, 1.0
			for range 60 {
				m1, m2 := lo+(hi-lo)*0.382, lo+(hi-lo)*0.618
				if at(m1) < at(m2) {
					hi = m2
				} else {
					lo = m1
				}
			}
			best = min(best, at(lo), at(0), at(1))
		}
	}
	return best
}

func TestReadContextKindsAndNames(t *testing.T) {
	const doc = `{"type":"FeatureCollection","features":[
	{"type":"Feature","properties":{"highway":"primary","name":"QL53"},"geometry":{"type":"LineString","coordinates":[[106.30,9.90],[106.40,9.95]]}},
	{"type":"Feature","properties":{"waterway":"river","name":"Sông Cổ Chiên"},"geometry":{"type":"LineString","coordinates":[[106.30,9.80],[106.50,9.85]]}},
	{"type":"Feature","properties":{"natural":"water"},"geometry":{"type":"MultiLineString","coordinates":[[[106.31,9.81],[106.32,9.82]]]}},
	{"type":"Feature","properties":{"ten":"Ao Bà Om"},"geometry":{"type":"Polygon","coordinates":[[[106.30,9.90],[106.31,9.90],[106.31,9.91],[106.30,9.90]]]}},
	{"type":"Feature","properties":{"kind":"road","ref":"ĐT 911"},"geometry":{"type":"MultiPolygon","coordinates":[[[[106.30,9.90],[106.31,9.90],[106.31,9.91],[106.30,9.90]]]]}},
	{"type":"Feature","properties":null,"geometry":{"type":"LineString","coordinates":[[106.30,9.90],[106.30,9.90000001]]}}
	]}`
	fc, err := ReadContextGeoJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ kind, name string }{
		{ContextRoad, "QL53"}, {ContextWater, "Sông Cổ Chiên"}, {ContextWater, ""}, {ContextWater, "Ao Bà Om"}, {ContextRoad, "ĐT 911"},
	}
	if len(fc.Features) != len(want) {
		t.Fatalf("%d features, want %d (the 1 mm line collapses and is dropped)", len(fc.Features), len(want))
	}
	for i, w := range want {
		if p := fc.Features[i].Properties; p["kind"] != w.kind || p["name"] != w.name || len(p) != 2 {
			t.Errorf("feature %d: %v, want kind %s name %q and nothing else", i+1, p, w.kind, w.name)
		}
	}
}

func TestReadContextRefuses(t *testing.T) {
	feature := func(geom string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[106.3,9.9],[106.4,9.9]]}},
		{"type":"Feature","properties":{},"geometry":` + geom + `}]}`
	}
	cases := []struct {
		name, doc    string
		feature      int
		field, inMsg string
	}{
		{"a point", feature(`{"type":"Point","coordinates":[106.3,9.9]}`), 2, "geometry", "is not LineString"},
		{"latitude out of range", feature(`{"type":"LineString","coordinates":[[106.3,9.9],[106.3,95]]}`), 2, "coordinates", "lon, lat"},
		{"no geometry", feature(`null`), 2, "geometry", "missing"},
		{"bad coordinates", feature(`{"type":"Polygon","coordinates":[106.3,9.9]}`), 2, "coordinates", "Polygon"},
		{"not a collection", `{"type":"Feature"}`, 0, "type", "FeatureCollection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc, err := ReadContextGeoJSON(strings.NewReader(c.doc))
			var pes data.ParseErrors
			if fc != nil || !errors.As(err, &pes) || len(pes) != 1 {
				t.Fatalf("got %v, %v; want one parse error", fc, err)
			}
			if pe := pes[0]; pe.Feature != c.feature || pe.Field != c.field || !strings.Contains(pe.Msg, c.inMsg) {
				t.Errorf("error %+v, want feature %d, field %s, message with %q", pe, c.feature, c.field, c.inMsg)
			}
		})
	}
}
