package coverage

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"phusong/data"
)

// TestComputeRegionsEqualsWhole cuts the demo province into regions of a few tiles (and into
// one region) and checks that every commune's and the province's statistics equal those of
// the whole engine exactly (reflect.DeepEqual on float64s), for both technologies and for
// 4G alone, and that the result refuses levels and polygons.
func TestComputeRegionsEqualsWhole(t *testing.T) {
	communes, sites := demoInputs(t)
	for _, tc := range []struct {
		name        string
		opts        Options
		regionCells int
		minRegions  int
	}{
		{"small regions", Options{CellM: 100}, 96 * 96, 8},
		{"one region", Options{CellM: 100}, 1 << 30, 1},
		{"4G only, planned too", Options{CellM: 100, Techs: []data.Tech{data.Tech4G}, IncludePlanned: true}, 64 * 64, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(communes, DefaultDefinition(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := e.Compute(context.Background(), storeWith(t, e, sites).Snapshot())
			if err != nil {
				t.Fatal(err)
			}
			got, rep, err := ComputeRegions(context.Background(), communes, DefaultDefinition(), tc.opts, sites, tc.regionCells)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Regions < tc.minRegions {
				t.Errorf("%d regions, want at least %d", rep.Regions, tc.minRegions)
			}
			if rep.LandCells != len(e.land.CellI) {
				t.Errorf("regions counted %d land cells, the whole engine has %d", rep.LandCells, len(e.land.CellI))
			}
			if !reflect.DeepEqual(got.Carriers(), whole.Carriers()) {
				t.Fatalf("carriers %v, whole %v", got.Carriers(), whole.Carriers())
			}
			for _, tech := range data.AnalysedTechs {
				w, g := whole.CommuneStatsFor(tech), got.CommuneStatsFor(tech)
				for ci := range w {
					if !reflect.DeepEqual(w[ci], g[ci]) {
						t.Errorf("%s %s: regions\n%+v\nwhole\n%+v", tech, w[ci].Code, g[ci], w[ci])
					}
				}
				if wp, gp := whole.Province(tech), got.Province(tech); !reflect.DeepEqual(wp, gp) {
					t.Errorf("%s province: regions\n%+v\nwhole\n%+v", tech, gp, wp)
				}
				if tc.opts.Techs != nil && tech == data.Tech3G && whole.Province(tech).CoveredAreaKM2 != 0 {
					t.Errorf("3G computed although Techs = %v", tc.opts.Techs)
				}
			}
			if !got.StatsOnly() || whole.StatsOnly() {
				t.Errorf("StatsOnly: regions %v, whole %v", got.StatsOnly(), whole.StatsOnly())
			}
			if _, err := got.Layer(AnyCarrier, data.Tech4G, 0); !errors.Is(err, ErrStatsOnly) {
				t.Errorf("Layer of a statistics-only result: %v, want ErrStatsOnly", err)
			}
			if got.Field(AnyCarrier, data.Tech4G) != nil || got.At(whole.eng.tm.Inverse(e.Grid().Center(e.Grid().NX/2, e.Grid().NY/2))) != nil {
				t.Error("a statistics-only result gave levels")
			}
		})
	}
}
