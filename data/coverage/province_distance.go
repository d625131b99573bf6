package coverage

import (
	"phusong/data/land"
	"sync"
)

// provinceDistance is an engine's signed distance raster to the province boundary.
type provinceDistance struct {
	once sync.Once
	sd   []float32
}

// engineProvinceDistance caches ProvinceSignedDistanceM per engine (engines are immutable).
var engineProvinceDistance weakCache[Engine, provinceDistance]

// ProvinceSignedDistanceM returns, for every cell of Grid() (row-major, Grid().Index), the
// signed distance in metres from the cell centre to the province boundary: positive for land
// cells (CommuneIndexRaster ≥ 0), negative for the others. The boundary is the union of the
// communes' edges minus the edges two communes share (see outerSegments), so borders between
// communes, and between wards and communes, are not part of it. Only cells within
// boundaryBandCells (2) cells of a cell of the other side are measured exactly: farther land
// cells read +Inf and farther non-land cells −3·CellM, so the zero level of a field
// min(v, ProvinceSignedDistanceM) is the province edge itself (callers such as fibre reach
// polygons use it to clip contours exactly, not to the half-cell staircase of the land cells).
//
// The raster is computed once per engine and shared: callers must not modify it.
func (e *Engine) ProvinceSignedDistanceM() []float32 {
	pd := engineProvinceDistance.get(e, func() *provinceDistance { return &provinceDistance{} })
	pd.once.Do(func() {
		// Over the grid padded by windowPad virtual (outside) cells, so that land cells on the
		// grid's edge are measured too; then the grid's own cells are kept.
		g := e.land.Grid
		w := newWindow(g, land.CellRect{I0: -windowPad, J0: -windowPad, I1: g.NX + windowPad, J1: g.NY + windowPad})
		inside := make([]bool, w.grid.Len())
		for wk := range inside {
			if gk := w.full(g, wk); gk >= 0 {
				inside[wk] = e.land.Commune[gk] >= 0
			}
		}
		padded := signedDistance(w, inside, outerSegments(e.boundaries().projected))
		pd.sd = make([]float32, g.Len())
		for j := range g.NY {
			copy(pd.sd[g.Index(0, j):g.Index(0, j)+g.NX], padded[w.index(0, j):w.index(0, j)+g.NX])
		}
	})
	return pd.sd
}
