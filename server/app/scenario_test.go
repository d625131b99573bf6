package app

import (
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/persist"
	"phusong/data/plan"
	"phusong/data/store"
)

// scenarioApp is an app over a real database seeded with the demo's sites (200 m engine), with
// a planner token and viettel and mobifone tokens.
func scenarioApp(t *testing.T) (*App, map[string]persist.TokenInfo) {
	t.Helper()
	a, db := openDemo(t)
	ctx := context.Background()
	toks := map[string]persist.TokenInfo{}
	_, toks["planner"], _ = db.CreatePlannerToken(ctx, "usf", "")
	_, toks["planner2"], _ = db.CreatePlannerToken(ctx, "other", "")
	_, toks["viettel"], _ = db.CreateToken(ctx, "viettel", false, "")
	_, toks["mobifone"], _ = db.CreateToken(ctx, "mobifone", false, "")
	_, toks["admin"], _ = db.CreateToken(ctx, "", true, "")
	return a, toks
}

func ptr[T any](v T) *T { return &v }

// TestScenarioIncrementalEqualsFull: a scenario's evaluated state (a fork, updated carrier by
// carrier) equals a full computation of the edited lists, commune by commune, and the served
// state does not change.
func TestScenarioIncrementalEqualsFull(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	st := a.State()
	vt := st.Snapshot.Sites(store.Filter{Carrier: "viettel"})
	mb := st.Snapshot.Sites(store.Filter{Carrier: "mobifone"})
	c := st.Communes[3].Geometry.Bound().Center()
	edits := []Edit{
		{Op: EditAdd, Carrier: "viettel", SiteID: "NEW-1", Lon: &c[0], Lat: &c[1], HeightM: ptr(40.0)},
		{Op: EditMove, Carrier: "viettel", SiteID: vt[0].SiteID, Lon: ptr(vt[0].Lon + 0.01), Lat: ptr(vt[0].Lat)},
		{Op: EditRemove, Carrier: "viettel", SiteID: vt[1].SiteID},
		{Op: EditModify, Carrier: "viettel", SiteID: vt[2].SiteID, HeightM: ptr(60.0), TiltDeg: ptr(2.0), PowerDBm: ptr(40.0)},
		{Op: EditModify, Carrier: "mobifone", SiteID: mb[0].SiteID, AzimuthDeg: ptr(45.0), Tech: data.Tech3G, Sector: ptr(0)},
		{Op: EditColocate, Carrier: "vinaphone", SiteID: "SHARE-1", HostCarrier: "mobifone", HostSiteID: mb[1].SiteID},
	}
	s, err := a.CreateScenario(ctx, toks["planner"], "mixed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateScenario(ctx, toks["planner"], s.ID, ScenarioUpdate{Append: edits}); err != nil {
		t.Fatal(err)
	}
	ns, base, _, rebased, err := a.scenarioState(ctx, toks["planner"], s.ID)
	if err != nil || rebased || base != st {
		t.Fatalf("state: %v, rebased %v", err, rebased)
	}
	if a.State() != st || st.Snapshot.Len() != a.State().Snapshot.Len() {
		t.Fatal("evaluating changed the served state")
	}
	var all []data.Site
	for _, x := range ns.Snapshot.Sites(store.Filter{}) {
		all = append(all, *x)
	}
	if len(all) != st.Snapshot.Len()+1 { // +1 added, −1 removed, +1 colocated
		t.Fatalf("%d sites in the scenario, %d published", len(all), st.Snapshot.Len())
	}
	full, err := Build(ctx, Input{Engine: st.Engine, Sites: all})
	if err != nil {
		t.Fatal(err)
	}
	for _, tech := range data.AnalysedTechs {
		got, want := ns.Coverage.Communes(), full.Coverage.Communes()
		for i := range want {
			g, w := got[i], want[i]
			if g.CoveredAreaKM2 != w.CoveredAreaKM2 || g.CoveredPopulation != w.CoveredPopulation || g.CoveredHouseholds != w.CoveredHouseholds ||
				g.AreaByCarrierCountKM2 != w.AreaByCarrierCountKM2 || !slices.Equal(g.CarriersPresentIDs, w.CarriersPresentIDs) {
				t.Fatalf("%s %s: incremental %+v, full %+v", tech, w.Code, g, w)
			}
		}
	}
	res, err := a.EvaluateScenario(ctx, toks["planner"], s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Communes) == 0 || len(res.Province) != 2 {
		t.Fatalf("deltas: %d communes, %d province rows", len(res.Communes), len(res.Province))
	}
	p4 := res.Province[1]
	wantDelta := round1(full.Coverage.Province(data.Tech4G).CoveredPopulation) - round1(st.Coverage.Province(data.Tech4G).CoveredPopulation)
	if p4.Tech != data.Tech4G || round1(p4.Delta.CoveredPopulation) != round1(wantDelta) {
		t.Fatalf("4G delta %+v, want covered people %+.1f", p4.Delta, wantDelta)
	}
	fc, err := a.ScenarioChanges(ctx, toks["planner"], s.ID, data.Tech4G)
	if err != nil || len(fc.Features) != 2 || fc.Features[0].Properties["change"] != "covered" {
		t.Fatalf("changes: %v %+v", err, fc)
	}
}

// TestScenarioRoles: owners see their scenarios, everyone else gets not-found; a carrier
// edits only its own sites; admin tokens manage no scenario; planners publish nothing.
func TestScenarioRoles(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	sv, err := a.CreateScenario(ctx, toks["viettel"], "viettel plan")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := a.CreateScenario(ctx, toks["planner"], "usf plan")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who string
		id  int64
	}{{"mobifone", sv.ID}, {"planner", sv.ID}, {"viettel", sp.ID}, {"planner2", sp.ID}, {"viettel", 999}} {
		if _, err := a.Scenario(ctx, toks[c.who], c.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s reads scenario %d: %v, want not found", c.who, c.id, err)
		}
	}
	if _, err := a.CreateScenario(ctx, toks["admin"], "x"); !errors.Is(err, ErrForbidden) {
		t.Errorf("admin scenario: %v", err)
	}
	mb := a.State().Snapshot.Sites(store.Filter{Carrier: "mobifone"})
	_, err = a.UpdateScenario(ctx, toks["viettel"], sv.ID, ScenarioUpdate{Append: []Edit{{Op: EditRemove, Carrier: "mobifone", SiteID: mb[0].SiteID}}})
	var pe data.ParseErrors
	if !errors.As(err, &pe) || pe[0].Field != "edits[0].carrier" {
		t.Errorf("viettel edits mobifone: %v", err)
	}
	if _, err := a.UpdateScenario(ctx, toks["viettel"], sv.ID, ScenarioUpdate{Append: []Edit{
		{Op: EditColocate, Carrier: "viettel", SiteID: "CO-1", HostCarrier: "mobifone", HostSiteID: mb[0].SiteID}}}); err != nil {
		t.Errorf("viettel co-locates on a mobifone mast: %v", err)
	}
	if err := a.MayUpload(toks["planner"], "sites", "viettel"); !errors.Is(err, ErrForbidden) {
		t.Errorf("planner uploads: %v", err)
	}
	if _, more, err := a.Uploads(ctx, toks["planner"], UploadFilter{Limit: 5}); err != nil || !more {
		t.Errorf("planner reads the upload history: %v, more %v", err, more)
	}
	if _, _, err := a.Rollback(ctx, toks["planner"], 1, true); !errors.Is(err, ErrForbidden) {
		t.Errorf("planner rolls back: %v", err)
	}
	csvBytes, err := a.ExportScenario(ctx, toks["viettel"], sv.ID, "viettel")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(csvBytes))).ReadAll()
	if err != nil || len(rows) != 4 { // header + three sectors of CO-1
		t.Fatalf("export: %v, %d rows:\n%s", err, len(rows), csvBytes)
	}
	status := slices.Index(rows[0], "status")
	for _, r := range rows[1:] {
		if r[status] != "planned" || r[slices.Index(rows[0], "site_id")] != "CO-1" {
			t.Fatalf("exported row %v", r)
		}
	}
	if _, err := a.ExportScenario(ctx, toks["viettel"], sv.ID, "mobifone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("viettel exports mobifone: %v", err)
	}
	// The carrier uploads the export as it is: CO-1 joins viettel's published list, planned,
	// on the mobifone mast (its position and height), three sectors.
	rep, err := a.Apply(ctx, toks["viettel"], Upload{Kind: "sites", Owner: "viettel", Mode: persist.ModeUpsert, Format: FormatCSV, Body: strings.NewReader(string(csvBytes))})
	if err != nil {
		t.Fatalf("uploading the export: %v", err)
	}
	if !slices.Equal(rep.Changes.Added, []string{"CO-1"}) || len(rep.Changes.Changed) != 0 || len(rep.Changes.Removed) != 0 {
		t.Fatalf("uploading the export changed %+v, want CO-1 added only", rep.Changes)
	}
	co, ok := a.State().Snapshot.Site(data.SiteKey{Carrier: "viettel", SiteID: "CO-1"})
	if !ok || co.Status != data.StatusPlanned || co.Lon != mb[0].Lon || co.Lat != mb[0].Lat || co.HeightM != mb[0].HeightM || len(co.Sectors) != 3 {
		t.Fatalf("published CO-1 %+v, want planned at mobifone's %s (%g, %g, %g m) with 3 sectors", co, mb[0].SiteID, mb[0].Lon, mb[0].Lat, mb[0].HeightM)
	}
}

// TestScenarioBadEdits: every refused edit is a 422-class error naming the edit and field,
// and nothing is stored.
func TestScenarioBadEdits(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	s, err := a.CreateScenario(ctx, toks["planner"], "bad")
	if err != nil {
		t.Fatal(err)
	}
	vt := a.State().Snapshot.Sites(store.Filter{Carrier: "viettel"})
	cases := []struct {
		name  string
		edit  Edit
		field string
	}{
		{"unknown site", Edit{Op: EditMove, Carrier: "viettel", SiteID: "NOPE", Lon: ptr(106.3), Lat: ptr(9.9)}, "edits[0].site_id"},
		{"outside the communes", Edit{Op: EditAdd, Carrier: "viettel", SiteID: "SEA", Lon: ptr(a.State().Area.Max[0] - 1e-4), Lat: ptr(a.State().Area.Min[1] + 1e-4)}, "edits[0].lon"},
		{"height out of range", Edit{Op: EditModify, Carrier: "viettel", SiteID: vt[0].SiteID, HeightM: ptr(900.0)}, "edits[0].height_m"},
		{"tilt out of range", Edit{Op: EditModify, Carrier: "viettel", SiteID: vt[0].SiteID, TiltDeg: ptr(80.0)}, "edits[0].sectors[0].tilt_deg"},
		{"unknown op", Edit{Op: "teleport", Carrier: "viettel", SiteID: vt[0].SiteID}, "edits[0].op"},
		{"taken id", Edit{Op: EditAdd, Carrier: "viettel", SiteID: vt[0].SiteID, Lon: ptr(vt[0].Lon), Lat: ptr(vt[0].Lat)}, "edits[0].site_id"},
		{"bad sector", Edit{Op: EditModify, Carrier: "viettel", SiteID: vt[0].SiteID, Sector: ptr(9), TiltDeg: ptr(1.0)}, "edits[0].sector"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := a.UpdateScenario(ctx, toks["planner"], s.ID, ScenarioUpdate{Append: []Edit{c.edit}})
			var pe data.ParseErrors
			if !errors.As(err, &pe) || !errors.Is(err, data.ErrInvalidInput) || pe[0].Field != c.field {
				t.Fatalf("%v, want a problem with field %s", err, c.field)
			}
		})
	}
	got, err := a.Scenario(ctx, toks["planner"], s.ID)
	if err != nil || len(got.Edits) != 0 || got.Revision != 1 {
		t.Fatalf("after refusals: %+v, %v", got, err)
	}
}

// TestScenarioRebase: when the published data moves on, a scenario whose moved site was
// deleted reports the conflict (naming the edit) and keeps its base; once the edit is
// dropped, the rebase succeeds onto the new upload.
func TestScenarioRebase(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	vt := a.State().Snapshot.Sites(store.Filter{Carrier: "viettel"})
	s, err := a.CreateScenario(ctx, toks["planner"], "rebase")
	if err != nil {
		t.Fatal(err)
	}
	edits := []Edit{
		{Op: EditModify, Carrier: "viettel", SiteID: vt[5].SiteID, HeightM: ptr(45.0)},
		{Op: EditMove, Carrier: "viettel", SiteID: vt[0].SiteID, Lon: ptr(vt[0].Lon + 0.005), Lat: ptr(vt[0].Lat)},
	}
	if s, err = a.UpdateScenario(ctx, toks["planner"], s.ID, ScenarioUpdate{Append: edits}); err != nil {
		t.Fatal(err)
	}
	plain, _, err := a.db.CreateToken(ctx, "viettel", false, "")
	if err != nil {
		t.Fatal(err)
	}
	who, _ := a.Authenticate(ctx, plain)
	if _, err := a.Apply(ctx, who, Upload{Kind: "sites", Owner: "viettel", Mode: persist.ModeDelete, Format: FormatCSV,
		Body: strings.NewReader("site_id\n" + vt[0].SiteID + "\n")}); err != nil {
		t.Fatal(err)
	}
	var ce *ConflictError
	if _, err := a.EvaluateScenario(ctx, toks["planner"], s.ID); !errors.As(err, &ce) || ce.Conflicts[0].Field != "edits[1].site_id" {
		t.Fatalf("evaluate after the delete: %v", err)
	}
	if _, err := a.RebaseScenario(ctx, toks["planner"], s.ID); !errors.As(err, &ce) || !errors.Is(err, data.ErrInvalidInput) || ce.DataUpload <= s.BaseUpload {
		t.Fatalf("rebase: %v", err)
	}
	if got, _ := a.Scenario(ctx, toks["planner"], s.ID); got.BaseUpload != s.BaseUpload {
		t.Fatalf("a failed rebase moved the base to %d", got.BaseUpload)
	}
	kept := edits[:1]
	if _, err := a.UpdateScenario(ctx, toks["planner"], s.ID, ScenarioUpdate{Replace: &kept}); err != nil {
		t.Fatal(err)
	}
	got, err := a.RebaseScenario(ctx, toks["planner"], s.ID)
	if err != nil || got.BaseUpload != ce.DataUpload || len(got.Edits) != 1 {
		t.Fatalf("rebase after resolving: %+v, %v", got, err)
	}
	res, err := a.EvaluateScenario(ctx, toks["planner"], s.ID)
	if err != nil || res.Rebased {
		t.Fatalf("evaluate: %v, rebased %v", err, res != nil && res.Rebased)
	}
}

// TestSuggestionJobCancel: a long suggestion run on a scenario reports progress and stops
// when cancelled; another owner cannot see it.
func TestSuggestionJobCancel(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	s, err := a.CreateScenario(ctx, toks["planner"], "suggest")
	if err != nil {
		t.Fatal(err)
	}
	// Every populated cell vinaphone leaves uncovered is a candidate: thousands of footprints.
	j, err := a.StartSuggestion(ctx, toks["planner"], s.ID, plan.Options{Carrier: "vinaphone", Tech: data.Tech4G, Count: 20, SettledSpacingM: 200})
	if err != nil || j.Status != JobRunning {
		t.Fatalf("start: %+v, %v", j, err)
	}
	if _, err := a.SuggestionJob(toks["viettel"], s.ID, j.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another owner reads the job: %v", err)
	}
	if _, err := a.CancelSuggestion(toks["planner"], s.ID, j.ID); err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, a, toks["planner"], j)
	if j.Status != JobCancelled || j.Result != nil || j.Done >= j.Total && j.Total > 0 {
		t.Fatalf("after cancel: status %s, %d/%d, result %v", j.Status, j.Done, j.Total, j.Result != nil)
	}
}

// waitJob polls suggestion job j until it is no longer running (a minute at most) and
// returns it.
func waitJob(t *testing.T, a *App, who persist.TokenInfo, j SuggestJob) SuggestJob {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for j.Status == JobRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		var err error
		if j, err = a.SuggestionJob(who, j.Scenario, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// TestSuggestionJobsAtMostTwo: two suggestion runs go at once; a third, whoever asks, is
// refused as busy (the 503 with Retry-After of the API) until one of them ends.
func TestSuggestionJobsAtMostTwo(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	long := plan.Options{Carrier: "vinaphone", Tech: data.Tech4G, Count: 20, SettledSpacingM: 200}
	var running []SuggestJob
	for _, who := range []string{"planner", "planner2"} {
		s, err := a.CreateScenario(ctx, toks[who], "busy")
		if err != nil {
			t.Fatal(err)
		}
		j, err := a.StartSuggestion(ctx, toks[who], s.ID, long)
		if err != nil || j.Status != JobRunning {
			t.Fatalf("%s starts: %+v, %v", who, j, err)
		}
		running = append(running, j)
	}
	s, err := a.CreateScenario(ctx, toks["viettel"], "third")
	if err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	_, err = a.StartSuggestion(ctx, toks["viettel"], s.ID, plan.Options{Carrier: "viettel", Tech: data.Tech4G, Count: 1})
	if !errors.As(err, &busy) || busy.Msg != "2 suggestion runs are in progress; try again when one ends" {
		t.Fatalf("a third run: %v, want busy with two in progress", err)
	}
	owners := []string{"planner", "planner2"}
	for i, j := range running {
		if _, err := a.CancelSuggestion(toks[owners[i]], j.Scenario, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	if j := waitJob(t, a, toks["planner"], running[0]); j.Status != JobCancelled {
		t.Fatalf("first run after cancel: %s", j.Status)
	}
	j, err := a.StartSuggestion(ctx, toks["viettel"], s.ID, plan.Options{Carrier: "viettel", Tech: data.Tech4G, Count: 1})
	if err != nil || j.Status != JobRunning {
		t.Fatalf("a run once one has ended: %+v, %v", j, err)
	}
	waitJob(t, a, toks["planner2"], running[1])
	if j := waitJob(t, a, toks["viettel"], j); j.Status != JobDone || j.Result == nil || len(j.Result.Picks) != 1 {
		t.Fatalf("viettel's run: %s, %v", j.Status, j.Error)
	}
}

// TestSuggestionJobRoads: an app given roads (WithRoads) passes them to its suggestion jobs:
// more candidates (points along the road) and every pick's road distance measured; a job
// whose options carry no roads gets the app's.
func TestSuggestionJobRoads(t *testing.T) {
	a, toks := scenarioApp(t)
	ctx := context.Background()
	s, err := a.CreateScenario(ctx, toks["planner"], "roads")
	if err != nil {
		t.Fatal(err)
	}
	area := a.State().Area
	opts := plan.Options{Carrier: "any", Tech: data.Tech4G, Count: 3, SettledSpacingM: 2000}
	run := func() *plan.Result {
		t.Helper()
		j, err := a.StartSuggestion(ctx, toks["planner"], s.ID, opts)
		deadline := time.Now().Add(2 * time.Minute)
		for err == nil && j.Status == JobRunning && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			j, err = a.SuggestionJob(toks["planner"], s.ID, j.ID)
		}
		if err != nil || j.Status != JobDone || len(j.Result.Picks) == 0 {
			t.Fatalf("job: %+v, %v", j, err)
		}
		return j.Result
	}
	without := run()
	a.WithRoads([]orb.LineString{{area.Min, area.Max}}) // the diagonal of the province's box
	with := run()
	if with.Candidates <= without.Candidates {
		t.Errorf("%d candidates with a road, %d without", with.Candidates, without.Candidates)
	}
	for _, p := range without.Picks {
		if p.RoadDistanceM != -1 {
			t.Errorf("without roads: pick %d road distance %g, want -1", p.Rank, p.RoadDistanceM)
		}
	}
	for _, p := range with.Picks {
		if !(p.RoadDistanceM >= 0) || p.Source == plan.SourceRoad && p.RoadDistanceM > 0.01 {
			t.Errorf("with a road: pick %d (%s) road distance %g", p.Rank, p.Source, p.RoadDistanceM)
		}
	}
}
