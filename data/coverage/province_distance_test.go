package coverage

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data/coverage/contour"
)

// The small case's province is a hexagon split by the shared edge x = 0 (local metres):
//
//	(-2000, 3500) +--------+--------+ (2000, 3500)
//	             /         |         \
//	(-4000, 0)  +   ward   | commune  +  (4000, 0)
//	             \         |         /
//	(-2000,-3500) +--------+--------+ (2000, -3500)
//
// Oracle: the distance from each cell centre to the six outer edges, by brute force in the
// engine's projection (the shared edge is not part of the province boundary), signed by the
// land raster; outside a convex corner, as documented, the larger distance to the lines of the
// two edges meeting there. Cells within one cell of the boundary must carry it exactly; cells
// farther away carry it or the far value (+Inf inside, −3 cells outside), and beyond four
// cells only the far value; no cell near the shared edge but far from the outer ones reads a
// small distance.
func TestProvinceSignedDistanceM(t *testing.T) {
	e, _ := smallCase(t, 100)
	g, tm := e.Grid(), e.Projection()
	hex := orb.Ring{}
	for _, xy := range [][2]float64{{-4000, 0}, {-2000, -3500}, {2000, -3500}, {4000, 0}, {2000, 3500}, {-2000, 3500}, {-4000, 0}} {
		hex = append(hex, tm.Forward(smallPoint(xy[0], xy[1])))
	}
	sd := e.ProvinceSignedDistanceM()
	if len(sd) != g.Len() {
		t.Fatalf("%d values for %d cells", len(sd), g.Len())
	}
	raster := e.CommuneIndexRaster()
	shared := contour.Segment{A: tm.Forward(smallPoint(0, -3500)), B: tm.Forward(smallPoint(0, 3500))}
	var exact, deep int
	for j := range g.NY {
		for i := range g.NX {
			k := g.Index(i, j)
			c := g.Center(i, j)
			want, corner := math.Inf(1), -1
			for s := range len(hex) - 1 {
				if d, at := (contour.Segment{A: hex[s], B: hex[s+1]}).DistParam(c); d < want {
					want, corner = d, -1
					if at == 0 || at == 1 {
						corner = (s + int(at)) % (len(hex) - 1)
					}
				}
			}
			if raster[k] < 0 {
				if corner >= 0 {
					prev := (corner + len(hex) - 2) % (len(hex) - 1)
					want = max(contour.Segment{A: hex[prev], B: hex[corner]}.LineDist(c), contour.Segment{A: hex[corner], B: hex[corner+1]}.LineDist(c))
				}
				want = -want
			}
			got := float64(sd[k])
			far := math.Inf(1)
			if want < 0 {
				far = -3 * g.CellM
			}
			switch {
			case math.Abs(want) < g.CellM:
				exact++
				if math.Abs(got-want) > 1e-3 {
					t.Errorf("cell (%d, %d) %.1f m from the boundary: %g, want %.4f", i, j, want, got, want)
				}
			case math.Abs(want) > 4*g.CellM:
				deep++
				if got != far {
					t.Errorf("cell (%d, %d) %.0f m from the boundary: %g, want %g", i, j, want, got, far)
				}
			case got != far && math.Abs(got-want) > 1e-3:
				t.Errorf("cell (%d, %d) %.0f m from the boundary: %g, want %.4f or %g", i, j, want, got, want, far)
			}
			if shared.DistTo(c) < g.CellM && want > 3*g.CellM && got < 3*g.CellM {
				t.Errorf("cell (%d, %d) beside the shared edge, %.0f m from the boundary: %g", i, j, want, got)
			}
			if (got > 0) != planar.RingContains(hex, c) && math.Abs(want) > 1e-6 {
				t.Errorf("cell (%d, %d): sign of %g disagrees with the hexagon", i, j, got)
			}
		}
	}
	if exact < 100 || deep < 1000 {
		t.Fatalf("only %d cells within a cell of the boundary and %d deep inside: fixture too small", exact, deep)
	}
	if again := e.ProvinceSignedDistanceM(); &again[0] != &sd[0] {
		t.Error("the raster is computed again on the second call")
	}
}
