package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/server/app"
)

// runExport writes derived geometry on stdout: "footprints" (here; GeoJSON), the area where
// each sector alone reaches its technology's coverage threshold, or one of the layers "gaps",
// "coverage" and "communes" (export_layers.go; GeoJSON, KML or CSV).
//
//	phusong export footprints [--tech 3G|4G] [--carrier ID] [--communes FILE] [--sites FILE]
//	                          [--config FILE] [--cell-m M] [--include-planned] > footprints.geojson
//
// Without --communes/--sites it runs on the embedded demo and every feature carries
// "synthetic": true and the demo note.
func runExport(ctx context.Context, io stdio, args []string) error {
	if len(args) > 0 && slices.Contains(layerExports, args[0]) {
		return runExportLayer(ctx, io, args) // gaps, coverage, communes: export_layers.go
	}
	if len(args) == 0 || args[0] != "footprints" {
		fmt.Fprintln(io.Stderr, `Usage:
  phusong export footprints [flags]              per-sector footprints as GeoJSON
  phusong export gaps|coverage|communes|pockets [flags]  planner layers as GeoJSON, KML, CSV or GeoPackage
  phusong export h3 [flags]                      FCC-style H3 hexagons (needs a cgo build)

Run "phusong export <what> --help" for the flags of each.`)
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			return fmt.Errorf("export: unknown export %q (footprints, gaps, coverage, communes, pockets or h3)", args[0])
		}
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	fs := newFlags(io.Stderr, "export footprints", "export footprints [--tech 3G|4G] [--carrier ID] [--communes FILE] [--sites FILE] [--config FILE] [--cell-m M] [--include-planned] > footprints.geojson",
		"Writes per-sector footprints (where one sector alone is above the threshold) as GeoJSON.")
	var o reportOptions
	tech := fs.String("tech", "", "3G or 4G (default: both)")
	fs.StringVar(&o.carrier, "carrier", "", "only this carrier's sectors; also the carrier of a --sites file without a carrier column")
	fs.StringVar(&o.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.sites, "sites", "", "sites CSV or GeoJSON file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	cellM := fs.Float64("cell-m", coverage.DefaultCellM, "coverage grid cell in metres (footprints are contoured on it)")
	planned := fs.Bool("include-planned", false, "count planned sites as if on air (default: active sites only)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	techs := data.AnalysedTechs
	if *tech != "" {
		t, ok := data.ParseTech(*tech)
		if !ok || !slices.Contains(data.AnalysedTechs, t) {
			return fmt.Errorf("export: --tech %q: must be 3G or 4G", *tech)
		}
		techs = []data.Tech{t}
	}
	in, ws, err := app.Load(app.Sources{Communes: o.communes, Sites: o.sites, SitesCarrier: o.carrier, Definition: o.config, NoFibre: true})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, w := range ws {
		printWarnings(io.Stderr, w.What, w.Warnings)
	}
	if in.Note != "" {
		fmt.Fprintln(io.Stderr, "phusong: note:", in.Note)
	}
	in.Coverage = coverage.Options{CellM: *cellM, IncludePlanned: *planned}
	fc, nsites, err := app.Footprints(ctx, in, o.carrier, techs)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(io.Stderr, "phusong: export: %d sector footprints (%d sites)\n", len(fc.Features), nsites)
	return json.NewEncoder(io.Stdout).Encode(fc)
}
