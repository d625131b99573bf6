package demo

import (
	"bytes"
	"math"
	"phusong/data"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestPopulationDeterministic generates the population grid twice from the embedded communes
// and compares the bytes with each other and with the committed population.tif.
func TestPopulationDeterministic(t *testing.T) {
	gens := generateTwice(t, func(shared string, communes []data.Commune) ([]byte, error) {
		f, err := GeneratePopulation(shared, communes, PopulationSeed)
		if err != nil {
			return nil, err
		}
		return f.GeoTIFF, nil
	})
	if !bytes.Equal(gens[0], mustRead(t, PopulationFile)) {
		t.Error("population.tif differs from a fresh generation: run make demo-data")
	}
	if !bytes.Equal(PopulationTIFF(), mustRead(t, PopulationFile)) {
		t.Error("embedded bytes differ from the file on disk")
	}
}

// TestPopulationReconciles reads the embedded grid as any population file is read and checks,
// with orb's point-in-polygon (not the generator's scan-line rasteriser), that the cells whose
// centre lies in a commune add up to its 2019 census figure exactly, that no cell outside every
// commune holds people, and that the file says it is synthetic.
func TestPopulationReconciles(t *testing.T) {
	src, err := Population()
	if err != nil {
		t.Fatal(err)
	}
	communes, err := Communes()
	if err != nil {
		t.Fatal(err)
	}
	if src.Note != PopulationNote || src.Raster == nil {
		t.Fatalf("note %q, raster %v", src.Note, src.Raster != nil)
	}
	r := src.Raster
	sums := make([]float64, len(communes))
	total := 0.0
	for k, v := range r.People {
		if math.IsNaN(float64(v)) {
			continue
		}
		p := orb.Point{r.West + (float64(k%r.NX)+0.5)*r.DLon, r.North - (float64(k/r.NX)+0.5)*r.DLat}
		found := false
		for ci, c := range communes {
			if c.Geometry.Bound().Contains(p) && planar.MultiPolygonContains(c.Geometry, p) {
				sums[ci] += float64(v)
				found = true
				break
			}
		}
		if !found && v != 0 {
			t.Fatalf("cell %d at %v outside every commune holds %g people", k, p, v)
		}
		total += float64(v)
	}
	for ci, c := range communes {
		if sums[ci] != float64(c.Population) {
			t.Errorf("commune %s: %g people on the grid, census %d", c.Code, sums[ci], c.Population)
		}
	}
	if total != Population2019 {
		t.Errorf("%g people on the grid, census %d", total, Population2019)
	}
}

// TestPopulationLooksLikeTheDelta: people crowd into a small part of the land (towns, ribbons
// along roads, canals and rivers, hamlets) and leave the rice fields nearly empty: the densest
// 20 % of the populated cells hold most of the people, and the emptiest half of them a small
// share. A uniform spread (each commune's census over its cells) fails both.
func TestPopulationLooksLikeTheDelta(t *testing.T) {
	src, err := Population()
	if err != nil {
		t.Fatal(err)
	}
	var cells []float64
	total := 0.0
	for _, v := range src.Raster.People {
		if !math.IsNaN(float64(v)) {
			cells = append(cells, float64(v))
			total += float64(v)
		}
	}
	slices.Sort(cells)
	top, bottom := 0.0, 0.0
	for i, v := range cells {
		if i >= len(cells)*8/10 {
			top += v
		}
		if i < len(cells)/2 {
			bottom += v
		}
	}
	t.Logf("%d cells; densest 20 %%: %.1f %% of the people, emptiest half: %.1f %%; densest cell %g", len(cells), 100*top/total, 100*bottom/total, cells[len(cells)-1])
	if top < 0.6*total || bottom > 0.1*total {
		t.Errorf("densest 20 %% of the cells hold %.1f %% of the people (want ≥ 60 %%), emptiest half %.1f %% (want ≤ 10 %%)", 100*top/total, 100*bottom/total)
	}
}
