//go:build !cgo

package hex

import (
	"github.com/paulmach/orb"
)

// Available reports whether this build can index H3 cells: false without cgo (the H3 library
// is C); build with a C compiler (CGO_ENABLED=1, the default where gcc is installed).
const Available = false

// CellOf returns ErrNoH3 in a build without cgo.
func CellOf(orb.Point, int) (Cell, error) { return 0, ErrNoH3 }

// Centre returns the zero point in a build without cgo (no cell can be made there).
func (c Cell) Centre() orb.Point { return orb.Point{} }

// Boundary returns nil in a build without cgo.
func (c Cell) Boundary() orb.Ring { return nil }

// Resolution reads c's resolution from its bits (bits 52–55).
func (c Cell) Resolution() int { return int(uint64(c) >> 52 & 0xf) }
