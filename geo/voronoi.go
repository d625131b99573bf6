package geo

import (
	"github.com/paulmach/orb"
)

// VoronoiCells returns the Voronoi diagram of sites restricted to bound, in planar coordinates
// (metres of a stated projection, not lon/lat): cells[i] is the convex polygon of the points of
// bound that are at least as close to sites[i] as to any other site, one closed counter-clockwise
// ring. Neighbouring cells share their edges, so the cells tile bound.
//
// Edge cases: a site equal to an earlier one gets an empty cell (nil) and the earlier one keeps
// the whole cell; a site outside bound still gets the part of bound nearest to it, which may be
// empty (nil); an empty bound (zero width or height) gives nil cells. It clips the bound by the
// n−1 bisecting half-planes of each site: O(n²), fine for n ≤ a few thousand.
func VoronoiCells(sites []orb.Point, bound orb.Bound) []orb.Polygon {
	cells := make([]orb.Polygon, len(sites))
	if !(bound.Max[0] > bound.Min[0] && bound.Max[1] > bound.Min[1]) {
		return cells
	}
	box := []orb.Point{bound.Min, {bound.Max[0], bound.Min[1]}, bound.Max, {bound.Min[0], bound.Max[1]}}
	first := make(map[orb.Point]bool, len(sites))
	buf := make([]orb.Point, 0, 2*len(box))
	for i, s := range sites {
		if first[s] {
			continue
		}
		first[s] = true
		cell := append([]orb.Point(nil), box...)
		for _, o := range sites {
			if o == s || len(cell) == 0 {
				continue
			}
			// Keep p with (p − m)·(o − s) ≤ 0, m the midpoint: the side of the bisector nearer s.
			m := orb.Point{(s[0] + o[0]) / 2, (s[1] + o[1]) / 2}
			n := orb.Point{o[0] - s[0], o[1] - s[1]}
			buf = clipHalfPlane(buf[:0], cell, m, n)
			cell, buf = buf, cell
		}
		if len(cell) >= 3 && signedArea(cell) > 0 {
			ring := append(orb.Ring(nil), cell...)
			cells[i] = orb.Polygon{append(ring, ring[0])}
		}
	}
	return cells
}

// clipHalfPlane appends to dst the convex polygon poly (open ring) cut to the half-plane
// (p − m)·n ≤ 0 (one Sutherland–Hodgman step) and returns it. Orientation is preserved.
func clipHalfPlane(dst, poly []orb.Point, m, n orb.Point) []orb.Point {
	side := func(p orb.Point) float64 { return (p[0]-m[0])*n[0] + (p[1]-m[1])*n[1] }
	for k, cur := range poly {
		prev := poly[(k+len(poly)-1)%len(poly)]
		dc, dp := side(cur), side(prev)
		if (dc < 0 && dp > 0) || (dc > 0 && dp < 0) {
			t := dp / (dp - dc)
			dst = append(dst, orb.Point{prev[0] + t*(cur[0]-prev[0]), prev[1] + t*(cur[1]-prev[1])})
		}
		if dc <= 0 {
			dst = append(dst, cur)
		}
	}
	if len(dst) < 3 {
		return dst[:0]
	}
	return dst
}

// signedArea returns the shoelace area of the open or closed ring pts: positive when
// counter-clockwise (x east, y north).
func signedArea(pts []orb.Point) float64 {
	if len(pts) < 3 {
		return 0
	}
	o := pts[0]
	a := 0.0
	for k := 1; k+1 < len(pts); k++ {
		a += cross(o, pts[k], pts[k+1])
	}
	return a / 2
}

// cross returns (b − a) × (c − a): positive when a, b, c turn counter-clockwise, 0 when collinear.
func cross(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}
