package input

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"phusong/data"
	"phusong/data/fibre"
)

// WriteFibreGeoJSON writes n in the canonical form ReadFibreGeoJSON reads back to an equal network:
// a FeatureCollection with one feature per line, routes first ordered by (operator, route_id),
// then access points by (operator, id) (see Network.Sort); routes are LineStrings with
// properties operator, route_id, kind; access points are Points with operator, id and ports
// (0 = unknown). Coordinates are written exactly (shortest round-trip decimals), not rounded.
// A non-empty syntheticNote marks invented data: it becomes the top-level "phusong_note" member
// and every feature gets "synthetic": true. n is checked first (Check, positions anywhere on
// Earth: the province area is the reader's rule) and nothing is written if it is invalid; n
// is not modified.
func WriteFibreGeoJSON(w io.Writer, n *fibre.Network, syntheticNote string) error {
	if err := fibre.Check(n, data.WholeEarth()); err != nil {
		return fmt.Errorf("fibre: not writing an invalid network: %w", err)
	}
	s := fibre.Network{Routes: slices.Clone(n.Routes), AccessPoints: slices.Clone(n.AccessPoints)}
	s.Sort()
	bw := bufio.NewWriter(w)
	head := `{"type":"FeatureCollection",`
	if syntheticNote != "" {
		note, _ := json.Marshal(syntheticNote)
		head += `"phusong_note":` + string(note) + ","
	}
	bw.WriteString(head + `"features":[`)
	first := true
	emit := func(f outFeature) error {
		if syntheticNote != "" {
			f.Properties["synthetic"] = true
		}
		b, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("fibre: %w", err)
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteByte('\n')
		_, err = bw.Write(b)
		return err
	}
	for _, r := range s.Routes {
		f := outFeature{Type: "Feature", Geometry: outGeometry{"LineString", r.Line},
			Properties: map[string]any{"operator": r.Operator, "route_id": r.RouteID, "kind": r.Kind}}
		if err := emit(f); err != nil {
			return err
		}
	}
	for _, a := range s.AccessPoints {
		f := outFeature{Type: "Feature", Geometry: outGeometry{"Point", a.Point},
			Properties: map[string]any{"operator": a.Operator, "id": a.ID, "ports": a.Ports}}
		if err := emit(f); err != nil {
			return err
		}
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// outFeature is a feature as WriteFibreGeoJSON writes it (fields in this order; properties sorted
// by encoding/json).
type outFeature struct {
	Type       string         `json:"type"`
	Geometry   outGeometry    `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type outGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}
