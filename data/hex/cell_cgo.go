//go:build cgo

package hex

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Available reports whether this build can index H3 cells: true in a cgo build (the H3 library
// is C, through github.com/uber/h3-go/v4).
const Available = true

// CellOf returns the H3 cell of resolution res (0–15) holding p (lon, lat degrees).
func CellOf(p orb.Point, res int) (Cell, error) {
	if res < 0 || res > 15 {
		return 0, fmt.Errorf("hex: resolution %d: must be 0 to 15", res)
	}
	return Cell(h3.LatLngToCell(h3.NewLatLng(p[1], p[0]), res)), nil
}

// Centre returns the centre of c (lon, lat degrees), H3's cell centre (a point of the
// icosahedron face's gnomonic projection, not the spherical centroid of the boundary).
func (c Cell) Centre() orb.Point {
	ll := h3.CellToLatLng(h3.Cell(c))
	return orb.Point{ll.Lng, ll.Lat}
}

// Boundary returns c's boundary as a closed counter-clockwise ring (lon, lat degrees): six
// vertices for a hexagon (more where it crosses an icosahedron edge), five for a pentagon.
func (c Cell) Boundary() orb.Ring {
	b := h3.CellToBoundary(h3.Cell(c))
	r := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		r = append(r, orb.Point{ll.Lng, ll.Lat})
	}
	return append(r, r[0])
}

// Resolution returns c's resolution.
func (c Cell) Resolution() int { return h3.Cell(c).Resolution() }
