package contour

import (
	"math"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data/land"
	"phusong/geo"
)

// A 100 m square region on a 20 × 20 grid of 10 m cells (origin 0, 0), its boundary the four
// sides of [40, 140]²; cells whose centre lies inside are inside.
//
//	y
//	140 +-----------+        centre (45, 75): 5 m inside the west side   → +5
//	    |           |        centre (35, 75): 5 m outside the west side  → −5
//	    |   (+Inf)  |        centre (35, 35): outside the south-west corner, 7.07 m
//	    |           |          from it, 5 m from both side lines          → −5
//	 40 +-----------+        centre (75, 75): 35 m inside, beyond the band → +Inf
//	    40         140 x     centre (5, 5): beyond the band outside       → −30 (3 cells)
func TestSignedDistance(t *testing.T) {
	g := geo.Grid{CellM: 10, NX: 20, NY: 20}
	w := NewWindow(g, land.CellRect{I0: 0, J0: 0, I1: 20, J1: 20})
	inside := make([]bool, g.Len())
	for j := range g.NY {
		for i := range g.NX {
			c := g.Center(i, j)
			inside[g.Index(i, j)] = c[0] > 40 && c[0] < 140 && c[1] > 40 && c[1] < 140
		}
	}
	sq := orb.Ring{{40, 40}, {140, 40}, {140, 140}, {40, 140}, {40, 40}}
	d := SignedDistance(w, inside, RingSegments(nil, orb.MultiPolygon{{sq}}))
	cases := []struct {
		name string
		x, y float64
		want float64
	}{
		{"inside the west side", 45, 75, 5},
		{"outside the west side", 35, 75, -5},
		{"inside near the corner", 45, 45, 5},
		{"outside the corner", 35, 35, -5},
		{"outside the corner, off the diagonal", 25, 35, -15},
		{"two cells in", 55, 75, 15},
		{"deep inside", 75, 75, math.Inf(1)},
		{"far outside", 5, 5, -30},
	}
	for _, c := range cases {
		i, j, _ := g.CellOf(orb.Point{c.x, c.y})
		if got := float64(d[g.Index(i, j)]); got != c.want && math.Abs(got-c.want) > 1e-4 {
			t.Errorf("%s (%g, %g): %g, want %g", c.name, c.x, c.y, got, c.want)
		}
	}
}

// Two unit squares side by side (the second listed clockwise) share one edge: the province
// boundary is the other six edges.
func TestOuterSegments(t *testing.T) {
	a := orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}
	b := orb.MultiPolygon{{{{1, 0}, {1, 1}, {2, 1}, {2, 0}, {1, 0}}}}
	got := OuterSegments([]orb.MultiPolygon{a, b})
	if len(got) != 6 {
		t.Fatalf("%d outer segments, want 6: %v", len(got), got)
	}
	for _, s := range got {
		if s.A[0] == 1 && s.B[0] == 1 {
			t.Errorf("the shared edge %v is kept", s)
		}
	}
}

// A window beyond the grid maps its virtual cells to −1 and back.
func TestWindowIndex(t *testing.T) {
	g := geo.Grid{X0M: 100, Y0M: 200, CellM: 10, NX: 5, NY: 4}
	w := NewWindow(g, land.CellRect{I0: -2, J0: -1, I1: 7, J1: 6})
	if w.Grid.X0M != 80 || w.Grid.Y0M != 190 || w.Grid.NX != 9 || w.Grid.NY != 7 {
		t.Fatalf("window grid %+v", w.Grid)
	}
	for wk := range w.Grid.Len() {
		i, j := w.Rect.I0+wk%w.Grid.NX, w.Rect.J0+wk/w.Grid.NX
		gk := w.Full(g, wk)
		inGrid := i >= 0 && j >= 0 && i < g.NX && j < g.NY
		if (gk >= 0) != inGrid || (inGrid && gk != g.Index(i, j)) || w.Index(i, j) != wk {
			t.Fatalf("cell (%d, %d): full %d, index %d (window cell %d)", i, j, gk, w.Index(i, j), wk)
		}
	}
	if w.Index(-3, 0) != -1 || w.Index(0, 6) != -1 {
		t.Error("index outside the window is not −1")
	}
}
