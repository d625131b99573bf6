package coverage

import (
	"sync"

	"github.com/paulmach/orb"

	"phusong/data/coverage/contour"
	"phusong/data/land"
	"phusong/geo"
)

// provinceDistance is an engine's signed distance raster to the province boundary.
type provinceDistance struct {
	once sync.Once
	sd   []float32
}

// ProvinceSignedDistanceM returns, for every cell of Grid() (row-major, Grid().Index), the
// signed distance in metres from the cell centre to the province boundary: positive for land
// cells (CommuneIndexRaster ≥ 0), negative for the others. The boundary is the union of the
// communes' edges minus the edges two communes share (see contour.OuterSegments), so borders between
// communes, and between wards and communes, are not part of it. Only cells within
// contour.BoundaryBandCells (2) cells of a cell of the other side are measured exactly: farther land
// cells read +Inf and farther non-land cells −3·CellM, so the zero level of a field
// min(v, ProvinceSignedDistanceM) is the province edge itself (callers such as fibre reach
// polygons use it to clip contours exactly, not to the half-cell staircase of the land cells).
//
// The raster is computed once per engine and shared: callers must not modify it.
func (e *Engine) ProvinceSignedDistanceM() []float32 {
	pd := &e.provDist
	pd.once.Do(func() { pd.sd = signedDistance(e.land.Grid, e.land.Commune, e.boundaries().projected) })
	return pd.sd
}

// signedDistance is the signed distance raster of ProvinceSignedDistanceM on g, whose land cells
// are those where commune ≥ 0, to the outer boundary of projected (the communes' polygons).
func signedDistance(g geo.Grid, commune []int32, projected []orb.MultiPolygon) []float32 {
	// Over the grid padded by contour.WindowPad virtual (outside) cells, so that land cells on the
	// grid's edge are measured too; then the grid's own cells are kept.
	w := contour.NewWindow(g, land.CellRect{I0: -contour.WindowPad, J0: -contour.WindowPad, I1: g.NX + contour.WindowPad, J1: g.NY + contour.WindowPad})
	inside := make([]bool, w.Grid.Len())
	for wk := range inside {
		if gk := w.Full(g, wk); gk >= 0 {
			inside[wk] = commune[gk] >= 0
		}
	}
	padded := contour.SignedDistance(w, inside, contour.OuterSegments(projected))
	sd := make([]float32, g.Len())
	for j := range g.NY {
		copy(sd[g.Index(0, j):g.Index(0, j)+g.NX], padded[w.Index(0, j):w.Index(0, j)+g.NX])
	}
	return sd
}
