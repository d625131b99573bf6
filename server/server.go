// Package server is phusong's HTTP surface: the JSON/GeoJSON API (gin) and the embedded web
// map: transport only (parameters → an app call → the answer). It answers from the app's served
// State (a site snapshot, the coverage computed from it, the fibre reach); when the app
// publishes a new one (an upload), the next request sees it, and every answer
// that depends only on the state and validated parameters is encoded once per state, with
// its gzip bytes and ETag, then served from memory.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/sync/errgroup"

	"phusong/data"
	"phusong/server/app"
	"phusong/static"
)

// Options configures a Server. Zero values are usable.
type Options struct {
	Logger           *slog.Logger  // nil: discard
	TilesURL         string        // base-map tile URL template ({z}/{x}/{y}); "" = plain background (works offline)
	TilesAttribution string        // HTML attribution for TilesURL
	Assets           fs.FS         // web map files; nil = the embedded static.FS()
	Limits           Limits        // every limit on clients (zero fields: DefaultLimits)
	SpoolDir         string        // where upload bodies wait while they arrive; "" = os.TempDir()
	Reports          ReportOptions // "no signal here" rate limits
	// Now is the rate limiters' clock; nil = time.Now (tests set it).
	Now func() time.Time
	// CORSOrigins may read the public routes from pages of other origins: "*" (any) or exact
	// origins such as "https://gis.example.org"; nil: none. Routes that take a token never
	// answer CORS (see security.go).
	CORSOrigins []string
	// HSTSMaxAge > 0 sends Strict-Transport-Security with this max-age on answers over TLS.
	HSTSMaxAge time.Duration
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose X-Forwarded-For (or
	// X-Real-IP) names the client (for the bad-token limit per client address); nil: none,
	// the TCP peer is the client.
	TrustedProxies []string
	// Context is the map's offline background of roads and water (input.ReadContextGeoJSON:
	// properties kind and name), served at /api/v1/context; nil: none. ContextAttribution is its
	// credit, HTML like TilesAttribution.
	Context            *geojson.FeatureCollection
	ContextAttribution string
}

// Server is the HTTP API and web map. Create it with New; it is safe for concurrent use.
type Server struct {
	log     *slog.Logger
	opts    Options
	app     *app.App
	cur     atomic.Pointer[view] // the view served (see view)
	assets  map[string]*body
	metrics *metrics
	fills   *fills // response cache builds at once
	engine  *gin.Engine
	up      *uploads // nil when the app has no database
	build   app.BuildInfo
	sec     securityHeaders
	reports *reportLimits // nil when the app has no database
	context *body         // /api/v1/context; nil without Options.Context
	anon    *limiter      // public requests per client address

	reads      atomic.Uint64 // public requests so far (readers; see write.end)
	writes     atomic.Int64  // uploads and rollbacks in progress (see beginWrite)
	background chan struct{} // one token: the write (and its warm-up) using the background cores
}

// handlerFunc is a thin handler: it reads the request, uses the view loaded once for this
// request, writes the answer, and returns an error for writeError to map to a status.
type handlerFunc func(c *gin.Context, v *view) error

// New builds a server answering from a's served state; uploads and the audit trail work when
// a has a database.
func New(a *app.App, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.SpoolDir == "" {
		opts.SpoolDir = os.TempDir()
	}
	if opts.Assets == nil {
		opts.Assets = static.FS()
	}
	assets, err := loadAssets(opts.Assets)
	if err != nil {
		return nil, err
	}
	if err := checkOrigins(opts.CORSOrigins); err != nil {
		return nil, err
	}
	if err := checkProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	s := &Server{log: opts.Logger, opts: opts, app: a, assets: assets, build: app.ReadBuildInfo(),
		anon: newLimiter(opts.Limits.AnonRatePerMinute/60, opts.Limits.AnonBurst), background: make(chan struct{}, 1)}
	if opts.Now == nil {
		opts.Now = time.Now
		s.opts.Now = time.Now
	}
	s.anon.now = opts.Now
	s.metrics = newMetrics(s.build, s.view, a.Publishes)
	s.fills = newFills(s.metrics, runtime.GOMAXPROCS(0))
	s.sec = newSecurityHeaders(opts)
	if opts.Context != nil {
		if s.context, err = jsonBody(ctGeoJSON, opts.Context); err != nil {
			return nil, fmt.Errorf("server: context layer: %w", err)
		}
		s.context.compress(nil)
	}
	if a.Writable() {
		s.up = newUploads(opts.Limits, opts.SpoolDir)
		s.reports = newReportLimits(opts.Reports, opts.Now)
	}
	s.cur.Store(newView(a, a.State(), opts.Limits.CacheBytes, s.metrics))
	s.engine = s.newEngine()
	return s, nil
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler { return s.engine }

// App returns the application the server answers from.
func (s *Server) App() *app.App { return s.app }

// view returns the view a request is answered from. While an upload or rollback is in
// progress (beginWrite) it is the view served before it, which its end replaces by the view of
// the new state, its common answers built (advance): readers never wait for a new state's
// first answers. A state published otherwise (a test, the app's rebuild) is served from the
// next request on, with a fresh cache. Requests already running finish on their view; a new
// view has a new response cache, hence new ETags.
func (s *Server) view() *view {
	st := s.app.State()
	v := s.cur.Load()
	if v.st == st || s.writes.Load() > 0 {
		return v
	}
	nv := newView(s.app, st, s.opts.Limits.CacheBytes, s.metrics)
	s.cur.CompareAndSwap(v, nv) // a racing request may have swapped first: the next one settles it
	return nv
}

// write is an upload or rollback in progress (beginWrite).
type write struct {
	s     *Server
	once  sync.Once
	start time.Time // the write took the background token
	reads uint64    // s.reads then
}

// beginWrite waits (until ctx is done: the error is ctx's) for the server's background token,
// and marks a write that may publish a new state: until end, requests keep the served view
// (see view). Writes run one at a time from here to their end, and with them the coverage
// recompute (on RecomputeWorkers goroutines) and the warm-up of the new answers (one): the
// other cores stay with the readers.
func (s *Server) beginWrite(ctx context.Context) (*write, error) {
	select {
	case s.background <- struct{}{}:
	default:
		select {
		case s.background <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the upload before this one: %w", ctx.Err())
		}
	}
	s.writes.Add(1)
	return &write{s: s, start: time.Now(), reads: s.reads.Load()}, nil
}

// end serves the app's current state, once its view is warmed (advance), and ends the write.
// It is idempotent: call it before answering, and defer it for the failure paths. When the
// map was read during the write, the next write waits (rest): the background token is given
// back later, not the answer.
func (w *write) end() {
	w.once.Do(func() {
		w.s.advance()
		w.s.writes.Add(-1)
		if rest := w.s.rest(time.Since(w.start), w.s.reads.Load() != w.reads); rest > 0 {
			time.AfterFunc(rest, func() { <-w.s.background })
			return
		}
		<-w.s.background
	})
}

// rest is how long the next write waits after one that took took, so that writes (their
// recompute and warm-up, a second or more of CPU each on the demo) take at most
// Limits.WriteDutyPct of the time while people read the map (read: public requests came
// during the write): with uploads queued back to back, readers otherwise share the other
// cores with them all the time. Without readers writes follow each other at once.
func (s *Server) rest(took time.Duration, read bool) time.Duration {
	pct := s.opts.Limits.WriteDutyPct
	if !read || pct < 0 || pct >= 100 {
		return 0
	}
	return min(took*time.Duration(100-pct)/time.Duration(pct), maxWriteRest)
}

// maxWriteRest bounds rest: an upload waits at most this long for the rest of the one before.
const maxWriteRest = 5 * time.Second

// advance makes the view of the app's current state the served one, after filling its cache
// with the answers asked of the served view lately (warmFrom, within RequestTimeout). Called
// by a write's end (one at a time); it returns at once when the state is already served.
func (s *Server) advance() {
	st := s.app.State()
	old := s.cur.Load()
	if old.st == st {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Limits.RequestTimeout)
	defer cancel()
	start := time.Now()
	nv := newView(s.app, st, s.opts.Limits.CacheBytes, s.metrics)
	nv.warmFrom(ctx, old, s.fills)
	s.cur.Store(nv)
	n, bytes := nv.cache.stats()
	s.log.Debug("serving a new data version", slog.Uint64("data_version", nv.version), slog.Int("answers_warmed", n),
		slog.Int64("bytes", bytes), slog.Duration("took", time.Since(start)))
}

// Warm computes the answers the map asks for on its first load (so the first visitor does not
// wait for polygon simplification), then the whole province's gaps of each analysed
// technology (the map's gaps layer, which a planner ticks first: contouring every commune's
// gaps took the first request 0.3–0.7 s on the demo, on a loaded machine). It stops early when ctx is cancelled. The map's
// default layer (the first of warmKeys) is built alone, the other answers after it on every core
// (GOMAXPROCS at once); serve calls it once listening.
func (s *Server) Warm(ctx context.Context) error {
	v := s.view()
	keys := v.warmKeys()
	for _, t := range slices.Backward(data.AnalysedTechs) { // 4G first: the map's default
		keys = append(keys, warmKey{gapsKey(t, "", ""), gapsBuild(t, "", ""), 0})
	}
	return s.warm(ctx, v, keys)
}

// warm builds the answers keys into v's cache: the first alone, then the others GOMAXPROCS at
// once. The first is the map's default layer: on a first start region by region it is rendered
// from every region's pieces (a country's at full detail: gigabytes while it is simplified),
// and an answer built beside it took the other core, and the memory that made the collector run
// without pause, from the first map request waiting for it.
func (s *Server) warm(ctx context.Context, v *view, keys []warmKey) error {
	one := func(ctx context.Context, k warmKey) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := v.cached(s.fills, k.key, k.build); err != nil {
			return fmt.Errorf("server: warming %s: %w", k.key, err)
		}
		return nil
	}
	if len(keys) == 0 {
		return nil
	}
	if err := one(ctx, keys[0]); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, k := range keys[1:] {
		g.Go(func() error { return one(gctx, k) })
	}
	return g.Wait()
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down gracefully (waiting up to
// 10 s for requests in flight). It returns nil after a clean shutdown.
//
// There is no ReadTimeout over a whole request: an upload body may take as long as it keeps
// the minimum rate (see uploads.spool); every other request gets RequestTimeout to send its
// body (wrap), and every answer RequestTimeout (an upload's, UploadTimeout once its body is in)
// plus a margin to be written.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, ln, nil)
}

// ServeTLS is Serve over TLS with cfg (see TLSConfig): HTTPS, with HTTP/2.
func (s *Server) ServeTLS(ctx context.Context, ln net.Listener, cfg *tls.Config) error {
	if cfg == nil {
		return errors.New("server: ServeTLS needs a TLS configuration")
	}
	return s.serve(ctx, ln, cfg)
}

func (s *Server) serve(ctx context.Context, ln net.Listener, cfg *tls.Config) error {
	lim := s.opts.Limits
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         cfg,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		WriteTimeout:      lim.RequestTimeout + writeMargin,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	serve := func() error { return hs.Serve(ln) }
	if cfg != nil {
		serve = func() error { return hs.ServeTLS(ln, "", "") } // the certificate comes from cfg
	}
	return serveUntil(ctx, hs, serve, 10*time.Second, s.log)
}

// newEngine registers the route table on a gin engine with recovery, per-request deadline
// and metrics.
func (s *Server) newEngine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	_ = e.SetTrustedProxies(s.opts.TrustedProxies) // checked in New
	e.HandleMethodNotAllowed = true
	e.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, rec any) {
		s.log.Error("panic serving request", slog.String("path", c.Request.URL.Path),
			slog.Any("panic", rec), slog.String("stack", string(debug.Stack())))
		s.writeError(c, fmt.Errorf("panic: %v", rec))
	}))
	e.Use(s.secure)
	for _, r := range s.routes() {
		h := s.wrap(s.metrics.route(r.method, r.path), r.access, r.handler)
		e.Handle(r.method, r.path, h)
		if r.method == http.MethodGet {
			e.Handle(http.MethodHead, r.path, h) // same headers, no body (send skips it)
		}
	}
	unmatched := s.metrics.route("", "unmatched")
	e.NoRoute(s.wrap(unmatched, public, func(c *gin.Context, _ *view) error {
		return fmt.Errorf("no route %s: %w", c.Request.URL.Path, ErrNotFound)
	}))
	e.NoMethod(s.wrap(unmatched, public, func(c *gin.Context, _ *view) error {
		return &statusError{status: http.StatusMethodNotAllowed, msg: "method " + c.Request.Method + " not allowed on " + c.Request.URL.Path}
	}))
	return e
}

// wrap adapts a handlerFunc: the per-address limit of public routes, request deadline (an
// upload sets its own once its body is in), the view and its data version (X-Data-Version),
// error mapping, metrics and a debug access log.
func (s *Server) wrap(m *routeMetrics, acc access, h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		ctx, cancel := c.Request.Context(), context.CancelFunc(func() {})
		if acc != upload {
			ctx, cancel = context.WithTimeout(ctx, s.opts.Limits.RequestTimeout)
			http.NewResponseController(c.Writer).SetReadDeadline(start.Add(s.opts.Limits.RequestTimeout))
		}
		c.Request = c.Request.WithContext(ctx)
		v := s.view()
		c.Writer.Header()["X-Data-Version"] = v.verHdr
		var err error
		if acc == public {
			s.reads.Add(1)
			if ok, wait := s.anon.allow(clientKey(c.ClientIP())); !ok {
				err = tooManyRequests(c, int(wait.Seconds()), "requests from this address")
			}
		}
		if err == nil {
			err = h(c, v)
		}
		if err != nil {
			s.writeError(c, err)
		}
		cancel()
		d := time.Since(start)
		m.observe(c.Writer.Status(), d)
		if s.log.Enabled(ctx, slog.LevelDebug) {
			s.log.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", c.Request.Method),
				slog.String("path", c.Request.URL.Path), slog.String("query", c.Request.URL.RawQuery),
				slog.Int("status", c.Writer.Status()), slog.Duration("duration", d))
		}
	}
}

// handleMetrics answers a Prometheus scrape (client_golang's promhttp: text or OpenMetrics by
// Accept, gzip by Accept-Encoding).
func (s *Server) handleMetrics(c *gin.Context, _ *view) error {
	c.Header("Cache-Control", "no-store")
	s.metrics.handler.ServeHTTP(c.Writer, c.Request)
	return nil
}

// sendCached sends the answer cached under key in v, building it on first use.
func (s *Server) sendCached(c *gin.Context, v *view, key string, build builder) error {
	b, err := v.cached(s.fills, key, build)
	if err != nil {
		return err
	}
	send(c, b)
	return nil
}
