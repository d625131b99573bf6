package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/fibre"
	"phusong/data/render"
	"phusong/server/app"
)

// reportOptions are the flags of `phusong report`.
type reportOptions struct {
	communes, sites, carrier, config string
	population, populationMode       string
	tech                             string
	format                           string
	cellM                            float64
	includePlanned                   bool
	regionCells                      int
	tableOnly                        bool // only the per-commune table is wanted: compute it region by region

	// --out DIR: the GeoJSON layers (report_out.go).
	out          string
	minGapAreaM2 float64

	// --layer pockets: the dead-zone pockets (report_pockets.go).
	minPeople float64

	// --layer fibre: the fibre reach report (report_fibre.go).
	layer         string // "coverage" (default), "fibre" or "pockets"
	fibre         string // fibre network GeoJSON; "" = the embedded synthetic demo
	fibreOperator string // operator of a --fibre file without operator properties
	takeUp        string // take-up CSV (code, households)
	dropM         float64
	feederReach   bool
}

// techs returns the technologies asked for (--tech), in data.AnalysedTechs order.
func (o reportOptions) techs() []data.Tech {
	if o.tech == "" {
		return data.AnalysedTechs
	}
	return []data.Tech{data.Tech(o.tech)}
}

func parseReportFlags(args []string, stderr io.Writer) (reportOptions, error) {
	o := reportOptions{layer: "coverage", dropM: fibre.DefaultDropM, minGapAreaM2: coverage.DefaultMinGapAreaM2, minPeople: pocket.DefaultMinPeople}
	fs := newFlags(stderr, "report", "report [--tech 3G|4G] [--format table|csv|json] [--out DIR] [--layer coverage|fibre|pockets] [--population F|none] [--communes F] [--sites F] [flags]",
		"Prints per-commune 3G/4G coverage and gaps, in priority order by uncovered population, computed\n"+
			"from the embedded demo (synthetic stations) or the given files; --out DIR also writes the GeoJSON\n"+
			"layers, --layer fibre the fibre reach per commune, --layer pockets the dead-zone pockets by people.")
	fs.StringVar(&o.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.sites, "sites", "", "sites CSV or GeoJSON file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.carrier, "carrier", "", "carrier ID for a --sites file without a carrier column")
	fs.StringVar(&o.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	populationFlags(fs, &o.population, &o.populationMode)
	fs.StringVar(&o.tech, "tech", "", "3G or 4G (default: both)")
	fs.StringVar(&o.format, "format", "table", "table, csv or json")
	fs.Float64Var(&o.cellM, "cell-m", coverage.DefaultCellM, "coverage grid cell in metres")
	fs.BoolVar(&o.includePlanned, "include-planned", false, "count planned sites as if on air (default: active sites only)")
	fs.IntVar(&o.regionCells, "region-cells", coverage.DefaultRegionCells, "the per-commune table is computed region by region, at most this many grid cells at a time (bounded memory; the figures are the same)")
	fs.StringVar(&o.out, "out", "", "write the GeoJSON layers (communes, coverage per carrier and any, gaps) into this folder")
	fs.Var((*nonNegValue)(&o.minGapAreaM2), "min-gap-m2", "with --out: smallest gap polygon kept, m²")
	fs.Var((*layerValue)(&o.layer), "layer", "coverage, fibre (fibre reach per commune next to 4G coverage) or pockets (dead-zone pockets by people)")
	fs.Var((*nonNegValue)(&o.minPeople), "min-people", "with --layer pockets: pockets with fewer people are left out")
	fs.StringVar(&o.fibre, "fibre", "", "with --layer fibre: fibre network GeoJSON (default: the embedded synthetic demo network)")
	fs.StringVar(&o.fibreOperator, "fibre-operator", "", "operator id for a --fibre file without operator properties")
	fs.StringVar(&o.takeUp, "take-up", "", "with --layer fibre: CSV of households using fibre per commune (columns code, households)")
	fs.Var((*dropValue)(&o.dropM), "drop-m", "with --layer fibre: drop distance in metres")
	fs.BoolVar(&o.feederReach, "feeder-reach", false, "with --layer fibre: feeders give reach like distribution routes")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	switch o.format {
	case "table", "csv", "json":
	default:
		return o, fmt.Errorf("report: --format %q: must be table, csv or json", o.format)
	}
	if o.tech != "" {
		t, ok := data.ParseTech(o.tech)
		if !ok || !slices.Contains(data.AnalysedTechs, t) {
			return o, fmt.Errorf("report: --tech %q: must be 3G or 4G", o.tech)
		}
		o.tech = string(t)
	}
	return o, nil
}

// runReport computes coverage for the communes and sites (the embedded demo unless files are
// given) and prints the per-commune statistics, priority first — or, with --layer fibre, the
// fibre reach per commune; --out DIR also writes the GeoJSON layers. The demo-data note goes
// to stderr (and into the JSON document); every format names the coverage definition version.
func runReport(ctx context.Context, io stdio, args []string) error {
	o, err := parseReportFlags(args, io.Stderr)
	if err != nil {
		return err
	}
	o.tableOnly = o.layer == "coverage" && o.out == ""
	st, err := reportState(ctx, "report", o, io.Stderr)
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := writeReportLayers(ctx, io, st, o); err != nil {
			return err
		}
	}
	switch o.layer {
	case "fibre":
		return writeFibreReport(io, st, o)
	case "pockets":
		return writePocketReport(io, st, o)
	}
	rep := st.Report(o.techs())
	switch o.format {
	case "csv":
		return render.WriteReportCSV(io.Stdout, rep)
	case "json":
		return render.WriteReportJSON(io.Stdout, rep)
	}
	return render.WriteReportTable(io.Stdout, rep, data.DefaultCarriers())
}

// reportState (of command cmd, which prefixes its errors) loads the inputs o names (the embedded demo for those not given; the fibre
// network only with --layer fibre), prints the readers' warnings and the data notes to stderr,
// and computes the coverage (and fibre reach).
func reportState(ctx context.Context, cmd string, o reportOptions, stderr io.Writer) (*app.State, error) {
	in, ws, err := app.Load(app.Sources{Communes: o.communes, Sites: o.sites, SitesCarrier: o.carrier, Definition: o.config,
		Fibre: o.fibre, FibreOperator: o.fibreOperator, NoFibre: o.layer == "coverage",
		Population: o.population, PopulationMode: o.populationMode})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	for _, w := range ws {
		printWarnings(stderr, w.What, w.Warnings)
	}
	if in.Note != "" {
		fmt.Fprintln(stderr, "phusong: note:", in.Note)
	}
	if in.FibreNote != "" {
		fmt.Fprintln(stderr, "phusong: note:", in.FibreNote)
	}
	if in.Population != nil && in.Population.Note != "" {
		fmt.Fprintln(stderr, "phusong: note:", in.Population.Note)
	}
	in.Coverage = coverage.Options{CellM: o.cellM, IncludePlanned: o.includePlanned}
	if o.tech != "" && o.layer == "coverage" {
		in.Coverage.Techs = o.techs() // only what is reported is computed
		if o.tech == string(data.Tech4G) {
			fmt.Fprintln(stderr, "phusong: note: 4G only: the 3G-only figures (three_g_only_*) need 3G and read 0")
		}
	}
	if o.tableOnly && in.Population == nil {
		// Statistics only: region by region, one region's levels in memory at a time.
		st, rep, err := app.BuildRegions(ctx, in, o.regionCells)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		if rep.Regions > 1 {
			fmt.Fprintf(stderr, "phusong: computed in %d regions of at most %d grid cells (the whole grid has %d)\n",
				rep.Regions, rep.MaxCells, rep.GridCells)
		}
		return st, nil
	}
	if terminal(stderr) {
		in.Coverage.Progress = stderr
	}
	in.FibreOptions = fibre.Options{DropM: o.dropM, FeederReach: o.feederReach}
	st, err := app.Build(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return st, nil
}

// printWarnings prints a loader's warnings, at most 20 and a count of the rest.
func printWarnings(w io.Writer, what string, ws []data.Warning) {
	const most = 20
	for i, x := range ws {
		if i == most {
			fmt.Fprintf(w, "phusong: %s: … and %d more warnings\n", what, len(ws)-most)
			break
		}
		fmt.Fprintf(w, "phusong: %s: warning: %s\n", what, x)
	}
}
