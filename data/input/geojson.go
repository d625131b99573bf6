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

// featureCollection streams one GeoJSON FeatureCollection: its features are decoded one at a
// time as Features yields them, so that reading holds one feature (and a buffer), whatever the
// length of the input. Create it with readFeatureCollection.
type featureCollection struct {
	what string // "station", "commune", "fibre", "site id": names the input in reading errors
	in   *jsonInput
	dec  *json.Decoder
	n    int    // features yielded
	err  error  // why reading ended early (Err)
	done bool   // the whole input was read and checked
	note string // the top-level "phusong_note" member (a string): the mark of synthetic or schematic data
}

// readFeatureCollection prepares to read r as one GeoJSON FeatureCollection of what: a JSON
// object whose "type" is "FeatureCollection", with a "features" array (absent or null: no
// features; given twice: an error; other members are skipped), and nothing after it but white
// space. Features reads it; Err tells how reading ended. A JSON value of more than
// maxValueBytes (> 0; a feature, or any other member) stops reading with a *data.LimitError.
func readFeatureCollection(r io.Reader, what string, maxValueBytes int64) *featureCollection {
	in := &jsonInput{r: r, maxValue: maxValueBytes}
	dec := json.NewDecoder(in)
	dec.UseNumber()
	return &featureCollection{what: what, in: in, dec: dec}
}

// Len is the number of features yielded so far (all of them once Features has finished).
func (fc *featureCollection) Len() int { return fc.n }

// Err is nil when the input was read to its end and is one FeatureCollection and nothing else.
// Otherwise it is data.ParseErrors of one error: a JSON syntax error or a truncated input with
// its line (jsonError), data after the collection with its line and byte offset (0-based), a
// type other than FeatureCollection, a "features" member that is not an array or is given
// twice; a *data.LimitError for a value over the byte limit; or a reading error, wrapped. It is
// also nil when the caller stopped the loop early (nothing more was read).
func (fc *featureCollection) Err() error { return fc.err }

// Features reads the collection, yielding every feature as its 1-based number
// (data.ParseError.Feature; jq: .features[n-1]) and its raw JSON, in input order. It stops at
// the first problem of the input (see Err): features yielded before a problem are to be
// discarded.
func (fc *featureCollection) Features() iter.Seq2[int, json.RawMessage] {
	return func(yield func(int, json.RawMessage) bool) {
		if fc.done || fc.err != nil {
			return
		}
		stopped, err := fc.read(yield)
		fc.err, fc.done = err, !stopped
	}
}

// read parses the top-level object, yielding features; stopped is true when yield asked to stop.
func (fc *featureCollection) read(yield func(int, json.RawMessage) bool) (stopped bool, err error) {
	tok, err := fc.token()
	if err != nil {
		return false, fc.problem(err)
	}
	switch d, _ := tok.(json.Delim); {
	case tok == nil: // null: a document without type
		return false, fc.trailing(errNoType)
	case d != '{':
		return false, fc.at(&data.ParseError{Msg: "not a GeoJSON FeatureCollection: it is a JSON " + tokenKind(tok) + ", want an object"})
	}
	typ, features := "", 0
	for fc.dec.More() {
		tok, err := fc.token()
		if err != nil {
			return false, fc.problem(err)
		}
		switch key, _ := tok.(string); key {
		case "type":
			if tok, err = fc.token(); err != nil {
				return false, fc.problem(err)
			}
			switch v := tok.(type) {
			case string:
				typ = v
			case nil:
				typ = ""
			default:
				return false, fc.at(&data.ParseError{Field: "type", Msg: "is a JSON " + tokenKind(tok) + ", want a string"})
			}
			if typ != "FeatureCollection" {
				return false, typeError(typ)
			}
		case "features":
			if features++; features > 1 {
				return false, fc.at(&data.ParseError{Field: "features", Msg: "is given twice (one collection holds one features array)"})
			}
			if stopped, err := fc.features(yield); stopped || err != nil {
				return stopped, err
			}
		case "phusong_note":
			if tok, err = fc.token(); err != nil {
				return false, fc.problem(err)
			}
			if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
				return false, fc.at(&data.ParseError{Field: "phusong_note", Msg: "is a JSON " + tokenKind(tok) + ", want a string"})
			}
			fc.note, _ = tok.(string)
		default:
			if err := fc.skip(); err != nil {
				return false, fc.problem(err)
			}
		}
	}
	if _, err := fc.token(); err != nil { // the closing brace
		return false, fc.problem(err)
	}
	if typ != "FeatureCollection" {
		return false, fc.trailing(typeError(typ))
	}
	return false, fc.trailing(nil)
}

// errNoType marks a collection without a type, reported after the check for trailing data.
var errNoType = typeError("")

// typeError is the error of a collection whose type is typ.
func typeError(typ string) error {
	return data.ParseErrors{{Field: "type", Value: typ, Msg: "is not FeatureCollection"}}
}

// features reads the value of the "features" member: null, or an array whose elements are
// yielded one by one.
func (fc *featureCollection) features(yield func(int, json.RawMessage) bool) (stopped bool, err error) {
	tok, err := fc.token()
	if err != nil {
		return false, fc.problem(err)
	}
	if tok == nil {
		return false, nil
	}
	if d, _ := tok.(json.Delim); d != '[' {
		return false, fc.at(&data.ParseError{Field: "features", Msg: "is a JSON " + tokenKind(tok) + ", want an array"})
	}
	for fc.dec.More() {
		var raw json.RawMessage
		fc.in.startValue(fc.dec.InputOffset())
		if err := fc.dec.Decode(&raw); err != nil {
			var le *data.LimitError
			if errors.As(err, &le) {
				le.Feature = fc.n + 1
			}
			return false, fc.problem(err)
		}
		fc.n++
		if !yield(fc.n, raw) {
			return true, nil
		}
	}
	_, err = fc.token() // the closing bracket
	return false, fc.problem(err)
}

// token is the decoder's next token, with the value-size cap counted from here.
func (fc *featureCollection) token() (json.Token, error) {
	fc.in.startValue(fc.dec.InputOffset())
	return fc.dec.Token()
}

// skip reads past one value (of a member other than type and features) token by token.
func (fc *featureCollection) skip() error {
	depth := 0
	for {
		tok, err := fc.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// trailing checks that only white space follows the collection; it returns the data-after
// error, or else err (the collection's own problem, reported after this one as it was before
// the reader streamed).
func (fc *featureCollection) trailing(err error) error {
	buf, _ := io.ReadAll(fc.dec.Buffered())
	off := fc.dec.InputOffset()
	line := 1 + fc.in.newlines - bytes.Count(buf, []byte("\n"))
	chunk := make([]byte, 4096)
	for {
		for _, c := range buf {
			if !bytes.ContainsRune([]byte(jsonSpace), rune(c)) {
				return data.ParseErrors{{Line: line,
					Msg: fmt.Sprintf("data after the FeatureCollection at byte offset %d (one file holds one collection)", off)}}
			}
			if c == '\n' {
				line++
			}
			off++
		}
		n, rerr := fc.in.r.Read(chunk)
		buf = chunk[:n]
		switch {
		case n > 0:
		case rerr == io.EOF:
			return err
		case rerr != nil:
			return fc.readingError(rerr)
		}
	}
}

// problem turns an error of the decoder into the reader's: a syntax error or a truncated input
// as a ParseError naming its line (jsonError), a limit as it is, a failed read wrapped. A nil
// err stays nil.
func (fc *featureCollection) problem(err error) error {
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		pe := jsonError(0, se)
		// The decoder's offset of an error inside a streamed value is not absolute: decode the
		// rest again from the value's start, alone, for the offset within it.
		rest, _ := io.ReadAll(fc.dec.Buffered())
		start, rel := fc.dec.InputOffset(), int64(0)
		var again *json.SyntaxError
		if errors.As(json.NewDecoder(bytes.NewReader(rest)).Decode(new(json.RawMessage)), &again) {
			rel = again.Offset
		}
		pe.Line = fc.lineAt(start + rel)
		return data.ParseErrors{pe}
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		pe := jsonError(0, io.ErrUnexpectedEOF)
		if fc.in.lastLine == 0 {
			pe = jsonError(0, io.EOF) // nothing but white space: "the input is empty"
		}
		pe.Line = max(fc.in.lastLine, 1)
		return data.ParseErrors{pe}
	}
	return fc.readingError(err)
}

func (fc *featureCollection) readingError(err error) error {
	var le *data.LimitError
	if errors.As(err, &le) {
		return le
	}
	return fmt.Errorf("data: reading %s GeoJSON: %w", fc.what, err)
}

// at gives pe the line of the decoder's position (just after the token it is about).
func (fc *featureCollection) at(pe *data.ParseError) error {
	pe.Line = fc.lineAt(fc.dec.InputOffset())
	return data.ParseErrors{pe}
}

// lineAt is the 1-based line of byte offset off of the input, which must not lie before the
// decoder's position: the newlines read, less those still buffered at or after off.
func (fc *featureCollection) lineAt(off int64) int {
	rest, _ := io.ReadAll(fc.dec.Buffered())
	rel := min(max(off-fc.dec.InputOffset(), 0), int64(len(rest)))
	return 1 + fc.in.newlines - bytes.Count(rest[rel:], []byte("\n"))
}

// tokenKind names the JSON value a token starts: "object", "array", "string" …
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "array"
		}
		return "object"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

// jsonInput is the input of a collection's decoder: it counts bytes and newlines (for line
// numbers without keeping the input) and caps the bytes of one value.
type jsonInput struct {
	r        io.Reader
	n        int64 // bytes read
	newlines int   // '\n' among them
	lastLine int   // 1-based line of the last non-space byte read; 0 before one
	maxValue int64 // > 0: the most bytes one value may take
	start    int64 // offset where the current value starts
}

// startValue marks offset off as the start of the next value, for the byte cap.
func (j *jsonInput) startValue(off int64) { j.start = off }

func (j *jsonInput) Read(p []byte) (int, error) {
	if j.maxValue > 0 {
		// Read no further than the current value's cap (counted from where it starts, white
		// space and a comma before it included), so that a value over it is told exactly,
		// not a buffer later.
		room := j.start + j.maxValue - j.n
		if room <= 0 {
			return 0, &data.LimitError{What: "bytes in one JSON value", Max: j.maxValue}
		}
		p = p[:min(int64(len(p)), room)]
	}
	n, err := j.r.Read(p)
	for _, c := range p[:n] {
		switch c {
		case '\n':
			j.newlines++
		case ' ', '\t', '\r':
		default:
			j.lastLine = j.newlines + 1
		}
	}
	j.n += int64(n)
	return n, err
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
		return nil, jsonError(n, err)
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

// jsonError is the one conversion of a JSON decoding error into a ParseError. Of feature n's
// text (feature > 0) it names the feature; of the whole input (feature 0) it names nothing, and
// the caller, which knows where the decoder stands in the stream, sets the line. A value of the
// wrong type names its member: `feature 3: properties: is a JSON string, want an object`.
func jsonError(feature int, err error) *data.ParseError {
	pe := &data.ParseError{Feature: feature}
	what := "not a GeoJSON FeatureCollection: "
	if feature > 0 {
		what = "is not a GeoJSON Feature: "
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		pe.Msg = what + se.Error()
	case errors.As(err, &te) && te.Field != "":
		pe.Field, pe.Msg = te.Field, "is a JSON "+te.Value+", want "+jsonKind(te.Type)
	case errors.As(err, &te):
		pe.Msg = what + "it is a JSON " + te.Value + ", want " + jsonKind(te.Type)
	case errors.Is(err, io.EOF):
		pe.Msg = what + "the input is empty"
	default:
		pe.Msg = what + err.Error()
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
