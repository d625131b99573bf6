package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// Expected distances and destinations come from GeographicLib (Karney 2013, accurate to 15 nm)
// through pyproj 3.4.1 / PROJ 9.1.1 (Debian python3-pyproj), e.g.
//
//	Geod(ellps="WGS84").inv(144.42486788888888, -37.95103341666667, 143.92649552777777, -37.65282113888889)
//
// The Flinders Peak → Buninyong line is also Geoscience Australia's published Vincenty check
// (54,972.271 m); the equator and meridian degrees are textbook values (a·π/180 = 111,319.491 m).
func TestDistanceM(t *testing.T) {
	const tolM = 1e-3
	cases := []struct {
		name  string
		a, b  orb.Point
		wantM float64
	}{
		{"flinders-buninyong", orb.Point{144.42486788888888, -37.95103341666667}, orb.Point{143.92649552777777, -37.65282113888889}, 54972.271139},
		{"equator-1deg-lon", orb.Point{0, 0}, orb.Point{1, 0}, 111319.490793},
		{"meridian-0-1", orb.Point{0, 0}, orb.Point{0, 1}, 110574.388558},
		{"travinh-city-to-duyenhai", orb.Point{106.342, 9.9347}, orb.Point{106.4895, 9.63}, 37385.547199},
		{"hanoi-hcmc", orb.Point{105.8342, 21.0278}, orb.Point{106.6297, 10.8231}, 1132453.722005},
		{"long-18000km", orb.Point{10, 40}, orb.Point{-150, -35}, 18174071.325604},
		{"near-antipodal-equator", orb.Point{0, 0}, orb.Point{179.5, 0.5}, 19936288.578965},
		{"antipodal-equator", orb.Point{0, 0}, orb.Point{180, 0}, 20003931.458625},
		{"antipodal-meridian", orb.Point{0, 30}, orb.Point{180, -30}, 20003931.458625},
		{"near-antipodal-karney", orb.Point{0, -30.12345}, orb.Point{179.99, 30.12}, 20003539.849788},
		{"pole-to-pole", orb.Point{0, 90}, orb.Point{0, -90}, 20003931.458625},
		{"zero", orb.Point{106.3, 9.9}, orb.Point{106.3, 9.9}, 0},
		{"zero-across-antimeridian", orb.Point{180, 10}, orb.Point{-180, 10}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DistanceM(c.a, c.b)
			if !(math.Abs(got-c.wantM) <= tolM) { // a NaN fails too
				t.Errorf("DistanceM(%v, %v) = %.6f m, want %.6f m (±%g)", c.a, c.b, got, c.wantM, tolM)
			}
			if back := DistanceM(c.b, c.a); !(math.Abs(back-got) <= tolM) {
				t.Errorf("not symmetric: %.6f vs %.6f", got, back)
			}
		})
	}
}

func TestDistanceMInvalid(t *testing.T) {
	cases := []struct {
		name string
		a, b orb.Point
	}{
		{"lat-above-90", orb.Point{0, 91}, orb.Point{0, 0}},
		{"nan", orb.Point{math.NaN(), 0}, orb.Point{0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DistanceM(c.a, c.b); !math.IsNaN(got) {
				t.Errorf("DistanceM(%v, %v) = %v, want NaN", c.a, c.b, got)
			}
		})
	}
}

func TestDestinationPoint(t *testing.T) {
	const tolDeg = 1e-8 // ~1 mm
	cases := []struct {
		name       string
		p          orb.Point
		bearingDeg float64
		distM      float64
		want       orb.Point
	}{
		{"travinh-ne-10km", orb.Point{106.34, 9.93}, 45, 10000, orb.Point{106.404492667582, 9.993923144716}},
		{"eq-east-1000km", orb.Point{0, 0}, 90, 1000000.0, orb.Point{8.983152841195, 0}},
		{"south-5000km", orb.Point{106.3, 9.9}, 200, 5000000.0, orb.Point{89.710773782263, -32.376609233803}},
		{"pole-cross", orb.Point{0, 89.5}, 0, 200000, orb.Point{180, 88.709390859147}},
		{"zero", orb.Point{106.3, 9.9}, 17, 0, orb.Point{106.3, 9.9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DestinationPoint(c.p, c.bearingDeg, c.distM)
			if !(math.Abs(math.Remainder(got[0]-c.want[0], 360)) <= tolDeg && math.Abs(got[1]-c.want[1]) <= tolDeg) { // a NaN fails too
				t.Errorf("DestinationPoint(%v, %v°, %v m) = %.12f, want %.12f", c.p, c.bearingDeg, c.distM, got, c.want)
			}
		})
	}
}

// TestDestinationDistanceRoundTrip checks DistanceM(p, DestinationPoint(p, az, s)) == s for random
// non-antipodal inputs (s < 19,000 km, so the start geodesic is the shortest), and that a
// negative distance walks back the way a positive one came.
func TestDestinationDistanceRoundTrip(t *testing.T) {
	seed := uint64(20240611)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i < 2000; i++ {
		p := orb.Point{rng.Float64()*360 - 180, rng.Float64()*178 - 89}
		az := rng.Float64() * 360
		s := rng.Float64() * 1.9e7
		q := DestinationPoint(p, az, s)
		if got := DistanceM(p, q); math.Abs(got-s) > 1e-3 {
			t.Fatalf("case %d: DistanceM(%v, Dest(%v, %v°, %v)) = %.6f, diff %.3g m", i, p, p, az, s, got, got-s)
		}
		fwd, rev := DestinationPoint(p, az+180, s), DestinationPoint(p, az, -s)
		if d := DistanceM(fwd, rev); d > 1e-3 {
			t.Fatalf("case %d: going %v m on %v°+180 and -%v m on %v° differ by %.3g m", i, s, az, s, az, d)
		}
	}
}

func TestMetresPerDegree(t *testing.T) {
	// Closed forms evaluated independently with Python's math module (WGS84 a = 6378137,
	// e² = f(2−f)): N = a/√(1−e²sin²φ), M = a(1−e²)/(1−e²sin²φ)^1.5; at 10°: N = 6378780.8437 m,
	// M = 6337358.1216 m. At 0°, lonM = a·π/180 (textbook 111,319.491 m).
	cases := []struct {
		name       string
		latDeg     float64
		lonM, latM float64
	}{
		{"equator", 0, 111319.490793, 110574.275822},
		{"pole", 90, 0, 111693.979559},
		{"lat10", 10, 109639.364068, 110607.765099},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lonM, latM := MetresPerDegree(c.latDeg)
			if math.Abs(lonM-c.lonM) > 1e-3 || math.Abs(latM-c.latM) > 1e-3 {
				t.Errorf("MetresPerDegree(%v) = %.6f, %.6f; want %.6f, %.6f", c.latDeg, lonM, latM, c.lonM, c.latM)
			}
		})
	}
}

func BenchmarkDistanceM(b *testing.B) {
	b.ReportAllocs()
	p, q := orb.Point{106.342, 9.9347}, orb.Point{106.4895, 9.63}
	for b.Loop() {
		DistanceM(p, q)
	}
}
