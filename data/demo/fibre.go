package demo

import (
	"bytes"
	_ "embed"
	"fmt"

	"phusong/data/fibre"
	"phusong/data/input"
)

//go:embed fibre.geojson
var fibreGeoJSON []byte

// FibreGeoJSON returns a copy of the embedded fibre.geojson bytes (SYNTHETIC, see FibreNote).
func FibreGeoJSON() []byte { return bytes.Clone(fibreGeoJSON) }

// Fibre parses the embedded synthetic fibre network (see FibreNote and BuildFibre): Viettel,
// VinaPhone (VNPT), MobiFone and the cable-TV operator over the schematic communes. Each call
// returns fresh values.
func Fibre() (*fibre.Network, error) {
	area, err := Area()
	if err != nil {
		return nil, err
	}
	rep, err := input.ReadFibreGeoJSON(bytes.NewReader(fibreGeoJSON), input.FibreOptions{Area: area})
	if err != nil {
		return nil, fmt.Errorf("demo: embedded fibre.geojson: %w", err)
	}
	return &rep.Network, nil
}
