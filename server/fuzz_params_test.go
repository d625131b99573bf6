package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Fuzz targets for the query parameters (and, for uploads, the request headers and body),
// through the gin engine in-process: whatever arrives, the answer is never a 5xx or a panic
// (the engine's recovery would turn a panic into a 500), and every error is the JSON error
// body with its status. Run one for a while with e.g.
//
//	go test ./server -run '^$' -fuzz FuzzQueryParams -fuzztime 5m

// fuzzGetRoutes are the GET routes the query fuzzer aims at, path parameters filled.
var fuzzGetRoutes = []string{
	"/api/v1/sites", "/api/v1/coverage", "/api/v1/gaps", "/api/v1/signal", "/api/v1/communes",
	"/api/v1/report.csv", "/api/v1/info", "/api/v1/carriers", "/api/v1/sites/viettel/TV-VT-0001",
	"/api/v1/uploads", "/healthz",
	"/api/v1/fibre", "/api/v1/fibre/reach", "/api/v1/combined",
}

// checkAnswer fails on a 5xx and on an error reply that is not the JSON error body.
func checkAnswer(t *testing.T, req string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s → %d %s", req, w.Code, truncate(w.Body.String(), 300))
	}
	if w.Code >= 400 {
		var eb errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Status != w.Code || eb.Error == "" {
			t.Fatalf("%s → %d with error body %q (%v)", req, w.Code, truncate(w.Body.String(), 300), err)
		}
	}
}

func FuzzQueryParams(f *testing.F) {
	e := newUploadEnv(f, Limits{TokenRatePerMinute: -1, BadTokenRatePerMinute: -1})
	seeds := []struct {
		route int
		query string
	}{
		{0, "bbox=106.2,9.8,106.4,10.1&carrier=viettel&tech=4G&limit=10"},
		{0, "bbox=106.9,9.8,106.2,10.1"},
		{0, "limit=0&tech=5g"},
		{1, "tech=3G&carrier=any&tier=2&zoom=12"},
		{1, "tech=4G&carrier=mobifone&zoom=99"},
		{2, "tech=4G&commune=" + demoInput.Communes[0].Code},
		{3, "lon=106.34&lat=9.93"},
		{3, "lon=NaN&lat=1e309"},
		{4, ""},
		{5, "tech=3G"},
		{8, "carrier=viettel"},
		{9, "carrier=viettel&before=5&limit=2&kind=sites"},
		{0, "bbox=%zz&carrier=%00"},
		{1, "zoom=-9223372036854775808&tier=9223372036854775807"},
		{11, "operator=tvcable&kind=feeder,access_point&bbox=106.2,9.8,106.4,10.1"},
		{11, "kind=,,&operator=any"},
		{12, "operator=viettel&zoom=12"},
		{13, "threshold_pct=101"},
	}
	for _, s := range seeds {
		f.Add(uint8(s.route), s.query)
	}
	h := e.s.Handler()
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		path := fuzzGetRoutes[int(route)%len(fuzzGetRoutes)]
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.URL.RawQuery = query
		if path == "/api/v1/uploads" {
			req.Header.Set("Authorization", "Bearer "+e.tok["viettel"])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkAnswer(t, path+"?"+query, w)
	})
}

func FuzzUploadParams(f *testing.F) {
	e := newUploadEnv(f, Limits{TokenRatePerMinute: -1, BadTokenRatePerMinute: -1, MaxBodyBytes: 1 << 20, MaxDecompressedBytes: 4 << 20})
	csv := sitesCSV(f, genSites("viettel", 1, 2))
	seeds := []struct {
		query, contentType, encoding string
		body                         []byte
	}{
		{"mode=replace&dry_run=true", "text/csv", "", csv},
		{"mode=upsert&dry_run=1", "text/csv; charset=utf-8", "gzip", gzipped(csv)},
		{"mode=delete&dry_run=true", "text/csv", "", []byte("site_id\nG0001-S000\n")},
		{"mode=replace&dry_run=false", "text/csv", "", csv},
		{"mode=delete", "application/geo+json", "", []byte(`{"type":"FeatureCollection","features":[{"properties":{"site_id":1}}]}`)},
		{"mode=MERGE&dry_run=yes", "text/csv", "", csv},
		{"dry_run=true", "application/geo+json", "identity", []byte(`{"type":"FeatureCollection","features":[]}`)},
		{"dry_run=true&dry_run=false&mode=", "multipart/form-data; boundary=x", "deflate", nil},
		{"dry_run=%ff", ";;", "gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}},
	}
	for _, s := range seeds {
		f.Add(s.query, s.contentType, s.encoding, s.body)
	}
	h := e.s.Handler()
	f.Fuzz(func(t *testing.T, query, contentType, encoding string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/carriers/viettel/sites", strings.NewReader(string(body)))
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+e.tok["viettel"])
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", encoding)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		checkAnswer(t, "POST ?"+query+" ("+contentType+", "+encoding+")", w)
	})
}
