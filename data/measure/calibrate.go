package measure

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"phusong/data/coverage"
)

// CalibrateOptions tune Calibrate. The zero value gives the defaults.
type CalibrateOptions struct {
	MinSamples    int     // fewest samples a group needs; 0 = DefaultMinSamples
	Folds         int     // hold-out folds; 0 = DefaultFolds (at least 2)
	BlockM        float64 // side of the spatial blocks the folds are made of, metres; 0 = DefaultBlockM
	MinDistanceKM float64 // samples nearer the mast are left out (the vertical pattern rules there); 0 = 0.1
	MaxDistanceKM float64 // and farther ones (beyond Hata's 20 km); 0 = 20
	// MinPredictedDBm leaves out samples predicted weaker: near the receivers' floor only the
	// samples that happened to be strong were recorded (censoring), which would bias the fit
	// upward. 0 = DefaultMinPredictedDBm.
	MinPredictedDBm float64
	// MaxPredictedDBm leaves out samples predicted stronger: receivers stop reporting near the
	// mast (3GPP's RSRP range ends at −44 dBm), the same censoring from above. 0 =
	// DefaultMaxPredictedDBm.
	MaxPredictedDBm float64
	MaxOffsetDB     float64 // sane bound on |K1|; 0 = DefaultMaxOffsetDB
	MaxSlopeDB      float64 // sane bound on |K2|, dB per decade; 0 = DefaultMaxSlopeDB
	// MinGainDB is the least the hold-out RMSE must fall for a correction to be kept: a smaller
	// gain is noise (a group the model already fits). 0 = DefaultMinGainDB.
	MinGainDB float64
	// MinSpanDecades is the least spread of lg distance (its standard deviation) for a slope to be
	// fitted; below it only the offset is fitted (and the result says so). 0 = 0.15.
	MinSpanDecades float64
	Now            time.Time // the calibration's time; zero = time.Now()
}

// Defaults of CalibrateOptions.
const (
	DefaultMinSamples  = 200
	DefaultFolds       = 5
	DefaultBlockM      = 1000.0
	DefaultMaxOffsetDB = 20.0
	DefaultMaxSlopeDB  = 15.0
	DefaultMinGainDB   = 0.05
	// DefaultMinPredictedDBm is 20 dB (2.5 shadowing σ) above a receiver floor of −140 dBm.
	DefaultMinPredictedDBm = -120.0
	// DefaultMaxPredictedDBm is 16 dB (two σ) below the top of 3GPP's RSRP reporting range.
	DefaultMaxPredictedDBm = -60.0
)

func (o *CalibrateOptions) defaults() {
	if o.MinSamples <= 0 {
		o.MinSamples = DefaultMinSamples
	}
	if o.Folds < 2 {
		o.Folds = DefaultFolds
	}
	if o.BlockM <= 0 {
		o.BlockM = DefaultBlockM
	}
	if o.MinDistanceKM <= 0 {
		o.MinDistanceKM = 0.1
	}
	if o.MaxDistanceKM <= 0 {
		o.MaxDistanceKM = 20
	}
	if o.MinPredictedDBm == 0 {
		o.MinPredictedDBm = DefaultMinPredictedDBm
	}
	if o.MaxPredictedDBm == 0 {
		o.MaxPredictedDBm = DefaultMaxPredictedDBm
	}
	if o.MaxOffsetDB <= 0 {
		o.MaxOffsetDB = DefaultMaxOffsetDB
	}
	if o.MaxSlopeDB <= 0 {
		o.MaxSlopeDB = DefaultMaxSlopeDB
	}
	if o.MinGainDB <= 0 {
		o.MinGainDB = DefaultMinGainDB
	}
	if o.MinSpanDecades <= 0 {
		o.MinSpanDecades = 0.15
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

// Method describes the fit in the calibrated definition's provenance.
const Method = "per carrier x tech x land class: Huber M-estimate (k = 1.345, MAD scale, IRLS) of measured - predicted " +
	"level against lg distance (km), giving the path-loss offset K1 and slope K2; spatial k-fold hold-out"

// GroupFit is one group's calibration: its correction (when kept) or why it was refused, with the
// hold-out figures when the fit got that far.
type GroupFit struct {
	Group
	Samples          int              `json:"samples"` // samples in the distance range with a prediction
	OffsetDB         float64          `json:"offset_db"`
	SlopeDBPerDecade float64          `json:"slope_db_per_decade"`
	SlopeFitted      bool             `json:"slope_fitted"` // false: distances too alike, offset only
	Holdout          coverage.Holdout `json:"holdout"`
	Kept             bool             `json:"kept"`
	Reason           string           `json:"reason,omitempty"` // why it was refused
	From             time.Time        `json:"from"`
	To               time.Time        `json:"to"`
}

// Calibration is what Calibrate found: the fit of every group and, when at least one was kept,
// the calibrated definition.
type Calibration struct {
	Fits       []GroupFit           `json:"fits"`
	Definition *coverage.Definition `json:"definition"` // nil: every group was refused
}

// ErrCalibrated: Calibrate was given predictions of an already calibrated definition, whose
// corrections a new fit would compound.
var ErrCalibrated = errors.New("measure: calibrate against the uncalibrated definition (Definition.Uncalibrated)")

// Calibrate fits a path-loss correction per carrier × technology × land class on c, which must
// hold predictions of an uncalibrated definition (ErrCalibrated otherwise): samples with a
// prediction from MinPredictedDBm to MaxPredictedDBm, between MinDistanceKM and MaxDistanceKM
// from the predicted sector's mast. A group is refused, with the reason, when it has fewer than
// MinSamples samples, its samples fall in fewer than two spatial blocks (no hold-out possible),
// the hold-out RMSE after correction is not at least MinGainDB below the one before, or the
// fitted K1 or K2 lies outside ±MaxOffsetDB or ±MaxSlopeDB. The kept corrections make a new
// definition: c's, versioned "<version> calibrated <time>", with its Calibration (provenance,
// hold-out figures, refusals).
func Calibrate(c *Comparison, o CalibrateOptions) (*Calibration, error) {
	if c.calibrated {
		return nil, ErrCalibrated
	}
	o.defaults()
	base := c.eng.Definition()
	out := &Calibration{Fits: []GroupFit{}}
	byGroup := make([][]int32, len(c.groups))
	for i := range c.recs {
		r := &c.recs[i]
		if r.valid() && float64(r.distKM) >= o.MinDistanceKM && float64(r.distKM) <= o.MaxDistanceKM &&
			float64(r.pred) >= o.MinPredictedDBm && float64(r.pred) <= o.MaxPredictedDBm {
			byGroup[r.group] = append(byGroup[r.group], int32(i))
		}
	}
	var kept []coverage.Correction
	var refused []coverage.Refusal
	total := 0
	var from, to time.Time
	for gi, g := range c.groups {
		fit := c.fitGroup(g, byGroup[gi], o)
		out.Fits = append(out.Fits, fit)
		if !fit.Kept {
			refused = append(refused, coverage.Refusal{Carrier: g.Carrier, Tech: g.Tech, Land: g.Land, Samples: fit.Samples, Reason: fit.Reason})
			continue
		}
		kept = append(kept, coverage.Correction{Carrier: g.Carrier, Tech: g.Tech, Land: g.Land, OffsetDB: fit.OffsetDB,
			SlopeDBPerDecade: fit.SlopeDBPerDecade, Samples: fit.Samples, From: fit.From, To: fit.To, Holdout: fit.Holdout})
		if total == 0 || fit.From.Before(from) {
			from = fit.From
		}
		if total == 0 || fit.To.After(to) {
			to = fit.To
		}
		total += fit.Samples
	}
	if len(kept) == 0 {
		return out, nil
	}
	def := *base
	now := o.Now.UTC()
	def.Version = base.Version + " calibrated " + now.Format("2006-01-02T15:04Z")
	def.Description = base.Description + " Path loss calibrated on measurements: see calibration."
	def.Calibration = &coverage.Calibration{BaseVersion: base.Version, CreatedAt: now, Method: Method, Samples: total,
		From: from, To: to, Corrections: kept, Refused: refused}
	if err := def.Validate(); err != nil {
		return nil, fmt.Errorf("measure: the calibrated definition is invalid: %w", err)
	}
	out.Definition = &def
	return out, nil
}

// fitGroup fits one group on the records idx.
func (c *Comparison) fitGroup(g Group, idx []int32, o CalibrateOptions) GroupFit {
	fit := GroupFit{Group: g, Samples: len(idx)}
	if len(idx) < o.MinSamples {
		fit.Reason = fmt.Sprintf("too few samples: %d < %d", len(idx), o.MinSamples)
		return fit
	}
	x, y := make([]float64, len(idx)), make([]float64, len(idx))
	fold := make([]int, len(idx))
	seen := map[int]bool{}
	for n, i := range idx {
		r := &c.recs[i]
		x[n], y[n] = lgDistance(r.distKM), r.residual()
		bx, by := int64(math.Floor(float64(r.x)/o.BlockM)), int64(math.Floor(float64(r.y)/o.BlockM))
		fold[n] = blockFold(bx, by, o.Folds)
		seen[fold[n]] = true
		t := time.Unix(r.unixS, 0).UTC()
		if n == 0 || t.Before(fit.From) {
			fit.From = t
		}
		if n == 0 || t.After(fit.To) {
			fit.To = t
		}
	}
	if len(seen) < 2 {
		fit.Reason = fmt.Sprintf("samples in fewer than 2 spatial blocks of %g m: no hold-out validation possible", o.BlockM)
		return fit
	}
	fit.SlopeFitted = stddev(x) >= o.MinSpanDecades
	// Hold-out: every fold predicted by the fit on the others.
	var before, after residualSum
	var trX, trY []float64
	for f := range o.Folds {
		trX, trY = trX[:0], trY[:0]
		for n := range x {
			if fold[n] != f {
				trX, trY = append(trX, x[n]), append(trY, y[n])
			}
		}
		if len(trX) == len(x) {
			continue // empty fold
		}
		a, b := huber(trX, trY, fit.SlopeFitted)
		for n := range x {
			if fold[n] == f {
				before.add(y[n])
				after.add(y[n] - a - b*x[n])
			}
		}
	}
	fit.Holdout = coverage.Holdout{Folds: len(seen), Before: before.stats(), After: after.stats()}
	a, b := huber(x, y, fit.SlopeFitted)
	fit.OffsetDB, fit.SlopeDBPerDecade = round2(-a), round2(-b)
	switch {
	case math.Abs(fit.OffsetDB) > o.MaxOffsetDB || math.Abs(fit.SlopeDBPerDecade) > o.MaxSlopeDB:
		fit.Reason = fmt.Sprintf("outside sane bounds: offset %+.1f dB (limit ±%g), slope %+.1f dB/decade (limit ±%g)",
			fit.OffsetDB, o.MaxOffsetDB, fit.SlopeDBPerDecade, o.MaxSlopeDB)
	case !(fit.Holdout.After.RMSEDB <= fit.Holdout.Before.RMSEDB-o.MinGainDB):
		fit.Reason = fmt.Sprintf("does not lower the hold-out RMSE by %g dB (%.2f dB before, %.2f after): the model already fits",
			o.MinGainDB, fit.Holdout.Before.RMSEDB, fit.Holdout.After.RMSEDB)
	default:
		fit.Kept = true
	}
	return fit
}

// blockFold assigns a spatial block to one of k folds, pseudo-randomly but reproducibly (the same
// block always lands in the same fold), so that neighbouring samples, whose shadowing is
// correlated, are never split between training and test.
func blockFold(bx, by int64, k int) int {
	z := uint64(bx)*0x9E3779B97F4A7C15 ^ uint64(by)*0xC2B2AE3D27D4EB4F // splitmix64's finaliser on the pair
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return int(z % uint64(k))
}

// stddev is the population standard deviation of v.
func stddev(v []float64) float64 {
	var s residualSum
	for _, x := range v {
		s.add(x)
	}
	m := s.sum / float64(s.n)
	return math.Sqrt(max(0, s.sumSq/float64(s.n)-m*m))
}

// Huber's M-estimator of y = a + b·x (b = 0 when !withSlope), by iteratively reweighted least
// squares: weight 1 for a residual within k·s, k·s/|r| beyond, with s the residuals' median
// absolute deviation × 1.4826 (the normal's σ), recomputed every iteration.
const (
	huberK       = 1.345
	huberMaxIter = 50
	huberTol     = 1e-6
)

func huber(x, y []float64, withSlope bool) (a, b float64) {
	w := make([]float64, len(x))
	for i := range w {
		w[i] = 1
	}
	a, b = wls(x, y, w, withSlope)
	res := make([]float64, len(x))
	for range huberMaxIter {
		for i := range x {
			res[i] = y[i] - a - b*x[i]
		}
		s := 1.4826 * mad(res)
		if s < 1e-9 {
			break
		}
		for i := range x {
			r := math.Abs(y[i] - a - b*x[i])
			if r <= huberK*s {
				w[i] = 1
			} else {
				w[i] = huberK * s / r
			}
		}
		na, nb := wls(x, y, w, withSlope)
		done := math.Abs(na-a)+math.Abs(nb-b) < huberTol
		a, b = na, nb
		if done {
			break
		}
	}
	return a, b
}

// wls is the weighted least-squares fit of y = a + b·x (b = 0 when !withSlope, or when x does
// not vary).
func wls(x, y, w []float64, withSlope bool) (a, b float64) {
	var sw, sx, sy float64
	for i := range x {
		sw += w[i]
		sx += w[i] * x[i]
		sy += w[i] * y[i]
	}
	mx, my := sx/sw, sy/sw
	if !withSlope {
		return my, 0
	}
	var sxx, sxy float64
	for i := range x {
		dx := x[i] - mx
		sxx += w[i] * dx * dx
		sxy += w[i] * dx * (y[i] - my)
	}
	if sxx == 0 {
		return my, 0
	}
	b = sxy / sxx
	return my - b*mx, b
}

// mad is the median absolute deviation from the median of v; v is reordered.
func mad(v []float64) float64 {
	m := median(v)
	for i := range v {
		v[i] = math.Abs(v[i] - m)
	}
	return median(v)
}

// median returns the median of v (the lower middle for an even count), reordering v: quickselect,
// linear on average.
func median(v []float64) float64 {
	k := (len(v) - 1) / 2
	lo, hi := 0, len(v)-1
	for lo < hi {
		p := v[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// WriteTable writes the before/after table of a calibration: per group its samples, the
// correction and the hold-out figures before and after (mean, standard deviation, RMSE, dB),
// kept or refused with the reason.
func WriteTable(w io.Writer, cal *Calibration) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "carrier\ttech\tland\tsamples\tK1 dB\tK2 dB/dec\tbefore mean\tstd\tRMSE\tafter mean\tstd\tRMSE\t")
	var notes []string
	for _, f := range cal.Fits {
		k1, k2, bm, bs, br, am, as, ar := "-", "-", "-", "-", "-", "-", "-", "-"
		if f.Holdout.Before.Count > 0 {
			b, a := f.Holdout.Before, f.Holdout.After
			k1, k2 = fmt.Sprintf("%+.1f", f.OffsetDB), fmt.Sprintf("%+.1f", f.SlopeDBPerDecade)
			if !f.SlopeFitted {
				k2 = "(0)"
			}
			bm, bs, br = fmt.Sprintf("%+.2f", b.MeanDB), fmt.Sprintf("%.2f", b.StdDB), fmt.Sprintf("%.2f", b.RMSEDB)
			am, as, ar = fmt.Sprintf("%+.2f", a.MeanDB), fmt.Sprintf("%.2f", a.StdDB), fmt.Sprintf("%.2f", a.RMSEDB)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Carrier, f.Tech, f.Land, f.Samples,
			k1, k2, bm, bs, br, am, as, ar)
		switch {
		case !f.Kept:
			notes = append(notes, fmt.Sprintf("%s %s %s: refused, %s", f.Carrier, f.Tech, f.Land, f.Reason))
		case !f.SlopeFitted:
			notes = append(notes, fmt.Sprintf("%s %s %s: distances too alike to fit a slope; offset only", f.Carrier, f.Tech, f.Land))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if cal.Definition != nil {
		notes = append(notes, "definition "+cal.Definition.Version+": "+cal.Definition.CalibrationLabel())
	} else {
		notes = append(notes, "no group could be calibrated: the definition stays uncalibrated")
	}
	_, err := fmt.Fprintln(w, "residual = measured − predicted; hold-out: each spatial fold predicted by the fit on the others\n"+
		strings.Join(notes, "\n"))
	return err
}
