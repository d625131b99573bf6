package coverage

import (
	"context"
	"math/rand/v2"
	"testing"

	"phusong/data"
	"phusong/data/demo"
	"phusong/data/store"
)

// BenchmarkComputeDemo is the full province recompute: every carrier, 3G and 4G, and the
// per-commune statistics, on the demo (1,250 sites, 41 communes, 900k land cells at 50 m).
func BenchmarkComputeDemo(b *testing.B) { benchCompute(b, Options{}) }

// BenchmarkComputeDemoPeople is BenchmarkComputeDemo with the demo's synthetic population grid:
// every count sums the cells' people too.
func BenchmarkComputeDemoPeople(b *testing.B) { benchCompute(b, demoPeople(b)) }

// demoPeople is the options of an engine with the demo's population grid.
func demoPeople(b *testing.B) Options {
	src, err := demo.Population()
	if err != nil {
		b.Fatal(err)
	}
	return Options{Population: src}
}

func benchCompute(b *testing.B, opts Options) {
	e, st, _ := demoResultWith(b, opts)
	snap := st.Snapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := e.Compute(context.Background(), snap); err != nil {
			b.Fatal(err)
		}
	}
}

// benchUpdate times Update after moving n random active sites by about 300 m (one store write
// per iteration, not timed), on an engine made with opts.
func benchUpdate(b *testing.B, n int, opts Options) {
	e, st, r := demoResultWith(b, opts)
	rng := rand.New(rand.NewPCG(7, 7))
	all := st.Snapshot().Sites(store.Filter{Status: data.StatusActive})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		batch := make([]data.Site, 0, n)
		for _, k := range rng.Perm(len(all))[:n] {
			s := *all[k]
			s.Lat += 0.003 * float64(1-2*(i%2))
			batch = append(batch, s)
		}
		ch, err := st.Upsert(batch)
		if err != nil {
			b.Fatal(err)
		}
		snap := st.Snapshot()
		b.StartTimer()
		if r, err = e.Update(ctx, r, snap, ch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateOneSite is an incremental update after one site moved.
func BenchmarkUpdateOneSite(b *testing.B) { benchUpdate(b, 1, Options{}) }

// BenchmarkUpdateOneSitePeople is BenchmarkUpdateOneSite with the demo's population grid.
func BenchmarkUpdateOneSitePeople(b *testing.B) { benchUpdate(b, 1, demoPeople(b)) }

// BenchmarkUpdate200Sites is an incremental update after 200 sites moved in one write.
func BenchmarkUpdate200Sites(b *testing.B) { benchUpdate(b, 200, Options{}) }

// BenchmarkFieldBuild builds the "any carrier" 4G field of the demo from scratch (full grid).
func BenchmarkFieldBuild(b *testing.B) {
	_, _, r := demoResult(b, DefaultCellM)
	ti := techIndex(data.Tech4G)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r.buildField(AnyCarrier, ti)
	}
}

// BenchmarkFieldAfterUpdate is Field(any, 4G) on the result of a one-site update whose input
// had built it: a copy of the previous field patched over the recomputed cells.
func BenchmarkFieldAfterUpdate(b *testing.B) {
	e, st, r := demoResult(b, DefaultCellM)
	all := st.Snapshot().Sites(store.Filter{Status: data.StatusActive})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		r.Field(AnyCarrier, data.Tech4G)
		s := *all[i%len(all)]
		s.Lat += 0.003
		ch, err := st.Upsert([]data.Site{s})
		if err != nil {
			b.Fatal(err)
		}
		if r, err = e.Update(ctx, r, st.Snapshot(), ch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		r.Field(AnyCarrier, data.Tech4G)
	}
}
