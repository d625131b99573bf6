// Command measure is phusong's measurement benchmark: a million samples imported, compared with
// the predictions and calibrated, through the same use cases as `phusong measurements import`,
// GET /api/v1/measurements/stats and `phusong calibrate`, on a fresh data directory over the
// embedded demo (synthetic stations, 50 m cells). It prints each phase's wall time and CPU time,
// the samples per second, and the process's peak resident set size (VmHWM) after each phase.
//
//	go run ./bench/measure [-samples 1000000] [-dir /tmp/phusong-bench] [-keep]
//
// The drive test is made first (not timed): synthetic scanner samples of Viettel 4G, VinaPhone
// 3G and MobiFone 4G, measured in a world whose path loss differs from the model (measure.
// SynthesizeCSV), written to a CSV file that the import then reads as a user's file would be.
// bench/measure/run.sh runs it on 2 cores under /usr/bin/time for an outside figure of the peak.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/server/app"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

// truth is the synthetic world's departure from the model: what calibration should find.
func truth() []coverage.Correction {
	return []coverage.Correction{
		{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 6, SlopeDBPerDecade: 2},
		{Carrier: "vinaphone", Tech: data.Tech3G, Land: data.TypeCommune, OffsetDB: -4},
		{Carrier: "mobifone", Tech: data.Tech4G, Land: data.TypeWard, OffsetDB: 3},
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	samples := fs.Int("samples", 1_000_000, "samples in the drive test")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "phusong-bench-measure"), "working directory (emptied first)")
	keep := fs.Bool("keep", false, "keep the directory (the CSV and the database) afterwards")
	cellM := fs.Float64("cell-m", coverage.DefaultCellM, "coverage grid cell, metres")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(*dir)
	}
	fmt.Fprintf(out, "phusong measurement benchmark: %d samples, GOMAXPROCS %d, %d CPUs, demo province (synthetic stations), %g m cells\n",
		*samples, runtime.GOMAXPROCS(0), runtime.NumCPU(), *cellM)

	in, _, err := app.Load(app.Sources{NoFibre: true})
	if err != nil {
		return err
	}
	in.Coverage = coverage.Options{CellM: *cellM}
	a, err := app.Open(ctx, filepath.Join(*dir, "data"), in, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	st := a.State()

	csvPath := filepath.Join(*dir, "drive.csv")
	p := newPhase(out, "make the drive test (not timed)")
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	n, err := measure.SynthesizeCSV(bw, st.Engine, in.Sites, measure.SynthOptions{Truth: truth(), Seed: 1, Samples: *samples, Routes: 2000,
		Pairs: []measure.Pair{{Carrier: "viettel", Tech: data.Tech4G}, {Carrier: "vinaphone", Tech: data.Tech3G}, {Carrier: "mobifone", Tech: data.Tech4G}}})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return err
	}
	fi, _ := os.Stat(csvPath)
	p.done(n, fmt.Sprintf("%.0f MB CSV", float64(fi.Size())/1e6))

	var total time.Duration
	p = newPhase(out, "import (parse, validate, store)")
	f, err = os.Open(csvPath)
	if err != nil {
		return err
	}
	u, err := a.ImportMeasurements(ctx, app.CommandLine(), app.MeasurementImport{Format: app.FormatCSV, Body: f, FileName: "drive.csv"})
	f.Close()
	if err != nil {
		return err
	}
	total += p.done(u.Stored, fmt.Sprintf("%d stored, %d duplicates", u.Stored, u.Duplicates))

	p = newPhase(out, "compare (predict every sample, statistics)")
	stats, err := a.MeasurementStats(ctx, measure.Filter{})
	if err != nil {
		return err
	}
	total += p.done(stats.Samples, fmt.Sprintf("mean %+.2f dB, RMSE %.2f dB over %d in the window", stats.Overall.MeanDB, stats.Overall.RMSEDB, stats.InWindow))

	p = newPhase(out, "calibrate (Huber IRLS, 5-fold hold-out)")
	res, err := a.Calibrate(ctx, app.CommandLine(), measure.CalibrateOptions{})
	if err != nil {
		return err
	}
	total += p.done(stats.Samples, res.Definition.CalibrationLabel())
	fmt.Fprintf(out, "\nimport + compare + calibrate: %.1f s wall; peak RSS %s\n\n", total.Seconds(), peakRSS())
	if err := measure.WriteTable(out, res.Calibration); err != nil {
		return err
	}
	fmt.Fprintln(out, "\ninjected truth:")
	for _, k := range truth() {
		fmt.Fprintf(out, "  %s %s %s: K1 %+.1f dB, K2 %+.1f dB/decade\n", k.Carrier, k.Tech, k.Land, k.OffsetDB, k.SlopeDBPerDecade)
	}
	return nil
}

// phase times one step: wall clock and the process's CPU time.
type phase struct {
	out      io.Writer
	name     string
	start    time.Time
	cpuStart time.Duration
}

func newPhase(out io.Writer, name string) *phase {
	return &phase{out: out, name: name, start: time.Now(), cpuStart: cpuTime()}
}

// done prints the phase's figures for n samples and returns its wall time.
func (p *phase) done(n int, note string) time.Duration {
	wall, cpu := time.Since(p.start), cpuTime()-p.cpuStart
	fmt.Fprintf(p.out, "%-44s %7.2f s wall %7.2f s CPU %9.0f samples/s  RSS peak %s  (%s)\n", p.name, wall.Seconds(), cpu.Seconds(),
		float64(n)/wall.Seconds(), peakRSS(), note)
	return wall
}

// peakRSS is the process's peak resident set size so far (VmHWM of /proc/self/status).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return fmt.Sprintf("%.0f MB", float64(kb)/1024)
			}
		}
	}
	return "?"
}
