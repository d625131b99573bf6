package measure

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
)

// Filter selects samples for Stats and Bins: a carrier id and a technology ("" = every one).
type Filter struct {
	Carrier string
	Tech    data.Tech
}

func (f Filter) match(g Group) bool {
	return (f.Carrier == "" || f.Carrier == g.Carrier) && (f.Tech == "" || f.Tech == g.Tech)
}

// DistanceBinsKM are the lower edges of the distance bins of Stats, km; the last bin has no
// upper edge.
func DistanceBinsKM() []float64 { return []float64{0, 0.5, 1, 2, 5, 10} }

// GroupStats are the residuals (measured − predicted) of one carrier × technology × land class.
type GroupStats struct {
	Group
	coverage.ResidualStats
	Unpredicted int `json:"unpredicted"` // samples with no sector to predict from (not in the figures)
	Outside     int `json:"outside"`     // samples predicted outside the residual window (not in the figures)
	Matched     int `json:"matched"`     // samples predicted from the sector their cell id names
}

// BinStats are the residuals of one carrier × technology in one distance bin [FromKM, ToKM)
// (ToKM null: no upper edge).
type BinStats struct {
	Carrier string    `json:"carrier"`
	Tech    data.Tech `json:"tech"`
	FromKM  float64   `json:"from_km"`
	ToKM    *float64  `json:"to_km"`
	coverage.ResidualStats
}

// CommuneConfusion counts, in one commune for one technology, the samples by measured and
// predicted coverage: measured covered when the level is at least the definition's threshold,
// predicted covered when the predicted median is at least the outdoor level the definition
// requires (threshold + the reliability margin). Agreement is the share of samples in
// BothCovered or NeitherCovered, percent.
type CommuneConfusion struct {
	Code           string    `json:"code"`
	Name           string    `json:"name"`
	Tech           data.Tech `json:"tech"`
	Samples        int       `json:"samples"`
	BothCovered    int       `json:"both_covered"`
	PredictedOnly  int       `json:"predicted_only"` // predicted covered, measured not: the map promises too much
	MeasuredOnly   int       `json:"measured_only"`  // measured covered, predicted not: the map is too cautious
	NeitherCovered int       `json:"neither_covered"`
	AgreementPct   float64   `json:"agreement_pct"`
}

// Summary is the comparison of the samples a Filter selects.
type Summary struct {
	DefinitionVersion string `json:"definition_version"`
	Calibration       string `json:"calibration"` // the definition's calibration label
	Samples           int    `json:"samples"`
	Predicted         int    `json:"predicted"` // samples with a prediction
	// Residual figures count the samples predicted within Window (dBm): near the receivers'
	// floor and top, what was recorded is censored (only the samples that happened to be strong,
	// or weak, were), which would bias the figures; the calibration uses the same window.
	Window   [2]float64             `json:"window_dbm"`
	InWindow int                    `json:"in_window"`
	From     *time.Time             `json:"from"` // first and last sample; null without samples
	To       *time.Time             `json:"to"`
	Overall  coverage.ResidualStats `json:"overall"`
	Groups   []GroupStats           `json:"groups"`
	Distance []BinStats             `json:"distance"`
	Communes []CommuneConfusion     `json:"communes"`
}

// Stats summarises the samples f selects: residual statistics (of the samples predicted within
// the window) per group (display order) and per carrier × technology × distance bin (bins with
// samples only), and the confusion tables of the communes holding samples (every sample), in
// commune code order then technology.
func (c *Comparison) Stats(f Filter) *Summary {
	def := c.eng.Definition()
	s := &Summary{DefinitionVersion: def.Version, Calibration: def.CalibrationLabel(), Window: [2]float64{DefaultMinPredictedDBm, DefaultMaxPredictedDBm},
		Groups: []GroupStats{}, Distance: []BinStats{}, Communes: []CommuneConfusion{}}
	edges := DistanceBinsKM()
	groups := make([]residualSum, len(c.groups))
	gs := make([]GroupStats, len(c.groups))
	type binKey struct {
		carrier string
		tech    data.Tech
		bin     int
	}
	bins := map[binKey]*residualSum{}
	var binOrder []binKey
	communes := c.eng.Communes()
	techs := data.AnalysedTechs
	conf := make([][4]int, len(communes)*len(techs)) // both, predicted only, measured only, neither
	required := make([][2]float64, len(techs))       // threshold, required outdoor median
	for ti, t := range techs {
		rule, _ := def.Rule(t)
		required[ti] = [2]float64{rule.ThresholdDBm, rule.RequiredMedianDBm(false)}
	}
	var all residualSum
	var from, to int64
	for i := range c.recs {
		r := &c.recs[i]
		g := c.groups[r.group]
		if !f.match(g) {
			continue
		}
		if s.Samples == 0 || r.unixS < from {
			from = r.unixS
		}
		if s.Samples == 0 || r.unixS > to {
			to = r.unixS
		}
		s.Samples++
		ti := 0
		if g.Tech == data.Tech4G {
			ti = 1
		}
		if r.commune >= 0 {
			measured := float64(r.level) >= required[ti][0]
			predicted := r.valid() && float64(r.pred) >= required[ti][1]
			k := 3
			switch {
			case measured && predicted:
				k = 0
			case predicted:
				k = 1
			case measured:
				k = 2
			}
			conf[int(r.commune)*len(techs)+ti][k]++
		}
		if r.matched {
			gs[r.group].Matched++
		}
		if !r.valid() {
			gs[r.group].Unpredicted++
			continue
		}
		s.Predicted++
		if p := float64(r.pred); p < s.Window[0] || p > s.Window[1] {
			gs[r.group].Outside++
			continue
		}
		s.InWindow++
		res := r.residual()
		all.add(res)
		groups[r.group].add(res)
		b := len(edges) - 1
		for b > 0 && float64(r.distKM) < edges[b] {
			b--
		}
		k := binKey{g.Carrier, g.Tech, b}
		if bins[k] == nil {
			bins[k] = &residualSum{}
			binOrder = append(binOrder, k)
		}
		bins[k].add(res)
	}
	if s.Samples > 0 {
		f, t := time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
		s.From, s.To = &f, &t
	}
	s.Overall = all.stats()
	for i, g := range c.groups {
		if groups[i].n > 0 || gs[i].Unpredicted > 0 || gs[i].Outside > 0 {
			gs[i].Group, gs[i].ResidualStats = g, groups[i].stats()
			s.Groups = append(s.Groups, gs[i])
		}
	}
	slices.SortFunc(binOrder, func(a, b binKey) int {
		return cmp.Or(cmpGroup(Group{a.carrier, a.tech, ""}, Group{b.carrier, b.tech, ""}), cmp.Compare(a.bin, b.bin))
	})
	for _, k := range binOrder {
		bs := BinStats{Carrier: k.carrier, Tech: k.tech, FromKM: edges[k.bin], ResidualStats: bins[k].stats()}
		if k.bin+1 < len(edges) {
			to := edges[k.bin+1]
			bs.ToKM = &to
		}
		s.Distance = append(s.Distance, bs)
	}
	for ci := range communes {
		for ti, t := range techs {
			n := conf[ci*len(techs)+ti]
			total := n[0] + n[1] + n[2] + n[3]
			if total == 0 {
				continue
			}
			s.Communes = append(s.Communes, CommuneConfusion{Code: communes[ci].Code, Name: communes[ci].Name, Tech: t,
				Samples: total, BothCovered: n[0], PredictedOnly: n[1], MeasuredOnly: n[2], NeitherCovered: n[3],
				AgreementPct: math.Round(float64(n[0]+n[3])/float64(total)*1000) / 10})
		}
	}
	return s
}

// Bin is the samples of one square cell of the map's measurement layer.
type Bin struct {
	// Col and Row place the square in the engine frame: it spans [Col, Col+1) × [Row, Row+1)
	// times the square's size, so a square keeps them whatever samples are added.
	Col, Row     int32
	Ring         orb.Ring // the cell, lon/lat (the square of the engine frame, inverse-projected)
	Samples      int
	Positions    int     // distinct scans (time and place): a scanner records several cells at once
	MeanLevelDBm float64 // mean over positions of the strongest cell measured there
	// InWindow counts the samples predicted within the residual window (see Summary.Window), and
	// MeanResidualDB is their mean measured − predicted; NaN when none.
	InWindow       int
	MeanResidualDB float64
}

// Bins groups the samples f selects into squares of cellM metres of the engine frame (aligned on
// multiples of cellM) and returns those with samples whose centre lies in bbox (lon/lat; the zero
// Bound: everywhere), in row then column order. A scan is the run of consecutive samples of one
// carrier and technology at one time and place (the order Compare keeps within its batches).
func (c *Comparison) Bins(f Filter, cellM float64, bbox orb.Bound) []Bin {
	type acc struct {
		n, positions, inWin int
		level, resid        float64
	}
	cells := map[[2]int32]*acc{}
	cellOf := func(r *record) *acc {
		k := [2]int32{int32(math.Floor(float64(r.x) / cellM)), int32(math.Floor(float64(r.y) / cellM))}
		a := cells[k]
		if a == nil {
			a = &acc{}
			cells[k] = a
		}
		return a
	}
	var scan *record // the first sample of the scan being read
	best := math.Inf(-1)
	flush := func() {
		if scan != nil {
			a := cellOf(scan)
			a.positions++
			a.level += best
		}
	}
	for i := range c.recs {
		r := &c.recs[i]
		g := c.groups[r.group]
		if !f.match(g) {
			continue
		}
		if scan == nil || r.unixS != scan.unixS || r.x != scan.x || r.y != scan.y || g.Carrier != c.groups[scan.group].Carrier ||
			g.Tech != c.groups[scan.group].Tech {
			flush()
			scan, best = r, math.Inf(-1)
		}
		best = max(best, float64(r.level))
		a := cellOf(r)
		a.n++
		if p := float64(r.pred); r.valid() && p >= DefaultMinPredictedDBm && p <= DefaultMaxPredictedDBm {
			a.inWin++
			a.resid += r.residual()
		}
	}
	flush()
	keys := make([][2]int32, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]int32) int { return cmp.Or(cmp.Compare(a[1], b[1]), cmp.Compare(a[0], b[0])) })
	tm := c.eng.Projection()
	out := []Bin{}
	for _, k := range keys {
		x0, y0 := float64(k[0])*cellM, float64(k[1])*cellM
		if !bbox.IsZero() && !bbox.Contains(tm.Inverse(orb.Point{x0 + cellM/2, y0 + cellM/2})) {
			continue
		}
		a := cells[k]
		b := Bin{Col: k[0], Row: k[1], Samples: a.n, Positions: a.positions, MeanLevelDBm: a.level / float64(a.positions), InWindow: a.inWin, MeanResidualDB: math.NaN()}
		if a.inWin > 0 {
			b.MeanResidualDB = a.resid / float64(a.inWin)
		}
		for _, p := range []orb.Point{{x0, y0}, {x0 + cellM, y0}, {x0 + cellM, y0 + cellM}, {x0, y0 + cellM}, {x0, y0}} {
			b.Ring = append(b.Ring, tm.Inverse(p))
		}
		out = append(out, b)
	}
	return out
}
