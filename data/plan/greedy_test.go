package plan

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// unionWeight is the weight of the union of the chosen sets.
func unionWeight(sets [][]int32, weight []float64, chosen []int) float64 {
	seen := map[int32]bool{}
	var w float64
	for _, s := range chosen {
		for _, e := range sets[s] {
			if !seen[e] {
				seen[e] = true
				w += weight[e]
			}
		}
	}
	return w
}

// optimum is the best union weight of at most n sets, by trying every combination.
func optimum(sets [][]int32, weight []float64, n int) float64 {
	best := 0.0
	var rec func(start int, chosen []int)
	rec = func(start int, chosen []int) {
		best = max(best, unionWeight(sets, weight, chosen))
		if len(chosen) == n {
			return
		}
		for s := start; s < len(sets); s++ {
			rec(s+1, append(chosen, s))
		}
	}
	rec(0, nil)
	return best
}

// TestGreedyHandMade: cases whose optimum greedy must reach exactly.
//
//	elements  0 1 2 3 4 5        weights 5 5 1 1 1 1
//	set 0     x x                 (the two heavy ones: 10)
//	set 1         x x x x         (the four light ones: 4)
//	set 2     x   x               (6, overlaps set 0)
//	set 3       x     x           (6, overlaps set 0)
func TestGreedyHandMade(t *testing.T) {
	weight := []float64{5, 5, 1, 1, 1, 1}
	sets := [][]int32{{0, 1}, {2, 3, 4, 5}, {0, 2}, {1, 4}}
	cases := []struct {
		name  string
		n     int
		picks []int
		gains []float64
	}{
		{"one", 1, []int{0}, []float64{10}},
		{"two", 2, []int{0, 1}, []float64{10, 4}},
		{"more than useful", 5, []int{0, 1}, []float64{10, 4}}, // sets 2 and 3 add nothing after 0 and 1
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			picks, gains, err := Greedy(context.Background(), sets, weight, c.n)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(picks, c.picks) || !slices.Equal(gains, c.gains) {
				t.Fatalf("picks %v gains %v, want %v %v", picks, gains, c.picks, c.gains)
			}
			if got, opt := unionWeight(sets, weight, picks), optimum(sets, weight, c.n); got != opt {
				t.Fatalf("greedy %g, optimum %g", got, opt)
			}
		})
	}
	// Ties go to the lower index: two identical sets.
	picks, _, _ := Greedy(context.Background(), [][]int32{{1}, {0}, {0}}, []float64{2, 2}, 1)
	if !slices.Equal(picks, []int{0}) {
		t.Fatalf("tie picked %v, want [0]", picks)
	}
}

// TestGreedyAgainstOptimum: on seeded random small instances greedy reaches at least 1 − 1/e
// of the exhaustive optimum, its gains are positive and non-increasing and add up to its union
// weight, and a second run gives the same picks.
func TestGreedyAgainstOptimum(t *testing.T) {
	seed := uint64(20261205)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	worst := 1.0
	for trial := range 300 {
		nElem, nSets, n := 4+rng.IntN(12), 2+rng.IntN(9), 1+rng.IntN(4)
		weight := make([]float64, nElem)
		for e := range weight {
			weight[e] = float64(rng.IntN(50))
		}
		sets := make([][]int32, nSets)
		for s := range sets {
			for e := range nElem {
				if rng.Float64() < 0.3 {
					sets[s] = append(sets[s], int32(e))
				}
			}
		}
		picks, gains, err := Greedy(context.Background(), sets, weight, n)
		if err != nil {
			t.Fatal(err)
		}
		got, opt := unionWeight(sets, weight, picks), optimum(sets, weight, n)
		if got < (1-1/math.E)*opt-1e-9 {
			t.Fatalf("trial %d: greedy %g < (1−1/e) × optimum %g", trial, got, opt)
		}
		if opt > 0 {
			worst = min(worst, got/opt)
		}
		var sum float64
		for i, g := range gains {
			if g <= 0 || i > 0 && g > gains[i-1] {
				t.Fatalf("trial %d: gains %v not positive and non-increasing", trial, gains)
			}
			sum += g
		}
		if math.Abs(sum-got) > 1e-9 {
			t.Fatalf("trial %d: gains add to %g, union %g", trial, sum, got)
		}
		again, _, _ := Greedy(context.Background(), sets, weight, n)
		if !slices.Equal(again, picks) {
			t.Fatalf("trial %d: %v then %v", trial, picks, again)
		}
	}
	t.Logf("worst greedy/optimum ratio over 300 instances: %.3f", worst)
}

func TestGreedyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Greedy(ctx, [][]int32{{0}}, []float64{1}, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
