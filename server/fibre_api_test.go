package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/server/app"
)

// Fibre API over real HTTP (loopback): the demo state (200 m cells) with the demo's synthetic
// fibre network, and a server with a database for the uploads.

var (
	fibreOnce sync.Once
	fibreSt   *app.State
	fibreNet  *fibre.Network
	fibreErr  error
)

// fibreState is the shared demo state with the demo fibre network, computed once.
func fibreState(t testing.TB) *app.State {
	t.Helper()
	base := demoState(t)
	fibreOnce.Do(func() {
		if fibreNet, fibreErr = demo.Fibre(); fibreErr != nil {
			return
		}
		fibreSt, fibreErr = base.WithFibre(fibreNet, demo.FibreNote, fibre.Options{})
	})
	if fibreErr != nil {
		t.Fatalf("demo fibre state: %v", fibreErr)
	}
	return fibreSt
}

// newFibreServer serves the fibre demo state on loopback.
func newFibreServer(t testing.TB) *httptest.Server {
	t.Helper()
	_, ts := serveState(t, fibreState(t), Options{})
	return ts
}

// fibreFC is /api/v1/fibre as the tests read it.
type fibreFC struct {
	Type      string              `json:"type"`
	DropM     float64             `json:"drop_m"`
	Operators []fibreOperatorInfo `json:"operators"`
	Synthetic bool                `json:"synthetic"`
	Note      string              `json:"note"`
	Features  []struct {
		ID       string `json:"id"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func TestFibreRoutesEndpoint(t *testing.T) {
	ts := newFibreServer(t)
	all := get(t, ts.URL+"/api/v1/fibre")
	if ct := all.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
		t.Fatalf("content type %q", ct)
	}
	fc := decode[fibreFC](t, all)
	if fc.Type != "FeatureCollection" || len(fc.Features) != len(fibreNet.Routes)+len(fibreNet.AccessPoints) ||
		!fc.Synthetic || fc.Note != demo.FibreNote || fc.DropM != fibre.DefaultDropM || len(fc.Operators) != 4 {
		t.Fatalf("all fibre: type %q, %d features (want %d), synthetic %v, drop %g, %d operators", fc.Type, len(fc.Features),
			len(fibreNet.Routes)+len(fibreNet.AccessPoints), fc.Synthetic, fc.DropM, len(fc.Operators))
	}
	count := func(pred func(kind, op string) bool) int {
		n := 0
		for _, r := range fibreNet.Routes {
			if pred(string(r.Kind), r.Operator) {
				n++
			}
		}
		for _, a := range fibreNet.AccessPoints {
			if pred(fibreAccessPoint, a.Operator) {
				n++
			}
		}
		return n
	}
	// A bbox around Trà Vinh ward (the provincial town), counted here from the network.
	box := orb.Bound{Min: orb.Point{106.32, 9.92}, Max: orb.Point{106.36, 9.96}}
	inBox := 0
	for _, r := range fibreNet.Routes {
		if r.Line.Bound().Intersects(box) {
			inBox++
		}
	}
	for _, a := range fibreNet.AccessPoints {
		if box.Contains(a.Point) {
			inBox++
		}
	}
	cases := []struct {
		name  string
		query string
		want  int
	}{
		{"one operator", "operator=tvcable", count(func(_, op string) bool { return op == "tvcable" })},
		{"any operator", "operator=any", len(fc.Features)},
		{"operator without fibre", "operator=gmobile", 0},
		{"backbones and feeders", "kind=feeder,backbone", count(func(k, _ string) bool { return k == "backbone" || k == "feeder" })},
		{"access points of viettel", "kind=access_point&operator=viettel", count(func(k, op string) bool { return k == fibreAccessPoint && op == "viettel" })},
		{"bbox", "bbox=106.32,9.92,106.36,9.96", inBox},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == 0 && c.name != "operator without fibre" {
				t.Fatal("the case selects nothing in the demo network: it cannot tell a filter from none")
			}
			got := decode[fibreFC](t, get(t, ts.URL+"/api/v1/fibre?"+c.query))
			if len(got.Features) != c.want {
				t.Fatalf("%d features, want %d", len(got.Features), c.want)
			}
		})
	}
	for _, f := range fc.Features[:3] {
		if f.Geometry.Type != "LineString" || f.Properties["synthetic"] != true || !strings.Contains(f.ID, "/route/") {
			t.Errorf("route feature %s: %s %v", f.ID, f.Geometry.Type, f.Properties)
		}
	}
	bad := []struct{ query, param string }{
		{"operator=acme", "operator"},
		{"kind=drop", "kind"},
		{"bbox=106,9", "bbox"},
	}
	for _, b := range bad {
		answered(t, get(t, ts.URL+"/api/v1/fibre?"+b.query), http.StatusBadRequest, b.param)
	}
}

// reachFC is /api/v1/fibre/reach as the tests read it.
type reachFC struct {
	Operators []fibreOperatorInfo `json:"operators"`
	Note      string              `json:"note"`
	Features  []struct {
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates [][][][]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func TestFibreReachEndpoint(t *testing.T) {
	ts := newFibreServer(t)
	st := fibreState(t)
	prov := st.FibreReach.Province()
	for _, c := range []struct {
		operator string
		zoom     string
		features int
	}{{"any", "9", 1}, {"viettel", "12", 1}, {"tvcable", "20", 1}, {"gmobile", "", 0}} {
		t.Run(c.operator, func(t *testing.T) {
			fc := decode[reachFC](t, get(t, ts.URL+"/api/v1/fibre/reach?operator="+c.operator+"&zoom="+c.zoom))
			if len(fc.Features) != c.features || len(fc.Operators) != 4 || fc.Note != demo.FibreNote {
				t.Fatalf("%d features (want %d), %d operators, note %q", len(fc.Features), c.features, len(fc.Operators), fc.Note)
			}
			if c.features == 0 {
				return
			}
			f := fc.Features[0]
			if f.Geometry.Type != "MultiPolygon" || len(f.Geometry.Coordinates) == 0 || f.Properties["operator"] != c.operator {
				t.Fatalf("feature %s with %d polygons, properties %v", f.Geometry.Type, len(f.Geometry.Coordinates), f.Properties)
			}
			// The polygons are the land in reach: their area agrees with the in-reach cells within
			// the simplification and the cells' edge effects (5 %).
			cells := prov.InReachCells
			for _, p := range prov.PerOperator {
				if p.Operator == c.operator {
					cells = p.InReachCells
				}
			}
			cellKM2 := st.FibreReach.Grid().CellM * st.FibreReach.Grid().CellM / 1e6
			if got, want := f.Properties["area_km2"].(float64), float64(cells)*cellKM2; math.Abs(got-want) > 0.05*want {
				t.Errorf("polygon area %.2f km², in-reach cells %.2f km²", got, want)
			}
		})
	}
	// Cached: ETag and 304, gzip.
	r := get(t, ts.URL+"/api/v1/fibre/reach", "Accept-Encoding: gzip")
	if r.header.Get("Content-Encoding") != "gzip" || r.header.Get("Etag") == "" {
		t.Fatalf("headers %v", r.header)
	}
	if again := get(t, ts.URL+"/api/v1/fibre/reach", "If-None-Match: "+r.header.Get("Etag")); again.status != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", again.status)
	}
	answered(t, get(t, ts.URL+"/api/v1/fibre/reach?operator=acme"), http.StatusBadRequest, "operator")
	answered(t, get(t, ts.URL+"/api/v1/fibre/reach?zoom=x"), http.StatusBadRequest, "zoom")
	answered(t, get(t, ts.URL+"/api/v1/fibre/reach?zoom=99"), http.StatusBadRequest, "zoom")
}

// The commune answers carry the reach's figures; summed over communes they give the
// province's (a check the client can make).
func TestFibreCommuneFields(t *testing.T) {
	ts := newFibreServer(t)
	st := fibreState(t)
	want := map[string]fibre.CommuneReach{}
	for _, row := range st.FibreReach.Communes() {
		want[row.Code] = row
	}
	fc := decode[featureCollection](t, get(t, ts.URL+"/api/v1/communes"))
	if len(fc.Features) != len(want) {
		t.Fatalf("%d communes, want %d", len(fc.Features), len(want))
	}
	var hh float64
	for _, f := range fc.Features {
		p := f.Props
		code := p["code"].(string)
		w := want[code]
		for _, c := range []struct {
			key  string
			want float64
		}{{"fibre_households_in_reach", w.HouseholdsInReach}, {"fibre_population_in_reach", w.PopulationInReach}, {"fibre_reach_pct", w.ReachPct}} {
			if got, ok := p[c.key].(float64); !ok || math.Abs(got-c.want) > 1e-6 {
				t.Errorf("commune %s %s = %v, want %.6f", code, c.key, p[c.key], c.want)
			}
		}
		if got := fmt.Sprint(p["fibre_operators"]); got != fmt.Sprint(w.Operators) {
			t.Errorf("commune %s fibre_operators %s, want %v", code, got, w.Operators)
		}
		hh += p["fibre_households_in_reach"].(float64)
	}
	if prov := st.FibreReach.Province(); math.Abs(hh-prov.HouseholdsInReach) > 1e-3 {
		t.Errorf("communes' households in reach add up to %.3f, the province has %.3f", hh, prov.HouseholdsInReach)
	}
	one := decode[communeBody](t, get(t, ts.URL+"/api/v1/communes/29242"))
	w := want["29242"]
	if one.Fibre == nil || one.Fibre.InReachCells != w.InReachCells || len(one.Fibre.PerOperator) != 4 ||
		math.Abs(one.FibreReachPct-w.ReachPct) > 1e-6 || one.Fibre.HouseholdsInReach > float64(one.Households) {
		t.Errorf("commune 29242: %+v, want the reach row %+v", one.communeFibre, w)
	}
}

func TestCombinedEndpoint(t *testing.T) {
	ts := newFibreServer(t)
	st := fibreState(t)
	type combined struct {
		ThresholdPct float64             `json:"threshold_pct"`
		Counts       map[string]int      `json:"counts"`
		Communes     []fibre.CombinedRow `json:"communes"`
		Note         string              `json:"note"`
	}
	reach := map[string]float64{}
	for _, row := range st.FibreReach.Communes() {
		reach[row.Code] = row.ReachPct
	}
	covered := map[string]float64{}
	for _, s := range st.Coverage.CommuneStatsFor("4G") {
		covered[s.Code] = s.CoveredPopulationPct
	}
	rank := map[string]int{fibre.LacksBoth: 0, fibre.Only4G: 1, fibre.OnlyFibre: 1, fibre.HasBoth: 2}
	for _, th := range []int{50, 90} {
		c := decode[combined](t, get(t, fmt.Sprintf("%s/api/v1/combined?threshold_pct=%d", ts.URL, th)))
		total := 0
		for _, n := range c.Counts {
			total += n
		}
		if c.ThresholdPct != float64(th) || len(c.Communes) != len(st.Communes) || total != len(st.Communes) ||
			!strings.Contains(c.Note, "fibre") {
			t.Fatalf("threshold %d: %+v", th, c.Counts)
		}
		for i, row := range c.Communes {
			// Each row's category follows from its two shares and the threshold.
			has4G, hasFibre := covered[row.Code] >= float64(th), reach[row.Code] >= float64(th)
			wantCat := map[[2]bool]string{{false, false}: fibre.LacksBoth, {true, false}: fibre.Only4G,
				{false, true}: fibre.OnlyFibre, {true, true}: fibre.HasBoth}[[2]bool{has4G, hasFibre}]
			if row.Category != wantCat || row.FibreReachPct != reach[row.Code] || row.Covered4GPct != covered[row.Code] {
				t.Errorf("threshold %d, %s: %+v, want category %s", th, row.Code, row, wantCat)
			}
			if i > 0 && rank[row.Category] < rank[c.Communes[i-1].Category] {
				t.Errorf("threshold %d: %s (%s) after %s (%s): lacking both must come first", th, row.Code, row.Category,
					c.Communes[i-1].Code, c.Communes[i-1].Category)
			}
		}
		if th == 90 && c.Counts[fibre.LacksBoth] == 0 {
			t.Errorf("at 90 %% some demo communes should lack both: %v", c.Counts)
		}
	}
	answered(t, get(t, ts.URL+"/api/v1/combined?threshold_pct=0"), http.StatusBadRequest, "threshold_pct")
}

// fibreEnv is an upload environment whose database holds the demo fibre network (seeded as
// serve does) and whose server serves it.
func fibreEnv(t *testing.T) *uploadEnv {
	t.Helper()
	return newUploadEnvOn(t, demoState(t), Limits{TokenRatePerMinute: -1}, fibreNet0(t), demo.FibreNote)
}

// fibreNet0 is a fresh copy of the demo network.
func fibreNet0(t *testing.T) *fibre.Network {
	t.Helper()
	n, err := demo.Fibre()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// apAtCellCentre returns a position at the centre of a grid cell of commune code whose
// neighbours within two cells all belong to the same commune, so that a 300 m disc around it
// on the 200 m grid takes exactly the 9 cells of the 3 × 3 block (cell centres at 0, 200 and
// 283 m; the next ones at 400 m and more).
func apAtCellCentre(t *testing.T, st *app.State, code string) orb.Point {
	t.Helper()
	g, raster := st.Engine.Grid(), st.Engine.CommuneIndexRaster()
	ci := -1
	for i, c := range st.Engine.Communes() {
		if c.Code == code {
			ci = i
		}
	}
	for j := 2; j < g.NY-2; j++ {
		for i := 2; i < g.NX-2; i++ {
			ok := true
			for dj := -2; dj <= 2 && ok; dj++ {
				for di := -2; di <= 2 && ok; di++ {
					ok = raster[g.Index(i+di, j+dj)] == int32(ci)
				}
			}
			if ok {
				return st.Engine.Projection().Inverse(g.Center(i, j))
			}
		}
	}
	t.Fatalf("commune %s has no 5 × 5 block of cells", code)
	return orb.Point{}
}

// blockHouseholds is the households of the 3 × 3 block of grid cells centred on p (a cell
// centre, from apAtCellCentre) in a commune of census population and households: the
// population grid's people of those cells × households per person, or without a grid the
// households × 9 / land cells.
func blockHouseholds(t *testing.T, st *app.State, p orb.Point, households, population int) float64 {
	t.Helper()
	g := st.Engine.Grid()
	i, j, ok := g.CellOf(st.Engine.Projection().Forward(p))
	if !ok {
		t.Fatalf("%v is off the grid", p)
	}
	pop := st.Engine.Population()
	if pop == nil {
		raster := st.Engine.CommuneIndexRaster()
		land := 0
		for _, ci := range raster {
			if ci == raster[g.Index(i, j)] {
				land++
			}
		}
		return float64(households) * 9 / float64(land)
	}
	var units int64
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			units += pop.People[g.Index(i+di, j+dj)]
		}
	}
	return float64(units) / 1e6 * float64(households) / float64(population)
}

// postFibre uploads a fibre GeoJSON body for operator with token.
func (e *uploadEnv) postFibre(t *testing.T, operator, token, query string, body []byte) reply {
	t.Helper()
	return e.call(t, http.MethodPost, "/api/v1/operators/"+operator+"/fibre?"+query, token, body, "Content-Type: application/geo+json")
}

// TestFibreUploadAndRollback: the cable-TV operator adds one access point in a commune its
// demo network does not reach (Long Hoà, 2,730 households): the dry run previews exactly
// 9 cells of reach there (the households of those 9 cells of the 200 m grid: their people on
// the population grid × households per person)
// and changes nothing; the real upload serves it at once (new ETags); rollback restores the
// answers byte for byte (the same ETags as before).
func TestFibreUploadAndRollback(t *testing.T) {
	t.Parallel()
	e := fibreEnv(t)
	const code = "29413"
	tv, _, err := e.db.CreateToken(t.Context(), fibre.TVCable, false, "cable operator")
	if err != nil {
		t.Fatal(err)
	}
	p := apAtCellCentre(t, e.s.App().State(), code)
	file := fmt.Appendf(nil, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[%s,%s]},"properties":{"id":"TEST-AP","ports":64}}]}`,
		ftoa(p[0]), ftoa(p[1]))
	etag := func(path string) string { return get(t, e.ts.URL+path).header.Get("Etag") }
	paths := []string{"/api/v1/communes", "/api/v1/fibre/reach?operator=tvcable", "/api/v1/fibre?operator=tvcable", "/api/v1/combined"}
	before := map[string]string{}
	for _, path := range paths {
		before[path] = etag(path)
	}
	row0 := decode[communeBody](t, get(t, e.ts.URL+"/api/v1/communes/"+code))
	if row0.Fibre == nil || slices.Contains(row0.FibreOperators, fibre.TVCable) {
		t.Fatalf("commune %s before: %+v; the cable operator must not reach it", code, row0.communeFibre)
	}
	wantHH := blockHouseholds(t, e.s.App().State(), p, row0.Households, row0.Population)

	// Dry run: the impact names the commune, nothing served changes.
	dry := e.postFibre(t, fibre.TVCable, tv, "mode=upsert&dry_run=true", file)
	if dry.status != http.StatusOK {
		t.Fatalf("dry run: %d %s", dry.status, dry.body)
	}
	var rep struct {
		Upload  struct{ ID int64 }
		Changes app.ChangedIDs
		Impact  app.FibreImpact
	}
	if err := json.Unmarshal(dry.body, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Impact.Communes) != 1 || rep.Impact.Communes[0].Code != code || len(rep.Changes.Added) != 1 || rep.Changes.Added[0] != "ap/TEST-AP" {
		t.Fatalf("dry-run impact %+v, changes %+v", rep.Impact, rep.Changes)
	}
	if got := rep.Impact.Communes[0].OperatorAfter.HouseholdsInReach; got != math.Round(wantHH) {
		t.Errorf("cable households in reach after: %g, want %.1f (the 3 × 3 cells' people × households per person)", got, wantHH)
	}
	for _, path := range paths {
		if etag(path) != before[path] {
			t.Errorf("dry run changed %s", path)
		}
	}

	// The real upload is served at once.
	applied := e.postFibre(t, fibre.TVCable, tv, "mode=upsert", file)
	if applied.status != http.StatusOK {
		t.Fatalf("upload: %d %s", applied.status, applied.body)
	}
	if err := json.Unmarshal(applied.body, &rep); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths[:3] { // the combined view changes only if the any-operator reach does
		if etag(path) == before[path] {
			t.Errorf("upload did not change %s", path)
		}
	}
	row1 := decode[communeBody](t, get(t, e.ts.URL+"/api/v1/communes/"+code))
	var tvRow fibre.OperatorReach
	for _, o := range row1.Fibre.PerOperator {
		if o.Operator == fibre.TVCable {
			tvRow = o
		}
	}
	if tvRow.InReachCells != 9 || math.Abs(tvRow.HouseholdsInReach-wantHH) > 1e-9 || !slices.Contains(row1.FibreOperators, fibre.TVCable) {
		t.Errorf("after the upload the cable operator has %+v in %s; want 9 cells, %.3f households", tvRow, code, wantHH)
	}
	diff := e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/uploads/%d/diff", rep.Upload.ID), tv, nil)
	if diff.status != http.StatusOK || !strings.Contains(string(diff.body), `"id":"TEST-AP"`) {
		t.Errorf("diff: %d %s", diff.status, truncate(string(diff.body), 300))
	}
	list := decode[uploadsBody](t, e.call(t, http.MethodGet, "/api/v1/uploads?kind=fibre", tv, nil))
	if len(list.Uploads) < 3 || list.Uploads[0].Kind != "fibre" || list.Uploads[0].Carrier != fibre.TVCable {
		t.Errorf("fibre uploads of the cable operator: %+v", list.Uploads)
	}

	// Rollback to the seed: the answers are the same bytes as before the upload.
	var seedID int64
	for _, u := range list.Uploads {
		if u.Mode == "seed" {
			seedID = u.ID
		}
	}
	rb := e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/uploads/%d/rollback", seedID), tv, nil)
	if rb.status != http.StatusOK {
		t.Fatalf("rollback: %d %s", rb.status, rb.body)
	}
	for _, path := range paths {
		if got := etag(path); got != before[path] {
			t.Errorf("after the rollback %s has ETag %s, before the upload %s", path, got, before[path])
		}
	}
}

// TestFibreUploadRefused: tokens, media types and bad files. A carrier token writes its own
// operator's fibre; every problem of a bad file is a 422 naming the feature and the property.
func TestFibreUploadRefused(t *testing.T) {
	t.Parallel()
	e := fibreEnv(t)
	good := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.30,9.90],[106.31,9.90]]},"properties":{"route_id":"T-1","kind":"distribution"}}]}`)
	bad := []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.30,9.90],[106.31,9.90]]},"properties":{"route_id":"T-1","kind":"distribution"}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.30,9.91],[106.31,9.91]]},"properties":{"route_id":"T-2","kind":"drop"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[106.30,9.92]},"properties":{"id":"AP-1","ports":-4}}]}`)
	cases := []struct {
		name, operator, token, query, ctype string
		body                                []byte
		status                              int
		issues                              []Issue // feature and field of each expected issue
	}{
		{"own operator's fibre", "viettel", e.tok["viettel"], "dry_run=true", "application/geo+json", good, 200, nil},
		{"another operator's fibre", "tvcable", e.tok["viettel"], "dry_run=true", "application/geo+json", good, 403, nil},
		{"no token", "viettel", "", "dry_run=true", "application/geo+json", good, 401, nil},
		{"admin token uploads nothing", "viettel", e.tok["admin"], "dry_run=true", "application/geo+json", good, 403, nil},
		{"unknown operator", "acme", e.tok["viettel"], "", "application/geo+json", good, 403, nil},
		{"csv", "viettel", e.tok["viettel"], "", "text/csv", []byte("route_id,kind\nT-1,feeder\n"), 415, nil},
		{"bad features", "viettel", e.tok["viettel"], "", "application/geo+json", bad, 422,
			[]Issue{{Feature: 2, Field: "kind"}, {Feature: 3, Field: "ports"}}},
		{"syntax error", "viettel", e.tok["viettel"], "", "application/geo+json", []byte("{\"type\":\"FeatureCollection\",\n\"features\":[}"), 422,
			[]Issue{{Line: 2}}},
		{"empty collection", "viettel", e.tok["viettel"], "", "application/geo+json", []byte(`{"type":"FeatureCollection","features":[]}`), 422, []Issue{{}}},
		{"bad mode", "viettel", e.tok["viettel"], "mode=merge", "application/geo+json", good, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(t, http.MethodPost, "/api/v1/operators/"+c.operator+"/fibre?"+c.query, c.token, c.body, "Content-Type: "+c.ctype)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, truncate(string(r.body), 300))
			}
			if c.issues == nil {
				return
			}
			eb := decode[errorBody](t, r)
			if len(eb.Issues) != len(c.issues) {
				t.Fatalf("%d issues, want %d: %+v", len(eb.Issues), len(c.issues), eb.Issues)
			}
			for i, w := range c.issues {
				if got := eb.Issues[i]; got.Feature != w.Feature || got.Field != w.Field || got.Line != w.Line || got.Message == "" {
					t.Errorf("issue %d: %+v, want feature %d field %q line %d", i, got, w.Feature, w.Field, w.Line)
				}
			}
		})
	}
	// The admin may create tokens for the cable operator, not for unknown ones.
	for _, c := range []struct {
		carrier string
		status  int
	}{{"tvcable", http.StatusOK}, {"acme", http.StatusUnprocessableEntity}} {
		r := e.call(t, http.MethodPost, "/api/v1/admin/tokens", e.tok["admin"], []byte(`{"carrier":"`+c.carrier+`"}`), "Content-Type: application/json")
		if r.status != c.status && !(c.status == http.StatusOK && r.status == http.StatusCreated) {
			t.Errorf("admin token for %s: %d %s", c.carrier, r.status, truncate(string(r.body), 200))
		}
	}
}
