package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestVoronoiCellsExactRings compares whole cells, vertex by vertex, with rings drawn by hand,
// where bisectors pass exactly through a corner of the bound or of a cell cut earlier: a cell
// must have each vertex once (the corner on the bisector neither dropped nor doubled), counter-
// clockwise from any start. Every coordinate is a dyadic rational, so the clipping is exact.
//
//	4 +-------+-------o      sites a = (1,1), b = (3,1), c = (1,3)
//	  |       |   .   |      a: x ≤ 2, y ≤ 2
//	  |   c   | .     |      b: x ≥ 2, y ≤ x (the bisector of b and c is y = x,
//	2 +-------o       |         through the corner (4,4) and the vertex (2,2))
//	  |   a   |   b   |      c: y ≥ 2, y ≥ x
//	0 +-------+-------+
//	  0       2       4
func TestVoronoiCellsExactRings(t *testing.T) {
	square := bnd(0, 0, 4, 4)
	for name, c := range map[string]struct {
		sites []orb.Point
		want  [][]orb.Point // open rings, counter-clockwise, any start
	}{
		"diagonal-through-corners": {[]orb.Point{{0, 0}, {4, 4}},
			[][]orb.Point{{{0, 0}, {4, 0}, {0, 4}}, {{4, 0}, {4, 4}, {0, 4}}}},
		"three-sites": {[]orb.Point{{1, 1}, {3, 1}, {1, 3}},
			[][]orb.Point{
				{{0, 0}, {2, 0}, {2, 2}, {0, 2}},
				{{2, 0}, {4, 0}, {4, 4}, {2, 2}},
				{{0, 2}, {2, 2}, {4, 4}, {0, 4}},
			}},
		// The same sites given in another order: the bisectors are cut in another order.
		"three-sites-reversed": {[]orb.Point{{1, 3}, {3, 1}, {1, 1}},
			[][]orb.Point{
				{{0, 2}, {2, 2}, {4, 4}, {0, 4}},
				{{2, 0}, {4, 0}, {4, 4}, {2, 2}},
				{{0, 0}, {2, 0}, {2, 2}, {0, 2}},
			}},
	} {
		cells := VoronoiCells(c.sites, square)
		for i, want := range c.want {
			if len(cells[i]) != 1 || !sameCycle(cells[i][0], want) {
				t.Errorf("%s: cell %d = %v, want the closed ring of %v", name, i, cells[i], want)
			}
		}
	}
}

// sameCycle reports whether the closed ring r visits exactly the points of want, in want's
// cyclic order, from any start.
func sameCycle(r orb.Ring, want []orb.Point) bool {
	n := len(want)
	if len(r) != n+1 || r[0] != r[n] {
		return false
	}
	for k := range n {
		if r[k] != want[0] {
			continue
		}
		for m := range n {
			if r[(k+m)%n] != want[m] {
				return false
			}
		}
		return true
	}
	return false
}
