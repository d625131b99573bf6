package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestNewGridCellLimit pins NewGrid's cap on both sides of it, away from the origin: 2¹⁶ × 2¹⁵
// one-metre cells is exactly maxGridCells (2³¹) and allowed, one column more is refused. The
// bound starts one grid width east and north of (0, 0), so the cap must count columns and rows
// (i1 − i0), not add the corner indices. Expected grids are hand arithmetic as in TestNewGrid.
func TestNewGridCellLimit(t *testing.T) {
	const nx, ny = 1 << 16, 1 << 15
	cases := []struct {
		name string
		b    orb.Bound
		want Grid
	}{
		{"at-limit", bnd(nx, ny, 2*nx, 2*ny), Grid{nx, ny, 1, nx, ny}},
		{"one-column-over", bnd(nx, ny, 2*nx+1, 2*ny), Grid{}},
		{"small-far-away", bnd(3e6, 1e6, 3e6+10, 1e6+5), Grid{3e6, 1e6, 1, 10, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if g := NewGrid(c.b, 1); g != c.want {
				t.Fatalf("NewGrid = %+v, want %+v", g, c.want)
			}
		})
	}
}

// TestGridCellRangeEmpty: a grid without columns or rows has no centre in any bound, even one
// around its origin, where the zero Grid's every "centre" (origin + (k+0.5)·0) lies.
func TestGridCellRangeEmpty(t *testing.T) {
	for _, g := range []Grid{{}, {X0M: 100, Y0M: 200, CellM: 10, NX: 0, NY: 2}, {X0M: 100, Y0M: 200, CellM: 10, NX: 3, NY: 0}} {
		if i0, j0, i1, j1, ok := g.CellRange(bnd(-1000, -1000, 1000, 1000)); ok {
			t.Errorf("%+v: CellRange = %d %d %d %d, ok; want none", g, i0, j0, i1, j1)
		}
	}
}
