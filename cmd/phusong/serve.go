package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/server"
	"phusong/server/app"
)

// serveOptions are the flags of `phusong serve`.
type serveOptions struct {
	addr                       string
	db                         dbFlags // --data-dir, --db
	communes, sites, config    string
	provinceName               string
	fibre                      string
	population, populationMode string
	tilesURL, tilesAttribution string
	cellM                      float64
	logLevel                   string
	logJSON                    bool
	tlsCert, tlsKey            string // PEM files: serve HTTPS
	redirectHTTP               string // with TLS: also listen here and redirect plain HTTP to HTTPS
	hsts                       bool
	corsOrigins                string   // comma-separated; "*" for any
	trustedProxies             string   // comma-separated addresses or CIDRs
	context                    []string // context layer files (roads, rivers)
	contextAttribution         string
	roads                      string        // road lines for the scenarios' suggestion jobs
	follow                     time.Duration // how often to look for other replicas' uploads (0: never)
	pprofAddr                  string        // private listener for the runtime's profiles
	regions                    string        // auto, on or off: compute region by region (app.Input.RegionCells)
	regionCells                int
	limits                     server.Limits // one flag per field (docs/limits.md)
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	o := serveOptions{limits: server.DefaultLimits()}
	fs := newFlags(stderr, "serve", "serve [--addr :8080] [--data-dir DIR] [--db URL] [--communes F] [--sites F] [--config F] [--fibre F] [--tiles URL] [--population F] [flags]",
		"Serves the JSON/GeoJSON API and the web map (http://HOST:PORT/) until interrupted. An empty data\n"+
			"directory is seeded from the embedded demo (synthetic stations) or from --sites/--fibre; carriers'\n"+
			"uploads and tokens are kept there (phusong token create). Every limit on clients has a flag\n"+
			"(docs/limits.md).")
	fs.StringVar(&o.addr, "addr", ":8080", "listen address HOST:PORT (port 0 picks a free one)")
	o.db.add(fs, "directory for anything the server keeps (with --db: only the upload spool)")
	fs.StringVar(&o.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.sites, "sites", "", "sites CSV file seeding an empty database (default: the embedded demo's synthetic stations); the file the database was seeded from is not read again")
	fs.StringVar(&o.provinceName, "province-name", "", "the province of the communes whose file names none (the map's title, /api/v1/provinces; default: unnamed, the demo's Trà Vinh)")
	fs.StringVar(&o.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	fs.StringVar(&o.fibre, "fibre", "", "fibre network GeoJSON seeding an empty database (default: the embedded demo's synthetic network)")
	populationFlags(fs, &o.population, &o.populationMode)
	fs.StringVar(&o.tilesURL, "tiles", "", "base-map tile URL template with {z}/{x}/{y} (default: none, plain background, works offline)")
	fs.StringVar(&o.tilesAttribution, "tiles-attribution", "", "attribution HTML for --tiles")
	fs.Float64Var(&o.cellM, "cell-m", 0, "coverage grid cell in metres (0 = the engine's default)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug (every request), info, warn or error")
	fs.BoolVar(&o.logJSON, "log-json", false, "log as JSON lines instead of key=value text")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate chain (with --tls-key; re-read when the file changes)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	fs.StringVar(&o.redirectHTTP, "redirect-http", "", "with --tls-cert: also listen on this address (e.g. :80) and redirect plain HTTP to HTTPS")
	fs.BoolVar(&o.hsts, "hsts", false, "with --tls-cert: send Strict-Transport-Security (one year); only with a certificate browsers trust")
	fs.StringVar(&o.corsOrigins, "cors-origins", "", "let pages of these origins read the public API (CORS): * or a comma-separated list such as https://gis.example.org")
	fs.Func("context", "a GeoJSON of roads, rivers or water drawn under the sites for orientation offline (repeatable; loaded at start, never stored)", func(s string) error {
		o.context = append(o.context, s)
		return nil
	})
	fs.StringVar(&o.roads, "roads", "", "GeoJSON of road lines (e.g. a national roads file) for scenario suggestions: candidates along them every 500 m and each pick's road distance (loaded at start; without: road_distance_m -1)")
	fs.StringVar(&o.contextAttribution, "context-attribution", "", "attribution HTML for --context, e.g. the licence its data asks to credit")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (e.g. 127.0.0.1)")
	fs.DurationVar(&o.follow, "follow", time.Second, "how often to look in the database for uploads made through other servers "+
		"sharing it (replicas on one --db) and serve them; 0: never")
	fs.StringVar(&o.pprofAddr, "pprof-addr", "", "also serve the runtime's profiles (/debug/pprof/: heap, block, mutex, CPU, trace) on this private address, e.g. 127.0.0.1:6060; never a public one")
	fs.StringVar(&o.regions, "regions", "auto", "compute the coverage region by region (a country in bounded memory: statistics, map layers, the signal at a point, pockets, hexagons, fibre reach, "+
		"signal reports, measurements and uploads; no population grid or image, scenarios or calibrated definitions): on, off, or auto (on when the communes' grid has more than 4 regions' cells)")
	fs.IntVar(&o.regionCells, "region-cells", coverage.DefaultRegionCells, "with --regions: at most this many grid cells a region")
	limitFlags(fs, &o.limits)
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	switch {
	case o.regions != "auto" && o.regions != "on" && o.regions != "off":
		return o, fmt.Errorf("serve: --regions %q: want auto, on or off", o.regions)
	case o.regionCells <= 0:
		return o, fmt.Errorf("serve: --region-cells %d: want a positive number of cells", o.regionCells)
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return o, errors.New("serve: --tls-cert and --tls-key go together")
	case o.tlsCert == "" && (o.redirectHTTP != "" || o.hsts):
		return o, errors.New("serve: --redirect-http and --hsts need --tls-cert and --tls-key")
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
	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		if tlsConfig, err = server.TLSConfig(o.tlsCert, o.tlsKey, log); err != nil {
			return err // before the data: a wrong path fails at once
		}
	}
	if o.pprofAddr != "" { // from the start: the loading and a first start's computing are profiled too
		dln, err := net.Listen("tcp", o.pprofAddr)
		if err != nil {
			return fmt.Errorf("serve: --pprof-addr: %w", err)
		}
		log.Info("profiles", slog.String("url", "http://"+displayAddr(dln.Addr())+"/debug/pprof/"))
		runtime.SetBlockProfileRate(int(100 * time.Microsecond)) // a sample per 100 µs blocked: where readers wait
		runtime.SetMutexProfileFraction(10)
		go func() {
			if err := server.ServeDebug(ctx, dln, log); err != nil {
				log.Warn("profile listener", slog.String("err", err.Error()))
			}
		}()
	}
	background, err := loadContext(o.context)
	if err != nil {
		return err
	}
	roads, err := loadRoads("serve", o.roads)
	if err != nil {
		return err
	}
	start := time.Now()
	var db *persist.DB
	openDB := func() (err error) {
		if db == nil {
			db, err = o.db.open(ctx, io, persist.Options{MaxBytes: max(o.limits.MaxDatabaseBytes, 0)})
		}
		return err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	// a --sites file the database was seeded from is not read again (its lists are served); the
	// database is opened only then, once the communes have loaded (a bad file creates nothing)
	seeded := func(kind, sha256 string) bool { return openDB() == nil && app.SeededFrom(ctx, db)(kind, sha256) }
	in, ws, err := app.Load(app.Sources{Communes: o.communes, Sites: o.sites, Definition: o.config, Fibre: o.fibre,
		Population: o.population, PopulationMode: o.populationMode, ProvinceName: o.provinceName, Seeded: seeded})
	if err != nil {
		return err
	}
	log.Info("inputs read", slog.Duration("took", time.Since(start)), slog.Bool("sites_file_read", o.sites != "" && !in.SitesSeeded))
	for _, w := range ws {
		logWarnings(log, w.File, w.Warnings)
	}
	if in.Population != nil && in.Population.Note != "" {
		log.Info("synthetic population grid", slog.String("note", in.Population.Note))
	}
	in.Coverage = coverage.Options{CellM: o.cellM, UpdateWorkers: max(o.limits.RecomputeWorkers, 0), PolygonCacheBytes: cmp.Or(o.limits.PolygonCacheBytes, server.DefaultLimits().PolygonCacheBytes)}
	if in.RegionCells, err = serveRegionCells(o, in); err != nil {
		return err
	}
	if in.RegionCells > 0 {
		log.Info("computing region by region: statistics, map layers, hexagons, reports, measurements and uploads", slog.Int("region_cells", in.RegionCells))
	}
	if terminal(io.Stderr) {
		in.Coverage.Progress = io.Stderr
	}
	if err := openDB(); err != nil {
		return err
	}
	a, err := app.OpenDB(ctx, db, in, log) // tokens and versioned lists; seeded from in when never uploaded
	if err != nil {
		return err
	}
	a.WithRoads(roads)
	if o.follow > 0 {
		go a.Follow(ctx, o.follow)
	}
	applyMemoryLimit(o.limits, io.Getenv, log)
	st := a.State()
	log.Info("coverage computed", slog.Duration("took", time.Since(start)),
		slog.Int("sites", st.Snapshot.Len()), slog.Int("communes", len(st.Communes)))
	spool := filepath.Join(o.db.dataDir, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	sopts := server.Options{Logger: log, TilesURL: o.tilesURL, TilesAttribution: o.tilesAttribution,
		Context: background, ContextAttribution: o.contextAttribution,
		Limits: o.limits, SpoolDir: spool}
	if background != nil {
		log.Info("context layer", slog.Int("features", len(background.Features)), slog.Any("files", o.context))
	}
	if o.corsOrigins != "" {
		sopts.CORSOrigins = strings.Split(o.corsOrigins, ",")
	}
	if o.trustedProxies != "" {
		sopts.TrustedProxies = strings.Split(o.trustedProxies, ",")
	}
	if o.hsts {
		sopts.HSTSMaxAge = 365 * 24 * time.Hour
	}
	srv, err := server.New(a, sopts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	url := scheme + "://" + displayAddr(ln.Addr()) + "/"
	log.Info("listening", slog.String("url", url), slog.String("data_dir", o.db.dataDir), slog.String("db", db.Path()))
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
	if tlsConfig == nil {
		return srv.Serve(ctx, ln)
	}
	if o.redirectHTTP == "" {
		return srv.ServeTLS(ctx, ln, tlsConfig)
	}
	return serveWithRedirect(ctx, io, srv, ln, tlsConfig, o.redirectHTTP, log)
}

// serveWithRedirect serves HTTPS on ln and, on redirectAddr, redirects plain HTTP to it; when
// either stops, so does the other.
func serveWithRedirect(ctx context.Context, io stdio, srv *server.Server, ln net.Listener, cfg *tls.Config, redirectAddr string, log *slog.Logger) error {
	rln, err := net.Listen("tcp", redirectAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: --redirect-http: %w", err)
	}
	_, httpsPort, _ := net.SplitHostPort(ln.Addr().String())
	fmt.Fprintf(io.Stdout, "phusong: redirecting http://%s/ to https\n", displayAddr(rln.Addr()))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	redirected := make(chan error, 1)
	go func() {
		redirected <- server.ServeRedirect(ctx, rln, httpsPort, log)
		cancel()
	}()
	err = srv.ServeTLS(ctx, ln, cfg)
	cancel()
	if rerr := <-redirected; err == nil && rerr != nil {
		err = fmt.Errorf("serve: redirect listener: %w", rerr)
	}
	return err
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

// loadContext reads the --context files into one layer; nil when there are none.
func loadContext(files []string) (*geojson.FeatureCollection, error) {
	if len(files) == 0 {
		return nil, nil
	}
	all := geojson.NewFeatureCollection()
	for _, f := range files {
		fc, err := input.LoadContextFile(f)
		if err != nil {
			return nil, fmt.Errorf("serve: --context %w", err)
		}
		all.Features = append(all.Features, fc.Features...)
	}
	return all, nil
}

// limitFlags registers one flag per field of lim (server.Limits.Flags), its current value the
// default: durations as Go durations (15s), byte counts with an optional KiB/MiB/GiB suffix.
func limitFlags(fs *flag.FlagSet, lim *server.Limits) {
	for _, f := range lim.Flags() {
		switch p := f.Ptr.(type) {
		case *int:
			fs.IntVar(p, f.Name, *p, f.Usage)
		case *int64:
			if f.Bytes {
				fs.Var((*byteSize)(p), f.Name, f.Usage+"; a `size` like 20MiB, 512KiB or 1048576")
			} else {
				fs.Int64Var(p, f.Name, *p, f.Usage)
			}
		case *float64:
			fs.Float64Var(p, f.Name, *p, f.Usage)
		case *time.Duration:
			fs.DurationVar(p, f.Name, *p, f.Usage)
		default:
			panic(fmt.Sprintf("limit flag %s: unhandled type %T", f.Name, f.Ptr))
		}
	}
}

// byteSize is a flag counting bytes: a whole number with an optional unit B, KiB, MiB or GiB
// (case-insensitive; K, M, G and KB, MB, GB read as the binary units), or -1.
type byteSize int64

// byteUnits are the units byteSize reads, longest first.
var byteUnits = []struct {
	suffix string
	bytes  int64
}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}}

func (b *byteSize) Set(s string) error {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || (n < 0 && n != -1) || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a byte count (like 20MiB, 512KiB, 1048576, or -1)", s)
	}
	*b = byteSize(n * mult)
	return nil
}

func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		bytes  int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n > 0 && n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// applyMemoryLimit sets the Go runtime's soft memory limit (server.Limits.MemoryLimit) from
// the heap the loaded data holds, measured after a collection; with the default
// (--memory-limit 0) a GOMEMLIMIT in the environment is kept as the runtime read it.
func applyMemoryLimit(lim server.Limits, getenv func(string) string, log *slog.Logger) {
	if lim.MemoryLimitBytes == 0 && getenv != nil && getenv("GOMEMLIMIT") != "" {
		log.Info("memory limit from GOMEMLIMIT", slog.Int64("bytes", debug.SetMemoryLimit(-1)))
		return
	}
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	heap := int64(live[0].Value.Uint64())
	limit := lim.MemoryLimit(heap)
	if limit < 0 {
		limit = math.MaxInt64 // the runtime's "no limit"
	}
	debug.SetMemoryLimit(limit)
	log.Info("memory limit", slog.Int64("heap_after_loading_bytes", heap), slog.Int64("limit_bytes", limit))
}

// serveRegionCells returns app.Input.RegionCells for --regions: o.regionCells when on, or when
// auto and the communes' whole grid holds more than four regions' cells; 0 otherwise.
func serveRegionCells(o serveOptions, in app.Input) (int, error) {
	switch o.regions {
	case "off":
		return 0, nil
	case "auto":
		def := in.Definition
		if def == nil {
			def = coverage.DefaultDefinition()
		}
		n, err := coverage.GridCells(in.Communes, def, in.Coverage)
		if err != nil || n <= 4*o.regionCells {
			return 0, err
		}
	}
	if in.Population != nil {
		return 0, errors.New("serve: region by region places no population grid yet (--population none, or --regions off)")
	}
	return o.regionCells, nil
}
