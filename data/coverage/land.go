package coverage

import (
	"math"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// tileCells is the side of a tile in cells. A tile is the unit of parallel work, of
// copy-on-write between results and of incremental recomputation.
const tileCells = 32

// land is the rasterised province: which commune owns each grid cell, the compact list of
// inside cells grouped by tile, and the tiles.
type land struct {
	grid    geo.Grid
	commune []int32 // full grid (row-major), index into Engine.communes, -1 outside

	// Compact inside cells, ordered by tile, then row, then column. Each slice has one entry
	// per inside cell.
	cellI, cellJ []int32 // grid column and row
	cellCommune  []int32 // index into Engine.communes
	cellWard     []uint8 // 1 on ward (phường) land, 0 elsewhere: selects the environment

	ntx, nty int
	tiles    []tile // ntx × nty, row-major
	// communeTiles lists, per commune, the tiles holding at least one of its cells, ascending.
	communeTiles [][]int32
	communeCells []int // land cells per commune
}

// tile is a tileCells × tileCells block of the grid (smaller at the east and north edges).
type tile struct {
	I0, J0, I1, J1 int   // cell range, half-open
	Start, End     int32 // compact cells of the tile: [Start, End)
	rows           []rowRun
	spans          []landSpan // the runs of consecutive inside cells, row by row
	boundLL        orb.Bound  // lon/lat bound of the tile's cells, padded (see tileBound)
}

// landSpan is a run of consecutive inside cells of one grid row within a tile: the grid index
// of its first cell, that cell's compact offset in the tile, and the run's length.
type landSpan struct {
	gk   int
	o, n int32
}

// rowRun is the compact range of the inside cells of one tile row.
type rowRun struct {
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

// union returns the smallest rectangle holding both (an empty side is ignored).
func (r CellRect) union(o CellRect) CellRect {
	if r.Empty() {
		return o
	}
	if o.Empty() {
		return r
	}
	return CellRect{min(r.I0, o.I0), min(r.J0, o.J0), max(r.I1, o.I1), max(r.J1, o.J1)}
}

// rasterise builds the land raster of the communes' projected polygons on grid. A cell
// belongs to a commune when its centre is inside one of the commune's polygons by the
// even-odd rule on the polygon's rings, edges taken half-open in y (a centre exactly on a
// boundary goes to one side consistently, never to both). Where communes overlap, the first in
// slice order wins, so no cell is counted twice; cells in no commune are outside.
func rasterise(grid geo.Grid, projected []orb.MultiPolygon) *land {
	l := &land{grid: grid, commune: make([]int32, grid.Len())}
	for k := range l.commune {
		l.commune[k] = -1
	}
	var xs []float64
	for ci, mp := range projected {
		for _, poly := range mp {
			rows := crossings(grid, poly)
			for r, row := range rows.x {
				j := rows.j0 + r
				xs = append(xs[:0], row...)
				slices.Sort(xs)
				for p := 0; p+1 < len(xs); p += 2 {
					i0, i1 := centresIn(grid.X0M, grid.CellM, xs[p], xs[p+1], grid.NX)
					for i := i0; i < i1; i++ {
						if k := grid.Index(i, j); l.commune[k] < 0 {
							l.commune[k] = int32(ci)
						}
					}
				}
			}
		}
	}
	l.index(len(projected))
	return l
}

// rowCrossings holds, for rows j0.., the x of every polygon edge crossing the row's centre line.
type rowCrossings struct {
	j0 int
	x  [][]float64
}

// crossings buckets the edges of poly by the grid rows whose centre line y they cross, with
// the half-open rule min(ya, yb) ≤ y < max(ya, yb), and returns the crossing abscissae.
func crossings(grid geo.Grid, poly orb.Polygon) rowCrossings {
	b := poly.Bound()
	j0, j1 := centresIn(grid.Y0M, grid.CellM, b.Min[1], b.Max[1], grid.NY)
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
			ja, jb := centresIn(grid.Y0M, grid.CellM, lo[1], hi[1], grid.NY)
			for j := max(ja, j0); j < min(jb, j1); j++ {
				y := grid.Y0M + (float64(j)+0.5)*grid.CellM
				x := lo[0] + (y-lo[1])*(hi[0]-lo[0])/(hi[1]-lo[1])
				rc.x[j-j0] = append(rc.x[j-j0], x)
			}
		}
	}
	return rc
}

// centresIn returns the half-open index range [i0, i1) of the cells (origin o, size cell,
// count n) whose centre c satisfies lo ≤ c < hi, clamped to [0, n).
func centresIn(o, cell, lo, hi float64, n int) (int, int) {
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

// index builds the tiles and the compact cell arrays from l.commune.
func (l *land) index(ncommunes int) {
	g := l.grid
	l.ntx = (g.NX + tileCells - 1) / tileCells
	l.nty = (g.NY + tileCells - 1) / tileCells
	l.tiles = make([]tile, l.ntx*l.nty)
	l.communeTiles = make([][]int32, ncommunes)
	l.communeCells = make([]int, ncommunes)
	for tj := 0; tj < l.nty; tj++ {
		for ti := 0; ti < l.ntx; ti++ {
			ti32 := int32(tj*l.ntx + ti)
			t := &l.tiles[ti32]
			t.I0, t.J0 = ti*tileCells, tj*tileCells
			t.I1, t.J1 = min(t.I0+tileCells, g.NX), min(t.J0+tileCells, g.NY)
			t.Start = int32(len(l.cellI))
			for j := t.J0; j < t.J1; j++ {
				run := rowRun{J: j, Start: int32(len(l.cellI))}
				for i := t.I0; i < t.I1; i++ {
					ci := l.commune[g.Index(i, j)]
					if ci < 0 {
						continue
					}
					l.cellI = append(l.cellI, int32(i))
					l.cellJ = append(l.cellJ, int32(j))
					l.cellCommune = append(l.cellCommune, ci)
					l.communeCells[ci]++
					if ts := l.communeTiles[ci]; len(ts) == 0 || ts[len(ts)-1] != ti32 {
						l.communeTiles[ci] = append(ts, ti32)
					}
				}
				if run.End = int32(len(l.cellI)); run.End > run.Start {
					t.rows = append(t.rows, run)
				}
				for k := run.Start; k < run.End; {
					e := k + 1
					for e < run.End && l.cellI[e] == l.cellI[e-1]+1 {
						e++
					}
					t.spans = append(t.spans, landSpan{gk: g.Index(int(l.cellI[k]), j), o: k - t.Start, n: e - k})
					k = e
				}
			}
			t.End = int32(len(l.cellI))
		}
	}
}

// setWard fills cellWard from the communes' types.
func (l *land) setWard(communes []data.Commune) {
	l.cellWard = make([]uint8, len(l.cellCommune))
	for k, ci := range l.cellCommune {
		if communes[ci].Type == data.TypeWard {
			l.cellWard[k] = 1
		}
	}
}

// rectOf returns the tile's cell rectangle.
func (t *tile) rect() CellRect { return CellRect{t.I0, t.J0, t.I1, t.J1} }

// asMultiPolygon turns a projected Polygon or MultiPolygon into a MultiPolygon; other types
// give nil.
func asMultiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch t := g.(type) {
	case orb.MultiPolygon:
		return t
	case orb.Polygon:
		return orb.MultiPolygon{t}
	}
	return nil
}
