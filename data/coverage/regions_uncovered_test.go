package coverage

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"phusong/data"
	"phusong/data/testenv"
	"phusong/geo"
)

// TestUncoveredSetsEqualWhole: the uncovered sets of the demo served region by region are the
// whole engine's 8-connected components of uncovered land (its Field of AnyCarrier under the
// required level, on its land), cell for cell and commune for commune, in the order of their
// first cell, and some of them join pieces of several regions. The pieces are those kept while
// ServeRegions computed each region ("kept") or found again from the regions' levels computed
// anew ("computed again"); a technology the regions do not compute is all uncovered land.
func TestUncoveredSetsEqualWhole(t *testing.T) {
	testenv.Heavy(t, "the demo's uncovered sets region by region against the whole engine; server's TestRegionalPockets compares the pockets in a quick run")
	communes, sites := demoInputs(t)
	ctx := context.Background()
	kept, _ := demoRegional(t)
	again, _, err := ServeRegions(ctx, communes, DefaultDefinition(), Options{CellM: 100}, sites, 64*64)
	if err != nil {
		t.Fatal(err)
	}
	clear(again.regional.uncoveredPieces) // as for a result assembled from stored regions
	opts4G := Options{CellM: 100, Techs: []data.Tech{data.Tech4G}}
	only4G, _, err := ServeRegions(ctx, communes, DefaultDefinition(), opts4G, sites, 64*64)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		got    *Result
		whole  *Result
		techs  []data.Tech
		joined int // at least this many sets join pieces of several regions
	}{
		{"kept", kept, demoShared(t, 100).r, data.AnalysedTechs, 1},
		{"computed again", again, demoShared(t, 100).r, data.AnalysedTechs, 1},
		{"3G not computed", only4G, wholeResult(t, communes, opts4G, sites), []data.Tech{data.Tech3G}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			joined := 0
			for _, tech := range tc.techs {
				req, _ := tc.whole.eng.RequiredDBm(tech, false)
				field, owner, g := tc.whole.Field(AnyCarrier, tech), tc.whole.eng.land.Commune, tc.whole.eng.land.Grid
				mask := make([]bool, len(owner))
				for k, ci := range owner {
					mask[k] = ci >= 0 && !(float64(field[k]) >= req)
				}
				labels, n := geo.Components8(mask, g.NX, g.NY)
				want := make([][]int32, n)
				for k, lb := range labels {
					if lb >= 0 {
						want[lb] = append(want[lb], int32(k))
					}
				}
				sets, err := tc.got.UncoveredSets(ctx, tech)
				if err != nil {
					t.Fatal(err)
				}
				if len(sets) != n {
					t.Fatalf("%s: %d sets, the whole engine has %d components", tech, len(sets), n)
				}
				before := joined
				for i := range sets {
					s := &sets[i]
					cells, cs, err := tc.got.UncoveredCells(ctx, tech, s)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(cells, want[i]) || s.First != want[i][0] || s.Cells != len(cells) {
						t.Fatalf("%s set %d: %d cells from %d, the whole engine's component %d cells from %d",
							tech, i, len(cells), s.First, len(want[i]), want[i][0])
					}
					counts := map[int32]int{}
					for n, k := range cells {
						if cs[n] != owner[k] {
							t.Fatalf("%s set %d cell %d: commune %d, the whole engine's %d", tech, i, k, cs[n], owner[k])
						}
						counts[cs[n]]++
					}
					if !maps.Equal(counts, s.CommuneCells) {
						t.Fatalf("%s set %d: cells per commune %v, counted %v", tech, i, s.CommuneCells, counts)
					}
					regions := map[int]bool{}
					for _, ci := range cs {
						regions[tc.got.plan.regionOf[ci]] = true
					}
					if len(regions) > 1 {
						joined++
					}
				}
				t.Logf("%s: %d sets, %d across regions", tech, len(sets), joined-before)
			}
			if joined < tc.joined {
				t.Errorf("%d sets across regions, want at least %d (the test would not see a wrong join)", joined, tc.joined)
			}
		})
	}
	if _, err := demoShared(t, 100).r.UncoveredSets(ctx, data.Tech4G); !errors.Is(err, ErrStatsOnly) {
		t.Errorf("a whole engine's result: %v, want ErrStatsOnly", err)
	}
	if _, err := kept.UncoveredSets(ctx, "5G"); !errors.Is(err, ErrNoLayer) {
		t.Errorf("an unknown technology: %v, want ErrNoLayer", err)
	}
}
