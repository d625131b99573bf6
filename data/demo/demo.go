// Package demo is the embedded schematic demo province: Trà Vinh's 41 wards and communes
// (real names and 2019 census figures, schematic Voronoi shapes) and a SYNTHETIC list of base
// stations for the six Vietnamese carriers. No real station positions are public; every
// station here is invented by a seeded generator and every output that uses them says so
// (Note).
//
// The files communes.geojson and sites.csv are generated from ../shared/data by
// `phusong demo-data` (Generate) and committed, with the synthetic fibre network (fibre.geojson,
// GenerateFibre) and population grid (population.tif, GeneratePopulation); the build embeds
// them.
package demo

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/input"
)

// Note is the one sentence every output built on the demo data prints.
const Note = "Synthetic demo stations: every base station in this demo is invented by a seeded generator (not real positions or settings), on schematic commune shapes that carry real 2019 census names and figures."

// Population2019 is the total 2019 census population of the embedded communes: the sum of
// population_2019 over the 41 rows of shared/data/travinh/wards_2025_facts.csv (993,555).
const Population2019 = 993555

//go:embed communes.geojson
var communesGeoJSON []byte

//go:embed sites.csv
var sitesCSV []byte

// CommunesGeoJSON returns a copy of the embedded communes.geojson bytes.
func CommunesGeoJSON() []byte { return bytes.Clone(communesGeoJSON) }

// SitesCSV returns a copy of the embedded sites.csv bytes.
func SitesCSV() []byte { return bytes.Clone(sitesCSV) }

// Communes parses the embedded schematic communes (41, WGS84, in GSO code order of the facts
// table). Each call returns fresh values.
func Communes() ([]data.Commune, error) {
	rep, err := input.ReadCommunesGeoJSON(bytes.NewReader(communesGeoJSON))
	if err != nil {
		return nil, fmt.Errorf("demo: embedded communes.geojson: %w", err)
	}
	return rep.Communes, nil
}

// Area is where the demo's stations and fibre lie: data.AreaOf the embedded communes.
func Area() (orb.Bound, error) {
	communes, err := Communes()
	if err != nil {
		return orb.Bound{}, err
	}
	return data.AreaOf(communes), nil
}

// Sites parses the embedded synthetic stations (see Note) in the communes' Area. Each call
// returns fresh values.
func Sites() ([]data.Site, error) {
	area, err := Area()
	if err != nil {
		return nil, err
	}
	rep, err := input.ReadSitesCSV(bytes.NewReader(sitesCSV), input.SiteOptions{Area: area})
	if err != nil {
		return nil, fmt.Errorf("demo: embedded sites.csv: %w", err)
	}
	return rep.Sites, nil
}
