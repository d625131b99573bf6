package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage/contour"
	"phusong/geo"
)

// DefaultMinGapAreaM2 is the smallest gap polygon GapsGeoJSON keeps, m² (one hectare: four
// 50 m cells). Smaller uncovered pieces are slivers between coverage edges and the commune
// boundary, not places anyone could plan a site for.
const DefaultMinGapAreaM2 = 10_000

// maxZoom bounds the zoom levels CoverageGeoJSON simplifies for; higher zooms get the same
// geometry as maxZoom.
const maxZoom = 22

// Errors of the polygon builders.
var (
	ErrNoLayer = errors.New("coverage: no such layer")
	ErrTier    = errors.New("coverage: no such tier")
)

// polygonCache holds a Result's polygons, built on first use.
type polygonCache struct {
	full   memo[layerKey, orb.MultiPolygon]    // projected metres, full detail
	zoom   memo[zoomKey, zoomed]               // lon/lat, simplified for a zoom (zoom −1: full detail)
	gaps   memo[gapKey, orb.MultiPolygon]      // projected metres, one commune, slivers dropped
	other  memo[layerKey, levelFill]           // levels on the other land class near its edge (tier 0 keys)
	blocks memo[layerKey, []contour.BlockKind] // block kinds of the province window (package contour)
}

type layerKey struct {
	carrier string
	tech    data.Tech
	tier    int
}

type zoomKey struct {
	layerKey
	zoom int
}

type gapKey struct {
	tech      data.Tech
	commune   int
	minAreaM2 float64
}

// zoomed is a layer ready to serve: lon/lat RFC 7946 geometry and its area.
type zoomed struct {
	geom   orb.MultiPolygon
	areaM2 float64 // planar area of the simplified projected geometry
}

// polygons returns r's cache.
func (r *Result) polygons() *polygonCache { return &r.polys }

// layerThreshold checks (carrier, tech, tier) and returns the tier's level in dBm and the
// technology index.
func (r *Result) layerThreshold(carrier string, tech data.Tech, tier int) (float64, int, error) {
	ti := techIndex(tech)
	if ti < 0 {
		return 0, 0, fmt.Errorf("%w: technology %q is not analysed", ErrNoLayer, tech)
	}
	if carrier != AnyCarrier && !slices.Contains(r.carriers, carrier) {
		return 0, 0, fmt.Errorf("%w: carrier %q has no counted site", ErrNoLayer, carrier)
	}
	tr := &r.eng.rules[ti]
	switch {
	case tier == 0:
		return tr.requiredOut, ti, nil
	case tier >= 1 && tier <= len(tr.rule.TiersDBm):
		return tr.rule.TiersDBm[tier-1], ti, nil
	}
	return 0, 0, fmt.Errorf("%w: %d (%s has tiers 0..%d)", ErrTier, tier, tech, len(tr.rule.TiersDBm))
}

// CoverageGeoJSON returns the area where carrier (an ID of Carriers, or AnyCarrier) reaches the
// level of tier for tech: tier 0 is the coverage threshold (the rule's RequiredMedianDBm(false)),
// tier n ≥ 1 the definition's TiersDBm[n−1] (strongest first). The area is the contour of the
// predicted level field (linear interpolation between cell centres) clipped to the province (see
// package contour), as one Feature whose MultiPolygon follows RFC 7946 (counter-clockwise
// exteriors, clockwise holes, lon/lat with 6 decimals); an empty layer has one Feature with an
// empty MultiPolygon. zoom ≥ 0 simplifies for a web map at that zoom (geo.ToleranceForZoom at
// the province's latitude, zooms above 22 as 22); zoom < 0 gives the full detail.
//
// Properties: carrier, tech, tier, threshold_dbm, definition_version, area_km2 (of the returned
// geometry, in the engine's projection), zoom (−1 for full detail). Geometries are computed once
// per Result and shared between calls: callers may change the collection and properties but not
// the coordinates. Unknown carriers and technologies give ErrNoLayer, unknown tiers ErrTier.
func (r *Result) CoverageGeoJSON(carrier string, tech data.Tech, tier int, zoom int) (*geojson.FeatureCollection, error) {
	thr, _, err := r.layerThreshold(carrier, tech, tier)
	if err != nil {
		return nil, err
	}
	zoom = max(-1, min(zoom, maxZoom))
	z := r.zoomedLayer(layerKey{carrier, tech, tier}, zoom)
	f := geojson.NewFeature(z.geom)
	f.Properties = geojson.Properties{
		"carrier": carrier, "tech": string(tech), "tier": tier, "threshold_dbm": thr,
		"definition_version": r.eng.def.Version, "area_km2": round6(z.areaM2 / 1e6), "zoom": zoom,
	}
	fc := geojson.NewFeatureCollection()
	fc.Append(f)
	return fc, nil
}

// zoomedLayer returns the layer simplified for zoom (−1: full detail), lon/lat.
func (r *Result) zoomedLayer(k layerKey, zoom int) zoomed {
	pc := r.polygons()
	return pc.zoom.get(zoomKey{k, zoom}, func() zoomed {
		full := r.fullLayer(k)
		mp := full
		if zoom >= 0 {
			tol := geo.ToleranceForZoom(zoom, r.latitude())
			mp = geo.SimplifyTopology(full, tol, tol*tol)
		}
		return zoomed{geom: r.eng.lonLat(mp), areaM2: geo.PlanarAreaM2(mp)}
	})
}

// fullLayer returns layer k at full detail in the engine frame (cached).
func (r *Result) fullLayer(k layerKey) orb.MultiPolygon {
	return r.polygons().full.get(k, func() orb.MultiPolygon { return r.contourLayer(k) })
}

// latitude returns the latitude in degrees of the grid's centre.
func (r *Result) latitude() float64 {
	return r.eng.tm.Inverse(r.eng.land.Grid.Bound().Center())[1]
}

// GapsGeoJSON returns, for tech, the uncovered land of every commune (communeCode "" ) or of one
// (its code): where the best level over all carriers is below the coverage threshold
// (RequiredMedianDBm(false)) inside the commune, contoured like CoverageGeoJSON but clipped to the
// commune, at full detail, with polygons smaller than DefaultMinGapAreaM2 dropped. See
// GapsGeoJSONMin.
func (r *Result) GapsGeoJSON(tech data.Tech, communeCode string) (*geojson.FeatureCollection, error) {
	return r.GapsGeoJSONMin(tech, communeCode, DefaultMinGapAreaM2)
}

// GapsGeoJSONMin is GapsGeoJSON dropping gap polygons (exterior minus holes) under minAreaM2 m²
// (0 keeps every piece). There is one Feature per commune with a gap left, in code order, whose
// MultiPolygon follows RFC 7946; properties: code, name, tech, area_km2 (of the kept polygons),
// uncovered_population (the commune's population × kept gap area / the commune's polygon area:
// population spread uniformly over its land), threshold_dbm, min_gap_area_m2,
// definition_version. An unknown technology gives ErrNoLayer, an unknown code ErrNoLayer.
func (r *Result) GapsGeoJSONMin(tech data.Tech, communeCode string, minAreaM2 float64) (*geojson.FeatureCollection, error) {
	thr, ti, err := r.layerThreshold(AnyCarrier, tech, 0)
	if err != nil {
		return nil, err
	}
	e := r.eng
	var cis []int
	for ci, c := range e.communes {
		if communeCode == "" || c.Code == communeCode {
			cis = append(cis, ci)
		}
	}
	if len(cis) == 0 {
		return nil, fmt.Errorf("%w: commune %q", ErrNoLayer, communeCode)
	}
	minAreaM2 = max(0, minAreaM2)
	fc := geojson.NewFeatureCollection()
	for _, ci := range cis {
		mp := r.gapPolygons(gapKey{tech, ci, minAreaM2}, ti, thr)
		if len(mp) == 0 {
			continue
		}
		c := &e.communes[ci]
		areaM2 := geo.PlanarAreaM2(mp)
		pop := 0.0
		if e.polyArea[ci] > 0 {
			pop = float64(c.Population) * min(1, areaM2/e.polyArea[ci])
		}
		f := geojson.NewFeature(r.eng.lonLat(mp))
		f.Properties = geojson.Properties{
			"code": c.Code, "name": c.Name, "tech": string(tech), "area_km2": round6(areaM2 / 1e6),
			"uncovered_population": math.Round(pop*10) / 10, "threshold_dbm": thr,
			"min_gap_area_m2": minAreaM2, "definition_version": e.def.Version,
		}
		fc.Append(f)
	}
	return fc, nil
}

// gapPolygons returns the gaps of k.commune for k.tech (technology index ti, threshold thr dBm)
// in the engine frame, pieces under k.minAreaM2 dropped (cached).
func (r *Result) gapPolygons(k gapKey, ti int, thr float64) orb.MultiPolygon {
	return r.polygons().gaps.get(k, func() orb.MultiPolygon { return dropSmall(r.contourGaps(k.commune, ti, thr), k.minAreaM2) })
}

// contourGaps contours the uncovered land of commune ci for technology index ti (projected):
// the field of contour.CommuneClip over the commune's window, computed in its active blocks only (see
// package contour).
func (r *Result) contourGaps(ci, ti int, thr float64) orb.MultiPolygon {
	e := r.eng
	cb := e.communeBoundary(ci)
	if cb.win.Grid.Len() == 0 {
		return nil
	}
	k := layerKey{AnyCarrier, e.rules[ti].tech, 0}
	field := r.Field(k.carrier, k.tech)
	kinds := contour.SettleBlocks(cb.win, e.land.Grid, cb.static, field, thr, -1)
	contour.SettleCommuneEdges(kinds, cb.win, e.land.Grid, cb.static, cb.dist, field, thr)
	s := float32(contour.BoundarySlopeDBPerCell / cb.win.Grid.CellM)
	ps := e.getScratch(cb.win.Grid.Len())
	defer e.putScratch(ps)
	r.sparseMargins(k, cb.win, cb.static, kinds, -1, ps.vals, func(wk0 int, row []float32) {
		for n, d := range cb.dist[wk0 : wk0+len(row)] {
			row[n] = contour.CommuneClip(row[n], d, s)
		}
	})
	return contour.Polygons(cb.win, ps.vals, kinds, &ps.contour)
}

// dropSmall returns the polygons of mp whose area (exterior minus holes) is at least minAreaM2.
func dropSmall(mp orb.MultiPolygon, minAreaM2 float64) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		if geo.PlanarAreaM2(p) >= minAreaM2 {
			out = append(out, p)
		}
	}
	return out
}

// CommunesGeoJSON returns communes (lon/lat, as loaded: the caller's geometry, RFC 7946) as
// Features with their census figures and, for each analysed technology, r's statistics as
// snake_case properties suffixed by the technology ("_3g", "_4g"): covered_area_km2,
// covered_area_pct, covered_indoor_area_pct, covered_population, uncovered_population,
// covered_households, carriers_present, white_area_km2, single_carrier_area_km2,
// competitive_area_km2, and per carrier covered_area_pct_<tech>_<carrier>; plus area_km2
// (rasterised land), polygon_area_km2, three_g_only_area_km2, population_spread and
// definition_version. A commune whose code r does not know gets only its own fields.
func (r *Result) CommunesGeoJSON(communes []data.Commune) *geojson.FeatureCollection {
	e := r.eng
	fc := geojson.NewFeatureCollection()
	for _, c := range communes {
		geom := geo.RFC7946(c.Geometry)
		f := geojson.NewFeature(geom)
		p := geojson.Properties{"code": c.Code, "name": c.Name, "name_en": c.NameEN, "type": string(c.Type),
			"population": c.Population, "households": c.Households}
		ci, ok := slices.BinarySearchFunc(e.communes, c.Code, func(x data.Commune, code string) int {
			return strings.Compare(x.Code, code)
		})
		if ok {
			for ti, tr := range e.rules {
				s := &r.commune[ti][ci]
				sfx := "_" + strings.ToLower(string(tr.tech))
				p["covered_area_km2"+sfx] = round6(s.CoveredAreaKM2)
				p["covered_area_pct"+sfx] = round6(s.CoveredAreaPct)
				p["covered_indoor_area_pct"+sfx] = round6(s.CoveredIndoorAreaPct)
				p["covered_population"+sfx] = round6(s.CoveredPopulation)
				p["uncovered_population"+sfx] = round6(s.UncoveredPopulation)
				p["covered_households"+sfx] = round6(s.CoveredHouseholds)
				p["carriers_present"+sfx] = s.CarriersPresent
				p["white_area_km2"+sfx] = round6(s.WhiteAreaKM2)
				p["single_carrier_area_km2"+sfx] = round6(s.SingleCarrierAreaKM2)
				p["competitive_area_km2"+sfx] = round6(s.CompetitiveAreaKM2)
				for _, pc := range s.PerCarrier {
					p["covered_area_pct"+sfx+"_"+pc.Carrier] = round6(pc.CoveredAreaPct)
				}
				p["area_km2"] = round6(s.AreaKM2)
				p["polygon_area_km2"] = round6(s.PolygonAreaKM2)
				p["three_g_only_area_km2"] = round6(s.ThreeGOnlyAreaKM2)
				p["population_spread"] = s.PopulationSpread
			}
			p["definition_version"] = e.def.Version
		}
		f.Properties = p
		fc.Append(f)
	}
	return fc
}

// WarmLayers builds, on the engine's workers, every coverage layer (each carrier of Carriers and
// AnyCarrier, each analysed technology, tier 0) at full detail and at each of zooms, and every
// commune's gaps (DefaultMinGapAreaM2), so that later calls of CoverageGeoJSON and GapsGeoJSON
// with those arguments return from the cache. Layers are independent, so this takes about
// 1/Workers of building them one by one. It stops early when ctx is cancelled.
func (r *Result) WarmLayers(ctx context.Context, zooms []int) error {
	return r.warm(ctx, func(k layerKey) {
		for _, z := range append([]int{-1}, zooms...) {
			r.zoomedLayer(k, z)
		}
	}, func(tech data.Tech, ci int) { r.GapsGeoJSON(tech, r.eng.communes[ci].Code) }) // arguments valid by construction
}

// warmPolygons is WarmLayers without the serving forms: every layer and every commune's gaps in
// the engine frame at full detail (no lon/lat conversion, no zoom simplification), which is
// what a vector engine's union and intersection of the footprints produce.
func (r *Result) warmPolygons(ctx context.Context) error {
	return r.warm(ctx, func(k layerKey) { r.fullLayer(k) }, func(tech data.Tech, ci int) {
		thr, ti, _ := r.layerThreshold(AnyCarrier, tech, 0)
		r.gapPolygons(gapKey{tech, ci, DefaultMinGapAreaM2}, ti, thr)
	})
}

// warm runs layer for every (carrier or AnyCarrier, analysed technology, tier 0) and gaps for
// every (technology, commune) on the engine's workers, until done or ctx is cancelled. Every
// layer comes before every gap: the gaps read the "any" fields, which the AnyCarrier layers
// build, so a gap started earlier would wait for that build.
func (r *Result) warm(ctx context.Context, layer func(layerKey), gaps func(tech data.Tech, commune int)) error {
	var jobs []func()
	for _, tech := range data.AnalysedTechs {
		for _, c := range append(r.Carriers(), AnyCarrier) {
			jobs = append(jobs, func() { layer(layerKey{c, tech, 0}) })
		}
	}
	for _, tech := range data.AnalysedTechs {
		for ci := range r.eng.communes {
			jobs = append(jobs, func() { gaps(tech, ci) })
		}
	}
	eachParallel(ctx, r.eng.opts.Workers, len(jobs), func() func(int) { return func(n int) { jobs[n]() } })
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	return nil
}

// MarkSynthetic sets "synthetic": true and "note": note on every feature of fc: outputs built
// on the demo's invented stations must say so.
func MarkSynthetic(fc *geojson.FeatureCollection, note string) {
	for _, f := range fc.Features {
		if f.Properties == nil {
			f.Properties = geojson.Properties{}
		}
		f.Properties["synthetic"] = true
		f.Properties["note"] = note
	}
}

// round6 rounds to 6 decimals (JSON output sizes and stable goldens).
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
