package server

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sampleLine is one Prometheus text sample: name, optional {labels}, value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.]+(?:[eE][-+]?[0-9]+)?|\+Inf|NaN)$`)

func TestMetrics(t *testing.T) {
	_, ts := newTestServer(t)
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
	samples := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
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
		samples[m[1]+m[2]] = v
	}
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := samples[tc.series]
			if !ok || got != tc.want {
				t.Fatalf("%s = %v (present %v), want %v", tc.series, got, ok, tc.want)
			}
		})
	}
}
