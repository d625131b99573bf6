package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestTMInverseLongitudeExact pins Inverse's longitude where it is exact by hand: on the central
// meridian (x = false easting) atan2(0, cos ξ′) is 0, so the longitude is Lon0Deg itself, to the
// last bit, when that is inside [−180°, 180°); a central meridian of 180° gives −180° (the range
// is half-open). Wrapping a longitude already in range through normDeg would round it at the ulp
// of lon + 180° (e.g. 106.342 → 106.34199999999998).
func TestTMInverseLongitudeExact(t *testing.T) {
	cases := []struct {
		name  string
		tm    TransverseMercator
		xy    orb.Point
		lon   float64
		latLo float64 // Inverse's latitude lies in [latLo, latHi]
		latHi float64
	}{
		{"local-travinh-centre", NewLocalTM(106.342, 9.9347), orb.Point{0, 0}, 106.342, 9.9347 - 1e-12, 9.9347 + 1e-12},
		{"local-west", NewLocalTM(-73.9857, 40.7484), orb.Point{0, 0}, -73.9857, 40.7484 - 1e-12, 40.7484 + 1e-12},
		{"utm48-central-meridian", UTM(48, true), orb.Point{500000, 1098489.9987}, 105, 9.9, 10},
		{"meridian-180", NewLocalTM(180, 0), orb.Point{0, 0}, -180, 0, 0},
		{"meridian-minus-180", NewLocalTM(-180, 10), orb.Point{0, 0}, -180, 10 - 1e-12, 10 + 1e-12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.tm.Inverse(c.xy)
			if got[0] != c.lon || !(got[1] >= c.latLo && got[1] <= c.latHi) {
				t.Errorf("Inverse(%v) = %.17g, want lon %.17g exactly, lat in [%.15g, %.15g]", c.xy, got, c.lon, c.latLo, c.latHi)
			}
		})
	}
}

// TestTMForwardCentralMeridianModulo360 pins Forward's "longitudes relative to the central
// meridian modulo 360°" where it is exact by hand: UTM zone 48's central meridian is 105°, and
// 465°, −255° and 825° are 105° modulo 360° (each difference exactly ±360° or 720° in float64),
// so x is the false easting itself (η = asinh(0) = 0) and y that of 105°. Taking sin and cos of
// the unwrapped 2π instead (they are periodic) leaves x off by a nanometre or two.
func TestTMForwardCentralMeridianModulo360(t *testing.T) {
	utm := UTM(48, true)
	want := utm.Forward(orb.Point{105, 10})
	if want[0] != utmFalseE {
		t.Fatalf("Forward(105, 10) x = %.17g, want %v exactly", want[0], utmFalseE)
	}
	for _, lon := range []float64{465, -255, 825} {
		if got := utm.Forward(orb.Point{lon, 10}); got != want {
			t.Errorf("Forward(%v, 10) = %.17g, want %.17g exactly (the central meridian)", lon, got, want)
		}
	}
}
