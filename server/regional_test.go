package server

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"phusong/data/store"
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
