package plan

import (
	"context"
	"os"
	"runtime"
	"testing"

	"phusong/data"
)

// BenchmarkSuggestDemo: 20 sites for one carrier's 4G from every candidate (shared towers,
// fibre access points, a 300 m settled-land lattice) over the demo province at 50 m, on
// GOMAXPROCS workers. The engine and the baseline coverage are built once, outside the timer.
//
//	go test ./data/plan -run '^$' -bench SuggestDemo -benchtime 3x
func BenchmarkSuggestDemo(b *testing.B) {
	carrier := os.Getenv("PHUSONG_BENCH_CARRIER")
	if carrier == "" {
		carrier = "vietnamobile"
	}
	_, _, st, r, net := demoState(b, 50)
	opts := Options{Carrier: carrier, Tech: data.Tech4G, Count: 20, ShareTowers: true, SettledSpacingM: 300, Workers: runtime.GOMAXPROCS(0)}
	b.ReportAllocs()
	b.ResetTimer()
	var res *Result
	for b.Loop() {
		var err error
		if res, err = Suggest(context.Background(), r, st.Snapshot(), net, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Candidates), "candidates")
	b.ReportMetric(float64(len(res.Picks)), "picks")
	b.ReportMetric(res.Picks[len(res.Picks)-1].CumPeople, "people")
}
