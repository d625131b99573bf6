package geo

import (
	"errors"
	"math"
	"testing"
)

// 3GPP TS 36.101 table 5.6-1.
func TestLTEResourceBlocks(t *testing.T) {
	cases := []struct {
		name         string
		bandwidthMHz float64
		want         int
	}{
		{"1.4MHz", 1.4, 6}, {"3MHz", 3, 15}, {"5MHz", 5, 25},
		{"10MHz", 10, 50}, {"15MHz", 15, 75}, {"20MHz", 20, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LTEResourceBlocks(c.bandwidthMHz)
			if err != nil || got != c.want {
				t.Errorf("LTEResourceBlocks(%g) = %d, %v; want %d", c.bandwidthMHz, got, err, c.want)
			}
		})
	}
	for _, bw := range []float64{0, 1.5, 2, 25, -5, math.NaN(), math.Inf(1)} {
		if n, err := LTEResourceBlocks(bw); !errors.Is(err, ErrLTEBandwidth) || n != 0 {
			t.Errorf("LTEResourceBlocks(%g) = %d, %v; want 0, ErrLTEBandwidth", bw, n, err)
		}
	}
}

// By hand: 46 − 10 lg 1200 = 46 − 30.79181 = 15.20819 (rf-reference: 15.2); 43 − 10 lg 600 =
// 43 − 27.78151 = 15.21849; 40 − 10 lg 72 = 40 − 18.57332 = 21.42668.
func TestLTEReferenceSignalDBm(t *testing.T) {
	cases := []struct {
		name                  string
		portDBm, bandwidthMHz float64
		wantDBm               float64
	}{
		{"46dBm-20MHz", 46, 20, 15.20819},
		{"43dBm-10MHz", 43, 10, 15.21849},
		{"40dBm-1.4MHz", 40, 1.4, 21.42668},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LTEReferenceSignalDBm(c.portDBm, c.bandwidthMHz)
			if err != nil || math.Abs(got-c.wantDBm) > 1e-5 {
				t.Errorf("LTEReferenceSignalDBm(%g, %g) = %.6f, %v; want %.5f", c.portDBm, c.bandwidthMHz, got, err, c.wantDBm)
			}
		})
	}
	if _, err := LTEReferenceSignalDBm(46, 7); !errors.Is(err, ErrLTEBandwidth) {
		t.Errorf("LTEReferenceSignalDBm(46, 7) error = %v, want ErrLTEBandwidth", err)
	}
}

// Bearings of the test vectors, clockwise from grid north:
//
//	     N 0°
//	 315° | 45°
//	W ----+---- E 90°
//	 225° | 135°
//	    S 180°
func TestBearingDeg(t *testing.T) {
	cases := []struct {
		name     string
		dxM, dyM float64
		wantDeg  float64
	}{
		{"north", 0, 100, 0},
		{"east", 100, 0, 90},
		{"south", 0, -100, 180},
		{"west", -100, 0, 270},
		{"north-east", 5, 5, 45},
		{"north-west", -5, 5, 315},
		{"south-west", -5, -5, 225},
		{"30deg", 1, math.Sqrt(3), 30},
		{"zero-vector", 0, 0, 0},
		{"negative-zero-dx", math.Copysign(0, -1), 1, 0},
		{"tiny-west-of-north", -1e-300, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := BearingDeg(c.dxM, c.dyM)
			if math.Abs(got-c.wantDeg) > 1e-12 || got < 0 || got >= 360 || math.Signbit(got) {
				t.Errorf("BearingDeg(%g, %g) = %v, want %v in [0, 360)", c.dxM, c.dyM, got, c.wantDeg)
			}
		})
	}
}

// By hand: atan(28.5/28.5) = 45°; atan(28.5/1000) = 1.63249° (python3 math.degrees(math.atan(0.0285))).
func TestDepressionDeg(t *testing.T) {
	cases := []struct {
		name             string
		txM, rxM, horizM float64
		wantDeg          float64
	}{
		{"45deg", 30, 1.5, 28.5, 45},
		{"1km", 30, 1.5, 1000, 1.63249},
		{"negative-horizontal", 30, 1.5, -1000, 1.63249},
		{"foot-of-mast", 30, 1.5, 0, 90},
		{"receiver-above-at-0m", 1.5, 30, 0, -90},
		{"receiver-above", 1.5, 30, 28.5, -45},
		{"level", 10, 10, 500, 0},
		{"level-at-0m", 10, 10, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DepressionDeg(c.txM, c.rxM, c.horizM); math.Abs(got-c.wantDeg) > 1e-5 {
				t.Errorf("DepressionDeg(%g, %g, %g) = %.6f, want %.5f", c.txM, c.rxM, c.horizM, got, c.wantDeg)
			}
		})
	}
}
