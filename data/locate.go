package data

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// CommuneLocator finds the commune holding a lon/lat point, exactly (point in polygon), with a
// coarse lookup grid so that each query tests only the communes whose bounding box meets its
// grid cell. Points on a commune's edge are in it (orb/planar's rule); where communes overlap the
// first in the given order wins. It is immutable and safe for concurrent use.
type CommuneLocator struct {
	communes []Commune
	bounds   []orb.Bound
	all      orb.Bound
	nx, ny   int
	stepDeg  float64
	cells    [][]int32 // per lookup cell, the communes whose bound meets it, in order
}

// locatorStepDeg is the side of the lookup cells, degrees (about 1 km).
const locatorStepDeg = 0.01

// NewCommuneLocator indexes communes (kept in the given order; not copied, not to be modified).
func NewCommuneLocator(communes []Commune) *CommuneLocator {
	l := &CommuneLocator{communes: communes, bounds: make([]orb.Bound, len(communes)), stepDeg: locatorStepDeg}
	first := true
	for i := range communes {
		if len(communes[i].Geometry) == 0 {
			continue
		}
		l.bounds[i] = communes[i].Geometry.Bound()
		if first {
			l.all, first = l.bounds[i], false
		} else {
			l.all = l.all.Union(l.bounds[i])
		}
	}
	if first {
		return l
	}
	l.nx = int(math.Ceil((l.all.Max[0]-l.all.Min[0])/l.stepDeg)) + 1
	l.ny = int(math.Ceil((l.all.Max[1]-l.all.Min[1])/l.stepDeg)) + 1
	l.cells = make([][]int32, l.nx*l.ny)
	for i, b := range l.bounds {
		if len(communes[i].Geometry) == 0 {
			continue
		}
		i0, j0 := l.cell(b.Min[0], b.Min[1])
		i1, j1 := l.cell(b.Max[0], b.Max[1])
		for j := j0; j <= j1; j++ {
			for ii := i0; ii <= i1; ii++ {
				l.cells[j*l.nx+ii] = append(l.cells[j*l.nx+ii], int32(i))
			}
		}
	}
	return l
}

// cell is the lookup cell of a point of l.all (clamped to the grid).
func (l *CommuneLocator) cell(lon, lat float64) (int, int) {
	i := int((lon - l.all.Min[0]) / l.stepDeg)
	j := int((lat - l.all.Min[1]) / l.stepDeg)
	return min(max(i, 0), l.nx-1), min(max(j, 0), l.ny-1)
}

// At returns the index of the commune holding (lon, lat), or −1 when none does (or a coordinate is
// not finite).
func (l *CommuneLocator) At(lon, lat float64) int {
	p := orb.Point{lon, lat}
	if l.cells == nil || !l.all.Contains(p) {
		return -1
	}
	i, j := l.cell(lon, lat)
	for _, ci := range l.cells[j*l.nx+i] {
		if l.bounds[ci].Contains(p) && planar.MultiPolygonContains(l.communes[ci].Geometry, p) {
			return int(ci)
		}
	}
	return -1
}

// Commune returns commune i of the locator (as At numbers them).
func (l *CommuneLocator) Commune(i int) *Commune { return &l.communes[i] }
