package contour

import (
	"math"

	"github.com/paulmach/orb"

	"phusong/geo"
)

const (
	// BoundaryBandCells: cells within this many cells (Chebyshev) of a cell of the other side get
	// the exact distance; farther cells get +Inf inside and −(BoundaryBandCells+1)·CellM outside.
	BoundaryBandCells = 2
	// BoundarySlopeDBPerCell is s·CellM: the boundary term in dB one cell inside the boundary.
	// Smaller puts the contour closer to the exact boundary where the level margin is small;
	// larger disturbs coverage edges that run within a cell or two of the boundary less.
	BoundarySlopeDBPerCell = 0.5
	// segBucketCells is the side, in cells, of the buckets of the segment index.
	segBucketCells = 4
)

// Segment is a boundary edge in projected metres.
type Segment struct{ A, B orb.Point }

// DistTo returns the distance in metres from p to the segment.
func (s Segment) DistTo(p orb.Point) float64 {
	d, _ := s.DistParam(p)
	return d
}

// DistParam returns the distance in metres from p to the segment and the parameter in [0, 1]
// of the nearest point (0 at A, 1 at B).
func (s Segment) DistParam(p orb.Point) (float64, float64) {
	dx, dy := s.B[0]-s.A[0], s.B[1]-s.A[1]
	px, py := p[0]-s.A[0], p[1]-s.A[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = min(1, max(0, (px*dx+py*dy)/l2))
	}
	return math.Hypot(px-t*dx, py-t*dy), t
}

// LineDist returns the distance in metres from p to the segment's supporting line (to A for a
// degenerate segment).
func (s Segment) LineDist(p orb.Point) float64 {
	dx, dy := s.B[0]-s.A[0], s.B[1]-s.A[1]
	l := math.Hypot(dx, dy)
	if l == 0 {
		return math.Hypot(p[0]-s.A[0], p[1]-s.A[1])
	}
	return math.Abs(dx*(p[1]-s.A[1])-dy*(p[0]-s.A[0])) / l
}

// SignedDistance returns, for every cell of w (row-major in w.Grid), the signed distance in
// metres from the cell centre to the nearest of segs: positive where inside (indexed by window
// cell), negative elsewhere. Only cells within BoundaryBandCells of a cell of the other side are
// measured; the others get +Inf inside and −(BoundaryBandCells+1)·CellM outside. A measured cell
// with no segment within (BoundaryBandCells+2) cells gets that distance, signed. An outside
// cell nearest to a vertex (a convex corner) gets the largest distance to the lines of the edges
// meeting there instead, which keeps the contour inside at corners.
func SignedDistance(w Window, inside []bool, segs []Segment) []float32 {
	g := w.Grid
	n := g.Len()
	out := make([]float32, n)
	farOut := FarOutside(g.CellM)
	for k := range out {
		if inside[k] {
			out[k] = float32(math.Inf(1))
		} else {
			out[k] = farOut
		}
	}
	band := bandCells(g, inside)
	if len(band) == 0 {
		return out
	}
	searchM := (BoundaryBandCells + 2) * g.CellM
	idx := newSegIndex(g, segs, searchM)
	for _, k := range band {
		i, j := k%g.NX, k/g.NX
		c := g.Center(i, j)
		d, near, at := searchM, idx.near(i, j), -1.0
		var v orb.Point
		for _, si := range near {
			if dd, t := segs[si].DistParam(c); dd < d {
				d, at = dd, t
				v = segs[si].A
				if t == 1 {
					v = segs[si].B
				}
			}
		}
		if !inside[k] {
			// Outside, nearest to a vertex (a convex corner): use the largest distance to the
			// lines of the edges meeting there, so that the distance is piecewise linear (min of
			// the edges' signed line distances) and the contour cuts the corner from inside.
			if at == 0 || at == 1 {
				lmax := 0.0
				for _, si := range near {
					if segs[si].A == v || segs[si].B == v {
						lmax = max(lmax, segs[si].LineDist(c))
					}
				}
				d = min(d, lmax)
			}
			d = -d
		}
		out[k] = float32(d)
	}
	return out
}

// FarOutside is the distance SignedDistance gives the outside cells beyond the band:
// −(BoundaryBandCells+1)·cellM.
func FarOutside(cellM float64) float32 { return float32(-(BoundaryBandCells + 1) * cellM) }

// bandCells returns the cells (row-major in g) within BoundaryBandCells, Chebyshev, of a cell
// whose inside flag differs, in increasing order.
func bandCells(g geo.Grid, inside []bool) []int {
	nx, ny := g.NX, g.NY
	edge := make([]bool, len(inside))
	for j := range ny {
		for i := range nx {
			k := j*nx + i
			if i+1 < nx && inside[k] != inside[k+1] {
				edge[k], edge[k+1] = true, true
			}
			if j+1 < ny && inside[k] != inside[k+nx] {
				edge[k], edge[k+nx] = true, true
			}
		}
	}
	// Dilate by BoundaryBandCells: rows, then columns.
	rowD := make([]bool, len(edge))
	for j := range ny {
		dilate(rowD, edge, j*nx, 1, nx)
	}
	mark := make([]bool, len(edge))
	for i := range nx {
		dilate(mark, rowD, i, nx, ny)
	}
	var out []int
	for k, m := range mark {
		if m {
			out = append(out, k)
		}
	}
	return out
}

// dilate sets dst[start + k·stride], k < n, when src is set within BoundaryBandCells steps of it.
func dilate(dst, src []bool, start, stride, n int) {
	last := -1 << 30
	for k := range n {
		if src[start+k*stride] {
			last = k
		}
		dst[start+k*stride] = k-last <= BoundaryBandCells
	}
	last = 1 << 30
	for k := n - 1; k >= 0; k-- {
		if src[start+k*stride] {
			last = k
		}
		dst[start+k*stride] = dst[start+k*stride] || last-k <= BoundaryBandCells
	}
}

// segIndex buckets segments by the grid cells they pass within padM of.
type segIndex struct {
	nbx, nby int
	buckets  [][]int32
}

// newSegIndex indexes segs over g: each segment goes into every bucket (segBucketCells cells
// square) that the segment, widened by padM, meets (tested per bucket row).
func newSegIndex(g geo.Grid, segs []Segment, padM float64) *segIndex {
	bm := segBucketCells * g.CellM
	x := &segIndex{nbx: (g.NX + segBucketCells - 1) / segBucketCells, nby: (g.NY + segBucketCells - 1) / segBucketCells}
	x.buckets = make([][]int32, x.nbx*x.nby)
	clampB := func(v float64, n int) int { return int(max(0, min(float64(n-1), math.Floor(v)))) }
	for si, s := range segs {
		lo, hi := s.A, s.B
		if lo[1] > hi[1] {
			lo, hi = hi, lo
		}
		if hi[1]+padM < g.Y0M || lo[1]-padM > g.Y0M+float64(g.NY)*g.CellM {
			continue
		}
		by0, by1 := clampB((lo[1]-padM-g.Y0M)/bm, x.nby), clampB((hi[1]+padM-g.Y0M)/bm, x.nby)
		for by := by0; by <= by1; by++ {
			// x extent of the segment within the bucket row's y band, widened by padM.
			y0, y1 := g.Y0M+float64(by)*bm-padM, g.Y0M+float64(by+1)*bm+padM
			xa, xb := clipX(lo, hi, y0, y1)
			if xa > xb {
				continue
			}
			bx0, bx1 := clampB((xa-padM-g.X0M)/bm, x.nbx), clampB((xb+padM-g.X0M)/bm, x.nbx)
			for bx := bx0; bx <= bx1; bx++ {
				b := &x.buckets[by*x.nbx+bx]
				*b = append(*b, int32(si))
			}
		}
	}
	return x
}

// clipX returns the x range of segment lo–hi (lo[1] ≤ hi[1]) within y ∈ [y0, y1]; xa > xb when
// the segment misses the band.
func clipX(lo, hi orb.Point, y0, y1 float64) (xa, xb float64) {
	if hi[1] < y0 || lo[1] > y1 {
		return 1, 0
	}
	if hi[1] == lo[1] {
		return min(lo[0], hi[0]), max(lo[0], hi[0])
	}
	at := func(y float64) float64 {
		y = min(max(y, lo[1]), hi[1])
		return lo[0] + (y-lo[1])*(hi[0]-lo[0])/(hi[1]-lo[1])
	}
	a, b := at(y0), at(y1)
	return min(a, b), max(a, b)
}

// near returns the segments indexed in the bucket of cell (i, j).
func (x *segIndex) near(i, j int) []int32 {
	return x.buckets[(j/segBucketCells)*x.nbx+i/segBucketCells]
}

// RingSegments appends the edges of every ring of mp (closing each ring).
func RingSegments(dst []Segment, mp orb.MultiPolygon) []Segment {
	for _, poly := range mp {
		for _, r := range poly {
			for k := range r {
				a, b := r[k], r[(k+1)%len(r)]
				if a != b {
					dst = append(dst, Segment{A: a, B: b})
				}
			}
		}
	}
	return dst
}

// OuterSegments returns the edges of the projected communes that are not shared by two rings:
// the province boundary when neighbours share their vertices exactly (as tiling files do).
// Shared edges that do not match vertex for vertex are kept; they matter only where they come
// within a few cells of the province edge (see SignedDistance).
func OuterSegments(projected []orb.MultiPolygon) []Segment {
	type key [4]float64
	canon := func(s Segment) key {
		a, b := s.A, s.B
		if b[0] < a[0] || (b[0] == a[0] && b[1] < a[1]) {
			a, b = b, a
		}
		return key{a[0], a[1], b[0], b[1]}
	}
	var all []Segment
	for _, mp := range projected {
		all = RingSegments(all, mp)
	}
	count := make(map[key]int, len(all))
	for _, s := range all {
		count[canon(s)]++
	}
	out := all[:0]
	for _, s := range all {
		if count[canon(s)] == 1 {
			out = append(out, s)
		}
	}
	return out
}
