package data

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// travinh is AreaOf the demo's communes, the area of these tests (data/demo's TestArea derives
// it by hand).
func travinh() orb.Bound {
	return orb.Bound{Min: orb.Point{105.72, 9.3}, Max: orb.Point{106.81, 10.31}}
}

// boxCommune is a commune whose geometry is the rectangle b.
func boxCommune(code string, b orb.Bound) Commune {
	return Commune{Code: code, Name: code, Type: TypeCommune, Geometry: orb.MultiPolygon{{b.ToRing()}}}
}

// TestAreaOfMargin checks on random provinces, north and south, that the area reaches at least
// AreaMarginM beyond the communes on every side, measured geodesically (geo.DistanceM,
// Vincenty, not the degree lengths AreaOf uses) along the edge where the margin is smallest,
// and not more than 1.1 % (the longest degree of latitude over the shortest) plus the 0.01°
// rounding (at most 1,117 m) beyond it. A geodesic between two points of a parallel is shorter
// than the parallel's arc (by 0.12 m over 25 km at 70°): 0.5 m of slack below.
func TestAreaOfMargin(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 500 {
		lon0, lat0 := -170+340*rng.Float64(), -70+140*rng.Float64()
		box := orb.Bound{Min: orb.Point{lon0, lat0}, Max: orb.Point{lon0 + 2*rng.Float64(), lat0 + 2*rng.Float64()}}
		half := orb.Bound{Min: box.Min, Max: orb.Point{(box.Min[0] + box.Max[0]) / 2, box.Max[1]}}
		rest := orb.Bound{Min: orb.Point{half.Max[0], box.Min[1]}, Max: box.Max}
		area := AreaOf([]Commune{boxCommune("a", half), {Code: "empty"}, boxCommune("b", rest)})
		// The shortest degree of longitude inside the area is on its parallel farthest from
		// the equator: measure the east and west margins there.
		far := area.Max[1]
		if math.Abs(area.Min[1]) > math.Abs(far) {
			far = area.Min[1]
		}
		margins := []struct {
			name string
			a, b orb.Point
		}{
			{"west", orb.Point{area.Min[0], far}, orb.Point{box.Min[0], far}},
			{"east", orb.Point{box.Max[0], far}, orb.Point{area.Max[0], far}},
			{"south", orb.Point{box.Min[0], area.Min[1]}, orb.Point{box.Min[0], box.Min[1]}},
			{"north", orb.Point{box.Min[0], box.Max[1]}, orb.Point{box.Min[0], area.Max[1]}},
		}
		for _, m := range margins {
			d := geo.DistanceM(m.a, m.b)
			if d < AreaMarginM-0.5 || d > AreaMarginM*1.011+1118 {
				t.Fatalf("box %v: area %v: %s margin %.1f m", box, area, m.name, d)
			}
		}
		for _, v := range []float64{area.Min[0], area.Min[1], area.Max[0], area.Max[1]} {
			if r := math.Round(v * 100); math.Abs(v*100-r) > 1e-9 {
				t.Fatalf("area %v: %v is not on the 0.01° lattice", area, v)
			}
		}
	}
}

// TestAreaOfEdges: clamping at the poles and the antimeridian, no communes.
func TestAreaOfEdges(t *testing.T) {
	cases := []struct {
		name string
		box  orb.Bound
		want orb.Bound
	}{
		// 25 km is 0.2261° of latitude at the equator; at 89.95° a degree of longitude is
		// 97 m, so the margin takes every longitude.
		{"pole", orb.Bound{Min: orb.Point{10, 89.9}, Max: orb.Point{11, 89.95}}, orb.Bound{Min: orb.Point{-180, 89.67}, Max: orb.Point{180, 90}}},
		// 25 km of longitude at 0.2261° S is 0.22458° (111,319.5 m a degree).
		{"antimeridian", orb.Bound{Min: orb.Point{179.9, -0.1}, Max: orb.Point{179.95, 0}}, orb.Bound{Min: orb.Point{179.67, -0.33}, Max: orb.Point{180, 0.23}}},
	}
	for _, c := range cases {
		if got := AreaOf([]Commune{boxCommune("x", c.box)}); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if got := AreaOf(nil); !got.IsZero() || !errors.Is(CheckArea(got), ErrNoArea) {
		t.Errorf("no communes: %v, %v", got, CheckArea(got))
	}
	if got := AreaOf([]Commune{{Code: "no geometry"}}); !got.IsZero() {
		t.Errorf("no geometry: %v", got)
	}
}

func TestCheckArea(t *testing.T) {
	cases := []struct {
		name string
		area orb.Bound
		ok   bool
	}{
		{"Trà Vinh", travinh(), true},
		{"whole Earth", WholeEarth(), true},
		{"zero", orb.Bound{}, false},
		{"empty", orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{-1, -1}}, false},
		{"NaN", orb.Bound{Min: orb.Point{math.NaN(), 9}, Max: orb.Point{106, 10}}, false},
		{"infinite", orb.Bound{Min: orb.Point{105, 9}, Max: orb.Point{math.Inf(1), 10}}, false},
	}
	for _, c := range cases {
		if err := CheckArea(c.area); (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrNoArea)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestCheckPositionElsewhere: the lat/lon hint works for any area, here a box around Hà Giang
// (far north) rather than Trà Vinh.
func TestCheckPositionElsewhere(t *testing.T) {
	area := orb.Bound{Min: orb.Point{104.6, 22.4}, Max: orb.Point{105.4, 23.2}}
	cases := []struct {
		name     string
		lon, lat float64
		want     string
	}{
		{"inside", 104.98, 22.82, ""},
		{"swapped", 22.82, 104.98, `lon/lat: "22.82,104.98" is outside the province area (lon 104.6..105.4, lat 22.4..23.2); looks like lat/lon swapped`},
		{"Trà Vinh", 106.34, 9.93, `lon: "106.34" is outside the province area (lon 104.6..105.4, lat 22.4..23.2) | lat: "9.93" is outside the province area (lon 104.6..105.4, lat 22.4..23.2)`},
		{"NaN", math.NaN(), 22.82, `lon: "NaN" is not a finite number`},
	}
	for _, c := range cases {
		var got []string
		for _, e := range CheckPosition(c.lon, c.lat, area) {
			got = append(got, e.Error())
		}
		if g := strings.Join(got, " | "); g != c.want {
			t.Errorf("%s: got %q\nwant %q", c.name, g, c.want)
		}
	}
}
