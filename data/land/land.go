// Package land rasterises the province: which commune owns each cell of a grid, the compact
// list of the inside cells grouped into tiles, and the one scan-line rasteriser of polygons onto
// a lattice of cell centres that both the coverage engine and the commune loader's overlap and
// gap measurement use.
//
// Frame and units: the lattice is whatever frame its polygons are in — projected metres for the
// coverage grid (geo.Grid), lon/lat degrees for the loader's measuring lattice. Cell (i, j) has
// its centre at (X0 + (i+½)·DX, Y0 + (j+½)·DY).
//
// Boundary behaviour: a cell belongs to a polygon when its centre is inside by the even-odd rule
// over the polygon's rings, edges taken half-open in y (min(ya, yb) ≤ y < max(ya, yb)) and spans
// half-open in x (x_left ≤ x < x_right): a centre on a left or lower edge is in, on a right or
// upper edge out, so two polygons sharing an edge never both own a centre on it. Where communes
// overlap, Rasterise gives the cell to the first in slice order.
package land

import (
	"math"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// TileCells is the side of a tile in cells. A tile is the coverage engine's unit of parallel
// work, of copy-on-write between results and of incremental recomputation.
const TileCells = 32

// Lattice is a raster of NX × NY cell centres: cell (i, j) has its centre at
// (X0 + (i+½)·DX, Y0 + (j+½)·DY), in the units of the polygons scanned onto it.
type Lattice struct {
	X0, Y0, DX, DY float64
	NX, NY         int
}

// gridLattice returns the lattice of g's cells (metres, square cells).
func gridLattice(g geo.Grid) Lattice {
	return Lattice{X0: g.X0M, Y0: g.Y0M, DX: g.CellM, DY: g.CellM, NX: g.NX, NY: g.NY}
}

// Scan calls f(j, i0, i1) for every row j of lat and every run [i0, i1) of consecutive cells of
// that row whose centres are inside poly (see the package doc for the rule), rows ascending and
// runs in ascending x within a row. Runs of one row do not overlap.
func Scan(lat Lattice, poly orb.Polygon, f func(j, i0, i1 int)) {
	rows := crossings(lat, poly)
	var xs []float64
	for r, row := range rows.x {
		xs = append(xs[:0], row...)
		slices.Sort(xs)
		for p := 0; p+1 < len(xs); p += 2 {
			if i0, i1 := CentresIn(lat.X0, lat.DX, xs[p], xs[p+1], lat.NX); i0 < i1 {
				f(rows.j0+r, i0, i1)
			}
		}
	}
}

// rowCrossings holds, for rows j0.., the x of every polygon edge crossing the row's centre line.
type rowCrossings struct {
	j0 int
	x  [][]float64
}

// crossings buckets the edges of poly by the lattice rows whose centre line y they cross, with
// the half-open rule min(ya, yb) ≤ y < max(ya, yb), and returns the crossing abscissae.
func crossings(lat Lattice, poly orb.Polygon) rowCrossings {
	b := poly.Bound()
	j0, j1 := CentresIn(lat.Y0, lat.DY, b.Min[1], b.Max[1], lat.NY)
	rc := rowCrossings{j0: j0}
	if j1 <= j0 {
		return rc
	}
	rc.x = make([][]float64, j1-j0)
	for _, ring := range poly {
		n := len(ring)
		for e := 0; e < n; e++ {
			a, c := ring[e], ring[(e+1)%n]
			if a[1] == c[1] {
				continue
			}
			lo, hi := a, c
			if lo[1] > hi[1] {
				lo, hi = hi, lo
			}
			ja, jb := CentresIn(lat.Y0, lat.DY, lo[1], hi[1], lat.NY)
			for j := max(ja, j0); j < min(jb, j1); j++ {
				y := lat.Y0 + (float64(j)+0.5)*lat.DY
				x := lo[0] + (y-lo[1])*(hi[0]-lo[0])/(hi[1]-lo[1])
				rc.x[j-j0] = append(rc.x[j-j0], x)
			}
		}
	}
	return rc
}

// CentresIn returns the half-open index range [i0, i1) of the cells (origin o, size cell,
// count n) whose centre c = o + (i+½)·cell satisfies lo ≤ c < hi, clamped to [0, n). The
// estimate from division is corrected against that formula, so rounding can neither drop a
// centre lying exactly on lo nor take one lying exactly on hi.
func CentresIn(o, cell, lo, hi float64, n int) (int, int) {
	i0 := int(math.Ceil((lo-o)/cell - 0.5))
	i1 := int(math.Ceil((hi-o)/cell - 0.5))
	// Guard against rounding in the division: re-check the centres at the ends.
	for i0 > 0 && o+(float64(i0-1)+0.5)*cell >= lo {
		i0--
	}
	for i0 < i1 && o+(float64(i0)+0.5)*cell < lo {
		i0++
	}
	for i1 > i0 && o+(float64(i1-1)+0.5)*cell >= hi {
		i1--
	}
	for o+(float64(i1)+0.5)*cell < hi && i1 < n {
		i1++
	}
	return max(0, min(i0, n)), max(0, min(i1, n))
}

// Land is the rasterised province on a grid: which commune owns each grid cell, the compact list
// of inside cells grouped by tile, and the tiles. It is immutable once built.
type Land struct {
	Grid    geo.Grid
	Commune []int32 // full grid (row-major, Grid.Index), index into the communes, -1 outside

	// Compact inside cells, ordered by tile, then row, then column. Each slice has one entry
	// per inside cell.
	CellI, CellJ []int32 // grid column and row
	CellCommune  []int32 // index into the communes
	CellWard     []uint8 // 1 on ward (phường) land, 0 elsewhere (see SetWard)

	NTX, NTY int    // tiles per row and per column
	Tiles    []Tile // NTX × NTY, row-major
	// CommuneTiles lists, per commune, the tiles holding at least one of its cells, ascending.
	CommuneTiles [][]int32
	CommuneCells []int // land cells per commune
}

// Tile is a TileCells × TileCells block of the grid (smaller at the east and north edges).
type Tile struct {
	I0, J0, I1, J1 int    // cell range, half-open
	Start, End     int32  // compact cells of the tile: [Start, End)
	Rows           []Row  // the rows holding inside cells, ascending
	Spans          []Span // the runs of consecutive inside cells, row by row
}

// Span is a run of consecutive inside cells of one grid row within a tile: the grid index of its
// first cell (GK), that cell's compact offset in the tile (O), and the run's length (N).
type Span struct {
	GK   int
	O, N int32
}

// Row is the compact range [Start, End) of the inside cells of grid row J within a tile.
type Row struct {
	J          int
	Start, End int32
}

// CellRect is a half-open rectangle of grid cells: columns [I0, I1) and rows [J0, J1).
type CellRect struct{ I0, J0, I1, J1 int }

// Empty reports whether r holds no cell.
func (r CellRect) Empty() bool { return r.I0 >= r.I1 || r.J0 >= r.J1 }

// Intersect returns the cells in both r and o (possibly empty).
func (r CellRect) Intersect(o CellRect) CellRect {
	return CellRect{max(r.I0, o.I0), max(r.J0, o.J0), min(r.I1, o.I1), min(r.J1, o.J1)}
}

// Union returns the smallest rectangle holding both (an empty side is ignored).
func (r CellRect) Union(o CellRect) CellRect {
	if r.Empty() {
		return o
	}
	if o.Empty() {
		return r
	}
	return CellRect{min(r.I0, o.I0), min(r.J0, o.J0), max(r.I1, o.I1), max(r.J1, o.J1)}
}

// Rasterise builds the land raster of the communes' projected polygons on grid: a cell belongs
// to a commune when its centre is inside one of the commune's polygons (see the package doc);
// where communes overlap, the first in slice order wins, so no cell is counted twice; cells in
// no commune are outside. CellWard is left nil (see SetWard).
func Rasterise(grid geo.Grid, projected []orb.MultiPolygon) *Land {
	return RasteriseOwn(grid, projected, nil)
}

// RasteriseOwn is Rasterise keeping only the cells of the communes own marks (nil: all): the
// others are outside, but every commune is rasterised first, so a cell where an own commune
// overlaps an earlier one stays that one's (outside), as in Rasterise over all of them. A
// region of a larger area (package coverage) holds exactly its own communes' cells this way.
func RasteriseOwn(grid geo.Grid, projected []orb.MultiPolygon, own []bool) *Land {
	l := &Land{Grid: grid, Commune: make([]int32, grid.Len())}
	for k := range l.Commune {
		l.Commune[k] = -1
	}
	lat := gridLattice(grid)
	for ci, mp := range projected {
		for _, poly := range mp {
			Scan(lat, poly, func(j, i0, i1 int) {
				for k := grid.Index(i0, j); k < grid.Index(i1, j); k++ {
					if l.Commune[k] < 0 {
						l.Commune[k] = int32(ci)
					}
				}
			})
		}
	}
	if own != nil {
		for k, ci := range l.Commune {
			if ci >= 0 && !own[ci] {
				l.Commune[k] = -1
			}
		}
	}
	l.index(len(projected))
	return l
}

// index builds the tiles and the compact cell arrays from l.Commune.
func (l *Land) index(ncommunes int) {
	g := l.Grid
	l.NTX = (g.NX + TileCells - 1) / TileCells
	l.NTY = (g.NY + TileCells - 1) / TileCells
	l.Tiles = make([]Tile, l.NTX*l.NTY)
	l.CommuneTiles = make([][]int32, ncommunes)
	l.CommuneCells = make([]int, ncommunes)
	// Size the compact arrays once: growing them by append would hold up to twice the land
	// cells while copying (a country has over a hundred million).
	inside := 0
	for _, ci := range l.Commune {
		if ci >= 0 {
			inside++
		}
	}
	l.CellI, l.CellJ, l.CellCommune = make([]int32, 0, inside), make([]int32, 0, inside), make([]int32, 0, inside)
	for tj := 0; tj < l.NTY; tj++ {
		for ti := 0; ti < l.NTX; ti++ {
			ti32 := int32(tj*l.NTX + ti)
			t := &l.Tiles[ti32]
			t.I0, t.J0 = ti*TileCells, tj*TileCells
			t.I1, t.J1 = min(t.I0+TileCells, g.NX), min(t.J0+TileCells, g.NY)
			t.Start = int32(len(l.CellI))
			for j := t.J0; j < t.J1; j++ {
				run := Row{J: j, Start: int32(len(l.CellI))}
				for i := t.I0; i < t.I1; i++ {
					ci := l.Commune[g.Index(i, j)]
					if ci < 0 {
						continue
					}
					l.CellI = append(l.CellI, int32(i))
					l.CellJ = append(l.CellJ, int32(j))
					l.CellCommune = append(l.CellCommune, ci)
					l.CommuneCells[ci]++
					if ts := l.CommuneTiles[ci]; len(ts) == 0 || ts[len(ts)-1] != ti32 {
						l.CommuneTiles[ci] = append(ts, ti32)
					}
				}
				if run.End = int32(len(l.CellI)); run.End > run.Start {
					t.Rows = append(t.Rows, run)
				}
				for k := run.Start; k < run.End; {
					e := k + 1
					for e < run.End && l.CellI[e] == l.CellI[e-1]+1 {
						e++
					}
					t.Spans = append(t.Spans, Span{GK: g.Index(int(l.CellI[k]), j), O: k - t.Start, N: e - k})
					k = e
				}
			}
			t.End = int32(len(l.CellI))
		}
	}
}

// SetWard fills CellWard from the communes' types (communes in the order Rasterise was given).
func (l *Land) SetWard(communes []data.Commune) {
	l.CellWard = make([]uint8, len(l.CellCommune))
	for k, ci := range l.CellCommune {
		if communes[ci].Type == data.TypeWard {
			l.CellWard[k] = 1
		}
	}
}

// Rect returns the tile's cell rectangle.
func (t *Tile) Rect() CellRect { return CellRect{t.I0, t.J0, t.I1, t.J1} }

// TileOf returns the index into Tiles of the tile holding cell (i, j) (not range-checked).
func (l *Land) TileOf(i, j int) int { return (j/TileCells)*l.NTX + i/TileCells }

// Compact returns the tile and the compact index of land cell (i, j), or false outside the land.
func (l *Land) Compact(i, j int) (tix int, k int32, ok bool) {
	tix = l.TileOf(i, j)
	t := &l.Tiles[tix]
	for _, run := range t.Rows {
		if run.J != j {
			continue
		}
		if n, found := slices.BinarySearch(l.CellI[run.Start:run.End], int32(i)); found {
			return tix, run.Start + int32(n), true
		}
	}
	return 0, 0, false
}

// EachCell calls f with the compact index of every inside cell of tile t within rect.
func (l *Land) EachCell(t *Tile, rect CellRect, f func(k int32)) {
	for _, run := range t.Rows {
		if run.J < rect.J0 || run.J >= rect.J1 {
			continue
		}
		for k := run.Start; k < run.End; k++ {
			if i := int(l.CellI[k]); i >= rect.I0 && i < rect.I1 {
				f(k)
			}
		}
	}
}
