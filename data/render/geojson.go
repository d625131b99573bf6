package render

import (
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/geo"
)

// MaxZoom bounds the web-map zoom levels the GeoJSON layers are simplified for; higher zooms
// get MaxZoom's geometry.
const MaxZoom = 22

// forZoom returns mp (projected metres in tm, over grid g) simplified for a web map at zoom:
// geo.ToleranceForZoom at the latitude of g's centre, topology kept (geo.SimplifyTopology),
// zooms above MaxZoom as MaxZoom; zoom < 0 gives mp itself. The zoom used comes back too (−1
// for full detail).
func forZoom(tm geo.TransverseMercator, g geo.Grid, mp orb.MultiPolygon, zoom int) (orb.MultiPolygon, int) {
	zoom = max(-1, min(zoom, MaxZoom))
	if zoom < 0 {
		return mp, zoom
	}
	tol := geo.ToleranceForZoom(zoom, tm.Inverse(g.Bound().Center())[1])
	return geo.SimplifyTopology(mp, tol, tol*tol), zoom
}

// single returns a collection of one feature of geometry g with properties p.
func single(g orb.Geometry, p geojson.Properties) *geojson.FeatureCollection {
	f := geojson.NewFeature(g)
	f.Properties = p
	fc := geojson.NewFeatureCollection()
	fc.Append(f)
	return fc
}

// Coverage returns the coverage layer res.Layer(carrier, tech, tier) as one Feature whose
// MultiPolygon follows RFC 7946 (counter-clockwise exteriors, clockwise holes, lon/lat with 6
// decimals; an empty MultiPolygon for an empty layer). zoom ≥ 0 simplifies it for a web map at
// that zoom (see MaxZoom; geo.ToleranceForZoom at the province's latitude); zoom < 0 gives the
// full detail.
//
// Properties: carrier, tech, tier, threshold_dbm, definition_version, calibration, area_km2 (of the returned
// geometry, in the engine's projection, 6 decimals), zoom (−1 for full detail). The feature's id
// is the tier (a number). The errors are
// res.Layer's (coverage.ErrNoLayer, coverage.ErrTier).
func Coverage(res *coverage.Result, carrier string, tech data.Tech, tier, zoom int) (*geojson.FeatureCollection, error) {
	l, err := res.Layer(carrier, tech, tier)
	if err != nil {
		return nil, err
	}
	e := res.Engine()
	mp, zoom := forZoom(e.Projection(), e.Grid(), l.Polygons, zoom)
	fc := single(geo.LonLatMultiPolygon(e.Projection(), mp), geojson.Properties{
		"carrier": carrier, "tech": string(tech), "tier": tier, "threshold_dbm": l.ThresholdDBm,
		"definition_version": res.DefinitionVersion(), "calibration": res.Calibration(), "area_km2": round6(geo.PlanarAreaM2(mp) / 1e6), "zoom": zoom,
	})
	fc.Features[0].ID = tier
	return fc, nil
}

// Gaps returns res.Gaps(tech, communeCode, minAreaM2), the uncovered land per commune at full
// detail, as one Feature per commune with a gap left, in code order, whose MultiPolygon follows
// RFC 7946. Properties: code, name, tech, area_km2 (of the kept polygons, 6 decimals),
// uncovered_population (1 decimal), threshold_dbm, min_gap_area_m2, definition_version,
// calibration; the feature's id is the commune code. The errors are res.Gaps' (coverage.ErrNoLayer).
func Gaps(res *coverage.Result, tech data.Tech, communeCode string, minAreaM2 float64) (*geojson.FeatureCollection, error) {
	return GapsForZoom(res, tech, communeCode, minAreaM2, -1)
}

// GapsForZoom is Gaps with each commune's gap simplified for a web map at zoom as Coverage
// does (zoom < 0: full detail); area_km2 stays that of the full-detail gap.
func GapsForZoom(res *coverage.Result, tech data.Tech, communeCode string, minAreaM2 float64, zoom int) (*geojson.FeatureCollection, error) {
	gl, err := res.Gaps(tech, communeCode, minAreaM2)
	if err != nil {
		return nil, err
	}
	e := res.Engine()
	fc := geojson.NewFeatureCollection()
	for _, g := range gl.Gaps {
		c := &e.Communes()[g.Commune]
		mp, _ := forZoom(e.Projection(), e.Grid(), g.Polygons, zoom)
		f := geojson.NewFeature(geo.LonLatMultiPolygon(e.Projection(), mp))
		f.ID = c.Code
		f.Properties = geojson.Properties{
			"code": c.Code, "name": c.Name, "tech": string(tech), "area_km2": round6(g.AreaM2 / 1e6),
			"uncovered_population": math.Round(g.UncoveredPopulation*10) / 10, "threshold_dbm": gl.ThresholdDBm,
			"min_gap_area_m2": gl.MinAreaM2, "definition_version": res.DefinitionVersion(), "calibration": res.Calibration(),
		}
		fc.Append(f)
	}
	return fc, nil
}

// Communes returns communes (lon/lat, as loaded: the caller's geometry, RFC 7946) as Features
// with their census figures and, for each analysed technology, res's statistics as snake_case
// properties suffixed by the technology ("_3g", "_4g"): covered_area_km2, covered_area_pct,
// covered_indoor_area_pct, covered_population, uncovered_population, covered_households,
// covered_population_pct, carriers_present, white_area_km2, single_carrier_area_km2,
// competitive_area_km2, white_population, and per carrier covered_area_pct_<tech>_<carrier>;
// plus area_km2 (rasterised land), polygon_area_km2, three_g_only_area_km2,
// three_g_only_population, population_spread, grid_population, raster_population,
// population_factor, definition_version and calibration. Figures are rounded to 6 decimals. A commune whose code res does not know gets only its own fields.
// Each feature's id is the commune code.
func Communes(res *coverage.Result, communes []data.Commune) *geojson.FeatureCollection {
	known := res.Engine().Communes()
	stats := make([][]coverage.CommuneStats, len(data.AnalysedTechs))
	for ti, tech := range data.AnalysedTechs {
		stats[ti] = res.CommuneStatsFor(tech)
	}
	fc := geojson.NewFeatureCollection()
	for _, c := range communes {
		f := geojson.NewFeature(geo.RFC7946(c.Geometry))
		f.ID = c.Code
		p := geojson.Properties{"code": c.Code, "name": c.Name, "name_en": c.NameEN, "type": string(c.Type),
			"population": c.Population, "households": c.Households}
		if c.Province != "" {
			p["province"] = c.Province // a national file's province
		}
		ci, ok := slices.BinarySearchFunc(known, c.Code, func(x data.Commune, code string) int {
			return strings.Compare(x.Code, code)
		})
		if ok {
			for ti, tech := range data.AnalysedTechs {
				setStats(p, &stats[ti][ci], "_"+strings.ToLower(string(tech)))
			}
			p["definition_version"], p["calibration"] = res.DefinitionVersion(), res.Calibration()
		}
		f.Properties = p
		fc.Append(f)
	}
	return fc
}

// Statistics the communes layer carries, named as the report's columns: per technology with
// a suffix (_3g, _4g), and the carriers' covered area share as covered_area_pct_<tech>_<carrier>;
// the same for every technology without one.
var (
	layerStatsPerTech = []string{"covered_area_km2", "covered_area_pct", "covered_indoor_area_pct", "covered_population",
		"uncovered_population", "covered_population_pct", "covered_households", "carriers_present", "white_area_km2",
		"single_carrier_area_km2", "competitive_area_km2", "white_population"}
	layerStatsOnce = []string{"area_km2", "polygon_area_km2", "three_g_only_area_km2", "three_g_only_population",
		"population_spread", "grid_population", "raster_population", "population_factor"}
)

// setStats sets p's statistics of s (one technology, whose suffix is sfx), numbers rounded to
// 6 decimals.
func setStats(p geojson.Properties, s *coverage.CommuneStats, sfx string) {
	value := func(name string) any {
		for _, c := range statColumns {
			if c.name == name {
				if v, ok := c.value(s).(float64); ok {
					return round6(v)
				}
				return c.value(s)
			}
		}
		panic("render: no report column " + name) // the lists above name report columns
	}
	for _, name := range layerStatsPerTech {
		p[name+sfx] = value(name)
	}
	for _, pc := range s.PerCarrier {
		p["covered_area_pct"+sfx+"_"+pc.Carrier] = round6(pc.CoveredAreaPct)
	}
	for _, name := range layerStatsOnce {
		p[name] = value(name)
	}
}

// Footprints returns fps (from e.Footprints) as Features with properties carrier, site_id,
// sector (index), cell_id, tech, band_mhz, area_km2 (6 decimals), threshold_dbm and
// definition_version and calibration (of e).
func Footprints(e *coverage.Engine, fps []coverage.Footprint) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, f := range fps {
		thr, _ := e.RequiredDBm(f.Tech, false)
		ft := geojson.NewFeature(f.Geometry)
		ft.Properties = geojson.Properties{
			"carrier": f.Site.Carrier, "site_id": f.Site.SiteID, "sector": f.Sector, "cell_id": f.CellID,
			"tech": string(f.Tech), "band_mhz": f.BandMHz, "area_km2": round6(f.AreaM2 / 1e6),
			"threshold_dbm": thr, "definition_version": e.Definition().Version, "calibration": e.Definition().CalibrationLabel(),
		}
		fc.Append(ft)
	}
	return fc
}

// Reach returns r.Polygons(operator), the land in reach of fibre, as one Feature whose
// MultiPolygon follows RFC 7946 (an empty MultiPolygon when nothing is in reach). zoom ≥ 0
// simplifies it for a web map at that zoom (see MaxZoom; geo.ToleranceForZoom at the grid's
// centre latitude, keeping topology); zoom < 0 gives the full detail. Properties: operator,
// drop_m, feeder_reach, zoom (−1 for full detail), area_km2 (of the returned geometry, in the
// projection, whole m² in km²). The errors are r.Polygons' (fibre.ErrNoLayer).
func Reach(r *fibre.Reach, operator string, zoom int) (*geojson.FeatureCollection, error) {
	full, err := r.Polygons(operator)
	if err != nil {
		return nil, err
	}
	mp, zoom := forZoom(r.Projection(), r.Grid(), full, zoom)
	return single(geo.LonLatMultiPolygon(r.Projection(), mp), geojson.Properties{
		"operator": operator, "drop_m": r.DropM(), "feeder_reach": r.FeederReach(),
		"zoom": zoom, "area_km2": math.Round(geo.PlanarAreaM2(mp)) / 1e6,
	}), nil
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
