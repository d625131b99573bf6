// Command maptiles measures, in Debian's headless Chromium emulating a phone, how the web map's
// coverage layer loads as one GeoJSON answer per zoom and as vector tiles: the bytes the
// coverage costs and the time from navigation to the coverage drawn, at zooms 9–14.
//
//	go run ./bench/maptiles [-runs 3] [-zooms 9,10,11,12,13,14] [-lat 9.935 -lon 106.345]
//
// The demo (synthetic stations, 50 m cells) is served on loopback; every answer is computed
// before measuring (both ways are served from the server's cache). Each run opens a fresh tab
// with the cache off, a 390×844 viewport at device pixel ratio 3, the CPU slowed 4× and a
// "slow 4G" network (150 ms round trip, 1.6 Mbit/s down, Lighthouse's mobile profile), and
// loads /?coverage=geojson|tiles#map=zoom/lat/lon. The two ways alternate within each
// repetition (GeoJSON first on odd runs, tiles first on even ones); medians are reported.
// Chromium and the server share the machine's cores.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/server"
	"phusong/server/app"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "maptiles:", err)
		os.Exit(1)
	}
}

// sample is one page load.
type sample struct {
	coverageBytes, totalBytes int
	drawnMs                   float64
	requests                  int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("maptiles", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "repetitions of each (zoom, way)")
	zoomList := fs.String("zooms", "9,10,11,12,13,14", "zooms to measure")
	lat := fs.Float64("lat", 9.935, "centre latitude (default: Trà Vinh city)")
	lon := fs.Float64("lon", 106.345, "centre longitude")
	chromium := fs.String("chromium", "/usr/bin/chromium", "the browser")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var zooms []int
	for _, z := range strings.Split(*zoomList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(z))
		if err != nil {
			return fmt.Errorf("-zooms: %w", err)
		}
		zooms = append(zooms, n)
	}
	base, err := serveDemo(ctx)
	if err != nil {
		return err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(*chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(os.TempDir()+"/phusong-maptiles"))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		return fmt.Errorf("starting %s: %w", *chromium, err)
	}
	ways := []string{"geojson", "tiles"}
	// One unmeasured load of each way and zoom: every answer is then in the server's cache.
	for _, z := range zooms {
		for _, w := range ways {
			if _, err := load(browser, base, w, z, *lat, *lon); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, "phone profile: 390×844 @3x, CPU 4× slower, 150 ms RTT, 1.6 Mbit/s down; centre %.4f, %.4f; %d runs, medians\n", *lat, *lon, *runs)
	fmt.Fprintf(out, "%4s  %-8s %14s %14s %10s %9s\n", "zoom", "way", "coverage KiB", "page KiB", "requests", "drawn ms")
	for _, z := range zooms {
		got := map[string][]sample{}
		for r := range *runs {
			order := ways
			if r%2 == 1 {
				order = []string{ways[1], ways[0]}
			}
			for _, w := range order {
				s, err := load(browser, base, w, z, *lat, *lon)
				if err != nil {
					return err
				}
				got[w] = append(got[w], s)
			}
		}
		for _, w := range ways {
			ss := got[w]
			fmt.Fprintf(out, "%4d  %-8s %14.1f %14.1f %10d %9.0f\n", z, w,
				median(ss, func(s sample) float64 { return float64(s.coverageBytes) / 1024 }),
				median(ss, func(s sample) float64 { return float64(s.totalBytes) / 1024 }),
				int(median(ss, func(s sample) float64 { return float64(s.requests) })),
				median(ss, func(s sample) float64 { return s.drawnMs }))
		}
	}
	return nil
}

// serveDemo computes the demo and serves it on a loopback port until ctx ends.
func serveDemo(ctx context.Context) (string, error) {
	communes, err := demo.Communes()
	if err != nil {
		return "", err
	}
	sites, err := demo.Sites()
	if err != nil {
		return "", err
	}
	st, err := app.Build(ctx, app.Input{Communes: communes, Sites: sites, Note: demo.Note, Coverage: coverage.Options{}})
	if err != nil {
		return "", err
	}
	a, err := app.New(st, nil, nil)
	if err != nil {
		return "", err
	}
	srv, err := server.New(a, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", err
	}
	if err := srv.Warm(ctx); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() {
		if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "maptiles: server:", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// load opens the map in a fresh phone-emulating tab and waits for the coverage to be drawn.
func load(browser context.Context, base, way string, zoom int, lat, lon float64) (sample, error) {
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	tab, cancelT := context.WithTimeout(tab, 2*time.Minute)
	defer cancelT()
	url := fmt.Sprintf("%s/?coverage=%s#map=%d/%.5f/%.5f", base, way, zoom, lat, lon)
	type result struct {
		Drawn    float64 `json:"drawn"`
		Coverage int     `json:"coverage"`
		Total    int     `json:"total"`
		Requests int     `json:"requests"`
	}
	fail := func(err error) (sample, error) { return sample{}, fmt.Errorf("%s at zoom %d: %w", way, zoom, err) }
	steps := []func() error{
		func() error { _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); return err },
		func() error {
			_, err := chromedp.Call(tab, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
			return err
		},
		func() error {
			_, err := chromedp.Call(tab, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Latency: 150, DownloadThroughput: 1.6e6 / 8, UploadThroughput: 750e3 / 8}}})
			return err
		},
		func() error {
			_, err := chromedp.Call(tab, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 3, Mobile: true})
			return err
		},
		func() error {
			_, err := chromedp.Call(tab, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true})
			return err
		},
		func() error {
			_, err := chromedp.Call(tab, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4})
			return err
		},
		func() error { return chromedp.Do(tab, chromedp.Navigate(url)) },
		func() error {
			_, err := chromedp.Run(tab, chromedp.Poll[bool](`performance.getEntriesByName('coverage-drawn').length > 0`, chromedp.WithPollingTimeout(90*time.Second)))
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fail(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // late resource timings
	res, err := chromedp.Run(tab, chromedp.Evaluate[result](`(() => {
		const rs = performance.getEntriesByType('resource'), nav = performance.getEntriesByType('navigation')[0];
		const cov = rs.filter((r) => r.name.includes('/api/v1/coverage') || r.name.includes('/tiles/coverage'));
		const drawn = performance.getEntriesByName('coverage-drawn')[0].startTime;
		const before = rs.filter((r) => r.responseEnd <= drawn);
		return { drawn, coverage: cov.reduce((a, r) => a + r.transferSize, 0),
			total: nav.transferSize + before.reduce((a, r) => a + r.transferSize, 0), requests: before.length + 1 };
	})()`))
	if err != nil {
		return fail(err)
	}
	return sample{coverageBytes: res.Coverage, totalBytes: res.Total, drawnMs: res.Drawn, requests: res.Requests}, nil
}

// median is the median of f over ss.
func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else if n > 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return 0
}
