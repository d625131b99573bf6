package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Expected values by hand: 12·(φ/65)² for the horizontal and 12·((θ−tilt)/10)² for the vertical
// plane. 20° off: 12·(20/65)² = 1.13609; 90° off: 12·(90/65)² = 23.00592; 0.6 beamwidth:
// 12·0.36 = 4.32; half a beamwidth: 12·0.25 = 3.
//
//	         N (0°)
//	         |   sector azimuth 350°, bearing 10°: 20° apart across north
//	  350° \ | / 10°
//	        \|/
//	270° ----+---- 90°
func TestPatternDB(t *testing.T) {
	def := DefaultAntenna() // azimuth 0, tilt 0
	at := func(azDeg, tiltDeg float64) Antenna {
		a := DefaultAntenna()
		a.AzimuthDeg, a.TiltDeg = azDeg, tiltDeg
		return a
	}
	omni := Antenna{Omni: true, AzimuthDeg: 120, HBeamwidthDeg: 65, VBeamwidthDeg: 10, TiltDeg: 3, MaxAttenuationDB: 25, SideLobeDB: 20}
	cases := []struct {
		name                   string
		a                      Antenna
		bearingDeg, depression float64
		wantDB                 float64
	}{
		{"boresight", at(120, 6), 120, 6, 0},
		{"half-beamwidth-right", at(120, 0), 152.5, 0, -3},
		{"half-beamwidth-left", at(120, 0), 87.5, 0, -3},
		{"90deg-off", def, 90, 0, -23.00592},
		{"back-clamped-at-Am", def, 180, 0, -25},
		{"wrap-az350-bearing10", at(350, 0), 10, 0, -1.13609},
		{"wrap-az10-bearing350", at(10, 0), 350, 0, -1.13609},
		{"wrap-negative-bearing", at(350, 0), -350, 0, -1.13609},
		{"wrap-bearing-above-360", at(10, 0), 710, 0, -1.13609},
		{"vertical-at-tilt", at(0, 6), 0, 6, 0},
		{"vertical-half-beamwidth-below-tilt", at(0, 6), 0, 11, -3},
		{"vertical-horizon-with-tilt", at(0, 6), 0, 0, -4.32},
		{"vertical-mast-foot-clamped-at-SLA", at(0, 6), 0, 90, -20},
		{"vertical-above-horizon", at(0, 6), 0, -4, -12},
		{"combined-clamped-at-Am", def, 90, 90, -25},
		{"combined-sum", at(0, 6), 32.5, 11, -6},
		{"omni-any-bearing", omni, 300, 3, 0},
		{"omni-vertical-applies", omni, 7, 8, -3},
		{"omni-no-vertical", Antenna{Omni: true, MaxAttenuationDB: 25}, 45, 60, 0},
		{"zero-antenna-isotropic", Antenna{}, 200, 45, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.a.PatternDB(c.bearingDeg, c.depression)
			if math.Abs(got-c.wantDB) > 1e-5 {
				t.Errorf("%+v.PatternDB(%g, %g) = %.6f dB, want %.5f", c.a, c.bearingDeg, c.depression, got, c.wantDB)
			}
			if math.Signbit(got) && got == 0 {
				t.Errorf("PatternDB = -0, want +0")
			}
		})
	}
	for _, in := range [][2]float64{{math.NaN(), 0}, {0, math.NaN()}} {
		if got := def.PatternDB(in[0], in[1]); !math.IsNaN(got) {
			t.Errorf("PatternDB(%g, %g) = %g, want NaN", in[0], in[1], got)
		}
	}
}

func TestDefaultAntenna(t *testing.T) {
	want := Antenna{HBeamwidthDeg: 65, VBeamwidthDeg: 10, MaxAttenuationDB: 25, SideLobeDB: 20}
	if got := DefaultAntenna(); got != want {
		t.Errorf("DefaultAntenna() = %+v, want %+v", got, want)
	}
}

// The pattern lies in [−Am, 0], is symmetric about the azimuth and the tilt, and does not gain by
// moving away from boresight in either plane.
func TestPatternDBInvariants(t *testing.T) {
	rng := seededRand(t, 20250703)
	for i := 0; i < 2000; i++ {
		a := Antenna{
			Omni: rng.IntN(4) == 0, AzimuthDeg: rng.Float64() * 360, TiltDeg: rng.Float64() * 12,
			HBeamwidthDeg: 30 + rng.Float64()*90, VBeamwidthDeg: 4 + rng.Float64()*12,
			MaxAttenuationDB: 15 + rng.Float64()*15, SideLobeDB: 10 + rng.Float64()*15,
		}
		off, dv := rng.Float64()*160, rng.Float64()*90-45 // 1.1·off stays below 180°
		got := a.PatternDB(a.AzimuthDeg+off, a.TiltDeg+dv)
		if got > 0 || got < -a.MaxAttenuationDB {
			t.Fatalf("%+v: PatternDB = %g outside [-%g, 0]", a, got, a.MaxAttenuationDB)
		}
		if mirror := a.PatternDB(a.AzimuthDeg-off, a.TiltDeg-dv); math.Abs(mirror-got) > 1e-9 {
			t.Fatalf("%+v: not symmetric: %g vs %g at ±%g°, ±%g°", a, got, mirror, off, dv)
		}
		if wider := a.PatternDB(a.AzimuthDeg+off*1.1, a.TiltDeg+dv*1.1); wider > got+1e-9 {
			t.Fatalf("%+v: gain rises away from boresight: %g at (%g, %g) → %g", a, got, off, dv, wider)
		}
	}
}

// TestPatternParts checks HorizontalDB and VerticalDB against the hand values of TestPatternDB
// (one plane at a time) and CombinedDB's sum and cap.
func TestPatternParts(t *testing.T) {
	a := DefaultAntenna()
	a.AzimuthDeg, a.TiltDeg = 350, 6
	omni := a
	omni.Omni = true
	flat := Antenna{MaxAttenuationDB: 25} // both beamwidths 0: no pattern
	cases := []struct {
		name   string
		got    float64
		wantDB float64
	}{
		{"horizontal-boresight", a.HorizontalDB(350), 0},
		{"horizontal-20deg-across-north", a.HorizontalDB(10), 1.13609},
		{"horizontal-half-beamwidth", a.HorizontalDB(350 - 32.5), 3},
		{"horizontal-back-capped-at-Am", a.HorizontalDB(170), 25},
		{"horizontal-omni", omni.HorizontalDB(123), 0},
		{"horizontal-omni-NaN", omni.HorizontalDB(math.NaN()), 0},
		{"horizontal-no-beamwidth", flat.HorizontalDB(90), 0},
		{"vertical-at-tilt", a.VerticalDB(6), 0},
		{"vertical-half-beamwidth", a.VerticalDB(11), 3},
		{"vertical-horizon", a.VerticalDB(0), 4.32},
		{"vertical-capped-at-SLA", a.VerticalDB(90), 20},
		{"vertical-omni-keeps-it", omni.VerticalDB(0), 4.32},
		{"vertical-no-beamwidth-NaN", flat.VerticalDB(math.NaN()), 0},
		{"combined-sum", a.CombinedDB(3, 3), -6},
		{"combined-capped-at-Am", a.CombinedDB(20, 20), -25},
		{"combined-zero-no-Am", flat.CombinedDB(0, 0), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if math.Abs(c.got-c.wantDB) > 1e-5 {
				t.Errorf("got %.6f dB, want %.5f", c.got, c.wantDB)
			}
		})
	}
	if got := a.CombinedDB(0, 0); math.Signbit(got) {
		t.Errorf("CombinedDB(0, 0) = -0, want +0")
	}
	for _, got := range []float64{a.HorizontalDB(math.NaN()), a.VerticalDB(math.NaN()), a.CombinedDB(math.NaN(), 1)} {
		if !math.IsNaN(got) {
			t.Errorf("NaN in: got %g, want NaN", got)
		}
	}
}

// frozenPatternDB is PatternDB as it stood before its split into HorizontalDB, VerticalDB and
// CombinedDB (commit b33a9dc): the reference its bits must match.
func frozenPatternDB(a Antenna, bearingDeg, depressionDeg float64) float64 {
	if math.IsNaN(bearingDeg) || math.IsNaN(depressionDeg) {
		return math.NaN()
	}
	var attH, attV float64
	if !a.Omni && a.HBeamwidthDeg > 0 {
		r := normDeg(bearingDeg-a.AzimuthDeg) / a.HBeamwidthDeg
		attH = min(antPatternK*r*r, a.MaxAttenuationDB)
	}
	if a.VBeamwidthDeg > 0 {
		r := (depressionDeg - a.TiltDeg) / a.VBeamwidthDeg
		attV = min(antPatternK*r*r, a.SideLobeDB)
	}
	return 0 - min(attH+attV, a.MaxAttenuationDB)
}

// TestPatternDBMatchesFrozen compares PatternDB with frozenPatternDB bit for bit on random
// antennas (omni, zero beamwidths and zero caps included) and angles (NaN, ±0 and far out of
// range included): the coverage engine's results rest on these bits.
func TestPatternDBMatchesFrozen(t *testing.T) {
	rng := seededRand(t, rand.Uint64())
	pick := func(vals ...float64) float64 {
		if rng.IntN(8) == 0 {
			return vals[rng.IntN(len(vals))]
		}
		return vals[0]
	}
	for range 200000 {
		a := Antenna{
			Omni: rng.IntN(5) == 0, AzimuthDeg: pick(rng.Float64()*720-180, 0, 359.999999),
			HBeamwidthDeg: pick(1+rng.Float64()*359, 0, -1, 360), VBeamwidthDeg: pick(1+rng.Float64()*20, 0),
			TiltDeg:          pick(rng.Float64()*20-5, 0),
			MaxAttenuationDB: pick(rng.Float64()*40, 0, 25), SideLobeDB: pick(rng.Float64()*30, 0, 20),
		}
		b := pick(rng.Float64()*1080-360, 0, math.Copysign(0, -1), math.NaN(), a.AzimuthDeg, a.AzimuthDeg+180)
		d := pick(rng.Float64()*180-90, 0, math.NaN(), a.TiltDeg, 90)
		got, want := a.PatternDB(b, d), frozenPatternDB(a, b, d)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%+v.PatternDB(%v, %v) = %v (%#x), frozen %v (%#x)", a, b, d, got, math.Float64bits(got),
				want, math.Float64bits(want))
		}
	}
}

func BenchmarkPatternDB(b *testing.B) {
	b.ReportAllocs()
	a := DefaultAntenna()
	a.AzimuthDeg, a.TiltDeg = 120, 4
	bearing := 0.0
	for b.Loop() {
		sinkDB += a.PatternDB(bearing, 2)
		if bearing += 7.3; bearing > 360 {
			bearing -= 360
		}
	}
}
