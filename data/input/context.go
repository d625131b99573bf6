package input

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"

	"phusong/data"
	"phusong/geo"
)

// Kinds of context feature, the "kind" property of ReadContextGeoJSON's output.
const (
	ContextRoad  = "road"
	ContextWater = "water"
)

// ContextToleranceM is the Douglas–Peucker tolerance context lines and rings are simplified
// with, metres: under a pixel up to zoom 13 (19 m per pixel at the equator), and a road or
// river bank drawn for orientation loses nothing visible.
const ContextToleranceM = 10

// ReadContextGeoJSON reads a context layer for the map's background: roads, rivers, canals,
// water bodies (a GeoJSON FeatureCollection of LineString, MultiLineString, Polygon or
// MultiPolygon features, lon/lat WGS84, e.g. an OpenStreetMap extract or a national roads
// file). It is read all-or-nothing: a feature without geometry, of another geometry type or
// with a position that is not a finite lon/lat is a data.ParseError naming the feature and
// field.
//
// Each output feature keeps two properties: "kind" (ContextRoad or ContextWater) and "name"
// (may be ""). The kind is the feature's own "kind" property when it is road or water;
// otherwise water for OpenStreetMap's waterway=*, natural=water or water=*, and for every
// polygon (a river or lake drawn as an area); road for anything else. The name is the first
// of the properties name, ten (Vietnamese files), ref, ma. Geometry is simplified with
// ContextToleranceM in a transverse Mercator centred on the layer, rounded to 6 decimals.
func ReadContextGeoJSON(r io.Reader) (*geojson.FeatureCollection, error) {
	fc := readFeatureCollection(r, "context", 0)
	var errs data.ParseErrors
	out := geojson.NewFeatureCollection()
	for n, raw := range fc.Features() {
		f, perr := decodeFeature(n, raw)
		if perr != nil {
			errs = append(errs, perr)
			continue
		}
		g, perr := contextGeometry(n, f)
		if perr != nil {
			errs = append(errs, perr)
			continue
		}
		cf := geojson.NewFeature(g)
		cf.Properties = geojson.Properties{"kind": contextKind(f.Properties, g), "name": contextName(f.Properties)}
		out.Append(cf)
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errs
	}
	simplifyContext(out)
	return out, nil
}

// LoadContextFile reads a context layer from a file (see ReadContextGeoJSON).
func LoadContextFile(path string) (*geojson.FeatureCollection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fc, err := ReadContextGeoJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fc, nil
}

// contextGeometry decodes and checks feature n's geometry.
func contextGeometry(n int, f *gjFeature) (orb.Geometry, *data.ParseError) {
	switch f.Geometry.Type {
	case "LineString", "MultiLineString", "Polygon", "MultiPolygon":
	default:
		return nil, &data.ParseError{Feature: n, Field: "geometry", Value: f.Geometry.Type,
			Msg: "is not LineString, MultiLineString, Polygon or MultiPolygon (a context layer holds roads, rivers and water)"}
	}
	raw, _ := json.Marshal(f.Geometry) // re-encodes what was decoded: cannot fail
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, &data.ParseError{Feature: n, Field: "coordinates", Msg: "are not " + f.Geometry.Type + " coordinates: " + err.Error()}
	}
	bad := ""
	visitPoints(g.Geometry(), func(p orb.Point) {
		if bad == "" && (math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 || math.IsInf(p[0], 0) || math.IsInf(p[1], 0)) {
			bad = fmt.Sprintf("%g,%g", p[0], p[1])
		}
	})
	if bad != "" {
		return nil, &data.ParseError{Feature: n, Field: "coordinates", Value: bad, Msg: "is not a lon, lat position in degrees (WGS84)"}
	}
	return g.Geometry(), nil
}

// visitPoints calls fn with every position of g (lines and polygons).
func visitPoints(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.LineString:
		for _, p := range g {
			fn(p)
		}
	case orb.MultiLineString:
		for _, l := range g {
			visitPoints(l, fn)
		}
	case orb.Polygon:
		for _, r := range g {
			visitPoints(orb.LineString(r), fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			visitPoints(p, fn)
		}
	}
}

// contextKind is the kind of a feature with properties p and geometry g (see
// ReadContextGeoJSON).
func contextKind(p map[string]any, g orb.Geometry) string {
	if k, _ := p["kind"].(string); k == ContextRoad || k == ContextWater {
		return k
	}
	if _, ok := p["waterway"]; ok || p["natural"] == "water" || p["water"] != nil {
		return ContextWater
	}
	if _, ok := g.(orb.Polygon); ok {
		return ContextWater
	}
	if _, ok := g.(orb.MultiPolygon); ok {
		return ContextWater
	}
	return ContextRoad
}

// contextName is the first text of name, ten, ref, ma in p.
func contextName(p map[string]any) string {
	for _, k := range []string{"name", "ten", "ref", "ma"} {
		if s, ok := p[k].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// simplifyContext simplifies every geometry of fc in place (ContextToleranceM, in a transverse
// Mercator at the centre of fc's bound) and rounds it for GeoJSON; features whose geometry
// becomes empty are dropped.
func simplifyContext(fc *geojson.FeatureCollection) {
	if len(fc.Features) == 0 {
		return
	}
	b := fc.Features[0].Geometry.Bound()
	for _, f := range fc.Features[1:] {
		b = b.Union(f.Geometry.Bound())
	}
	c := b.Center()
	tm := geo.NewLocalTM(c[0], c[1])
	dp := simplify.DouglasPeucker(ContextToleranceM)
	kept := fc.Features[:0]
	for _, f := range fc.Features {
		g := geo.RFC7946(tm.InverseGeometry(dp.Simplify(tm.ForwardGeometry(f.Geometry))))
		if g == nil || isEmptyGeometry(g) {
			continue
		}
		f.Geometry = g
		kept = append(kept, f)
	}
	fc.Features = kept
}

// isEmptyGeometry reports whether g has no position left.
func isEmptyGeometry(g orb.Geometry) bool {
	empty := true
	visitPoints(g, func(orb.Point) { empty = false })
	return empty
}
