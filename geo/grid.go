package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Grid is a regular raster in projected metres. Cell (i, j), i = column (x), j = row (y, growing
// north), has its centre at (X0M + (i+0.5)·CellM, Y0M + (j+0.5)·CellM) and covers the half-open
// square [X0M + i·CellM, X0M + (i+1)·CellM) × [Y0M + j·CellM, Y0M + (j+1)·CellM). Values are
// stored row-major: idx = j·NX + i. The zero Grid has no cells.
type Grid struct {
	X0M, Y0M, CellM float64 // south-west corner of cell (0, 0) and cell side, metres
	NX, NY          int     // columns and rows
}

// NewGrid returns the grid of cellM-metre cells covering b (metres). The origin is snapped down
// to a multiple of cellM, so grids with the same cell size share cell boundaries whatever bound
// they were made for, and the far sides are padded up to whole cells: Bound() contains b and
// exceeds it by less than one cell on each side. A bound of zero width or height still gets one
// column or row. A cellM that is not finite and positive, or a b with non-finite or inverted
// coordinates (Min > Max, as orb's empty bound), or more than maxGridCells cells, gives the zero
// Grid.
func NewGrid(b orb.Bound, cellM float64) Grid {
	if !finitePositive(cellM) || !finiteBound(b) || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return Grid{}
	}
	i0, i1 := math.Floor(b.Min[0]/cellM), math.Ceil(b.Max[0]/cellM)
	j0, j1 := math.Floor(b.Min[1]/cellM), math.Ceil(b.Max[1]/cellM)
	if max(1, i1-i0)*max(1, j1-j0) > maxGridCells {
		return Grid{}
	}
	return Grid{
		X0M: i0 * cellM, Y0M: j0 * cellM, CellM: cellM,
		NX: max(1, int(i1-i0)), NY: max(1, int(j1-j0)),
	}
}

// maxGridCells caps NewGrid: 2³¹ cells (8 GiB of float32 values) is far beyond any province.
const maxGridCells = 1 << 31

func finiteBound(b orb.Bound) bool {
	for _, v := range [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Len returns the number of cells, NX·NY.
func (g Grid) Len() int { return g.NX * g.NY }

// Index returns the position of cell (i, j) in a row-major value slice, j·NX + i. It does not
// check the range: callers iterate over 0 ≤ i < NX, 0 ≤ j < NY.
func (g Grid) Index(i, j int) int { return j*g.NX + i }

// Center returns the centre of cell (i, j) in metres; i and j may lie outside the grid (the
// centres of virtual cells beyond the edge).
func (g Grid) Center(i, j int) orb.Point {
	return orb.Point{g.X0M + (float64(i)+0.5)*g.CellM, g.Y0M + (float64(j)+0.5)*g.CellM}
}

// CellOf returns the cell containing p (metres). Cells are half-open, so a point on the shared
// side of two cells belongs to the one east or north of it, and a point on the grid's east or
// north edge is outside (ok = false, as for any point outside Bound or with a NaN coordinate).
func (g Grid) CellOf(p orb.Point) (i, j int, ok bool) {
	if g.Len() == 0 {
		return 0, 0, false
	}
	fx, fy := math.Floor((p[0]-g.X0M)/g.CellM), math.Floor((p[1]-g.Y0M)/g.CellM)
	if !(fx >= 0 && fx < float64(g.NX) && fy >= 0 && fy < float64(g.NY)) {
		return 0, 0, false
	}
	return int(fx), int(fy), true
}

// Bound returns the area the grid covers in metres: from (X0M, Y0M) to (X0M + NX·CellM,
// Y0M + NY·CellM).
func (g Grid) Bound() orb.Bound {
	return orb.Bound{
		Min: orb.Point{g.X0M, g.Y0M},
		Max: orb.Point{g.X0M + float64(g.NX)*g.CellM, g.Y0M + float64(g.NY)*g.CellM},
	}
}

// CellRange returns the inclusive index ranges of cells whose centres lie within bound b
// (clamped; ok=false if none). Centres on b's boundary are within it; a b with a NaN coordinate
// or Min > Max selects nothing.
func (g Grid) CellRange(b orb.Bound) (i0, j0, i1, j1 int, ok bool) {
	i0, i1, okX := centreRange(b.Min[0], b.Max[0], g.X0M, g.CellM, g.NX)
	j0, j1, okY := centreRange(b.Min[1], b.Max[1], g.Y0M, g.CellM, g.NY)
	if !okX || !okY {
		return 0, 0, 0, 0, false
	}
	return i0, j0, i1, j1, true
}

// centreRange returns the first and last k in [0, n) with lo ≤ origin + (k+0.5)·cell ≤ hi. The
// estimate from division is corrected against the centre formula Center uses, so rounding can
// neither drop a centre lying exactly on lo or hi nor add one just outside.
func centreRange(lo, hi, origin, cell float64, n int) (k0, k1 int, ok bool) {
	if n <= 0 || !(lo <= hi) {
		return 0, 0, false
	}
	centre := func(k int) float64 { return origin + (float64(k)+0.5)*cell }
	clampIdx := func(f float64) int { return int(math.Max(0, math.Min(float64(n-1), f))) }
	k0 = clampIdx(math.Ceil((lo-origin)/cell - 0.5))
	for k0 > 0 && centre(k0-1) >= lo {
		k0--
	}
	for k0 < n && centre(k0) < lo {
		k0++
	}
	k1 = clampIdx(math.Floor((hi-origin)/cell - 0.5))
	for k1 < n-1 && centre(k1+1) <= hi {
		k1++
	}
	for k1 >= 0 && centre(k1) > hi {
		k1--
	}
	return k0, k1, k0 <= k1
}
