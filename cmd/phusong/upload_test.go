package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seenRequest is what the fake server received.
type seenRequest struct {
	method, path, query, auth, contentType, encoding string
	body                                             []byte // decompressed when gzip-encoded
}

// fakeServer answers every request with status and reply, recording it in *seen.
func fakeServer(t *testing.T, status int, reply string, seen *seenRequest) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip body: %v", err)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Errorf("body: %v", err)
		}
		*seen = seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"),
			r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"), b}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runUploadCLI runs "phusong upload args..." with env as the environment.
func runUploadCLI(env map[string]string, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	err := runUpload(context.Background(), io, args)
	return out.String(), errb.String(), err
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const uploadToken = "phs_0123456789ab_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestUploadRequestShape(t *testing.T) {
	dir := t.TempDir()
	csv := []byte("site_id,lon,lat\nTV-1,106.3,9.9\n")
	big := []byte(`{"type":"FeatureCollection","features":[` + strings.Repeat(`{"type":"Feature"},`, 20000) + `{}]}`)
	if len(big) <= uploadGzipOverBytes {
		t.Fatalf("the big file is only %d bytes", len(big))
	}
	cases := []struct {
		name     string
		file     string
		content  []byte
		args     []string
		env      map[string]string
		query    string
		ctype    string
		encoding string
		want     []byte // body as the server decodes it
	}{
		{"csv-replace", "viettel.csv", csv, []string{"--token", uploadToken}, nil,
			"dry_run=false&mode=replace", "text/csv", "", csv},
		{"csv-upsert-dry-run-token-from-env", "Sites.CSV", csv, []string{"--mode", "upsert", "--dry-run"},
			map[string]string{"PHUSONG_TOKEN": uploadToken},
			"dry_run=true&mode=upsert", "text/csv", "", csv},
		{"big-geojson-is-gzipped", "sites.geojson", big, []string{"--token", uploadToken, "--mode", "delete"}, nil,
			"dry_run=false&mode=delete", "application/geo+json", "gzip", big},
		{"pre-gzipped-csv-sent-as-is", "sites.csv.gz", gzipped(t, csv), []string{"--token", uploadToken}, nil,
			"dry_run=false&mode=replace", "text/csv", "gzip", csv},
		{"json-extension", "x.json", csv, []string{"--token", uploadToken}, nil,
			"dry_run=false&mode=replace", "application/geo+json", "", csv},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen seenRequest
			srv := fakeServer(t, http.StatusOK, `{"added":1,"warnings":[]}`, &seen)
			args := append([]string{"--server", srv.URL + "/", "--carrier", "viettel"}, c.args...)
			args = append(args, writeFile(t, dir, c.file, c.content))
			out, stderr, err := runUploadCLI(c.env, args...)
			if err != nil {
				t.Fatal(err)
			}
			want := seenRequest{"POST", "/api/v1/carriers/viettel/sites", c.query, "Bearer " + uploadToken, c.ctype, c.encoding, c.want}
			if seen.method != want.method || seen.path != want.path || seen.query != want.query || seen.auth != want.auth ||
				seen.contentType != want.contentType || seen.encoding != want.encoding || !bytes.Equal(seen.body, want.body) {
				t.Errorf("server saw %+v\nwant %+v", seen, want)
			}
			if out != "{\n  \"added\": 1,\n  \"warnings\": []\n}\n" {
				t.Errorf("stdout %q", out)
			}
			if stderr != "" || strings.Contains(out, uploadToken) {
				t.Errorf("stderr %q", stderr)
			}
		})
	}
}

func TestUploadServerErrors(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "s.csv", []byte("site_id\n"))
	cases := []struct {
		name   string
		status int
		reply  string
		err    string // the whole error
		stderr string // substring of stderr ("" = stderr empty)
	}{
		{"unauthorized", 401, `{"status":401,"error":"invalid or revoked token"}`,
			"upload: server replied 401 Unauthorized: invalid or revoked token", ""},
		{"forbidden", 403, `{"status":403,"error":"this token writes mobifone, not viettel"}`,
			"upload: server replied 403 Forbidden: this token writes mobifone, not viettel", ""},
		{"validation-details-to-stderr", 422,
			`{"status":422,"error":"2 errors","errors":[{"line":7,"field":"lat","message":"not a number"}]}`,
			"upload: server replied 422 Unprocessable Entity: 2 errors", `"line": 7`},
		{"not-json", 502, "<html>bad gateway</html>", "upload: server replied 502 Bad Gateway: <html>bad gateway</html>", ""},
		{"empty", 500, "", "upload: server replied 500 Internal Server Error", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen seenRequest
			srv := fakeServer(t, c.status, c.reply, &seen)
			out, stderr, err := runUploadCLI(nil, "--server", srv.URL, "--token", uploadToken, "--carrier", "viettel", file)
			if err == nil || err.Error() != c.err {
				t.Errorf("err = %v\nwant  %s", err, c.err)
			}
			if out != "" || (c.stderr == "") != (stderr == "") || !strings.Contains(stderr, c.stderr) {
				t.Errorf("stdout %q, stderr %q", out, stderr)
			}
		})
	}
}

// TestUploadRefusesBeforeSending: argument errors are reported without any request.
func TestUploadRefusesBeforeSending(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "s.csv", []byte("site_id\n"))
	xlsx := writeFile(t, dir, "s.xlsx", []byte("PK"))
	var seen seenRequest
	srv := fakeServer(t, 200, "{}", &seen)
	cases := []struct {
		name string
		args []string
		want string // error substring; "usage" for errUsage
	}{
		{"no-file", []string{"--carrier", "viettel", "--token", uploadToken}, "usage"},
		{"two-files", []string{"--carrier", "viettel", "--token", uploadToken, csv, csv}, "usage"},
		{"no-carrier", []string{"--token", uploadToken, csv}, "--carrier is required"},
		{"bad-carrier", []string{"--carrier", "../admin", "--token", uploadToken, csv}, `--carrier "../admin"`},
		{"no-token", []string{"--carrier", "viettel", csv}, "no token"},
		{"bad-mode", []string{"--carrier", "viettel", "--token", uploadToken, "--mode", "rollback", csv}, `--mode "rollback"`},
		{"bad-extension", []string{"--carrier", "viettel", "--token", uploadToken, xlsx}, "want a .csv or .geojson file"},
		{"missing-file", []string{"--carrier", "viettel", "--token", uploadToken, filepath.Join(dir, "none.csv")}, "no such file"},
		{"bad-server", []string{"--server", "ftp://x", "--carrier", "viettel", "--token", uploadToken, csv}, `--server "ftp://x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if !strings.HasPrefix(c.name, "bad-server") {
				args = append([]string{"--server", srv.URL}, args...)
			}
			_, _, err := runUploadCLI(nil, args...)
			switch {
			case c.want == "usage" && !errors.Is(err, errUsage):
				t.Errorf("err = %v, want errUsage", err)
			case c.want != "usage" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if seen.method != "" {
				t.Errorf("a request was sent: %+v", seen)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	cases := []struct {
		host string
		warn bool
	}{
		{"localhost", false}, {"127.0.0.1", false}, {"::1", false}, {"example.org", true}, {"10.0.0.1", true},
	}
	for _, c := range cases {
		if got := !isLoopback(c.host); got != c.warn {
			t.Errorf("%s: warn %v, want %v", c.host, got, c.warn)
		}
	}
}

// TestUploadRetriesWhenBusy: a 503 (or 429) with a Retry-After of at most a minute is waited
// for and the same file sent again, up to uploadAttempts times; the wait is said on stderr.
func TestUploadRetriesWhenBusy(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "s.csv", []byte("site_id,lon,lat,tech\nA,106.3,9.9,4G\n"))
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		w.Header().Set("Content-Type", "application/json")
		if len(bodies) < 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":503,"error":"1 uploads of viettel are being applied"}`)
			return
		}
		io.WriteString(w, `{"upload":{"id":9}}`)
	}))
	t.Cleanup(srv.Close)
	out, stderr, err := runUploadCLI(nil, "--server", srv.URL, "--token", uploadToken, "--carrier", "viettel", file)
	if err != nil || !strings.Contains(out, `"id": 9`) {
		t.Fatalf("err %v, stdout %q", err, out)
	}
	if len(bodies) != 3 || bodies[0] != bodies[2] || strings.Count(stderr, "server busy (503 Service Unavailable); retrying in 0s") != 2 {
		t.Fatalf("%d requests (bodies equal: %v), stderr %q", len(bodies), bodies[0] == bodies[2], stderr)
	}
	// A busy answer without Retry-After is not retried: it is the error.
	srvBusy := fakeServer(t, http.StatusServiceUnavailable, `{"status":503,"error":"busy"}`, new(seenRequest))
	if _, _, err := runUploadCLI(nil, "--server", srvBusy.URL, "--token", uploadToken, "--carrier", "viettel", file); err == nil ||
		err.Error() != "upload: server replied 503 Service Unavailable: busy" {
		t.Fatalf("always busy: %v", err)
	}
}
