package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/data/persist"
	"phusong/server/app"
)

// The measurement commands work on a data directory as the server does (its database, its
// sites, its served definition), from the server's machine: they act as an admin token.

// measureUsage is the usage of `phusong measurements`.
func measureUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage:
  phusong measurements import [--data-dir DIR | --db URL] [--carrier ID] [--dry-run] FILE
        store a drive test: CSV (time,lon,lat,carrier,tech,level_dbm[,cell_id][,pci][,accuracy_m],
        or OpenCelliD's measurements export) or GeoJSON points; all-or-nothing, duplicates dropped
  phusong measurements stats [--data-dir DIR | --db URL] [--carrier ID] [--tech 3G|4G] [--json]
        the stored measurements against the served predictions
  phusong measurements synth --out FILE [--samples N] [--seed S] [--pairs viettel/4G,...]
        [--truth viettel/4G/commune=+6/+2,...] [--phone]
        a SYNTHETIC drive test of the demo (or --communes/--sites), measured in a world whose path
        loss differs by --truth (K1 dB / K2 dB per decade), for trying comparison and calibration

Common flags: --communes F, --sites F, --config F, --cell-m M, as for serve.`)
}

// runMeasurements dispatches `phusong measurements SUB`.
func runMeasurements(ctx context.Context, io stdio, args []string) error {
	return runSubcommand(ctx, io, args, "measurements", map[string]func(context.Context, stdio, []string) error{
		"import": runMeasurementsImport, "stats": runMeasurementsStats, "synth": runMeasurementsSynth,
	}, measureUsage)
}

// dataFlags are the flags that say which data a measurement command works on.
type dataFlags struct {
	dbFlags
	communes, sites, config string
	cellM                   float64
}

// newDataFlags returns the flag set of `phusong <name>` (its help: "Usage: phusong <synopsis>",
// about, every flag) with the data flags.
func newDataFlags(name, synopsis, about string, io stdio) (*flag.FlagSet, *dataFlags) {
	fs := newFlags(io.Stderr, name, synopsis, about)
	d := &dataFlags{}
	d.add(fs, "the server's data directory (its database)")
	fs.StringVar(&d.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&d.sites, "sites", "", "sites seeding an empty database (default: the embedded demo's synthetic stations)")
	fs.StringVar(&d.config, "config", "", "coverage definition JSON (default: the one the database serves, else the embedded one)")
	fs.Float64Var(&d.cellM, "cell-m", 0, "coverage grid cell in metres (0 = the engine's default)")
	return fs, d
}

// open loads the inputs and opens the data directory as the server would (seeding an empty
// database), with the coverage computed; the demo note goes to stderr.
func (d *dataFlags) open(ctx context.Context, cmd string, io stdio) (*app.App, error) {
	in, ws, err := app.Load(app.Sources{Communes: d.communes, Sites: d.sites, Definition: d.config, NoFibre: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	for _, w := range ws {
		printWarnings(io.Stderr, w.What, w.Warnings)
	}
	in.Coverage = coverage.Options{CellM: d.cellM}
	db, err := d.dbFlags.open(ctx, io, persist.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	a, err := app.OpenOwned(ctx, db, in, slog.New(slog.NewTextHandler(io.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	if note := a.State().Note; note != "" {
		fmt.Fprintln(io.Stderr, "phusong: note:", note)
	}
	return a, nil
}

func runMeasurementsImport(ctx context.Context, io stdio, args []string) error {
	fs, d := newDataFlags("measurements import", "measurements import [--data-dir DIR | --db URL] [--carrier ID] [--dry-run] FILE",
		"Stores a drive test (CSV, OpenCelliD's measurements export or GeoJSON points) in the data directory;\nall-or-nothing, duplicates dropped.", io)
	carrier := fs.String("carrier", "", "the carrier whose network the file measures (default: each row says)")
	dryRun := fs.Bool("dry-run", false, "validate and count, store nothing")
	note := fs.String("note", "", "free text kept with the upload")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(io.Stderr, "measurements import: want one FILE (see phusong measurements -h)")
		return errUsage
	}
	format := app.FormatCSV
	switch ext := strings.ToLower(filepath.Ext(strings.TrimSuffix(pos[0], ".gz"))); ext {
	case ".csv", ".txt":
	case ".geojson", ".json":
		format = app.FormatGeoJSON
	default:
		return fmt.Errorf("measurements import: %s: unknown file type %q (want .csv, .geojson or .json)", pos[0], ext)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("measurements import: %w", err)
	}
	defer f.Close()
	a, err := d.open(ctx, "measurements import", io)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.ImportMeasurements(ctx, app.CommandLine(), app.MeasurementImport{Format: format, Body: f, Carrier: *carrier,
		FileName: filepath.Base(pos[0]), Note: *note, DryRun: *dryRun})
	if err != nil {
		return fmt.Errorf("measurements import: %s: %w", pos[0], err)
	}
	printWarnings(io.Stderr, filepath.Base(pos[0]), u.Warnings)
	what := fmt.Sprintf("stored as upload %d", u.ID)
	if u.DryRun {
		what = "dry run, nothing stored"
	}
	span := ""
	if u.From != nil {
		span = fmt.Sprintf(", %s..%s", u.From.Format("2006-01-02 15:04"), u.To.Format("2006-01-02 15:04"))
	}
	_, err = fmt.Fprintf(io.Stdout, "%s: %d rows, %d samples (%s), %d new, %d duplicates, %d skipped%s\n", pos[0], u.Rows, u.Samples,
		u.Source, u.Stored, u.Duplicates, u.Skipped, span+"; "+what)
	return err
}

func runMeasurementsStats(ctx context.Context, io stdio, args []string) error {
	fs, d := newDataFlags("measurements stats", "measurements stats [--data-dir DIR | --db URL] [--carrier ID] [--tech 3G|4G] [--json]",
		"Compares the stored measurements with the served predictions.", io)
	carrier := fs.String("carrier", "", "one carrier (default: every one)")
	tech := fs.String("tech", "", "3G or 4G (default: both)")
	asJSON := fs.Bool("json", false, "print the JSON of GET /api/v1/measurements/stats")
	if pos, err := parseArgs(fs, args); err != nil || len(pos) > 0 {
		if err == nil {
			fmt.Fprintf(io.Stderr, "measurements stats: unexpected argument %q\n", pos[0])
			err = errUsage
		}
		return err
	}
	a, err := d.open(ctx, "measurements stats", io)
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.MeasurementStats(ctx, measure.Filter{Carrier: *carrier, Tech: data.Tech(strings.ToUpper(*tech))})
	if err != nil {
		return fmt.Errorf("measurements stats: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return writeStatsTable(io.Stdout, st)
}

// writeStatsTable prints the residual statistics per group and distance bin.
func writeStatsTable(w io.Writer, st *app.MeasurementStats) error {
	fmt.Fprintf(w, "measured − predicted level, dB (coverage definition %s, %s); %d samples, %d predicted within %g..%g dBm\n\n",
		st.DefinitionVersion, st.Calibration, st.Samples, st.InWindow, st.Window[0], st.Window[1])
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "carrier\ttech\tland\tsamples\tmean\tstd\tRMSE\tno prediction\toutside window\t")
	for _, g := range st.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%+.2f\t%.2f\t%.2f\t%d\t%d\t\n", g.Carrier, g.Tech, g.Land, g.Count, g.MeanDB, g.StdDB, g.RMSEDB,
			g.Unpredicted, g.Outside)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "carrier\ttech\tdistance km\tsamples\tmean\tstd\tRMSE\t")
	for _, b := range st.Distance {
		to := "∞"
		if b.ToKM != nil {
			to = strconv.FormatFloat(*b.ToKM, 'g', -1, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%g–%s\t%d\t%+.2f\t%.2f\t%.2f\t\n", b.Carrier, b.Tech, b.FromKM, to, b.Count, b.MeanDB, b.StdDB, b.RMSEDB)
	}
	return tw.Flush()
}

// runCalibrate is `phusong calibrate`: fits the corrections on the data directory's
// measurements, stores the run, prints the before/after table and writes the calibrated
// definition to --out (serve it with --config FILE or PUT /api/v1/admin/definition).
func runCalibrate(ctx context.Context, io stdio, args []string) error {
	fs, d := newDataFlags("calibrate", "calibrate [--data-dir DIR | --db URL] [--out FILE] [--min-samples N] [--folds K]",
		"Fits the path-loss corrections (offset K1, slope K2 per carrier × tech × land class) on the stored\nmeasurements and prints the before/after table; --out writes the calibrated definition.", io)
	out := fs.String("out", "", "write the calibrated coverage definition (JSON) to this file")
	minSamples := fs.Int("min-samples", measure.DefaultMinSamples, "fewest samples a carrier × tech × land class needs")
	folds := fs.Int("folds", measure.DefaultFolds, "hold-out folds (spatial blocks of 1 km)")
	if pos, err := parseArgs(fs, args); err != nil || len(pos) > 0 {
		if err == nil {
			fmt.Fprintf(io.Stderr, "calibrate: unexpected argument %q\n", pos[0])
			err = errUsage
		}
		return err
	}
	a, err := d.open(ctx, "calibrate", io)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Calibrate(ctx, app.CommandLine(), measure.CalibrateOptions{MinSamples: *minSamples, Folds: *folds})
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	if err := measure.WriteTable(io.Stdout, res.Calibration); err != nil {
		return err
	}
	if res.Definition == nil {
		return fmt.Errorf("calibrate: nothing calibrated (run %d stored; the reasons are above)", res.ID)
	}
	if *out == "" {
		fmt.Fprintf(io.Stderr, "calibrate: run %d stored; give --out FILE to write the definition, or serve it with PUT /api/v1/admin/definition {\"calibration_id\": %d}\n", res.ID, res.ID)
		return nil
	}
	b, err := json.MarshalIndent(res.Definition, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	fmt.Fprintf(io.Stderr, "calibrate: wrote %s (run %d); serve it with --config %s or PUT /api/v1/admin/definition {\"calibration_id\": %d}\n",
		*out, res.ID, *out, res.ID)
	return nil
}

// runMeasurementsSynth writes a synthetic drive test (measure.SynthesizeCSV) of the inputs.
func runMeasurementsSynth(ctx context.Context, io stdio, args []string) error {
	fs, d := newDataFlags("measurements synth", "measurements synth --out FILE [--samples N] [--seed S] [--pairs P] [--truth T] [--phone]",
		"Writes a SYNTHETIC drive test of the demo (or --communes/--sites) measured in a world whose path loss\ndiffers by --truth, for trying comparison and calibration.", io)
	out := fs.String("out", "", "the CSV file to write (- for stdout)")
	samples := fs.Int("samples", 10_000, "samples to make")
	routes := fs.Int("routes", 200, "drives (random starts on land)")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same file)")
	pairs := fs.String("pairs", "viettel/4G", "carrier/tech measured at every step, comma-separated")
	truth := fs.String("truth", "", "the world's corrections carrier/tech/land=K1/K2 (dB, dB/decade), comma-separated, e.g. viettel/4G/commune=+6/+2")
	phone := fs.Bool("phone", false, "record only the serving cell, as a phone does (biased high), not every decodable cell")
	if pos, err := parseArgs(fs, args); err != nil || len(pos) > 0 || *out == "" {
		if err == nil {
			fmt.Fprintln(io.Stderr, "measurements synth: want --out FILE and no argument")
			err = errUsage
		}
		return err
	}
	o := measure.SynthOptions{Seed: *seed, Samples: *samples, Routes: *routes, Phone: *phone}
	var err error
	if o.Pairs, err = parsePairs(*pairs); err != nil {
		return fmt.Errorf("measurements synth: --pairs: %w", err)
	}
	if o.Truth, err = parseTruth(*truth); err != nil {
		return fmt.Errorf("measurements synth: --truth: %w", err)
	}
	in, _, err := app.Load(app.Sources{Communes: d.communes, Sites: d.sites, Definition: d.config, NoFibre: true})
	if err != nil {
		return fmt.Errorf("measurements synth: %w", err)
	}
	def := in.Definition
	if def == nil {
		def = coverage.DefaultDefinition()
	}
	eng, err := coverage.New(in.Communes, def, coverage.Options{CellM: d.cellM})
	if err != nil {
		return fmt.Errorf("measurements synth: %w", err)
	}
	w := io.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("measurements synth: %w", err)
		}
		defer f.Close()
		w = f
	}
	n, err := measure.SynthesizeCSV(w, eng, in.Sites, o)
	if err != nil {
		return fmt.Errorf("measurements synth: %w", err)
	}
	fmt.Fprintf(io.Stderr, "phusong: wrote %d SYNTHETIC samples to %s (made up: %d drives, seed %d, truth %q%s)\n",
		n, *out, *routes, *seed, *truth, map[bool]string{true: ", phone", false: ", scanner"}[*phone])
	return nil
}

// parsePairs reads "carrier/tech,carrier/tech".
func parsePairs(s string) ([]measure.Pair, error) {
	var out []measure.Pair
	for _, p := range strings.Split(s, ",") {
		c, t, ok := strings.Cut(strings.TrimSpace(p), "/")
		tech, known := data.ParseTech(t)
		if !ok || c == "" || !known {
			return nil, fmt.Errorf("%q: want carrier/tech, e.g. viettel/4G", p)
		}
		out = append(out, measure.Pair{Carrier: c, Tech: tech})
	}
	return out, nil
}

// parseTruth reads "carrier/tech/land=K1/K2,…" ("" none).
func parseTruth(s string) ([]coverage.Correction, error) {
	var out []coverage.Correction
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		f := strings.Split(key, "/")
		k1s, k2s, _ := strings.Cut(val, "/")
		k1, e1 := strconv.ParseFloat(k1s, 64)
		k2, e2 := strconv.ParseFloat(k2s, 64)
		if k2s == "" {
			k2, e2 = 0, nil
		}
		tech, known := data.ParseTech(f[min(1, len(f)-1)])
		if !ok || len(f) != 3 || !known || e1 != nil || e2 != nil || (f[2] != string(data.TypeWard) && f[2] != string(data.TypeCommune)) {
			return nil, fmt.Errorf("%q: want carrier/tech/land=K1/K2 with land ward or commune, e.g. viettel/4G/commune=+6/+2", part)
		}
		out = append(out, coverage.Correction{Carrier: f[0], Tech: tech, Land: data.CommuneType(f[2]), OffsetDB: k1, SlopeDBPerDecade: k2})
	}
	return out, nil
}
