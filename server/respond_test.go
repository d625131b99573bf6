package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	cases := []struct {
		name, header string
		want         bool
	}{
		{"absent", "", false},
		{"plain", "gzip", true},
		{"browser list", "gzip, deflate, br, zstd", true},
		{"upper case", "GZIP", true},
		{"q zero refuses", "gzip;q=0", false},
		{"q zero with spaces", "br, gzip; q=0", false},
		{"positive q", "gzip;q=0.5", true},
		{"wildcard", "*", true},
		{"only others", "br, deflate", false},
		{"identity", "identity", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptsGzip(tc.header); got != tc.want {
				t.Fatalf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestETagMatch(t *testing.T) {
	const etag = `W/"abc"`
	cases := []struct {
		name, header string
		want         bool
	}{
		{"same weak", `W/"abc"`, true},
		{"strong form of the same tag (weak comparison)", `"abc"`, true},
		{"in a list", `"x", W/"abc"`, true},
		{"star", `*`, true},
		{"other", `W/"abd"`, false},
		{"unquoted", `abc`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := etagMatch(tc.header, etag); got != tc.want {
				t.Fatalf("etagMatch(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestNewBody(t *testing.T) {
	big := bytes.Repeat([]byte(`{"k":"phủ sóng"},`), 200)
	cases := []struct {
		name     string
		raw      []byte
		level    int
		wantGzip bool
	}{
		{"small bodies are not compressed", []byte(`{"a":1}`), gzip.BestCompression, false},
		{"large bodies are", big, gzip.BestCompression, true},
		{"noGzip skips it", big, noGzip, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBody(ctJSON, cacheRevalidate, tc.raw, tc.level)
			if b.gz != nil {
				t.Fatal("newBody compressed: compress does, once the maker knows the previous version's body")
			}
			b.compress(nil)
			if (b.gz != nil) != tc.wantGzip {
				t.Fatalf("gzip form present = %v, want %v", b.gz != nil, tc.wantGzip)
			}
			if b.gz != nil {
				zr, err := gzip.NewReader(bytes.NewReader(b.gz))
				if err != nil {
					t.Fatal(err)
				}
				back, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(back, tc.raw) {
					t.Fatalf("gzip form does not decompress to the body (err %v)", err)
				}
			}
			if b2 := newBody(ctJSON, cacheRevalidate, bytes.Clone(tc.raw), tc.level); b2.etag != b.etag {
				t.Fatalf("ETag not a function of the bytes: %s vs %s", b.etag, b2.etag)
			}
		})
	}
	if a, b := newBody(ctJSON, "", []byte("a"), noGzip), newBody(ctJSON, "", []byte("b"), noGzip); a.etag == b.etag {
		t.Fatal("different bodies share an ETag")
	}
}

// TestCompressReusesPrevious: an answer a new data version builds with the same bytes as the
// previous version's is the previous body (its gzip form made once, its ETag kept); any
// difference in bytes, type or caching makes a body of its own.
func TestCompressReusesPrevious(t *testing.T) {
	raw := bytes.Repeat([]byte(`{"k":"phủ sóng"},`), 200)
	prev := newBody(ctGeoJSON, cacheRevalidate, raw, gzipLevelAnswers).compress(nil)
	same := newBody(ctGeoJSON, cacheRevalidate, bytes.Clone(raw), gzipLevelAnswers)
	if got := same.compress(prev); got != prev {
		t.Fatal("the same answer was compressed again instead of reusing the previous body")
	}
	if same.gz != nil {
		t.Fatal("the reused answer's own gzip form was made anyway")
	}
	changed := bytes.Clone(raw)
	changed[len(changed)-2] = 'X'
	cases := []struct {
		name string
		b    *body
	}{
		{"other bytes", newBody(ctGeoJSON, cacheRevalidate, changed, gzipLevelAnswers)},
		{"other type", newBody(ctJSON, cacheRevalidate, bytes.Clone(raw), gzipLevelAnswers)},
		{"other caching", newBody(ctGeoJSON, cacheVendor, bytes.Clone(raw), gzipLevelAnswers)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.b.compress(prev)
			if got == prev || got != tc.b || got.gz == nil {
				t.Fatalf("compress(prev) = %p (prev %p, own %p, gzip %d bytes): want its own compressed body", got, prev, tc.b, len(got.gz))
			}
		})
	}
}

// TestSendConditionalAndGzip checks the three answers of send on a real request: 304 for a
// matching If-None-Match, gzip bytes for a client that accepts them, plain bytes otherwise.
func TestSendConditionalAndGzip(t *testing.T) {
	_, ts := newTestServer(t)
	url := ts.URL + "/api/v1/communes"
	plain := get(t, url)
	if plain.status != http.StatusOK || plain.header.Get("Content-Encoding") != "" {
		t.Fatalf("plain: status %d encoding %q", plain.status, plain.header.Get("Content-Encoding"))
	}
	etag := plain.header.Get("ETag")
	if etag == "" || plain.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("missing ETag or Vary: %v", plain.header)
	}
	zipped := get(t, url, "Accept-Encoding: gzip")
	if zipped.header.Get("Content-Encoding") != "gzip" || zipped.header.Get("ETag") != "W/"+etag {
		t.Fatalf("gzip: encoding %q etag %q", zipped.header.Get("Content-Encoding"), zipped.header.Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, plain.body) {
		t.Fatalf("gzip answer does not decompress to the plain one (err %v)", err)
	}
	if len(zipped.body) >= len(plain.body) {
		t.Fatalf("gzip answer %d bytes, plain %d", len(zipped.body), len(plain.body))
	}
	for _, enc := range []string{"", "gzip"} {
		notMod := get(t, url, "If-None-Match: "+etag, "Accept-Encoding: "+enc)
		if notMod.status != http.StatusNotModified || len(notMod.body) != 0 {
			t.Fatalf("If-None-Match (Accept-Encoding %q): status %d, %d bytes", enc, notMod.status, len(notMod.body))
		}
	}
}

// BenchmarkCachedAnswer is the hot path of the load test: routing, parameter checks, cache
// lookup and the write of pre-gzipped bytes, without the network.
func BenchmarkCachedAnswer(b *testing.B) {
	s, _ := serveState(b, demoState(b), Options{})
	h := s.Handler()
	for _, path := range []string{"/api/v1/communes", "/api/v1/coverage?tech=4G&carrier=any&tier=0&zoom=9"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
