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
	"phusong/data/render"
	"phusong/server/app"
)

// layerExports are the `phusong export` subcommands of this file: the map's layers (and the
// FCC-style H3 hexagons) as GeoJSON, KML, CSV or GeoPackage on stdout.
var layerExports = []string{"gaps", "coverage", "communes", "h3"}

// errExportHelp: the flags asked for help, which is printed.
var errExportHelp = errors.New("export: help")

// exportLayerUsage is the usage line of the layer exports.
const exportLayerUsage = "usage: phusong export gaps|coverage|communes|h3 [--tech 3G|4G] [--carrier ID|any] [--format geojson|kml|csv|gpkg] " +
	"[--geometry wkt|ewkb] [--tier N] [--commune CODE] [--min-gap-m2 M2] [--resolution 8|9] [--communes FILE] [--sites FILE] [--config FILE] " +
	"[--cell-m M] [--include-planned]"

// exportLayerOptions are the flags of `phusong export gaps|coverage|communes`.
type exportLayerOptions struct {
	report   reportOptions // communes, sites, config, cellM, includePlanned; carrier as for a --sites file
	what     string        // gaps, coverage or communes
	tech     data.Tech
	carrier  string // coverage: a carrier id or coverage.AnyCarrier
	format   string // geojson, kml or csv
	geometry render.GeometryColumn
	tier     int
	commune  string
	minGapM2 float64
	res      int // h3: the H3 resolution
}

// runExportLayer computes coverage for the communes and sites (the embedded demo unless files
// are given) and writes one layer on stdout, the same the server answers on /api/v1/gaps,
// /api/v1/coverage and /api/v1/communes (full detail):
//
//	gaps      uncovered land per commune for --tech (or of --commune CODE), pieces under
//	          --min-gap-m2 dropped
//	coverage  where --carrier (default any: the best of all carriers) reaches --tier of --tech
//	communes  commune polygons with census figures and coverage statistics
//	h3        FCC-style H3 hexagons at --resolution 8 or 9: per carrier, whether --tech covers the
//	          hexagon's centre, and its people (needs a cgo build)
//
// as --format geojson (default), kml (Google Earth, QGIS), csv (one row per feature with a
// WKT, or with --geometry ewkb a PostGIS EWKB hex, geometry column) or gpkg (GeoPackage). On the demo every
// feature carries "synthetic": true and the note, and the KML header says so.
func runExportLayer(ctx context.Context, io stdio, args []string) error {
	o, err := parseExportLayerFlags(args, io)
	if errors.Is(err, errExportHelp) {
		return nil
	} else if err != nil {
		return err
	}
	o.report.layer = "coverage"
	st, err := reportState(ctx, "export", o.report, io.Stderr)
	if err != nil {
		return err
	}
	req := app.LayerRequest{Kind: o.what, Tech: o.tech, Carrier: o.carrier, Tier: o.tier, Zoom: -1,
		Commune: o.commune, MinGapAreaM2: o.minGapM2, Resolution: o.res}
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
	doc := render.NewDocument(layer, st.Coverage.DefinitionVersion(), 0, st.Note)
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

// parseExportLayerFlags reads the flags after "export gaps|coverage|communes".
func parseExportLayerFlags(args []string, io stdio) (exportLayerOptions, error) {
	o := exportLayerOptions{what: args[0], minGapM2: coverage.DefaultMinGapAreaM2}
	fs := flag.NewFlagSet("export "+o.what, flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	fs.Usage = func() { fmt.Fprintln(io.Stderr, exportLayerUsage); fs.PrintDefaults() }
	tech := fs.String("tech", "4G", "3G or 4G")
	fs.StringVar(&o.carrier, "carrier", coverage.AnyCarrier, "coverage: a carrier id, or any (the best of all carriers); also the carrier of a --sites file without a carrier column")
	fs.StringVar(&o.format, "format", "geojson", "geojson, kml, csv or gpkg (GeoPackage: redirect stdout to a .gpkg file)")
	geometry := fs.String("geometry", "wkt", "with --format csv: wkt (OGC WKT) or ewkb (PostGIS EWKB hex, SRID 4326)")
	fs.IntVar(&o.tier, "tier", 0, "coverage: 0 = the coverage threshold, 1.. = the definition's signal tiers")
	fs.StringVar(&o.commune, "commune", "", "gaps: only this commune code")
	minGap := minGapValue(coverage.DefaultMinGapAreaM2)
	fs.Var(&minGap, "min-gap-m2", "gaps: smallest gap polygon kept, m²")
	fs.IntVar(&o.res, "resolution", app.H3MinResolution, "h3: the H3 resolution, 8 (0.74 km² hexagons) or 9 (0.105 km²)")
	fs.StringVar(&o.report.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.report.sites, "sites", "", "sites CSV or GeoJSON file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.report.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	fs.Float64Var(&o.report.cellM, "cell-m", coverage.DefaultCellM, "coverage grid cell in metres")
	fs.BoolVar(&o.report.includePlanned, "include-planned", false, "count planned sites as if on air (default: active sites only)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errExportHelp
		}
		return o, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(io.Stderr, "export: unexpected argument %q\n", fs.Arg(0))
		return o, errUsage
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
	for flagName, what := range map[string]string{"tier": "coverage", "commune": "gaps", "min-gap-m2": "gaps", "resolution": "h3"} {
		if set[flagName] && o.what != what {
			return o, fmt.Errorf("export: --%s only with export %s", flagName, what)
		}
	}
	o.minGapM2 = float64(minGap)
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
