package contour

import (
	"phusong/data/land"
	"phusong/geo"
)

// Window is a rectangle of cells of the engine grid, possibly reaching beyond it (virtual cells
// outside the province, so that contours close on the province boundary and not on the grid's
// edge), with its own sub-grid of the same cells: cell (i, j) of Grid is cell (Rect.I0+i,
// Rect.J0+j) of the engine grid, and window rasters are row-major in Grid.
type Window struct {
	Rect land.CellRect
	Grid geo.Grid
}

// NewWindow returns the window of r over the engine grid g (not clamped; an empty r gives the
// empty window).
func NewWindow(g geo.Grid, r land.CellRect) Window {
	if r.Empty() {
		return Window{Rect: r}
	}
	return Window{Rect: r, Grid: geo.Grid{
		X0M: g.X0M + float64(r.I0)*g.CellM, Y0M: g.Y0M + float64(r.J0)*g.CellM, CellM: g.CellM,
		NX: r.I1 - r.I0, NY: r.J1 - r.J0,
	}}
}

// Full returns the engine-grid index of window cell wk, or −1 for a cell beyond the engine
// grid g.
func (w Window) Full(g geo.Grid, wk int) int {
	i, j := w.Rect.I0+wk%w.Grid.NX, w.Rect.J0+wk/w.Grid.NX
	if i < 0 || j < 0 || i >= g.NX || j >= g.NY {
		return -1
	}
	return g.Index(i, j)
}

// Index returns the window index of engine-grid cell (i, j), or −1 outside the window.
func (w Window) Index(i, j int) int {
	i, j = i-w.Rect.I0, j-w.Rect.J0
	if i < 0 || j < 0 || i >= w.Grid.NX || j >= w.Grid.NY {
		return -1
	}
	return j*w.Grid.NX + i
}

// WindowPad is how far windows reach beyond what they must hold: the distance band plus one.
const WindowPad = BoundaryBandCells + 1
