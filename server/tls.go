package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// HTTPS. A phone's browser gives a page its position ("Here") only on a secure origin, so a
// server reached over the network must answer HTTPS: either itself (serve --tls-cert
// --tls-key, below) or behind a reverse proxy that terminates TLS (docs/deploy.md).

// TLSConfig returns the TLS configuration for the PEM certificate chain in certFile and its
// private key in keyFile: TLS 1.2 or later, HTTP/2 and HTTP/1.1. The pair is read now (an
// error if it does not load or match) and again at the first handshake after either file
// changes, so a renewed certificate (certbot, an ACME client, a copy by hand) is served
// without a restart; while a changed pair does not load (one file written, not yet the other)
// the previous one is kept and the failure logged.
func TLSConfig(certFile, keyFile string, log *slog.Logger) (*tls.Config, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: r.get,
	}, nil
}

// certReloader holds the served certificate and reloads it when its files change.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	certMod time.Time // modification times of the files last loaded
	keyMod  time.Time
	failed  [2]time.Time // the modification times of the last pair that failed to load
}

// stamps returns the files' modification times.
func (r *certReloader) stamps() (certMod, keyMod time.Time, err error) {
	ci, err := os.Stat(r.certFile)
	if err != nil {
		return certMod, keyMod, err
	}
	ki, err := os.Stat(r.keyFile)
	if err != nil {
		return certMod, keyMod, err
	}
	return ci.ModTime(), ki.ModTime(), nil
}

// load reads the pair; the caller holds r.mu or has not shared r yet.
func (r *certReloader) load() error {
	cm, km, err := r.stamps()
	if err != nil {
		return fmt.Errorf("server: TLS certificate: %w", err)
	}
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.failed = [2]time.Time{cm, km}
		return fmt.Errorf("server: TLS certificate %s, key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.certMod, r.keyMod = &c, cm, km
	return nil
}

// get implements tls.Config.GetCertificate.
func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cm, km, err := r.stamps()
	changed := err == nil && (!cm.Equal(r.certMod) || !km.Equal(r.keyMod))
	if changed && r.failed != [2]time.Time{cm, km} {
		if err := r.load(); err != nil {
			r.log.Warn("TLS certificate changed but does not load; serving the previous one", slog.String("err", err.Error()))
		} else {
			r.log.Info("TLS certificate reloaded", slog.String("cert", r.certFile))
		}
	}
	return r.cert, nil
}

// RedirectHandler answers plain HTTP by sending browsers to the same host and path over HTTPS
// on httpsPort ("" or "443": the default port): 308 for GET and HEAD; other methods get 400 and
// are not followed, so that a client which sent a token in the clear notices (and rotates it)
// instead of succeeding silently.
func RedirectHandler(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || len(host) > 255 {
			http.Error(w, "no Host header: use https", http.StatusBadRequest)
			return
		}
		if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			host = "[" + host + "]"
		}
		if httpsPort != "" && httpsPort != "443" {
			host += ":" + httpsPort
		}
		target := "https://" + host + r.URL.RequestURI()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "this port only redirects to HTTPS; send the request to "+target+" (and if it carried a token, revoke it: it went unencrypted)", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, target, http.StatusPermanentRedirect)
	})
}

// ServeRedirect answers plain HTTP on ln with RedirectHandler(httpsPort) until ctx is
// cancelled, then shuts down gracefully.
func ServeRedirect(ctx context.Context, ln net.Listener, httpsPort string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hs := &http.Server{
		Handler:           RedirectHandler(httpsPort),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return serveUntil(ctx, hs, func() error { return hs.Serve(ln) }, 5*time.Second, log.With(slog.String("listener", "redirect")))
}

// serveUntil runs serve (hs.Serve or hs.ServeTLS) until it fails or ctx is cancelled, then
// shuts hs down, waiting up to grace for requests in flight. It returns nil after a clean
// shutdown.
func serveUntil(ctx context.Context, hs *http.Server, serve func() error, grace time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
