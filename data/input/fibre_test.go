package input

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/fibre"
)

// fc wraps feature texts in a FeatureCollection, one feature per line (so feature N is on line
// N+1).
func fc(features ...string) string {
	return "{\"type\":\"FeatureCollection\",\"features\":[\n" + strings.Join(features, ",\n") + "\n]}"
}

const (
	lineOK = `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.3,9.9],[106.31,9.9]]},"properties":{"route_id":"R1","kind":"distribution"}}`
	apOK   = `{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A1","ports":16}}`
)

func TestReadGeoJSON(t *testing.T) {
	in := fc(
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.3,9.9,2],[106.31,9.9],[106.31,9.9],[106.32,9.95]]},"properties":{"route_id":"R1","kind":"Backbone","operator":"VNPT","colour":"red"}}`,
		`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.3,9.9],[106.31,9.9]],[[106.4,9.8],[106.41,9.8]]]},"properties":{"id":"F","kind":"feeder"}}`,
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.3,9.9],[106.31,9.9]]},"properties":{"kind":"distribution","synthetic":true,"note":"x"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A1","ports":"32"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.31,9.91]},"properties":{"id":"A2"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.32,9.92]},"properties":{"id":"R1","ports":null}}`,
	)
	rep, err := ReadFibreGeoJSON(strings.NewReader(in), fibreOpts("vinaphone"))
	if err != nil {
		t.Fatal(err)
	}
	want := fibre.Network{
		Routes: []fibre.Route{
			{Operator: "vinaphone", RouteID: "R1", Kind: fibre.Backbone, Line: orb.LineString{{106.3, 9.9}, {106.31, 9.9}, {106.32, 9.95}}},
			{Operator: "vinaphone", RouteID: "F#1", Kind: fibre.Feeder, Line: orb.LineString{{106.3, 9.9}, {106.31, 9.9}}},
			{Operator: "vinaphone", RouteID: "F#2", Kind: fibre.Feeder, Line: orb.LineString{{106.4, 9.8}, {106.41, 9.8}}},
			{Operator: "vinaphone", RouteID: "feature-3", Kind: fibre.Distribution, Line: orb.LineString{{106.3, 9.9}, {106.31, 9.9}}},
		},
		AccessPoints: []fibre.AccessPoint{
			{Operator: "vinaphone", ID: "A1", Point: orb.Point{106.3, 9.9}, Ports: 32},
			{Operator: "vinaphone", ID: "A2", Point: orb.Point{106.31, 9.91}, Ports: 0},
			{Operator: "vinaphone", ID: "R1", Point: orb.Point{106.32, 9.92}, Ports: 0},
		},
	}
	if !reflect.DeepEqual(rep.Network, want) {
		t.Errorf("network\n got %+v\nwant %+v", rep.Network, want)
	}
	var warns []string
	for _, w := range rep.Warnings {
		warns = append(warns, w.String())
	}
	wantWarns := []string{
		"feature 1: colour: property not used",
		"feature 1: coordinates: 1 repeated consecutive points dropped",
		"feature 2: geometry: MultiLineString of 2 lines split into routes F#1..F#2",
		"feature 3: route_id: missing; using feature-3",
		"ports: missing on 2 access points (first: feature 5); capacity unknown (0)",
	}
	if !reflect.DeepEqual(warns, wantWarns) {
		t.Errorf("warnings\n got %q\nwant %q", warns, wantWarns)
	}
	if rep.Features != 6 {
		t.Errorf("features %d, want 6", rep.Features)
	}
}

// TestReadGeoJSONBad checks the exact error of each bad input (all or nothing: no report).
func TestReadGeoJSONBad(t *testing.T) {
	line := func(coords, props string) string {
		return `{"type":"Feature","geometry":{"type":"LineString","coordinates":` + coords + `},"properties":` + props + `}`
	}
	point := func(coords, props string) string {
		return `{"type":"Feature","geometry":{"type":"Point","coordinates":` + coords + `},"properties":` + props + `}`
	}
	cases := []struct {
		name, operator, in string
		want               []string
	}{
		{"not json", "viettel", "{\"type\":\n\"FeatureCollection\",,", []string{"line 2: not a GeoJSON FeatureCollection: invalid character ',' looking for beginning of object key string"}},
		{"truncated", "viettel", "{\"type\":\"FeatureCollection\",\n\"features\":[", []string{"line 2: not a GeoJSON FeatureCollection: unexpected EOF"}},
		{"not a collection", "viettel", `{"type":"Feature"}`, []string{`type: "Feature" is not FeatureCollection`}},
		{"unknown kind", "viettel", fc(lineOK, line(`[[106.3,9.9],[106.31,9.9]]`, `{"route_id":"R2","kind":"trunk"}`)),
			[]string{`feature 2: kind: "trunk" is not backbone, feeder or distribution`}},
		{"missing kind", "viettel", fc(line(`[[106.3,9.9],[106.31,9.9]]`, `{"route_id":"R2"}`)),
			[]string{`feature 1: kind: missing (backbone, feeder or distribution)`}},
		{"outside the box", "viettel", fc(line(`[[106.3,9.9],[107.31,9.9]]`, `{"route_id":"R2","kind":"feeder"}`)),
			[]string{`feature 1: coordinates[1]: "107.31,9.9" is outside the province area (lon 105.72..106.81, lat 9.3..10.31)`}},
		{"swapped", "viettel", fc(point(`[9.9,106.3]`, `{"id":"A"}`)),
			[]string{`feature 1: coordinates: "9.9,106.3" is outside the province area (lon 105.72..106.81, lat 9.3..10.31); looks like lat/lon swapped (GeoJSON is [lon, lat])`}},
		{"multi part outside", "viettel", fc(`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.3,9.9],[106.31,9.9]],[[106.3,9.9],[106.3,10.5],[106.3,11]]]},"properties":{"route_id":"M","kind":"feeder"}}`),
			[]string{`feature 1: coordinates[1][1]: "106.3,10.5" is outside the province area (lon 105.72..106.81, lat 9.3..10.31)`}},
		{"overflowing number", "viettel", fc(point(`[106.3,1e999]`, `{"id":"A"}`)),
			[]string{`feature 1: coordinates: "106.3,1e999" is not a pair of finite numbers`}},
		{"one point", "viettel", fc(line(`[[106.3,9.9]]`, `{"route_id":"R2","kind":"feeder"}`)),
			[]string{`feature 1: coordinates: has 1 distinct points; a route needs at least 2`}},
		{"repeated point", "viettel", fc(line(`[[106.3,9.9],[106.3,9.9]]`, `{"route_id":"R2","kind":"feeder"}`)),
			[]string{`feature 1: coordinates: has 1 distinct points; a route needs at least 2`}},
		{"empty multi", "viettel", fc(`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[]},"properties":{"route_id":"M","kind":"feeder"}}`),
			[]string{`feature 1: coordinates: hold no line`}},
		{"duplicate route id", "viettel", fc(lineOK, apOK, lineOK),
			[]string{`feature 3: route_id: "R1" repeats feature 1 of viettel`}},
		{"duplicate split id", "viettel", fc(line(`[[106.3,9.9],[106.31,9.9]]`, `{"route_id":"M#2","kind":"feeder"}`),
			`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.3,9.9],[106.31,9.9]],[[106.4,9.8],[106.41,9.8]]]},"properties":{"route_id":"M","kind":"feeder"}}`),
			[]string{`feature 2: route_id: "M#2" repeats feature 1 of viettel`}},
		{"duplicate access point id", "", fc(point(`[106.3,9.9]`, `{"id":"A","operator":"mobifone"}`), point(`[106.4,9.9]`, `{"id":"A","operator":"viettel"}`), point(`[106.5,9.9]`, `{"id":"A","operator":"mobifone"}`)),
			[]string{`feature 3: id: "A" repeats feature 1 of mobifone`}},
		{"negative ports", "viettel", fc(point(`[106.3,9.9]`, `{"id":"A","ports":-4}`)), []string{`feature 1: ports: "-4" is negative`}},
		{"fractional ports", "viettel", fc(point(`[106.3,9.9]`, `{"id":"A","ports":"2.5"}`)), []string{`feature 1: ports: "2.5" is not a whole number in 0..100000`}},
		{"ports not a number", "viettel", fc(point(`[106.3,9.9]`, `{"id":"A","ports":"many"}`)), []string{`feature 1: ports: "many" is not a number`}},
		{"id not text", "viettel", fc(point(`[106.3,9.9]`, `{"id":{"a":1}}`)), []string{`feature 1: id: is not text or a number`}},
		{"control character", "viettel", fc(point(`[106.3,9.9]`, `{"id":"A\u0007"}`)), []string{"feature 1: id: \"A\\a\" holds control characters"}},
		// Before, the reader trimmed ids, so " A" became A (and "  " the default feature-1)
		// while fibre.Check refused padded ids; now ids are read as written, as site ids are.
		{"padded id", "viettel", fc(point(`[106.3,9.9]`, `{"id":" A"}`)), []string{`feature 1: id: " A" has leading or trailing spaces`}},
		{"blank route id", "viettel", fc(line(`[[106.3,9.9],[106.31,9.9]]`, `{"route_id":"  ","kind":"feeder"}`)),
			[]string{`feature 1: route_id: "  " has leading or trailing spaces`}},
		{"missing operator", "", fc(apOK), []string{`feature 1: operator: missing (or name the operator of the whole file)`}},
		{"unknown operator", "", fc(point(`[106.3,9.9]`, `{"id":"A","operator":"fpt"}`)),
			[]string{`feature 1: operator: "fpt" is not a known operator (viettel, vinaphone, mobifone, vietnamobile, gmobile, itelecom, tvcable)`}},
		{"other operator", "viettel", fc(point(`[106.3,9.9]`, `{"id":"A","operator":"mobifone"}`)),
			[]string{`feature 1: operator: "mobifone" differs from the file's operator viettel`}},
		{"two ids", "viettel", fc(line(`[[106.3,9.9],[106.31,9.9]]`, `{"id":"A","route_id":"B","kind":"feeder"}`)),
			[]string{`feature 1: route_id: "B" differs from id "A"; give one`}},
		{"polygon", "viettel", fc(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]},"properties":{}}`),
			[]string{`feature 1: geometry: "Polygon" is not LineString, MultiLineString or Point`}},
		{"no geometry", "viettel", fc(`{"type":"Feature","geometry":null,"properties":{}}`), []string{`feature 1: geometry: missing`}},
		{"bad coordinates", "viettel", fc(line(`[106.3,9.9]`, `{"route_id":"R","kind":"feeder"}`)),
			[]string{`feature 1: coordinates: are not an array of [lon, lat] positions`}},
		{"short position", "viettel", fc(point(`[106.3]`, `{"id":"A"}`)), []string{`feature 1: coordinates: is not a [lon, lat] position`}},
		{"not a feature", "viettel", fc(`{"type":"Point","geometry":{}}`), []string{`feature 1: type: "Point" is not Feature`}},
		{"several errors", "viettel", fc(apOK, point(`[106.3,9.9]`, `{"id":"B","ports":-1}`), line(`[[106.3,9.9],[106.31,9.9]]`, `{"route_id":"R","kind":"x"}`)),
			[]string{`feature 2: ports: "-1" is negative`, `feature 3: kind: "x" is not backbone, feeder or distribution`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadFibreGeoJSON(strings.NewReader(c.in), fibreOpts(c.operator))
			if rep != nil {
				t.Fatalf("got a report with %d routes; want none", len(rep.Network.Routes))
			}
			var pe data.ParseErrors
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not ParseErrors", err, err)
			}
			if !errors.Is(err, data.ErrInvalidInput) {
				t.Errorf("error does not match data.ErrInvalidInput")
			}
			var got []string
			for _, e := range pe {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("errors\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestReadGeoJSONOperatorArgument(t *testing.T) {
	_, err := ReadFibreGeoJSON(strings.NewReader(fc(apOK)), fibreOpts("fpt"))
	if !errors.Is(err, data.ErrInvalidInput) || !strings.Contains(err.Error(), `operator "fpt" is not a known operator`) {
		t.Fatalf("error %v", err)
	}
}

func TestReadGeoJSONTooManyErrors(t *testing.T) {
	var feats []string
	for range 150 {
		feats = append(feats, `{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A","ports":-1}}`)
	}
	_, err := ReadFibreGeoJSON(strings.NewReader(fc(feats...)), fibreOpts("viettel"))
	var pe data.ParseErrors
	if !errors.As(err, &pe) || len(pe) != data.MaxParseErrors {
		t.Fatalf("got %d errors, want %d", len(pe), data.MaxParseErrors)
	}
	if last := pe[len(pe)-1].Error(); last != "feature 100: too many errors; reading stopped after 99" {
		t.Errorf("last error %q", last)
	}
}

// TestWriteGeoJSONRoundTrip checks Read(Write(x)) == x up to the canonical order, and that
// writing is stable.
func TestWriteGeoJSONRoundTrip(t *testing.T) {
	n := &fibre.Network{
		Routes: []fibre.Route{
			{Operator: "viettel", RouteID: "b", Kind: fibre.Distribution, Line: orb.LineString{{106.123456789, 9.9}, {106.2, 9.95}}},
			{Operator: "tvcable", RouteID: "a", Kind: fibre.Backbone, Line: orb.LineString{{106.1, 9.9}, {106.2, 9.95}, {106.25, 9.97}}},
		},
		AccessPoints: []fibre.AccessPoint{{Operator: "viettel", ID: "x", Point: orb.Point{106.3, 9.9}, Ports: 0}, {Operator: "mobifone", ID: "x", Point: orb.Point{106.3, 9.91}, Ports: 64}},
	}
	var buf bytes.Buffer
	if err := WriteFibreGeoJSON(&buf, n, "Synthetic test network"); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadFibreGeoJSON(bytes.NewReader(buf.Bytes()), fibreOpts(""))
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	want := &fibre.Network{Routes: append([]fibre.Route(nil), n.Routes...), AccessPoints: append([]fibre.AccessPoint(nil), n.AccessPoints...)}
	want.Sort()
	if !reflect.DeepEqual(&rep.Network, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", rep.Network, *want)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings %v", rep.Warnings)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"phusong_note":"Synthetic test network"`)) || bytes.Count(buf.Bytes(), []byte(`"synthetic":true`)) != 4 {
		t.Errorf("synthetic marks missing:\n%s", buf.Bytes())
	}
	var again bytes.Buffer
	if err := WriteFibreGeoJSON(&again, &rep.Network, "Synthetic test network"); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("second write differs (err %v)", err)
	}
}

func TestWriteGeoJSONInvalid(t *testing.T) {
	cases := []struct {
		name string
		n    fibre.Network
		want string
	}{
		{"unknown kind", fibre.Network{Routes: []fibre.Route{{Operator: "viettel", RouteID: "a", Kind: "trunk", Line: orb.LineString{{106.1, 9.9}, {106.2, 9.9}}}}},
			`routes[0].kind: "trunk" is not backbone, feeder or distribution`},
		{"one point", fibre.Network{Routes: []fibre.Route{{Operator: "viettel", RouteID: "a", Kind: fibre.Feeder, Line: orb.LineString{{106.1, 9.9}, {106.1, 9.9}}}}},
			`routes[0].line: has 1 distinct points; a route needs at least 2`},
		{"duplicate", fibre.Network{AccessPoints: []fibre.AccessPoint{{Operator: "viettel", ID: "a", Point: orb.Point{106.1, 9.9}, Ports: 1}, {Operator: "viettel", ID: "a", Point: orb.Point{106.1, 9.9}, Ports: 1}}},
			`access_points[1].id: "a" repeats access_points[0] of viettel`},
		{"ports", fibre.Network{AccessPoints: []fibre.AccessPoint{{Operator: "viettel", ID: "a", Point: orb.Point{106.1, 9.9}, Ports: -1}}},
			`access_points[0].ports: "-1" is outside 0..100000 (0 = unknown)`},
		{"operator", fibre.Network{AccessPoints: []fibre.AccessPoint{{Operator: "fpt", ID: "a", Point: orb.Point{106.1, 9.9}, Ports: 1}}},
			`access_points[0].operator: "fpt" is not a known operator (viettel, vinaphone, mobifone, vietnamobile, gmobile, itelecom, tvcable)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteFibreGeoJSON(&buf, &c.n, "")
			if err == nil || !strings.HasSuffix(err.Error(), c.want) {
				t.Fatalf("error %v, want …%s", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}
