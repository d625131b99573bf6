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
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/server"
)

// serveOptions are the flags of `phusong serve`.
type serveOptions struct {
	addr, dataDir              string
	communes, sites, config    string
	fibre                      string
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
	in, err := serveInput(o, log)
	if err != nil {
		return err
	}
	db, err := persist.Open(o.dataDir) // tokens and versioned site lists; seeded from in.Sites when empty
	if err != nil {
		return err
	}
	defer db.Close()
	if in.Sites, in.Note, err = server.LoadSites(ctx, db, in.Sites, in.Note, log); err != nil {
		return err
	}
	if in.Fibre, in.FibreNote, err = server.LoadFibre(ctx, db, in.Fibre, in.FibreNote, log); err != nil {
		return err
	}
	if terminal(io.Stderr) {
		in.Coverage.Progress = io.Stderr
	}
	start := time.Now()
	st, err := server.Build(ctx, in)
	if err != nil {
		return err
	}
	log.Info("coverage computed", slog.Duration("took", time.Since(start)),
		slog.Int("sites", len(in.Sites)), slog.Int("communes", len(in.Communes)))
	srv, err := server.New(st, server.Options{
		Logger: log, TilesURL: o.tilesURL, TilesAttribution: o.tilesAttribution, DataDir: o.dataDir, DB: db,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	url := "http://" + displayAddr(ln.Addr()) + "/"
	log.Info("listening", slog.String("url", url), slog.String("data_dir", o.dataDir))
	if in.Note != "" {
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

// serveInput reads communes, sites, the definition and the fibre network from the flags'
// files, or the embedded demo for those not given. Loader warnings (defaults applied …) are
// logged.
func serveInput(o serveOptions, log *slog.Logger) (server.Input, error) {
	in := server.Input{Coverage: coverage.Options{CellM: o.cellM}}
	var err error
	if o.communes == "" {
		in.Communes, err = demo.Communes()
	} else {
		var rep *input.CommuneLoadReport
		if rep, err = input.LoadCommunesFile(o.communes); err == nil {
			in.Communes = rep.Communes
			logWarnings(log, o.communes, rep.Warnings)
		}
	}
	if err != nil {
		return in, err
	}
	if o.sites == "" {
		in.Sites, err = demo.Sites()
		in.Note = demo.Note
	} else {
		var rep *input.SiteLoadReport
		if rep, err = input.LoadSitesFile(o.sites, input.SiteOptions{Area: data.AreaOf(in.Communes)}); err == nil {
			in.Sites = rep.Sites
			logWarnings(log, o.sites, rep.Warnings)
		}
	}
	if err != nil {
		return in, err
	}
	if o.config != "" {
		if in.Definition, err = coverage.LoadDefinition(o.config); err != nil {
			return in, err
		}
	}
	if o.fibre == "" {
		in.Fibre, err = demo.Fibre()
		in.FibreNote = demo.FibreNote
	} else {
		var rep *input.FibreLoadReport
		if rep, err = input.LoadFibreFile(o.fibre, input.FibreOptions{Area: data.AreaOf(in.Communes)}); err == nil {
			in.Fibre = &rep.Network
			logWarnings(log, o.fibre, rep.Warnings)
		}
	}
	return in, err
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
