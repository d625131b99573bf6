package render

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
)

// Colours of the exported layers, those of the web map (static/map/state.js).
var (
	gapColour     = color.NRGBA{0xb2, 0x18, 0x2b, 0xff}
	anyColour     = color.NRGBA{0x0b, 0x53, 0x94, 0xff}
	communeColour = color.NRGBA{0x33, 0x33, 0x33, 0xff}
)

// Column orders: the leading properties of each layer (the rest follow alphabetically, then
// definition_version, calibration, synthetic and note).
var (
	gapColumns      = []string{"code", "name", "tech", "area_km2", "uncovered_population", "threshold_dbm", "min_gap_area_m2"}
	coverageColumns = []string{"carrier", "tech", "tier", "threshold_dbm", "area_km2", "zoom"}
	communeColumns  = []string{"code", "name", "name_en", "type", "population", "households", "area_km2", "polygon_area_km2"}
)

// GapsLayer is the layer of fc, the uncovered land per commune for tech as Gaps returns it
// (MarkSynthetic applied or not): one feature per commune with a gap, named after the commune,
// filled translucent red.
func GapsLayer(fc *geojson.FeatureCollection, tech data.Tech) Layer {
	return Layer{
		ID:   "gaps_" + strings.ToLower(string(tech)),
		Name: "Gaps " + string(tech),
		Description: "Uncovered land per commune for " + string(tech) + ": where no carrier's predicted median " +
			"level reaches the coverage threshold (threshold_dbm); pieces smaller than min_gap_area_m2 are left " +
			"out. uncovered_population is the people of the commune's uncovered land: from the population grid, or " +
			"the census spread evenly over the land (the communes layer's population_spread says which).",
		Style:    Style{Fill: alpha(gapColour, 0.25), Line: alpha(gapColour, 0.9), LineWidthPx: 1.5},
		Features: FromGeoJSON(fc, gapColumns, nil),
	}
}

// CoverageLayer is the layer of fc, the coverage of carrier c (ID coverage.AnyCarrier for the
// best of all carriers; Name and Colour are used when set) for tech at one tier as Coverage
// returns it: one feature named after the carrier, tech and threshold, in the carrier's map
// colour.
func CoverageLayer(fc *geojson.FeatureCollection, c data.Carrier, tech data.Tech, tier int) Layer {
	name, col := c.Name, parseColour(c.Colour, anyColour)
	if c.ID == coverage.AnyCarrier {
		name, col = "Any carrier", anyColour
	}
	if name == "" {
		name = c.ID
	}
	title := fmt.Sprintf("%s %s coverage", name, tech)
	if tier > 0 {
		title += fmt.Sprintf(", signal tier %d", tier)
	}
	l := Layer{
		ID:   fmt.Sprintf("coverage_%s_%s_t%d", c.ID, strings.ToLower(string(tech)), tier),
		Name: title,
		Description: "Area where " + name + "'s predicted median " + string(tech) + " level reaches threshold_dbm " +
			"(tier 0: the coverage threshold of the definition; tiers 1 and up: its heat-map levels, strongest first).",
		Style: Style{Fill: alpha(col, 0.3), Line: alpha(col, 0.7), LineWidthPx: 1},
	}
	l.Features = FromGeoJSON(fc, coverageColumns, func(f *geojson.Feature) string {
		if thr, ok := f.Properties["threshold_dbm"].(float64); ok {
			return fmt.Sprintf("%s (≥ %s dBm)", title, strconv.FormatFloat(thr, 'f', -1, 64))
		}
		return title
	})
	return l
}

// CommunesLayer is the layer of fc, the communes with their census figures and coverage
// statistics as Communes returns them: one feature per commune named after it, drawn as an
// outline.
func CommunesLayer(fc *geojson.FeatureCollection) Layer {
	return Layer{
		ID:   "communes",
		Name: "Communes",
		Description: "Communes and wards with their 2019 census population and households and, per technology " +
			"(suffix _3g, _4g), the predicted covered area, population and households, carriers present and " +
			"white (uncovered) area and people; population_spread says where the people figures come from.",
		Style:    Style{Line: communeColour, LineWidthPx: 1.5},
		Features: FromGeoJSON(fc, communeColumns, nil),
	}
}

// NewDocument wraps one layer with its provenance: the document is named "phusong — " and
// the layer's name, and described by the layer's description.
func NewDocument(l Layer, definitionVersion string, dataVersion uint64, note string) *Document {
	return &Document{
		Name: "phusong — " + l.Name, Description: l.Description,
		DefinitionVersion: definitionVersion, DataVersion: dataVersion, Note: note,
		Layers: []Layer{l},
	}
}

// alpha returns c with opacity a in [0, 1].
func alpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(a*255 + 0.5)
	return c
}

// parseColour reads a CSS "#rrggbb" colour (def when malformed).
func parseColour(s string, def color.NRGBA) color.NRGBA {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if len(s) != 7 || s[0] != '#' || err != nil {
		return def
	}
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}
