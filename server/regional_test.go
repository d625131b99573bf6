package server

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/store"
	"phusong/data/testenv"
	"phusong/server/app"
)

// TestRegionalServe serves the demo computed region by region (app.Input.RegionCells: 30
// regions of 9.6 km at 200 m cells) and asks every GET route once: the map's layers, the
// communes and the gaps answer 200 from the regions' polygons and statistics, the signal at a
// point the whole engine's levels; what needs the whole land raster answers 503 naming the limit
// ("region by region"); nothing answers another 5xx (a panic would be a 500).
func TestRegionalServe(t *testing.T) {
	demoState(t) // demoInput
	in := demoInput
	in.Population = nil // a population grid is not supported region by region
	in.RegionCells = 48 * 48
	st, err := app.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if st.Regions == nil || st.Regions.Regions < 10 || !st.Coverage.Regional() {
		t.Fatalf("regions %+v, regional %v: want ≥ 10 regions", st.Regions, st.Coverage.Regional())
	}
	s, ts := serveState(t, st, Options{})
	code := st.Communes[0].Code
	site := st.Snapshot.Sites(store.Filter{})[0]
	fill := strings.NewReplacer(":carrier", site.Carrier, ":site_id", site.SiteID, ":code", code,
		":collectionId", "coverage_any_4g", ":collection/", "coverage_any_4g/", ":collection", "coverage_any_4g.json",
		":z", "9", ":x", "407", ":y", "241.mvt", ":id", "1", ":operator", "vnpt", "*featureId", "1", "*path", "map.js")
	var unavailable []string
	for _, r := range s.routes() {
		if r.method != http.MethodGet || r.access != public {
			continue
		}
		u := fill.Replace(r.path)
		switch {
		case strings.Contains(u, "/signal"), strings.Contains(u, "/combined"):
			u += "?lon=106.3&lat=9.9"
		case strings.HasPrefix(u, "/api/v1/coverage"):
			u += "?tech=4G&carrier=any&zoom=9"
		}
		got := get(t, ts.URL+u)
		switch {
		case got.status == http.StatusServiceUnavailable:
			if !strings.Contains(string(got.body), "region by region") {
				t.Errorf("%s → 503 not naming the limit: %s", u, truncate(string(got.body), 300))
			}
			unavailable = append(unavailable, r.path)
		case got.status >= 500:
			t.Errorf("%s → %d %s", u, got.status, truncate(string(got.body), 300))
		}
	}
	t.Logf("503 region by region: %v", unavailable)
	for _, u := range []string{"/api/v1/coverage?tech=4G&carrier=any&zoom=9", "/api/v1/coverage?tech=3G&carrier=viettel&tier=1&zoom=12",
		"/api/v1/communes", "/api/v1/gaps?tech=4G", "/api/v1/report.csv", "/tiles/coverage_any_4g/9/407/241.mvt"} {
		got := get(t, ts.URL+u)
		if got.status != http.StatusOK || len(got.body) < 100 {
			t.Errorf("%s → %d, %d bytes: want 200 with a body", u, got.status, len(got.body))
		}
	}
	// The signal at a point: the point's tile computed again, the whole engine's levels.
	_, whole := serveState(t, demoState(t), Options{})
	for _, q := range []string{"lon=106.3&lat=9.9", "lon=106.34&lat=9.93", "lon=106.5&lat=9.6"} {
		w, g := get(t, whole.URL+"/api/v1/signal?"+q), get(t, ts.URL+"/api/v1/signal?"+q)
		wl, gl := decode[map[string]any](t, w)["levels"], decode[map[string]any](t, g)["levels"]
		if g.status != http.StatusOK || !reflect.DeepEqual(wl, gl) || len(wl.([]any)) == 0 {
			t.Errorf("signal at %s: %d %v region by region, %d %v whole", q, g.status, gl, w.status, wl)
		}
	}
	if got := get(t, ts.URL+"/api/v1/coverage?tech=4G&carrier=any&zoom=9"); !strings.Contains(string(got.body), "MultiPolygon") &&
		!strings.Contains(string(got.body), "Polygon") {
		t.Errorf("the any-carrier 4G layer has no polygon: %s", truncate(string(got.body), 300))
	}
}

// TestRegionalPockets serves the demo (no population grid, 200 m cells) from a whole engine and
// region by region (30 regions of 9.6 km) and asks both, through HTTP, for the pockets of every
// commune (every tenth in a quick make test: data/testenv), of all communes, of both
// technologies and two floors, as GeoJSON and as CSV: the answers are byte for byte the same
// (the pockets, their ranks and totals are the whole engine's). The same carrier upload (half of
// Viettel's sites removed) is then sent to both: the answers change (the change is not ignored)
// and are still the same on both.
func TestRegionalPockets(t *testing.T) {
	base := demoState(t)
	in := app.Input{Communes: base.Communes, Carriers: base.Carriers, Sites: demoInput.Sites, Note: demoInput.Note,
		Coverage: coverage.Options{CellM: testCellM}}
	whole, regional := wholeAndRegional(t, in)
	paths := []string{"/api/v1/pockets?tech=4G", "/api/v1/pockets?tech=3G&min_people=0", "/api/v1/pockets.csv?tech=4G&min_people=0"}
	for i, c := range base.Communes {
		if i%testenv.Size(1, 10) == 0 {
			paths = append(paths, "/api/v1/pockets?tech=4G&min_people=0&commune="+c.Code)
		}
	}
	ask := func() [][]byte { return askAlike(t, whole, regional, paths) }
	before := ask()
	if !strings.Contains(string(before[0]), `"rank":1`) {
		t.Fatalf("no pocket in %s", truncate(string(before[0]), 300))
	}
	halveViettel(t, whole, regional)
	after := ask()
	if bytes.Equal(before[0], after[0]) {
		t.Error("the 4G pockets did not change when half of Viettel's sites were removed")
	}
}

// wholeAndRegional serves in from a whole engine and region by region (RegionCells 48 × 48:
// at least 10 regions on the demo), each from a database of its own.
func wholeAndRegional(t *testing.T, in app.Input) (whole, regional *uploadEnv) {
	t.Helper()
	return wholeAndRegionalWith(t, in, Options{}, nil)
}

// wholeAndRegionalWith is wholeAndRegional with server options so and hook called on each app.
func wholeAndRegionalWith(t *testing.T, in app.Input, so Options, hook func(*app.App)) (whole, regional *uploadEnv) {
	t.Helper()
	newDB := func() *persist.DB {
		db, err := persist.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	in.RegionCells = 0
	whole = newEnvInput(t, newDB(), in, so, hook)
	in.RegionCells = 48 * 48
	regional = newEnvInput(t, newDB(), in, so, hook)
	if st := regional.s.app.State(); st.Regions == nil || st.Regions.Regions < 10 {
		t.Fatalf("regions %+v: want ≥ 10", st.Regions)
	}
	return whole, regional
}

// halveViettel uploads to each env the first half of the demo's Viettel sites in place of all.
func halveViettel(t *testing.T, envs ...*uploadEnv) {
	t.Helper()
	var viettel []data.Site
	for _, s := range demoInput.Sites {
		if s.Carrier == "viettel" {
			viettel = append(viettel, s)
		}
	}
	csv := sitesCSV(t, viettel[:len(viettel)/2])
	for _, e := range envs {
		if r := e.uploadCSV(t, "viettel", "replace", false, csv); r.status != http.StatusOK {
			t.Fatalf("upload: %d %s", r.status, truncate(string(r.body), 300))
		}
	}
}

// askAlike asks whole and regional for every path: each answers 200, both the same bytes (an
// error otherwise); it returns regional's answers.
func askAlike(t *testing.T, whole, regional *uploadEnv, paths []string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range paths {
		w, g := whole.call(t, http.MethodGet, p, "", nil), regional.call(t, http.MethodGet, p, "", nil)
		if w.status != http.StatusOK || g.status != http.StatusOK {
			t.Fatalf("%s: %d whole, %d region by region: %s", p, w.status, g.status, truncate(string(g.body), 300))
		}
		if !bytes.Equal(w.body, g.body) {
			t.Errorf("%s: region by region\n%s\nwhole\n%s", p, truncate(string(g.body), 600), truncate(string(w.body), 600))
		}
		out = append(out, g.body)
	}
	return out
}
