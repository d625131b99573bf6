package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/data/store"
	"phusong/server/app"
)

// driveTest makes a synthetic drive test (seeded) of pairs over the shared demo state, measured
// in a world whose path loss differs from the model by the corrections ks, as CSV.
func driveTest(t testing.TB, n int, seed uint64, ks []coverage.Correction, pairs ...measure.Pair) []byte {
	t.Helper()
	st := demoState(t)
	var buf bytes.Buffer
	if _, err := measure.SynthesizeCSV(&buf, st.Engine, demoInput.Sites, measure.SynthOptions{Truth: ks, Seed: seed, Samples: n, Routes: 200, Pairs: pairs}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// postMeasurements posts a measurement CSV with token.
func (e *uploadEnv) postMeasurements(t testing.TB, token, query string, body []byte, headers ...string) reply {
	t.Helper()
	return e.call(t, http.MethodPost, "/api/v1/measurements"+query, token, body, append([]string{"Content-Type: text/csv"}, headers...)...)
}

// TestMeasurementsAPI walks the whole loop over HTTP: upload (scoped by token), statistics and
// the map's squares, calibration by an admin, the calibrated definition served (every output
// says so) and withdrawn again, the uploads listed and withdrawn.
func TestMeasurementsAPI(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	truth := []coverage.Correction{{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 6}}
	file := driveTest(t, 25_000, 5, truth, measure.Pair{Carrier: "viettel", Tech: data.Tech4G})

	if r := e.postMeasurements(t, "", "", file); r.status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.status)
	}
	if r := e.postMeasurements(t, e.tok["mobifone"], "?carrier=viettel", file); r.status != http.StatusForbidden {
		t.Fatalf("mobifone's token for viettel: %d %s", r.status, r.body)
	}
	r := e.postMeasurements(t, e.tok["viettel"], "?dry_run=true", gzipped(file), "Content-Encoding: gzip")
	if r.status != http.StatusOK || decode[measurementUploadJSON](t, r).ID != 0 {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	r = e.postMeasurements(t, e.tok["viettel"], "?file_name=drive.csv", file)
	up := decode[measurementUploadJSON](t, r)
	if r.status != http.StatusCreated || up.ID == 0 || up.Stored < 10_000 || up.Carrier != "viettel" || up.Source != "csv" {
		t.Fatalf("upload: %d %s", r.status, truncate(string(r.body), 400))
	}

	stats := decode[statsJSON](t, get(t, e.ts.URL+"/api/v1/measurements/stats?carrier=viettel&tech=4G"))
	if stats.Calibration != "uncalibrated" || stats.Samples != up.Stored || stats.Overall.MeanDB > -3 || len(stats.Groups) == 0 ||
		len(stats.Communes) == 0 || stats.Note == "" {
		t.Fatalf("stats: %+v", stats)
	}
	if r := get(t, e.ts.URL+"/api/v1/measurements/stats?tech=5G"); r.status != http.StatusBadRequest {
		t.Errorf("tech=5G: %d", r.status)
	}
	if r := get(t, e.ts.URL+"/api/v1/measurements/stats?carrier=nobody"); r.status != http.StatusBadRequest {
		t.Errorf("carrier=nobody: %d %s", r.status, r.body)
	}
	layer := decode[featureCollectionJSON](t, get(t, e.ts.URL+"/api/v1/measurements?tech=4G&carrier=viettel&zoom=11"))
	if len(layer.Features) == 0 || layer.Features[0].Properties["cell_m"] != 500.0 || layer.Features[0].Properties["calibration"] != "uncalibrated" {
		t.Fatalf("layer: %d features, first %+v", len(layer.Features), layer.Features)
	}

	// An admin calibrates; a carrier may not.
	if r := e.call(t, http.MethodPost, "/api/v1/admin/calibrations", e.tok["viettel"], nil); r.status != http.StatusForbidden {
		t.Fatalf("viettel calibrating: %d", r.status)
	}
	r = e.call(t, http.MethodPost, "/api/v1/admin/calibrations", e.tok["admin"], nil)
	cal := decode[calibrationJSON](t, r)
	if r.status != http.StatusCreated || cal.ID == 0 || cal.Definition == nil {
		t.Fatalf("calibration: %d %s", r.status, truncate(string(r.body), 600))
	}
	// Serving it recomputes; every output says "calibrated with N samples (dates)".
	r = e.call(t, http.MethodPut, "/api/v1/admin/definition", e.tok["admin"], []byte(fmt.Sprintf(`{"calibration_id": %d}`, cal.ID)))
	if r.status != http.StatusOK {
		t.Fatalf("serving it: %d %s", r.status, r.body)
	}
	label := decode[infoBody](t, get(t, e.ts.URL+"/api/v1/info")).Calibration
	if !strings.HasPrefix(label, "calibrated with ") {
		t.Fatalf("info says %q", label)
	}
	summary := decode[app.CalibrationSummary](t, get(t, e.ts.URL+"/api/v1/calibration"))
	if summary.Calibration != label || len(summary.Corrections) == 0 || summary.BaseVersion == "" {
		t.Errorf("calibration summary %+v", summary)
	}
	cov := decode[featureCollectionJSON](t, get(t, e.ts.URL+"/api/v1/coverage?tech=4G&carrier=viettel&zoom=9"))
	if len(cov.Features) == 0 || cov.Features[0].Properties["calibration"] != label {
		t.Errorf("coverage layer's calibration: %+v", cov.Features[0].Properties["calibration"])
	}
	rows, err := csv.NewReader(bytes.NewReader(get(t, e.ts.URL+"/api/v1/report.csv?tech=4G").body)).ReadAll()
	if err != nil || len(rows) < 2 || !strings.Contains(strings.Join(rows[1], ","), label) {
		t.Errorf("report.csv lacks %q: %v %v", label, err, rows[0])
	}
	after := decode[statsJSON](t, get(t, e.ts.URL+"/api/v1/measurements/stats?carrier=viettel&tech=4G"))
	t.Logf("viettel 4G: mean %+.2f RMSE %.2f → %+.2f RMSE %.2f dB", stats.Overall.MeanDB, stats.Overall.RMSEDB, after.Overall.MeanDB, after.Overall.RMSEDB)
	if after.Calibration != label || !(after.Overall.RMSEDB < stats.Overall.RMSEDB) {
		t.Errorf("stats after: %s, RMSE %.2f (before %.2f)", after.Calibration, after.Overall.RMSEDB, stats.Overall.RMSEDB)
	}
	if r := e.call(t, http.MethodPut, "/api/v1/admin/definition", e.tok["admin"], []byte(`{"calibration_id": 0}`)); r.status != http.StatusOK ||
		decode[infoBody](t, get(t, e.ts.URL+"/api/v1/info")).Calibration != "uncalibrated" {
		t.Errorf("back to uncalibrated: %d %s", r.status, r.body)
	}
	if r := e.call(t, http.MethodPut, "/api/v1/admin/definition", e.tok["admin"], []byte(`{"calibration": 1}`)); r.status != http.StatusBadRequest {
		t.Errorf("a bad body: %d", r.status)
	}
	list := decode[calibrationsBody](t, e.call(t, http.MethodGet, "/api/v1/admin/calibrations", e.tok["admin"], nil))
	if len(list.Calibrations) != 1 || list.Served != 0 {
		t.Errorf("calibrations %+v", list)
	}

	// Uploads: listed per scope, withdrawn by their carrier.
	if ups := decode[measurementUploadsJSON](t, e.call(t, http.MethodGet, "/api/v1/measurements/uploads", e.tok["mobifone"], nil)); len(ups.Uploads) != 0 {
		t.Errorf("mobifone sees %d uploads", len(ups.Uploads))
	}
	path := fmt.Sprintf("/api/v1/measurements/uploads/%d", up.ID)
	// Another carrier's upload is not found, in the words of an unknown id (a 403 would tell
	// mobifone that viettel uploaded this id).
	unknown := e.call(t, http.MethodDelete, "/api/v1/measurements/uploads/999999", e.tok["mobifone"], nil)
	if r := e.call(t, http.MethodDelete, path, e.tok["mobifone"], nil); r.status != http.StatusNotFound || unknown.status != http.StatusNotFound ||
		strings.Replace(decode[errorBody](t, r).Error, strconv.FormatInt(up.ID, 10), "999999", 1) != decode[errorBody](t, unknown).Error {
		t.Errorf("mobifone withdrawing: %d %s; an unknown id: %d %s", r.status, r.body, unknown.status, unknown.body)
	}
	if r := e.call(t, http.MethodDelete, path, e.tok["viettel"], nil); r.status != http.StatusOK ||
		decode[statsJSON](t, get(t, e.ts.URL+"/api/v1/measurements/stats")).Samples != 0 {
		t.Errorf("viettel withdrawing: %d %s", r.status, r.body)
	}
}

// Shapes of the answers, as a client reads them.
type (
	measurementUploadJSON struct {
		ID                          int64
		Carrier, Source             string
		Stored, Duplicates, Samples int
	}
	measurementUploadsJSON struct {
		Uploads []measurementUploadJSON `json:"uploads"`
	}
	statsJSON struct {
		Calibration string                 `json:"calibration"`
		Samples     int                    `json:"samples"`
		Overall     coverage.ResidualStats `json:"overall"`
		Groups      []measure.GroupStats   `json:"groups"`
		Communes    []measure.CommuneConfusion
		Note        string `json:"note"`
	}
	calibrationJSON struct {
		ID         int64                `json:"id"`
		Definition *coverage.Definition `json:"definition"`
		Fits       []measure.GroupFit   `json:"fits"`
	}
	featureCollectionJSON struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
)

// clock is a settable time for the app and the rate limiters.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestReportsAPI: reports from the public map are validated, rate-limited by device and address;
// four devices on two days dispute a covered place; the public layer shows it, the carrier's
// queue holds it and the carrier reviews it; no address or device id is stored.
func TestReportsAPI(t *testing.T) {
	c := &clock{t: time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)}
	e := newReportEnv(t, c, ReportOptions{PerDevicePerHour: 2, DeviceBurst: 2, PerAddressPerHour: 6, AddressBurst: 6}, app.ReportRules{})
	post := e.reportAt(t, covered(t))
	// t0: the address has 6, each device 2.
	r := post("aaaaaaaaaaaaaaaaaaaa", "no_service")
	ack := decode[app.ReportAck](t, r)
	if r.status != http.StatusCreated || !ack.Contradicts || ack.Cell == "" || ack.PredictedLevelDBm == nil || ack.Day != "2026-02-01" {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if r := post("aaaaaaaaaaaaaaaaaaaa", "drops"); r.status != http.StatusCreated {
		t.Fatalf("second report of the device: %d %s", r.status, r.body)
	}
	if r := post("aaaaaaaaaaaaaaaaaaaa", "drops"); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" ||
		!strings.Contains(decode[errorBody](t, r).Error, "this device") {
		t.Fatalf("third report of the device within the hour: %d %s", r.status, r.body)
	}
	if r := e.call(t, http.MethodPost, "/api/v1/reports", "", []byte(`{"lon": "x"}`)); r.status != http.StatusBadRequest {
		t.Errorf("bad JSON: %d", r.status)
	}
	r = e.call(t, http.MethodPost, "/api/v1/reports", "", []byte(`{"lon": 106.3, "lat": 30, "carrier": "x", "tech": "5G", "outcome": "meh", "device": "d"}`))
	if eb := decode[errorBody](t, r); r.status != http.StatusUnprocessableEntity || len(eb.Issues) != 5 {
		t.Errorf("bad fields: %d %+v", r.status, eb.Issues)
	}
	if r := post("bbbbbbbbbbbbbbbbbbbb", "no_service"); r.status != http.StatusCreated {
		t.Fatalf("device b: %d %s", r.status, r.body)
	}
	if r := post("cccccccccccccccccccc", "no_service"); r.status != http.StatusTooManyRequests || !strings.Contains(decode[errorBody](t, r).Error, "this address") {
		t.Fatalf("the address's seventh request: %d %s", r.status, r.body)
	}
	// An hour on (6 more for the address): two more devices, and one "fine" (it agrees).
	c.add(time.Hour)
	for _, d := range []string{"cccccccccccccccccccc", "dddddddddddddddddddd"} {
		if r := post(d, "no_service"); r.status != http.StatusCreated {
			t.Fatalf("device %s: %d %s", d[:4], r.status, r.body)
		}
	}
	if r := post("eeeeeeeeeeeeeeeeeeee", "fine"); r.status != http.StatusCreated {
		t.Fatalf("a fine report: %d", r.status)
	}
	if len(decode[featureCollectionJSON](t, get(t, e.ts.URL+"/api/v1/disputes")).Features) != 0 {
		t.Fatal("disputed after one day")
	}
	// The next day one of them again: 4 devices on 2 days.
	c.add(24 * time.Hour)
	if r := post("bbbbbbbbbbbbbbbbbbbb", "no_service"); r.status != http.StatusCreated {
		t.Fatalf("the next day: %d %s", r.status, r.body)
	}
	fc := decode[featureCollectionJSON](t, get(t, e.ts.URL+"/api/v1/disputes?tech=4G"))
	if len(fc.Features) != 1 {
		t.Fatalf("disputes: %+v", fc)
	}
	p := fc.Features[0].Properties
	if p["carrier"] != "viettel" || p["reporters"] != 4.0 || p["days"] != 2.0 || p["direction"] != "worse" || p["review_state"] != "open" || p["synthetic"] != true {
		t.Errorf("dispute properties %+v", p)
	}
	cell := p["cell"].(string)
	// The carrier's queue and review.
	if r := e.call(t, http.MethodGet, "/api/v1/carriers/viettel/disputes", e.tok["mobifone"], nil); r.status != http.StatusForbidden {
		t.Errorf("mobifone reading viettel's queue: %d", r.status)
	}
	q := decode[reviewQueueBody](t, e.call(t, http.MethodGet, "/api/v1/carriers/viettel/disputes", e.tok["viettel"], nil))
	if len(q.Cells) != 1 || q.Cells[0].Outcomes["no_service"] != 5 || q.Cells[0].Outcomes["drops"] != 1 || q.Cells[0].Agreeing != 1 {
		t.Fatalf("queue %+v", q)
	}
	r = e.call(t, http.MethodPut, "/api/v1/carriers/viettel/disputes/4G/"+cell, e.tok["viettel"], []byte(`{"state": "resolved", "note": "sector re-aimed 2026-02-03"}`))
	if r.status != http.StatusOK {
		t.Fatalf("review: %d %s", r.status, r.body)
	}
	if r := e.call(t, http.MethodPut, "/api/v1/carriers/viettel/disputes/4G/"+cell, e.tok["viettel"], []byte(`{"state": "done"}`)); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad state: %d %s", r.status, r.body)
	}
	if r := e.call(t, http.MethodPut, "/api/v1/carriers/viettel/disputes/5G/"+cell, e.tok["viettel"], []byte(`{"state": "reviewed"}`)); r.status != http.StatusBadRequest {
		t.Errorf("tech 5G: %d", r.status)
	}
	fc = decode[featureCollectionJSON](t, get(t, e.ts.URL+"/api/v1/disputes"))
	if fc.Features[0].Properties["review_state"] != "resolved" || strings.Contains(fmt.Sprint(fc.Features[0].Properties), "re-aimed") {
		t.Errorf("public dispute after the review: %+v", fc.Features[0].Properties)
	}
	// Nothing stored holds the client's address or a device id.
	rows, err := e.db.Reports(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rp := range rows {
		if s := fmt.Sprintf("%+v", rp); strings.Contains(s, "127.0.0.1") || strings.Contains(s, "aaaa") || strings.Contains(s, "bbbb") {
			t.Errorf("a stored report holds an address or a device id: %s", s)
		}
	}
}

// A place takes PerCellPerDay reports a day: the next one is a 429 saying so.
func TestReportsPlaceCapAPI(t *testing.T) {
	c := &clock{t: time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)}
	e := newReportEnv(t, c, ReportOptions{}, app.ReportRules{PerCellPerDay: 2})
	post := e.reportAt(t, covered(t))
	for i, d := range []string{"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"} {
		if r := post(d, "weak"); r.status != http.StatusCreated {
			t.Fatalf("report %d: %d %s", i, r.status, r.body)
		}
	}
	r := post("cccccccccccccccccccc", "weak")
	if r.status != http.StatusTooManyRequests || !strings.Contains(decode[errorBody](t, r).Error, "this place today") {
		t.Fatalf("the place's third report: %d %s", r.status, r.body)
	}
	c.add(24 * time.Hour)
	if r := post("cccccccccccccccccccc", "weak"); r.status != http.StatusCreated {
		t.Fatalf("the next day: %d %s", r.status, r.body)
	}
}

// newReportEnv is an upload env whose app and report limiters read c, with report options o and
// rules rr.
func newReportEnv(t *testing.T, c *clock, o ReportOptions, rr app.ReportRules) *uploadEnv {
	t.Helper()
	return newEnv(t, demoState(t), Options{Limits: Limits{TokenRatePerMinute: -1}, Now: c.now, Reports: o}, nil, "",
		func(a *app.App) { a.WithClock(c.now); a.WithReportRules(rr) })
}

// covered is a place the demo's Viettel 4G covers: next to its first site.
func covered(t *testing.T) [2]float64 {
	site := demoState(t).Snapshot.Sites(store.Filter{Carrier: "viettel", Tech: data.Tech4G})[0]
	return [2]float64{site.Lon + 0.001, site.Lat + 0.001}
}

// reportAt returns a function posting a report of viettel 4G at p from device with outcome.
func (e *uploadEnv) reportAt(t *testing.T, p [2]float64) func(device, outcome string) reply {
	return func(device, outcome string) reply {
		t.Helper()
		return e.call(t, http.MethodPost, "/api/v1/reports", "", []byte(fmt.Sprintf(
			`{"lon": %f, "lat": %f, "carrier": "viettel", "tech": "4G", "outcome": %q, "device": %q}`, p[0], p[1], outcome, device)),
			"Content-Type: application/json")
	}
}

// TestMeasurementBadFileCorpus: testdata/measurements holds measurement files a carrier might
// send by mistake; each posted by viettel as a dry run must get the answer MANIFEST.tsv says,
// and none may store anything.
func TestMeasurementBadFileCorpus(t *testing.T) {
	e := newUploadEnv(t, Limits{MaxBodyBytes: 1 << 20, MaxDecompressedBytes: 8 << 20, TokenRatePerMinute: -1})
	runCorpus(t, "testdata/measurements", 30, func(t *testing.T, tc corpusCase, body []byte) reply {
		q := "?dry_run=true"
		if tc.mode != "-" {
			q += "&" + tc.mode
		}
		return e.call(t, http.MethodPost, "/api/v1/measurements"+q, e.tok["viettel"], body, corpusHeaders(tc.file)...)
	})
	if ups, err := e.db.MeasurementUploads(context.Background(), "", 0); err != nil || len(ups) != 0 {
		t.Fatalf("the corpus stored %d uploads (%v)", len(ups), err)
	}
}
