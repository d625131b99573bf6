package server

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// TestCacheBoundedByBytes: distinct valid URLs (issue 16: 5,390 of them took the heap to 1 GB)
// fill the response cache only up to CacheBytes; the least recently used answers are dropped
// and, asked again, built again with the same bytes and ETag.
func TestCacheBoundedByBytes(t *testing.T) {
	const maxBytes = 256 << 10
	s, ts := serveState(t, demoState(t), Options{Limits: Limits{CacheBytes: maxBytes}})
	first := get(t, ts.URL+"/api/v1/coverage?carrier=any&tech=4G&zoom=7", "Accept-Encoding: gzip")
	for _, carrier := range []string{"any", "viettel", "vinaphone", "mobifone"} {
		for _, tech := range []string{"3G", "4G"} {
			for z := 7; z <= 15; z++ {
				for _, format := range []string{"", "&format=kml"} {
					r := get(t, fmt.Sprintf("%s/api/v1/coverage?carrier=%s&tech=%s&zoom=%d%s", ts.URL, carrier, tech, z, format))
					if r.status != http.StatusOK {
						t.Fatalf("%s %s %d%s: %d", carrier, tech, z, format, r.status)
					}
					if _, bytes := s.cur.Load().cache.stats(); bytes > maxBytes {
						t.Fatalf("cache holds %d bytes, over its %d", bytes, maxBytes)
					}
				}
			}
		}
	}
	if s.metrics.cacheEvictions.Load() == 0 {
		t.Fatal("144 layers fit in 256 KiB: the test does not exercise eviction")
	}
	again := get(t, ts.URL+"/api/v1/coverage?carrier=any&tech=4G&zoom=7", "Accept-Encoding: gzip")
	if again.header.Get("ETag") != first.header.Get("ETag") || string(again.body) != string(first.body) {
		t.Fatal("an evicted answer was rebuilt differently")
	}
}

// TestCacheKeysCanonical: URLs that ask for the same answer (defaults spelt out, case, a
// clamped zoom) share one cache entry.
func TestCacheKeysCanonical(t *testing.T) {
	s, ts := newTestServer(t)
	urls := []string{
		"/api/v1/coverage?zoom=3",
		"/api/v1/coverage?tech=4g&zoom=7",
		"/api/v1/coverage?tech=4G&carrier=any&tier=0&zoom=7&format=geojson",
		"/api/v1/coverage?zoom=07&tier=00",
	}
	var etag string
	for i, u := range urls {
		r := get(t, ts.URL+u)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", u, r.status)
		}
		if i == 0 {
			etag = r.header.Get("ETag")
		} else if r.header.Get("ETag") != etag {
			t.Fatalf("%s: another answer", u)
		}
	}
	if n, _ := s.cur.Load().cache.stats(); n != 1 {
		t.Fatalf("%d cache entries for one answer", n)
	}
}

// TestNewVersionServedWarm: after an upload, the answers readers were asking for are ready in
// the new version's cache before it is served (no reader builds them), and carry the new
// version in X-Data-Version, as does every map layer.
func TestNewVersionServedWarm(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	paths := []string{"/api/v1/gaps?tech=4G", "/api/v1/coverage?carrier=viettel&zoom=11", "/api/v1/communes",
		"/api/v1/communes?format=csv", "/api/v1/communes/" + demoState(t).Communes[0].Code}
	info := decode[infoBody](t, get(t, e.ts.URL+"/api/v1/info"))
	for _, p := range paths {
		if r := get(t, e.ts.URL+p); r.status != http.StatusOK || r.header.Get("X-Data-Version") != strconv.FormatUint(info.DataVersion, 10) {
			t.Fatalf("%s: %d, X-Data-Version %q, want %d", p, r.status, r.header.Get("X-Data-Version"), info.DataVersion)
		}
	}
	if r := e.uploadCSV(t, "viettel", "upsert", false, sitesCSV(t, genSites("viettel", 6, 3))); r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	misses, warmed := e.s.metrics.cacheMisses.Load(), e.s.metrics.cacheWarmed.Load()
	after := decode[infoBody](t, get(t, e.ts.URL+"/api/v1/info"))
	if after.DataVersion == info.DataVersion {
		t.Fatal("the upload did not change the data version")
	}
	for _, p := range paths {
		if r := get(t, e.ts.URL+p); r.status != http.StatusOK || r.header.Get("X-Data-Version") != strconv.FormatUint(after.DataVersion, 10) {
			t.Fatalf("after the upload %s: %d, X-Data-Version %q, want %d", p, r.status, r.header.Get("X-Data-Version"), after.DataVersion)
		}
	}
	if got := e.s.metrics.cacheMisses.Load(); got != misses {
		t.Fatalf("%d answers built by readers after the upload, want 0 (%d warmed)", got-misses, warmed)
	}
	if warmed < uint64(len(paths)) {
		t.Fatalf("%d answers warmed, want at least %d", warmed, len(paths))
	}
}
