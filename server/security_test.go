package server

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"phusong/data/testenv"
)

// routeURL fills a route's path parameters with plausible values.
func routeURL(path string) string {
	r := strings.NewReplacer(":carrier", "viettel", ":site_id", "TV-VT-0001", ":code", "1", ":id", "1",
		":operator", "viettel", "*path", "app.js")
	return r.Replace(path)
}

// TestSecurityHeadersOnEveryAnswer sends every route of the table (and a 404, a 405, a 400,
// a HEAD and a 304) and checks the browser security headers on each answer, whatever its status.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	testenv.Heavy(t, "every route of the API asked once")
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	type req struct{ method, path, header string }
	reqs := []req{
		{http.MethodGet, "/no/such/route", ""},
		{http.MethodDelete, "/api/v1/info", ""},
		{http.MethodGet, "/api/v1/coverage?tech=9G", ""},
		{http.MethodHead, "/", ""},
	}
	for _, r := range e.s.routes() {
		reqs = append(reqs, req{r.method, routeURL(r.path), ""})
	}
	info := e.call(t, http.MethodGet, "/api/v1/info", "", nil)
	reqs = append(reqs, req{http.MethodGet, "/api/v1/info", "If-None-Match: " + info.header.Get("ETag")})
	statuses := map[int]int{}
	for _, rq := range reqs {
		var hs []string
		if rq.header != "" {
			hs = append(hs, rq.header)
		}
		r := e.call(t, rq.method, rq.path, "", nil, hs...)
		statuses[r.status]++
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
		} {
			if got := r.header.Get(name); got != want {
				t.Errorf("%s %s → %d: %s %q, want %q", rq.method, rq.path, r.status, name, got, want)
			}
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s %s → %d: CSP %q lacks %q", rq.method, rq.path, r.status, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP %q allows inline script or eval", csp)
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s %s: HSTS over plain HTTP", rq.method, rq.path)
		}
	}
	for _, want := range []int{200, 304, 400, 401, 404, 405} {
		if statuses[want] == 0 {
			t.Errorf("no answer with status %d among %v: the walk does not cover it", want, statuses)
		}
	}
}

func TestTileOrigin(t *testing.T) {
	for tmpl, want := range map[string]string{
		"": "",
		"https://tile.openstreetmap.org/{z}/{x}/{y}.png":     "https://tile.openstreetmap.org",
		"https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png": "https://*.tile.openstreetmap.org",
		"http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png":        "http://127.0.0.1:8081",
		"https://tiles-{s}.example.org/{z}/{x}/{y}.png":      "https:",
		"/tiles/{z}/{x}/{y}.png":                             "",
		"javascript:alert(1)":                                "",
	} {
		if got := tileOrigin(tmpl); got != want {
			t.Errorf("tileOrigin(%q) = %q, want %q", tmpl, got, want)
		}
	}
	_, ts := serveState(t, demoState(t), Options{TilesURL: "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"})
	if csp := get(t, ts.URL+"/").header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://*.tile.openstreetmap.org;") {
		t.Errorf("CSP %q does not let the map load its tiles", csp)
	}
}

// TestCORS: off by default; by flag, the public read routes answer any (or the listed) origin
// and their preflight allows GET and HEAD with conditional and range headers, never an
// Authorization header; routes that take a token never answer CORS.
func TestCORS(t *testing.T) {
	const other = "https://gis.example.org"
	corsOf := func(r reply) string { return r.header.Get("Access-Control-Allow-Origin") }

	t.Run("off by default", func(t *testing.T) {
		_, ts := newTestServer(t)
		if r := get(t, ts.URL+"/api/v1/info", "Origin: "+other); corsOf(r) != "" {
			t.Fatalf("CORS answered without configuration: %q", corsOf(r))
		}
	})

	t.Run("any origin", func(t *testing.T) {
		_, ts := serveState(t, demoState(t), Options{CORSOrigins: []string{"*"}})
		r := get(t, ts.URL+"/api/v1/communes", "Origin: "+other, "Accept-Encoding: gzip")
		if r.status != 200 || corsOf(r) != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Fatalf("GET: %d, allow-origin %q, expose %q", r.status, corsOf(r), r.header.Get("Access-Control-Expose-Headers"))
		}
		if r.header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Vary %q: with * the answer does not vary by origin", r.header.Values("Vary"))
		}
		pre := fetch(t, http.MethodOptions, ts.URL+"/api/v1/coverage?tech=4G", "Origin: "+other,
			"Access-Control-Request-Method: GET", "Access-Control-Request-Headers: if-none-match")
		if pre.status != http.StatusNoContent || corsOf(pre) != "*" || pre.header.Get("Access-Control-Allow-Methods") != "GET, HEAD" {
			t.Fatalf("preflight: %d %v", pre.status, pre.header)
		}
		if h := pre.header.Get("Access-Control-Allow-Headers"); strings.Contains(strings.ToLower(h), "authorization") || !strings.Contains(h, "If-None-Match") {
			t.Errorf("preflight allows headers %q", h)
		}
		if r := get(t, ts.URL+"/api/v1/info"); corsOf(r) != "" {
			t.Errorf("a same-origin request (no Origin) got CORS headers")
		}
	})

	t.Run("listed origins", func(t *testing.T) {
		_, ts := serveState(t, demoState(t), Options{CORSOrigins: []string{other}})
		r := get(t, ts.URL+"/api/v1/communes", "Origin: "+other, "Accept-Encoding: gzip")
		if corsOf(r) != other || !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") ||
			!strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Accept-Encoding") {
			t.Fatalf("allow-origin %q, vary %q", corsOf(r), r.header.Values("Vary"))
		}
		if r := get(t, ts.URL+"/api/v1/communes", "Origin: https://evil.example"); corsOf(r) != "" {
			t.Errorf("an unlisted origin got %q", corsOf(r))
		}
	})

	t.Run("never on token routes", func(t *testing.T) {
		testenv.Heavy(t, "every public export computed to find the routes that ask for a token")
		e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
		s, err := New(e.s.App(), Options{CORSOrigins: []string{"*"}, Limits: testDeadlines(Limits{})}) // every export computed under -race
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		defer ts.Close()
		n := 0
		for _, rt := range s.routes() {
			u := ts.URL + routeURL(rt.path)
			r := fetch(t, rt.method, u, "Origin: "+other)
			pre := fetch(t, http.MethodOptions, u, "Origin: "+other, "Access-Control-Request-Method: "+rt.method,
				"Access-Control-Request-Headers: authorization")
			if r.status == http.StatusUnauthorized {
				n++
				if corsOf(r) != "" || corsOf(pre) != "" {
					t.Errorf("%s %s asks for a token, yet answers CORS (%q, preflight %q)", rt.method, rt.path, corsOf(r), corsOf(pre))
				}
			}
		}
		if n < 5 {
			t.Fatalf("only %d routes asked for a token", n)
		}
	})

	t.Run("bad origin", func(t *testing.T) {
		a := newUploadEnv(t, Limits{}).s.App()
		for _, o := range []string{"gis.example.org", "https://gis.example.org/path", "ftp://x", "https://"} {
			if _, err := New(a, Options{CORSOrigins: []string{o}}); err == nil {
				t.Errorf("New accepted CORS origin %q", o)
			}
		}
	})
}

// TestHSTSOnlyWhenAsked: Strict-Transport-Security over TLS with HSTSMaxAge, never without.
func TestHSTSOnlyWhenAsked(t *testing.T) {
	for _, age := range []time.Duration{0, 365 * 24 * time.Hour} {
		s, err := New(newUploadEnv(t, Limits{}).s.App(), Options{HSTSMaxAge: age})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewTLSServer(s.Handler())
		r, err := ts.Client().Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		want := ""
		if age > 0 {
			want = "max-age=31536000"
		}
		if got := r.Header.Get("Strict-Transport-Security"); got != want {
			t.Errorf("HSTSMaxAge %v: Strict-Transport-Security %q, want %q", age, got, want)
		}
		ts.Close()
	}
}

// TestTrustedProxies: bad tokens are limited per client address. Behind a trusted proxy the
// address is the one X-Forwarded-For names; from anyone else the header is ignored, so a
// client cannot dodge the limit by making addresses up.
func TestTrustedProxies(t *testing.T) {
	badTokens := func(ts *httptest.Server, forwardedFor string) []int {
		var got []int
		for range 3 {
			got = append(got, callURL(t, http.MethodGet, ts.URL+"/api/v1/token", "phs_bad", nil, "X-Forwarded-For: "+forwardedFor).status)
		}
		return got
	}
	a := newUploadEnv(t, Limits{}).s.App()
	for _, c := range []struct {
		name    string
		proxies []string
		second  []int // the second client's answers after the first used its budget
	}{
		{"no proxy trusted: one address", nil, []int{429, 429, 429}},
		{"loopback proxy trusted: two clients", []string{"127.0.0.1"}, []int{401, 401, 429}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(a, Options{TrustedProxies: c.proxies, Limits: Limits{BadTokenRatePerMinute: 1, BadTokenBurst: 2}})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			if got := badTokens(ts, "198.51.100.1"); !slices.Equal(got, []int{401, 401, 429}) {
				t.Fatalf("first client: %v", got)
			}
			if got := badTokens(ts, "198.51.100.2"); !slices.Equal(got, c.second) {
				t.Fatalf("second client: %v, want %v", got, c.second)
			}
		})
	}
	if _, err := New(a, Options{TrustedProxies: []string{"not-an-address"}}); err == nil {
		t.Error("New accepted a bad proxy address")
	}
}
