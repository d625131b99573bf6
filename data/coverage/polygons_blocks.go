package coverage

import (
	"math"

	"github.com/paulmach/orb"

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
// and computes the exact value only in the other (active) blocks. A sample with a crossing has
// a neighbour of the other sign, so its block is active, and so is every neighbour it reads;
// the polygons are therefore the same, bit for bit, as from the dense field (tested). The
// margin blockSignEpsDB keeps the sign decision clear of the rounding of distanceMargin near 0.

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
	bc.staticOnce.Do(func() { bc.static = e.classifyBlocks(bc) })
	return bc.static
}

// nearIndex returns, per cell of the province window, the position of the cell in
// nearOtherClass, or −1. Built once per engine.
func (bc *boundaryCache) nearIndex() []int32 {
	bc.nearOnce.Do(func() {
		bc.nearPos = make([]int32, bc.provWin.grid.Len())
		for wk := range bc.nearPos {
			bc.nearPos[wk] = -1
		}
		nx := bc.provWin.rect.I1 - bc.provWin.rect.I0 - 2*windowPad // the engine grid's width
		for n, gk := range bc.near {
			bc.nearPos[bc.provWin.index(int(gk)%nx, int(gk)/nx)] = int32(n)
		}
	})
	return bc.nearPos
}

// classifyBlocks computes staticBlocks.
func (e *Engine) classifyBlocks(bc *boundaryCache) []blockKind {
	w := bc.provWin
	g := e.land.grid
	far := farOutside(g.CellM)
	inf := float32(math.Inf(1))
	bg := newBlockGrid(w)
	out := make([]blockKind, bg.nbx*bg.nby)
	for b := range out {
		land, outside := true, true
		i0, j0, i1, j1 := bg.cells(w, b, true)
		for j := j0; j < j1 && (land || outside); j++ {
			for i := i0; i < i1; i++ {
				wk := j*w.grid.NX + i
				d0, d1 := bc.class[0][wk], bc.class[1][wk]
				land = land && ((d0 == inf && d1 == far) || (d1 == inf && d0 == far))
				outside = outside && d0 == far && d1 == far
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

// layerBlocks returns the block kinds of the province window for layer k: the static kinds with
// every clean-land block settled by the layer's field. Cached per layer.
func (r *Result) layerBlocks(k layerKey) []blockKind {
	return r.polygons().blocks.get(k, func() []blockKind {
		thr, _, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
		field := r.Field(k.carrier, k.tech)
		bc := r.eng.boundaries()
		w := bc.provWin
		g := r.eng.land.grid
		hi, lo := float32(thr+blockSignEpsDB), float32(thr-blockSignEpsDB)
		bg := newBlockGrid(w)
		static := bc.staticBlocks(r.eng)
		out := make([]blockKind, len(static))
		for b, sk := range static {
			if sk != blockLand {
				out[b] = sk
				continue
			}
			in, outside := true, true
			i0, j0, i1, j1 := bg.cells(w, b, true)
			for j := j0; j < j1 && (in || outside); j++ {
				// clean land lies inside the engine grid: window (i, j) is engine (i+I0, j+J0)
				row := field[g.Index(i0+w.rect.I0, j+w.rect.J0):g.Index(i1+w.rect.I0, j+w.rect.J0)]
				for _, v := range row {
					in = in && v >= hi
					outside = outside && !(v > lo) // NaN counts as below
				}
			}
			out[b] = settle(in, blockIn, outside)
		}
		return out
	})
}

// activeCells calls f with every engine-grid cell (i, j) of an active block of kinds (blocks of
// the province window), row by row within each block.
func (r *Result) activeCells(kinds []blockKind, f func(i, j int)) {
	w := r.eng.boundaries().provWin
	g := r.eng.land.grid
	bg := newBlockGrid(w)
	for b, kd := range kinds {
		if kd != blockActive {
			continue
		}
		i0, j0, i1, j1 := bg.cells(w, b, false)
		for j := max(j0+w.rect.J0, 0); j < min(j1+w.rect.J0, g.NY); j++ {
			for i := max(i0+w.rect.I0, 0); i < min(i1+w.rect.I0, g.NX); i++ {
				f(i, j)
			}
		}
	}
}

// contourLayer contours layer k over the whole grid, clipped to the province: the field of
// clipClassMargins over the province window, computed in the active blocks only (see above).
func (r *Result) contourLayer(k layerKey) orb.MultiPolygon {
	e := r.eng
	bc := e.boundaries()
	w := bc.provWin
	g := e.land.grid
	kinds := r.layerBlocks(k)
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	field := r.Field(k.carrier, k.tech)
	fill := r.polygons().fills.get(k, func() levelFill { return r.belowCutoff(k, ti, thr, field) })
	other := r.polygons().other.get(layerKey{k.carrier, k.tech, 0}, func() levelFill { return r.otherClass(k.carrier, ti) })
	t32, cutoff := float32(thr), float32(e.rules[ti].cutoff)
	s := float32(boundarySlopeDBPerCell / g.CellM)
	near := bc.nearIndex()

	vals := make([]float32, w.grid.Len())
	bg := newBlockGrid(w)
	// Margins of the active blocks (0 beyond the engine grid), then the fills over them.
	for b, kd := range kinds {
		i0, j0, i1, j1 := bg.cells(w, b, false)
		c := float32(1)
		if kd == blockOut {
			c = -1
		}
		for j := j0; j < j1; j++ {
			row := vals[j*w.grid.NX+i0 : j*w.grid.NX+i1]
			if kd != blockActive {
				for n := range row {
					row[n] = c
				}
				continue
			}
			for n := range row {
				gi, gj := i0+n+w.rect.I0, j+w.rect.J0
				if gi < 0 || gj < 0 || gi >= g.NX || gj >= g.NY {
					row[n] = 0
					continue
				}
				lv := field[g.Index(gi, gj)]
				if lv != lv {
					lv = cutoff
				}
				row[n] = distanceMargin(lv - t32)
			}
		}
	}
	fill.margins(vals, w, g, t32, 1)
	// The class clipping of clipClassMargins, in the active blocks.
	for b, kd := range kinds {
		if kd != blockActive {
			continue
		}
		i0, j0, i1, j1 := bg.cells(w, b, false)
		for j := j0; j < j1; j++ {
			for i := i0; i < i1; i++ {
				wk := j*w.grid.NX + i
				mo := float32(math.NaN())
				if n := near[wk]; n >= 0 {
					mo = distanceMargin(other.levels[n] - t32)
				}
				vals[wk] = classClip(vals[wk], mo, bc.class[0][wk], bc.class[1][wk], s)
			}
		}
	}
	conditionBlocks(w.grid, vals, bg, kinds)
	return geo.ContourPolygons(w.grid, vals, 0)
}

// conditionBlocks is condition restricted to the samples of the active blocks (the others have
// no crossing on any of their edges, so condition leaves them alone).
func conditionBlocks(g geo.Grid, v []float32, bg blockGrid, kinds []blockKind) {
	c := newConditioner(g)
	w := window{grid: g}
	for b, kd := range kinds {
		if kd != blockActive {
			continue
		}
		i0, j0, i1, j1 := bg.cells(w, b, false)
		for j := j0; j < j1; j++ {
			for i := i0; i < i1; i++ {
				c.visit(v, i, j)
			}
		}
	}
	c.apply(v)
}
