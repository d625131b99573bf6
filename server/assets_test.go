package server

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAssets(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct {
		name, path, ctype, cache string
		contains                 string
	}{
		{"page", "/", "text/html; charset=utf-8", cacheRevalidate, "assets/app.js"},
		{"app", "/assets/app.js", "text/javascript; charset=utf-8", cacheRevalidate, "api/v1/info"},
		{"styles", "/assets/app.css", "text/css; charset=utf-8", cacheRevalidate, "@media"},
		{"leaflet from the binary, no CDN", "/assets/vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8", cacheVendor, "Leaflet"},
		{"leaflet images", "/assets/vendor/leaflet/images/layers.png", "image/png", cacheVendor, "PNG"},
		{"leaflet's licence (BSD-2 asks binary redistributions to reproduce it)", "/assets/vendor/leaflet/LICENSE", licenceType, cacheVendor, "BSD 2-Clause License"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+tc.path)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != tc.ctype || r.header.Get("Cache-Control") != tc.cache {
				t.Fatalf("status %d, type %q, cache %q", r.status, r.header.Get("Content-Type"), r.header.Get("Cache-Control"))
			}
			if !strings.Contains(string(r.body), tc.contains) {
				t.Fatalf("body lacks %q", tc.contains)
			}
		})
	}
	page := get(t, ts.URL+"/")
	for _, cdn := range []string{"unpkg.com", "cdnjs", "jsdelivr", "googleapis"} {
		if strings.Contains(string(page.body), cdn) {
			t.Fatalf("the page loads from %s; it must work offline", cdn)
		}
	}
}

func TestLoadAssetsNeedsIndex(t *testing.T) {
	cases := []struct {
		name    string
		fsys    fstest.MapFS
		wantErr bool
		served  []string
	}{
		{"index and a script", fstest.MapFS{"index.html": {Data: []byte("<p>")}, "a.js": {Data: []byte("1")}}, false, []string{"index.html", "a.js"}},
		{"other files are not served", fstest.MapFS{"index.html": {Data: []byte("<p>")}, "static.go": {Data: []byte("package x")}}, false, []string{"index.html"}},
		{"no index", fstest.MapFS{"a.js": {Data: []byte("1")}}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadAssets(tc.fsys)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && len(got) != len(tc.served) {
				t.Fatalf("%d files served, want %v", len(got), tc.served)
			}
			for _, p := range tc.served {
				if got[p] == nil {
					t.Fatalf("%s not served", p)
				}
			}
		})
	}
}
