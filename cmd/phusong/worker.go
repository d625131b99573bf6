package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/server/app"
)

// runWorker takes region jobs from the database (queued by `serve --regions` for a data version
// whose results are not stored yet), computes each region and stores its result, until none is
// left (or, with --wait, until interrupted).
func runWorker(ctx context.Context, io stdio, args []string) error {
	var db dbFlags
	var communes, config, name, logLevel string
	var cellM float64
	var regionCells int
	var lease, wait time.Duration
	fs := newFlags(io.Stderr, "worker", "worker [--data-dir DIR | --db URL] [--communes F] [--config F] [--cell-m M] [--region-cells N] [--wait 5s]",
		"Computes the regions a server queued (serve --regions on a country): takes a job, computes the region, stores\n"+
			"its statistics and layers in the database, and takes the next until none is left. Several workers (on\n"+
			"several machines, with --db on one PostgreSQL) share the jobs; a killed worker's job is taken again after\n"+
			"its lease. Give the communes, definition, cell size and region size the servers use: only jobs of the\n"+
			"same inputs (their fingerprint) are taken.")
	db.add(fs, "the data directory of the server's SQLite database (or --db)")
	fs.StringVar(&communes, "communes", "", "communes GeoJSON file, as the servers' (default: the embedded schematic demo)")
	fs.StringVar(&config, "config", "", "coverage definition JSON, as the servers' (default: the calibration the database serves, else the embedded definition)")
	fs.Float64Var(&cellM, "cell-m", 0, "coverage grid cell in metres, as the servers' (0 = the engine's default)")
	fs.IntVar(&regionCells, "region-cells", coverage.DefaultRegionCells, "grid cells a region, as the servers' --region-cells")
	fs.StringVar(&name, "name", "", "this worker's name in the jobs it takes (default host:pid)")
	fs.DurationVar(&lease, "lease", app.DefaultJobLease, "how long a job stays this worker's without renewal (renewed every third of it)")
	fs.DurationVar(&wait, "wait", 0, "when no job is left, look again this often until interrupted (0: stop)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if regionCells <= 0 || lease <= 0 || wait < 0 {
		return errors.New("worker: --region-cells and --lease must be positive, --wait not negative")
	}
	log, err := newLogger(io.Stderr, logLevel, false)
	if err != nil {
		return err
	}
	in, _, err := app.Load(app.Sources{Communes: communes, Definition: config, Population: app.PopulationNone})
	if err != nil {
		return err
	}
	in.Coverage = coverage.Options{CellM: cellM}
	in.RegionCells = regionCells
	d, err := db.open(ctx, io, persist.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	r, err := app.OpenWorker(ctx, d, in, name, log)
	if err != nil {
		return err
	}
	r.WithLease(lease)
	log.Info("worker", slog.String("fingerprint", r.Fingerprint()[:12]), slog.Int("regions", r.Len()), slog.String("db", d.Path()))
	start, total := time.Now(), 0
	for {
		n, err := r.Work(ctx)
		total += n
		if err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		if wait == 0 {
			break
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(io.Stdout, "phusong worker: %d regions computed in %s\n", total, time.Since(start).Round(time.Millisecond))
			return nil
		case <-time.After(wait):
		}
	}
	fmt.Fprintf(io.Stdout, "phusong worker: %d regions computed in %s; no job left\n", total, time.Since(start).Round(time.Millisecond))
	return nil
}
