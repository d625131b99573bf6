package demo

import (
	"bytes"
	_ "embed"
	"fmt"

	"phusong/data/input"
	"phusong/data/population"
)

//go:embed population.tif
var populationTIFF []byte

// PopulationTIFF returns a copy of the embedded population.tif bytes (SYNTHETIC, see
// PopulationNote): a 3 arc-second EPSG:4326 GeoTIFF of people per cell (uint16, Deflate, no
// data 65535 outside the communes) that adds up to each demo commune's 2019 census figure.
func PopulationTIFF() []byte { return bytes.Clone(populationTIFF) }

// Population reads the embedded synthetic population grid (see BuildPopulation) as a source
// for the demo communes: its window over their Area, named PopulationFile, with PopulationNote.
// Each call returns fresh values.
func Population() (*population.Source, error) {
	area, err := Area()
	if err != nil {
		return nil, err
	}
	r, note, err := input.ReadPopulationGeoTIFF(bytes.NewReader(populationTIFF), int64(len(populationTIFF)), area)
	if err != nil {
		return nil, fmt.Errorf("demo: embedded %s: %w", PopulationFile, err)
	}
	return &population.Source{Name: PopulationFile, Format: "GeoTIFF", Raster: r, Note: note}, nil
}
