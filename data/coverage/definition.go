package coverage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"phusong/data"
	"phusong/geo"
)

//go:embed definition.json
var defaultDefinitionJSON []byte

// Definition is the coverage definition: what "covered" means, per technology. It is
// configuration, not code: the default is embedded (definition.json) and can be replaced
// with --config FILE. Every output names Definition.Version and CalibrationLabel.
//
// Calibration, when present, corrects the path-loss model per carrier × technology × land class
// (package measure fits it on drive tests; `phusong calibrate` writes such a definition): the
// engine adds each correction to the loss of that carrier's sectors on that land.
type Definition struct {
	Version     string                 `json:"version"`
	Description string                 `json:"description"`
	RxHeightM   float64                `json:"rx_height_m"` // handset height above ground
	Techs       map[data.Tech]TechRule `json:"techs"`
	Calibration *Calibration           `json:"calibration,omitempty"`
}

// TechRule is the coverage rule for one technology.
type TechRule struct {
	Metric        string    `json:"metric"`          // "RSRP" (LTE, per resource element) or "RSCP" (UMTS CPICH)
	ThresholdDBm  float64   `json:"threshold_dbm"`   // level a place needs, before the reliability margin
	Reliability   float64   `json:"reliability"`     // location probability in [0.5, 0.99]; 0.5 = median prediction
	SigmaDB       float64   `json:"sigma_db"`        // outdoor location variability (log-normal σ)
	IndoorLossDB  float64   `json:"indoor_loss_db"`  // mean building-entry loss
	IndoorSigmaDB float64   `json:"indoor_sigma_db"` // combined σ indoors
	Model         geo.Model `json:"model"`           // path-loss model
	WardEnv       geo.Env   `json:"ward_env"`        // environment on ward (phường) land
	CommuneEnv    geo.Env   `json:"commune_env"`     // environment on commune (xã) land
	LargeCity     bool      `json:"large_city,omitempty"`
	CmDB          float64   `json:"cm_db,omitempty"` // COST-231 metropolitan correction (0 or 3)
	TiersDBm      []float64 `json:"tiers_dbm"`       // heat-map tier lower bounds, strongest first
}

// DefaultDefinition returns the embedded coverage definition.
func DefaultDefinition() *Definition {
	d, err := ParseDefinition(bytes.NewReader(defaultDefinitionJSON))
	if err != nil {
		panic("coverage: embedded definition.json is invalid: " + err.Error())
	}
	return d
}

// LoadDefinition reads a definition file (JSON, same shape as the embedded default).
func LoadDefinition(path string) (*Definition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := ParseDefinition(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// ParseDefinition decodes and validates a definition. Unknown fields are errors.
func ParseDefinition(r io.Reader) (*Definition, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("coverage: definition: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Validate checks every field and names the first bad one.
func (d *Definition) Validate() error {
	if d.Version == "" {
		return fmt.Errorf("coverage: definition: version is required")
	}
	if d.RxHeightM < 1 || d.RxHeightM > 10 {
		return fmt.Errorf("coverage: definition: rx_height_m %.2f outside 1..10", d.RxHeightM)
	}
	for _, t := range data.AnalysedTechs {
		r, ok := d.Techs[t]
		if !ok {
			return fmt.Errorf("coverage: definition: techs.%s is missing", t)
		}
		bad := func(field, why string) error {
			return fmt.Errorf("coverage: definition: techs.%s.%s %s", t, field, why)
		}
		switch {
		case r.Metric != "RSRP" && r.Metric != "RSCP":
			return bad("metric", "must be RSRP or RSCP")
		case r.ThresholdDBm > -40 || r.ThresholdDBm < -140:
			return bad("threshold_dbm", "outside -140..-40")
		case r.Reliability < 0.5 || r.Reliability > 0.99:
			return bad("reliability", "outside 0.5..0.99")
		case r.SigmaDB < 0 || r.IndoorSigmaDB < 0 || r.IndoorLossDB < 0:
			return bad("sigma_db/indoor_sigma_db/indoor_loss_db", "must not be negative")
		case !validModel(r.Model):
			return bad("model", fmt.Sprintf("%q unknown", r.Model))
		case !validEnv(r.WardEnv):
			return bad("ward_env", fmt.Sprintf("%q unknown", r.WardEnv))
		case !validEnv(r.CommuneEnv):
			return bad("commune_env", fmt.Sprintf("%q unknown", r.CommuneEnv))
		case len(r.TiersDBm) == 0:
			return bad("tiers_dbm", "must list at least one tier")
		}
	}
	if d.Calibration != nil {
		return validateCalibration(d.Calibration)
	}
	return nil
}

func validModel(m geo.Model) bool {
	switch m {
	case geo.ModelFreeSpace, geo.ModelHata, geo.ModelCOST231, geo.ModelExtHata:
		return true
	}
	return false
}

func validEnv(e geo.Env) bool {
	return e == geo.EnvUrban || e == geo.EnvSuburban || e == geo.EnvOpen
}

// Rule returns the rule for t and whether t is analysed.
func (d *Definition) Rule(t data.Tech) (TechRule, bool) {
	r, ok := d.Techs[t]
	return r, ok
}

// RequiredMedianDBm is the median predicted level a place needs to count as covered with
// the rule's location reliability: threshold + z·σ outdoors, plus building-entry loss and
// z·σ_indoor indoors.
func (r TechRule) RequiredMedianDBm(indoor bool) float64 {
	z := normalQuantile(r.Reliability)
	if indoor {
		return r.ThresholdDBm + r.IndoorLossDB + z*r.IndoorSigmaDB
	}
	return r.ThresholdDBm + z*r.SigmaDB
}

// Env returns the propagation environment for land of commune type ct.
func (r TechRule) Env(ct data.CommuneType) geo.Env {
	if ct == data.TypeWard {
		return r.WardEnv
	}
	return r.CommuneEnv
}

// normalQuantile is the standard normal inverse CDF for p in (0, 1) (Acklam's rational
// approximation, relative error < 1.2e-9). normalQuantile(0.5) is exactly 0.
func normalQuantile(p float64) float64 {
	if p == 0.5 {
		return 0
	}
	a := [...]float64{-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00}
	b := [...]float64{-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01}
	c := [...]float64{-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00}
	dd := [...]float64{7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00}
	const low = 0.02425
	switch {
	case p < low:
		q := math.Sqrt(-2 * math.Log(p))
		return (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) / ((((dd[0]*q+dd[1])*q+dd[2])*q+dd[3])*q + 1)
	case p <= 1-low:
		q := p - 0.5
		r := q * q
		return (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r + a[5]) * q / (((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r + 1)
	default:
		q := math.Sqrt(-2 * math.Log(1-p))
		return -(((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) / ((((dd[0]*q+dd[1])*q+dd[2])*q+dd[3])*q + 1)
	}
}
