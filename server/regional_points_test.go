package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/data/testenv"
	"phusong/server/app"
)

// regionalDemoInput is the demo without a population grid (region by region has none) at the
// tests' 200 m cells.
func regionalDemoInput(t *testing.T) app.Input {
	base := demoState(t)
	return app.Input{Communes: base.Communes, Carriers: base.Carriers, Sites: demoInput.Sites, Note: demoInput.Note,
		Coverage: coverage.Options{CellM: testCellM}}
}

// TestRegionalH3 serves the demo from a whole engine and region by region (30 regions of
// 9.6 km) and asks both for the H3 hexagons of both technologies at both resolutions, split by
// commune or not, as GeoJSON and CSV: the answers are byte for byte the same (every hexagon's
// people, households, land cells, communes and coverage flags are the whole engine's). After
// the same upload to both (half of Viettel's sites removed) the answers change and are still
// the same.
func TestRegionalH3(t *testing.T) {
	whole, regional := wholeAndRegional(t, regionalDemoInput(t))
	paths := []string{"/api/v1/h3?tech=4G", "/api/v1/h3.csv?tech=3G&resolution=9"}
	if testenv.Full() {
		paths = append(paths, "/api/v1/h3?tech=4G&resolution=9&split=commune", "/api/v1/h3.csv?tech=4G&resolution=8")
	}
	before := askAlike(t, whole, regional, paths)
	if !strings.Contains(string(before[0]), `"viettel_4g":true`) || !strings.Contains(string(before[0]), `"viettel_4g":false`) {
		t.Fatalf("the 4G hexagons are not partly covered by viettel: %s", truncate(string(before[0]), 600))
	}
	halveViettel(t, whole, regional)
	if after := askAlike(t, whole, regional, paths[:1]); bytes.Equal(before[0], after[0]) {
		t.Error("the 4G hexagons did not change when half of Viettel's sites were removed")
	}
}

// TestRegionalReports sends the same "no signal here" reports (seeded places over the demo's
// land, a covered place reported by four devices on two days) to a whole engine's server and a
// regional one with the same clock: every acknowledgement (the predicted level and coverage at
// the rounded place, whether it contradicts) is the same bytes, and so are the public disputes,
// the carrier's review queue and the queue after a review.
func TestRegionalReports(t *testing.T) {
	c := &clock{t: time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)}
	so := Options{Limits: Limits{TokenRatePerMinute: -1}, Now: c.now, Reports: ReportOptions{PerAddressPerHour: -1, PerDevicePerHour: -1}}
	whole, regional := wholeAndRegionalWith(t, regionalDemoInput(t), so, func(a *app.App) { a.WithClock(c.now) })
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 17))
	area := demoState(t).Area
	outcomes := []string{"no_service", "weak", "drops", "fine"}
	post := func(p [2]float64, device, carrier, tech, outcome string) {
		t.Helper()
		body := []byte(fmt.Sprintf(`{"lon": %f, "lat": %f, "carrier": %q, "tech": %q, "outcome": %q, "device": %q}`,
			p[0], p[1], carrier, tech, outcome, device))
		w := whole.call(t, http.MethodPost, "/api/v1/reports", "", body, "Content-Type: application/json")
		g := regional.call(t, http.MethodPost, "/api/v1/reports", "", body, "Content-Type: application/json")
		if w.status != g.status || !bytes.Equal(w.body, g.body) {
			t.Errorf("report %s: region by region %d %s, whole %d %s", body, g.status, g.body, w.status, w.body)
		}
	}
	filed := 0
	for n := range testenv.Size(120, 40) {
		p := [2]float64{area.Min[0] + rng.Float64()*(area.Max[0]-area.Min[0]), area.Min[1] + rng.Float64()*(area.Max[1]-area.Min[1])}
		carrier := envCarriers[n%len(envCarriers)]
		post(p, fmt.Sprintf("device-%016d", n), carrier, []string{"3G", "4G"}[n%2], outcomes[n%len(outcomes)])
		filed++
	}
	place := covered(t)
	for range 2 { // two days
		for d := range 4 {
			post(place, fmt.Sprintf("reporter-%016d", d), "viettel", "4G", "no_service")
		}
		c.add(24 * time.Hour)
	}
	paths := []string{"/api/v1/disputes", "/api/v1/disputes?tech=4G&carrier=viettel"}
	got := askAlike(t, whole, regional, paths)
	if !strings.Contains(string(got[1]), `"reporters":4`) {
		t.Fatalf("the covered place is not disputed: %s", truncate(string(got[1]), 400))
	}
	queues := func() {
		t.Helper()
		for _, carrier := range envCarriers {
			path := "/api/v1/carriers/" + carrier + "/disputes"
			w, g := whole.call(t, http.MethodGet, path, whole.tok[carrier], nil), regional.call(t, http.MethodGet, path, regional.tok[carrier], nil)
			if w.status != http.StatusOK || !bytes.Equal(w.body, g.body) {
				t.Errorf("%s: region by region %d %s, whole %d %s", path, g.status, truncate(string(g.body), 400), w.status, truncate(string(w.body), 400))
			}
		}
	}
	queues()
	cell := decode[reviewQueueBody](t, whole.call(t, http.MethodGet, "/api/v1/carriers/viettel/disputes", whole.tok["viettel"], nil))
	if len(cell.Cells) == 0 {
		t.Fatal("viettel's queue is empty")
	}
	for _, e := range []*uploadEnv{whole, regional} {
		path := "/api/v1/carriers/viettel/disputes/" + string(cell.Cells[0].Tech) + "/" + cell.Cells[0].Cell
		if r := e.call(t, http.MethodPut, path, e.tok["viettel"], []byte(`{"state": "reviewed", "note": "checked"}`)); r.status != http.StatusOK {
			t.Fatalf("review: %d %s", r.status, r.body)
		}
	}
	askAlike(t, whole, regional, paths)
	t.Logf("%d random reports and 8 at a covered place", filed)
}

// TestRegionalMeasurements uploads the same synthetic drive test (Viettel 4G, its path loss 6 dB
// off the model) to a whole engine's server and a regional one: the measurements' statistics
// against the predictions, the map's squares and a calibration run are the same bytes on both
// (each sample's prediction, commune and land class are the whole engine's).
func TestRegionalMeasurements(t *testing.T) {
	c := &clock{t: time.Date(2026, 2, 1, 2, 0, 0, 0, time.UTC)}
	so := Options{Limits: Limits{TokenRatePerMinute: -1}, Now: c.now}
	whole, regional := wholeAndRegionalWith(t, regionalDemoInput(t), so, func(a *app.App) { a.WithClock(c.now) })
	truth := []coverage.Correction{{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 6}}
	file := driveTest(t, testenv.Size(20_000, 6_000), 5, truth, measure.Pair{Carrier: "viettel", Tech: data.Tech4G},
		measure.Pair{Carrier: "mobifone", Tech: data.Tech3G})
	for _, e := range []*uploadEnv{whole, regional} {
		if r := e.postMeasurements(t, e.tok["admin"], "?file_name=drive.csv", file); r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, truncate(string(r.body), 400))
		}
	}
	got := askAlike(t, whole, regional, []string{"/api/v1/measurements/stats", "/api/v1/measurements/stats?carrier=viettel&tech=4G",
		"/api/v1/measurements?tech=4G&carrier=viettel&zoom=11", "/api/v1/measurements?tech=3G&zoom=9"})
	if st := decode[statsJSON](t, reply{status: http.StatusOK, body: got[1]}); st.Samples == 0 || st.Overall.MeanDB > -3 {
		t.Fatalf("statistics %+v: want samples measured about 6 dB below the prediction", st)
	}
	w := whole.call(t, http.MethodPost, "/api/v1/admin/calibrations", whole.tok["admin"], nil)
	g := regional.call(t, http.MethodPost, "/api/v1/admin/calibrations", regional.tok["admin"], nil)
	if w.status != http.StatusCreated || !bytes.Equal(w.body, g.body) {
		t.Errorf("calibration: region by region %d %s\nwhole %d %s", g.status, truncate(string(g.body), 600), w.status, truncate(string(w.body), 600))
	}
}
