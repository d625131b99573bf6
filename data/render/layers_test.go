package render

import (
	"image/color"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
)

// fcWith is a collection of one feature with properties props.
func fcWith(props geojson.Properties) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(ring(0, 0, 1, 0, 1, 1))
	f.Properties = props
	fc.Append(f)
	return fc
}

func propNames(f Feature) string {
	var s []string
	for _, p := range f.Properties {
		s = append(s, p.Name)
	}
	return strings.Join(s, ",")
}

func TestLayers(t *testing.T) {
	gaps := GapsLayer(fcWith(geojson.Properties{
		"note": "n", "synthetic": true, "definition_version": "v", "min_gap_area_m2": 10000.0, "threshold_dbm": -105.0,
		"uncovered_population": 1.5, "area_km2": 2.0, "tech": "4G", "name": "Xã Mỹ Long Bắc", "code": "29500",
	}), data.Tech4G)
	coverage := CoverageLayer(fcWith(geojson.Properties{
		"carrier": "viettel", "tech": "4G", "tier": 0, "threshold_dbm": -105.0, "definition_version": "v", "area_km2": 3.0, "zoom": -1,
	}), data.Carrier{ID: "viettel", Name: "Viettel", Colour: "#d7191c"}, data.Tech4G, 0)
	anyTier := CoverageLayer(fcWith(geojson.Properties{"threshold_dbm": -95.5}), data.Carrier{ID: "any"}, data.Tech3G, 2)
	noName := CoverageLayer(fcWith(nil), data.Carrier{ID: "newco", Colour: "bad"}, data.Tech4G, 0)
	communes := CommunesLayer(fcWith(geojson.Properties{
		"code": "1", "name": "Phường 1", "name_en": "Ward 1", "type": "ward", "population": 100, "households": 30,
		"covered_area_pct_4g": 50.0, "area_km2": 1.0, "polygon_area_km2": 1.1, "covered_area_pct_3g": 40.0, "definition_version": "v",
	}))
	cases := []struct {
		name                   string
		l                      Layer
		id, title, feature     string
		cols                   string
		fill, line             color.NRGBA
		descriptionMentionsKey string
	}{
		{"gaps", gaps, "gaps_4g", "Gaps 4G", "Xã Mỹ Long Bắc",
			"code,name,tech,area_km2,uncovered_population,threshold_dbm,min_gap_area_m2,definition_version,synthetic,note",
			color.NRGBA{0xb2, 0x18, 0x2b, 64}, color.NRGBA{0xb2, 0x18, 0x2b, 230}, "min_gap_area_m2"},
		{"carrier coverage", coverage, "coverage_viettel_4g_t0", "Viettel 4G coverage", "Viettel 4G coverage (≥ -105 dBm)",
			"carrier,tech,tier,threshold_dbm,area_km2,zoom,definition_version",
			color.NRGBA{0xd7, 0x19, 0x1c, 77}, color.NRGBA{0xd7, 0x19, 0x1c, 179}, "threshold_dbm"},
		{"any carrier, tier 2", anyTier, "coverage_any_3g_t2", "Any carrier 3G coverage, signal tier 2",
			"Any carrier 3G coverage, signal tier 2 (≥ -95.5 dBm)", "threshold_dbm",
			color.NRGBA{0x0b, 0x53, 0x94, 77}, color.NRGBA{0x0b, 0x53, 0x94, 179}, "tier"},
		{"carrier without name or colour", noName, "coverage_newco_4g_t0", "newco 4G coverage", "newco 4G coverage", "",
			color.NRGBA{0x0b, 0x53, 0x94, 77}, color.NRGBA{0x0b, 0x53, 0x94, 179}, "threshold_dbm"},
		{"communes", communes, "communes", "Communes", "Phường 1",
			"code,name,name_en,type,population,households,area_km2,polygon_area_km2,covered_area_pct_3g,covered_area_pct_4g,definition_version",
			color.NRGBA{}, color.NRGBA{0x33, 0x33, 0x33, 0xff}, "_4g"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			if l.ID != tc.id || l.Name != tc.title {
				t.Errorf("id %q name %q, want %q %q", l.ID, l.Name, tc.id, tc.title)
			}
			if len(l.Features) != 1 || l.Features[0].Name != tc.feature {
				t.Fatalf("features %+v, want one named %q", l.Features, tc.feature)
			}
			if got := propNames(l.Features[0]); got != tc.cols {
				t.Errorf("columns %s\nwant    %s", got, tc.cols)
			}
			if l.Style.Fill != tc.fill || l.Style.Line != tc.line {
				t.Errorf("fill %v line %v, want %v %v", l.Style.Fill, l.Style.Line, tc.fill, tc.line)
			}
			if !strings.Contains(l.Description, tc.descriptionMentionsKey) {
				t.Errorf("description %q does not explain %s", l.Description, tc.descriptionMentionsKey)
			}
		})
	}
}

func TestNewDocument(t *testing.T) {
	l := Layer{ID: "gaps_4g", Name: "Gaps 4G", Description: "d"}
	d := NewDocument(l, "2025.1", 3, "note")
	if d.Name != "phusong — Gaps 4G" || d.Description != "d" || d.DefinitionVersion != "2025.1" || d.DataVersion != 3 ||
		d.Note != "note" || len(d.Layers) != 1 {
		t.Errorf("%+v", d)
	}
}
