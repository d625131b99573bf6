package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/data/persist"
)

// The hardening of uploads (issue 16) over real HTTP: content limits, the minimum transfer
// rate, the gates, a full disk, ids, deadlines.

// gridRows writes a station CSV of rows sector rows, 3 sectors a site, sites 40 m apart in
// Trà Vinh (every row valid), as the memory attack of issue 16 did with 10⁶ rows.
func gridRows(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("site_id,lon,lat,height_m,status,cell_id,tech,band_mhz,azimuth_deg,beamwidth_deg,tilt_deg,power_dbm,bandwidth_mhz,gain_dbi,feeder_loss_db\n")
	for r := range rows {
		s := r / 3
		fmt.Fprintf(&b, "M%07d,%.6f,%.6f,30,active,C%d,4G,1800,%d,65,4,43,10,17,1\n",
			s, 106.05+0.00037*float64(s%800), 9.65+0.00037*float64(s/800), r%3, 120*(r%3))
	}
	return b.Bytes()
}

// TestHugeUploadStopsAtLimits: a small gzip body of 300,000 valid rows (issue 16's attack was
// 10⁶) is refused with 413 at the first limit it crosses, naming the line, and changes
// nothing; so is a list that an upsert would grow past the limit.
func TestHugeUploadStopsAtLimits(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1, MaxSitesPerCarrier: 1000, MaxRows: 2000})
	_, v0 := siteIDsOf(t, e.ts.URL, "viettel")
	huge := gzipped(gridRows(300_000))
	r := e.call(t, http.MethodPost, "/api/v1/carriers/viettel/sites", e.tok["viettel"], huge, "Content-Type: text/csv", "Content-Encoding: gzip")
	if eb := decode[errorBody](t, r); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(eb.Error, "line 2002: more than 2000 rows (the limit)") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	e2 := newUploadEnv(t, Limits{TokenRatePerMinute: -1, MaxSitesPerCarrier: 1000})
	r = e2.call(t, http.MethodPost, "/api/v1/carriers/viettel/sites", e2.tok["viettel"], huge, "Content-Type: text/csv", "Content-Encoding: gzip")
	if eb := decode[errorBody](t, r); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(eb.Error, "line 3002: more than 1000 sites (the limit)") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The carrier holds n sites; an upsert of 2 new ones under a limit of n+1 would grow it past.
	n := len(carrierSites("viettel"))
	e3 := newUploadEnv(t, Limits{TokenRatePerMinute: -1, MaxSitesPerCarrier: n + 1})
	r = e3.uploadCSV(t, "viettel", "upsert", false, sitesCSV(t, genSites("viettel", 1, 2)))
	if eb := decode[errorBody](t, r); r.status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(eb.Error, fmt.Sprintf("more than %d sites in the list after this upload", n+1)) {
		t.Fatalf("upsert past the limit: %d %s", r.status, r.body)
	}
	if _, v := siteIDsOf(t, e.ts.URL, "viettel"); v != v0 {
		t.Fatalf("a refused upload changed the data: version %d → %d", v0, v)
	}
}

// serveLoopback runs s.Serve (the real http.Server settings) on a loopback port until the test
// ends and returns its base URL.
func serveLoopback(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// paced reads b at bytesPerS in 50 ms steps, then stops for good after stopAfter bytes (< 0:
// never).
type paced struct {
	b         *bytes.Reader
	bytesPerS int
	stopAfter int64
	sent      int64
	stopped   chan struct{}
}

func (p *paced) Read(buf []byte) (int, error) {
	if p.stopAfter >= 0 && p.sent >= p.stopAfter {
		<-p.stopped // the server gives up first
		return 0, io.ErrUnexpectedEOF
	}
	time.Sleep(50 * time.Millisecond)
	n, err := p.b.Read(buf[:min(len(buf), p.bytesPerS/20)])
	p.sent += int64(n)
	return n, err
}

// TestSlowLinkUploads: the real server (Serve's timeouts) takes a valid body sent at a steady
// slow rate however long it takes (here longer than the request timeout, which the whole body
// was held to before), and answers 408 to a body that stops arriving.
func TestSlowLinkUploads(t *testing.T) {
	lim := Limits{TokenRatePerMinute: -1, AnonRatePerMinute: -1, RequestTimeout: time.Second,
		UploadGrace: 500 * time.Millisecond, MinUploadBytesPerS: 8 << 10}
	e := newUploadEnv(t, lim)
	base := serveLoopback(t, e.s)
	file := sitesCSV(t, genSites("viettel", 3, 240)) // ~60 KB
	send := func(body io.Reader) reply {
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/carriers/viettel/sites?mode=replace&dry_run=true", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(file))
		req.Header.Set("Authorization", "Bearer "+e.tok["viettel"])
		req.Header.Set("Content-Type", "text/csv")
		resp, err := rawClient.Do(req)
		if err != nil {
			return reply{status: -1, body: []byte(err.Error())}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return reply{resp.StatusCode, resp.Header, b}
	}
	start := time.Now()
	if r := send(&paced{b: bytes.NewReader(file), bytesPerS: 32 << 10, stopAfter: -1}); r.status != http.StatusOK {
		t.Fatalf("steady slow body (%d bytes over %v): %d %s", len(file), time.Since(start), r.status, r.body)
	}
	if took := time.Since(start); took < lim.RequestTimeout {
		t.Logf("the slow body took %v, under the request timeout: the test did not exercise the old failure", took)
	}
	stalled := &paced{b: bytes.NewReader(file), bytesPerS: 32 << 10, stopAfter: 16 << 10, stopped: make(chan struct{})}
	defer close(stalled.stopped)
	r := send(stalled)
	if eb := decode[errorBody](t, r); r.status != http.StatusRequestTimeout || !strings.Contains(eb.Error, "bytes/s on average") {
		t.Fatalf("stalled body: %d %s", r.status, r.body)
	}
}

// TestUploadSlots: a carrier holds at most UploadSlotsPerCarrier slots and all carriers
// UploadSlots; a full gate is 503 with Retry-After at once; a released slot is free again.
func TestUploadSlots(t *testing.T) {
	u := newUploads(Limits{UploadSlots: 2, UploadSlotsPerCarrier: 1}.withDefaults(), t.TempDir())
	ctx := func() *gin.Context {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		return c
	}
	relA, err := u.slot(ctx(), "viettel")
	if err != nil {
		t.Fatal(err)
	}
	c := ctx()
	if _, err := u.slot(c, "viettel"); statusOf(err) != http.StatusServiceUnavailable || c.Writer.Header().Get("Retry-After") == "" ||
		!strings.Contains(err.Error(), "uploads of viettel") {
		t.Fatalf("second viettel slot: %v", err)
	}
	relB, err := u.slot(ctx(), "vinaphone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.slot(ctx(), "mobifone"); statusOf(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "2 uploads are being applied") {
		t.Fatalf("third carrier over the global gate: %v", err)
	}
	relA()
	relC, err := u.slot(ctx(), "mobifone")
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	relB()
	relC()
	if u.slots != 0 || len(u.busy) != 0 {
		t.Fatalf("after every release: %d slots, %v", u.slots, u.busy)
	}
}

// TestUploadDiskFull: a write the disk cannot hold (the database's size cap, which SQLite
// enforces as a full disk) is 507 with a message, not a bare 500; nothing changes, and smaller
// uploads work again.
func TestUploadDiskFull(t *testing.T) {
	dir := t.TempDir()
	seed, err := persist.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	newUploadEnvDB(t, seed, demoState(t), Limits{}, nil, "") // seeds the demo sites
	seed.Close()
	fi, err := os.Stat(filepath.Join(dir, persist.FileName))
	if err != nil {
		t.Fatal(err)
	}
	db, err := persist.OpenWith(dir, persist.Options{MaxBytes: fi.Size() + 256<<10})
	if err != nil {
		t.Fatal(err)
	}
	e := newUploadEnvDB(t, db, demoState(t), Limits{TokenRatePerMinute: -1}, nil, "")
	_, v0 := siteIDsOf(t, e.ts.URL, "viettel")
	r := e.uploadCSV(t, "viettel", "upsert", false, sitesCSV(t, genSites("viettel", 1, 1500)))
	if eb := decode[errorBody](t, r); r.status != http.StatusInsufficientStorage || !strings.Contains(eb.Error, "storage is full") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, v := siteIDsOf(t, e.ts.URL, "viettel"); v != v0 {
		t.Fatalf("version %d → %d after a failed write", v0, v)
	}
	if r := e.uploadCSV(t, "viettel", "upsert", false, sitesCSV(t, genSites("viettel", 2, 2))); r.status != http.StatusOK {
		t.Fatalf("a small upload after: %d %s", r.status, r.body)
	}
}

// TestSiteIDsEndToEnd: the one id rule through the API. An id the rule accepts is served at
// /api/v1/sites/{carrier}/{id} (path-escaped) whatever it holds; an id with '/' (which that
// URL cannot carry), padding or control characters is refused with the line and field.
func TestSiteIDsEndToEnd(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	ids := []string{"TVH 0012", "TVH#7", "A%20B", "X?y=1", "Trà Vinh-01", "x\\y", "ví+dụ"}
	sites := genSites("viettel", 4, len(ids))
	for i := range sites {
		sites[i].SiteID = ids[i]
	}
	if r := e.uploadCSV(t, "viettel", "upsert", false, sitesCSV(t, sites)); r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	for _, id := range ids {
		r := get(t, e.ts.URL+"/api/v1/sites/viettel/"+url.PathEscape(id))
		if r.status != http.StatusOK || decode[siteFeature](t, r).Properties.SiteID != id {
			t.Errorf("GET site %q: %d %s", id, r.status, r.body)
		}
	}
	head := "site_id,lon,lat,tech,azimuth_deg\n"
	for _, c := range []struct{ id, msg string }{
		{`"TVH/0012"`, "holds a '/'"},
		{`" TVH0013"`, "leading or trailing spaces"},
		{`"TVH0014 "`, "leading or trailing spaces"},
		{"\"TVH\t0015\"", "control characters"},
	} {
		r := e.uploadCSV(t, "viettel", "upsert", true, []byte(head+c.id+",106.3,9.9,4G,0\n"))
		eb := decode[errorBody](t, r)
		if r.status != http.StatusUnprocessableEntity || eb.Line != 2 || eb.Field != "site_id" || !strings.Contains(eb.Issues[0].Message, c.msg) {
			t.Errorf("id %s: %d %s", c.id, r.status, r.body)
		}
	}
}

// TestUploadTimeout: an upload that cannot be applied within UploadTimeout is 503 with
// Retry-After and a message, at once, and changes nothing (before, the request's deadline was
// not looked at while the body was parsed).
func TestUploadTimeout(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1, UploadTimeout: time.Nanosecond})
	r := e.uploadCSV(t, "viettel", "replace", false, sitesCSV(t, carrierSites("viettel")))
	if eb := decode[errorBody](t, r); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" ||
		!strings.Contains(eb.Error, "not applied within 1ns") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// TestTokenBodyOneValue: the admin token body is one JSON object; data after it is 422 naming
// its byte offset (before, the second object was ignored).
func TestTokenBodyOneValue(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	body := []byte(`{"carrier":"viettel","note":"a"} {"admin":true}`)
	r := e.call(t, http.MethodPost, "/api/v1/admin/tokens", e.tok["admin"], body, "Content-Type: application/json")
	if eb := decode[errorBody](t, r); r.status != http.StatusUnprocessableEntity || eb.Error != "data after the JSON value at byte offset 33 (send one JSON object)" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = e.call(t, http.MethodPost, "/api/v1/admin/tokens", e.tok["admin"], []byte("{\"carrier\":\"viettel\"}\r\n\t "), "Content-Type: application/json")
	if r.status != http.StatusCreated {
		t.Fatalf("one object and white space: %d %s", r.status, r.body)
	}
	// Every other JSON body too (issue 16, item 4): a second value after the first is refused
	// before anything is done, naming where it starts.
	for _, c := range []struct{ method, path, token, first string }{
		{http.MethodPut, "/api/v1/admin/definition", e.tok["admin"], `{"calibration_id": 0}`},
		{http.MethodPost, "/api/v1/reports", "", `{"lon": 106.34, "lat": 9.93, "carrier": "viettel", "tech": "4G", "outcome": "no_service", "device": "d0d0d0d0d0d0d0d0"}`},
		{http.MethodPut, "/api/v1/carriers/viettel/disputes/4G/15_27", e.tok["viettel"], `{"state": "reviewed", "note": "seen"}`},
		{http.MethodPost, "/api/v1/scenarios", e.tok["viettel"], `{"name": "one"}`},
	} {
		r := e.call(t, c.method, c.path, c.token, []byte(c.first+"\n"+c.first), "Content-Type: application/json")
		want := fmt.Sprintf("data after the JSON value at byte offset %d (send one JSON object)", len(c.first)+1)
		if eb := decode[errorBody](t, r); r.status != http.StatusUnprocessableEntity || eb.Error != want {
			t.Errorf("%s %s with two objects: %d %s; want 422 %q", c.method, c.path, r.status, r.body, want)
		}
	}
	if r := e.call(t, http.MethodGet, "/api/v1/scenarios", e.tok["viettel"], nil); r.status != http.StatusOK || bytes.Contains(r.body, []byte(`"one"`)) {
		t.Errorf("scenarios after the refused one: %d %s", r.status, r.body)
	}
}

// TestUploadCROnlyLineEnds: a CSV with CR-only line ends (old Mac) is refused naming line 1
// and what to do, through the upload route (before: "holds no site (only a header?)").
func TestUploadCROnlyLineEnds(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	csv := bytes.ReplaceAll(sitesCSV(t, genSites("viettel", 5, 3)), []byte("\n"), []byte("\r"))
	r := e.uploadCSV(t, "viettel", "replace", true, csv)
	if eb := decode[errorBody](t, r); r.status != http.StatusUnprocessableEntity || eb.Line != 1 || !strings.Contains(eb.Error, "lone CR") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// rawPost writes a POST with the given header lines and body on a new connection, closes its
// sending side, and reads the status line: for requests net/http's client would not send.
func rawPost(t *testing.T, base, path string, headers []string, body []byte) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n", path, strings.Join(headers, "\r\n"))
	conn.Write(body)
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestRawBodies: a Content-Length over MaxBodyBytes is refused before the body is read (413);
// a body shorter than its Content-Length (the client went away) is the client's error (400),
// not the server's.
func TestRawBodies(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1, MaxBodyBytes: 1 << 20})
	hdr := []string{"Authorization: Bearer " + e.tok["viettel"], "Content-Type: text/csv"}
	if line := rawPost(t, e.ts.URL, "/api/v1/carriers/viettel/sites", append(hdr, "Content-Length: 5000000000"), nil); !strings.HasPrefix(line, "HTTP/1.1 413") {
		t.Fatalf("declared length over the limit: status line %q", line)
	}
	if line := rawPost(t, e.ts.URL, "/api/v1/carriers/viettel/sites", append(hdr, "Content-Length: 1000"), []byte("site_id,lon\n")); !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Fatalf("short body: status line %q", line)
	}
}
