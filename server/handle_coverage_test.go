package server

import (
	"net/http"
	"strconv"
	"testing"
)

func TestCoverage(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct {
		name, query string
		status      int
		param       string
		nonEmpty    bool
	}{
		{"defaults (4G, any, tier 0)", "", http.StatusOK, "", true},
		{"3G any", "tech=3G&carrier=any", http.StatusOK, "", true},
		{"one carrier", "tech=4G&carrier=viettel", http.StatusOK, "", true},
		{"strongest tier", "tech=4G&tier=1", http.StatusOK, "", false},
		{"weakest tier", "tech=4G&tier=4", http.StatusOK, "", true},
		{"zoom below range is clamped", "zoom=0", http.StatusOK, "", true},
		{"zoom above range is clamped", "zoom=22", http.StatusOK, "", true},
		{"bad tech", "tech=5G", http.StatusBadRequest, "tech", false},
		{"bad carrier", "carrier=nope", http.StatusBadRequest, "carrier", false},
		{"tier past the definition", "tier=5", http.StatusBadRequest, "tier", false},
		{"negative tier", "tier=-1", http.StatusBadRequest, "tier", false},
		{"zoom not an integer", "zoom=9.5", http.StatusBadRequest, "zoom", false},
		{"zoom beyond web maps", "zoom=40", http.StatusBadRequest, "zoom", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/coverage?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				return
			}
			if ct := r.header.Get("Content-Type"); ct != ctGeoJSON {
				t.Fatalf("Content-Type %q", ct)
			}
			fc := decode[featureCollection](t, r)
			if fc.Type != "FeatureCollection" || fc.Features == nil {
				t.Fatalf("type %q, features nil=%v", fc.Type, fc.Features == nil)
			}
			if tc.nonEmpty && len(fc.Features) == 0 {
				t.Fatal("no coverage polygon for the demo")
			}
		})
	}
}

// TestCoverageZoomClamp: zooms outside [zoomMin, zoomMax] answer exactly the clamped zoom.
func TestCoverageZoomClamp(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct{ name, zoom, same string }{
		{"below", "1", "7"},
		{"above", "20", "15"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, ts.URL+"/api/v1/coverage?zoom="+tc.zoom)
			b := get(t, ts.URL+"/api/v1/coverage?zoom="+tc.same)
			if a.header.Get("ETag") != b.header.Get("ETag") {
				t.Fatalf("zoom %s and %s differ", tc.zoom, tc.same)
			}
		})
	}
}

func TestGaps(t *testing.T) {
	_, ts := newTestServer(t)
	code := demoState(t).Communes[0].Code
	cases := []struct {
		name, query string
		status      int
		param       string
	}{
		{"all communes", "tech=4G", http.StatusOK, ""},
		{"one commune", "tech=3G&commune=" + code, http.StatusOK, ""},
		{"unknown commune", "commune=99999", http.StatusBadRequest, "commune"},
		{"bad tech", "tech=x", http.StatusBadRequest, "tech"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/gaps?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				return
			}
			if fc := decode[featureCollection](t, r); fc.Type != "FeatureCollection" || fc.Features == nil {
				t.Fatalf("not a FeatureCollection with a features array: %s", truncate(string(r.body), 200))
			}
		})
	}
}

// signalReply is the part of /api/v1/signal the tests read.
type signalReply struct {
	Commune *communeRef      `json:"commune"`
	Levels  []map[string]any `json:"levels"`
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func TestSignal(t *testing.T) {
	_, ts := newTestServer(t)
	site := demoInput.Sites[0] // a demo site stands inside the province
	cases := []struct {
		name, query string
		status      int
		param       string
		inside      bool
	}{
		{"at a site", "lon=" + ftoa(site.Lon) + "&lat=" + ftoa(site.Lat), http.StatusOK, "", true},
		{"far away", "lon=0&lat=0", http.StatusOK, "", false},
		{"missing lat", "lon=106.3", http.StatusBadRequest, "lat", false},
		{"lon junk", "lon=abc&lat=9.9", http.StatusBadRequest, "lon", false},
		{"lon out of range", "lon=200&lat=9.9", http.StatusBadRequest, "lon", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/signal?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				return
			}
			got := decode[signalReply](t, r)
			if (got.Commune != nil) != tc.inside || got.Levels == nil {
				t.Fatalf("commune %+v, levels nil=%v; want inside=%v and an array", got.Commune, got.Levels == nil, tc.inside)
			}
			if tc.inside && len(got.Levels) == 0 {
				t.Fatal("no level predicted at a site")
			}
			if !tc.inside && len(got.Levels) != 0 {
				t.Fatalf("%d levels far outside the province", len(got.Levels))
			}
		})
	}
}
