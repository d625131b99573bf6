package coverage

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// contourLayerDense is the reference for contourLayer: every sample of the province window
// computed (field margins, fills found by a scan of the whole grid, other-class margins, class
// clipping, conditioning), then contoured.
func (r *Result) contourLayerDense(k layerKey) orb.MultiPolygon {
	e := r.eng
	bc := e.boundaries()
	w := bc.provWin
	g := e.land.grid
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	field := r.Field(k.carrier, k.tech)
	t32, cutoff := float32(thr), float32(e.rules[ti].cutoff)
	vals := make([]float32, w.grid.Len())
	for wk := range vals {
		if gk := w.full(g, wk); gk >= 0 {
			lv := field[gk]
			if lv != lv {
				lv = cutoff
			}
			vals[wk] = distanceMargin(lv - t32)
		}
	}
	lv := newLeveller(r, k.carrier, ti)
	for j := range g.NY {
		for i := range g.NX {
			gk := g.Index(i, j)
			if field[gk] == field[gk] || e.land.commune[gk] < 0 || !bordersLevel(g.NX, g.NY, field, i, j, t32) {
				continue
			}
			if best := lv.at(i, j, e.landClass(gk)); !math.IsInf(best, -1) {
				vals[w.index(i, j)] = distanceMargin(float32(min(best, e.rules[ti].cutoff)) - t32)
			}
		}
	}
	clipClassMargins(w, vals, r.otherMargins(k, w), bc.class[0], bc.class[1])
	return geo.ContourPolygons(w.grid, vals, 0)
}

// The sparse contourLayer gives exactly the dense reference's polygons, on every carrier, the
// any layer and every tier, on the demo (both land classes, coast, islands) and the small case.
func TestContourLayerBlocksEqualDense(t *testing.T) {
	cases := []struct {
		name string
		res  func(t *testing.T) *Result
	}{
		{"demo 100 m", func(t *testing.T) *Result { _, _, r := demoResult(t, 100); return r }},
		{"small 50 m", func(t *testing.T) *Result { _, r := smallCase(t, 50); return r }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.res(t)
			active, total := 0, 0
			for _, tech := range data.AnalysedTechs {
				tr := r.eng.rules[techIndex(tech)]
				for _, c := range append(r.Carriers(), AnyCarrier) {
					for tier := range len(tr.rule.TiersDBm) + 1 {
						if c != AnyCarrier && tier > 0 && tier != 2 {
							continue // every tier on "any"; one other tier per carrier keeps the test short
						}
						k := layerKey{c, tech, tier}
						got, want := r.contourLayer(k), r.contourLayerDense(k)
						if !slices.EqualFunc(got, want, func(a, b orb.Polygon) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
							t.Errorf("%v: sparse contour differs from the dense one (%d vs %d polygons, %.1f vs %.1f m²)",
								k, len(got), len(want), geo.PlanarAreaM2(got), geo.PlanarAreaM2(want))
						}
						for _, kd := range r.layerBlocks(k) {
							total++
							if kd == blockActive {
								active++
							}
						}
					}
				}
			}
			t.Logf("active blocks: %d of %d (%.1f%%)", active, total, 100*float64(active)/float64(total))
		})
	}
}
