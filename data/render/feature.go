package render

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Property is one named attribute of a Feature. Value is a string, bool, int, int64, float64
// or nil (written as an empty cell and left out of KML); other types are written with
// fmt.Sprint. Non-finite floats are written as empty.
type Property struct {
	Name  string
	Value any
}

// Feature is one geometry (lon/lat degrees, any type ToGeom converts; nil for none) with its
// name (the KML placemark's name, "" for none) and its properties in column order.
type Feature struct {
	Name       string
	Geometry   orb.Geometry
	Properties []Property
}

// Style is how a layer is drawn in KML. Colours are straight (not premultiplied) RGBA; a
// fill with zero alpha is written as an outline-only polygon.
type Style struct {
	Fill        color.NRGBA
	Line        color.NRGBA
	LineWidthPx float64 // outline width in screen pixels; 0 = 1
}

// Layer is a set of features drawn with one style: a KML Folder with its own Style and
// Schema, and in CSV the rows whose "layer" column is ID (when a document has several).
type Layer struct {
	ID          string // short machine name, e.g. "gaps_4g"; also the KML style and schema id
	Name        string // human title, e.g. "Gaps 4G"
	Description string
	Style       Style
	Features    []Feature
}

// Document is what one export writes: its layers and the provenance every consumer must see.
type Document struct {
	Name              string // KML Document name, e.g. "phusong — gaps 4G"
	Description       string // what the layers show, one or two sentences
	DefinitionVersion string // version of the coverage definition the layers were computed with
	Calibration       string // the definition's calibration label ("" not stated)
	DataVersion       uint64 // version of the station lists (0 = not stated)
	Note              string // non-empty when built on synthetic demo data: shown in the KML header
	Layers            []Layer
}

// SafeName returns s with every character outside [A-Za-z0-9_.-] replaced by "_": a name fit
// for a file or (after a leading letter or "_") an XML id. Each non-ASCII rune becomes one "_".
func SafeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// metaKeys always come last among a layer's columns, in this order.
var metaKeys = []string{"definition_version", "calibration", "synthetic", "note"}

// FromGeoJSON converts fc's features to Features whose properties all have the same columns:
// the names listed in first (those present in fc), then every other property name in
// alphabetical order, then definition_version, calibration, synthetic and note. A feature missing a column
// has a nil value there. name gives each feature's name (nil: the "name" property when it is
// a string).
func FromGeoJSON(fc *geojson.FeatureCollection, first []string, name func(*geojson.Feature) string) []Feature {
	if fc == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, f := range fc.Features {
		for k := range f.Properties {
			seen[k] = true
		}
	}
	cols := make([]string, 0, len(seen))
	for _, k := range first {
		if seen[k] && !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	var rest []string
	for k := range seen {
		if !slices.Contains(cols, k) && !slices.Contains(metaKeys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	cols = append(cols, rest...)
	for _, k := range metaKeys {
		if seen[k] && !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	if name == nil {
		name = func(f *geojson.Feature) string { s, _ := f.Properties["name"].(string); return s }
	}
	out := make([]Feature, 0, len(fc.Features))
	for _, f := range fc.Features {
		props := make([]Property, len(cols))
		for i, k := range cols {
			props[i] = Property{Name: k, Value: f.Properties[k]}
		}
		out = append(out, Feature{Name: name(f), Geometry: f.Geometry, Properties: props})
	}
	return out
}

// columns returns the property names of features in order of first appearance.
func columns(features []Feature) []string {
	var cols []string
	seen := map[string]bool{}
	for _, f := range features {
		for _, p := range f.Properties {
			if !seen[p.Name] {
				seen[p.Name] = true
				cols = append(cols, p.Name)
			}
		}
	}
	return cols
}

// formatValue writes a property value as text: numbers in the shortest form that reads back
// exactly, booleans as true/false, lists of text joined by spaces, nil and non-finite numbers as "".
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return formatValue(float64(v))
	case []string:
		return strings.Join(v, " ")
	default:
		return fmt.Sprint(v)
	}
}

// kmlType is the KML SimpleField type of the values of column name in features: "bool",
// "int" or "double" when every non-nil value has that kind, else "string".
func kmlType(features []Feature, name string) string {
	kind := ""
	for _, f := range features {
		for _, p := range f.Properties {
			if p.Name != name || p.Value == nil {
				continue
			}
			var k string
			switch p.Value.(type) {
			case bool:
				k = "bool"
			case int, int64:
				k = "int"
			case float64, float32:
				k = "double"
			default:
				return "string"
			}
			switch {
			case kind == "" || kind == k:
				kind = k
			case kind == "int" && k == "double" || kind == "double" && k == "int":
				kind = "double"
			default:
				return "string"
			}
		}
	}
	if kind == "" {
		return "string"
	}
	return kind
}

// Text returns a property value as the CSV and KML writers write it: numbers in their
// shortest exact form, booleans as true/false, lists of text joined by spaces, nil and
// non-finite numbers as "".
func Text(v any) string { return formatValue(v) }
