package land

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// box is an axis-aligned ring from (x0, y0) to (x1, y1), metres.
func box(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// TestRasterise counts cells on a 10 m grid over [0, 100)², where cell (i, j) has its centre
// at (10i + 5, 10j + 5):
//
//	100 +-------------------+   C: [0,100]×[50,100] minus the hole [20,80]×[60,90]:
//	    | C  +---------+    |      10·5 − 6·3 = 32 cells
//	    |    |  hole   |    |   D: triangle (0,40) (40,40) (0,80): only the row y = 45 is not C's;
//	 50 |\   +---------+    |      x + 45 < 80 → x ∈ {5, 15, 25} (35 lies on the hypotenuse:
//	    | D\                 |      half-open, out) → 3 cells
//	 40 +---+-+-------------+   A: [0,40]² → 4×4 = 16 cells
//	    | A | |     B       |   B: [30,100]×[0,40]: 7 columns × 4 rows, but the column x = 35
//	    |   | |             |      is also A's and the first commune wins → 6×4 = 24 cells
//	  0 +---+-+-------------+   E: [15,25]×[95,105] holds the centre (15, 95), already C's → 0
//	    0   30 40          100
func TestRasterise(t *testing.T) {
	grid := geo.Grid{X0M: 0, Y0M: 0, CellM: 10, NX: 10, NY: 10}
	polys := []orb.MultiPolygon{
		{{box(0, 0, 40, 40)}},
		{{box(30, 0, 100, 40)}},
		{{box(0, 50, 100, 100), box(20, 60, 80, 90)}},
		{{orb.Ring{{0, 40}, {40, 40}, {0, 80}, {0, 40}}}},
		{{box(15, 95, 25, 105)}},
	}
	l := Rasterise(grid, polys)
	want := []int{16, 24, 32, 3, 0}
	for ci, n := range want {
		if l.CommuneCells[ci] != n {
			t.Errorf("commune %d: %d cells, want %d", ci, l.CommuneCells[ci], n)
		}
	}
	if got := l.Commune[grid.Index(3, 2)]; got != 0 {
		t.Errorf("cell (3, 2) (centre 35, 25, in A and B) owned by %d, want 0 (first wins)", got)
	}
	if got := l.Commune[grid.Index(5, 7)]; got != -1 {
		t.Errorf("cell (5, 7) (centre 55, 75, in C's hole) owned by %d, want -1", got)
	}
	total := 0
	for _, n := range l.CommuneCells {
		total += n
	}
	if len(l.CellI) != total {
		t.Errorf("%d compact cells, communes hold %d", len(l.CellI), total)
	}
}

// TestRasteriseHalfOpen: a square whose edges run exactly through cell centres takes the
// centres on its left and bottom edges, not those on its right and top edges, so two squares
// sharing an edge never both own a cell and together own every centre once.
//
//	[5, 25] × [5, 25] on a 10 m grid: centres x, y ∈ {5, 15} are in (25 is out) → 4 cells
//	[25, 45] × [5, 25] next to it: centres x ∈ {25, 35} → 4 cells
func TestRasteriseHalfOpen(t *testing.T) {
	grid := geo.Grid{X0M: 0, Y0M: 0, CellM: 10, NX: 10, NY: 10}
	l := Rasterise(grid, []orb.MultiPolygon{{{box(5, 5, 25, 25)}}, {{box(25, 5, 45, 25)}}})
	if l.CommuneCells[0] != 4 || l.CommuneCells[1] != 4 {
		t.Errorf("cells %v, want [4 4]", l.CommuneCells)
	}
}

func TestCentresIn(t *testing.T) {
	// Cells of 10 m from 0, 10 of them: centres 5, 15, …, 95; the range is [lo, hi).
	cases := []struct {
		name           string
		lo, hi         float64
		wantI0, wantI1 int
	}{
		{"inside", 12, 38, 1, 4},        // centres 15, 25, 35
		{"on centres", 15, 35, 1, 3},    // 15 in, 35 out
		{"before grid", -50, 7, 0, 1},   // centre 5
		{"beyond grid", 90, 200, 9, 10}, // centre 95
		{"empty", 16, 24, 2, 2},         // no centre in [16, 24)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if i0, i1 := CentresIn(0, 10, c.lo, c.hi, 10); i0 != c.wantI0 || i1 != c.wantI1 {
				t.Errorf("CentresIn(%g, %g) = [%d, %d), want [%d, %d)", c.lo, c.hi, i0, i1, c.wantI0, c.wantI1)
			}
		})
	}
}

// TestScanLattice scans onto a lattice of unequal steps (DX = 0.5, DY = 2: centres x ∈ {0.25,
// 0.75, …}, y ∈ {1, 3, 5, …}) a 4 × 6 square with a 1 × 2 hole:
//
//	6 +-------------+   rows y = 1, 5: one run, x ∈ [0, 4) → columns [0, 8)
//	  |    +--+     |   row y = 3 crosses the hole [1.5, 2.5] × [2, 4]: centres 0.25…1.25 and
//	  |    |  |     |   2.75…3.75 → runs [0, 3) and [5, 8) (x = 1.75, 2.25 are in the hole)
//	  |    +--+     |
//	0 +-------------+
//	  0   1.5 2.5   4
func TestScanLattice(t *testing.T) {
	lat := Lattice{X0: 0, Y0: 0, DX: 0.5, DY: 2, NX: 10, NY: 4}
	poly := orb.Polygon{box(0, 0, 4, 6), box(1.5, 2, 2.5, 4)}
	var got [][3]int
	Scan(lat, poly, func(j, i0, i1 int) { got = append(got, [3]int{j, i0, i1}) })
	want := [][3]int{{0, 0, 8}, {1, 0, 3}, {1, 5, 8}, {2, 0, 8}}
	if !slices.Equal(got, want) {
		t.Errorf("runs %v, want %v", got, want)
	}
}
