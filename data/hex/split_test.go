package hex

import (
	"math"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/population"
)

// TestCommuneSharesAddUp: summed over the hexagons, each commune's shares (Hex.Communes) give
// its census population — exactly, in the grid's integer units, with the census-reconciled
// demo grid, and to rounding with the census spread uniformly — while the hexagons summed by
// their majority commune (Hex.Commune) do not; each hexagon's shares add up to its own
// people, households and land cells.
func TestCommuneSharesAddUp(t *testing.T) {
	needH3(t)
	communes, sites, src := demoInputs(t)
	for _, tc := range []struct {
		name string
		o    coverage.Options
		tol  float64 // people, per commune
	}{
		{"grid", coverage.Options{CellM: 200, Population: src}, 1e-6},
		{"uniform", coverage.Options{CellM: 200}, 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := demoResult(t, communes, sites, tc.o)
			for _, res := range []int{8, 9} {
				s, err := Summarise(t.Context(), r, data.Tech4G, res)
				if err != nil {
					t.Fatal(err)
				}
				shares, majority := map[string]float64{}, map[string]float64{}
				split := 0
				for _, h := range s.Hexes {
					var p, hh float64
					cells := 0
					for n, sh := range h.Communes {
						if n > 0 && sh.Commune <= h.Communes[n-1].Commune {
							t.Fatalf("%s: shares not in code order: %+v", h.Cell, h.Communes)
						}
						p, hh, cells = p+sh.People, hh+sh.Households, cells+sh.LandCells
						shares[sh.Commune] += sh.People
					}
					if len(h.Communes) > 1 {
						split++
					}
					if math.Abs(p-h.People) > 1e-6*max(1, h.People) || math.Abs(hh-h.Households) > 1e-6*max(1, h.Households) || cells != h.LandCells {
						t.Fatalf("%s: shares add up to %v people, %v households, %d cells; the hexagon %v, %v, %d", h.Cell, p, hh, cells, h.People, h.Households, h.LandCells)
					}
					majority[h.Commune] += h.People
				}
				worstShares, worstMajority := 0.0, 0.0
				for _, c := range communes {
					if d := math.Abs(shares[c.Code] - float64(c.Population)); d > tc.tol*max(1, float64(c.Population)) {
						t.Errorf("res %d: commune %s: its shares hold %.6f people, its census %d", res, c.Code, shares[c.Code], c.Population)
					}
					worstShares = max(worstShares, math.Abs(shares[c.Code]/float64(c.Population)-1))
					worstMajority = max(worstMajority, math.Abs(majority[c.Code]/float64(c.Population)-1))
				}
				if split == 0 || worstMajority < 0.001 {
					t.Errorf("res %d: %d hexagons over several communes, majority column at most %.2f %% off: the fixture does not show the difference", res, split, 100*worstMajority)
				}
				t.Logf("res %d: %d hexagons, %d over several communes; by commune the shares are at most %.2g %% off the census, the majority column %.1f %%",
					res, len(s.Hexes), split, 100*worstShares, 100*worstMajority)
			}
		})
	}
}

// demoInputs returns the demo's communes, synthetic sites and synthetic population grid.
func demoInputs(t *testing.T) ([]data.Commune, []data.Site, *population.Source) {
	t.Helper()
	communes, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	src, err := demo.Population()
	if err != nil {
		t.Fatal(err)
	}
	return communes, sites, src
}
