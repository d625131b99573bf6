package hex

import (
	"fmt"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
)

// TestSummariseRegional sums the demo's hexagons (no population grid, 200 m cells) region by
// region (coverage.ServeRegions, regions of 48 × 48 cells) and from a whole engine, for both
// technologies at resolutions 8 and 9: the summaries are the same (every hexagon's people,
// households, land cells, communes and coverage flags; printed, so that equal floats compare
// equal).
func TestSummariseRegional(t *testing.T) {
	needH3(t)
	communes, sites, _ := demoInputs(t)
	opts := coverage.Options{CellM: 200}
	whole := demoResult(t, communes, sites, opts)
	regional, rep, err := coverage.ServeRegions(t.Context(), communes, coverage.DefaultDefinition(), opts, sites, 48*48)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Regions < 10 {
		t.Fatalf("%d regions: want at least 10", rep.Regions)
	}
	for _, tech := range data.AnalysedTechs {
		for _, res := range []int{8, 9} {
			w, err := Summarise(t.Context(), whole, tech, res)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Summarise(t.Context(), regional, tech, res)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Hexes) < 100 || w.People(coverage.AnyCarrier) == 0 {
				t.Fatalf("%s res %d: %d hexagons, %.0f people covered", tech, res, len(w.Hexes), w.People(coverage.AnyCarrier))
			}
			if ws, gs := fmt.Sprintf("%+v", w), fmt.Sprintf("%+v", g); ws != gs {
				for n := range min(len(w.Hexes), len(g.Hexes)) {
					if fmt.Sprintf("%+v", w.Hexes[n]) != fmt.Sprintf("%+v", g.Hexes[n]) {
						t.Fatalf("%s res %d: hexagon %d region by region\n%+v\nwhole\n%+v", tech, res, n, g.Hexes[n], w.Hexes[n])
					}
				}
				t.Fatalf("%s res %d: %d hexagons region by region, %d whole", tech, res, len(g.Hexes), len(w.Hexes))
			}
		}
	}
}
