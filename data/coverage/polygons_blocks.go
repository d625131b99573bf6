package coverage

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data/land"
	"phusong/geo"
)

// Sparse contouring. Most of the province is far from any contour of a given layer: deep inside
// its coverage or far outside it, and away from the province and land-class boundaries. There
// the contoured field's value does not matter, only its sign: a sample whose four neighbours
// have its sign lies on no crossing edge, and neither the crossings (contourer.crossingT, the
// saddle test) nor the sample conditioning (condition) read it. So contourLayer cuts the
// province window into blocks of blockCells × blockCells cells and, per layer, settles a block
// wholesale when the block and its one-cell halo are
//   - clean land (own-class distance +Inf, other class beyond its band) whose field is at least
//     the threshold plus blockSignEpsDB everywhere: every value is > 0, written as +1;
//   - clean land whose field is at most the threshold minus blockSignEpsDB (or NaN) everywhere,
//     or clean outside (both class distances beyond their bands): every value is < 0, written −1;
//   - near a boundary, but with every value of one sign all the same: no coverage anywhere
//     near the province's edge, full or no coverage on both sides of a land-class edge, full
//     coverage along a commune's edge for its gaps (settleProvinceEdges, settleCommuneEdges);
// and computes the exact value only in the other (active) blocks. A sample with a crossing has
// a neighbour of the other sign, so its block is active, and so is every neighbour it reads;
// the polygons are therefore the same, bit for bit, as from the dense field (tested). The
// margin blockSignEpsDB keeps the sign decision clear of the rounding of distanceMargin near 0.
// On the demo at 50 m, 19,681 of the 14 layers' 377,580 blocks are active, and 1,165 blocks of
// the 82 gap windows.

const (
	blockCells     = 8    // side of an activity block, cells
	blockSignEpsDB = 1e-3 // level margin under which a block is computed exactly, dB
)

// blockKind is how contourLayer fills a block.
type blockKind uint8

const (
	blockActive blockKind = iota // every value computed
	blockIn                      // every value > 0: written +1
	blockOut                     // every value < 0: written −1
	blockLand                    // (static kinds only) clean land: In, Out or Active by the field
)

// blockGrid is the block layout of a window: nbx × nby blocks, row-major.
type blockGrid struct{ nbx, nby int }

func newBlockGrid(w window) blockGrid {
	return blockGrid{(w.grid.NX + blockCells - 1) / blockCells, (w.grid.NY + blockCells - 1) / blockCells}
}

// cells returns the window-cell rectangle of block b, optionally grown by a one-cell halo, clamped
// to the window.
func (bg blockGrid) cells(w window, b int, halo bool) (i0, j0, i1, j1 int) {
	bi, bj := b%bg.nbx, b/bg.nbx
	i0, j0 = bi*blockCells, bj*blockCells
	i1, j1 = min(i0+blockCells, w.grid.NX), min(j0+blockCells, w.grid.NY)
	if halo {
		i0, j0, i1, j1 = max(0, i0-1), max(0, j0-1), min(w.grid.NX, i1+1), min(w.grid.NY, j1+1)
	}
	return i0, j0, i1, j1
}

// staticBlocks returns the blocks of the province window classified by the boundary rasters
// alone: blockLand where the block and its halo are clean land, blockOut where they are clean
// outside, blockActive elsewhere. Built once per engine.
func (bc *boundaryCache) staticBlocks(e *Engine) []blockKind {
	bc.staticOnce.Do(func() {
		far := farOutside(e.land.Grid.CellM)
		inf := float32(math.Inf(1))
		bc.static = classifyBlocks(bc.provWin, func(wk int) (land, outside bool) {
			d0, d1 := bc.class[0][wk], bc.class[1][wk]
			return (d0 == inf && d1 == far) || (d1 == inf && d0 == far), d0 == far && d1 == far
		})
	})
	return bc.static
}

// nearIndex returns, per cell of the province window, the position of the cell in
// nearOtherClass, or −1. Built once per engine.
func (bc *boundaryCache) nearIndex(e *Engine) []int32 {
	bc.nearOnce.Do(func() {
		bc.nearPos = make([]int32, bc.provWin.grid.Len())
		for wk := range bc.nearPos {
			bc.nearPos[wk] = -1
		}
		nx := e.land.Grid.NX
		for n, gk := range bc.near {
			bc.nearPos[bc.provWin.index(int(gk)%nx, int(gk)/nx)] = int32(n)
		}
	})
	return bc.nearPos
}

// nearByTile returns the positions in nearOtherClass ordered by tile, then position: the order in
// which a leveller visits them. Built once per engine.
func (bc *boundaryCache) nearByTile(e *Engine) []int32 {
	bc.nearTileOnce.Do(func() {
		l := e.land
		tileOf := func(n int32) int {
			gk := int(bc.near[n])
			return (gk/l.Grid.NX/land.TileCells)*l.NTX + (gk%l.Grid.NX)/land.TileCells
		}
		bc.nearTiled = make([]int32, len(bc.near))
		for n := range bc.nearTiled {
			bc.nearTiled[n] = int32(n)
		}
		slices.SortStableFunc(bc.nearTiled, func(a, b int32) int { return cmp.Compare(tileOf(a), tileOf(b)) })
	})
	return bc.nearTiled
}

// classifyBlocks returns the static kinds of the blocks of w: blockLand when cell tells that
// every cell of the block and its halo is clean land, blockOut when it tells that every one is
// clean outside, blockActive otherwise.
func classifyBlocks(w window, cell func(wk int) (land, outside bool)) []blockKind {
	bg := newBlockGrid(w)
	out := make([]blockKind, bg.nbx*bg.nby)
	for b := range out {
		land, outside := true, true
		i0, j0, i1, j1 := bg.cells(w, b, true)
		for j := j0; j < j1 && (land || outside); j++ {
			for i := i0; i < i1; i++ {
				l, o := cell(j*w.grid.NX + i)
				land, outside = land && l, outside && o
			}
		}
		out[b] = settle(land, blockLand, outside)
	}
	return out
}

// settle returns first when its test holds, else blockOut when outside holds, else blockActive.
func settle(test bool, first blockKind, outside bool) blockKind {
	switch {
	case test:
		return first
	case outside:
		return blockOut
	}
	return blockActive
}

// settleBlocks returns static (kinds of window w's blocks) with every clean-land block settled
// by field (engine grid) against thr dBm: the contoured value is sign·(level − thr) there, so a
// block whose field (halo included) is at least thr + blockSignEpsDB everywhere is In for sign
// > 0 and Out for sign < 0, one at most thr − blockSignEpsDB (or NaN) everywhere the reverse,
// any other block Active.
func (r *Result) settleBlocks(w window, static []blockKind, field []float32, thr float64, sign float32) []blockKind {
	g := r.eng.land.Grid
	hi, lo := float32(thr+blockSignEpsDB), float32(thr-blockSignEpsDB)
	bg := newBlockGrid(w)
	out := make([]blockKind, len(static))
	for b, sk := range static {
		if sk != blockLand {
			out[b] = sk
			continue
		}
		var notAbove, notBelow uint8 // counted without branches: most blocks read their whole halo
		i0, j0, i1, j1 := bg.cells(w, b, true)
		for j := j0; j < j1 && (notAbove == 0 || notBelow == 0); j++ {
			// clean land lies inside the engine grid: window (i, j) is engine (i+I0, j+J0)
			row := field[g.Index(i0+w.rect.I0, j+w.rect.J0):g.Index(i1+w.rect.I0, j+w.rect.J0)]
			for _, v := range row {
				notAbove |= b2u8(!(v >= hi))
				notBelow |= b2u8(v > lo) // NaN counts as below
			}
		}
		above, below := notAbove == 0, notBelow == 0
		if sign < 0 {
			above, below = below, above
		}
		out[b] = settle(above, blockIn, below)
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

// layerBlocks returns the block kinds of the province window for layer k: settleBlocks, then
// settleProvinceEdges. Cached per layer.
func (r *Result) layerBlocks(k layerKey) []blockKind {
	return r.polygons().blocks.get(k, func() []blockKind {
		thr, _, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
		bc := r.eng.boundaries()
		field := r.Field(k.carrier, k.tech)
		kinds := r.settleBlocks(bc.provWin, bc.staticBlocks(r.eng), field, thr, 1)
		r.settleProvinceEdges(kinds, field, r.otherLevels(k), thr)
		return kinds
	})
}

// settleProvinceEdges settles the blocks of kinds (over the province window, for a layer
// whose field and other-class levels these are, threshold thr) that are active because a
// province or land-class boundary lies within their halo, where the values of contourLayer
// (classClip of the margin m, the other class's margin mo and the class distances d0, d1) have
// one sign all the same. A block is
//   - Out when every sample of it and its halo either lies on no class's land (d0 ≤ 0 and
//     d1 ≤ 0) with max(d0, d1) < 0, its value max(s·d0, s·d1) < 0, or lies in the engine grid
//     with a field value at most thr − blockSignEpsDB or NaN (m < 0, belowCutoff's level being
//     below the cutoff) and, where it has an other-class level, a distance oth < 0 to the
//     other class's land or that level at most thr − blockSignEpsDB (mo < 0): its value
//     max(min(m, ·), min(mo, s·oth)) < 0;
//   - In when every sample lies on a class's land (d0 > 0 or d1 > 0) with a field value at
//     least thr + blockSignEpsDB: its value is at least min(m, s·own) > 0.
//
// The part of these tests that depends on the boundaries alone is done once per engine
// (boundaryCache.edgeBlocks).
func (r *Result) settleProvinceEdges(kinds []blockKind, field []float32, other levelFill, thr float64) {
	hi, lo := float32(thr+blockSignEpsDB), float32(thr-blockSignEpsDB)
	for _, eb := range r.eng.boundaries().edgeBlocks(r.eng) {
		if kinds[eb.b] != blockActive || !(eb.outOK || eb.inOK) {
			continue
		}
		out, in := eb.outOK, eb.inOK
		for _, c := range eb.cells {
			v := field[c.gk]
			in = in && v >= hi
			out = out && !(v > lo) && !(c.q >= 0 && other.levels[c.q] > lo)
			if !out && !in {
				break
			}
		}
		kinds[eb.b] = settle(in, blockIn, out)
	}
}

// edgeBlock is a static-active block of the province window as settleProvinceEdges reads it:
// its samples (block and halo) on land within the engine grid, and whether its other samples
// allow it to be Out (each lies off every class's land at a negative distance) or In (there
// are none).
type edgeBlock struct {
	b           int32
	cells       []edgeCell
	outOK, inOK bool
}

// edgeCell is a land sample of an edgeBlock: its engine-grid index, and its position in
// nearOtherClass when its other-class level can raise its value to ≥ 0 (its distance to the
// other class's land is ±0), −1 otherwise.
type edgeCell struct{ gk, q int32 }

// edgeBlocks returns the static-active blocks of the province window (see edgeBlock). Built
// once per engine.
func (bc *boundaryCache) edgeBlocks(e *Engine) []edgeBlock {
	bc.edgeOnce.Do(func() {
		g := e.land.Grid
		w := bc.provWin
		near := bc.nearIndex(e)
		bg := newBlockGrid(w)
		for b, sk := range bc.staticBlocks(e) {
			if sk != blockActive {
				continue
			}
			eb := edgeBlock{b: int32(b), outOK: true, inOK: true}
			i0, j0, i1, j1 := bg.cells(w, b, true)
			for j := j0; j < j1; j++ {
				for i := i0; i < i1; i++ {
					wk, gi, gj := j*w.grid.NX+i, i+w.rect.I0, j+w.rect.J0
					d0, d1 := bc.class[0][wk], bc.class[1][wk]
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
						q := near[wk]
						if oth < 0 {
							q = -1
						}
						eb.cells = append(eb.cells, edgeCell{gk: int32(g.Index(gi, gj)), q: q})
					}
				}
			}
			bc.edges = append(bc.edges, eb)
		}
	})
	return bc.edges
}

// settleCommuneEdges settles the blocks of kinds (over commune window cb.win, for the gaps at
// threshold thr of the field) that are active because the commune's boundary lies within their
// halo, where every value of contourGaps (communeClip of −w(m) at the signed distance d to the
// boundary) is negative: every sample of the block and its halo either lies outside the commune
// (d ≤ 0) with d < 0, or lies in the engine grid with a field value at least thr +
// blockSignEpsDB (−w(m) < 0). Such a block is Out (no gap there); a block with a sample outside
// the commune is never In.
func (r *Result) settleCommuneEdges(kinds []blockKind, cb communeBoundary, field []float32, thr float64) {
	g := r.eng.land.Grid
	w := cb.win
	hi := float32(thr + blockSignEpsDB)
	bg := newBlockGrid(w)
	for b, sk := range cb.static {
		if sk != blockActive || kinds[b] != blockActive {
			continue
		}
		out := true
		i0, j0, i1, j1 := bg.cells(w, b, true)
		for j := j0; j < j1 && out; j++ {
			gj := j + w.rect.J0
			for i := i0; i < i1 && out; i++ {
				wk, gi := j*w.grid.NX+i, i+w.rect.I0
				if d := cb.dist[wk]; d <= 0 {
					out = d < 0
					continue
				}
				out = gi >= 0 && gj >= 0 && gi < g.NX && gj < g.NY && field[g.Index(gi, gj)] >= hi
			}
		}
		if out {
			kinds[b] = blockOut
		}
	}
}

// eachActive calls f with the index and the window-cell rectangle of every active block of
// kinds (blocks of w), in block order.
func eachActive(w window, kinds []blockKind, f func(b, i0, j0, i1, j1 int)) {
	bg := newBlockGrid(w)
	for b, kd := range kinds {
		if kd == blockActive {
			i0, j0, i1, j1 := bg.cells(w, b, false)
			f(b, i0, j0, i1, j1)
		}
	}
}

// sparseMargins returns the contoured field of layer k over window w, whose blocks are kinds
// (settled from the static kinds static): ±1 in the settled blocks that the contour sweep and
// the conditioning read (see fillSettled); in the active ones sign·w(level − threshold) (see
// distanceMargin; 0 beyond the engine grid, belowCutoff's level where the field is NaN) passed
// through clipRow (given the window index of row[0], it clips the values of a run of cells of
// one window row in place), then the sample conditioning. clipRow must leave the values of
// clean land unchanged (the clips of contourLayer and contourGaps take min(m, s·(+Inf)) = m
// there): it is not called in the blocks that static says are clean land. The other samples
// are unspecified: the raster comes from marginBufs (give it back with putMargins when done)
// and only contourBlocks may read it.
func (r *Result) sparseMargins(k layerKey, w window, static, kinds []blockKind, sign float32, clipRow func(wk0 int, row []float32)) []float32 {
	e := r.eng
	g := e.land.Grid
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	field := r.Field(k.carrier, k.tech)
	t32, cutoff := float32(thr), float32(e.rules[ti].cutoff)
	vals := getMargins(w.grid.Len())
	fillSettled(w, kinds, vals)
	eachActive(w, kinds, func(b, i0, j0, i1, j1 int) {
		clip := static[b] != blockLand
		// the block's columns within the engine grid: window i is engine i + I0
		gi0, gi1 := max(i0+w.rect.I0, 0), min(i1+w.rect.I0, g.NX)
		for j := j0; j < j1; j++ {
			wk0 := j*w.grid.NX + i0
			row := vals[wk0 : wk0+i1-i0]
			gj := j + w.rect.J0
			if gj < 0 || gj >= g.NY || gi0 >= gi1 {
				clear(row) // beyond the engine grid
				if clip {
					clipRow(wk0, row)
				}
				continue
			}
			clear(row[:gi0-w.rect.I0-i0])
			clear(row[gi1-w.rect.I0-i0:])
			in := row[gi0-w.rect.I0-i0 : gi1-w.rect.I0-i0]
			frow := field[g.Index(gi0, gj):g.Index(gi1, gj)]
			for n, lv := range frow[:len(in)] {
				if lv != lv {
					lv = r.belowCutoff(k, ti, field, gi0+n, gj, t32, cutoff)
				}
				in[n] = sign * distanceMargin(lv-t32)
			}
			if clip {
				clipRow(wk0, row)
			}
		}
	})
	c := newConditioner(w.grid)
	nx, ny := w.grid.NX, w.grid.NY
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
	return vals
}

// fillSettled writes ±1 (blockIn +1, blockOut −1) into the samples of the settled blocks of
// kinds (over w) that anything reads: every sample of a settled block next to an active one
// (eight-neighbourhood), which the conditioning of its samples and the sweep's and tracing's
// crossings, saddles and exits read, and the window's first and last columns, which the
// sweep tests on every row (ContourPolygonsBlocks). The other samples are left as they are.
func fillSettled(w window, kinds []blockKind, vals []float32) {
	bg := newBlockGrid(w)
	nx := w.grid.NX
	near := make([]bool, len(kinds)) // next to an active block, or one
	for b, kd := range kinds {
		if kd != blockActive {
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
		if kd == blockActive {
			continue
		}
		c := float32(1)
		if kd == blockOut {
			c = -1
		}
		i0, j0, i1, j1 := bg.cells(w, b, false)
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

// marginBufs recycles the window-sized rasters of sparseMargins (7 MB for the province at 50 m).
var marginBufs sync.Pool

// getMargins returns a raster of n values (contents unspecified).
func getMargins(n int) []float32 {
	if p, ok := marginBufs.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

// putMargins gives a raster of getMargins back.
func putMargins(v []float32) { marginBufs.Put(&v) }

// contourLayer contours layer k over the whole grid, clipped to the province: the field of
// clipClassMargins over the province window, computed in the active blocks only (see above).
func (r *Result) contourLayer(k layerKey) orb.MultiPolygon {
	e := r.eng
	bc := e.boundaries()
	thr, _, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	other := r.otherLevels(k)
	t32 := float32(thr)
	s := float32(boundarySlopeDBPerCell / e.land.Grid.CellM)
	near := bc.nearIndex(e)
	kinds := r.layerBlocks(k)
	d0s, d1s := bc.class[0], bc.class[1]
	nan := float32(math.NaN())
	vals := r.sparseMargins(k, bc.provWin, bc.staticBlocks(e), kinds, 1, func(wk0 int, row []float32) {
		for n, v := range row {
			wk := wk0 + n
			mo := nan
			if q := near[wk]; q >= 0 {
				mo = distanceMargin(other.levels[q] - t32)
			}
			row[n] = classClip(v, mo, d0s[wk], d1s[wk], s)
		}
	})
	defer putMargins(vals)
	return contourBlocks(bc.provWin, vals, kinds)
}

// otherLevels returns the other-class levels of layer k's carrier and technology (cached).
func (r *Result) otherLevels(k layerKey) levelFill {
	return r.polygons().other.get(layerKey{k.carrier, k.tech, 0}, func() levelFill {
		return r.otherClass(k.carrier, techIndex(k.tech))
	})
}

// contourBlocks contours vals (over w, blocks kinds) at 0, skipping the settled blocks.
func contourBlocks(w window, vals []float32, kinds []blockKind) orb.MultiPolygon {
	active := make([]bool, len(kinds))
	for b, kd := range kinds {
		active[b] = kd == blockActive
	}
	return geo.ContourPolygonsBlocks(w.grid, vals, 0, blockCells, active)
}
