package geo

import (
	"math"
	"testing"
)

// TestLossDBCorrectionOneTerm: a calibration with only an offset, or only a slope, is applied
// alone (TestLossDBCorrection's cases all have both, or an offset hidden by the free-space floor),
// on the Hata part and on the free-space part of Extended Hata. Hand values from
// TestLossDBCorrection's: suburban 900/30/1.5/5 = 141.24997, + 6 = 147.24997, + 3 lg 5 =
// 143.34688; free space on the 28.5 m-high slant at 20 m, 1800 MHz = 68.39137, + 6 = 74.39137,
// − 3 lg 0.1 = 71.39137 (the slope held at its 100 m value).
func TestLossDBCorrectionOneTerm(t *testing.T) {
	checkLossCases(t, 1e-4, []lossCase{
		{"ext-hata-suburban-900-offset-only", PathLoss{Model: ModelExtHata, Env: EnvSuburban, OffsetDB: 6}, 900, 30, 1.5, 5, 147.24997},
		{"ext-hata-suburban-900-slope-only", PathLoss{Model: ModelExtHata, Env: EnvSuburban, SlopeDBPerDecade: 3}, 900, 30, 1.5, 5, 143.34688},
		{"ext-hata-near-free-space-offset-only", PathLoss{Model: ModelExtHata, Env: EnvUrban, OffsetDB: 6}, 1800, 30, 1.5, 0.02, 74.39137},
		{"ext-hata-near-free-space-slope-only", PathLoss{Model: ModelExtHata, Env: EnvUrban, SlopeDBPerDecade: -3}, 1800, 30, 1.5, 0.02, 71.39137},
	})
}

// TestLossDBHataUnder40m: Hata and COST-231 keep their own formula under 40 m (only Extended
// Hata switches to free space there), and at 30 m from a 30 m mast it is above the free-space
// floor. Hand values (python3 math.log10): hata urban 900/30/1.5/0.03 = 126.41917 − 0.01588 +
// 35.22486 lg 0.03 = 72.76010 (free space on the 41.4 m slant: 63.87052); cost231 Cm 0
// 1800/30/1.5/0.03 = 46.3 + 33.9 lg 1800 − 13.82 lg 30 − 0.04297 + 35.22486 lg 0.03 = 82.55376
// (free space 69.89112).
func TestLossDBHataUnder40m(t *testing.T) {
	checkLossCases(t, 1e-4, []lossCase{
		{"hata-urban-900-at-30m", PathLoss{Model: ModelHata, Env: EnvUrban}, 900, 30, 1.5, 0.03, 72.76010},
		{"cost231-urban-1800-at-30m", PathLoss{Model: ModelCOST231, Env: EnvUrban}, 1800, 30, 1.5, 0.03, 82.55376},
	})
}

// TestRangeKMAtSearchBounds: a limit equal to the loss at either end of RangeKM's search is met
// there, as documented ("0 if even 1 m exceeds it, 100 if it is never exceeded"). Free space with
// equal heights at 900 MHz and 1 m: 32.45 + 20 lg 900 + 20 lg 0.001 = 31.53485 dB (hand value), and
// the range at exactly that loss is 1 m, not 0.
func TestRangeKMAtSearchBounds(t *testing.T) {
	fs := PathLoss{Model: ModelFreeSpace, Env: EnvOpen}
	atOneM := fs.LossDB(900, 10, 10, 0.001)
	if math.Abs(atOneM-31.53485) > 1e-5 {
		t.Fatalf("free space 900 MHz at 1 m = %.5f dB, want 31.53485", atOneM)
	}
	if got := fs.RangeKM(900, 10, 10, atOneM); math.Abs(got-0.001) > 2e-6 {
		t.Errorf("RangeKM at the loss of 1 m = %.7f km, want 0.001", got)
	}
	for _, p := range allPathLosses() {
		at100 := p.LossDB(900, 30, 1.5, 100)
		if got := p.RangeKM(900, 30, 1.5, at100); got != 100 {
			t.Errorf("%+v: RangeKM at the loss of 100 km (%.5f dB) = %.9f km, want 100", p, at100, got)
		}
	}
}

// TestLossDBMaxFiniteFrequency: the largest finite frequency is finite, so valid (LossDB's doc
// refuses only non-positive or non-finite ones): free space between equal heights 1 km apart at
// math.MaxFloat64 MHz is 32.45 + 20 lg(1.7976931348623157e308) = 6197.54431 dB (hand value).
func TestLossDBMaxFiniteFrequency(t *testing.T) {
	checkLossCases(t, 1e-4, []lossCase{
		{"free-space-max-float64-MHz", PathLoss{Model: ModelFreeSpace, Env: EnvOpen}, math.MaxFloat64, 10, 10, 1, 6197.54431},
	})
}

// checkLossCases is runLossCases with a comparison a NaN fails: runLossCases's
// math.Abs(got-want) > tol is false for a NaN result, so a case whose input LossDB wrongly
// refuses passes there.
func checkLossCases(t *testing.T, tolDB float64, cases []lossCase) {
	t.Helper()
	for _, c := range cases {
		if got := c.p.LossDB(c.freqMHz, c.hb, c.hm, c.distKM); !(math.Abs(got-c.wantDB) <= tolDB) {
			t.Errorf("%s: %+v.LossDB(%g MHz, %g m, %g m, %g km) = %.5f dB, want %.5f ± %g", c.name, c.p, c.freqMHz, c.hb, c.hm, c.distKM, got, c.wantDB, tolDB)
		}
	}
}
