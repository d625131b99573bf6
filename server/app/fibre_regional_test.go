package app

import (
	"context"
	"math"
	"reflect"
	"testing"

	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/geo"
)

// TestRegionalFibreReach: the demo's fibre reach measured region by region (48 × 48-cell
// regions at 200 m) equals a whole engine's over the same communes and sites commune by
// commune, field by field, and for the province; so does it after an operator's network is
// replaced by half of it (a fibre upload's WithFibre). The regions' reach polygons cover at
// most the whole engine's area and at least 99 % of it: each region's are clipped to its own
// communes within its window, which cuts corners where the reach meets a region border (0.3 to
// 0.5 % less area here at 200 m cells). The reach keeps no raster to answer InReach from.
func TestRegionalFibreReach(t *testing.T) {
	st := mustDemo(t)
	net, err := demo.Fibre()
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Communes: st.Communes, Sites: sitesOf(st.Snapshot), Coverage: coverage.Options{CellM: 200},
		Fibre: net, FibreNote: "synthetic"} // no population grid, as region by region
	whole, err := Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	in.RegionCells = 48 * 48
	regional, err := Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if regional.Regions == nil || regional.Regions.Regions < 10 || regional.FibreReach == nil {
		t.Fatalf("regions %+v, reach %v: want at least 10 regions and a reach", regional.Regions, regional.FibreReach)
	}
	op := net.Operators()[0]
	var half []fibre.Item
	for n, it := range fibre.Items(net.Of(op)) {
		if n%2 == 0 {
			half = append(half, it)
		}
	}
	for _, tc := range []struct {
		name            string
		whole, regional *State
	}{
		{"served", whole, regional},
		{"half of " + op + "'s network", mustFibreOf(t, whole, op, half), mustFibreOf(t, regional, op, half)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := tc.whole.FibreReach, tc.regional.FibreReach
			wc, rc := w.Communes(), r.Communes()
			if len(wc) != len(rc) {
				t.Fatalf("%d communes region by region, %d whole", len(rc), len(wc))
			}
			reached := 0
			for ci := range wc {
				if !reflect.DeepEqual(wc[ci], rc[ci]) {
					t.Errorf("commune %s: region by region %+v, whole %+v", wc[ci].Code, rc[ci], wc[ci])
				}
				if wc[ci].InReachCells > 0 {
					reached++
				}
			}
			if reached < len(wc)/2 {
				t.Errorf("%d of %d communes with land in reach: the comparison sees too little", reached, len(wc))
			}
			if !reflect.DeepEqual(w.Province(), r.Province()) || !reflect.DeepEqual(w.Operators(), r.Operators()) {
				t.Errorf("province region by region %+v, whole %+v", r.Province(), w.Province())
			}
			for _, o := range append(w.Operators(), fibre.AnyOperator) {
				wp, err := w.Polygons(o)
				if err != nil {
					t.Fatal(err)
				}
				rp, err := r.Polygons(o)
				if err != nil {
					t.Fatal(err)
				}
				wa, ra := geo.PlanarAreaM2(wp), geo.PlanarAreaM2(rp)
				if !(wa > 0 && ra <= wa*(1+1e-9) && ra >= 0.99*wa) {
					t.Errorf("%s: reach polygons %.0f m² region by region, %.0f m² whole", o, ra, wa)
				}
			}
		})
	}
	k := 0
	for !whole.FibreReach.InReach(fibre.AnyOperator, k) {
		k++
	}
	if regional.FibreReach.InReach(fibre.AnyOperator, k) || !math.IsInf(regional.FibreReach.DistanceM(fibre.AnyOperator, k), 1) {
		t.Errorf("cell %d: a reach measured region by region answers from a raster it does not keep", k)
	}
}

// mustFibreOf is st with operator's fibre replaced by items (withFibreOf).
func mustFibreOf(t *testing.T, st *State, operator string, items []fibre.Item) *State {
	t.Helper()
	ns, err := st.withFibreOf(operator, items)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
