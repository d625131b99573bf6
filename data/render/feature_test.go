package render

import (
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb/geojson"
)

func TestFromGeoJSONColumns(t *testing.T) {
	fc := geojson.NewFeatureCollection()
	a := geojson.NewFeature(pt(0, 0))
	a.Properties = geojson.Properties{"note": "n", "zeta": 1, "name": "Xã Hòa Ân", "code": "1", "alpha": true, "definition_version": "v"}
	b := geojson.NewFeature(pt(1, 1))
	b.Properties = geojson.Properties{"code": "2", "beta": 2.5, "synthetic": true}
	fc.Append(a)
	fc.Append(b)
	got := FromGeoJSON(fc, []string{"code", "name", "missing"}, nil)
	// first (those present), the rest alphabetically, then the meta keys in their fixed order.
	wantCols := []string{"code", "name", "alpha", "beta", "zeta", "definition_version", "synthetic", "note"}
	for i, f := range got {
		var cols []string
		for _, p := range f.Properties {
			cols = append(cols, p.Name)
		}
		if !slices.Equal(cols, wantCols) {
			t.Errorf("feature %d columns %v, want %v", i, cols, wantCols)
		}
	}
	if got[0].Name != "Xã Hòa Ân" || got[1].Name != "" {
		t.Errorf("names %q, %q; want the name property, then none", got[0].Name, got[1].Name)
	}
	if got[1].Properties[2].Value != nil || got[1].Properties[3].Value != 2.5 {
		t.Errorf("feature 1 alpha, beta = %v, %v; want nil, 2.5", got[1].Properties[2].Value, got[1].Properties[3].Value)
	}
	if FromGeoJSON(nil, nil, nil) != nil {
		t.Error("nil collection: want nil")
	}
}

func TestFormatValue(t *testing.T) {
	type named string
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"text with diacritics", "Phường 1, Trà Vinh", "Phường 1, Trà Vinh"},
		{"true", true, "true"},
		{"int", -105, "-105"},
		{"int64", int64(1) << 40, "1099511627776"},
		{"float shortest", 12.345678, "12.345678"},
		{"float without exponent", 1e21, "1000000000000000000000"},
		{"tenth", 0.1, "0.1"},
		{"NaN", math.NaN(), ""},
		{"infinity", math.Inf(-1), ""},
		{"float32", float32(0.5), "0.5"},
		{"list of text", []string{"viettel", "tvcable"}, "viettel tvcable"},
		{"empty list", []string{}, ""},
		{"other type", named("4G"), "4G"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatValue(tc.in); got != tc.want {
				t.Errorf("formatValue(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestKMLType(t *testing.T) {
	fs := func(vs ...any) []Feature {
		var out []Feature
		for _, v := range vs {
			out = append(out, Feature{Properties: []Property{{"x", v}}})
		}
		return out
	}
	cases := []struct {
		name string
		in   []Feature
		want string
	}{
		{"ints", fs(1, int64(2), nil), "int"},
		{"ints and floats", fs(1, 2.5), "double"},
		{"bools", fs(true, false), "bool"},
		{"bool and int", fs(true, 1), "string"},
		{"text", fs(1, "a"), "string"},
		{"only nils", fs(nil), "string"},
		{"absent", nil, "string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := kmlType(tc.in, "x"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
