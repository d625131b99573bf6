package geo

import (
	"errors"
	"fmt"
	"math"
)

// Model names a path-loss model.
type Model string

// Path-loss models. See ../shared/docs/rf-reference.md for formulas and check values.
const (
	ModelFreeSpace Model = "fspl"     // ITU-R P.525
	ModelHata      Model = "hata"     // Okumura-Hata, 150-1500 MHz
	ModelCOST231   Model = "cost231"  // COST-231 Hata, 1500-2000 MHz
	ModelExtHata   Model = "ext-hata" // Extended Hata, ITU-R SM.2028, 30-3000 MHz
)

// Env is the propagation environment of the receiver.
type Env string

// Environments.
const (
	EnvUrban    Env = "urban"
	EnvSuburban Env = "suburban"
	EnvOpen     Env = "open"
)

// Errors of PathLoss.Validate.
var (
	ErrUnknownModel = errors.New("geo: unknown path-loss model")
	ErrUnknownEnv   = errors.New("geo: unknown propagation environment")
	ErrCm           = errors.New("geo: COST-231 Cm must be 0 or 3 dB, and only COST-231 has one")
	ErrLargeCity    = errors.New("geo: the large-city correction exists for hata only")
	ErrCorrection   = errors.New("geo: path-loss correction out of range")
)

// Bounds of a PathLoss correction (see PathLoss): beyond them a calibration has gone wrong, and
// a slope correction of more than MaxCorrectionSlopeDB per decade could make the loss fall with
// distance (the Hata slope is 44.9 − 6.55 lg hb: 30.6 dB per decade at hb = 150 m).
const (
	MaxCorrectionOffsetDB = 40.0 // |OffsetDB|
	MaxCorrectionSlopeDB  = 25.0 // |SlopeDBPerDecade|
	// CorrectionMinKM is the distance below which the slope correction stays at its value there:
	// lg d of a few metres would otherwise swing the loss by tens of dB beside the mast.
	CorrectionMinKM = 0.1
)

// Constants of the models (rf-reference.md; ITU-R SM.2028 for Extended Hata).
const (
	plFreeSpaceDB      = 32.45              // ITU-R P.525 constant for f in MHz, d in km
	plFreeSpaceSlopeDB = 20                 // free space: dB per decade of distance
	plMinSlantKM2      = 1e-6               // (1 m)²: shortest slant range, km²
	plExtNearKM        = 0.04               // Extended Hata: free space below this distance
	plExtFarKM         = 0.1                // Extended Hata: Hata formula from this distance
	plExtAlphaKM       = 20                 // Extended Hata: α > 1 beyond this distance
	plHataLargeFMHz    = 400                // Hata: large-city a(hm) formula switch, MHz
	plMaxRangeKM       = 100                // RangeKM search bound
	plRangeTolKM       = 1e-6               // RangeKM bisection tolerance (1 mm)
	plLg28             = 1.4471580313422192 // lg 28, for lg(f/28)
	plLg20             = 1.3010299956639813 // lg 20, Extended Hata's α reference
	plTenLg2           = 3.010299956639812  // 10 lg 2, dB per doubling
	plLg2p5            = 0.3979400086720376 // lg(0.1/0.04), the width of Extended Hata's interpolation
)

// PathLoss selects a path-loss model and its parameters. The zero value is invalid; see Validate.
//
//   - ModelFreeSpace: ITU-R P.525 on the slant range sqrt(d² + (hb−hm)²); Env must still be valid
//     but changes nothing.
//   - ModelHata: Okumura-Hata. LargeCity picks the large-city a(hm) (3.2(lg 11.75 hm)² − 4.97 for
//     f ≥ 400 MHz, Hata's 8.29(lg 1.54 hm)² − 1.1 below) instead of the small/medium-city one. The
//     suburban and open corrections are applied to the urban loss computed with that a(hm).
//   - ModelCOST231: COST-231 Hata with the small/medium-city a(hm) plus CmDB (0 or 3 dB). COST-231
//     defines no suburban or open variant, so EnvSuburban and EnvOpen give the same loss as EnvUrban:
//     nothing extra is applied.
//   - ModelExtHata: Extended Hata (ITU-R SM.2028, as SEAMCAT implements it), with its 30-150 MHz
//     branch, free space on the slant range below 40 m, interpolation in lg d up to 100 m, and α > 1
//     beyond 20 km.
//
// OffsetDB and SlopeDBPerDecade are a calibration's correction of the model, the K1 and K2 of the
// Standard Propagation Model's tuning: L = L_model + OffsetDB + SlopeDBPerDecade·lg(max(d,
// CorrectionMinKM)/1 km), with d the horizontal distance; both are 0 for the model as published.
//
// Every model is floored at free space on the slant range, after the correction: L = max(L_model
// (+ correction), L_fspl). The formulas are extrapolated outside their validity ranges (Hata:
// f 150-1500 MHz, hb 30-200 m, hm 1-10 m, d 1-20 km; COST-231: f 1500-2000 MHz).
type PathLoss struct {
	Model            Model
	Env              Env
	LargeCity        bool    // hata only: large-city mobile-height correction
	CmDB             float64 // cost231 only: 0 (medium city, suburban centres) or 3 dB (metropolitan centres)
	OffsetDB         float64 // calibration: loss added at every distance, dB (K1)
	SlopeDBPerDecade float64 // calibration: loss added per decade of distance from 1 km, dB (K2)
}

// Validate reports why p cannot be used: an unknown model (ErrUnknownModel) or environment
// (ErrUnknownEnv, also for the free-space model), CmDB other than 0 or 3, or non-zero outside
// COST-231 (ErrCm), LargeCity outside hata (ErrLargeCity), a correction that is not finite or
// beyond MaxCorrectionOffsetDB or MaxCorrectionSlopeDB, or a negative slope on free space
// (ErrCorrection). It returns nil, without
// allocating, for a valid p.
func (p PathLoss) Validate() error {
	switch p.Model {
	case ModelFreeSpace, ModelHata, ModelCOST231, ModelExtHata:
	default:
		return fmt.Errorf("%w %q", ErrUnknownModel, p.Model)
	}
	switch p.Env {
	case EnvUrban, EnvSuburban, EnvOpen:
	default:
		return fmt.Errorf("%w %q", ErrUnknownEnv, p.Env)
	}
	if p.CmDB != 0 && (p.Model != ModelCOST231 || p.CmDB != 3) {
		return fmt.Errorf("%w: got %g dB for %s", ErrCm, p.CmDB, p.Model)
	}
	if p.LargeCity && p.Model != ModelHata {
		return fmt.Errorf("%w, not %s", ErrLargeCity, p.Model)
	}
	if !(math.Abs(p.OffsetDB) <= MaxCorrectionOffsetDB) || !(math.Abs(p.SlopeDBPerDecade) <= MaxCorrectionSlopeDB) {
		return fmt.Errorf("%w: offset %g dB (at most ±%g), slope %g dB/decade (at most ±%g)", ErrCorrection,
			p.OffsetDB, MaxCorrectionOffsetDB, p.SlopeDBPerDecade, MaxCorrectionSlopeDB)
	}
	if p.Model == ModelFreeSpace && p.SlopeDBPerDecade < 0 {
		// free space grows by less than 20 dB per decade where the mast height dominates the
		// slant range, so any negative slope could make it fall
		return fmt.Errorf("%w: a negative slope (%g dB/decade) could make free-space loss fall with distance", ErrCorrection, p.SlopeDBPerDecade)
	}
	return nil
}

// FreeSpaceLossDB is the free-space basic transmission loss of ITU-R P.525 in dB,
// 32.45 + 20 lg f + 20 lg d, for freqMHz in MHz and distKM in km. distKM = 0 gives -Inf; negative
// or NaN inputs give NaN.
func FreeSpaceLossDB(freqMHz, distKM float64) float64 {
	return plFreeSpaceDB + 20*math.Log10(freqMHz) + 20*math.Log10(distKM)
}

// LossDB is the median path loss in dB of p at freqMHz between a transmitter txHeightM and a receiver
// rxHeightM above ground (metres), distKM apart horizontally (km). It never falls below free space on
// the slant range, which is taken as at least 1 m, and it is non-decreasing in distKM. An invalid p,
// a non-positive or non-finite frequency or height, or a negative or NaN distance give NaN.
//
// Loops over many receivers of one transmitter should call Curve once and LossCurve.LossDB per
// receiver: same result, fewer logarithms.
func (p PathLoss) LossDB(freqMHz, txHeightM, rxHeightM, distKM float64) float64 {
	c := p.Curve(freqMHz, txHeightM, rxHeightM)
	return c.LossDB(distKM)
}

// RangeKM is the largest distance in km, within (0, 100], at which p.LossDB(freqMHz, txHeightM,
// rxHeightM, d) <= maxLossDB: 0 if even 1 m exceeds it (or the inputs are invalid or NaN), 100 if
// it is never exceeded. It bisects the monotone loss to 1 mm and returns the near end, so the loss at
// the returned distance never exceeds maxLossDB.
func (p PathLoss) RangeKM(freqMHz, txHeightM, rxHeightM, maxLossDB float64) float64 {
	c := p.Curve(freqMHz, txHeightM, rxHeightM)
	return c.RangeKM(maxLossDB)
}

// curveKind tells LossCurve which formula to evaluate; the zero kind is invalid.
type curveKind uint8

const (
	curveInvalid curveKind = iota
	curveFreeSpace
	curveHata    // constDB + slopeDB·lg d (Hata, COST-231)
	curveExtHata // Extended Hata piecewise form
)

// LossCurve is a PathLoss bound to one frequency and pair of antenna heights: the loss as a function
// of distance alone, with every distance-free term computed once. p.Curve(f, hb, hm).LossDB(d) equals
// p.LossDB(f, hb, hm, d). The zero value is invalid and gives NaN.
type LossCurve struct {
	kind     curveKind
	fsDB     float64 // 32.45 + 20 lg f
	dh2KM2   float64 // ((hb − hm)/1000)², km²
	constDB  float64 // model loss at 1 km, environment correction included
	slopeDB  float64 // dB per decade of distance: 44.9 − 6.55 lg H
	alphaK   float64 // Extended Hata: α − 1 = alphaK·(lg(d/20))^0.8 beyond 20 km
	nearDB   float64 // Extended Hata: free space on the slant range at 40 m
	interpDB float64 // Extended Hata: (L(0.1) − nearDB) / lg(0.1/0.04), dB per decade from 40 m to 100 m
	corrDB   float64 // PathLoss.OffsetDB
	corrK    float64 // PathLoss.SlopeDBPerDecade
}

// Curve binds p to freqMHz and the transmitter and receiver heights (metres above ground). It returns
// the invalid (NaN) curve for an invalid p or a non-positive or non-finite input.
func (p PathLoss) Curve(freqMHz, txHeightM, rxHeightM float64) LossCurve {
	if !finitePositive(freqMHz) || !finitePositive(txHeightM) || !finitePositive(rxHeightM) || p.Validate() != nil {
		return LossCurve{}
	}
	lgF := math.Log10(freqMHz)
	dhKM := (txHeightM - rxHeightM) / 1000
	c := LossCurve{kind: curveFreeSpace, fsDB: plFreeSpaceDB + 20*lgF, dh2KM2: dhKM * dhKM,
		corrDB: p.OffsetDB, corrK: p.SlopeDBPerDecade}
	switch p.Model {
	case ModelHata:
		c.kind = curveHata
		lgHb := math.Log10(txHeightM)
		c.constDB = 69.55 + 26.16*lgF - 13.82*lgHb - hataMobileDB(lgF, rxHeightM, p.LargeCity)
		c.slopeDB = 44.9 - 6.55*lgHb
		c.constDB -= envCorrectionDB(p.Env, lgF)
	case ModelCOST231:
		c.kind = curveHata
		lgHb := math.Log10(txHeightM)
		c.constDB = 46.3 + 33.9*lgF - 13.82*lgHb - hataMobileDB(lgF, rxHeightM, false) + p.CmDB
		c.slopeDB = 44.9 - 6.55*lgHb
	case ModelExtHata:
		c.kind = curveExtHata
		c.extHata(p.Env, freqMHz, lgF, txHeightM, rxHeightM)
	}
	return c
}

// extHata fills the Extended Hata terms of c (ITU-R SM.2028 §2.3 / SEAMCAT).
func (c *LossCurve) extHata(env Env, freqMHz, lgF, hbM, hmM float64) {
	lgH := math.Log10(max(30, hbM))
	var base float64
	switch {
	case freqMHz <= 150:
		base = 69.6 + 26.2*math.Log10(150) - 20*(math.Log10(150)-lgF)
	case freqMHz <= 1500:
		base = 69.6 + 26.2*lgF
	case freqMHz <= 2000:
		base = 46.3 + 33.9*lgF
	default:
		base = 46.3 + 33.9*math.Log10(2000) + 10*(lgF-math.Log10(2000))
	}
	aHm := (1.1*lgF-0.7)*min(10, hmM) - (1.56*lgF - 0.8)
	if hmM > 10 {
		aHm += 20 * math.Log10(hmM/10)
	}
	var bHb float64
	if hbM < 30 {
		bHb = 20 * math.Log10(hbM/30)
	}
	lgClampF := lgF
	if freqMHz < 150 || freqMHz > 2000 {
		lgClampF = math.Log10(min(max(150, freqMHz), 2000))
	}
	c.constDB = base - 13.82*lgH - aHm - bHb - envCorrectionDB(env, lgClampF)
	c.slopeDB = 44.9 - 6.55*lgH
	c.alphaK = 0.14 + 1.87e-4*freqMHz + 1.07e-3*hbM
	c.nearDB = c.fsDB + 10*math.Log10(plExtNearKM*plExtNearKM+c.dh2KM2)
	farDB := c.constDB - c.slopeDB // lg 0.1 = −1
	c.interpDB = (farDB - c.nearDB) / plLg2p5
}

// hataMobileDB is Hata's mobile-antenna height correction a(hm) in dB for lgF = lg f (MHz).
func hataMobileDB(lgF, hmM float64, largeCity bool) float64 {
	if !largeCity {
		return (1.1*lgF-0.7)*hmM - (1.56*lgF - 0.8)
	}
	if lgF >= math.Log10(plHataLargeFMHz) {
		x := math.Log10(11.75 * hmM)
		return 3.2*x*x - 4.97
	}
	x := math.Log10(1.54 * hmM)
	return 8.29*x*x - 1.1
}

// envCorrectionDB is what the Hata suburban or open-area formula subtracts from the urban loss, for
// lgF = lg f (MHz); 0 for urban.
func envCorrectionDB(env Env, lgF float64) float64 {
	switch env {
	case EnvSuburban:
		x := lgF - plLg28
		return 2*x*x + 5.4
	case EnvOpen:
		return 4.78*lgF*lgF - 18.33*lgF + 40.94
	}
	return 0
}

// LossDB is the path loss in dB at distKM km horizontal distance; see PathLoss.LossDB. Negative or
// NaN distances and the invalid curve give NaN.
func (c LossCurve) LossDB(distKM float64) float64 {
	if c.kind == curveInvalid || !(distKM >= 0) {
		return math.NaN()
	}
	slant2 := max(distKM*distKM+c.dh2KM2, plMinSlantKM2)
	var l float64
	switch {
	case (c.kind == curveFreeSpace || c.kind == curveExtHata && distKM < plExtNearKM) && c.corrDB == 0 && c.corrK == 0:
		return c.fsDB + 10*math.Log10(slant2)
	case c.kind == curveFreeSpace || c.kind == curveExtHata && distKM < plExtNearKM:
		l = c.fsDB + 10*math.Log10(slant2)
	case c.kind == curveHata || distKM >= plExtFarKM && distKM <= plExtAlphaKM:
		l = c.constDB + c.slopeDB*math.Log10(distKM)
	case distKM < plExtFarKM:
		l = c.nearDB + c.interpDB*math.Log10(distKM/plExtNearKM)
	default: // Extended Hata beyond 20 km
		lgD := math.Log10(distKM)                                        // x^y = exp(y ln x) below, for x > 0: math.Pow is 1.5× slower
		alpha := 1 + c.alphaK*math.Exp(0.8*math.Log(max(lgD-plLg20, 0))) // max: rounding just past 20 km
		l = c.constDB + c.slopeDB*math.Exp(alpha*math.Log(lgD))
	}
	if c.corrDB != 0 || c.corrK != 0 {
		l += c.corrDB + c.corrK*math.Log10(max(distKM, CorrectionMinKM))
	}
	// Free-space floor. With slant2 = m·2^e, m in [0.5, 1), 10 lg slant2 < e·10 lg 2, so a loss above
	// that bound (the common case away from the mast) needs no second logarithm.
	if _, e := math.Frexp(slant2); l >= c.fsDB+plTenLg2*float64(e) {
		return l
	}
	if floorDB := c.fsDB + 10*math.Log10(slant2); !(l > floorDB) { // NaN l (d = 0, zero slope) too
		return floorDB
	}
	return l
}

// RangeKM is the largest distance in km within (0, 100] at which c.LossDB <= maxLossDB; see
// PathLoss.RangeKM.
func (c LossCurve) RangeKM(maxLossDB float64) float64 {
	lo, hi := math.Sqrt(plMinSlantKM2), float64(plMaxRangeKM)
	if !(c.LossDB(lo) <= maxLossDB) {
		return 0
	}
	if c.LossDB(hi) <= maxLossDB {
		return hi
	}
	for hi-lo > plRangeTolKM {
		mid := (lo + hi) / 2
		if c.LossDB(mid) <= maxLossDB {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// finitePositive reports whether x is in (0, +Inf).
func finitePositive(x float64) bool { return x > 0 && x <= math.MaxFloat64 }
