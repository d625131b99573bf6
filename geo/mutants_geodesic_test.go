package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// TestDistanceMPolesAndFallback adds to TestDistanceM the cases its mutants showed missing:
// points at a pole (latitude exactly ±90° is valid), coincident points on the equator (Vincenty's
// sin σ = 0 test with sin U = 0) and nearly antipodal pairs whose shortest geodesic leaves at an
// azimuth off the fallback's 1° scan (Vincenty's iteration fails on each: the golden-section
// refinement must find it). Expected values: GeographicLib's algorithm through PROJ 9.1.1's
// geod (Debian proj-bin), e.g.
//
//	echo "0 0 0.3 179.7" | geod +ellps=WGS84 -I -f "%.9f" -F "%.6f"   # lat lon order
//
// The comparison is written so that a NaN fails it, at DistanceM's stated accuracy (the series
// term 175·u⁸/16384 of Vincenty's A changes the pole-to-pole distance by 0.9 mm).
func TestDistanceMPolesAndFallback(t *testing.T) {
	const tolM = 1e-4 // DistanceM's stated accuracy, about 0.1 mm
	for name, c := range map[string]struct {
		lonLat [4]float64 // a's lon, lat, then b's
		wantM  float64
	}{
		"pole-to-equator":          {[4]float64{0, 90, 0, 0}, 10001965.729313},
		"pole-to-pole":             {[4]float64{0, 90, 0, -90}, 20003931.458625},
		"equator-to-south-pole":    {[4]float64{0, 0, 0, -90}, 10001965.729313},
		"zero-on-equator":          {[4]float64{0, 0, 0, 0}, 0},
		"near-antipodal-19.07deg":  {[4]float64{0, 0, 179.7, 0.3}, 19965251.408561},
		"near-antipodal-163.38deg": {[4]float64{0, 10, 179.8, -10.1}, 19989724.584659},
		"near-antipodal-travinh":   {[4]float64{106.3, 9.9, -73.9, -9.85}, 19995004.558829},
		"near-antipodal-28.82deg":  {[4]float64{0, 0.5, 179.6, -0.3}, 19970891.000733},
	} {
		a, b := orb.Point{c.lonLat[0], c.lonLat[1]}, orb.Point{c.lonLat[2], c.lonLat[3]}
		for _, ab := range [2][2]orb.Point{{a, b}, {b, a}} {
			if got := DistanceM(ab[0], ab[1]); !(math.Abs(got-c.wantM) <= tolM) {
				t.Errorf("%s: DistanceM(%v, %v) = %.6f m, want %.6f m (±%g)", name, ab[0], ab[1], got, c.wantM, tolM)
			}
		}
	}
}
