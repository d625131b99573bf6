package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/server/app"
)

// uploadEnv is a server with a database of its own (seeded with the demo stations, as serve
// does) over a copy of the shared demo state, and one token per role.
type uploadEnv struct {
	s   *Server
	ts  *httptest.Server
	db  *persist.DB
	tok map[string]string            // carrier id or "admin" → token
	inf map[string]persist.TokenInfo // same keys
}

// envCarriers get a token each in newUploadEnv.
var envCarriers = []string{"viettel", "vinaphone", "mobifone"}

func newUploadEnv(t testing.TB, o Limits) *uploadEnv {
	t.Helper()
	return newUploadEnvOn(t, demoState(t), o, nil, "")
}

// newUploadEnvOn is newUploadEnv over another state's engine, with the database's fibre seeded
// with fibreSeed (nil: none) and fibreNote. base's coverage is served when the database holds
// exactly base's sites (app.Input.Computed: the demo is not computed again for every env);
// other sites are computed.
func newUploadEnvOn(t testing.TB, base *app.State, o Limits, fibreSeed *fibre.Network, fibreNote string) *uploadEnv {
	t.Helper()
	return newEnv(t, base, Options{Limits: o}, fibreSeed, fibreNote, nil)
}

// newEnv is newUploadEnvOn with the server's options and a hook that sets up the app (a clock,
// report rules) before the server is made.
func newEnv(t testing.TB, base *app.State, so Options, fibreSeed *fibre.Network, fibreNote string, hook func(*app.App)) *uploadEnv {
	t.Helper()
	db, err := persist.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newEnvDB(t, db, base, so, fibreSeed, fibreNote, hook)
}

// newUploadEnvDB is newUploadEnvOn on db (closed at the end of the test), seeded with the demo
// sites when it holds none.
func newUploadEnvDB(t testing.TB, db *persist.DB, base *app.State, o Limits, fibreSeed *fibre.Network, fibreNote string) *uploadEnv {
	t.Helper()
	return newEnvDB(t, db, base, Options{Limits: o}, fibreSeed, fibreNote, nil)
}

// newEnvDB is newUploadEnvDB with the server's options and a hook that sets up the app (a
// clock, report rules) before the server is made.
func newEnvDB(t testing.TB, db *persist.DB, base *app.State, so Options, fibreSeed *fibre.Network, fibreNote string, hook func(*app.App)) *uploadEnv {
	t.Helper()
	return newEnvInput(t, db, app.Input{Engine: base.Engine, Computed: base, Communes: base.Communes, Carriers: base.Carriers,
		Sites: demoInput.Sites, Note: demoInput.Note, Fibre: fibreSeed, FibreNote: fibreNote}, so, hook)
}

// newEnvInput is newEnvDB over the state app.OpenDB builds from in.
func newEnvInput(t testing.TB, db *persist.DB, in app.Input, so Options, hook func(*app.App)) *uploadEnv {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { db.Close() })
	a, err := app.OpenDB(ctx, db, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hook != nil {
		hook(a)
	}
	if so.Limits.AnonRatePerMinute == 0 {
		so.Limits.AnonRatePerMinute = -1 // every test request comes from one address
	}
	so.Limits = testDeadlines(so.Limits)
	if so.SpoolDir == "" {
		so.SpoolDir = t.TempDir()
	}
	s, err := New(a, so)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	e := &uploadEnv{s: s, ts: ts, db: db, tok: map[string]string{}, inf: map[string]persist.TokenInfo{}}
	for _, c := range append([]string{"admin"}, envCarriers...) {
		plain, info, err := db.CreateToken(ctx, strings.TrimPrefix(c, "admin"), c == "admin", "test "+c)
		if err != nil {
			t.Fatal(err)
		}
		e.tok[c], e.inf[c] = plain, info
	}
	return e
}

// call sends method path with body and "Name: value" headers; token "" sends none.
func (e *uploadEnv) call(t testing.TB, method, path, token string, body []byte, headers ...string) reply {
	t.Helper()
	return callURL(t, method, e.ts.URL+path, token, body, headers...)
}

// callURL is call against any base URL (the crash test's child process).
func callURL(t testing.TB, method, url, token string, body []byte, headers ...string) reply {
	t.Helper()
	r, err := tryCall(method, url, token, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	checkOpenAPI(t, method, url, r) // token routes' answers match the API description too
	return r
}

// tryCall is callURL returning the error, for goroutines other than the test's.
func tryCall(method, url, token string, body []byte, headers ...string) (reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	return reply{resp.StatusCode, resp.Header, b}, nil
}

// uploadCSV posts a CSV station list of carrier.
func (e *uploadEnv) uploadCSV(t testing.TB, carrier, mode string, dryRun bool, csv []byte) reply {
	t.Helper()
	return e.call(t, http.MethodPost, fmt.Sprintf("/api/v1/carriers/%s/sites?mode=%s&dry_run=%v", carrier, mode, dryRun),
		e.tok[carrier], csv, "Content-Type: text/csv")
}

// genSites returns n sites of carrier whose ids carry the generation gen ("G0007-S012"), on
// a grid 0.003° apart (≈ 330 m) from (106.25, 9.85) shifted east by 0.0004° (≈ 44 m) × (gen
// mod 7), so that two generations with different gen mod 7 never come within 20 m; each site
// has three fully specified 4G sectors (no default applied, so no warning).
func genSites(carrier string, gen, n int) []data.Site {
	out := make([]data.Site, n)
	for i := range out {
		s := data.Site{
			Carrier: carrier, SiteID: fmt.Sprintf("G%04d-S%03d", gen, i),
			Lon: 106.25 + 0.0004*float64(gen%7) + 0.003*float64(i%20), Lat: 9.85 + 0.003*float64(i/20),
			HeightM: float64(20 + gen%30), Status: data.StatusActive,
		}
		for k, az := range []float64{0, 120, 240} {
			s.Sectors = append(s.Sectors, data.Sector{
				CellID: fmt.Sprintf("C%d", k), Tech: data.Tech4G, BandMHz: 1800, AzimuthDeg: az, BeamwidthDeg: 65,
				TiltDeg: 4, PowerDBm: 43, BandwidthMHz: 10, GainDBi: 17, FeederLossDB: 1,
			})
		}
		out[i] = s
	}
	return out
}

// generationOf returns the generation of a genSites id, or -1.
func generationOf(siteID string) int {
	var g, i int
	if n, _ := fmt.Sscanf(siteID, "G%04d-S%03d", &g, &i); n != 2 {
		return -1
	}
	return g
}

// sitesCSV writes sites in the canonical CSV.
func sitesCSV(t testing.TB, sites []data.Site) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := input.WriteSitesCSV(&b, sites); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gzipped compresses b.
func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// siteIDsOf fetches /api/v1/sites?carrier= and returns the site ids and the data version.
func siteIDsOf(t testing.TB, base, carrier string) (ids []string, version uint64) {
	t.Helper()
	r := callURL(t, http.MethodGet, base+"/api/v1/sites?carrier="+carrier, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("sites of %s: %d %s", carrier, r.status, r.body)
	}
	b := decode[sitesBody](t, r)
	for _, f := range b.Features {
		ids = append(ids, f.Properties.SiteID)
	}
	return ids, b.DataVersion
}
