package server

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"phusong/data"
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

// TestNewVersionKeepsUnchangedAnswers: after one carrier's upload, the new version keeps the
// previous version's body of the other carriers' coverage layers (no build, same ETag) and
// builds the uploading carrier's and "any"'s again; every answer it serves has the bytes a
// build on the new state gives.
func TestNewVersionKeepsUnchangedAnswers(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	type layer struct {
		carrier string
		tech    data.Tech
		zoom    int
		kept    bool // after viettel's upload
	}
	layers := []layer{{"vinaphone", data.Tech4G, 10, true}, {"mobifone", data.Tech3G, 11, true},
		{"viettel", data.Tech4G, 10, false}, {anyCarrier, data.Tech4G, 9, false}}
	url := func(l layer) string {
		return fmt.Sprintf("%s/api/v1/coverage?carrier=%s&tech=%s&zoom=%d", e.ts.URL, l.carrier, l.tech, l.zoom)
	}
	etags := map[layer]string{}
	for _, l := range layers {
		r := get(t, url(l), "Accept-Encoding: gzip")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", url(l), r.status)
		}
		etags[l] = r.header.Get("ETag")
	}
	old := e.s.cur.Load()
	reused := e.s.metrics.cacheReused.Load()
	// viettel's list becomes 3 sites: its 4G layer, and any's, lose most of their area.
	if r := e.uploadCSV(t, "viettel", "replace", false, sitesCSV(t, genSites("viettel", 6, 3))); r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	nv := e.s.cur.Load()
	if nv == old {
		t.Fatal("the upload did not serve a new view")
	}
	for _, l := range layers {
		key := coverageKey(l.carrier, l.tech, 0, l.zoom)
		prev, got := old.cache.kept(key), nv.cache.kept(key)
		if prev == nil || got == nil {
			t.Fatalf("%s: not cached before (%v) or after (%v) the upload", key, prev != nil, got != nil)
		}
		if (got == prev) != l.kept {
			t.Errorf("%s: previous body kept = %v, want %v", key, got == prev, l.kept)
		}
		fresh, err := coverageBuild(l.carrier, l.tech, 0, l.zoom)(nv)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.raw, fresh.raw) {
			t.Errorf("%s: the served answer differs from a build on the new state", key)
		}
		r := get(t, url(l), "Accept-Encoding: gzip")
		if same := r.header.Get("ETag") == etags[l]; same != l.kept {
			t.Errorf("%s: ETag unchanged = %v, want %v", key, same, l.kept)
		}
	}
	if got := e.s.metrics.cacheReused.Load() - reused; got < 2 {
		t.Fatalf("phusong_response_cache_reused_total rose by %d, want at least 2", got)
	}
}

// TestFillsBounded: clients asking many different uncached answers at once build at most the
// fills' slots of them at a time (each build holds its layer, bytes and gzip form).
func TestFillsBounded(t *testing.T) {
	s, _ := newTestServer(t)
	v := s.cur.Load()
	f := newFills(s.metrics, 2)
	var running, most atomic.Int64
	release := make(chan struct{})
	build := func(*view) (*body, error) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		return newBody(ctJSON, cacheRevalidate, []byte(`{}`), gzipLevelAnswers), nil
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := v.cached(f, fmt.Sprintf("test|%d", i), build); err != nil {
				t.Error(err)
			}
		})
	}
	for i := range 8 { // let the builds end one by one, once as many run as the slots allow
		for running.Load() < int64(min(2, 8-i)) {
			runtime.Gosched()
		}
		release <- struct{}{}
	}
	wg.Wait()
	if got := most.Load(); got != 2 {
		t.Fatalf("at most %d builds ran at once, want the 2 slots", got)
	}
}
