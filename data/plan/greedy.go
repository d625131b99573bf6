// Package plan suggests where to build: up to N new sites, chosen among candidate positions,
// that maximise the people newly covered for one carrier or for any carrier.
//
// Model: every candidate has a footprint, the set of target cells (land cells with people that
// the carrier, or no carrier, covers today) its site alone would cover (coverage.Engine.SiteCells:
// the engine's own model, so a pick's cells are covered in a full recompute once it is on air).
// The people newly covered by a set of picks is the people of the union of their footprints: a
// weighted coverage function, monotone and submodular, so the greedy choice (repeatedly the
// candidate adding the most people) reaches at least 1 − 1/e of the optimum (Nemhauser, Wolsey
// and Fisher 1978). Greedy is lazy (Minoux 1978): a candidate's gain only shrinks as picks are
// made, so a stale gain is an upper bound and only the head of a priority queue is re-evaluated.
//
// Ties are broken by candidate order, so a run is deterministic for a fixed input.
package plan

import (
	"container/heap"
	"context"
	"fmt"
)

// Greedy picks up to n of sets (each a list of element indexes into weight, no repeats)
// maximising the total weight of their union, by lazy greedy. It returns the picks in order
// and the weight each added (positive, non-increasing); it stops early when no set adds
// weight. Ties go to the lower set index. It stops with ctx's error when ctx is cancelled.
func Greedy(ctx context.Context, sets [][]int32, weight []float64, n int) (picks []int, gains []float64, err error) {
	covered := make([]bool, len(weight))
	gain := func(s int) float64 {
		var g float64
		for _, e := range sets[s] {
			if !covered[e] {
				g += weight[e]
			}
		}
		return g
	}
	q := make(gainQueue, 0, len(sets))
	for s := range sets {
		if g := gain(s); g > 0 {
			q = append(q, entry{set: s, gain: g, round: 0})
		}
	}
	heap.Init(&q)
	for len(picks) < n && q.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return picks, gains, fmt.Errorf("plan: %w", err)
		}
		top := q[0]
		if top.round == len(picks) {
			// Fresh for the current picks: its gain is exact and no other can beat it.
			heap.Pop(&q)
			picks, gains = append(picks, top.set), append(gains, top.gain)
			for _, e := range sets[top.set] {
				covered[e] = true
			}
			continue
		}
		g := gain(top.set)
		if g <= 0 {
			heap.Pop(&q)
			continue
		}
		q[0].gain, q[0].round = g, len(picks)
		heap.Fix(&q, 0)
	}
	return picks, gains, nil
}

// entry is a set with its gain as of round (the number of picks made when it was computed).
type entry struct {
	set   int
	gain  float64
	round int
}

// gainQueue is a max-heap by gain, then by lower set index.
type gainQueue []entry

func (q gainQueue) Len() int { return len(q) }
func (q gainQueue) Less(i, j int) bool {
	if q[i].gain != q[j].gain {
		return q[i].gain > q[j].gain
	}
	return q[i].set < q[j].set
}
func (q gainQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *gainQueue) Push(x any)   { *q = append(*q, x.(entry)) }
func (q *gainQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
