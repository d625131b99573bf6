package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/render"
	"phusong/server/app"
)

// layerExports are the `phusong export` subcommands of this file: the map's layers (and the
// FCC-style H3 hexagons) as GeoJSON, KML, CSV or GeoPackage on stdout.
var layerExports = []string{"gaps", "coverage", "communes", "pockets", "h3"}

// exportLayerUsage is the usage line of the layer exports, after "export <layer>".
const exportLayerUsage = "[--tech 3G|4G] [--carrier ID|any] [--format geojson|kml|csv|gpkg] " +
	"[--geometry wkt|ewkb] [--tier N] [--commune CODE] [--min-gap-m2 M2] [--min-people N] [--resolution 8|9] [--communes FILE] [--sites FILE] [--config FILE] " +
	"[--population FILE|none] [--population-mode census|raster] [--cell-m M] [--include-planned]"

// exportLayerOptions are the flags of `phusong export gaps|coverage|communes|pockets|h3`.
type exportLayerOptions struct {
	report   reportOptions // communes, sites, config, population, cellM, includePlanned, minPeople; carrier as for a --sites file
	what     string        // gaps, coverage, communes, pockets or h3
	tech     data.Tech
	carrier  string // coverage: a carrier id or coverage.AnyCarrier
	format   string // geojson, kml or csv
	geometry render.GeometryColumn
	tier     int
	commune  string
	minGapM2 float64
	res      int    // h3: the H3 resolution
	split    string // h3: "commune" for one feature per hexagon and commune
}

// runExportLayer computes coverage for the communes and sites (the embedded demo unless files
// are given) and writes one layer on stdout, the same the server answers on /api/v1/gaps,
// /api/v1/coverage and /api/v1/communes (full detail):
//
//	gaps      uncovered land per commune for --tech (or of --commune CODE), pieces under
//	          --min-gap-m2 dropped
//	coverage  where --carrier (default any: the best of all carriers) reaches --tier of --tech
//	communes  commune polygons with census figures and coverage statistics
//	pockets   dead-zone pockets of --tech (of --commune CODE) with at least --min-people people,
//	          ranked by people, with the distances to the nearest sites and fibre access point
//	h3        FCC-style H3 hexagons at --resolution 8 or 9: per carrier, whether --tech covers the
//	          hexagon's centre, and its people (needs a cgo build)
//
// as --format geojson (default), kml (Google Earth, QGIS), csv (one row per feature with a
// WKT, or with --geometry ewkb a PostGIS EWKB hex, geometry column) or gpkg (GeoPackage). On the demo every
// feature carries "synthetic": true and the note, and the KML header says so.
func runExportLayer(ctx context.Context, io stdio, args []string) error {
	o, err := parseExportLayerFlags(args, io)
	if err != nil {
		return err
	}
	o.report.layer = "coverage"
	if o.what == app.LayerPockets {
		o.report.layer = "pockets" // with the fibre network, for the access points
	}
	st, err := reportState(ctx, "export", o.report, io.Stderr)
	if err != nil {
		return err
	}
	req := app.LayerRequest{Kind: o.what, Tech: o.tech, Carrier: o.carrier, Tier: o.tier, Zoom: -1,
		Commune: o.commune, MinGapAreaM2: o.minGapM2, MinPeople: o.report.minPeople, Resolution: o.res,
		ByCommune: o.split == "commune"}
	fc, layer, err := st.Layer(req)
	var ae *app.ArgError
	switch {
	case errors.As(err, &ae) && ae.Name == "commune":
		return fmt.Errorf("export: --commune %q: no commune with that code", o.commune)
	case errors.As(err, &ae) && ae.Name == "tier":
		return fmt.Errorf("export: --tier %d: %s", o.tier, ae.Reason)
	case errors.Is(err, app.ErrNoSites) || errors.As(err, &ae) && ae.Name == "carrier":
		return fmt.Errorf("export: --carrier %q: no counted site (carriers: %s, or any)", o.carrier, strings.Join(st.Coverage.Carriers(), ", "))
	case err != nil:
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(io.Stderr, "phusong: export: %s %s: %d features as %s\n", o.what, o.tech, len(fc.Features), o.format)
	doc := render.NewDocument(layer, st.Coverage.DefinitionVersion(), 0, st.PeopleNote())
	doc.Calibration = st.Coverage.Calibration()
	switch o.format {
	case "kml":
		return render.WriteKML(io.Stdout, doc)
	case "csv":
		return render.WriteCSV(io.Stdout, doc, o.geometry)
	case "gpkg":
		return render.WriteGPKG(io.Stdout, doc)
	}
	return json.NewEncoder(io.Stdout).Encode(fc)
}

// parseExportLayerFlags reads the flags after "export gaps|coverage|communes|pockets".
func parseExportLayerFlags(args []string, io stdio) (exportLayerOptions, error) {
	o := exportLayerOptions{what: args[0], minGapM2: coverage.DefaultMinGapAreaM2}
	o.report.minPeople = pocket.DefaultMinPeople
	fs := newFlags(io.Stderr, "export "+o.what, "export "+o.what+" "+exportLayerUsage,
		"Writes the gaps, coverage, communes or pockets layer for planners: GeoJSON, KML (Google Earth) or CSV with\n"+
			"WKT/EWKB geometry (QGIS, PostGIS); see docs/exports.md.")
	tech := fs.String("tech", "4G", "3G or 4G")
	fs.StringVar(&o.carrier, "carrier", coverage.AnyCarrier, "coverage: a carrier id, or any (the best of all carriers); also the carrier of a --sites file without a carrier column")
	fs.StringVar(&o.format, "format", "geojson", "geojson, kml, csv or gpkg (GeoPackage: redirect stdout to a .gpkg file)")
	geometry := fs.String("geometry", "wkt", "with --format csv: wkt (OGC WKT) or ewkb (PostGIS EWKB hex, SRID 4326)")
	fs.IntVar(&o.tier, "tier", 0, "coverage: 0 = the coverage threshold, 1.. = the definition's signal tiers")
	fs.StringVar(&o.commune, "commune", "", "gaps, pockets: only this commune code")
	fs.Var((*nonNegValue)(&o.report.minPeople), "min-people", "pockets: pockets with fewer people are left out")
	populationFlags(fs, &o.report.population, &o.report.populationMode)
	minGap := nonNegValue(coverage.DefaultMinGapAreaM2)
	fs.Var(&minGap, "min-gap-m2", "gaps: smallest gap polygon kept, m²")
	fs.IntVar(&o.res, "resolution", app.H3MinResolution, "h3: the H3 resolution, 8 (0.74 km² hexagons) or 9 (0.105 km²)")
	fs.StringVar(&o.split, "split", "", "h3: commune for one feature per hexagon and commune it holds land of (people summed by commune give each commune's)")
	fs.StringVar(&o.report.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.report.sites, "sites", "", "sites CSV or GeoJSON file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.report.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	fs.Float64Var(&o.report.cellM, "cell-m", coverage.DefaultCellM, "coverage grid cell in metres")
	fs.BoolVar(&o.report.includePlanned, "include-planned", false, "count planned sites as if on air (default: active sites only)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return o, err
	}
	t, ok := data.ParseTech(*tech)
	if !ok || !slices.Contains(data.AnalysedTechs, t) {
		return o, fmt.Errorf("export: --tech %q: must be 3G or 4G", *tech)
	}
	o.tech = t
	o.format = strings.ToLower(o.format)
	if !slices.Contains([]string{"geojson", "kml", "csv", "gpkg"}, o.format) {
		return o, fmt.Errorf("export: --format %q: must be geojson, kml, csv or gpkg", o.format)
	}
	g, ok := render.ParseGeometryColumn(strings.ToLower(*geometry))
	if !ok {
		return o, fmt.Errorf("export: --geometry %q: must be wkt or ewkb", *geometry)
	}
	o.geometry = g
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["geometry"] && o.format != "csv" {
		return o, fmt.Errorf("export: --geometry only with --format csv")
	}
	for flagName, whats := range map[string][]string{"tier": {"coverage"}, "commune": {"gaps", "pockets"},
		"min-gap-m2": {"gaps"}, "min-people": {"pockets"}, "resolution": {"h3"}, "split": {"h3"}} {
		if set[flagName] && !slices.Contains(whats, o.what) {
			return o, fmt.Errorf("export: --%s only with export %s", flagName, strings.Join(whats, " or "))
		}
	}
	o.minGapM2 = float64(minGap)
	if o.split != "" && o.split != "commune" {
		return o, fmt.Errorf("export: --split %q: must be commune", o.split)
	}
	if o.what == "h3" && (o.res < app.H3MinResolution || o.res > app.H3MaxResolution) {
		return o, fmt.Errorf("export: --resolution %d: must be 8 or 9", o.res)
	}
	o.report.carrier = o.carrier
	if o.carrier == coverage.AnyCarrier {
		o.report.carrier = ""
	}
	if o.what != "coverage" && o.carrier != coverage.AnyCarrier && o.report.sites == "" {
		return o, fmt.Errorf("export: --carrier with export %s only names the carrier of a --sites file", o.what)
	}
	return o, nil
}
