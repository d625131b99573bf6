package contour

import (
	"github.com/paulmach/orb"

	"phusong/geo"
)

// BlockCells is the side of an activity block, cells.
const BlockCells = 8

// blockSignEpsDB is the level margin, dB, under which a block is computed exactly: a block is
// settled only when its field clears the threshold by at least this much everywhere, clear of
// the rounding of DistanceMargin near 0.
const blockSignEpsDB = 1e-3

// BlockKind is how Margins fills a block.
type BlockKind uint8

// The block kinds.
const (
	BlockActive BlockKind = iota // every value computed
	BlockIn                      // every value > 0: written +1
	BlockOut                     // every value < 0: written −1
	BlockLand                    // (static kinds only) clean land: In, Out or Active by the field
)

// blockGrid is the block layout of a window: nbx × nby blocks, row-major.
type blockGrid struct{ nbx, nby int }

// newBlockGrid returns the block layout of window w: BlockCells × BlockCells blocks, the last
// ones in each direction cut at the window edge.
func newBlockGrid(w Window) blockGrid {
	return blockGrid{(w.Grid.NX + BlockCells - 1) / BlockCells, (w.Grid.NY + BlockCells - 1) / BlockCells}
}

// Cells returns the window-cell rectangle of block b, optionally grown by a one-cell halo, clamped
// to the window.
func (bg blockGrid) Cells(w Window, b int, halo bool) (i0, j0, i1, j1 int) {
	bi, bj := b%bg.nbx, b/bg.nbx
	i0, j0 = bi*BlockCells, bj*BlockCells
	i1, j1 = min(i0+BlockCells, w.Grid.NX), min(j0+BlockCells, w.Grid.NY)
	if halo {
		i0, j0, i1, j1 = max(0, i0-1), max(0, j0-1), min(w.Grid.NX, i1+1), min(w.Grid.NY, j1+1)
	}
	return i0, j0, i1, j1
}

// ClassifyBlocks returns the static kinds of the blocks of w: BlockLand when cell tells that
// every cell of the block and its halo is clean land, BlockOut when it tells that every one is
// clean outside, BlockActive otherwise.
func ClassifyBlocks(w Window, cell func(wk int) (land, outside bool)) []BlockKind {
	bg := newBlockGrid(w)
	out := make([]BlockKind, bg.nbx*bg.nby)
	for b := range out {
		land, outside := true, true
		i0, j0, i1, j1 := bg.Cells(w, b, true)
		for j := j0; j < j1 && (land || outside); j++ {
			for i := i0; i < i1; i++ {
				l, o := cell(j*w.Grid.NX + i)
				land, outside = land && l, outside && o
			}
		}
		out[b] = settle(land, BlockLand, outside)
	}
	return out
}

// settle returns first when its test holds, else BlockOut when outside holds, else BlockActive.
func settle(test bool, first BlockKind, outside bool) BlockKind {
	switch {
	case test:
		return first
	case outside:
		return BlockOut
	}
	return BlockActive
}

// SettleBlocks returns static (kinds of window w's blocks) with every clean-land block settled
// by field (values of the engine grid g, of which w is a window) against thr dBm: the contoured value is sign·(level − thr) there, so a
// block whose field (halo included) is at least thr + blockSignEpsDB everywhere is In for sign
// > 0 and Out for sign < 0, one at most thr − blockSignEpsDB (or NaN) everywhere the reverse,
// any other block Active.
func SettleBlocks(w Window, g geo.Grid, static []BlockKind, field []float32, thr float64, sign float32) []BlockKind {
	hi, lo := float32(thr+blockSignEpsDB), float32(thr-blockSignEpsDB)
	bg := newBlockGrid(w)
	out := make([]BlockKind, len(static))
	for b, sk := range static {
		if sk != BlockLand {
			out[b] = sk
			continue
		}
		var notAbove, notBelow uint8 // counted without branches: most blocks read their whole halo
		i0, j0, i1, j1 := bg.Cells(w, b, true)
		for j := j0; j < j1 && (notAbove == 0 || notBelow == 0); j++ {
			// clean land lies inside the engine grid: window (i, j) is engine (i+I0, j+J0)
			row := field[g.Index(i0+w.Rect.I0, j+w.Rect.J0):g.Index(i1+w.Rect.I0, j+w.Rect.J0)]
			for _, v := range row {
				notAbove |= b2u8(!(v >= hi))
				notBelow |= b2u8(v > lo) // NaN counts as below
			}
		}
		above, below := notAbove == 0, notBelow == 0
		if sign < 0 {
			above, below = below, above
		}
		out[b] = settle(above, BlockIn, below)
	}
	return out
}

// b2u8 is 1 for true, 0 for false.
func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// SettleProvinceEdges settles the blocks of kinds (over the province window, for a layer
// whose field and other-class levels these are, threshold thr) that are active because a
// province or land-class boundary lies within their halo, where the values of the layer's
// contoured field (ClassClip of the margin m, the other class's margin mo and the class distances d0, d1) have
// one sign all the same. A block is
//   - Out when every sample of it and its halo either lies on no class's land (d0 ≤ 0 and
//     d1 ≤ 0) with max(d0, d1) < 0, its value max(s·d0, s·d1) < 0, or lies in the engine grid
//     with a field value at most thr − blockSignEpsDB or NaN (m < 0, a NaN level being below
//     the engine's cutoff) and, where it has an other-class level, a distance oth < 0 to the
//     other class's land or that level at most thr − blockSignEpsDB (mo < 0): its value
//     max(min(m, ·), min(mo, s·oth)) < 0;
//   - In when every sample lies on a class's land (d0 > 0 or d1 > 0) with a field value at
//     least thr + blockSignEpsDB: its value is at least min(m, s·own) > 0.
//
// The part of these tests that depends on the boundaries alone is done once per engine
// (EdgeBlocks gives edges). otherLevels holds the other-class levels, dBm, indexed by
// edgeCell's position in the engine's list of cells near the other class.
func SettleProvinceEdges(kinds []BlockKind, edges []EdgeBlock, field, otherLevels []float32, thr float64) {
	hi, lo := float32(thr+blockSignEpsDB), float32(thr-blockSignEpsDB)
	for _, eb := range edges {
		if kinds[eb.b] != BlockActive || !(eb.outOK || eb.inOK) {
			continue
		}
		out, in := eb.outOK, eb.inOK
		for _, c := range eb.cells {
			v := field[c.gk]
			in = in && v >= hi
			out = out && !(v > lo) && !(c.q >= 0 && otherLevels[c.q] > lo)
			if !out && !in {
				break
			}
		}
		kinds[eb.b] = settle(in, BlockIn, out)
	}
}

// EdgeBlock is a static-active block of the province window as SettleProvinceEdges reads it:
// its samples (block and halo) on land within the engine grid, and whether its other samples
// allow it to be Out (each lies off every class's land at a negative distance) or In (there
// are none).
type EdgeBlock struct {
	b           int32
	cells       []edgeCell
	outOK, inOK bool
}

// edgeCell is a land sample of an EdgeBlock: its engine-grid index, and its position in the
// engine's list of cells near the other land class when its other-class level can raise its value to ≥ 0 (its distance to the
// other class's land is ±0), −1 otherwise.
type edgeCell struct{ gk, q int32 }

// EdgeBlocks returns the static-active blocks of static (the static kinds of the province
// window w over the engine grid g; see EdgeBlock), given class[c], the signed distance over w
// to the land of class c, and near, which gives the position of an engine-grid cell in the
// engine's list of cells near the other land class or −1.
func EdgeBlocks(w Window, g geo.Grid, static []BlockKind, class [2][]float32, near func(gk int) int32) []EdgeBlock {
	var edges []EdgeBlock
	bg := newBlockGrid(w)
	for b, sk := range static {
		if sk != BlockActive {
			continue
		}
		eb := EdgeBlock{b: int32(b), outOK: true, inOK: true}
		i0, j0, i1, j1 := bg.Cells(w, b, true)
		for j := j0; j < j1; j++ {
			for i := i0; i < i1; i++ {
				wk, gi, gj := j*w.Grid.NX+i, i+w.Rect.I0, j+w.Rect.J0
				d0, d1 := class[0][wk], class[1][wk]
				switch {
				case d0 <= 0 && d1 <= 0:
					eb.outOK, eb.inOK = eb.outOK && max(d0, d1) < 0, false
				case gi < 0 || gj < 0 || gi >= g.NX || gj >= g.NY:
					eb.outOK, eb.inOK = false, false // beyond the engine grid: margin 0
				default:
					// the other class's term, min(mo, s·oth), is ≤ 0 since a cell lies off the
					// other class's land (oth ≤ 0: every cell has one class), and < 0 unless
					// oth is ±0 (a centre on the class edge) and mo ≥ 0
					oth := d1
					if d1 > 0 {
						oth = d0
					}
					q := int32(-1)
					if oth >= 0 {
						q = near(g.Index(gi, gj))
					}
					eb.cells = append(eb.cells, edgeCell{gk: int32(g.Index(gi, gj)), q: q})
				}
			}
		}
		edges = append(edges, eb)
	}
	return edges
}

// SettleCommuneEdges settles the blocks of kinds (over commune window w of the engine grid g,
// static its static kinds, dist the signed distance to the commune's boundary over it; for the
// gaps at threshold thr of the field) that are active because the commune's boundary lies within
// their halo, where every value of the gaps' contoured field (CommuneClip of −w(m) at the signed distance d to the
// boundary) is negative: every sample of the block and its halo either lies outside the commune
// (d ≤ 0) with d < 0, or lies in the engine grid with a field value at least thr +
// blockSignEpsDB (−w(m) < 0). Such a block is Out (no gap there); a block with a sample outside
// the commune is never In.
func SettleCommuneEdges(kinds []BlockKind, w Window, g geo.Grid, static []BlockKind, dist, field []float32, thr float64) {
	hi := float32(thr + blockSignEpsDB)
	bg := newBlockGrid(w)
	for b, sk := range static {
		if sk != BlockActive || kinds[b] != BlockActive {
			continue
		}
		out := true
		i0, j0, i1, j1 := bg.Cells(w, b, true)
		for j := j0; j < j1 && out; j++ {
			gj := j + w.Rect.J0
			for i := i0; i < i1 && out; i++ {
				wk, gi := j*w.Grid.NX+i, i+w.Rect.I0
				if d := dist[wk]; d <= 0 {
					out = d < 0
					continue
				}
				out = gi >= 0 && gj >= 0 && gi < g.NX && gj < g.NY && field[g.Index(gi, gj)] >= hi
			}
		}
		if out {
			kinds[b] = BlockOut
		}
	}
}

// eachActive calls f with the index and the window-cell rectangle of every active block of
// kinds (blocks of w), in block order.
func eachActive(w Window, kinds []BlockKind, f func(b, i0, j0, i1, j1 int)) {
	bg := newBlockGrid(w)
	for b, kd := range kinds {
		if kd == BlockActive {
			i0, j0, i1, j1 := bg.Cells(w, b, false)
			f(b, i0, j0, i1, j1)
		}
	}
}

// Margins fills vals (one value per cell of window w of the engine grid g) with a layer's
// contoured field, computed only where it matters, given the blocks' kinds (settled from the
// static kinds static): ±1 in the settled blocks that the contour sweep and the conditioning
// read (see fillSettled); in the active blocks, for every run of cells of one window row, the
// values value writes for the part within the engine grid (dst[n] is engine cell (gi0+n, gj))
// and 0 beyond it, passed through clipRow (given the window index of row[0], it clips the
// values of the run in place), then the sample conditioning (Condition's moves, applied to the
// active blocks). clipRow must leave the values of clean land unchanged (the clips of
// ClassClip and CommuneClip take min(m, s·(+Inf)) = m there): it is not called in the blocks
// that static says are clean land. The other samples of vals are left as they are: only
// Polygons, given the same kinds, may read the result.
func Margins(w Window, g geo.Grid, static, kinds []BlockKind, vals []float32, value func(gi0, gj int, dst []float32), clipRow func(wk0 int, row []float32)) {
	fillSettled(w, kinds, vals)
	eachActive(w, kinds, func(b, i0, j0, i1, j1 int) {
		clip := static[b] != BlockLand
		// the block's columns within the engine grid: window i is engine i + I0
		gi0, gi1 := max(i0+w.Rect.I0, 0), min(i1+w.Rect.I0, g.NX)
		for j := j0; j < j1; j++ {
			wk0 := j*w.Grid.NX + i0
			row := vals[wk0 : wk0+i1-i0]
			gj := j + w.Rect.J0
			if gj < 0 || gj >= g.NY || gi0 >= gi1 {
				clear(row) // beyond the engine grid
				if clip {
					clipRow(wk0, row)
				}
				continue
			}
			clear(row[:gi0-w.Rect.I0-i0])
			clear(row[gi1-w.Rect.I0-i0:])
			value(gi0, gj, row[gi0-w.Rect.I0-i0:gi1-w.Rect.I0-i0])
			if clip {
				clipRow(wk0, row)
			}
		}
	})
	c := newConditioner(w.Grid)
	nx, ny := w.Grid.NX, w.Grid.NY
	eachActive(w, kinds, func(_, i0, j0, i1, j1 int) {
		for j := j0; j < j1; j++ {
			for i := i0; i < i1; i++ {
				if k := j*nx + i; i > 0 && j > 0 && i+1 < nx && j+1 < ny {
					in := vals[k] >= 0 // visit's common case, inline: no crossing on its edges
					if (vals[k-1] >= 0) == in && (vals[k+1] >= 0) == in && (vals[k-nx] >= 0) == in && (vals[k+nx] >= 0) == in {
						continue
					}
				}
				c.visit(vals, i, j)
			}
		}
	})
	c.apply(vals)
}

// fillSettled writes ±1 (BlockIn +1, BlockOut −1) into the samples of the settled blocks of
// kinds (over w) that anything reads: every sample of a settled block next to an active one
// (eight-neighbourhood), which the conditioning of its samples and the sweep's and tracing's
// crossings, saddles and exits read, and the window's first and last columns, which the
// sweep tests on every row (ContourPolygonsBlocks). The other samples are left as they are.
func fillSettled(w Window, kinds []BlockKind, vals []float32) {
	bg := newBlockGrid(w)
	nx := w.Grid.NX
	near := make([]bool, len(kinds)) // next to an active block, or one
	for b, kd := range kinds {
		if kd != BlockActive {
			continue
		}
		bi, bj := b%bg.nbx, b/bg.nbx
		for nj := max(0, bj-1); nj <= min(bg.nby-1, bj+1); nj++ {
			for ni := max(0, bi-1); ni <= min(bg.nbx-1, bi+1); ni++ {
				near[nj*bg.nbx+ni] = true
			}
		}
	}
	for b, kd := range kinds {
		if kd == BlockActive {
			continue
		}
		c := float32(1)
		if kd == BlockOut {
			c = -1
		}
		i0, j0, i1, j1 := bg.Cells(w, b, false)
		switch {
		case near[b]:
			for j := j0; j < j1; j++ {
				row := vals[j*nx+i0 : j*nx+i1]
				for n := range row {
					row[n] = c
				}
			}
		case i0 == 0 || i1 == nx:
			for j := j0; j < j1; j++ {
				if i0 == 0 {
					vals[j*nx] = c
				}
				if i1 == nx {
					vals[j*nx+nx-1] = c
				}
			}
		}
	}
}

// Polygons contours vals (over w, blocks kinds) at 0, skipping the settled blocks, with the
// sweep's labels in scratch (nil: allocated for the call).
func Polygons(w Window, vals []float32, kinds []BlockKind, scratch *geo.ContourScratch) orb.MultiPolygon {
	active := make([]bool, len(kinds))
	for b, kd := range kinds {
		active[b] = kd == BlockActive
	}
	return geo.ContourPolygonsBlocks(w.Grid, vals, 0, BlockCells, active, scratch)
}
