package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// DebugHandler answers the runtime's profiles (net/http/pprof) under /debug/pprof/: heap,
// allocs, goroutine, block, mutex, profile (CPU) and trace. It is never part of Handler: serve
// it on a separate, private listener (ServeDebug; `serve --pprof-addr 127.0.0.1:6060`), as
// profiles show the process's internals and a CPU profile or trace costs CPU while it runs.
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // the named profiles: heap, allocs, block, mutex, goroutine …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ServeDebug answers DebugHandler on ln until ctx is cancelled. Profiles and traces may take
// as long as their seconds= parameter asks (no write timeout).
func ServeDebug(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	hs := &http.Server{Handler: DebugHandler(), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return serveUntil(ctx, hs, func() error { return hs.Serve(ln) }, time.Second, log)
}
