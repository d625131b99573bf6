package server

import (
	"bytes"
	"fmt"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"sync/atomic"
	"time"
)

// Prometheus text exposition (format 0.0.4), written by hand: a dozen series do not justify
// client_golang's dependency tree, and counting with atomics per route keeps the hot path
// free of locks and map lookups (each route's counters are bound to its handler at start).

// latencyBucketsS are the request-duration histogram bounds, seconds.
var latencyBucketsS = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// routeMetrics counts one route's requests by status and duration.
type routeMetrics struct {
	method, path string
	byStatus     [600]atomic.Uint64
	buckets      [len(latencyBucketsS)]atomic.Uint64
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

// metrics is the server's whole set of counters.
type metrics struct {
	start          time.Time
	routes         []*routeMetrics // route-table order, then "unmatched"
	cacheHits      atomic.Uint64
	cacheMisses    atomic.Uint64
	cacheWarmed    atomic.Uint64 // answers built for a new data version before it was served
	cacheEvictions atomic.Uint64
}

func newMetrics() *metrics { return &metrics{start: time.Now()} }

// route registers and returns the counters of one route.
func (m *metrics) route(method, path string) *routeMetrics {
	r := &routeMetrics{method: method, path: path}
	m.routes = append(m.routes, r)
	return r
}

// write renders every series in Prometheus text format. v may be nil (no data loaded).
func (m *metrics) write(buf *bytes.Buffer, v *view, publishes uint64) {
	help := func(name, typ, text string) {
		fmt.Fprintf(buf, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
	}
	help("phusong_http_requests_total", "counter", "HTTP requests by route and status code.")
	for _, r := range m.routes {
		for code := range r.byStatus {
			if n := r.byStatus[code].Load(); n > 0 {
				fmt.Fprintf(buf, "phusong_http_requests_total{method=%q,route=%q,code=\"%d\"} %d\n", r.method, r.path, code, n)
			}
		}
	}
	help("phusong_http_request_duration_seconds", "histogram", "Time from routing to the last byte handed to the connection, by route.")
	for _, r := range m.routes {
		count := r.count.Load()
		if count == 0 {
			continue
		}
		var cum uint64
		for i, le := range latencyBucketsS {
			cum += r.buckets[i].Load()
			fmt.Fprintf(buf, "phusong_http_request_duration_seconds_bucket{method=%q,route=%q,le=%q} %d\n", r.method, r.path, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(buf, "phusong_http_request_duration_seconds_bucket{method=%q,route=%q,le=\"+Inf\"} %d\n", r.method, r.path, count)
		fmt.Fprintf(buf, "phusong_http_request_duration_seconds_sum{method=%q,route=%q} %g\n", r.method, r.path, float64(r.sumNanos.Load())/1e9)
		fmt.Fprintf(buf, "phusong_http_request_duration_seconds_count{method=%q,route=%q} %d\n", r.method, r.path, count)
	}
	help("phusong_response_cache_hits_total", "counter", "Answers served from the per-data-version response cache.")
	fmt.Fprintf(buf, "phusong_response_cache_hits_total %d\n", m.cacheHits.Load())
	help("phusong_response_cache_misses_total", "counter", "Answers computed and stored in the per-data-version response cache.")
	fmt.Fprintf(buf, "phusong_response_cache_misses_total %d\n", m.cacheMisses.Load())
	help("phusong_response_cache_warmed_total", "counter", "Answers built for a new data version before it was served.")
	fmt.Fprintf(buf, "phusong_response_cache_warmed_total %d\n", m.cacheWarmed.Load())
	help("phusong_response_cache_evictions_total", "counter", "Answers dropped from the response cache to stay within its byte limit.")
	fmt.Fprintf(buf, "phusong_response_cache_evictions_total %d\n", m.cacheEvictions.Load())
	help("phusong_data_swaps_total", "counter", "Times a new (snapshot, coverage) state was swapped in.")
	fmt.Fprintf(buf, "phusong_data_swaps_total %d\n", publishes)
	if v != nil {
		help("phusong_data_version", "gauge", "Version of the site snapshot being served.")
		fmt.Fprintf(buf, "phusong_data_version %d\n", v.version)
		help("phusong_sites", "gauge", "Sites in the served snapshot, by carrier.")
		for _, c := range v.carriers {
			fmt.Fprintf(buf, "phusong_sites{carrier=%q} %d\n", c.ID, c.Sites)
		}
		entries, bytes := v.cache.stats()
		help("phusong_response_cache_entries", "gauge", "Cached answers for the served data version.")
		fmt.Fprintf(buf, "phusong_response_cache_entries %d\n", entries)
		help("phusong_response_cache_bytes", "gauge", "Bytes of the cached answers (raw and gzip) for the served data version.")
		fmt.Fprintf(buf, "phusong_response_cache_bytes %d\n", bytes)
	}
	help("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, seconds.")
	fmt.Fprintf(buf, "process_start_time_seconds %d\n", m.start.Unix())
	help("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	fmt.Fprintf(buf, "go_goroutines %d\n", runtime.NumGoroutine())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	help("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	fmt.Fprintf(buf, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	live := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(live)
	if live[0].Value.Kind() == rtmetrics.KindUint64 {
		help("go_gc_heap_live_bytes", "gauge", "Heap memory occupied by live objects that were marked by the previous GC.")
		fmt.Fprintf(buf, "go_gc_heap_live_bytes %d\n", live[0].Value.Uint64())
	}
}
