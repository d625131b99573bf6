package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"phusong/server"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingURL = regexp.MustCompile(`http://[^ ]+/`)

// serving is a `phusong serve` the test runs in a goroutine.
type serving struct {
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

// startServe runs `phusong serve args…` and waits (up to 5 minutes) until ready(stdout) holds.
func startServe(t *testing.T, args []string, ready func(stdout string) bool) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(cancel)
	go func() {
		s.done <- runServe(ctx, stdio{Stdin: strings.NewReader(""), Stdout: &s.stdout, Stderr: &s.stderr, Getenv: func(string) string { return "" }}, args)
	}()
	deadline := time.After(5 * time.Minute)
	for !ready(s.stdout.String()) {
		select {
		case err := <-s.done:
			t.Fatalf("serve ended before it was ready: %v\nstdout: %s\nstderr:\n%s", err, s.stdout.String(), s.stderr.String())
		case <-deadline:
			t.Fatalf("serve not ready; stdout %q; stderr:\n%s", s.stdout.String(), s.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return s
}

// stop cancels serve (as SIGINT/SIGTERM do in main) and fails the test unless it returns nil
// within 30 s after logging its shutdown.
func (s *serving) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve returned %v after cancellation, want nil (graceful shutdown)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Fatalf("no shutdown log line:\n%s", s.stderr.String())
	}
}

// TestServeDemoAndShutdown runs `phusong serve` on a free loopback port: it prints its URL,
// answers /healthz and the map, and returns nil once its context is cancelled (SIGINT/SIGTERM
// in main).
func TestServeDemoAndShutdown(t *testing.T) {
	t.Parallel()
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--cell-m", "250", "--data-dir", t.TempDir()},
		func(out string) bool { return servingURL.MatchString(out) })
	url := servingURL.FindString(s.stdout.String())
	if !strings.Contains(s.stdout.String(), "synthetic") {
		t.Fatalf("the demo's URL line does not say the stations are synthetic: %q", s.stdout.String())
	}
	for _, path := range []string{"healthz", "", "api/v1/carriers"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /%s: %s", path, resp.Status)
		}
	}
	s.stop(t)
}

func TestServeBadFlags(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		usage bool
	}{
		{"unknown flag", []string{"--nope"}, true},
		{"stray argument", []string{"extra"}, true},
		{"bad log level", []string{"--log-level", "loud"}, false},
		{"missing communes file", []string{"--communes", "/nonexistent/communes.geojson"}, false},
		{"missing sites file", []string{"--sites", "/nonexistent/sites.csv"}, false},
		{"missing config file", []string{"--config", "/nonexistent/definition.json"}, false},
		{"missing context file", []string{"--context", "/nonexistent/roads.geojson"}, false},
		{"missing roads file", []string{"--roads", "/nonexistent/roads.geojson"}, false},
		{"bad size", []string{"--max-body-bytes", "20 megs"}, true},
		{"bad duration", []string{"--upload-timeout", "soon"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			err := runServe(context.Background(), stdio{Stdout: &out, Stderr: &errw, Getenv: func(string) string { return "" }}, tc.args)
			if err == nil {
				t.Fatal("serve accepted bad arguments")
			}
			if errors.Is(err, errUsage) != tc.usage {
				t.Fatalf("err %v: usage error = %v, want %v", err, errors.Is(err, errUsage), tc.usage)
			}
			if out.Len() != 0 {
				t.Fatalf("printed a URL for a server that did not start: %q", out.String())
			}
		})
	}
}

func TestDisplayAddr(t *testing.T) {
	cases := []struct {
		name, addr, want string
	}{
		{"all interfaces v4", "0.0.0.0:8080", "localhost:8080"},
		{"all interfaces v6", "[::]:8080", "localhost:8080"},
		{"loopback", "127.0.0.1:5000", "127.0.0.1:5000"},
		{"v6 loopback keeps brackets", "[::1]:80", "[::1]:80"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := net.ResolveTCPAddr("tcp", tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := displayAddr(a); got != tc.want {
				t.Fatalf("displayAddr(%s) = %s, want %s", tc.addr, got, tc.want)
			}
		})
	}
}

// TestLimitFlags: every field of server.Limits is one serve flag, and every such flag is in
// docs/limits.md; a flag sets its field.
func TestLimitFlags(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "limits.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lim server.Limits
	flags := lim.Flags()
	rv := reflect.ValueOf(&lim).Elem()
	seen := map[uintptr]string{}
	for _, f := range flags {
		p := reflect.ValueOf(f.Ptr).Pointer()
		if other, dup := seen[p]; dup {
			t.Errorf("flags %s and %s set the same field", other, f.Name)
		}
		seen[p] = f.Name
		if !bytes.Contains(doc, []byte("`--"+f.Name+"`")) {
			t.Errorf("--%s is not in docs/limits.md", f.Name)
		}
	}
	for i := range rv.NumField() {
		if _, ok := seen[rv.Field(i).Addr().Pointer()]; !ok {
			t.Errorf("Limits.%s has no flag", rv.Type().Field(i).Name)
		}
	}
	o, err := parseServeFlags([]string{"--max-body-bytes", "50MiB", "--min-upload-rate", "512", "--upload-timeout", "2m",
		"--anon-rate-per-minute", "-1", "--max-sectors-per-site", "64"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := server.DefaultLimits()
	want.MaxBodyBytes, want.MinUploadBytesPerS, want.UploadTimeout, want.AnonRatePerMinute, want.MaxSectorsPerSite = 50<<20, 512, 2*time.Minute, -1, 64
	if o.limits != want {
		t.Fatalf("flags gave %+v,\nwant %+v", o.limits, want)
	}
}

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		text string
	}{
		{"1048576", 1 << 20, "1MiB"}, {"20MiB", 20 << 20, "20MiB"}, {"512 KiB", 512 << 10, "512KiB"}, {"2g", 2 << 30, "2GiB"},
		{"100MB", 100 << 20, "100MiB"}, {"1000", 1000, "1000"}, {"-1", -1, "-1"}, {"0", 0, "0"},
	} {
		var b byteSize
		if err := b.Set(c.in); err != nil || int64(b) != c.want || b.String() != c.text {
			t.Errorf("%q: %d %q %v, want %d %q", c.in, b, b.String(), err, c.want, c.text)
		}
	}
	for _, in := range []string{"", "MiB", "1.5MiB", "-2", "12 parsecs", "99999999999GiB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q accepted as %d", in, b)
		}
	}
}

// TestServeRefusesEmptyDatabase: an emptied phusong.db (": > phusong.db") stops serve with an
// error naming the file, which is left as it is (before, it was taken for a new database and
// re-seeded with the demo, losing tokens and history with an INFO line).
func TestServeRefusesEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "phusong.db")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	err := runServe(context.Background(), stdio{Stdout: &out, Stderr: &errw, Getenv: func(string) string { return "" }},
		[]string{"--addr", "127.0.0.1:0", "--cell-m", "250", "--data-dir", dir})
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "is empty (0 bytes)") {
		t.Fatalf("serve on an empty database file: %v", err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() != 0 {
		t.Fatalf("the file was changed: %v %v", fi, err)
	}
}

// TestApplyMemoryLimit: --memory-limit sets the runtime's soft limit; the default keeps a
// GOMEMLIMIT from the environment and otherwise derives one from the heap (at least 4 ×
// --cache-bytes above it); -1 lifts it.
func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	noEnv := func(string) string { return "" }

	applyMemoryLimit(server.Limits{MemoryLimitBytes: 3 << 30}, noEnv, log)
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Fatalf("--memory-limit 3GiB: runtime limit %d", got)
	}
	applyMemoryLimit(server.Limits{}, func(k string) string {
		if k == "GOMEMLIMIT" {
			return "3GiB"
		}
		return ""
	}, log)
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Fatalf("default with GOMEMLIMIT set: runtime limit %d, want it kept", got)
	}
	applyMemoryLimit(server.Limits{CacheBytes: 64 << 20}, noEnv, log)
	if got := debug.SetMemoryLimit(-1); got < 4*(64<<20) || got >= 3<<30 {
		t.Fatalf("default: runtime limit %d, want 1.5 × the heap + 256 MiB", got)
	}
	applyMemoryLimit(server.Limits{MemoryLimitBytes: -1}, noEnv, log)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("--memory-limit -1: runtime limit %d, want none", got)
	}
}
