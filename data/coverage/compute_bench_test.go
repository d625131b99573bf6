package coverage

import (
	"math"
	"testing"

	"phusong/data/land"
)

// evalJob is one layer of one tile, its candidate groups ready.
type evalJob struct {
	t      *land.Tile
	groups []candGroup
}

// demoEvalJobs prepares every (tile, layer) of the demo at cellM for evaluate.
func demoEvalJobs(b *testing.B, cellM float64) (*worker, []evalJob) {
	e, st, _ := demoResult(b, cellM)
	snap := st.Snapshot()
	sites := e.countedSites(snap)
	models, err := e.modelAll(sites)
	if err != nil {
		b.Fatal(err)
	}
	carriers := carrierOrder(sites)
	w := &worker{e: e, snap: snap, carriers: carriers, models: models}
	var jobs []evalJob
	for tix := range e.land.Tiles {
		t := &e.land.Tiles[tix]
		if t.End == t.Start {
			continue
		}
		for _, carrier := range carriers {
			cands := e.candidates(snap, tix, carrier)
			for ti := range e.rules {
				if _, err := w.candGroups(t, cands, ti); err != nil {
					b.Fatal(err)
				}
				if len(w.groups) > 0 {
					jobs = append(jobs, evalJob{t: t, groups: append([]candGroup(nil), w.groups...)})
				}
			}
		}
	}
	return w, jobs
}

// benchEvaluate times fn over every (tile, layer) of the demo on one goroutine: the grid
// evaluation alone, without the candidate search, the chunks and the statistics.
func benchEvaluate(b *testing.B, fn func(w *worker, t *land.Tile, rect land.CellRect, best []float64, serv []uint16)) {
	w, jobs := demoEvalJobs(b, DefaultCellM)
	best := make([]float64, land.TileCells*land.TileCells)
	serv := make([]uint16, land.TileCells*land.TileCells)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, j := range jobs {
			w.groups = j.groups
			for o := range j.t.End - j.t.Start {
				best[o], serv[o] = math.Inf(-1), noServer
			}
			fn(w, j.t, j.t.Rect(), best, serv)
		}
	}
}

// BenchmarkEvaluateDemo is worker.evaluate over the demo's 50 m grid, every layer.
func BenchmarkEvaluateDemo(b *testing.B) {
	benchEvaluate(b, (*worker).evaluate)
}

// BenchmarkEvaluateDemoReference is the same with refEvaluate, the implementation before the
// block pruning.
func BenchmarkEvaluateDemoReference(b *testing.B) {
	benchEvaluate(b, refEvaluate)
}
