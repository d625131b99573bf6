package measure

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
)

// TestCompareKeepsOrder: Compare's records follow the samples' order whatever the number of
// workers (batches finish in any order), so the map's squares (Bins: a scan is a run of
// consecutive samples) are the same with one worker and with four.
func TestCompareKeepsOrder(t *testing.T) {
	base := demoEngine(t)
	samples := drive(t, nil, 6*batchSize, 11, Pair{"viettel", data.Tech4G}, Pair{"mobifone", data.Tech3G})
	if len(samples) < 3*batchSize {
		t.Fatalf("%d samples: want several batches", len(samples))
	}
	one, err := Compare(context.Background(), predictor(t, base), seq(samples), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	tm := base.Projection()
	for range 3 { // batches finish in another order each time
		const workers = 4
		many, err := Compare(context.Background(), predictor(t, base), seq(samples), Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range many.recs {
			if xy := tm.Forward([2]float64{samples[i].Lon, samples[i].Lat}); r.x != float32(xy[0]) || r.y != float32(xy[1]) || r.unixS != samples[i].Time.Unix() {
				t.Fatalf("%d workers: record %d is not sample %d's", workers, i, i)
			}
		}
		if fmt.Sprintf("%+v", one.Bins(Filter{}, 500, orb.Bound{})) != fmt.Sprintf("%+v", many.Bins(Filter{}, 500, orb.Bound{})) { // NaN residuals: as printed
			t.Errorf("%d workers: the squares differ from one worker's", workers)
		}
	}
}
