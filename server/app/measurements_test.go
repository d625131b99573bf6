package app

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/measure"
	"phusong/data/persist"
	"phusong/data/store"

	"github.com/paulmach/orb"
)

// testApp is an app over the demo (200 m cells, synthetic stations) with a fresh database and
// a token per role.
type testApp struct {
	*App
	db              *persist.DB
	viettel, mobi   persist.TokenInfo
	admin, stranger persist.TokenInfo
	planner         persist.TokenInfo
}

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	st := mustDemo(t)
	db, err := persist.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	a, err := OpenDB(context.Background(), db, Input{Engine: st.Engine, Communes: st.Communes, Sites: sites, Note: st.Note}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ta := &testApp{App: a, db: db}
	ctx := context.Background()
	_, ta.viettel, _ = db.CreateToken(ctx, "viettel", false, "")
	_, ta.mobi, _ = db.CreateToken(ctx, "mobifone", false, "")
	_, ta.admin, _ = db.CreateToken(ctx, "", true, "")
	_, ta.planner, _ = db.CreatePlannerToken(ctx, "alice", "")
	ta.stranger = persist.TokenInfo{ID: "000000000000"}
	return ta
}

// driveCSV makes a synthetic drive test (n samples, seeded) of pairs in the demo under the truth
// corrections ks, as CSV.
func driveCSV(t *testing.T, st *State, n int, seed uint64, ks []coverage.Correction, pairs ...measure.Pair) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := measure.SynthesizeCSV(&buf, st.Engine, sitesOf(st.Snapshot), measure.SynthOptions{Truth: ks, Seed: seed, Samples: n, Routes: 200, Pairs: pairs}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportMeasurementsScopes(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	st := a.State()
	file := driveCSV(t, st, 600, 1, nil, measure.Pair{Carrier: "viettel", Tech: data.Tech4G})
	imp := func(who persist.TokenInfo, carrier string, body []byte, dry bool) (persist.MeasurementUpload, error) {
		return a.ImportMeasurements(ctx, who, MeasurementImport{Format: FormatCSV, Body: bytes.NewReader(body), Carrier: carrier, DryRun: dry, FileName: "drive.csv"})
	}
	// A carrier uploads its own network's: its token, no carrier named.
	u, err := imp(a.viettel, "", file, true)
	if err != nil || u.ID != 0 || u.Stored == 0 || u.Carrier != "viettel" {
		t.Fatalf("viettel's dry run: %+v, %v", u, err)
	}
	if n := countStored(t, a.db); n != 0 {
		t.Fatalf("a dry run stored %d samples", n)
	}
	u, err = imp(a.viettel, "viettel", file, false)
	if err != nil || u.ID == 0 || u.Stored != u.Samples || u.TokenID != a.viettel.ID {
		t.Fatalf("viettel's upload: %+v, %v", u, err)
	}
	// The same file again: every sample a duplicate.
	if u2, err := imp(a.admin, "", file, false); err != nil || u2.Stored != 0 || u2.Duplicates != u.Samples {
		t.Fatalf("the same file again: %+v, %v", u2, err)
	}
	// Another carrier's token: refused before reading, or by row.
	var de *DeniedError
	if _, err := imp(a.mobi, "viettel", file, false); !errors.As(err, &de) {
		t.Errorf("mobifone's token for viettel: %v", err)
	}
	_, err = imp(a.mobi, "", file, false)
	var pes data.ParseErrors
	if !errors.As(err, &pes) || pes[0].Field != "carrier" || !strings.Contains(pes[0].Msg, "its own network") {
		t.Errorf("mobifone's token, viettel's rows: %v", err)
	}
	if _, err := imp(a.stranger, "", file, false); !errors.As(err, &de) {
		t.Errorf("a token of no role: %v", err)
	}
	if _, err := imp(a.admin, "nosuchcarrier", file, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown carrier: %v", err)
	}
	if _, err := imp(a.viettel, "", []byte("time,lon,lat,tech,level_dbm\n"), false); !errors.As(err, &pes) ||
		!strings.Contains(pes.Error(), "no measurement sample") {
		t.Errorf("a header only: %v", err)
	}
	// Listing and withdrawing follow the same scopes.
	if ups, _ := a.MeasurementUploads(ctx, a.mobi, 0); len(ups) != 0 {
		t.Errorf("mobifone sees %d uploads", len(ups))
	}
	if ups, _ := a.MeasurementUploads(ctx, a.viettel, 0); len(ups) != 1 {
		t.Errorf("viettel sees %d uploads, want its one", len(ups))
	}
	if _, err := a.WithdrawMeasurements(ctx, a.mobi, u.ID); !errors.Is(err, persist.ErrNotFound) {
		t.Errorf("mobifone withdrawing viettel's upload: %v, want not found", err)
	}
	if w, err := a.WithdrawMeasurements(ctx, a.viettel, u.ID); err != nil || w.WithdrawnAt == nil || countStored(t, a.db) != 0 {
		t.Errorf("viettel withdrawing its upload: %+v, %v, %d samples left", w, err, countStored(t, a.db))
	}
}

// A planner uploads any carrier's measurements (issue 14: "carriers for their own network,
// planners for any"), sees every upload, withdraws only its own, and sees no review queue.
// Another carrier's upload id is not found for a carrier token, as an unknown id is.
func TestPlannerMeasurements(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	st := a.State()
	both := driveCSV(t, st, 600, 2, nil, measure.Pair{Carrier: "viettel", Tech: data.Tech4G}, measure.Pair{Carrier: "mobifone", Tech: data.Tech4G})
	imp := func(who persist.TokenInfo, carrier string, body []byte) (persist.MeasurementUpload, error) {
		return a.ImportMeasurements(ctx, who, MeasurementImport{Format: FormatCSV, Body: bytes.NewReader(body), Carrier: carrier, FileName: "drive.csv"})
	}
	mine, err := imp(a.planner, "", both)
	if err != nil || mine.ID == 0 || mine.Carrier != "" || mine.TokenID != a.planner.ID || mine.Stored != countStored(t, a.db) {
		t.Fatalf("the planner's upload of viettel's and mobifone's samples: %+v, %v (%d stored)", mine, err, countStored(t, a.db))
	}
	for _, c := range []string{"viettel", "mobifone"} {
		n := 0
		for _, err := range a.db.Measurements(ctx, persist.MeasurementFilter{Carrier: c}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n == 0 {
			t.Errorf("the planner's upload stored no sample of %s", c)
		}
	}
	// carrier= narrows the file to one carrier: mobifone's rows are then an error.
	var pes data.ParseErrors
	if _, err := imp(a.planner, "viettel", both); !errors.As(err, &pes) || pes[0].Field != "carrier" {
		t.Errorf("the planner's file narrowed to viettel: %v", err)
	}
	theirs, err := imp(a.viettel, "", driveCSV(t, st, 300, 3, nil, measure.Pair{Carrier: "viettel", Tech: data.Tech4G}))
	if err != nil || theirs.ID == 0 {
		t.Fatalf("viettel's upload: %+v, %v", theirs, err)
	}
	if ups, err := a.MeasurementUploads(ctx, a.planner, 0); err != nil || len(ups) != 2 || ups[0].ID != theirs.ID || ups[1].ID != mine.ID {
		t.Errorf("the planner sees %+v, %v; want viettel's and its own, newest first", ups, err)
	}
	var de *DeniedError
	if _, err := a.WithdrawMeasurements(ctx, a.planner, theirs.ID); !errors.As(err, &de) || !strings.Contains(err.Error(), "only its own") {
		t.Errorf("the planner withdrawing viettel's upload: %v", err)
	}
	// Carrier tokens: another carrier's upload (the planner's holds viettel's samples too) is
	// not found, with the words of an unknown id.
	_, unknown := a.WithdrawMeasurements(ctx, a.mobi, 999)
	for _, id := range []int64{theirs.ID, mine.ID} {
		if _, err := a.WithdrawMeasurements(ctx, a.mobi, id); !errors.Is(err, persist.ErrNotFound) ||
			strings.Replace(err.Error(), strconv.FormatInt(id, 10), "999", 1) != unknown.Error() {
			t.Errorf("mobifone withdrawing upload %d: %v; an unknown one: %v", id, err, unknown)
		}
	}
	if w, err := a.WithdrawMeasurements(ctx, a.planner, mine.ID); err != nil || w.WithdrawnAt == nil || countStored(t, a.db) != theirs.Stored {
		t.Errorf("the planner withdrawing its upload: %+v, %v, %d samples left, want viettel's %d", w, err, countStored(t, a.db), theirs.Stored)
	}
	if _, err := a.ReviewQueue(ctx, a.planner, "viettel"); !errors.As(err, &de) {
		t.Errorf("the planner's review queue of viettel: %v", err)
	}
	if _, err := a.Calibrate(ctx, a.planner, measure.CalibrateOptions{}); !errors.As(err, &de) {
		t.Errorf("the planner calibrating: %v", err)
	}
}

func countStored(t *testing.T, db *persist.DB) int {
	t.Helper()
	n := 0
	for _, err := range db.Measurements(context.Background(), persist.MeasurementFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// The whole loop: measurements in, statistics, calibration, the calibrated definition served
// (and still served after a restart), statistics again, back to uncalibrated.
func TestCalibrateAndServe(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	st := a.State()
	truth := []coverage.Correction{{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 6}}
	file := driveCSV(t, st, 30_000, 11, truth, measure.Pair{Carrier: "viettel", Tech: data.Tech4G})
	if _, err := a.ImportMeasurements(ctx, a.viettel, MeasurementImport{Format: FormatCSV, Body: bytes.NewReader(file)}); err != nil {
		t.Fatal(err)
	}
	before, err := a.MeasurementStats(ctx, measure.Filter{Carrier: "viettel", Tech: data.Tech4G})
	if err != nil {
		t.Fatal(err)
	}
	if before.Calibration != "uncalibrated" || before.Samples == 0 || before.Overall.MeanDB > -3 || len(before.Communes) == 0 {
		t.Fatalf("before: %s, %d samples, mean %+.2f dB", before.Calibration, before.Samples, before.Overall.MeanDB)
	}
	if _, err := a.Calibrate(ctx, a.viettel, measure.CalibrateOptions{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a carrier calibrating: %v", err)
	}
	res, err := a.Calibrate(ctx, a.admin, measure.CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Definition == nil || res.ID == 0 {
		t.Fatalf("nothing calibrated: %+v", res.Fits)
	}
	var k coverage.Correction
	for _, c := range res.Definition.Calibration.Corrections {
		if c.Carrier == "viettel" && c.Tech == data.Tech4G && c.Land == data.TypeCommune {
			k = c
		}
	}
	if math.Abs(k.OffsetDB+k.SlopeDBPerDecade*0.8-6) > 1.5 { // the fit at 6 km, where most samples are
		t.Errorf("correction %+v; the truth is +6 dB", k)
	}
	if a.State().Definition.Calibration != nil {
		t.Fatal("calibrating served the definition")
	}
	// Serve it: the coverage is recomputed, every output says so.
	v0 := a.State().Snapshot.Version()
	ns, err := a.ServeCalibration(ctx, a.admin, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.State() != ns || ns.Definition.Version != res.Definition.Version || ns.Snapshot.Version() <= v0 ||
		!strings.HasPrefix(ns.Coverage.Calibration(), "calibrated with ") {
		t.Fatalf("served %q (%s), data version %d → %d", ns.Definition.Version, ns.Coverage.Calibration(), v0, ns.Snapshot.Version())
	}
	after, err := a.MeasurementStats(ctx, measure.Filter{Carrier: "viettel", Tech: data.Tech4G})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("viettel 4G: mean %+.2f σ %.2f RMSE %.2f → %+.2f σ %.2f RMSE %.2f (%s)", before.Overall.MeanDB, before.Overall.StdDB,
		before.Overall.RMSEDB, after.Overall.MeanDB, after.Overall.StdDB, after.Overall.RMSEDB, after.Calibration)
	if !(after.Overall.RMSEDB < before.Overall.RMSEDB) || math.Abs(after.Overall.MeanDB) > 1 || len(after.Corrections) == 0 ||
		after.Calibration == "uncalibrated" {
		t.Errorf("after: RMSE %.2f (before %.2f), %d corrections", after.Overall.RMSEDB, before.Overall.RMSEDB, len(after.Corrections))
	}
	// Calibrating again fits against the base, not on top of the served corrections.
	again, err := a.Calibrate(ctx, a.admin, measure.CalibrateOptions{})
	if err != nil || again.Definition == nil || again.Definition.Calibration.BaseVersion != st.Definition.Version {
		t.Fatalf("calibrating the calibrated state: %v", err)
	}
	// A restart on the same database serves the chosen calibration.
	sites, _ := demo.Sites()
	b, err := OpenDB(ctx, a.db, Input{Communes: st.Communes, Sites: sites, Coverage: coverage.Options{CellM: 200}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.State().Definition.Version; got != res.Definition.Version {
		t.Errorf("after a restart: %q served, want %q", got, res.Definition.Version)
	}
	// Back to the uncalibrated definition.
	if ns, err = a.ServeCalibration(ctx, a.admin, 0); err != nil || ns.Coverage.Calibration() != "uncalibrated" ||
		ns.Definition.Version != st.Definition.Version {
		t.Fatalf("back to uncalibrated: %v", err)
	}
	if sum := ns.CalibrationSummary(); sum.Calibration != "uncalibrated" || len(sum.Corrections) != 0 {
		t.Errorf("summary %+v", sum)
	}
	// The other app on the database (a replica) follows the choice, both ways.
	if n, err := b.Sync(ctx); err != nil || n != 1 || b.State().Definition.Version != st.Definition.Version {
		t.Errorf("replica after the choice of the uncalibrated definition: %d synced (%v), serves %q", n, err, b.State().Definition.Version)
	}
	if _, err := a.ServeCalibration(ctx, a.admin, res.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Sync(ctx); err != nil || n != 1 || b.State().Definition.Version != res.Definition.Version {
		t.Errorf("replica after the choice of calibration %d: %d synced (%v), serves %q", res.ID, n, err, b.State().Definition.Version)
	}
	if n, err := b.Sync(ctx); err != nil || n != 0 {
		t.Errorf("replica synced again: %d (%v), want nothing new", n, err)
	}
	list, served, err := a.Calibrations(ctx, a.admin)
	if err != nil || len(list) != 2 || served != res.ID {
		t.Errorf("calibrations %d, served %d, %v", len(list), served, err)
	}
}

// Reports: rounding, validation, the cap per place, independent reports on two days make a
// dispute; the carrier reviews it.
func TestReportsAndDisputes(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	clock := time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)
	a.WithClock(func() time.Time { return clock })
	a.WithReportRules(ReportRules{PerCellPerDay: 4})
	st := a.State()
	// A place viettel 4G covers (the best predicted level near the first demo site).
	site := st.Snapshot.Sites(storeFilter("viettel"))[0]
	lon, lat := site.Lon+0.001, site.Lat+0.001
	pl, ok := levelOf(st.Coverage.LevelsAt(orbPoint(lon, lat)), "viettel", data.Tech4G)
	if !ok || !pl.CoveredOutdoor {
		t.Fatalf("the test place is not predicted covered: %+v", pl)
	}
	report := func(device, outcome string) (ReportAck, error) {
		return a.ReportSignal(ctx, SignalReportRequest{Lon: lon, Lat: lat, Carrier: "viettel", Tech: data.Tech4G, Outcome: outcome, Device: device})
	}
	ack, err := report("device-aaaaaaaaaaaa", persist.OutcomeNoService)
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Contradicts || !ack.PredictedCovered || ack.Day != "2026-02-01" || math.Abs(ack.Lon-lon) > 0.001 || ack.Lon == lon {
		t.Fatalf("ack %+v (sent %v, %v)", ack, lon, lat)
	}
	// Validation names every bad field.
	_, err = a.ReportSignal(ctx, SignalReportRequest{Lon: 9.9, Lat: 106.3, Carrier: "nobody", Tech: data.Tech2G, Outcome: "bad", Device: "x"})
	var pes data.ParseErrors
	if !errors.As(err, &pes) || len(pes) != 5 {
		t.Fatalf("a bad report: %v", err)
	}
	// Same day: two more devices → three reporters but one day: not yet disputed.
	for _, d := range []string{"device-bbbbbbbbbbbb", "device-cccccccccccc"} {
		if _, err := report(d, persist.OutcomeDrops); err != nil {
			t.Fatal(err)
		}
	}
	// A fifth report that day in the place: over the cap of 4 (a fine one counts too).
	if _, err := report("device-dddddddddddd", persist.OutcomeFine); err != nil {
		t.Fatal(err)
	}
	if _, err := report("device-eeeeeeeeeeee", persist.OutcomeNoService); !errors.Is(err, persist.ErrReportCap) {
		t.Fatalf("the fifth report of the day: %v", err)
	}
	if ds, _ := a.Disputes(ctx, measure.Filter{}); len(ds) != 0 {
		t.Fatalf("disputed after one day: %+v", ds)
	}
	// The next day, one of the same devices again: 3 reporters, 2 days → disputed.
	clock = clock.Add(24 * time.Hour)
	if _, err := report("device-aaaaaaaaaaaa", persist.OutcomeNoService); err != nil {
		t.Fatal(err)
	}
	ds, err := a.Disputes(ctx, measure.Filter{Tech: data.Tech4G})
	if err != nil || len(ds) != 1 {
		t.Fatalf("disputes %+v, %v", ds, err)
	}
	d := ds[0]
	if d.Carrier != "viettel" || d.Reports != 4 || d.Reporters != 3 || d.Days != 2 || d.Agreeing != 1 || d.Direction != "worse" ||
		d.Outcomes[persist.OutcomeDrops] != 2 || len(d.Ring) != 5 || d.Review.State != persist.ReviewOpen {
		t.Fatalf("dispute %+v", d)
	}
	// The "fine" report agrees with the prediction: counted as agreeing, not against it.
	if q, _ := a.ReviewQueue(ctx, a.viettel, "viettel"); len(q) != 1 {
		t.Fatalf("viettel's queue: %+v", q)
	}
	if _, err := a.ReviewQueue(ctx, a.mobi, "viettel"); !errors.Is(err, ErrForbidden) {
		t.Errorf("mobifone reading viettel's queue: %v", err)
	}
	rv, err := a.Review(ctx, a.viettel, persist.Review{Carrier: "viettel", Tech: data.Tech4G, Cell: d.Cell, State: persist.ReviewResolved, Note: "sector re-tilted"})
	if err != nil || rv.TokenID != a.viettel.ID {
		t.Fatal(err)
	}
	if _, err := a.Review(ctx, a.viettel, persist.Review{Carrier: "viettel", Tech: data.Tech3G, Cell: d.Cell, State: persist.ReviewReviewed}); !errors.Is(err, ErrNotFound) {
		t.Errorf("reviewing a cell without reports: %v", err)
	}
	ds, _ = a.Disputes(ctx, measure.Filter{})
	if len(ds) != 1 || ds[0].Review.State != persist.ReviewResolved || ds[0].Review.Note != "" {
		t.Errorf("public dispute after review: %+v (the note stays private)", ds[0].Review)
	}
	q, _ := a.ReviewQueue(ctx, a.admin, "viettel")
	if len(q) != 1 || q[0].Review.Note != "sector re-tilted" {
		t.Errorf("queue after review: %+v", q)
	}
	// Nothing about the reporter is stored in clear.
	reports, _ := a.db.Reports(ctx, time.Time{})
	for _, r := range reports {
		if strings.Contains(r.Reporter, "device") || len(r.Reporter) != 32 {
			t.Errorf("reporter stored as %q", r.Reporter)
		}
	}
}

func storeFilter(carrier string) store.Filter {
	return store.Filter{Carrier: carrier, Tech: data.Tech4G, Status: data.StatusActive}
}

func orbPoint(lon, lat float64) orb.Point { return orb.Point{lon, lat} }

// Reports past their retention are deleted with no new report filed: at the next prune (at
// start, then every day), by the app's clock; younger ones stay.
func TestReportsPrunedWithoutWrites(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	site := a.State().Snapshot.Sites(storeFilter("viettel"))[0]
	if _, err := a.ReportSignal(ctx, SignalReportRequest{Lon: site.Lon + 0.001, Lat: site.Lat + 0.001, Carrier: "viettel",
		Tech: data.Tech4G, Outcome: persist.OutcomeNoService, Device: "device-aaaaaaaaaaaa"}); err != nil {
		t.Fatal(err)
	}
	stored := func() int {
		t.Helper()
		rs, err := a.db.Reports(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	filed := time.Now()
	a.WithClock(func() time.Time { return filed.Add(179 * 24 * time.Hour) })
	a.pruneReports(ctx)
	if n := stored(); n != 1 {
		t.Fatalf("179 days on (retention 180): %d reports stored, want 1", n)
	}
	a.WithClock(func() time.Time { return filed.Add(181 * 24 * time.Hour) })
	done := make(chan struct{})
	go func() { a.pruneReportsEvery(ctx, time.Millisecond); close(done) }()
	for deadline := time.Now().Add(time.Minute); stored() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("181 days on: the report past its retention was not deleted by the periodic prune")
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	<-done // the prune loop ends with the app
}
