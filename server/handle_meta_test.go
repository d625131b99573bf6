package server

import (
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/server/app"
)

func dataTech(s string) data.Tech { return data.Tech(s) }

func TestInfoAndCarriers(t *testing.T) {
	_, ts := newTestServer(t)
	info := decode[infoBody](t, get(t, ts.URL+"/api/v1/info"))
	if !info.Demo || info.Note != demo.Note {
		t.Fatalf("demo %v note %q: the demo must say its stations are synthetic", info.Demo, info.Note)
	}
	if len(info.Techs) != 2 || info.Techs[1].Tech != data.Tech4G || info.Techs[1].ThresholdDBm != -105 {
		t.Fatalf("techs %+v: want 3G and 4G with the default 4G threshold -105 dBm", info.Techs)
	}
	b := info.Bounds
	if !(b[0] < b[2] && b[1] < b[3]) || b[0] < 105 || b[2] > 107 || b[1] < 9 || b[3] > 11 {
		t.Fatalf("bounds %v not around Trà Vinh", b)
	}
	cs := decode[carriersBody](t, get(t, ts.URL+"/api/v1/carriers"))
	perCarrier := map[string]int{}
	for _, s := range demoInput.Sites {
		perCarrier[s.Carrier]++
	}
	if len(cs.Carriers) != len(data.DefaultCarriers()) {
		t.Fatalf("%d carriers, want the %d defaults", len(cs.Carriers), len(data.DefaultCarriers()))
	}
	for _, c := range cs.Carriers {
		if c.Sites != perCarrier[c.ID] || c.Colour == "" || c.Name == "" {
			t.Fatalf("carrier %+v: want %d sites, a name and a colour", c, perCarrier[c.ID])
		}
	}
}

func TestHealthz(t *testing.T) {
	_, ts := newTestServer(t)
	r := get(t, ts.URL+"/healthz")
	h := decode[healthBody](t, r)
	if r.status != http.StatusOK || h.Status != "ok" || h.DefinitionVersion == "" {
		t.Fatalf("status %d body %+v", r.status, h)
	}
	// The build: what the Go toolchain stamped (cmd/phusong's TestBinary compares a built
	// binary's answer with `go version -m`).
	info := decode[infoBody](t, get(t, ts.URL+"/api/v1/info"))
	for name, b := range map[string]app.BuildInfo{"/healthz": h.Build, "/api/v1/info": info.Build} {
		if b.Module != "phusong" || b.GoVersion != runtime.Version() || b.Version == "" {
			t.Errorf("%s build %+v: want module phusong, %s and a version", name, b, runtime.Version())
		}
	}
}

// TestInfoTiles: the base-map URL is configuration the page reads from /api/v1/info; by
// default there is none (plain background, works offline).
func TestInfoTiles(t *testing.T) {
	cases := []struct {
		name, url, attribution string
	}{
		{"offline default", "", ""},
		{"configured", "https://tiles.example.org/{z}/{x}/{y}.png", "© example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := serveState(t, demoState(t), Options{TilesURL: tc.url, TilesAttribution: tc.attribution})
			info := decode[infoBody](t, get(t, ts.URL+"/api/v1/info"))
			if info.TilesURL != tc.url || info.TilesAttribution != tc.attribution {
				t.Fatalf("tiles %q %q, want %q %q", info.TilesURL, info.TilesAttribution, tc.url, tc.attribution)
			}
		})
	}
}

// TestContextLayer: the offline background (serve --context) is announced in /api/v1/info and
// served as cached GeoJSON at /api/v1/context; without one, info says null and the route 404s.
func TestContextLayer(t *testing.T) {
	const doc = `{"type":"FeatureCollection","features":[
	{"type":"Feature","properties":{"highway":"trunk","name":"QL53"},"geometry":{"type":"LineString","coordinates":[[106.30,9.90],[106.40,9.95]]}},
	{"type":"Feature","properties":{"waterway":"river"},"geometry":{"type":"LineString","coordinates":[[106.30,9.80],[106.50,9.85]]}}]}`
	fc, err := input.ReadContextGeoJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, ts := serveState(t, demoState(t), Options{Context: fc, ContextAttribution: "Roads: © example"})
	info := decode[infoBody](t, get(t, ts.URL+"/api/v1/info"))
	if info.Context == nil || info.Context.Features != 2 || info.Context.Attribution != "Roads: © example" {
		t.Fatalf("info.context %+v", info.Context)
	}
	r := get(t, ts.URL+"/api/v1/context", "Accept-Encoding: gzip")
	if r.status != 200 || r.header.Get("Content-Type") != ctGeoJSON || r.header.Get("ETag") == "" {
		t.Fatalf("context: %d %v", r.status, r.header)
	}
	if again := get(t, ts.URL+"/api/v1/context", "If-None-Match: "+r.header.Get("ETag")); again.status != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", again.status)
	}
	got := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/context"))
	if len(got.Features) != 2 || got.Features[0].Properties["kind"] != "road" || got.Features[1].Properties["kind"] != "water" {
		t.Fatalf("context features %+v", got.Features)
	}

	_, plain := newTestServer(t)
	if info := decode[map[string]any](t, get(t, plain.URL+"/api/v1/info")); info["context"] != nil {
		t.Errorf("info.context %v without a context layer", info["context"])
	}
	if r := get(t, plain.URL+"/api/v1/context"); r.status != http.StatusNotFound {
		t.Errorf("context without a layer: %d, want 404", r.status)
	}
}
