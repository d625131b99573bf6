package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// contourEdgeEps keeps every crossing point at least this fraction of a cell away from the
// samples at the ends of its edge. A sample exactly at the level would otherwise put crossing
// points of up to four edges on one spot, where rings would touch; with the clamp each grid edge
// carries at most one crossing strictly inside it, so distinct edges give distinct points. The
// shift it causes is at most 1e-4 cell (5 mm at 50 m).
const contourEdgeEps = 1e-4

// ContourPolygons returns the region where value >= level as polygons in grid metres (values
// and level in one unit, such as dB of signal margin).
//
// Method: marching squares on the cell-centre samples of g (values row-major, len(values) must
// be g.Len(), otherwise the result is nil). The boundary crosses each grid edge whose end
// samples are on either side of the level at the linearly interpolated point, so it has no
// cell-sized staircase. A sample is inside when value >= level; NaN and everything outside the
// grid count as below any level, and an edge with a NaN or infinite end is crossed at its
// midpoint: a region touching the grid edge closes along the sides of g.Bound(), half a cell
// beyond the last samples, its corners cut by half-cell diagonals, and an isolated NaN sample is
// a diamond-shaped hole of half a cell. A saddle cell (two diagonal corners inside, two outside)
// is resolved by the mean of its four corners: if it is >= level the inside corners are joined,
// otherwise they are separated; a corner without a value makes the mean NaN (separated).
// Crossing points are kept contourEdgeEps of a cell away from samples, so a sample exactly at
// the level does not make rings touch.
//
// The result is valid: each connected part of the region is one Polygon, exterior rings are
// counter-clockwise and holes clockwise, every hole is in the polygon whose exterior immediately
// encloses it, rings are closed, have positive area, never cross or touch each other or
// themselves, and exactly collinear vertices (straight runs along the grid edge) are removed.
// Polygons come in scan order (by their lowest row, then west to east). An empty region, an
// empty grid or a NaN level gives nil.
//
// Clipping to an area, e.g. a province: instead of clipping the polygons, contour at level 0 the
// field min(value − threshold, k·d), d being the signed distance to the area's boundary in metres
// (positive inside) and k > 0 a slope in value units per metre. Outside the area the field is
// negative, so the region is already cut along the boundary, placed by the same interpolation
// (exact on straight stretches when k·d is the smaller term at the inside sample: choose k
// large, such as 1 dB/m at 50 m cells).
//
// Cost: one pass over the samples plus O(boundary length) tracing; a NY·(NX+1) int32 scratch
// array (4 MB for a 1000×1000 grid), allocated per call (ContourPolygonsBlocks can reuse one).
func ContourPolygons(g Grid, values []float32, level float32) orb.MultiPolygon {
	c := newContourer(g, values)
	if c == nil {
		return nil
	}
	return c.polygons(level)
}

// ContourPolygonsBlocks is ContourPolygons for a field known to be settled by blocks: the grid
// is cut into square blocks of blockCells samples (ceil(NX/blockCells) per row, row-major from
// the south-west; the last row and column may be smaller), and active[b] false promises that every
// sample of block b and every sample next to it (its eight neighbours) lies on the same side of
// level. The sweep then looks for crossings only on grid edges that touch an active block and
// on the grid's west and east sides. If the promise holds the result is the same as
// ContourPolygons' (same polygons, same order); if it does not, parts of the region are lost.
// A wrong active length or a blockCells < 1 gives nil. The sweep's label array comes from
// scratch (nil: allocated for the call).
func ContourPolygonsBlocks(g Grid, values []float32, level float32, blockCells int, active []bool, scratch *ContourScratch) orb.MultiPolygon {
	if blockCells < 1 || len(active) != ((g.NX+blockCells-1)/blockCells)*((g.NY+blockCells-1)/blockCells) {
		return nil
	}
	c := newContourer(g, values)
	if c == nil {
		return nil
	}
	c.blockCells, c.active, c.scratch = blockCells, active, scratch
	return c.polygons(level)
}

// ContourScratch is reusable scratch memory for contour sweeps: the label array of a sweep (one
// int32 per horizontal grid edge, 4 MB for a 1000×1000 grid), all zero between sweeps. The zero
// value is ready to use. A ContourScratch must not serve two sweeps at once: give each goroutine
// its own (a caller's pool or worker state), or nil to allocate per call.
type ContourScratch struct{ label []int32 }

// labels returns an all-zero label array of n entries: s's (grown when short), or a fresh one
// for a nil s.
func (s *ContourScratch) labels(n int) []int32 {
	if s == nil {
		return make([]int32, n)
	}
	if cap(s.label) < n {
		s.label = make([]int32, n)
	}
	return s.label[:n]
}

// ContourBands returns, for each level (descending order), the region >= that level (nested
// polygons): bands[k] is ContourPolygons(g, values, levels[k]), so with descending levels each
// band lies inside the next one. Any order works: each level is one sweep of its own (the
// sweeps share their scratch memory; a single sweep for all levels would save only the sample
// reads, a small part of the cost). A values slice of the wrong length gives a slice of nils.
func ContourBands(g Grid, values []float32, levels []float32) []orb.MultiPolygon {
	bands := make([]orb.MultiPolygon, len(levels))
	c := newContourer(g, values)
	if c == nil {
		return bands
	}
	c.scratch = &ContourScratch{}
	for k, level := range levels {
		bands[k] = c.polygons(level)
	}
	return bands
}

// contourer holds one grid's samples and the scratch state of a contour sweep.
//
// Samples are addressed by (i, j) from −1 to NX (NY): the ring of virtual samples around the
// grid has no value. Marching-squares cells are named by their south-west sample (i, j), for
// −1 ≤ i < NX, −1 ≤ j < NY; their corners are numbered counter-clockwise c0 = (i, j),
// c1 = (i+1, j), c2 = (i+1, j+1), c3 = (i, j+1), and side k runs from c_k to c_(k+1 mod 4):
// 0 south, 1 east, 2 north, 3 west. A boundary segment in a cell starts on the side where that
// walk goes from an inside to an outside corner and ends on a side where it goes from outside to
// inside, which leaves the region on its left: exteriors come out counter-clockwise, holes
// clockwise.
type contourer struct {
	g      Grid
	values []float32
	level  float32
	// label[j·(NX+1) + i+1] is 1 + the ring through the crossing on the horizontal edge from
	// sample (i, j) to (i+1, j), or 0 while no ring has been traced through it.
	label    []int32
	labelled []int32 // the indexes of label set by the sweep, to reset
	// Optional (ContourPolygonsBlocks): the side of the blocks and which may hold crossings.
	blockCells int
	active     []bool
	spans      [][2]int        // scratch: the sample spans of a row's active blocks
	scratch    *ContourScratch // where label comes from (nil: allocated per sweep)
}

var (
	cornerDI = [4]int{0, 1, 1, 0}
	cornerDJ = [4]int{0, 0, 1, 1}
)

func newContourer(g Grid, values []float32) *contourer {
	if g.Len() == 0 || len(values) != g.Len() {
		return nil
	}
	return &contourer{g: g, values: values}
}

// value returns sample (i, j), NaN outside the grid.
func (c *contourer) value(i, j int) float32 {
	if i < 0 || j < 0 || i >= c.g.NX || j >= c.g.NY {
		return float32(math.NaN())
	}
	return c.values[j*c.g.NX+i]
}

func (c *contourer) inside(i, j int) bool { return c.value(i, j) >= c.level }

// crossingT returns where the level crosses the edge from sample value a to b, as a fraction of
// the edge from a: linear interpolation clamped to [contourEdgeEps, 1 − contourEdgeEps], or ½
// when a or b is NaN or infinite. It depends only on the two values, so both cells sharing an
// edge get the same point.
func (c *contourer) crossingT(a, b float32) float64 {
	fa, fb := float64(a), float64(b)
	if math.IsNaN(fa) || math.IsNaN(fb) || math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		return 0.5
	}
	t := (float64(c.level) - fa) / (fb - fa)
	return math.Max(contourEdgeEps, math.Min(1-contourEdgeEps, t))
}

// point returns the crossing on side k of cell (i, j).
func (c *contourer) point(i, j, k int) orb.Point {
	g := c.g
	switch k {
	case 0, 2: // horizontal edge from (i, j') to (i+1, j')
		jj := j + k/2
		t := c.crossingT(c.value(i, jj), c.value(i+1, jj))
		return orb.Point{g.X0M + (float64(i)+0.5+t)*g.CellM, g.Y0M + (float64(jj)+0.5)*g.CellM}
	default: // vertical edge from (i', j) to (i', j+1)
		ii := i
		if k == 1 {
			ii++
		}
		t := c.crossingT(c.value(ii, j), c.value(ii, j+1))
		return orb.Point{g.X0M + (float64(ii)+0.5)*g.CellM, g.Y0M + (float64(j)+0.5+t)*g.CellM}
	}
}

// exit returns the side where the boundary segment entering cell (i, j) on side k leaves it.
func (c *contourer) exit(i, j, k int) int {
	var in [4]bool
	for m := range in {
		in[m] = c.inside(i+cornerDI[m], j+cornerDJ[m])
	}
	if in[0] == in[2] && in[1] == in[3] { // saddle (the entry side guarantees in[0] != in[1])
		sum := 0.0
		for m := range in {
			sum += float64(c.value(i+cornerDI[m], j+cornerDJ[m]))
		}
		if sum/4 >= float64(c.level) {
			return (k + 1) % 4 // centre inside: join the inside corners
		}
		return (k + 3) % 4
	}
	for d := 1; d < 4; d++ {
		if m := (k + d) % 4; !in[m] && in[(m+1)%4] {
			return m
		}
	}
	panic("geo: contour cell without exit") // unreachable: an entry side implies an exit side
}

// polygons runs one sweep at level.
func (c *contourer) polygons(level float32) orb.MultiPolygon {
	if level != level { // NaN: nothing is >= it
		return nil
	}
	c.level = level
	nx, ny := c.g.NX, c.g.NY
	c.label = c.scratch.labels(ny * (nx + 1))
	defer func() {
		for _, k := range c.labelled { // leave the scratch all zero
			c.label[k] = 0
		}
		c.labelled = c.labelled[:0]
		c.label = nil
	}()
	var (
		mp      orb.MultiPolygon
		isHole  []bool
		owner   []int // for an exterior, its polygon in mp; for a hole, its parent's polygon
		lastRng int
	)
	for j := 0; j < ny; j++ {
		lastRng = -1
		row := c.values[j*nx : (j+1)*nx]
		in := func(i int) bool { return i >= 0 && i < nx && row[i] >= level }
		// Horizontal edges (i, i+1), i from −1 (the virtual sample west of the row) to nx−1.
		for _, sp := range c.rowEdges(j) {
			prev := in(sp[0])
			for i := sp[0]; i < sp[1]; i++ {
				next := in(i + 1)
				a := prev
				prev = next
				if a == next {
					continue
				}
				if l := c.label[j*(nx+1)+i+1]; l != 0 {
					lastRng = int(l) - 1
					continue
				}
				// The first crossing of a new ring in scan order is its lowest row's westmost one, so
				// west of it lies outside the ring. If sample (i, j) is inside the region the ring is
				// a hole; the nearest ring crossed to the west bounds the same face, so it is the
				// hole's exterior, or a sibling hole whose exterior is the same.
				id := len(isHole)
				var ring orb.Ring
				if a {
					ring = c.trace(i, j, 0, id)
					isHole = append(isHole, true)
					if lastRng < 0 {
						panic("geo: contour hole with nothing west of it") // unreachable
					}
					owner = append(owner, owner[lastRng])
					mp[owner[id]] = append(mp[owner[id]], ring)
				} else {
					ring = c.trace(i, j-1, 2, id)
					isHole = append(isHole, false)
					owner = append(owner, len(mp))
					mp = append(mp, orb.Polygon{ring})
				}
				lastRng = id
			}
		}
	}
	return mp
}

// rowEdges returns the spans [a, b) of edge indexes i (edge from sample (i, j) to (i+1, j), i from
// −1 to NX−1) that the sweep of row j must test, ascending and disjoint: every edge without
// blocks; with them the two edges at the grid's sides and the edges touching an active block.
func (c *contourer) rowEdges(j int) [][2]int {
	nx := c.g.NX
	c.spans = c.spans[:0]
	if c.active == nil {
		return append(c.spans, [2]int{-1, nx})
	}
	add := func(a, b int) {
		if n := len(c.spans); n > 0 && a <= c.spans[n-1][1] {
			c.spans[n-1][1] = max(c.spans[n-1][1], b)
			return
		}
		c.spans = append(c.spans, [2]int{a, b})
	}
	add(-1, 0)
	bc := c.blockCells
	nbx := (nx + bc - 1) / bc
	base := (j / bc) * nbx
	for bi := range nbx {
		if c.active[base+bi] {
			add(bi*bc-1, min((bi+1)*bc, nx)) // edges from the one entering the block to the one leaving it
		}
	}
	add(nx-1, nx)
	return c.spans
}

// trace follows the ring whose segment in cell (i, j) starts on side k, labels the horizontal
// edges it crosses with id+1 and returns it closed, exactly collinear vertices removed.
func (c *contourer) trace(i, j, k, id int) orb.Ring {
	nx := c.g.NX
	ring := make(orb.Ring, 0, 16)
	ci, cj, ck := i, j, k
	for {
		p := c.point(ci, cj, ck)
		for len(ring) >= 2 && cross(ring[len(ring)-2], ring[len(ring)-1], p) == 0 {
			ring = ring[:len(ring)-1]
		}
		ring = append(ring, p)
		if ck == 0 || ck == 2 {
			k := (cj+ck/2)*(nx+1) + ci + 1
			c.label[k] = int32(id + 1)
			c.labelled = append(c.labelled, int32(k))
		}
		e := c.exit(ci, cj, ck)
		ci += [4]int{0, 1, 0, -1}[e]
		cj += [4]int{-1, 0, 1, 0}[e]
		ck = (e + 2) % 4
		if ci == i && cj == j && ck == k {
			break
		}
	}
	return closeTrimmed(ring)
}

// closeTrimmed removes exactly collinear vertices where the open ring wraps around and closes
// it. The ring is simple, so three collinear vertices in a row are a straight run, never a spike.
func closeTrimmed(ring orb.Ring) orb.Ring {
	for len(ring) > 3 && cross(ring[len(ring)-2], ring[len(ring)-1], ring[0]) == 0 {
		ring = ring[:len(ring)-1]
	}
	start := 0
	for len(ring)-start > 3 && cross(ring[len(ring)-1], ring[start], ring[start+1]) == 0 {
		start++
	}
	ring = ring[start:]
	return append(ring, ring[0])
}
