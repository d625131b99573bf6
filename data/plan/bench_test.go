package plan

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"

	"phusong/data"
)

// BenchmarkSuggestDemo: 20 sites for one carrier's 4G (vietnamobile, the carrier with the
// fewest sites; PHUSONG_BENCH_CARRIER overrides) from every candidate (shared towers, fibre
// access points, a settled-land lattice of 500 m or 300 m) over the demo province at 50 m, on
// GOMAXPROCS workers. The engine and the baseline coverage are built once, outside the timer;
// the candidates count is reported.
//
//	go test ./data/plan -run '^$' -bench SuggestDemo -benchtime 1x -count 3
func BenchmarkSuggestDemo(b *testing.B) {
	carrier := os.Getenv("PHUSONG_BENCH_CARRIER")
	if carrier == "" {
		carrier = "vietnamobile"
	}
	_, _, st, r, net := demoState(b, 50)
	for _, spacing := range []float64{500, 300} {
		b.Run(fmt.Sprintf("lattice=%gm", spacing), func(b *testing.B) {
			opts := Options{Carrier: carrier, Tech: data.Tech4G, Count: 20, ShareTowers: true, SettledSpacingM: spacing, Workers: runtime.GOMAXPROCS(0)}
			b.ReportAllocs()
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
		})
	}
}
