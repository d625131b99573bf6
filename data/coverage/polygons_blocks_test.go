package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage/contour"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/testenv"
	"phusong/geo"
)

// denseMargins is the reference for sparseMargins before clipping: sign·w(level − threshold) of
// layer k on every cell of window w (0 beyond the engine grid), with the exact level below the
// cutoff at every NaN land cell that borders the threshold (found by a scan of the whole grid).
func (r *Result) denseMargins(k layerKey, w contour.Window, sign float32) []float32 {
	e := r.eng
	g := e.land.Grid
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	field := r.Field(k.carrier, k.tech)
	t32, cutoff := float32(thr), float32(e.rules[ti].cutoff)
	vals := make([]float32, w.Grid.Len())
	for wk := range vals {
		if gk := w.Full(g, wk); gk >= 0 {
			lv := field[gk]
			if lv != lv {
				lv = cutoff
			}
			vals[wk] = sign * contour.DistanceMargin(lv-t32)
		}
	}
	lv := newLeveller(r, k.carrier, ti)
	for j := range g.NY {
		for i := range g.NX {
			gk := g.Index(i, j)
			if field[gk] == field[gk] || e.land.Commune[gk] < 0 || !contour.BordersLevel(g.NX, g.NY, field, i, j, t32) {
				continue
			}
			if wk := w.Index(i, j); wk >= 0 {
				if best := lv.at(i, j, e.landClass(gk)); !math.IsInf(best, -1) {
					vals[wk] = sign * contour.DistanceMargin(float32(min(best, e.rules[ti].cutoff))-t32)
				}
			}
		}
	}
	return vals
}

// otherMargins returns w(level − threshold) of layer k over window w on the other land class
// (see otherClass) at the cells within the distance band of the other class, NaN elsewhere.
func (r *Result) otherMargins(k layerKey, w contour.Window) []float32 {
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	other := r.polygons().other.get(layerKey{k.carrier, k.tech, 0}, func() levelFill { return r.otherClass(k.carrier, ti) })
	out := make([]float32, w.Grid.Len())
	nan := float32(math.NaN())
	for wk := range out {
		out[wk] = nan
	}
	other.margins(out, w, r.eng.land.Grid, float32(thr), 1)
	return out
}

// margins writes sign·w(level − thr) of the set's cells that fall in window w into dst. A level
// of −Inf gives −Inf.
func (f levelFill) margins(dst []float32, w contour.Window, g geo.Grid, thr, sign float32) {
	for n, gk := range f.cells {
		if wk := w.Index(int(gk)%g.NX, int(gk)/g.NX); wk >= 0 {
			dst[wk] = sign * contour.DistanceMargin(f.levels[n]-thr)
		}
	}
}

// contourLayerDense is the reference for contourLayer: every sample of the province window
// computed, clipped to the land classes and conditioned (clipClassMargins), then contoured.
func (r *Result) contourLayerDense(k layerKey) orb.MultiPolygon {
	bc := r.eng.boundaries()
	vals := r.denseMargins(k, bc.provWin, 1)
	contour.ClipClassMargins(bc.provWin, vals, r.otherMargins(k, bc.provWin), bc.class[0].unpack(), bc.class[1].unpack())
	return geo.ContourPolygons(bc.provWin.Grid, vals, 0)
}

// clipMargins turns margins over window w into the clipped, conditioned contour field of a
// commune, in place: communeClip at every cell, then the sample conditioning.
func clipMargins(w contour.Window, margin, dist []float32) {
	s := float32(contour.BoundarySlopeDBPerCell / w.Grid.CellM)
	for wk, d := range dist {
		margin[wk] = contour.CommuneClip(margin[wk], d, s)
	}
	contour.Condition(w.Grid, margin)
}

// contourGapsDense is the reference for contourGaps.
func (r *Result) contourGapsDense(ci, ti int) orb.MultiPolygon {
	cb := r.eng.communeBoundary(ci)
	vals := r.denseMargins(layerKey{AnyCarrier, r.eng.rules[ti].tech, 0}, cb.win, -1)
	clipMargins(cb.win, vals, cb.dist)
	return geo.ContourPolygons(cb.win.Grid, vals, 0)
}

// sharedResult computes the demo's synthetic stations over the communes of file in
// shared/data/travinh at cellM (see testenv.SharedData: a skip without the reference data, a
// failure under CI=true).
func sharedResult(t *testing.T, file string, cellM float64) *Result {
	t.Helper()
	rep, err := input.LoadCommunesFile(testenv.SharedFile(t, "travinh/"+file))
	if err != nil {
		t.Fatal(err)
	}
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	return wholeResult(t, rep.Communes, Options{CellM: cellM}, sites)
}

// overlapResult is the synthetic province with its ward column widened by 1.5 km on each side
// over the commune squares, and 150 random sites (fixed seed) at 50 m: the overlaps go to the
// first commune in code order, so the land-class edges leave the polygon edges and run
// through the overlaps, where many coverage edges cross them.
func overlapResult(t *testing.T) *Result {
	communes := synthProvince()
	lonM, latM := geo.MetresPerDegree(fixLat)
	for i, c := range communes {
		if c.Type == data.TypeWard {
			ctr := c.Geometry.Bound().Center()
			communes[i] = squareCommune(c.Code, c.Type, ctr[0], ctr[1], 4000, c.Population, c.Households)
			b := communes[i].Geometry.Bound()
			b.Min[0], b.Max[0] = b.Min[0]-1500/lonM, b.Max[0]+1500/lonM
			b.Max[1] -= 1 / latM // the squares stay apart north–south: overlap east–west only
			communes[i].Geometry = orb.MultiPolygon{b.ToPolygon()}
		}
	}
	e, err := New(communes, DefaultDefinition(), Options{CellM: 50})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 14))
	var sites []data.Site
	for i := range 150 {
		sites = append(sites, randomSite(rng, []string{"viettel", "vinaphone", "mobifone"}[i%3], fmt.Sprintf("S%03d", i)))
	}
	r, err := e.Compute(context.Background(), storeWith(t, e, sites).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// samePolygons reports whether a and b are the same polygons, coordinate for coordinate.
func samePolygons(a, b orb.MultiPolygon) bool {
	return slices.EqualFunc(a, b, func(p, q orb.Polygon) bool { return fmt.Sprint(p) == fmt.Sprint(q) })
}

// The sparse contourLayer and contourGaps give exactly the dense reference's polygons, on every
// carrier, the any layer and every tier, on the demo (both land classes, coast, islands), the
// small case, the real 2025 and 2009 boundaries and overlapping synthetic communes.
func TestContourLayerBlocksEqualDense(t *testing.T) {
	t.Parallel() // contouring runs on one goroutine: the cases share the cores
	cases := []struct {
		name string
		res  func(t *testing.T) *Result
	}{
		{"demo 100 m", func(t *testing.T) *Result { _, r := demoCase(t, 100); return r }},
		{"small 50 m", func(t *testing.T) *Result { _, r := smallCase(t, 50); return r }},
		// real boundaries (shared/data, skipped when absent) with the demo's synthetic stations:
		// the 2025 wards, and the 2009 file whose communes overlap and leave gaps; each computes
		// the demo's sites over them, so a quick make test leaves them out (data/testenv)
		{"wards 2025 100 m", func(t *testing.T) *Result {
			testenv.Heavy(t, "the demo computed over the real 2025 wards")
			return sharedResult(t, "wards_2025.geojson", 100)
		}},
		{"communes 2009 100 m", func(t *testing.T) *Result {
			testenv.Heavy(t, "the demo computed over the real 2009 communes")
			return sharedResult(t, "communes_2009_lowres.geojson", 100)
		}},
		{"overlapping communes 50 m", overlapResult},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
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
						if !samePolygons(got, want) {
							t.Errorf("%v: sparse contour differs from the dense one (%d vs %d polygons, %.1f vs %.1f m²)",
								k, len(got), len(want), geo.PlanarAreaM2(got), geo.PlanarAreaM2(want))
						}
						for _, kd := range r.layerBlocks(k) {
							total++
							if kd == contour.BlockActive {
								active++
							}
						}
					}
				}
			}
			t.Logf("active blocks: %d of %d (%.1f%%)", active, total, 100*float64(active)/float64(total))
			for ti, tr := range r.eng.rules {
				thr := tr.requiredOut
				for ci, c := range r.eng.communes {
					if got, want := r.contourGaps(ci, ti, thr), r.contourGapsDense(ci, ti); !samePolygons(got, want) {
						t.Errorf("%s gaps of %s: sparse contour differs from the dense one (%d vs %d polygons, %.1f vs %.1f m²)",
							tr.tech, c.Code, len(got), len(want), geo.PlanarAreaM2(got), geo.PlanarAreaM2(want))
					}
				}
			}
		})
	}
}
