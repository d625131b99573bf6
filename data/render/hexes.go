package render

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data/hex"
)

// Hexes returns s as Polygon features (the H3 cells' boundaries, lon/lat), one per hexagon in
// cell order, FCC style: each feature's id is the H3 index, and its properties are
// h3_res<N>_id (the index as text), resolution, tech, commune, people and households (1
// decimal), land_cells, centre_lon and centre_lat (6 decimals), centre_on_land, then one
// boolean per carrier, <carrier>_<tech> (e.g. viettel_4g; any_4g for any carrier): whether its
// predicted median level at the centre meets the outdoor coverage requirement; and
// definition_version.
func Hexes(s *hex.Summary, definitionVersion string) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	idCol := fmt.Sprintf("h3_res%d_id", s.Resolution)
	sfx := "_" + strings.ToLower(string(s.Tech))
	for _, h := range s.Hexes {
		f := geojson.NewFeature(orb.Polygon{h.Boundary})
		f.ID = h.Cell.String()
		f.Properties = geojson.Properties{idCol: h.Cell.String(), "resolution": s.Resolution, "tech": string(s.Tech),
			"commune": h.Commune, "people": math.Round(h.People*10) / 10, "households": math.Round(h.Households*10) / 10,
			"land_cells": h.LandCells, "centre_lon": round6(h.Centre[0]), "centre_lat": round6(h.Centre[1]),
			"centre_on_land": h.OnLand, "definition_version": definitionVersion}
		for _, c := range s.Carriers {
			f.Properties[c+sfx] = h.Covered[c]
		}
		fc.Append(f)
	}
	return fc
}

// HexesLayer is the layer of fc, the hexagons of s as Hexes returns them, for the CSV, KML and
// GeoPackage writers: the FCC-style columns first, then the carriers' flags.
func HexesLayer(fc *geojson.FeatureCollection, s *hex.Summary) Layer {
	first := []string{fmt.Sprintf("h3_res%d_id", s.Resolution), "resolution", "tech", "commune", "people", "households",
		"land_cells", "centre_lon", "centre_lat", "centre_on_land"}
	sfx := "_" + strings.ToLower(string(s.Tech))
	for _, c := range s.Carriers {
		first = append(first, c+sfx)
	}
	return Layer{
		ID:   fmt.Sprintf("h3_res%d_%s", s.Resolution, strings.ToLower(string(s.Tech))),
		Name: fmt.Sprintf("H3 hexagons, resolution %d, %s", s.Resolution, s.Tech),
		Description: fmt.Sprintf("H3 hexagons of resolution %d over the province's land, FCC style: a hexagon is covered by a "+
			"carrier when its predicted median %s level at the hexagon's centre meets the outdoor coverage requirement; "+
			"people and households are those of the land cells whose centre the hexagon holds (the population grid's, or the 2019 census spread uniformly over each commune's land), adding up to every other figure's.", s.Resolution, s.Tech),
		Style:    Style{Fill: alpha(anyColour, 0.2), Line: alpha(anyColour, 0.6), LineWidthPx: 0.5},
		Features: FromGeoJSON(fc, first, func(f *geojson.Feature) string { return fmt.Sprint(f.ID) }),
	}
}
