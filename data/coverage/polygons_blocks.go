package coverage

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data/coverage/contour"
	"phusong/geo"
)

// staticBlocks returns the blocks of the province window classified by the boundary rasters
// alone (see boundaries).
func (bc *boundaryCache) staticBlocks(*Engine) []contour.BlockKind { return bc.static }

// nearPosOf returns the position of engine-grid cell gk in nearOtherClass, or −1 (a binary
// search: a raster of the positions over the province window took 4 bytes a cell, 6.5 MB on
// the demo at 50 m, for a list of a few thousand cells).
func (bc *boundaryCache) nearPosOf(gk int) int32 {
	if q, ok := slices.BinarySearch(bc.near, int32(gk)); ok {
		return int32(q)
	}
	return -1
}

// nearByTile returns the positions in nearOtherClass ordered by tile, then position: the order in
// which a leveller visits them. Built once per engine.
func (bc *boundaryCache) nearByTile(e *Engine) []int32 {
	bc.nearTileOnce.Do(func() {
		l := e.land
		tileOf := func(n int32) int {
			gk := int(bc.near[n])
			return l.TileOf(gk%l.Grid.NX, gk/l.Grid.NX)
		}
		bc.nearTiled = make([]int32, len(bc.near))
		for n := range bc.nearTiled {
			bc.nearTiled[n] = int32(n)
		}
		slices.SortStableFunc(bc.nearTiled, func(a, b int32) int { return cmp.Compare(tileOf(a), tileOf(b)) })
	})
	return bc.nearTiled
}

// edgeBlocks returns the static-active blocks of the province window as
// contour.SettleProvinceEdges reads them (see boundaries).
func (bc *boundaryCache) edgeBlocks(*Engine) []contour.EdgeBlock { return bc.edges }

// layerBlocks returns the block kinds of the province window for layer k: contour.SettleBlocks,
// then contour.SettleProvinceEdges. Cached per layer.
func (r *Result) layerBlocks(k layerKey) []contour.BlockKind {
	return r.polygons().blocks.get(k, func() []contour.BlockKind {
		thr, _, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
		bc := r.eng.boundaries()
		field := r.Field(k.carrier, k.tech)
		kinds := contour.SettleBlocks(bc.provWin, r.eng.land.Grid, bc.staticBlocks(r.eng), field, thr, 1)
		contour.SettleProvinceEdges(kinds, bc.edgeBlocks(r.eng), field, r.otherLevels(k).levels, thr)
		return kinds
	})
}

// sparseMargins fills vals with the contoured field of layer k over window w (contour.Margins),
// whose blocks are kinds (settled from the static kinds static), the value of an active cell
// being sign·w(level − threshold) (contour.DistanceMargin; belowCutoff's level where the field
// is NaN) passed through clipRow. Only contour.Polygons may read the result.
func (r *Result) sparseMargins(k layerKey, w contour.Window, static, kinds []contour.BlockKind, sign float32, vals []float32, clipRow func(wk0 int, row []float32)) {
	e := r.eng
	g := e.land.Grid
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	field := r.Field(k.carrier, k.tech)
	t32, cutoff := float32(thr), float32(e.rules[ti].cutoff)
	contour.Margins(w, g, static, kinds, vals, func(gi0, gj int, dst []float32) {
		for n, lv := range field[g.Index(gi0, gj):g.Index(gi0+len(dst), gj)] {
			if lv != lv {
				lv = r.belowCutoff(k, ti, field, gi0+n, gj, t32, cutoff)
			}
			dst[n] = sign * contour.DistanceMargin(lv-t32)
		}
	}, clipRow)
}

// polyScratch is the scratch memory of one polygon build: the window raster sparseMargins
// fills and the contour sweep's labels.
type polyScratch struct {
	vals    []float32
	contour geo.ContourScratch
}

// getScratch returns a polygon build's scratch from the engine's pool, vals sized for a window
// of n cells (contents unspecified; 7 MB for the province at 50 m). Give it back with
// putScratch.
func (e *Engine) getScratch(n int) *polyScratch {
	ps, _ := e.scratch.Get().(*polyScratch)
	if ps == nil {
		ps = &polyScratch{}
	}
	if cap(ps.vals) < n {
		ps.vals = make([]float32, n)
	}
	ps.vals = ps.vals[:n]
	return ps
}

// putScratch gives a scratch of getScratch back.
func (e *Engine) putScratch(ps *polyScratch) { e.scratch.Put(ps) }

// contourLayer contours layer k over the whole grid, clipped to the province: the field of
// contour.ClassClip over the province window, computed in the active blocks only (contour.Margins).
func (r *Result) contourLayer(k layerKey) orb.MultiPolygon {
	e := r.eng
	bc := e.boundaries()
	thr, _, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	other := r.otherLevels(k)
	t32 := float32(thr)
	s := float32(contour.BoundarySlopeDBPerCell / e.land.Grid.CellM)
	near := bc.nearOtherClass()
	kinds := r.layerBlocks(k)
	nan := float32(math.NaN())
	g, win := e.land.Grid, bc.provWin
	d0s, d1s := make([]float32, win.Grid.NX), make([]float32, win.Grid.NX) // one row's distances
	ps := e.getScratch(win.Grid.Len())
	defer e.putScratch(ps)
	r.sparseMargins(k, win, bc.staticBlocks(e), kinds, 1, ps.vals, func(wk0 int, row []float32) {
		// row lies in one row of the window (a block's): its engine-grid cells are ascending, so
		// are those of near, which one walk matches from the first at or after the row's start
		gi0, gj := win.Rect.I0+wk0%win.Grid.NX, win.Rect.J0+wk0/win.Grid.NX
		bc.classRows(wk0, d0s[:len(row)], d1s[:len(row)])
		q := len(near)
		if gj >= 0 && gj < g.NY {
			q, _ = slices.BinarySearch(near, int32(g.Index(max(gi0, 0), gj)))
		}
		for n, v := range row {
			mo := nan
			if gi := gi0 + n; q < len(near) && gi >= 0 && gi < g.NX && near[q] == int32(g.Index(gi, gj)) {
				mo = contour.DistanceMargin(other.levels[q] - t32)
				q++
			}
			row[n] = contour.ClassClip(v, mo, d0s[n], d1s[n], s)
		}
	})
	return contour.Polygons(bc.provWin, ps.vals, kinds, &ps.contour)
}

// otherLevels returns the other-class levels of layer k's carrier and technology (cached).
func (r *Result) otherLevels(k layerKey) levelFill {
	return r.polygons().other.get(layerKey{k.carrier, k.tech, 0}, func() levelFill {
		return r.otherClass(k.carrier, techIndex(k.tech))
	})
}
