package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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

// TestServeDemoAndShutdown runs `phusong serve` on a free loopback port: it prints its URL,
// answers /healthz and the map, and returns nil once its context is cancelled (SIGINT/SIGTERM
// in main).
func TestServeDemoAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, stdio{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }},
			[]string{"--addr", "127.0.0.1:0", "--cell-m", "250", "--data-dir", t.TempDir()})
	}()
	var url string
	deadline := time.After(5 * time.Minute)
	for url == "" {
		select {
		case err := <-done:
			t.Fatalf("serve ended before printing its URL: %v\nstderr:\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("no URL printed; stderr:\n%s", stderr.String())
		case <-time.After(50 * time.Millisecond):
			url = servingURL.FindString(stdout.String())
		}
	}
	if !strings.Contains(stdout.String(), "synthetic") {
		t.Fatalf("the demo's URL line does not say the stations are synthetic: %q", stdout.String())
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
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancellation, want nil (graceful shutdown)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Fatalf("no shutdown log line:\n%s", stderr.String())
	}
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
