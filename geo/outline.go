package geo

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Directions along the lattice of cell corners, counter-clockwise: a left turn adds 1.
const (
	dirE = iota
	dirN
	dirW
	dirS
)

// CellOutlines returns the outline of a set of cells of g as polygons in g's metres: the union
// of the cells' closed squares, counter-clockwise exteriors and clockwise holes, vertices only
// at corners, rings closed. in reports whether cell (i, j) belongs to the set; only the cells
// of columns [i0, i1) and rows [j0, j1) are asked, the others are outside.
//
// Boundary behaviour: cells that meet only at a corner lie in separate polygons that share
// that point, and so do two holes meeting at a corner (or a hole and its exterior), so every
// ring is simple: where two boundary edges leave one corner, the walk turns left, keeping to
// the cell it came along, and a ring that comes back to a corner it passed (holes meeting at
// a corner) is split there. Areas are exactly cells × CellM².
func CellOutlines(g Grid, i0, j0, i1, j1 int, in func(i, j int) bool) orb.MultiPolygon {
	w, h := i1-i0, j1-j0
	if w <= 0 || h <= 0 {
		return nil
	}
	set := make([]bool, (w+2)*(h+2)) // padded by one cell on every side
	cell := func(x, y int) bool { return set[(y+1)*(w+2)+x+1] }
	for y := range h {
		for x := range w {
			set[(y+1)*(w+2)+x+1] = in(i0+x, j0+y)
		}
	}
	// out[v] holds a bit per direction of the unused boundary edges leaving corner v (the corner
	// at lattice point (x, y) is v = y·(w+1) + x), the set's interior on each edge's left.
	vw := w + 1
	out := make([]uint8, vw*(h+1)) // unused edges; all keeps every edge for the turn rule
	edges := 0
	for y := range h {
		for x := range w {
			if !cell(x, y) {
				continue
			}
			if !cell(x, y-1) {
				out[y*vw+x] |= 1 << dirE
				edges++
			}
			if !cell(x+1, y) {
				out[y*vw+x+1] |= 1 << dirN
				edges++
			}
			if !cell(x, y+1) {
				out[(y+1)*vw+x+1] |= 1 << dirW
				edges++
			}
			if !cell(x-1, y) {
				out[(y+1)*vw+x] |= 1 << dirS
				edges++
			}
		}
	}
	all := slices.Clone(out)
	step := [4][2]int{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	point := func(x, y int) orb.Point {
		return orb.Point{g.X0M + float64(i0+x)*g.CellM, g.Y0M + float64(j0+y)*g.CellM}
	}
	var exteriors, holes []orb.Ring
	for v := 0; edges > 0; v++ {
		for out[v] != 0 {
			x, y := v%vw, v/vw
			d := 0
			for out[v]&(1<<d) == 0 {
				d++
			}
			var ring orb.Ring
			sx, sy, d0 := x, y, d
			for {
				out[y*vw+x] &^= 1 << d
				edges--
				x, y = x+step[d][0], y+step[d][1]
				next := d
				for _, turn := range [3]int{1, 0, 3} { // left, straight, right
					if nd := (d + turn) % 4; all[y*vw+x]&(1<<nd) != 0 {
						next = nd
						break
					}
				}
				if next != d {
					ring = append(ring, point(x, y))
				}
				if x == sx && y == sy && next == d0 {
					break
				}
				d = next
			}
			for _, r := range splitAtRepeats(ring) {
				if signedArea(r) > 0 {
					exteriors = append(exteriors, r)
				} else {
					holes = append(holes, r)
				}
			}
		}
	}
	return assembleOutlines(exteriors, holes, g.CellM)
}

// splitAtRepeats cuts a ring (open: no closing point) into simple closed rings at the
// vertices it visits twice.
func splitAtRepeats(ring orb.Ring) []orb.Ring {
	var out []orb.Ring
	var stack orb.Ring
	at := map[orb.Point]int{} // vertex → its position in stack
	for _, p := range ring {
		if k, ok := at[p]; ok {
			loop := append(slices.Clone(stack[k:]), p)
			for _, q := range stack[k+1:] {
				delete(at, q)
			}
			stack = stack[:k+1]
			out = append(out, loop)
			continue
		}
		at[p] = len(stack)
		stack = append(stack, p)
	}
	return append(out, append(stack, stack[0]))
}

// assembleOutlines puts each hole into the smallest exterior holding the centre of a cell
// inside the hole (half a cell to the right of its first edge: the hole's side).
func assembleOutlines(exteriors, holes []orb.Ring, cellM float64) orb.MultiPolygon {
	areas := make([]float64, len(exteriors))
	for i, r := range exteriors {
		areas[i] = signedArea(r)
	}
	order := make([]int, len(exteriors))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(areas[a], areas[b]) })
	mp := make(orb.MultiPolygon, len(exteriors))
	for i, r := range exteriors {
		mp[i] = orb.Polygon{r}
	}
	for _, hr := range holes {
		a, b := hr[0], hr[1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		n := max(abs(dx), abs(dy))
		p := orb.Point{(a[0]+b[0])/2 + dy/n*cellM/2, (a[1]+b[1])/2 - dx/n*cellM/2} // to the right of a→b
		for _, i := range order {
			if exteriors[i].Bound().Contains(p) && planar.RingContains(exteriors[i], p) {
				mp[i] = append(mp[i], hr)
				break
			}
		}
	}
	return mp
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
