package coverage

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
)

// Property tests of the engine's kernels on random inputs (seeded; the seeds are logged).

// TestEachParallel: eachParallel visits every index of [0, n) exactly once on at most min(workers,
// n) goroutines (one newWorker call each); cancelled by the k-th visit, it hands out indexes in
// order and stops: the visited indexes are [0, m), m ≥ k, and once cancel has returned each
// goroutine begins at most one more visit (the one it took before seeing the cancellation).
func TestEachParallel(t *testing.T) {
	const seed = 0xea0
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 300 {
		n, workers := rng.IntN(300), 1+rng.IntN(8)
		visits := make([]atomic.Int32, n)
		var made atomic.Int32
		eachParallel(context.Background(), workers, n, func() func(int) {
			made.Add(1)
			return func(i int) { visits[i].Add(1) }
		})
		for i := range visits {
			if v := visits[i].Load(); v != 1 {
				t.Fatalf("n %d, %d workers: index %d visited %d times", n, workers, i, v)
			}
		}
		if m := int(made.Load()); m > min(workers, n) {
			t.Fatalf("n %d, %d workers: %d workers made", n, workers, m)
		}
		if n == 0 {
			continue
		}
		k := 1 + rng.IntN(n)
		ctx, cancel := context.WithCancel(context.Background())
		var (
			done, late atomic.Int32
			cancelled  atomic.Bool
		)
		for i := range visits {
			visits[i].Store(0)
		}
		eachParallel(ctx, workers, n, func() func(int) {
			return func(i int) {
				if cancelled.Load() {
					late.Add(1) // begun after cancel returned
				}
				visits[i].Add(1)
				if done.Add(1) == int32(k) {
					cancel()
					cancelled.Store(true)
				}
			}
		})
		cancel()
		m := 0
		for m < n && visits[m].Load() == 1 {
			m++
		}
		for i := range visits {
			if v := visits[i].Load(); (i < m && v != 1) || (i >= m && v != 0) {
				t.Fatalf("n %d, %d workers, cancelled at visit %d: index %d visited %d times (first %d visited)", n, workers, k, i, v, m)
			}
		}
		if m < k || int(late.Load()) > min(workers, n)-1 {
			t.Fatalf("n %d, %d workers, cancelled at visit %d: %d visited, %d begun after the cancellation", n, workers, k, m, late.Load())
		}
	}
}

// TestMinMaxHorzDB: for random beamwidths and caps and random spans [cMin, cMax] of the cosine
// to the boresight (a few ulps past ±1 too), minHorzDB(cMax) ≤ the interpolated pattern
// (horzAt, as farDBm reads it) ≤ maxHorzDB(cMin) at the span's ends and at random cosines
// within it; both are 0 for an omni sector.
func TestMinMaxHorzDB(t *testing.T) {
	const seed = 0x4b0
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	ts := &tables{dist: map[lossKey]*distTable{}, horz: map[hKey][]float32{}}
	if s := (&sectorModel{}); s.minHorzDB(0.3) != 0 || s.maxHorzDB(-0.3) != 0 {
		t.Errorf("omni bounds %g, %g, want 0, 0", s.minHorzDB(0.3), s.maxHorzDB(-0.3))
	}
	edge := func() float64 { // ±1, or a few ulps beyond or within
		c := []float64{-1, 1}[rng.IntN(2)]
		for range rng.IntN(4) {
			c = math.Nextafter(c, []float64{-2, 2}[rng.IntN(2)])
		}
		return c
	}
	for range 2000 {
		hbw, am := 20+rng.Float64()*100, 15+rng.Float64()*15
		var s sectorModel
		s.horz, s.horzMin, s.horzMax = ts.horzFor(hKey{hbw, am})
		a, b := rng.Float64()*2-1, rng.Float64()*2-1
		if rng.IntN(4) == 0 {
			a = edge()
		}
		if rng.IntN(4) == 0 {
			b = a + (min(1, a+1e-3)-a)*rng.Float64() // a narrow span, not past 1 by more than a's ulps
		}
		cMin, cMax := min(a, b), max(a, b)
		lo, hi := s.minHorzDB(cMax), s.maxHorzDB(cMin)
		for q := range 40 {
			c := cMin + (cMax-cMin)*rng.Float64()
			switch q {
			case 0:
				c = cMin
			case 1:
				c = cMax
			}
			if h := horzAt(s.horz, c); !(lo <= h && h <= hi) {
				t.Fatalf("beamwidth %g°, cap %g dB, cos in [%g, %g]: pattern %g dB at %g outside [%g, %g]", hbw, am, cMin, cMax, h, c, lo, hi)
			}
		}
	}
}

// TestCountTileBruteForce: on the small case's land with random people per cell and four
// carriers of random levels in every chunk (around the required outdoor and indoor levels,
// below the cutoff, NaN) and random nil chunks, countTile's counts of cells and people for a
// random set of communes equal the sums of add over every cell of those communes.
func TestCountTileBruteForce(t *testing.T) {
	const seed = 0xc07
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	e, _ := smallCase(t, 100)
	l := e.land
	e.cellPeople = make([]int64, len(l.CellI)) // a population grid: the people are counted alongside
	for k := range e.cellPeople {
		e.cellPeople[k] = rng.Int64N(1e9)
	}
	carriers := []string{"a", "b", "c", "d"}
	for range 20 {
		rr := &Result{eng: e, carriers: carriers, layers: make([][]layer, len(carriers))}
		for c := range carriers {
			rr.layers[c] = make([]layer, len(e.rules))
			for ti, rule := range e.rules {
				rr.layers[c][ti] = make(layer, len(l.Tiles))
				for tix := range l.Tiles {
					t := &l.Tiles[tix]
					if rng.IntN(5) == 0 {
						continue // nil chunk: no candidate
					}
					ch := &chunk{level: make([]float32, t.End-t.Start)}
					for o := range ch.level {
						ch.level[o] = [...]float32{
							float32(rule.requiredOut), float32(rule.requiredIn), float32(rule.requiredOut) - 1e-4,
							float32(rule.requiredIn) + 3, float32(rule.cutoff) - 2, float32(math.NaN()),
							float32(rule.requiredOut) + float32(rng.Float64()*10-5),
						}[rng.IntN(7)]
					}
					rr.layers[c][ti][tix] = ch
				}
			}
		}
		redo := make([]bool, len(e.communes))
		got, want := make([]communeCounts, len(e.communes)), make([]communeCounts, len(e.communes))
		for ci := range redo {
			if redo[ci] = rng.IntN(3) > 0; redo[ci] {
				got[ci] = newCounts(len(e.rules), len(rr.carriers))
				want[ci] = newCounts(len(e.rules), len(rr.carriers))
			}
		}
		cnt := newCounter(rr)
		for tix := range l.Tiles {
			t := &l.Tiles[tix]
			cnt.tile(int32(tix))
			cnt.countTile(got, redo, t)
			for k := t.Start; k < t.End; k++ {
				if ci := l.CellCommune[k]; redo[ci] {
					cnt.add(&want[ci], k-t.Start, 1)
				}
			}
		}
		for ci := range redo {
			if !reflect.DeepEqual(got[ci], want[ci]) {
				t.Fatalf("commune %d: countTile %+v, per cell %+v", ci, got[ci], want[ci])
			}
		}
	}
}
