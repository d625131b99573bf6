package geo

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCellOutlinesWindow outlines windows [i0, i1) × [j0, j1) that do not start at cell (0, 0)
// of a seeded random set: CellOutlines may ask only the window's cells, and the outline must be
// that of the window's cells alone, placed at their own coordinates. The oracle is
// checkOutlines on the same window seen as a grid of its own (origin moved to cell (i0, j0)).
func TestCellOutlinesWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261205, 3))
	g := Grid{X0M: 1000, Y0M: -500, CellM: 10, NX: 30, NY: 20}
	set := make([]bool, g.Len())
	for k := range set {
		set[k] = rng.Float64() < 0.55
	}
	for _, win := range [][4]int{{3, 5, 11, 9}, {0, 7, 30, 20}, {12, 0, 30, 13}, {29, 19, 30, 20}} {
		i0, j0, i1, j1 := win[0], win[1], win[2], win[3]
		name := fmt.Sprint("window ", win)
		in := func(i, j int) bool {
			if i < i0 || i >= i1 || j < j0 || j >= j1 {
				t.Fatalf("%s: cell (%d, %d) asked", name, i, j)
			}
			return set[g.Index(i, j)]
		}
		mp := CellOutlines(g, i0, j0, i1, j1, in)
		own := Grid{X0M: g.X0M + float64(i0)*g.CellM, Y0M: g.Y0M + float64(j0)*g.CellM, CellM: g.CellM, NX: i1 - i0, NY: j1 - j0}
		checkOutlines(t, name, own, i1-i0, j1-j0, func(x, y int) bool { return in(i0+x, j0+y) }, mp)
	}
}
