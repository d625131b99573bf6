package server

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sampleLine is one Prometheus text sample: name, optional {labels}, value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.]+(?:[eE][-+]?[0-9]+)?|\+Inf|NaN)$`)

func TestMetrics(t *testing.T) {
	s, ts := newTestServer(t)
	b := s.build
	viettel := 0
	for _, site := range demoInput.Sites {
		if site.Carrier == "viettel" {
			viettel++
		}
	}
	const communesCalls, badCalls = 3, 2
	for range communesCalls {
		get(t, ts.URL+"/api/v1/communes")
	}
	for range badCalls {
		get(t, ts.URL+"/api/v1/coverage?tech=9G")
	}
	r := get(t, ts.URL+"/metrics")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	samples := parseSamples(t, r.body)
	cases := []struct {
		name   string
		series string
		want   float64
	}{
		{"communes 200s", `phusong_http_requests_total{method="GET",route="/api/v1/communes",code="200"}`, communesCalls},
		{"coverage 400s", `phusong_http_requests_total{method="GET",route="/api/v1/coverage",code="400"}`, badCalls},
		{"histogram count", `phusong_http_request_duration_seconds_count{method="GET",route="/api/v1/communes"}`, communesCalls},
		{"histogram +Inf bucket", `phusong_http_request_duration_seconds_bucket{method="GET",route="/api/v1/communes",le="+Inf"}`, communesCalls},
		{"one build, two hits", `phusong_response_cache_hits_total`, communesCalls - 1},
		{"sites by carrier", `phusong_sites{carrier="viettel"}`, float64(viettel)},
		{"one publish", `phusong_data_swaps_total`, 1},
		{"build info", fmt.Sprintf(`phusong_build_info{goversion=%q,modified=%q,revision=%q,version=%q,vcs_time=%q}`,
			b.GoVersion, strconv.FormatBool(b.Modified), b.Revision, b.Version, b.Time), 1},
		{"go collector", `go_goroutines`, -1},
		{"go collector memstats", `go_memstats_heap_alloc_bytes`, -1},
		{"process collector", `process_start_time_seconds`, -1},
		{"process collector cpu", `process_cpu_seconds_total`, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, labels, _ := strings.Cut(tc.series, "{")
			if labels != "" {
				labels = "{" + labels
			}
			got, ok := samples[canonicalSeries(name, labels)]
			if tc.want < 0 && ok && got > 0 { // present and positive
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("%s = %v (present %v), want %v", tc.series, got, ok, tc.want)
			}
		})
	}
}

// parseSamples reads a Prometheus text exposition into series → value, each series written
// with its labels sorted by name (the exposition's label order is not part of a series).
func parseSamples(t *testing.T, body []byte) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a Prometheus sample line: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil && m[3] != "+Inf" {
			t.Fatalf("value in %q: %v", line, err)
		}
		samples[canonicalSeries(m[1], m[2])] = v
	}
	return samples
}

// canonicalSeries writes a series name and its {labels} (may be "") with the labels sorted.
func canonicalSeries(name, labels string) string {
	if labels == "" {
		return name
	}
	pairs := labelPair.FindAllString(labels, -1)
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// labelPair is one name="value" of a label set.
var labelPair = regexp.MustCompile(`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"`)
