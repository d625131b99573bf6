package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"phusong/data/store"
	"phusong/server/app"
)

// TestScenarioAPI walks a planner through the planning API on loopback with a real database:
// a planner token made by the admin, a scenario with edits, its deltas and changed areas, a
// refused edit (422 naming it), another owner's 404, the CSV export, and a suggestion run
// polled to the end.
func TestScenarioAPI(t *testing.T) {
	e := newUploadEnv(t, Limits{})
	r := e.call(t, http.MethodPost, "/api/v1/admin/tokens", e.tok["admin"], []byte(`{"planner": "usf", "note": "test"}`))
	if r.status != http.StatusCreated {
		t.Fatalf("planner token: %d %s", r.status, r.body)
	}
	var created struct{ Token string }
	json.Unmarshal(r.body, &created)
	planner := created.Token
	if r := e.call(t, http.MethodPost, "/api/v1/carriers/viettel/sites?mode=upsert", planner, []byte("x"), "Content-Type: text/csv"); r.status != http.StatusForbidden {
		t.Fatalf("planner upload: %d %s", r.status, r.body)
	}

	vt := e.s.app.State().Snapshot.Sites(store.Filter{Carrier: "viettel"})
	c := e.s.app.State().Communes[5].Geometry.Bound().Center()
	body := fmt.Sprintf(`{"name": "north", "edits": [
		{"op": "add", "carrier": "viettel", "site_id": "NEW-1", "lon": %g, "lat": %g, "height_m": 45},
		{"op": "remove", "carrier": "viettel", "site_id": %q}]}`, c[0], c[1], vt[0].SiteID)
	r = e.call(t, http.MethodPost, "/api/v1/scenarios", planner, []byte(body))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var sc app.ScenarioInfo
	json.Unmarshal(r.body, &sc)
	base := fmt.Sprintf("/api/v1/scenarios/%d", sc.ID)

	r = e.call(t, http.MethodGet, base+"/result", planner, nil)
	var res app.ScenarioResult
	if r.status != http.StatusOK || json.Unmarshal(r.body, &res) != nil || len(res.Province) != 2 || len(res.Communes) == 0 {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	r = e.call(t, http.MethodGet, base+"/changes?tech=4G", planner, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/geo+json" || !strings.Contains(string(r.body), `"change":"covered"`) {
		t.Fatalf("changes: %d %s %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}
	r = e.call(t, http.MethodPatch, base, planner, []byte(`{"append": [{"op": "move", "carrier": "viettel", "site_id": "GHOST", "lon": 106.3, "lat": 9.9}]}`))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `edits[2].site_id`) {
		t.Fatalf("bad edit: %d %s", r.status, r.body)
	}
	if r := e.call(t, http.MethodGet, base, e.tok["viettel"], nil); r.status != http.StatusNotFound {
		t.Fatalf("viettel reads the planner's scenario: %d", r.status)
	}
	if r := e.call(t, http.MethodGet, base+"/result", e.tok["admin"], nil); r.status != http.StatusForbidden {
		t.Fatalf("admin evaluates a scenario: %d %s", r.status, r.body)
	}
	r = e.call(t, http.MethodGet, base+"/export.csv?carrier=viettel", planner, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "NEW-1") || !strings.Contains(string(r.body), "planned") {
		t.Fatalf("export: %d %s", r.status, r.body)
	}

	r = e.call(t, http.MethodPost, base+"/suggestions", planner, []byte(`{"carrier": "any", "tech": "4G", "count": 3}`))
	if r.status != http.StatusAccepted {
		t.Fatalf("suggest: %d %s", r.status, r.body)
	}
	var job app.SuggestJob
	json.Unmarshal(r.body, &job)
	loc := r.header.Get("Location")
	deadline := time.Now().Add(2 * time.Minute)
	for job.Status == app.JobRunning && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		r = e.call(t, http.MethodGet, loc, planner, nil)
		if r.status != http.StatusOK {
			t.Fatalf("poll: %d %s", r.status, r.body)
		}
		json.Unmarshal(r.body, &job)
	}
	if job.Status != app.JobDone || job.Result == nil || len(job.Result.Picks) == 0 || job.Total == 0 || job.Done != job.Total {
		t.Fatalf("job %+v", job)
	}
	if r := e.call(t, http.MethodGet, fmt.Sprintf("%s/suggestions/%s", base, job.ID), e.tok["viettel"], nil); r.status != http.StatusNotFound {
		t.Fatalf("viettel reads the planner's job: %d", r.status)
	}
	if r := e.call(t, http.MethodPost, base+"/suggestions", planner, []byte(`{"carrier": "any", "tech": "5G"}`)); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad tech: %d %s", r.status, r.body)
	}
}
