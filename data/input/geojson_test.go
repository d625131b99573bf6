package input

import (
	"errors"
	"io"
	"strings"
	"testing"

	"phusong/data"
)

// geoJSONReaders are every reader of a FeatureCollection, reduced to their error.
func geoJSONReaders() map[string]func(io.Reader) error {
	return map[string]func(io.Reader) error{
		"sites": func(r io.Reader) error { _, err := ReadSitesGeoJSON(r, siteOpts("viettel")); return err },
		"communes": func(r io.Reader) error {
			_, err := ReadCommunesGeoJSON(r)
			return err
		},
		"fibre":    func(r io.Reader) error { _, err := ReadFibreGeoJSON(r, fibreOpts("viettel")); return err },
		"site ids": func(r io.Reader) error { _, err := ReadSiteIDsGeoJSON(r, "viettel", Limits{}); return err },
	}
}

// TestFeatureCollectionErrors checks that every GeoJSON reader gives the same error for the
// same bad collection (one reader, readFeatureCollection, decodes them all).
func TestFeatureCollectionErrors(t *testing.T) {
	empty := `{"type":"FeatureCollection","features":[]}`
	cases := []struct{ name, in, want string }{
		// Before readFeatureCollection, the second collection was silently ignored.
		{"two collections", empty + "\n" + empty, "data: line 2: data after the FeatureCollection at byte offset 43 (one file holds one collection)"},
		// empty is 42 bytes (offsets 0–41); the x follows " \n\t " at offset 46.
		{"trailing garbage", empty + " \n\t x", "data: line 2: data after the FeatureCollection at byte offset 46 (one file holds one collection)"},
		{"trailing brace", empty + "}", "data: line 1: data after the FeatureCollection at byte offset 42 (one file holds one collection)"},
		{"syntax", "{\"type\":\"FeatureCollection\",\n\"features\":[,]}", "data: line 2: not a GeoJSON FeatureCollection: invalid character ',' looking for beginning of value"},
		{"truncated", "{\"type\":\"FeatureCollection\",\n\"features\":[\n\n", "data: line 2: not a GeoJSON FeatureCollection: unexpected EOF"},
		{"empty", "", "data: line 1: not a GeoJSON FeatureCollection: the input is empty"},
		{"blank", "\n\n", "data: line 1: not a GeoJSON FeatureCollection: the input is empty"},
		{"array", "[]", "data: line 1: not a GeoJSON FeatureCollection: it is a JSON array, want an object"},
		{"features object", "{\"type\":\"FeatureCollection\",\n\"features\":{}}", "data: line 2: features: is a JSON object, want an array"},
		{"type number", `{"type":7,"features":[]}`, "data: line 1: type: is a JSON number, want a string"},
		{"not a collection", `{"type":"Feature","features":[]}`, `data: type: "Feature" is not FeatureCollection`},
		{"no type", `{"features":[]}`, `data: type: is not FeatureCollection`},
		{"properties text", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":"x"}]}`,
			"data: feature 1: properties: is a JSON string, want an object"},
		{"feature not an object", `{"type":"FeatureCollection","features":[5]}`,
			"data: feature 1: is not a GeoJSON Feature: it is a JSON number, want an object"},
		// phusong_note is a string (the mark of synthetic data); an object or array is refused
		// by name, not skipped.
		{"note object", `{"type":"FeatureCollection","phusong_note":{"a":"b"},"features":[]}`,
			"data: line 1: phusong_note: is a JSON object, want a string"},
		{"note array", "{\"type\":\"FeatureCollection\",\n\"phusong_note\":[\"b\"],\"features\":[]}",
			"data: line 2: phusong_note: is a JSON array, want a string"},
		// A syntax error on the 4th line of a feature that starts on line 2, with lines after
		// it: the line is the error's own, neither the feature's first line nor the last line read.
		{"syntax inside a feature", "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\n\"geometry\":null,\n\"properties\":{\n\"a\":1,,\n\"b\":2\n}\n}\n]}\n",
			"data: line 5: not a GeoJSON FeatureCollection: invalid character ',' looking for beginning of object key string"},
	}
	checkReaders(t, geoJSONReaders(), cases)
}

// checkReaders runs every reader on every case's input and checks the error is exactly want
// and an ErrInvalidInput.
func checkReaders(t *testing.T, readers map[string]func(io.Reader) error, cases []struct{ name, in, want string }) {
	t.Helper()
	for name, read := range readers {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				err := read(strings.NewReader(c.in))
				if err == nil || err.Error() != c.want {
					t.Fatalf("got  %v\nwant %s", err, c.want)
				}
				if !errors.Is(err, data.ErrInvalidInput) {
					t.Errorf("not ErrInvalidInput")
				}
			})
		}
	}
}

// TestFeatureCollectionSpace: white space after the collection, and members other than type
// and features, are fine.
func TestFeatureCollectionSpace(t *testing.T) {
	fc := readFeatureCollection(strings.NewReader(" {\"name\":\"x\",\"features\":[{},{}],\"type\":\"FeatureCollection\",\"bbox\":[1,2,3,4]}\r\n\t\n"), "test", 0)
	var ns []int
	for n, raw := range fc.Features() {
		if string(raw) != "{}" {
			t.Errorf("feature %d = %s", n, raw)
		}
		ns = append(ns, n)
	}
	if err := fc.Err(); err != nil {
		t.Fatal(err)
	}
	if fc.Len() != 2 || len(ns) != 2 || ns[0] != 1 || ns[1] != 2 {
		t.Errorf("len %d, numbers %v", fc.Len(), ns)
	}
}
