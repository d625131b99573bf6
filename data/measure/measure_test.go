package measure

import (
	"context"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/store"
)

// The demo province (synthetic stations) at 200 m cells: the grid only gives land classes and
// communes here, predictions are at exact points.
var (
	demoOnce sync.Once
	demoEng  *coverage.Engine
	demoErr  error
)

func demoEngine(t testing.TB) *coverage.Engine {
	t.Helper()
	demoOnce.Do(func() {
		communes, err := demo.Communes()
		if err != nil {
			demoErr = err
			return
		}
		demoEng, demoErr = coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{CellM: 200})
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoEng
}

// predictor returns a predictor of e over the demo's synthetic stations.
func predictor(t testing.TB, e *coverage.Engine) *coverage.Predictor {
	t.Helper()
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(e.Reach)
	if _, err := st.Upsert(sites); err != nil {
		t.Fatal(err)
	}
	return e.NewPredictor(st.Snapshot())
}

// injected are the truth's corrections: what calibration must find.
func injected() []coverage.Correction {
	return []coverage.Correction{
		{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 7, SlopeDBPerDecade: 2},
		{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeWard, OffsetDB: 3},
		{Carrier: "vinaphone", Tech: data.Tech3G, Land: data.TypeCommune, OffsetDB: -5},
	}
}

// drive makes synthetic drive tests in the demo under the corrections ks (seeded; the seed is
// logged).
func drive(t testing.TB, ks []coverage.Correction, n int, seed uint64, pairs ...Pair) []data.Measurement {
	t.Helper()
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	var out []data.Measurement
	err = Synthesize(demoEngine(t), sites, SynthOptions{Truth: ks, Seed: seed, Samples: n, Routes: 400, Pairs: pairs},
		func(m *data.Measurement) error { out = append(out, *m); return nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d synthetic samples (seed %d)", len(out), seed)
	return out
}

func seq(ms []data.Measurement) iter.Seq2[data.Measurement, error] {
	return func(yield func(data.Measurement, error) bool) {
		for _, m := range ms {
			if !yield(m, nil) {
				return
			}
		}
	}
}

// testSamples is the size of the synthetic drive tests (400 drives): over seeds 1..8 the offsets
// recovered from this many were within 0.8 dB of the injected ones (the spread comes from the
// correlated shadowing and from extrapolating K1 to 1 km from samples mostly 3..15 km out).
func testSamples() int { return 50_000 }

// TestCalibrationRecoversTruth: drive tests measured in a world whose path loss differs from the
// model by known offsets and slopes (plus 8 dB of spatially correlated shadowing and 2 dB of
// noise) calibrate back to those offsets within ±1 dB, lower the hold-out RMSE, and the
// calibrated definition brings the mean error to about 0 dB.
func TestCalibrationRecoversTruth(t *testing.T) {
	base := demoEngine(t)
	samples := drive(t, injected(), testSamples(), 20260105, Pair{"viettel", data.Tech4G}, Pair{"vinaphone", data.Tech3G})
	ctx := context.Background()
	cmp, err := Compare(ctx, predictor(t, base), seq(samples), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Len() != len(samples) {
		t.Fatalf("compared %d of %d samples", cmp.Len(), len(samples))
	}
	cal, err := Calibrate(cmp, CalibrateOptions{Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := WriteTable(&table, cal); err != nil {
		t.Fatal(err)
	}
	t.Logf("calibration:\n%s", table.String())
	if cal.Definition == nil {
		t.Fatal("nothing calibrated")
	}
	want := map[Group]coverage.Correction{}
	for _, k := range injected() {
		want[Group{k.Carrier, k.Tech, k.Land}] = k
	}
	checked := 0
	for _, f := range cal.Fits {
		k, injectedHere := want[f.Group]
		switch {
		case !injectedHere && f.Kept && math.Abs(f.OffsetDB) > 1.5:
			t.Errorf("%v: a correction of %+.2f dB where the truth has none", f.Group, f.OffsetDB)
		case !injectedHere:
		case f.Samples < 1000: // a ward: few samples, a rough fit
			if f.Kept && math.Abs(f.OffsetDB-k.OffsetDB) > 2 {
				t.Errorf("%v (%d samples): offset %+.2f dB, injected %+.2f (±2 dB)", f.Group, f.Samples, f.OffsetDB, k.OffsetDB)
			}
		case !f.Kept:
			t.Errorf("%v refused with %d samples: %s", f.Group, f.Samples, f.Reason)
		default:
			checked++
			if math.Abs(f.OffsetDB-k.OffsetDB) > 1 {
				t.Errorf("%v: offset %+.2f dB, injected %+.2f (±1 dB)", f.Group, f.OffsetDB, k.OffsetDB)
			}
			if f.SlopeFitted && math.Abs(f.SlopeDBPerDecade-k.SlopeDBPerDecade) > 2 {
				t.Errorf("%v: slope %+.2f dB/decade, injected %+.2f (±2)", f.Group, f.SlopeDBPerDecade, k.SlopeDBPerDecade)
			}
			if !(f.Holdout.After.RMSEDB < f.Holdout.Before.RMSEDB) || math.Abs(f.Holdout.After.MeanDB) > 1 {
				t.Errorf("%v: hold-out %+v → %+v: want a lower RMSE and a mean within ±1 dB", f.Group, f.Holdout.Before, f.Holdout.After)
			}
		}
	}
	if checked < 2 {
		t.Fatalf("only %d groups calibrated; want at least viettel 4G and vinaphone 3G on commune land", checked)
	}
	def := cal.Definition
	if def.Calibration.BaseVersion != base.Definition().Version || !strings.HasPrefix(def.CalibrationLabel(), "calibrated with ") ||
		def.Calibration.Samples < DefaultMinSamples {
		t.Errorf("calibrated definition %q: %q, base %q", def.Version, def.CalibrationLabel(), def.Calibration.BaseVersion)
	}
	// Served, the calibrated definition predicts the samples the fits used (base prediction above
	// the censoring margin) without bias.
	calEng, err := base.WithDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	bp := predictor(t, base)
	var fitted []data.Measurement
	for _, m := range samples {
		if pr := bp.Predict(m.Carrier, m.Tech, m.Lon, m.Lat, m.CellID); pr.LevelDBm >= DefaultMinPredictedDBm &&
			pr.LevelDBm <= DefaultMaxPredictedDBm && pr.DistanceM >= 100 {
			fitted = append(fitted, m)
		}
	}
	before, err := Compare(ctx, bp, seq(fitted), Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := Compare(ctx, predictor(t, calEng), seq(fitted), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range []Pair{{"viettel", data.Tech4G}, {"vinaphone", data.Tech3G}} {
		b, a := before.Stats(Filter{pr.Carrier, pr.Tech}).Overall, after.Stats(Filter{pr.Carrier, pr.Tech}).Overall
		t.Logf("%s %s: before mean %+.2f σ %.2f RMSE %.2f; after %+.2f σ %.2f RMSE %.2f", pr.Carrier, pr.Tech,
			b.MeanDB, b.StdDB, b.RMSEDB, a.MeanDB, a.StdDB, a.RMSEDB)
		if math.Abs(a.MeanDB) > 1 || !(a.RMSEDB < b.RMSEDB) {
			t.Errorf("%s %s after calibration: mean %+.2f dB, RMSE %.2f (before %.2f)", pr.Carrier, pr.Tech, a.MeanDB, a.RMSEDB, b.RMSEDB)
		}
	}
	if _, err := Calibrate(after, CalibrateOptions{}); err != ErrCalibrated {
		t.Errorf("calibrating a calibrated comparison: %v, want ErrCalibrated", err)
	}
}

// Refusals: too few samples, and a truth beyond the sane bounds, each said with the reason;
// nothing calibrated gives no definition.
func TestCalibrationRefuses(t *testing.T) {
	base := demoEngine(t)
	few := drive(t, injected(), 150, 7, Pair{"viettel", data.Tech4G})
	cmp, err := Compare(context.Background(), predictor(t, base), seq(few), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Calibrate(cmp, CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cal.Definition != nil || len(cal.Fits) == 0 {
		t.Fatalf("150 samples calibrated: %+v", cal.Fits)
	}
	for _, f := range cal.Fits {
		if f.Kept || !strings.Contains(f.Reason, "too few samples") || !strings.Contains(f.Reason, "< 200") {
			t.Errorf("%v: kept %v, reason %q", f.Group, f.Kept, f.Reason)
		}
	}
	var table strings.Builder
	WriteTable(&table, cal)
	if !strings.Contains(table.String(), "refused, too few samples") || !strings.Contains(table.String(), "stays uncalibrated") {
		t.Errorf("table:\n%s", table.String())
	}

	wild := []coverage.Correction{{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 30}}
	many := drive(t, wild, testSamples()/4, 8, Pair{"viettel", data.Tech4G})
	cmp, err = Compare(context.Background(), predictor(t, base), seq(many), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cal, err = Calibrate(cmp, CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cal.Fits {
		if f.Land == data.TypeCommune && (f.Kept || !strings.Contains(f.Reason, "outside sane bounds")) {
			t.Errorf("a 30 dB truth: %v kept %v (offset %+.1f), reason %q", f.Group, f.Kept, f.OffsetDB, f.Reason)
		}
	}
}

// Stats: residual figures per group and distance bin agree with a direct computation, and the
// commune confusion tables add up.
func TestStats(t *testing.T) {
	base := demoEngine(t)
	samples := drive(t, injected(), 5000, 3, Pair{"viettel", data.Tech4G})
	p := predictor(t, base)
	cmp, err := Compare(context.Background(), p, seq(samples), Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	s := cmp.Stats(Filter{Carrier: "viettel"})
	// Direct: predict each sample again, one by one.
	var sum, sumSq float64
	var n, predicted int
	for _, m := range samples {
		pr := p.Predict(m.Carrier, m.Tech, m.Lon, m.Lat, m.CellID)
		if math.IsNaN(pr.LevelDBm) {
			continue
		}
		predicted++
		if v := float64(float32(pr.LevelDBm)); v < DefaultMinPredictedDBm || v > DefaultMaxPredictedDBm {
			continue
		}
		r := m.LevelDBm - float64(float32(pr.LevelDBm))
		sum += r
		sumSq += r * r
		n++
	}
	mean := sum / float64(n)
	if s.Samples != len(samples) || s.Predicted != predicted || s.InWindow != n || math.Abs(s.Overall.MeanDB-mean) > 0.01 ||
		math.Abs(s.Overall.RMSEDB-math.Sqrt(sumSq/float64(n))) > 0.01 {
		t.Errorf("overall %+v over %d/%d/%d; direct mean %.3f RMSE %.3f over %d", s.Overall, s.InWindow, s.Predicted, s.Samples, mean, math.Sqrt(sumSq/float64(n)), n)
	}
	groups, bins, conf := 0, 0, 0
	for _, g := range s.Groups {
		groups += g.Count
		if g.Carrier != "viettel" || g.Matched == 0 {
			t.Errorf("group %+v", g)
		}
	}
	for _, b := range s.Distance {
		bins += b.Count
	}
	for _, c := range s.Communes {
		if c.BothCovered+c.PredictedOnly+c.MeasuredOnly+c.NeitherCovered != c.Samples || c.AgreementPct < 0 || c.AgreementPct > 100 {
			t.Errorf("confusion %+v", c)
		}
		conf += c.Samples
	}
	// A sample on land whose grid cell's centre is off it (within half a cell of the edge) is in no
	// commune's table.
	if groups != n || bins != n || conf > len(samples) || conf < len(samples)*98/100 {
		t.Errorf("groups hold %d, bins %d, communes %d; want %d, %d, ≤ %d", groups, bins, conf, n, n, len(samples))
	}
	// The confusion tables counted again sample by sample, from the default definition's published
	// 4G figures: measured covered when the RSRP reaches the −105 dBm threshold, predicted covered
	// when the predicted median reaches the outdoor requirement, also −105 dBm (50 % location
	// reliability adds no margin). Order: both, predicted only, measured only, neither.
	want := map[string][4]int{}
	for _, m := range samples {
		pr := p.Predict(m.Carrier, m.Tech, m.Lon, m.Lat, m.CellID)
		if pr.Commune < 0 {
			continue
		}
		measured := float64(float32(m.LevelDBm)) >= -105
		predicted := !math.IsNaN(pr.LevelDBm) && float64(float32(pr.LevelDBm)) >= -105
		k := map[[2]bool]int{{true, true}: 0, {false, true}: 1, {true, false}: 2, {false, false}: 3}[[2]bool{measured, predicted}]
		code := base.Communes()[pr.Commune].Code
		w := want[code]
		w[k]++
		want[code] = w
	}
	if len(s.Communes) != len(want) {
		t.Errorf("%d commune tables, want %d", len(s.Communes), len(want))
	}
	kinds := [4]int{}
	for _, c := range s.Communes {
		w := want[c.Code]
		got := [4]int{c.BothCovered, c.PredictedOnly, c.MeasuredOnly, c.NeitherCovered}
		if c.Tech != data.Tech4G || got != w || c.AgreementPct != math.Round(float64(w[0]+w[3])/float64(c.Samples)*1000)/10 {
			t.Errorf("commune %s %s: %v, %.1f %%; counted %v", c.Code, c.Tech, got, c.AgreementPct, w)
		}
		for k := range got {
			kinds[k] += got[k]
		}
	}
	if slices.Contains(kinds[:], 0) { // each kind of (dis)agreement happens in this drive test
		t.Errorf("the tables hold %v of each kind: a test that cannot tell them apart", kinds)
	}
	if s.From == nil || !s.From.Equal(samples[0].Time) {
		t.Errorf("from %v, first sample %v", s.From, samples[0].Time)
	}
	if empty := cmp.Stats(Filter{Carrier: "gmobile"}); empty.Samples != 0 || empty.From != nil || len(empty.Groups) != 0 {
		t.Errorf("a carrier without samples: %+v", empty)
	}
	bins2 := cmp.Bins(Filter{Tech: data.Tech4G}, 500, orb.Bound{})
	total := 0
	for _, b := range bins2 {
		total += b.Samples
		if len(b.Ring) != 5 || b.MeanLevelDBm > -30 || b.MeanLevelDBm < -150 {
			t.Fatalf("bin %+v", b)
		}
	}
	if total != len(samples) {
		t.Errorf("bins hold %d samples, want %d", total, len(samples))
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{2, 1}, 1}, {[]float64{5, 1, 4, 2, 3}, 3}, {[]float64{1, 1, 1, 0, 2, 2}, 1}} {
		if got := median(append([]float64(nil), c.v...)); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	// Huber resists outliers where least squares does not: y = 2 + 0.5x, 10 % of the points +40.
	var x, y []float64
	for i := range 1000 {
		x = append(x, float64(i%50)/25)
		v := 2 + 0.5*x[i]
		if i%10 == 0 {
			v += 40
		}
		y = append(y, v)
	}
	a, b := huber(x, y, true)
	if math.Abs(a-2) > 0.3 || math.Abs(b-0.5) > 0.3 {
		t.Errorf("huber: a %.3f b %.3f, want about 2 and 0.5", a, b)
	}
	if la, _ := wls(x, y, ones(len(x)), true); math.Abs(la-2) < 2 {
		t.Errorf("least squares would not be thrown by the outliers (a %.3f): the test shows nothing", la)
	}
}

func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}
