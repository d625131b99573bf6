package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// Expected grids are hand arithmetic: origin = floor(min/cell)·cell, NX = ceil(max/cell) −
// floor(min/cell).
func TestNewGrid(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name  string
		b     orb.Bound
		cellM float64
		want  Grid
	}{
		{"aligned", bnd(0, 0, 100, 50), 50, Grid{0, 0, 50, 2, 1}},
		{"padded", bnd(10, 20, 120, 70), 50, Grid{0, 0, 50, 3, 2}},
		{"negative", bnd(-120, -1, -10, 1), 50, Grid{-150, -50, 50, 3, 2}},
		{"utm-like", bnd(612345, 1098765, 613000, 1099000), 50, Grid{612300, 1098750, 50, 14, 5}},
		{"point-on-line", bnd(100, 100, 100, 100), 50, Grid{100, 100, 50, 1, 1}},
		{"point-in-cell", bnd(120, 130, 120, 130), 50, Grid{100, 100, 50, 1, 1}},
		{"zero-cell", bnd(0, 0, 100, 100), 0, Grid{}},
		{"negative-cell", bnd(0, 0, 100, 100), -50, Grid{}},
		{"nan-cell", bnd(0, 0, 100, 100), nan, Grid{}},
		{"nan-bound", bnd(0, nan, 100, 100), 50, Grid{}},
		{"inf-bound", bnd(0, 0, math.Inf(1), 100), 50, Grid{}},
		{"inverted", bnd(100, 0, 0, 100), 50, Grid{}},
		{"too-many-cells", bnd(0, 0, 1e9, 1e9), 1, Grid{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewGrid(c.b, c.cellM)
			if g != c.want {
				t.Fatalf("NewGrid = %+v, want %+v", g, c.want)
			}
			if g.Len() > 0 && !(g.Bound().Contains(c.b.Min) && g.Bound().Contains(c.b.Max)) {
				t.Errorf("Bound %v does not cover %v", g.Bound(), c.b)
			}
		})
	}
}

// grid3x2 is three columns and two rows of 10 m cells from (100, 200):
//
//	220 +----+----+----+
//	    |0,1 |1,1 |2,1 |    centres x 105, 115, 125
//	210 +----+----+----+            y 205, 215
//	    |0,0 |1,0 |2,0 |
//	200 +----+----+----+
//	   100  110  120  130
var grid3x2 = Grid{X0M: 100, Y0M: 200, CellM: 10, NX: 3, NY: 2}

func TestGridIndexCenterBound(t *testing.T) {
	g := grid3x2
	if g.Len() != 6 {
		t.Errorf("Len = %d, want 6", g.Len())
	}
	cases := []struct {
		i, j, idx int
		centre    orb.Point
	}{
		{0, 0, 0, orb.Point{105, 205}},
		{2, 0, 2, orb.Point{125, 205}},
		{0, 1, 3, orb.Point{105, 215}},
		{2, 1, 5, orb.Point{125, 215}},
		{-1, 2, 5, orb.Point{95, 225}}, // virtual cell: Center extrapolates, Index does not check
	}
	for _, c := range cases {
		if got := g.Index(c.i, c.j); got != c.idx {
			t.Errorf("Index(%d, %d) = %d, want %d", c.i, c.j, got, c.idx)
		}
		if got := g.Center(c.i, c.j); got != c.centre {
			t.Errorf("Center(%d, %d) = %v, want %v", c.i, c.j, got, c.centre)
		}
	}
	if want := bnd(100, 200, 130, 220); g.Bound() != want {
		t.Errorf("Bound = %v, want %v", g.Bound(), want)
	}
}

func TestGridCellOf(t *testing.T) {
	cases := []struct {
		name string
		p    orb.Point
		i, j int
		ok   bool
	}{
		{"first-centre", orb.Point{105, 205}, 0, 0, true},
		{"south-west-corner", orb.Point{100, 200}, 0, 0, true},
		{"shared-side-goes-east", orb.Point{110, 205}, 1, 0, true},
		{"shared-side-goes-north", orb.Point{105, 210}, 0, 1, true},
		{"last-cell", orb.Point{129.999, 219.999}, 2, 1, true},
		{"east-edge-outside", orb.Point{130, 205}, 0, 0, false},
		{"north-edge-outside", orb.Point{105, 220}, 0, 0, false},
		{"west-outside", orb.Point{99.999, 205}, 0, 0, false},
		{"south-outside", orb.Point{105, 199}, 0, 0, false},
		{"nan", orb.Point{math.NaN(), 205}, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i, j, ok := grid3x2.CellOf(c.p)
			if i != c.i || j != c.j || ok != c.ok {
				t.Errorf("CellOf(%v) = %d, %d, %v; want %d, %d, %v", c.p, i, j, ok, c.i, c.j, c.ok)
			}
		})
	}
	if _, _, ok := (Grid{}).CellOf(orb.Point{0, 0}); ok {
		t.Error("zero Grid: CellOf ok")
	}
}

// The centres of grid3x2 are x ∈ {105, 115, 125}, y ∈ {205, 215} (see the drawing above).
func TestGridCellRange(t *testing.T) {
	nan := math.NaN()
	type rng struct {
		i0, j0, i1, j1 int
		ok             bool
	}
	cases := []struct {
		name string
		b    orb.Bound
		want rng
	}{
		{"whole", grid3x2.Bound(), rng{0, 0, 2, 1, true}},
		{"larger", bnd(0, 0, 1000, 1000), rng{0, 0, 2, 1, true}},
		{"centres-on-boundary", bnd(115, 205, 125, 205), rng{1, 0, 2, 0, true}},
		{"just-inside-centres", bnd(104.999, 214.999, 105.001, 215.001), rng{0, 1, 0, 1, true}},
		{"between-centres", bnd(106, 206, 114, 214), rng{}},
		{"clamped-west", bnd(-50, 190, 116, 209), rng{0, 0, 1, 0, true}},
		{"outside-east", bnd(126, 200, 500, 220), rng{}},
		{"point-on-centre", bnd(125, 215, 125, 215), rng{2, 1, 2, 1, true}},
		{"inverted", bnd(125, 215, 105, 205), rng{}},
		{"nan", bnd(nan, 200, 130, 220), rng{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got rng
			got.i0, got.j0, got.i1, got.j1, got.ok = grid3x2.CellRange(c.b)
			if !got.ok {
				got = rng{}
			}
			if got != c.want {
				t.Errorf("CellRange(%v) = %+v, want %+v", c.b, got, c.want)
			}
		})
	}
}

// TestGridCellRangeRounding checks the exact-boundary rule where division rounds badly: cell
// 0.1 m with centres at multiples of 0.05 that are not exact binary fractions. The oracle is
// a brute-force scan of Center.
func TestGridCellRangeRounding(t *testing.T) {
	g := Grid{X0M: 0.3, Y0M: -0.7, CellM: 0.1, NX: 40, NY: 40}
	for k0 := -2; k0 < 42; k0++ {
		for k1 := k0; k1 < 42; k1 += 3 {
			lo, hi := g.Center(k0, k0), g.Center(k1, k1)
			b := orb.Bound{Min: lo, Max: hi}
			want0, want1 := -1, -1
			for k := 0; k < g.NX; k++ {
				if c := g.Center(k, k); c[0] >= lo[0] && c[0] <= hi[0] {
					if want0 < 0 {
						want0 = k
					}
					want1 = k
				}
			}
			i0, j0, i1, j1, ok := g.CellRange(b)
			if ok != (want0 >= 0) || (ok && (i0 != want0 || i1 != want1 || j0 != want0 || j1 != want1)) {
				t.Fatalf("CellRange(%v) = %d %d %d %d %v, want x/y %d..%d", b, i0, j0, i1, j1, ok, want0, want1)
			}
		}
	}
}
