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
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/sync/errgroup"

	"phusong/server/app"
	"phusong/static"
)

// Options configures a Server. Zero values are usable.
type Options struct {
	Logger           *slog.Logger  // nil: discard
	TilesURL         string        // base-map tile URL template ({z}/{x}/{y}); "" = plain background (works offline)
	TilesAttribution string        // HTML attribution for TilesURL
	Assets           fs.FS         // web map files; nil = the embedded static.FS()
	RequestTimeout   time.Duration // deadline put on each request's context; 0 = 15 s
	Uploads          UploadOptions // upload size and rate limits
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
	cur     atomic.Pointer[view] // the view of the app's current state (see view)
	assets  map[string]*body
	metrics *metrics
	engine  *gin.Engine
	up      *uploads // nil when the app has no database
	build   app.BuildInfo
	sec     securityHeaders
	reports *reportLimits // nil when the app has no database
	context *body         // /api/v1/context; nil without Options.Context
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
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 15 * time.Second
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
	s := &Server{log: opts.Logger, opts: opts, app: a, assets: assets, build: app.ReadBuildInfo()}
	s.metrics = newMetrics(s.build, s.view, a.Publishes)
	s.sec = newSecurityHeaders(opts)
	if opts.Context != nil {
		if s.context, err = jsonBody(ctGeoJSON, opts.Context); err != nil {
			return nil, fmt.Errorf("server: context layer: %w", err)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
		s.opts.Now = time.Now
	}
	if a.Writable() {
		s.up = newUploads(opts.Uploads)
		s.reports = newReportLimits(opts.Reports, opts.Now)
	}
	s.engine = s.newEngine()
	return s, nil
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler { return s.engine }

// App returns the application the server answers from.
func (s *Server) App() *app.App { return s.app }

// view returns the view of the app's current state, making it on the first request after a
// state is published: requests already running finish on the old view, the next ones use the
// new one (and its fresh response cache, hence new ETags).
func (s *Server) view() *view {
	st := s.app.State()
	if v := s.cur.Load(); v != nil && v.st == st {
		return v
	}
	v := newView(st)
	s.cur.Store(v) // a request racing with an older state may store its view over this one: the next request rebuilds it
	return v
}

// Warm computes the answers the map asks for on its first load (so the first visitor does not
// wait for polygon simplification). It stops early when ctx is cancelled.
// The answers are built on every core (GOMAXPROCS at once).
func (s *Server) Warm(ctx context.Context) error {
	v := s.view()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, k := range v.warmKeys() {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if _, err := v.cached(s.metrics, k.key, k.build); err != nil {
				return fmt.Errorf("server: warming %s: %w", k.key, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down gracefully (waiting up to
// 10 s for requests in flight). It returns nil after a clean shutdown.
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
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.opts.RequestTimeout + 15*time.Second,
		IdleTimeout:       120 * time.Second,
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
		h := s.wrap(s.metrics.route(r.method, r.path), r.handler)
		e.Handle(r.method, r.path, h)
		if r.method == http.MethodGet {
			e.Handle(http.MethodHead, r.path, h) // same headers, no body (send skips it)
		}
	}
	unmatched := s.metrics.route("", "unmatched")
	e.NoRoute(s.wrap(unmatched, func(c *gin.Context, _ *view) error {
		return fmt.Errorf("no route %s: %w", c.Request.URL.Path, ErrNotFound)
	}))
	e.NoMethod(s.wrap(unmatched, func(c *gin.Context, _ *view) error {
		return &statusError{status: http.StatusMethodNotAllowed, msg: "method " + c.Request.Method + " not allowed on " + c.Request.URL.Path}
	}))
	return e
}

// wrap adapts a handlerFunc: request deadline, the current view, error mapping, metrics and
// a debug access log.
func (s *Server) wrap(m *routeMetrics, h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RequestTimeout)
		c.Request = c.Request.WithContext(ctx)
		if err := h(c, s.view()); err != nil {
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
func (s *Server) sendCached(c *gin.Context, v *view, key string, build func() (*body, error)) error {
	b, err := v.cached(s.metrics, key, build)
	if err != nil {
		return err
	}
	send(c, b)
	return nil
}
