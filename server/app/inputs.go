package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/population"
)

// PopulationNone is the Sources.Population value that spreads each commune's census uniformly
// over its land even on the demo (whose communes otherwise come with the synthetic grid).
const PopulationNone = "none"

// Sources names the input files of a run; an empty name takes the embedded demo's data (the
// schematic Trà Vinh communes, synthetic stations, synthetic fibre network, the embedded
// coverage definition).
type Sources struct {
	Communes      string // communes GeoJSON
	Sites         string // station list, CSV or GeoJSON
	SitesCarrier  string // the carrier of a Sites file without a carrier column ("" = per row)
	Definition    string // coverage definition JSON
	Fibre         string // fibre network GeoJSON
	FibreOperator string // the operator of a Fibre file without operator properties
	NoFibre       bool   // load no fibre network (not even the demo's)
	// Population is a population file (GeoTIFF raster, HRSL or points CSV, GeoJSON points:
	// input.LoadPopulationFile, read over the communes' area); "" takes the demo's synthetic
	// grid with the demo communes and none (census spread uniformly) with a communes file;
	// PopulationNone takes none. PopulationMode is "census" (default) or "raster".
	Population     string
	PopulationMode string
	// ProvinceName names the province of the communes the communes file names none for
	// (data.Commune.Province); "" leaves them unnamed, except the demo's (demo.ProvinceName).
	ProvinceName string
	// Seeded, when not nil, says whether a database's lists of kind ("sites") were seeded from a
	// file of this SeedHash (SeededFrom): such a Sites file is not read again (Input.Sites stays
	// nil, Input.SitesSeeded is set), since the database's lists are served and that exact file
	// was read and validated when it seeded them.
	Seeded func(kind, sha256 string) bool
}

// SeedHash returns the SHA-256 (hex) naming a seed file's content as read with carrier (the
// Sources.SitesCarrier of a station list; "" for other kinds): what the database records of the
// file it was seeded from (persist.SeedIfEmptyFrom), so a start given the same file need not read it.
func SeedHash(file, carrier string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	fmt.Fprintf(h, "phusong seed file 1\x00%s\x00", carrier)
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Warnings are a reader's warnings about one input file (defaults applied, overlaps …).
type Warnings struct {
	What     string // "communes", "sites", "fibre"
	File     string
	Warnings []data.Warning
}

// Load reads the inputs src names, the embedded demo for those not named, into an Input for
// Build (Coverage and FibreOptions left zero). Input.Note says when the result would rest on
// synthetic stations or schematic communes (the demo's notes, or a communes file's top-level
// "phusong_note", as demo-data --national writes); Input.FibreNote when the fibre
// network is the demo's; Input.Population's Note when the population grid is synthetic. The
// readers' warnings are returned per file.
func Load(src Sources) (Input, []Warnings, error) {
	var in Input
	var ws []Warnings
	var err error
	if src.Communes == "" {
		in.Communes, err = demo.Communes()
		in.Note = demo.CommunesNote
	} else {
		var rep *input.CommuneLoadReport
		if rep, err = input.LoadCommunesFile(src.Communes); err == nil {
			in.Communes, in.Note = rep.Communes, rep.Note
			ws = append(ws, Warnings{"communes", src.Communes, rep.Warnings})
		}
	}
	if err != nil {
		return in, nil, err
	}
	name := src.ProvinceName
	if name == "" && src.Communes == "" {
		name = demo.ProvinceName
	}
	for i := range in.Communes {
		if in.Communes[i].Province == "" {
			in.Communes[i].Province = name
		}
	}
	in.SitesFile = src.Sites
	if src.Sites != "" && src.Seeded != nil {
		if in.SitesSHA256, err = SeedHash(src.Sites, src.SitesCarrier); err != nil {
			return in, nil, err
		}
		in.SitesSeeded = src.Seeded("sites", in.SitesSHA256)
	}
	switch {
	case src.Sites == "":
		in.Sites, err = demo.Sites()
		in.Note = demo.Note
	case !in.SitesSeeded:
		var rep *input.SiteLoadReport
		if rep, err = input.LoadSitesFile(src.Sites, input.SiteOptions{Carrier: src.SitesCarrier, Area: data.AreaOf(in.Communes)}); err == nil {
			in.Sites = rep.Sites
			ws = append(ws, Warnings{"sites", src.Sites, rep.Warnings})
		}
	}
	if err != nil {
		return in, nil, err
	}
	mode, ok := population.ParseMode(src.PopulationMode)
	if !ok {
		return in, nil, fmt.Errorf("population mode %q: must be census or raster", src.PopulationMode)
	}
	in.PopulationMode = mode
	switch {
	case src.Population == PopulationNone:
	case src.Population == "" && src.Communes == "":
		in.Population, err = demo.Population()
	case src.Population != "":
		in.Population, err = input.LoadPopulationFile(src.Population, data.AreaOf(in.Communes))
	}
	if err != nil {
		return in, nil, err
	}
	if src.Definition != "" {
		if in.Definition, err = coverage.LoadDefinition(src.Definition); err != nil {
			return in, nil, err
		}
	}
	switch {
	case src.NoFibre:
	case src.Fibre == "":
		in.Fibre, err = demo.Fibre()
		in.FibreNote = demo.FibreNote
	default:
		var rep *input.FibreLoadReport
		if rep, err = input.LoadFibreFile(src.Fibre, input.FibreOptions{Operator: src.FibreOperator, Area: data.AreaOf(in.Communes)}); err == nil {
			in.Fibre = &rep.Network
			ws = append(ws, Warnings{"fibre", src.Fibre, rep.Warnings})
		}
	}
	if err != nil {
		return in, nil, err
	}
	return in, ws, nil
}
