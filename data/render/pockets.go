package render

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb/geojson"

	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/geo"
)

// pocketColour is the pockets' colour on the map (static/map/state.js POCKET_COLOUR).
var pocketColour = color.NRGBA{0x7a, 0x01, 0x77, 0xff}

// pocketColumns are the pockets layer's leading properties.
var pocketColumns = []string{"rank", "tech", "people", "households", "area_km2", "cells", "commune", "commune_name",
	"communes", "centre_lon", "centre_lat", "fibre_access_point", "fibre_access_point_m", "threshold_dbm", "min_people", "zoom"}

// Pockets returns the pockets of l (from pocket.Find on a result of e) as GeoJSON: one
// Feature per pocket in rank order, its cells' outline (Pocket.Polygons) in lon/lat following
// RFC 7946, simplified for a web map at zoom (zoom < 0: full detail; see MaxZoom).
//
// Properties: rank, tech, people and households (1 decimal), area_km2 (of its cells, 6
// decimals), cells, commune and commune_name (where most of its people live), communes (every
// commune's code, by people), centre_lon and centre_lat (the people-weighted centre, 6
// decimals), per carrier nearest_<carrier>_site, nearest_<carrier>_m (whole metres) and
// nearest_<carrier>_has_tech, fibre_access_point ("operator/id") and fibre_access_point_m when
// measured, threshold_dbm, min_people, population_spread, definition_version, calibration (e's
// definition's label: "calibrated with N samples (dates)" or "uncalibrated") and zoom.
//
// The feature id is the pocket's first cell (its grid index, row-major: Pocket.Cells[0]): unique
// among a technology's pockets, and unlike the rank it stays the same while the pocket keeps
// that cell, whatever happens to the other pockets.
func Pockets(l *pocket.Layer, e *coverage.Engine, definitionVersion string, zoom int) *geojson.FeatureCollection {
	spread := coverage.PopulationSpread
	if pop := e.Population(); pop != nil {
		spread = pop.Spread(-1)
	}
	fc := geojson.NewFeatureCollection()
	for i := range l.Pockets {
		p := &l.Pockets[i]
		mp, z := forZoom(e.Projection(), e.Grid(), p.Polygons(e.Grid()), zoom)
		f := geojson.NewFeature(geo.LonLatMultiPolygon(e.Projection(), mp))
		f.ID = int(p.Cells[0])
		codes := make([]string, len(p.Communes))
		for k, s := range p.Communes {
			codes[k] = s.Code
		}
		props := geojson.Properties{
			"rank": p.Rank, "tech": string(p.Tech), "people": round1(p.People), "households": round1(p.Households),
			"area_km2": round6(p.AreaM2 / 1e6), "cells": p.CellCount, "commune": p.Communes[0].Code,
			"commune_name": p.Communes[0].Name, "communes": codes, "centre_lon": round6(p.Centre[0]),
			"centre_lat": round6(p.Centre[1]), "threshold_dbm": l.ThresholdDBm, "min_people": l.MinPeople,
			"population_spread": spread, "definition_version": definitionVersion, "zoom": z,
			"calibration": e.Definition().CalibrationLabel(),
		}
		for _, ns := range p.NearestSites {
			props["nearest_"+ns.Carrier+"_site"] = ns.SiteID
			props["nearest_"+ns.Carrier+"_m"] = math.Round(ns.DistanceM)
			props["nearest_"+ns.Carrier+"_has_tech"] = ns.HasTech
		}
		if ap := p.NearestAccessPoint; ap != nil {
			props["fibre_access_point"] = ap.Operator + "/" + ap.ID
			props["fibre_access_point_m"] = math.Round(ap.DistanceM)
		}
		f.Properties = props
		fc.Append(f)
	}
	return fc
}

// PocketsLayer is the layer of fc, the pockets of tech as Pockets returns them (MarkSynthetic
// applied or not): one feature per pocket named "#<rank>: <people> people" (so Google Earth and
// QGIS label them with the people), filled purple.
func PocketsLayer(fc *geojson.FeatureCollection, tech string) Layer {
	return Layer{
		ID:   "pockets_" + strings.ToLower(tech),
		Name: "Dead-zone pockets " + tech,
		Description: "Connected places (cells meeting at a side or a corner) where no carrier's predicted median " + tech +
			" level reaches the coverage threshold (threshold_dbm), with the people living there (population_spread " +
			"says from what), ranked by people; pockets under min_people are left out. Distances are from the " +
			"people-weighted centre to the nearest site of each carrier and the nearest fibre access point.",
		Style: Style{Fill: alpha(pocketColour, 0.35), Line: alpha(pocketColour, 0.9), LineWidthPx: 1.5},
		Features: FromGeoJSON(fc, pocketColumns, func(f *geojson.Feature) string {
			rank, _ := f.Properties["rank"].(int)
			people, _ := f.Properties["people"].(float64)
			return fmt.Sprintf("#%d: %s people", rank, strconv.FormatFloat(math.Round(people), 'f', -1, 64))
		}),
	}
}

// PocketReport is `phusong report --layer pockets` in JSON: the pockets of each technology
// asked for with what they rest on.
type PocketReport struct {
	DefinitionVersion string          `json:"definition_version"`
	Calibration       string          `json:"calibration"` // calibrated with N samples (dates), or uncalibrated
	DataNote          string          `json:"data_note,omitempty"`
	CellM             float64         `json:"cell_m"`
	PopulationSpread  string          `json:"population_spread"`
	Basis             string          `json:"basis"`
	Layers            []PocketsOfTech `json:"layers"`
}

// PocketsOfTech is one technology's pockets and totals.
type PocketsOfTech struct {
	Tech         string          `json:"tech"`
	ThresholdDBm float64         `json:"threshold_dbm"`
	MinPeople    float64         `json:"min_people"`
	Total        int             `json:"pockets_total"`
	People       float64         `json:"people_total"`
	Kept         int             `json:"pockets_kept"`
	KeptPeople   float64         `json:"people_kept"`
	Pockets      []pocket.Pocket `json:"pockets"`
}

// PocketBasis says what a pocket is, in every pocket report.
const PocketBasis = "pocket: land cells meeting at a side or a corner where no carrier reaches the technology's outdoor coverage level; people from the population grid (or the census spread uniformly over each commune's land); distances geodesic from the people-weighted centre"

// NewPocketReport collects the layers (one per technology) of a result of e.
func NewPocketReport(e *coverage.Engine, definitionVersion, note string, layers []*pocket.Layer) *PocketReport {
	rep := &PocketReport{DefinitionVersion: definitionVersion, Calibration: e.Definition().CalibrationLabel(), DataNote: note, CellM: e.CellM(),
		PopulationSpread: coverage.PopulationSpread, Basis: PocketBasis, Layers: []PocketsOfTech{}}
	if pop := e.Population(); pop != nil {
		rep.PopulationSpread = pop.Spread(-1)
	}
	for _, l := range layers {
		ps := l.Pockets
		if ps == nil {
			ps = []pocket.Pocket{}
		}
		rep.Layers = append(rep.Layers, PocketsOfTech{Tech: string(l.Tech), ThresholdDBm: l.ThresholdDBm, MinPeople: l.MinPeople,
			Total: l.Total, People: l.People, Kept: l.Kept, KeptPeople: l.KeptPeople, Pockets: ps})
	}
	return rep
}

// WritePocketJSON writes rep as an indented JSON document.
func WritePocketJSON(w io.Writer, rep *PocketReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WritePocketTable prints, per technology, the pockets in rank order: people, households, area,
// communes, centre, the nearest site of each carrier (km; "*" when it lacks the technology) and
// the nearest fibre access point (km).
func WritePocketTable(w io.Writer, rep *PocketReport) error {
	for n, l := range rep.Layers {
		if n > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s dead-zone pockets by people (coverage definition %s, %s, %g m cells)\n", l.Tech, rep.DefinitionVersion,
			rep.Calibration, rep.CellM)
		fmt.Fprintf(w, "%s\npopulation: %s\n", rep.Basis, rep.PopulationSpread)
		fmt.Fprintf(w, "%d pockets with at least %g people (%.0f people) of %d pockets in all (%.0f people without %s)\n",
			l.Kept, l.MinPeople, l.KeptPeople, l.Total, l.People, l.Tech)
		fmt.Fprintf(w, "nearest site per carrier, km (* = the site lacks %s); fibre: nearest access point, km\n\n", l.Tech)
		var carriers []string
		if len(l.Pockets) > 0 {
			for _, ns := range l.Pockets[0].NearestSites {
				carriers = append(carriers, ns.Carrier)
			}
		}
		head := []string{"#", "people", "households", "area km²", "commune", "also in", "centre"}
		head = append(head, carriers...)
		head = append(head, "fibre")
		right := make([]bool, len(head))
		for i := range right {
			right[i] = i < 4 || i >= 7
		}
		rows := [][]string{head}
		for _, p := range l.Pockets {
			also := make([]string, 0, len(p.Communes)-1)
			for _, s := range p.Communes[1:] {
				also = append(also, s.Name)
			}
			row := []string{strconv.Itoa(p.Rank), fmt.Sprintf("%.0f", p.People), fmt.Sprintf("%.0f", p.Households),
				fmt.Sprintf("%.2f", p.AreaM2/1e6), p.Communes[0].Name, strings.Join(also, ", "),
				fmt.Sprintf("%.5f %.5f", p.Centre[0], p.Centre[1])}
			for _, ns := range p.NearestSites {
				mark := ""
				if !ns.HasTech {
					mark = "*"
				}
				row = append(row, fmt.Sprintf("%.1f%s", ns.DistanceM/1000, mark))
			}
			ap := ""
			if p.NearestAccessPoint != nil {
				ap = fmt.Sprintf("%.1f", p.NearestAccessPoint.DistanceM/1000)
			}
			rows = append(rows, append(row, ap))
		}
		if err := WriteAligned(w, rows, right); err != nil {
			return err
		}
	}
	return nil
}
