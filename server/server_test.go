package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/server/app"
)

// testCellM is the coverage grid of the shared test state: coarser than the default so the
// demo computes quickly under -race; the API does not depend on the cell size.
const testCellM = 200

var (
	demoOnce  sync.Once
	demoSt    *app.State
	demoInput app.Input
	demoErr   error
)

// demoState computes the embedded demo (synthetic stations and population grid, no fibre)
// once per test binary.
func demoState(t testing.TB) *app.State {
	t.Helper()
	demoOnce.Do(func() {
		var in app.Input
		if in.Communes, demoErr = demo.Communes(); demoErr != nil {
			return
		}
		if in.Sites, demoErr = demo.Sites(); demoErr != nil {
			return
		}
		if in.Population, demoErr = demo.Population(); demoErr != nil { // as phusong serve: the synthetic grid
			return
		}
		in.Note = demo.Note
		in.Coverage = coverage.Options{CellM: testCellM}
		demoInput = in
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		demoSt, demoErr = app.Build(ctx, in)
	})
	if demoErr != nil {
		t.Fatalf("building the demo state: %v", demoErr)
	}
	return demoSt
}

// testServerDeadline is a test server's request and upload deadline unless the test sets its
// own: a guard against hangs, like rawClient's timeout, not the production 15 s / 60 s, which a
// -race answer on a loaded 2-core machine outlasts (an undo answered 503 after 15 s at load 20).
const testServerDeadline = 5 * time.Minute

// testDeadlines is l with testServerDeadline for the request and upload deadlines it leaves 0.
func testDeadlines(l Limits) Limits {
	if l.RequestTimeout == 0 {
		l.RequestTimeout = testServerDeadline
	}
	if l.UploadTimeout == 0 {
		l.UploadTimeout = testServerDeadline
	}
	return l
}

// newTestServer serves the demo state on a loopback port for the duration of the test.
func newTestServer(t testing.TB) (*Server, *httptest.Server) {
	t.Helper()
	return serveState(t, demoState(t), Options{})
}

// serveState serves st read-only (no database) on a loopback port for the duration of the test.
func serveState(t testing.TB, st *app.State, o Options) (*Server, *httptest.Server) {
	t.Helper()
	a, err := app.New(st, nil, nil)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	if o.Limits.AnonRatePerMinute == 0 {
		o.Limits.AnonRatePerMinute = -1 // every test request comes from one address
	}
	o.Limits = testDeadlines(o.Limits)
	s, err := New(a, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// reply is one HTTP answer read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// rawClient does not add Accept-Encoding nor decompress, so tests see exactly what is sent.
// Its timeout only turns a hung request into a failure naming the request before go test's own
// -timeout: generous, because under -race on a loaded 2-core machine an upload beside 32 readers
// took over 60 s (TestConcurrentUploadsAndReads failed on a client timeout, not on a defect).
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 5 * time.Minute}

// fetch sends method to url with the given header pairs ("Name: value").
func fetch(t testing.TB, method, url string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	r := reply{resp.StatusCode, resp.Header, b}
	checkOpenAPI(t, method, resp.Request.URL.String(), r) // every answer a test reads matches the API description (after redirects)
	return r
}

func get(t testing.TB, url string, headers ...string) reply {
	t.Helper()
	return fetch(t, http.MethodGet, url, headers...)
}

// decode unmarshals a reply body, failing the test on bad JSON.
func decode[T any](t testing.TB, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %q…: %v", truncate(string(r.body), 200), err)
	}
	return v
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// answered checks r's status; for an error it checks the JSON body names param (when not
// empty). It reports whether r is a 200 whose body the caller should look into.
func answered(t testing.TB, r reply, status int, param string) bool {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, truncate(string(r.body), 300))
	}
	if status == http.StatusOK {
		return true
	}
	if e := decode[errorBody](t, r); e.Status != status || (param != "" && e.Param != param) {
		t.Fatalf("error %+v, want status %d naming param %q", e, status, param)
	}
	return false
}

// featureCollection is the GeoJSON shape the tests read.
type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		Type     string          `json:"type"`
		ID       any             `json:"id"`
		Geometry json.RawMessage `json:"geometry"`
		Props    map[string]any  `json:"properties"`
	} `json:"features"`
}

func TestUnknownRouteAndMethodAreJSON(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct {
		name, method, path string
		status             int
	}{
		{"unknown path", http.MethodGet, "/api/v1/nope", http.StatusNotFound},
		{"unknown asset", http.MethodGet, "/assets/nope.js", http.StatusNotFound},
		{"post on a read route", http.MethodPost, "/api/v1/communes", http.StatusMethodNotAllowed},
		{"delete on the page", http.MethodDelete, "/", http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := fetch(t, tc.method, ts.URL+tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tc.status, r.body)
			}
			e := decode[errorBody](t, r)
			if e.Status != tc.status || e.Error == "" {
				t.Fatalf("error body %+v", e)
			}
		})
	}
}

// TestSetStateChangesETags swaps in a dataset without one carrier: the next answers come
// from it (fewer sites) with new ETags, and an old ETag no longer gives 304.
func TestSetStateChangesETags(t *testing.T) {
	s, ts := newTestServer(t)
	before := get(t, ts.URL+"/api/v1/sites")
	all := decode[featureCollection](t, before)

	in := demoInput
	in.Sites = nil
	dropped := 0
	for _, site := range demoInput.Sites {
		if site.Carrier == "viettel" {
			dropped++
			continue
		}
		in.Sites = append(in.Sites, site)
	}
	st, err := app.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.App().Publish(st); err != nil {
		t.Fatal(err)
	}
	after := get(t, ts.URL+"/api/v1/sites", "If-None-Match: "+before.header.Get("ETag"))
	if after.status != http.StatusOK {
		t.Fatalf("old ETag after a swap: status %d, want 200", after.status)
	}
	got := decode[featureCollection](t, after)
	if len(got.Features) != len(all.Features)-dropped {
		t.Fatalf("%d sites after dropping %d of %d", len(got.Features), dropped, len(all.Features))
	}
	if after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatal("ETag unchanged after a swap")
	}
	if s.App().State() != st {
		t.Fatal("State() does not return the swapped state")
	}
}

// TestHead answers HEAD like GET without a body.
func TestHead(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct{ name, path string }{
		{"page", "/"},
		{"communes", "/api/v1/communes"},
		{"coverage", "/api/v1/coverage?tech=3G"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := get(t, ts.URL+tc.path, "Accept-Encoding: gzip")
			h := fetch(t, http.MethodHead, ts.URL+tc.path, "Accept-Encoding: gzip")
			if h.status != http.StatusOK || len(h.body) != 0 {
				t.Fatalf("HEAD: status %d, %d body bytes", h.status, len(h.body))
			}
			for _, k := range []string{"ETag", "Content-Type", "Content-Length", "Content-Encoding"} {
				if h.header.Get(k) != g.header.Get(k) {
					t.Fatalf("HEAD %s %q, GET %q", k, h.header.Get(k), g.header.Get(k))
				}
			}
		})
	}
}

// TestWarm fills the cache with the first-load answers and the province's gaps of each
// technology, so the map's first requests and a planner's first gaps layer are hits.
func TestWarm(t *testing.T) {
	s, ts := newTestServer(t)
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := s.cur.Load()
	if got, _ := v.cache.stats(); got != len(v.warmKeys())+len(data.AnalysedTechs) {
		want := len(v.warmKeys()) + len(data.AnalysedTechs)
		t.Fatalf("%d cached answers after Warm, want %d", got, want)
	}
	misses := s.metrics.cacheMisses.Load()
	get(t, ts.URL+"/api/v1/coverage?tech=4G&zoom=9")
	get(t, ts.URL+"/api/v1/communes")
	get(t, ts.URL+"/api/v1/gaps?tech=4G")
	get(t, ts.URL+"/api/v1/gaps?tech=3G")
	if s.metrics.cacheMisses.Load() != misses {
		t.Fatal("a warmed answer was computed again")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Warm(ctx); err == nil {
		t.Fatal("Warm ignored a cancelled context")
	}
}

// TestWarmDefaultLayerFirst: warm builds its first answer (the map's default layer) alone and
// only then the others, which it builds at once up to GOMAXPROCS; every one is cached.
func TestWarmDefaultLayerFirst(t *testing.T) {
	s, _ := newTestServer(t)
	v := s.cur.Load()
	var mu sync.Mutex
	var events []string
	record := func(e string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	otherStarted := make(chan struct{}, 8)
	build := func(n int) builder {
		return func(*view) (*body, error) {
			record(fmt.Sprintf("start %d", n))
			if n == 0 { // give another build the time to start beside it, were it allowed to
				select {
				case <-otherStarted:
				case <-time.After(100 * time.Millisecond):
				}
			} else {
				otherStarted <- struct{}{}
			}
			record(fmt.Sprintf("end %d", n))
			return newBody(ctGeoJSON, cacheRevalidate, []byte(`{"n":`+strconv.Itoa(n)+`}`), gzipLevelAnswers), nil
		}
	}
	var keys []warmKey
	for n := range 4 {
		keys = append(keys, warmKey{"warm-test|" + strconv.Itoa(n), build(n), 0})
	}
	if err := s.warm(context.Background(), v, keys); err != nil {
		t.Fatal(err)
	}
	if len(events) != 8 || events[0] != "start 0" || events[1] != "end 0" {
		t.Fatalf("builds %q: want the first started and ended before any other", events)
	}
	for _, k := range keys {
		if b, err := v.cached(s.fills, k.key, func(*view) (*body, error) { return nil, errors.New("built again") }); err != nil || b == nil {
			t.Errorf("%s not cached: %v", k.key, err)
		}
	}
}

// TestWriteRest: after a write during which the map was read, the next write waits so that
// writes take at most WriteDutyPct of the time (hand arithmetic: at 50 % as long as the write
// took, at 25 % three times as long), at most maxWriteRest; without readers, or with the duty
// lifted, it does not wait.
func TestWriteRest(t *testing.T) {
	cases := []struct {
		name string
		pct  int
		took time.Duration
		read bool
		want time.Duration
	}{
		{"read, 50 %", 50, 800 * time.Millisecond, true, 800 * time.Millisecond},
		{"read, 25 %", 25, 800 * time.Millisecond, true, 2400 * time.Millisecond},
		{"read, a long write", 50, 20 * time.Second, true, maxWriteRest},
		{"not read", 50, 800 * time.Millisecond, false, 0},
		{"duty lifted", -1, 800 * time.Millisecond, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{opts: Options{Limits: Limits{WriteDutyPct: tc.pct}}}
			if got := s.rest(tc.took, tc.read); got != tc.want {
				t.Fatalf("rest(%v, %v) = %v, want %v", tc.took, tc.read, got, tc.want)
			}
		})
	}
}
