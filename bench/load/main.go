// Command load is phusong's loopback load test: it serves the embedded demo with the real
// server and, in the same run, the very same response bytes from a plain net/http FileServer
// (the ceiling), then drives both with the same load generator at -c connections and prints
// requests/s, p50/p99 latency and the ratio server/static per endpoint.
//
//	go run ./bench/load [-c 64] [-d 5s] [-tool auto|wrk|go] [-cell-m 50]
//
// Traffic goes to 127.0.0.1 only, for a bounded time. With -tool auto it uses wrk (Debian's
// package) when installed and the built-in Go generator otherwise. It also prints the first
// page weight of the map on a phone (gzip bytes of the page, scripts, styles and first data).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/server"
	"phusong/server/app"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// endpoint is one API answer under test and the file name its bytes get on the static server.
type endpoint struct {
	name, path, file string
}

var endpoints = []endpoint{
	{"communes", "/api/v1/communes", "communes.json"},
	{"coverage", "/api/v1/coverage?tech=4G&carrier=any&tier=0&zoom=9", "coverage.json"},
}

// result is one load run.
type result struct {
	requests  int
	errors    int
	reqPerS   float64
	p50, p99  time.Duration
	bytesEach int
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	conns := fs.Int("c", 64, "concurrent connections")
	dur := fs.Duration("d", 5*time.Second, "duration of each run (bounded to 60s)")
	tool := fs.String("tool", "auto", "load generator: auto (wrk if installed), wrk or go")
	cellM := fs.Float64("cell-m", 0, "coverage grid cell in metres (0 = the engine's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dur > time.Minute {
		*dur = time.Minute
	}
	useWrk := *tool == "wrk"
	if *tool == "auto" {
		_, err := exec.LookPath("wrk")
		useWrk = err == nil
	}

	start := time.Now()
	communes, err := demo.Communes()
	if err != nil {
		return err
	}
	sites, err := demo.Sites()
	if err != nil {
		return err
	}
	st, err := app.Build(ctx, app.Input{Communes: communes, Sites: sites, Note: demo.Note, Coverage: coverage.Options{CellM: *cellM}})
	if err != nil {
		return err
	}
	a, err := app.New(st, nil, nil)
	if err != nil {
		return err
	}
	// Every connection of the generator comes from 127.0.0.1: the per-address limit of the
	// public routes (sized for people, not for a load generator) is lifted.
	srv, err := server.New(a, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: server.Limits{AnonRatePerMinute: -1}})
	if err != nil {
		return err
	}
	if err := srv.Warm(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo computed and warmed in %v (%d sites, %d communes)\n", time.Since(start).Round(time.Millisecond), len(sites), len(communes))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	apiURL, err := listen(ctx, srv.Handler())
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "phusong-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	staticURL, err := listen(ctx, http.FileServer(http.Dir(dir)))
	if err != nil {
		return err
	}

	if err := pageWeight(stdout, apiURL); err != nil {
		return err
	}

	gen := "go"
	if useWrk {
		gen = "wrk"
	}
	fmt.Fprintf(stdout, "\nload: %d connections, %v per run, generator %s, GOMAXPROCS shared by server and generator\n", *conns, *dur, gen)
	fmt.Fprintf(stdout, "%-9s %-5s %-7s %11s %9s %9s %9s %s\n", "endpoint", "gzip", "server", "req/s", "p50", "p99", "bytes", "ratio")
	for _, ep := range endpoints {
		for _, gz := range []bool{true, false} {
			hdr := ""
			if gz {
				hdr = "gzip"
			}
			body, err := fetchBody(apiURL+ep.path, hdr)
			if err != nil {
				return err
			}
			file := ep.file
			if gz {
				file += ".gz"
			}
			if err := os.WriteFile(filepath.Join(dir, file), body, 0o644); err != nil {
				return err
			}
			targets := []struct{ name, url, enc string }{
				{"phusong", apiURL + ep.path, hdr},
				{"static", staticURL + "/" + file, ""},
			}
			var res [2]result
			for i, tg := range targets {
				var r result
				if useWrk {
					r, err = wrk(ctx, tg.url, tg.enc, *conns, *dur)
				} else {
					r, err = goLoad(ctx, tg.url, tg.enc, *conns, *dur)
				}
				if err != nil {
					return fmt.Errorf("%s %s: %w", tg.name, tg.url, err)
				}
				r.bytesEach = len(body)
				res[i] = r
				ratio := ""
				if i == 1 {
					ratio = fmt.Sprintf("%.0f %%", 100*res[0].reqPerS/res[1].reqPerS)
				}
				fmt.Fprintf(stdout, "%-9s %-5v %-7s %11.0f %9v %9v %9d %s\n", ep.name, gz, tg.name, r.reqPerS,
					r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.bytesEach, ratio)
				if r.errors > 0 {
					return fmt.Errorf("%s %s: %d errors or non-200 answers", tg.name, tg.url, r.errors)
				}
			}
		}
	}
	return nil
}

// listen serves h on a free loopback port until ctx ends and returns its base URL.
func listen(ctx context.Context, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = hs.Close() })
	return "http://" + ln.Addr().String(), nil
}

func fetchBody(url, acceptEncoding string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// firstLoad is what the map fetches before it is usable on a phone: the page, its scripts and
// styles, and the first data (the phone fits the province at zoom 9).
var firstLoad = []string{
	"/", "/assets/vendor/leaflet/leaflet.css", "/assets/app.css", "/assets/vendor/leaflet/leaflet.js",
	"/assets/app.js", "/assets/icon.svg", "/api/v1/info", "/api/v1/communes", "/api/v1/sites",
	"/api/v1/coverage?tech=4G&carrier=any&tier=0&zoom=9",
}

// pageWeight prints the gzip bytes of firstLoad (what travels, without HTTP headers).
func pageWeight(w io.Writer, base string) error {
	fmt.Fprintln(w, "\nfirst page weight on a phone (gzip bytes on the wire, headers excluded):")
	total := 0
	for _, p := range firstLoad {
		b, err := fetchBody(base+p, "gzip")
		if err != nil {
			return err
		}
		total += len(b)
		fmt.Fprintf(w, "  %8d  %s\n", len(b), p)
	}
	fmt.Fprintf(w, "  %8d  total (%.1f KB; budget 400 KB)\n", total, float64(total)/1024)
	return nil
}

// goLoad runs conns workers, each on its own keep-alive connection, for d.
func goLoad(ctx context.Context, url, acceptEncoding string, conns int, d time.Duration) (result, error) {
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	begin := time.Now()
	for range conns {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if acceptEncoding != "" {
					req.Header.Set("Accept-Encoding", acceptEncoding)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if len(lats) == 0 {
		return result{}, errors.New("no request completed")
	}
	slices.Sort(lats)
	pct := func(q float64) time.Duration { return lats[min(len(lats)-1, int(q*float64(len(lats))))] }
	return result{requests: len(lats), errors: errs, reqPerS: float64(len(lats)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99)}, nil
}

var (
	wrkReqs    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSocket  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// wrk runs Debian's wrk (2 threads) and parses its summary.
func wrk(ctx context.Context, url, acceptEncoding string, conns int, d time.Duration) (result, error) {
	args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if acceptEncoding != "" {
		args = append(args, "-H", "Accept-Encoding: "+acceptEncoding)
	}
	cctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, "wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	var r result
	m := wrkReqs.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk output without Requests/sec: %s", out)
	}
	r.reqPerS, _ = strconv.ParseFloat(string(m[1]), 64)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := wrkLatency.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
			lat := time.Duration(v * float64(unit))
			if m[1] == "50" {
				r.p50 = lat
			} else {
				r.p99 = lat
			}
		}
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		r.errors, _ = strconv.Atoi(string(m[1]))
	}
	if m := wrkSocket.FindStringSubmatch(string(out)); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	if strings.TrimSpace(string(out)) == "" {
		return r, errors.New("wrk printed nothing")
	}
	return r, nil
}
