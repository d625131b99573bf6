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
// predicted median level at the centre meets the outdoor coverage requirement;
// definition_version and calibration (the definition's label: "calibrated with N samples
// (dates)" or "uncalibrated").
func Hexes(s *hex.Summary, definitionVersion, calibration string) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	idCol := fmt.Sprintf("h3_res%d_id", s.Resolution)
	sfx := "_" + strings.ToLower(string(s.Tech))
	for _, h := range s.Hexes {
		f := geojson.NewFeature(orb.Polygon{h.Boundary})
		f.ID = h.Cell.String()
		f.Properties = geojson.Properties{idCol: h.Cell.String(), "resolution": s.Resolution, "tech": string(s.Tech),
			"commune": h.Commune, "people": math.Round(h.People*10) / 10, "households": math.Round(h.Households*10) / 10,
			"land_cells": h.LandCells, "centre_lon": round6(h.Centre[0]), "centre_lat": round6(h.Centre[1]),
			"centre_on_land": h.OnLand, "definition_version": definitionVersion, "calibration": calibration}
		for _, c := range s.Carriers {
			f.Properties[c+sfx] = h.Covered[c]
		}
		fc.Append(f)
	}
	return fc
}

// HexesByCommune returns s as Hexes does, but one feature per hexagon and commune it holds land
// of (hex.Hex.Communes), in cell then commune order: commune, people, households and
// land_cells are that commune's part, hex_people the whole hexagon's, and the id is the H3
// index, "-", the commune code. Summed by commune, people and households give each commune's
// figures (its census with a census-reconciled grid), which Hexes summed by its commune
// column do not.
func HexesByCommune(s *hex.Summary, definitionVersion, calibration string) *geojson.FeatureCollection {
	all := Hexes(s, definitionVersion, calibration)
	fc := geojson.NewFeatureCollection()
	for n, h := range s.Hexes {
		for _, sh := range h.Communes {
			f := geojson.NewFeature(all.Features[n].Geometry)
			f.ID = h.Cell.String() + "-" + sh.Commune
			f.Properties = all.Features[n].Properties.Clone()
			f.Properties["commune"], f.Properties["land_cells"] = sh.Commune, sh.LandCells
			f.Properties["people"], f.Properties["households"] = math.Round(sh.People*10)/10, math.Round(sh.Households*10)/10
			f.Properties["hex_people"] = math.Round(h.People*10) / 10
			fc.Append(f)
		}
	}
	return fc
}

// HexesLayer is the layer of fc, the hexagons of s as Hexes returns them, for the CSV, KML and
// GeoPackage writers: the FCC-style columns first, then the carriers' flags. Given the
// features of HexesByCommune it is the layer "…_by_commune", with hex_people after the
// FCC-style columns.
func HexesLayer(fc *geojson.FeatureCollection, s *hex.Summary) Layer {
	first := []string{fmt.Sprintf("h3_res%d_id", s.Resolution), "resolution", "tech", "commune", "people", "households",
		"land_cells", "centre_lon", "centre_lat", "centre_on_land"}
	id := fmt.Sprintf("h3_res%d_%s", s.Resolution, strings.ToLower(string(s.Tech)))
	name := fmt.Sprintf("H3 hexagons, resolution %d, %s", s.Resolution, s.Tech)
	split := "people and households are those of the land cells whose centre the hexagon holds (the population grid's, or " +
		"the 2019 census spread uniformly over each commune's land), adding up to every other figure's; commune is the one " +
		"holding most of the hexagon's land (sum people by commune from the layer split by commune)."
	if len(fc.Features) > 0 && fc.Features[0].Properties["hex_people"] != nil { // HexesByCommune
		first = append(first, "hex_people")
		id, name = id+"_by_commune", name+", by commune"
		split = "one row per hexagon and commune it holds land of: people, households and land_cells are those of the " +
			"commune's land cells whose centre the hexagon holds (hex_people the whole hexagon's), so that summed by commune " +
			"they give each commune's figures."
	}
	sfx := "_" + strings.ToLower(string(s.Tech))
	for _, c := range s.Carriers {
		first = append(first, c+sfx)
	}
	return Layer{
		ID:   id,
		Name: name,
		Description: fmt.Sprintf("H3 hexagons of resolution %d over the province's land, FCC style: a hexagon is covered by a "+
			"carrier when its predicted median %s level at the hexagon's centre meets the outdoor coverage requirement; %s",
			s.Resolution, s.Tech, split),
		Style:    Style{Fill: alpha(anyColour, 0.2), Line: alpha(anyColour, 0.6), LineWidthPx: 0.5},
		Features: FromGeoJSON(fc, first, func(f *geojson.Feature) string { return fmt.Sprint(f.ID) }),
	}
}
