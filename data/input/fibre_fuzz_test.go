package input

import (
	"bytes"
	"reflect"
	"testing"

	"phusong/data"
	"phusong/data/fibre"
)

// FuzzReadFibreGeoJSON checks that a failure of ReadFibreGeoJSON is ParseErrors (at most
// data.MaxParseErrors) or ErrInvalidInput without a report, and that a success is a valid
// network in the area (fibre.Check; ids by data.IDProblem, every position inside the area,
// explicitly), of the operator given, that writes and reads back equal.
func FuzzReadFibreGeoJSON(f *testing.F) {
	f.Add([]byte(fc(lineOK, apOK)))
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.3,9.9],[106.31,9.9]],[[106.4,9.8],[106.41,9.8]]]},"properties":{"id":"F","kind":"feeder","operator":"vnpt"}}`)))
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A1","ports":"2.5"}}`)))
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[9.9,106.3]},"properties":{"id":" A1"}}`)))
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(fc(apOK) + fc(lineOK)))
	f.Add([]byte(`{"type":`))
	f.Fuzz(func(t *testing.T, in []byte) {
		area := travinh()
		rep, err := ReadFibreGeoJSON(bytes.NewReader(in), FibreOptions{Operator: "viettel", Area: area})
		if err != nil {
			checkLoadError(t, err, rep != nil)
			return
		}
		if err := fibre.Check(&rep.Network, area); err != nil {
			t.Fatalf("network read is invalid: %v", err)
		}
		for _, it := range fibre.Items(&rep.Network) {
			if it.Operator() != "viettel" {
				t.Fatalf("item %s of %s", it.Key(), it.Operator())
			}
		}
		for _, r := range rep.Network.Routes {
			for _, p := range r.Line {
				if !area.Contains(p) || data.IDProblem(r.RouteID) != "" {
					t.Fatalf("route %q point %v", r.RouteID, p)
				}
			}
		}
		for _, a := range rep.Network.AccessPoints {
			if !area.Contains(a.Point) || data.IDProblem(a.ID) != "" || a.Ports < 0 || a.Ports > fibre.MaxPorts {
				t.Fatalf("access point %+v", a)
			}
		}
		var buf bytes.Buffer
		if err := WriteFibreGeoJSON(&buf, &rep.Network, ""); err != nil {
			t.Fatalf("network read does not write: %v", err)
		}
		back, err := ReadFibreGeoJSON(&buf, FibreOptions{Area: area})
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
