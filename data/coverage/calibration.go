package coverage

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"phusong/data"
	"phusong/geo"
)

// Calibration is what a drive-test calibration (package measure) changed in a definition: a
// path-loss correction per carrier × technology × land class, and where the corrections come
// from. A definition without one is "uncalibrated": its models are the published ones.
type Calibration struct {
	BaseVersion string       `json:"base_version"` // version of the uncalibrated definition the fits started from
	CreatedAt   time.Time    `json:"created_at"`   // UTC
	Method      string       `json:"method"`       // how the corrections were fitted, in words
	Samples     int          `json:"samples"`      // measurement samples behind the corrections kept
	From        time.Time    `json:"from"`         // time of the first and last of those samples, UTC
	To          time.Time    `json:"to"`
	Corrections []Correction `json:"corrections"`       // at most one per (carrier, tech, land)
	Refused     []Refusal    `json:"refused,omitempty"` // groups left uncorrected, and why
}

// Correction is the path-loss correction of one carrier's technology on one land class: its
// OffsetDB and SlopeDBPerDecade are added to the model's loss (geo.PathLoss's K1 and K2), so a
// positive offset predicts weaker levels. Holdout says how well it did on measurements it was not
// fitted on.
type Correction struct {
	Carrier          string           `json:"carrier"`
	Tech             data.Tech        `json:"tech"`
	Land             data.CommuneType `json:"land"` // ward (the definition's ward_env) or commune (commune_env)
	OffsetDB         float64          `json:"offset_db"`
	SlopeDBPerDecade float64          `json:"slope_db_per_decade"`
	Samples          int              `json:"samples"`
	From             time.Time        `json:"from"`
	To               time.Time        `json:"to"`
	Holdout          Holdout          `json:"holdout"`
}

// Holdout is a k-fold hold-out validation: the residuals (measured − predicted) of every sample
// predicted by a fit that did not see it, Before (the uncorrected model) and After correction.
type Holdout struct {
	Folds  int           `json:"folds"`
	Before ResidualStats `json:"before"`
	After  ResidualStats `json:"after"`
}

// ResidualStats summarise residuals, measured − predicted level in dB (positive: the prediction
// is pessimistic). StdDB is the population standard deviation; RMSEDB² = MeanDB² + StdDB².
type ResidualStats struct {
	Count  int     `json:"count"`
	MeanDB float64 `json:"mean_db"`
	StdDB  float64 `json:"std_db"`
	RMSEDB float64 `json:"rmse_db"`
}

// Refusal is a group a calibration left uncorrected and the reason ("too few samples: 57 < 200").
type Refusal struct {
	Carrier string           `json:"carrier"`
	Tech    data.Tech        `json:"tech"`
	Land    data.CommuneType `json:"land"`
	Samples int              `json:"samples"`
	Reason  string           `json:"reason"`
}

// labelDate is how calibration labels write dates.
const labelDate = "2006-01-02"

// CalibrationLabel says whether d is calibrated: "uncalibrated", or "calibrated with N samples
// (FROM..TO)" with the samples' dates (UTC). Every output that names the definition says it.
func (d *Definition) CalibrationLabel() string {
	c := d.Calibration
	if c == nil || len(c.Corrections) == 0 {
		return "uncalibrated"
	}
	return fmt.Sprintf("calibrated with %d samples (%s..%s)", c.Samples, c.From.UTC().Format(labelDate), c.To.UTC().Format(labelDate))
}

// Uncalibrated returns d without its calibration, under the version it was calibrated from: the
// definition a new calibration fits against (so that corrections never compound). An
// uncalibrated d is returned as it is.
func (d *Definition) Uncalibrated() *Definition {
	if d.Calibration == nil {
		return d
	}
	u := *d
	u.Version, u.Calibration = d.Calibration.BaseVersion, nil
	return &u
}

// validateCalibration checks c's provenance and corrections (their bounds are geo's, checked
// again when the engine builds the path-loss models).
func validateCalibration(c *Calibration) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("coverage: definition: calibration: "+format, args...)
	}
	switch {
	case c.BaseVersion == "":
		return bad("base_version is required")
	case c.Samples < 0:
		return bad("samples %d is negative", c.Samples)
	case c.To.Before(c.From):
		return bad("to %s is before from %s", c.To.Format(time.RFC3339), c.From.Format(time.RFC3339))
	}
	seen := map[string]bool{}
	for i, k := range c.Corrections {
		key := k.Carrier + "/" + string(k.Tech) + "/" + string(k.Land)
		switch {
		case k.Carrier == "" || strings.ContainsFunc(k.Carrier, func(r rune) bool { return r <= ' ' || r == '/' }):
			return bad("corrections[%d].carrier %q is not a carrier id", i, k.Carrier)
		case !slices.Contains(data.AnalysedTechs, k.Tech):
			return bad("corrections[%d].tech %q is not 3G or 4G", i, k.Tech)
		case k.Land != data.TypeWard && k.Land != data.TypeCommune:
			return bad("corrections[%d].land %q is not ward or commune", i, k.Land)
		case !(math.Abs(k.OffsetDB) <= geo.MaxCorrectionOffsetDB):
			return bad("corrections[%d].offset_db %g outside ±%g", i, k.OffsetDB, geo.MaxCorrectionOffsetDB)
		case !(math.Abs(k.SlopeDBPerDecade) <= geo.MaxCorrectionSlopeDB):
			return bad("corrections[%d].slope_db_per_decade %g outside ±%g", i, k.SlopeDBPerDecade, geo.MaxCorrectionSlopeDB)
		case seen[key]:
			return bad("corrections[%d] repeats %s", i, key)
		}
		seen[key] = true
	}
	return nil
}

// correctionOf returns the correction of (carrier, t, land) in d, or false.
func (d *Definition) correctionOf(carrier string, t data.Tech, land data.CommuneType) (Correction, bool) {
	if d.Calibration == nil {
		return Correction{}, false
	}
	for _, k := range d.Calibration.Corrections {
		if k.Carrier == carrier && k.Tech == t && k.Land == land {
			return k, true
		}
	}
	return Correction{}, false
}
