package coverage

import (
	"math"
	"testing"

	"phusong/data/coverage/contour"
)

// TestPackedCommuneDistance checks that the commune boundary rasters the engine keeps packed
// unpack to the rasters contour.SignedDistance gives, bit for bit (±0 and the band values
// included), for every commune of the demo, and that packing them saves most of their memory.
func TestPackedCommuneDistance(t *testing.T) {
	t.Parallel()
	e := demoShared(t, DefaultCellM).e
	far := contour.FarOutside(e.land.Grid.CellM)
	var rasterB, packedB, band int
	for ci := range e.communes {
		_, want := e.communeDistance(ci)
		got := e.communeBoundary(ci).dist
		if len(got) != len(want) {
			t.Fatalf("commune %d: %d cells unpacked, want %d", ci, len(got), len(want))
		}
		for k := range want {
			if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
				t.Fatalf("commune %d cell %d: %v unpacked, want %v", ci, k, got[k], want[k])
			}
		}
		p := packDistance(want, far)
		rasterB += 4 * len(want)
		packedB += 8*len(p.far) + 8*len(p.cells)
		band += len(p.cells)
	}
	if band == 0 {
		t.Fatal("no band cell: the fixture tests nothing")
	}
	t.Logf("%d communes: %d bytes as rasters, %d packed (%d band cells)", len(e.communes), rasterB, packedB, band)
	if packedB*3 > rasterB {
		t.Errorf("packed %d bytes, more than a third of the rasters' %d", packedB, rasterB)
	}
}
