package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"

	"phusong/data"
)

// featureCollection is a GeoJSON FeatureCollection read whole, its features kept as raw JSON
// until a reader decodes them one by one.
type featureCollection struct {
	features []json.RawMessage
	note     string // the top-level "phusong_note" member: the mark of synthetic or schematic data
}

// readFeatureCollection reads r whole as one GeoJSON FeatureCollection of what ("station",
// "commune", "fibre", "site id"; for the error of a failed read): a JSON object whose "type" is
// "FeatureCollection", with a "features" array (absent or null: no features; other members
// are ignored), and nothing after it but white space. Bad input gives data.ParseErrors of one
// error: a JSON syntax error or a truncated input with its line (jsonError), data after the
// collection with its line and byte offset (0-based; two collections sent as one file were
// read as the first before), a type other than FeatureCollection. A reading error is returned
// wrapped.
func readFeatureCollection(r io.Reader, what string) (*featureCollection, error) {
	doc, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("data: reading %s GeoJSON: %w", what, err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var top struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
		Note     any               `json:"phusong_note"`
	}
	if err := dec.Decode(&top); err != nil {
		return nil, data.ParseErrors{jsonError(doc, 0, err)}
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(doc[end:], jsonSpace); len(rest) > 0 {
		off := len(doc) - len(rest)
		return nil, data.ParseErrors{{Line: lineAt(doc, off),
			Msg: fmt.Sprintf("data after the FeatureCollection at byte offset %d (one file holds one collection)", off)}}
	}
	if top.Type != "FeatureCollection" {
		return nil, data.ParseErrors{{Field: "type", Value: top.Type, Msg: "is not FeatureCollection"}}
	}
	note, _ := top.Note.(string)
	return &featureCollection{features: top.Features, note: note}, nil
}

// Len is the number of features.
func (fc *featureCollection) Len() int { return len(fc.features) }

// Features yields every feature as its 1-based number (data.ParseError.Feature; jq:
// .features[n-1]) and its raw JSON, in input order.
func (fc *featureCollection) Features() iter.Seq2[int, json.RawMessage] {
	return func(yield func(int, json.RawMessage) bool) {
		for i, raw := range fc.features {
			if !yield(i+1, raw) {
				return
			}
		}
	}
}

// gjFeature is a GeoJSON feature with its geometry's coordinates left raw and its property
// numbers as json.Number (their exact text).
type gjFeature struct {
	Type     string `json:"type"`
	Geometry *struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// decodeFeature decodes feature n (1-based) and checks it is a Feature with a geometry.
func decodeFeature(n int, raw json.RawMessage) (*gjFeature, *data.ParseError) {
	var f gjFeature
	if err := decodeJSON(raw, &f); err != nil {
		return nil, jsonError(raw, n, err)
	}
	if f.Type != "Feature" {
		return nil, &data.ParseError{Feature: n, Field: "type", Value: f.Type, Msg: "is not Feature"}
	}
	if f.Geometry == nil {
		return nil, &data.ParseError{Feature: n, Field: "geometry", Msg: "missing"}
	}
	return &f, nil
}

// decodePoint decodes feature n as decodeFeature does and checks that its geometry is a Point
// of at least two coordinates; it returns the feature and the text of its lon and lat (a third
// coordinate is ignored).
func decodePoint(n int, raw json.RawMessage) (f *gjFeature, lon, lat string, perr *data.ParseError) {
	if f, perr = decodeFeature(n, raw); perr != nil {
		return nil, "", "", perr
	}
	if f.Geometry.Type != "Point" {
		return nil, "", "", &data.ParseError{Feature: n, Field: "geometry", Value: f.Geometry.Type, Msg: "is not a Point"}
	}
	var pos []json.Number
	if err := decodeJSON(f.Geometry.Coordinates, &pos); err != nil || len(pos) < 2 {
		return nil, "", "", &data.ParseError{Feature: n, Field: "geometry", Msg: "coordinates are not [lon, lat]"}
	}
	return f, pos[0].String(), pos[1].String(), nil
}

// decodeJSON decodes raw into v keeping numbers as json.Number (their exact text).
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// jsonSpace is JSON's white space.
const jsonSpace = " \t\r\n"

// jsonError is the one conversion of a JSON decoding error into a ParseError. Of the whole
// input doc (feature 0) it names the line: of a syntax error, of the end of a truncated
// input, line 1 for an empty one. Of feature n's text it names the feature. A value of the
// wrong type names its member: `feature 3: properties: is a JSON string, want an object`.
func jsonError(doc []byte, feature int, err error) *data.ParseError {
	pe := &data.ParseError{Feature: feature}
	what := "not a GeoJSON FeatureCollection: "
	if feature > 0 {
		what = "is not a GeoJSON Feature: "
	}
	off := len(bytes.TrimRight(doc, jsonSpace))
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = int(se.Offset)
		pe.Msg = what + se.Error()
	case errors.As(err, &te) && te.Field != "":
		off = int(te.Offset)
		pe.Field, pe.Msg = te.Field, "is a JSON "+te.Value+", want "+jsonKind(te.Type)
	case errors.As(err, &te):
		off = int(te.Offset)
		pe.Msg = what + "it is a JSON " + te.Value + ", want " + jsonKind(te.Type)
	case errors.Is(err, io.EOF):
		pe.Msg = what + "the input is empty"
	default:
		pe.Msg = what + err.Error()
	}
	if feature == 0 {
		pe.Line = lineAt(doc, off)
	}
	return pe
}

// jsonKind names the JSON value that decodes into t: "an object", "an array" …
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeFor[json.Number]() {
		return "a number"
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64:
		return "a number"
	}
	return "another value"
}

// lineAt is the 1-based line of byte offset off in doc.
func lineAt(doc []byte, off int) int {
	return 1 + bytes.Count(doc[:min(max(off, 0), len(doc))], []byte("\n"))
}
