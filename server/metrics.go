package server

import (
	"net/http"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"phusong/server/app"
)

// /metrics is served by Prometheus client_golang from a registry of the server's own (never the
// global default one): the Go runtime and process collectors, phusong_build_info, and the
// server's counters. Requests are counted with atomics per route, bound to each handler at
// start, so the hot path takes no lock and looks nothing up; a scrape turns the counters into
// constant metrics (collect). The phusong_* names and their meaning are those of the
// hand-written exposition they replace.

// latencyBucketsS are the request-duration histogram bounds, seconds.
var latencyBucketsS = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// routeMetrics counts one route's requests by status and duration.
type routeMetrics struct {
	method, path string
	byStatus     [600]atomic.Uint64
	buckets      [len(latencyBucketsS)]atomic.Uint64 // non-cumulative: the first bound each request fits
	count        atomic.Uint64
	sumNanos     atomic.Uint64
}

// observe records one request.
func (m *routeMetrics) observe(status int, d time.Duration) {
	if status < 100 || status >= len(m.byStatus) {
		status = 599
	}
	m.byStatus[status].Add(1)
	s := d.Seconds()
	for i, le := range latencyBucketsS {
		if s <= le {
			m.buckets[i].Add(1)
			break
		}
	}
	m.count.Add(1)
	m.sumNanos.Add(uint64(d.Nanoseconds()))
}

// metrics is the server's whole set of counters and the registry that exposes them.
type metrics struct {
	routes         []*routeMetrics // route-table order, then "unmatched"
	cacheHits      atomic.Uint64
	cacheMisses    atomic.Uint64
	cacheWarmed    atomic.Uint64 // answers built for a new data version before it was served
	cacheReused    atomic.Uint64 // of the warmed answers, those the same as the previous version's (body.compress)
	cacheEvictions atomic.Uint64

	view      func() *view  // the view served now (nil: no data loaded)
	publishes func() uint64 // states published so far
	handler   http.Handler  // promhttp over reg

	requests, duration, hits, misses, warmed, reused, evictions, swaps, version, sites, entries, cacheBytes, build *prometheus.Desc
	buildLabels                                                                                                    []string
}

// newMetrics returns the metrics of a server that serves view() and has published publishes()
// states, built as b says.
func newMetrics(b app.BuildInfo, view func() *view, publishes func() uint64) *metrics {
	m := &metrics{
		view: view, publishes: publishes,
		requests:   prometheus.NewDesc("phusong_http_requests_total", "HTTP requests by route and status code.", []string{"method", "route", "code"}, nil),
		duration:   prometheus.NewDesc("phusong_http_request_duration_seconds", "Time from routing to the last byte handed to the connection, by route.", []string{"method", "route"}, nil),
		hits:       prometheus.NewDesc("phusong_response_cache_hits_total", "Answers served from the per-data-version response cache.", nil, nil),
		misses:     prometheus.NewDesc("phusong_response_cache_misses_total", "Answers computed and stored in the per-data-version response cache.", nil, nil),
		swaps:      prometheus.NewDesc("phusong_data_swaps_total", "Times a new (snapshot, coverage) state was swapped in.", nil, nil),
		version:    prometheus.NewDesc("phusong_data_version", "Version of the site snapshot being served.", nil, nil),
		sites:      prometheus.NewDesc("phusong_sites", "Sites in the served snapshot, by carrier.", []string{"carrier"}, nil),
		entries:    prometheus.NewDesc("phusong_response_cache_entries", "Cached answers for the served data version.", nil, nil),
		warmed:     prometheus.NewDesc("phusong_response_cache_warmed_total", "Answers built for a new data version before it was served.", nil, nil),
		reused:     prometheus.NewDesc("phusong_response_cache_reused_total", "Answers built for a new data version that came out the same as the previous version's: its gzip form and ETag were kept.", nil, nil),
		evictions:  prometheus.NewDesc("phusong_response_cache_evictions_total", "Answers dropped from the response cache to stay within its byte limit.", nil, nil),
		cacheBytes: prometheus.NewDesc("phusong_response_cache_bytes", "Bytes of the cached answers (raw and gzip) for the served data version.", nil, nil),
		build: prometheus.NewDesc("phusong_build_info", "Always 1: the build serving, as go build stamped it (version, VCS revision and time, modified work tree, Go version).",
			[]string{"version", "revision", "vcs_time", "modified", "goversion"}, nil),
		buildLabels: []string{b.Version, b.Revision, b.Time, strconv.FormatBool(b.Modified), b.GoVersion},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		// The Go collector's defaults plus the live heap the last GC marked (go_gc_heap_live_bytes),
		// the figure that says whether the response cache stays within its bytes.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m,
	)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// route registers and returns the counters of one route.
func (m *metrics) route(method, path string) *routeMetrics {
	r := &routeMetrics{method: method, path: path}
	m.routes = append(m.routes, r)
	return r
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.requests, m.duration, m.hits, m.misses, m.warmed, m.reused, m.evictions, m.swaps, m.version, m.sites, m.entries, m.cacheBytes, m.build} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the counters as they are at the scrape.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, r := range m.routes {
		for code := range r.byStatus {
			if n := r.byStatus[code].Load(); n > 0 {
				ch <- prometheus.MustNewConstMetric(m.requests, prometheus.CounterValue, float64(n), r.method, r.path, strconv.Itoa(code))
			}
		}
	}
	for _, r := range m.routes {
		count := r.count.Load()
		if count == 0 {
			continue
		}
		buckets := make(map[float64]uint64, len(latencyBucketsS))
		var cum uint64
		for i, le := range latencyBucketsS {
			cum += r.buckets[i].Load()
			buckets[le] = min(cum, count) // a request observed after count was read is not in it: no bucket may exceed it
		}
		ch <- prometheus.MustNewConstHistogram(m.duration, count, float64(r.sumNanos.Load())/1e9, buckets, r.method, r.path)
	}
	ch <- prometheus.MustNewConstMetric(m.hits, prometheus.CounterValue, float64(m.cacheHits.Load()))
	ch <- prometheus.MustNewConstMetric(m.misses, prometheus.CounterValue, float64(m.cacheMisses.Load()))
	ch <- prometheus.MustNewConstMetric(m.warmed, prometheus.CounterValue, float64(m.cacheWarmed.Load()))
	ch <- prometheus.MustNewConstMetric(m.reused, prometheus.CounterValue, float64(m.cacheReused.Load()))
	ch <- prometheus.MustNewConstMetric(m.evictions, prometheus.CounterValue, float64(m.cacheEvictions.Load()))
	ch <- prometheus.MustNewConstMetric(m.swaps, prometheus.CounterValue, float64(m.publishes()))
	if v := m.view(); v != nil {
		ch <- prometheus.MustNewConstMetric(m.version, prometheus.GaugeValue, float64(v.version))
		for _, c := range v.carriers {
			ch <- prometheus.MustNewConstMetric(m.sites, prometheus.GaugeValue, float64(c.Sites), c.ID)
		}
		entries, bytes := v.cache.stats()
		ch <- prometheus.MustNewConstMetric(m.entries, prometheus.GaugeValue, float64(entries))
		ch <- prometheus.MustNewConstMetric(m.cacheBytes, prometheus.GaugeValue, float64(bytes))
	}
	ch <- prometheus.MustNewConstMetric(m.build, prometheus.GaugeValue, 1, m.buildLabels...)
}
