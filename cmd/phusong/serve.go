package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/server"
	"phusong/server/app"
)

// serveOptions are the flags of `phusong serve`.
type serveOptions struct {
	addr, dataDir              string
	communes, sites, config    string
	fibre                      string
	population, populationMode string
	tilesURL, tilesAttribution string
	cellM                      float64
	logLevel                   string
	logJSON                    bool
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", ":8080", "listen address HOST:PORT (port 0 picks a free one)")
	fs.StringVar(&o.dataDir, "data-dir", "./phusong-data", "directory for anything the server keeps")
	fs.StringVar(&o.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.sites, "sites", "", "sites CSV file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	fs.StringVar(&o.fibre, "fibre", "", "fibre network GeoJSON seeding an empty database (default: the embedded demo's synthetic network)")
	populationFlags(fs, &o.population, &o.populationMode)
	fs.StringVar(&o.tilesURL, "tiles", "", "base-map tile URL template with {z}/{x}/{y} (default: none, plain background, works offline)")
	fs.StringVar(&o.tilesAttribution, "tiles-attribution", "", "attribution HTML for --tiles")
	fs.Float64Var(&o.cellM, "cell-m", 0, "coverage grid cell in metres (0 = the engine's default)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug (every request), info, warn or error")
	fs.BoolVar(&o.logJSON, "log-json", false, "log as JSON lines instead of key=value text")
	if err := fs.Parse(args); err != nil {
		return o, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q\n", fs.Arg(0))
		return o, errUsage
	}
	return o, nil
}

func newLogger(w io.Writer, level string, asJSON bool) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("serve: --log-level %q: must be debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: l}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return slog.New(slog.NewTextHandler(w, ho)), nil
}

// runServe loads the data (the embedded demo unless files are given), computes coverage and
// serves the API and the map until ctx is cancelled (SIGINT/SIGTERM in main), then shuts down
// gracefully. The URL is printed on stdout once the server accepts connections.
func runServe(ctx context.Context, io stdio, args []string) error {
	o, err := parseServeFlags(args, io.Stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(io.Stderr, o.logLevel, o.logJSON)
	if err != nil {
		return err
	}
	in, ws, err := app.Load(app.Sources{Communes: o.communes, Sites: o.sites, Definition: o.config, Fibre: o.fibre,
		Population: o.population, PopulationMode: o.populationMode})
	if err != nil {
		return err
	}
	for _, w := range ws {
		logWarnings(log, w.File, w.Warnings)
	}
	if in.Population != nil && in.Population.Note != "" {
		log.Info("synthetic population grid", slog.String("note", in.Population.Note))
	}
	in.Coverage = coverage.Options{CellM: o.cellM}
	if terminal(io.Stderr) {
		in.Coverage.Progress = io.Stderr
	}
	start := time.Now()
	a, err := app.Open(ctx, o.dataDir, in, log) // tokens and versioned lists; seeded from in when empty
	if err != nil {
		return err
	}
	defer a.Close()
	st := a.State()
	log.Info("coverage computed", slog.Duration("took", time.Since(start)),
		slog.Int("sites", st.Snapshot.Len()), slog.Int("communes", len(st.Communes)))
	srv, err := server.New(a, server.Options{Logger: log, TilesURL: o.tilesURL, TilesAttribution: o.tilesAttribution})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	url := "http://" + displayAddr(ln.Addr()) + "/"
	log.Info("listening", slog.String("url", url), slog.String("data_dir", o.dataDir))
	if st.Note != "" {
		fmt.Fprintf(io.Stdout, "phusong: serving the demo on %s (synthetic stations)\n", url)
	} else {
		fmt.Fprintf(io.Stdout, "phusong: serving on %s\n", url)
	}
	go func() {
		if err := srv.Warm(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("warming the response cache", slog.String("err", err.Error()))
		}
	}()
	return srv.Serve(ctx, ln)
}

// populationFlags adds --population and --population-mode to fs (serve, report, export).
func populationFlags(fs *flag.FlagSet, file, mode *string) {
	fs.StringVar(file, "population", "", "population grid: GeoTIFF (WorldPop, GHSL; EPSG:4326), HRSL CSV or points CSV/GeoJSON; "+
		"default: the demo's synthetic grid with the demo communes, none (census spread uniformly over each commune's land) with --communes; none: no grid")
	fs.StringVar(mode, "population-mode", "census", "census: scale each commune's grid people to its census population; raster: keep the grid's people")
}

// logWarnings logs a loader's warnings: the first few one by one, then a count.
func logWarnings(log *slog.Logger, file string, ws []data.Warning) {
	const shown = 5
	for i, w := range ws {
		if i == shown {
			log.Warn("more warnings", slog.String("file", file), slog.Int("count", len(ws)-shown))
			break
		}
		log.Warn("loading", slog.String("file", file), slog.String("warning", w.String()))
	}
}

// displayAddr turns a listener address into one a browser on this machine can open
// (":8080" and "0.0.0.0:8080" become "localhost:8080").
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}

// terminal reports whether w is a character device (a terminal shows progress lines).
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
