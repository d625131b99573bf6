package input

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"phusong/data"
	"phusong/data/fibre"
)

// FuzzReadGeoJSON checks that ReadFibreGeoJSON never panics, that a failure is ParseErrors (at most
// data.MaxParseErrors) or ErrInvalidInput and returns no report, and that a success is a valid
// network (Check) that writes and reads back equal.
func FuzzReadGeoJSON(f *testing.F) {
	f.Add([]byte(fc(lineOK, apOK)))
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.3,9.9],[106.31,9.9]],[[106.4,9.8],[106.41,9.8]]]},"properties":{"id":"F","kind":"feeder","operator":"vnpt"}}`)))
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A1","ports":"2.5"}}`)))
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadFibreGeoJSON(bytes.NewReader(in), fibreOpts("viettel"))
		if err != nil {
			if rep != nil {
				t.Fatalf("report returned with error %v", err)
			}
			var pe data.ParseErrors
			if errors.As(err, &pe) {
				if len(pe) == 0 || len(pe) > data.MaxParseErrors {
					t.Fatalf("%d errors", len(pe))
				}
			} else if !errors.Is(err, data.ErrInvalidInput) {
				t.Fatalf("error %v is not ErrInvalidInput", err)
			}
			return
		}
		if err := fibre.Check(&rep.Network, travinh()); err != nil {
			t.Fatalf("network read is invalid: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteFibreGeoJSON(&buf, &rep.Network, ""); err != nil {
			t.Fatalf("network read does not write: %v", err)
		}
		back, err := ReadFibreGeoJSON(&buf, fibreOpts(""))
		if err != nil {
			t.Fatalf("written network does not read: %v\n%s", err, buf.Bytes())
		}
		want := rep.Network
		want.Sort()
		if !reflect.DeepEqual(back.Network, want) {
			t.Fatalf("round trip differs\n got %+v\nwant %+v", back.Network, want)
		}
	})
}
