package coverage

import (
	"math"
	"math/rand/v2"
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
		packedB += p.bytes()
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

// TestPackedClassDistance checks the province window's land-class rasters the engine keeps
// packed: unpacked whole and read by runs (classRows, as contourLayer and sectorFootprint
// read them) they are the rasters contour.SignedDistance gives, bit for bit.
func TestPackedClassDistance(t *testing.T) {
	t.Parallel()
	e := demoShared(t, DefaultCellM).e
	bc := e.boundaries()
	want := [2][]float32{e.classDistance(bc, 0), e.classDistance(bc, 1)}
	same := func(where string, got, want []float32) {
		t.Helper()
		for k := range want {
			if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
				t.Fatalf("%s: cell %d %v, want %v", where, k, got[k], want[k])
			}
		}
	}
	raster := 0
	for cls := range want {
		same("unpacked", bc.class[cls].unpack(), want[cls])
		raster += 4 * len(want[cls])
	}
	rng := rand.New(rand.NewPCG(3, 4))
	nx := bc.provWin.Grid.NX
	d0, d1 := make([]float32, nx), make([]float32, nx)
	for range 2000 {
		wk0 := rng.IntN(len(want[0]))
		n := 1 + rng.IntN(min(nx, len(want[0])-wk0))
		bc.classRows(wk0, d0[:n], d1[:n])
		same("run", d0[:n], want[0][wk0:wk0+n])
		same("run", d1[:n], want[1][wk0:wk0+n])
	}
	packed := bc.class[0].bytes() + bc.class[1].bytes()
	t.Logf("land-class rasters: %d bytes, %d packed", raster, packed)
	if packed*3 > raster {
		t.Errorf("packed %d bytes, more than a third of the rasters' %d", packed, raster)
	}
}
