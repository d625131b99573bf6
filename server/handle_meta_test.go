package server

import (
	"net/http"
	"runtime"
	"testing"

	"phusong/data"
	"phusong/data/demo"
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
