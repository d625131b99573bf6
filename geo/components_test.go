package geo

import (
	"math/rand/v2"
	"testing"
)

// labelOracle labels the 8-connected components of mask by union-find over each cell's
// east, north-west, north and north-east neighbours (a different walk from Components8's), returning
// per cell a representative (−1 outside).
func labelOracle(mask []bool, nx, ny int) []int {
	parent := make([]int, len(mask))
	for k := range parent {
		parent[k] = k
	}
	var find func(int) int
	find = func(k int) int {
		for parent[k] != k {
			parent[k] = parent[parent[k]]
			k = parent[k]
		}
		return k
	}
	for k, in := range mask {
		if !in {
			continue
		}
		i, j := k%nx, k/nx
		for _, d := range [][2]int{{1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
			if a, b := i+d[0], j+d[1]; a >= 0 && a < nx && b < ny && mask[b*nx+a] {
				parent[find(b*nx+a)] = find(k)
			}
		}
	}
	out := make([]int, len(mask))
	for k, in := range mask {
		out[k] = -1
		if in {
			out[k] = find(k)
		}
	}
	return out
}

// TestComponents8: Components8's components are the union-find oracle's, numbered in the order of their
// first cell, on seeded random masks of several densities.
func TestComponents8(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for range 200 {
		nx, ny := 1+rng.IntN(40), 1+rng.IntN(40)
		p := rng.Float64()
		mask := make([]bool, nx*ny)
		for k := range mask {
			mask[k] = rng.Float64() < p
		}
		got, n := Components8(mask, nx, ny)
		want := labelOracle(mask, nx, ny)
		seen := map[int]int32{} // oracle representative → label
		next := int32(0)
		for k := range mask {
			if (got[k] < 0) != (want[k] < 0) {
				t.Fatalf("cell %d: label %d, oracle %d", k, got[k], want[k])
			}
			if want[k] < 0 {
				continue
			}
			lb, ok := seen[want[k]]
			if !ok {
				lb = next
				seen[want[k]] = lb
				next++
			}
			if got[k] != lb {
				t.Fatalf("%d × %d mask, cell %d: label %d, want %d", nx, ny, k, got[k], lb)
			}
		}
		if n != int(next) {
			t.Fatalf("%d components, oracle %d", n, next)
		}
	}
}
