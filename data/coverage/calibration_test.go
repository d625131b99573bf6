package coverage

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"phusong/data"
	"phusong/geo"
)

// calibrated returns def with the corrections ks.
func calibrated(def *Definition, ks ...Correction) *Definition {
	c := *def
	c.Version = def.Version + " cal"
	from := time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)
	c.Calibration = &Calibration{BaseVersion: def.Version, CreatedAt: from.Add(48 * time.Hour), Method: "test",
		Samples: 1234, From: from, To: from.Add(24 * time.Hour), Corrections: ks}
	return &c
}

// A correction adds K1 + K2·lg d to the loss of its carrier's sectors on its land class only:
// the small case's ward (west) and commune (east) land, Viettel corrected on commune land.
//
//	 ward land | commune land
//	  V1 (omni)|        P1 (vinaphone, 3 sectors)
//	           |   x  ← 2 km east of V1's mast, commune land: Viettel − (6 + 3 lg 2); VinaPhone unchanged
//	x ← ward land: Viettel unchanged
func TestCalibrationCorrectsLoss(t *testing.T) {
	e0, r0 := smallCase(t, 25)
	e1, err := e0.WithDefinition(calibrated(e0.Definition(), Correction{Carrier: "viettel", Tech: data.Tech4G,
		Land: data.TypeCommune, OffsetDB: 6, SlopeDBPerDecade: 3}))
	if err != nil {
		t.Fatal(err)
	}
	r1, err := e1.Compute(context.Background(), storeWith(t, e1, smallSites()).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	p0, p1 := e0.NewPredictor(storeWith(t, e0, smallSites()).Snapshot()), e1.NewPredictor(storeWith(t, e1, smallSites()).Snapshot())
	for _, c := range []struct {
		name    string
		carrier string
		dx      float64 // metres east of V1
		wantDB  float64 // level before − after
	}{
		{"viettel on commune land", "viettel", 2000, 6 + 3*math.Log10(2)},
		{"viettel farther on commune land", "viettel", 3200, 6 + 3*math.Log10(3.2)},
		{"viettel on ward land", "viettel", -1500, 0},
		{"vinaphone on commune land", "vinaphone", 2000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			pt := smallPoint(-1500+c.dx, 500)
			a, b := p0.Predict(c.carrier, data.Tech4G, pt[0], pt[1], ""), p1.Predict(c.carrier, data.Tech4G, pt[0], pt[1], "")
			if math.IsNaN(a.LevelDBm) || math.Abs((a.LevelDBm-b.LevelDBm)-c.wantDB) > 1e-6 {
				t.Errorf("level %.4f → %.4f dBm: down %.6f dB, want %.6f", a.LevelDBm, b.LevelDBm, a.LevelDBm-b.LevelDBm, c.wantDB)
			}
			if (c.dx > 0) == a.Ward {
				t.Errorf("land class ward=%v at %+.0f m", a.Ward, c.dx)
			}
			// The grid moves by the same amount (its tables interpolate the same loss).
			var g0, g1 float64
			for _, pl := range r0.At(pt) {
				if pl.Carrier == c.carrier && pl.Tech == data.Tech4G {
					g0 = pl.LevelDBm
				}
			}
			for _, pl := range r1.At(pt) {
				if pl.Carrier == c.carrier && pl.Tech == data.Tech4G {
					g1 = pl.LevelDBm
				}
			}
			if math.Abs((g0-g1)-c.wantDB) > 0.01 {
				t.Errorf("grid level %.4f → %.4f dBm: down %.4f dB, want %.4f", g0, g1, g0-g1, c.wantDB)
			}
		})
	}
	// Reach is the farthest over land classes: corrected on both, it shortens.
	both := Correction{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeWard, OffsetDB: 6, SlopeDBPerDecade: 3}
	e2, err := e0.WithDefinition(calibrated(e0.Definition(), e1.Definition().Calibration.Corrections[0], both))
	if err != nil {
		t.Fatal(err)
	}
	site := smallSites()[0]
	if e1.Reach(&site) != e0.Reach(&site) || !(e2.Reach(&site) < e0.Reach(&site)) {
		t.Errorf("reach %.0f m → %.0f m (commune land corrected) → %.0f m (both): want same, then shorter",
			e0.Reach(&site), e1.Reach(&site), e2.Reach(&site))
	}
	if r0.Calibration() != "uncalibrated" || r1.Calibration() != "calibrated with 1234 samples (2026-01-05..2026-01-06)" {
		t.Errorf("labels %q, %q", r0.Calibration(), r1.Calibration())
	}
}

func TestCalibrationDefinitionJSON(t *testing.T) {
	def := calibrated(DefaultDefinition(), Correction{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeWard, OffsetDB: -3.5,
		SlopeDBPerDecade: 2, Samples: 1000, Holdout: Holdout{Folds: 5, Before: ResidualStats{Count: 1000, MeanDB: 3, StdDB: 8, RMSEDB: 8.5},
			After: ResidualStats{Count: 1000, MeanDB: 0.1, StdDB: 7.9, RMSEDB: 7.9}}})
	raw, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseDefinition(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("a calibrated definition does not read back: %v\n%s", err, raw)
	}
	if back.CalibrationLabel() != def.CalibrationLabel() || back.Calibration.Corrections[0] != def.Calibration.Corrections[0] {
		t.Errorf("round trip changed the calibration: %+v", back.Calibration)
	}
	if u := back.Uncalibrated(); u.Version != DefaultDefinition().Version || u.Calibration != nil || u.CalibrationLabel() != "uncalibrated" {
		t.Errorf("Uncalibrated: version %q, calibration %v", u.Version, u.Calibration)
	}
	if DefaultDefinition().CalibrationLabel() != "uncalibrated" {
		t.Error("the embedded definition is not uncalibrated")
	}
	for _, c := range []struct {
		name string
		edit func(c *Calibration)
		want string
	}{
		{"no base", func(c *Calibration) { c.BaseVersion = "" }, "base_version"},
		{"backwards dates", func(c *Calibration) { c.To = c.From.Add(-time.Hour) }, "before from"},
		{"unknown tech", func(c *Calibration) { c.Corrections[0].Tech = data.Tech2G }, "not 3G or 4G"},
		{"unknown land", func(c *Calibration) { c.Corrections[0].Land = "urban" }, "not ward or commune"},
		{"offset too large", func(c *Calibration) { c.Corrections[0].OffsetDB = geo.MaxCorrectionOffsetDB + 1 }, "offset_db"},
		{"slope NaN", func(c *Calibration) { c.Corrections[0].SlopeDBPerDecade = math.NaN() }, "slope_db_per_decade"},
		{"twice", func(c *Calibration) { c.Corrections = append(c.Corrections, c.Corrections[0]) }, "repeats viettel/4G/ward"},
		{"no carrier", func(c *Calibration) { c.Corrections[0].Carrier = "" }, "not a carrier id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := calibrated(DefaultDefinition(), def.Calibration.Corrections[0])
			c.edit(bad.Calibration)
			if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate = %v, want an error naming %q", err, c.want)
			}
		})
	}
}
