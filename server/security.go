package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// Browser security: every answer (pages, assets, API, errors, 404s) carries the same headers,
// and read routes may be opened to other origins (CORS) by configuration.
//
//   - Content-Security-Policy: the pages load scripts, styles, data and fonts from their own
//     origin only, with no inline script or style element (server/browser_csp_test.go walks
//     both pages under this very policy); images also from data: URLs (Leaflet blanks dropped
//     tiles with one) and the base-map tiles' origin; no plugins; no <base> or form posts
//     elsewhere; no framing (frame-ancestors 'none', and X-Frame-Options DENY for old browsers).
//   - X-Content-Type-Options: nosniff: a CSV or GeoJSON download is never run as a script.
//   - Referrer-Policy: strict-origin-when-cross-origin: another origin (the tile server) learns
//     the map's origin only, never its path or query; tile servers such as OpenStreetMap's ask
//     for a Referer.
//   - Permissions-Policy: geolocation for this origin only ("Here"), no camera or microphone.
//   - Strict-Transport-Security only over TLS, and only when configured (Options.HSTSMaxAge):
//     with a self-signed certificate on a LAN it would make the browser's warning unskippable.

// securityHeaders are the header values set on every answer, computed once.
type securityHeaders struct {
	csp, hsts   []string
	corsOrigins []string // "*" or exact origins (scheme://host[:port]); empty: no CORS
}

// privatePrefixes are the paths of routes that ask for a token or are for operators: they
// never answer CORS, whatever the configuration (and no preflight ever allows an
// Authorization header, so a page of another origin cannot send a token anyway).
var privatePrefixes = []string{"/api/v1/token", "/api/v1/uploads", "/api/v1/measurements/uploads", "/api/v1/admin", "/api/v1/carriers/", "/api/v1/scenarios",
	"/api/v1/operators/", "/upload", "/metrics"}

// corsAllowHeaders are the request headers a cross-origin read may send beyond the
// CORS-safelisted ones: conditional and range requests.
const corsAllowHeaders = "If-None-Match, If-Modified-Since, Range"

// corsExposeHeaders are the answer headers a cross-origin script may read.
const corsExposeHeaders = "ETag, Content-Length, Content-Disposition, Content-Range, Accept-Ranges, Link"

// newSecurityHeaders prepares the headers of opts.
func newSecurityHeaders(opts Options) securityHeaders {
	img := "'self' data:"
	if o := tileOrigin(opts.TilesURL); o != "" {
		img += " " + o
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
	h := securityHeaders{csp: []string{csp}, corsOrigins: opts.CORSOrigins}
	if opts.HSTSMaxAge > 0 {
		h.hsts = []string{"max-age=" + strconv.FormatInt(int64(opts.HSTSMaxAge/time.Second), 10)}
	}
	return h
}

// tileOrigin is the CSP source of a tile URL template's origin: "https://tiles.example.org",
// "https://*.tile.openstreetmap.org" for a {s} subdomain; "" when there is no template or it
// has no usable host.
func tileOrigin(template string) string {
	if template == "" {
		return ""
	}
	u, err := url.Parse(strings.ReplaceAll(template, "{s}", "placeholder-s"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := strings.Replace(u.Host, "placeholder-s", "*", 1)
	if strings.ContainsAny(host, "{}") || (strings.Contains(host, "*") && !strings.HasPrefix(host, "*.")) {
		return u.Scheme + ":" // a template in another part of the host: the scheme is all CSP can say
	}
	return u.Scheme + "://" + host
}

var (
	hdrNosniff     = []string{"nosniff"}
	hdrDeny        = []string{"DENY"}
	hdrReferrer    = []string{"strict-origin-when-cross-origin"}
	hdrPermissions = []string{"geolocation=(self), camera=(), microphone=()"}
	hdrAnyOrigin   = []string{"*"}
	hdrExpose      = []string{corsExposeHeaders}
)

// secure is the middleware setting the security headers, and CORS on public read routes; it
// answers CORS preflight requests itself.
func (s *Server) secure(c *gin.Context) {
	h := c.Writer.Header()
	h["Content-Security-Policy"] = s.sec.csp
	h["X-Content-Type-Options"] = hdrNosniff
	h["X-Frame-Options"] = hdrDeny
	h["Referrer-Policy"] = hdrReferrer
	h["Permissions-Policy"] = hdrPermissions
	if c.Request.TLS != nil && s.sec.hsts != nil {
		h["Strict-Transport-Security"] = s.sec.hsts
	}
	origin := c.Request.Header.Get("Origin")
	if origin == "" || len(s.sec.corsOrigins) == 0 || !corsRoute(c.Request.URL.Path) {
		return
	}
	allowed := s.sec.corsOrigin(origin)
	if allowed == nil {
		return
	}
	// Only reads cross origins: a preflight for any other method (POST /api/v1/measurements
	// shares its path with the public GET) is answered without CORS, so the browser refuses it.
	reqMethod := c.Request.Header.Get("Access-Control-Request-Method")
	preflight := c.Request.Method == http.MethodOptions && reqMethod != ""
	switch {
	case c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead:
	case preflight && (reqMethod == http.MethodGet || reqMethod == http.MethodHead):
	default:
		return
	}
	h["Access-Control-Allow-Origin"] = allowed
	if allowed[0] != "*" {
		h.Add("Vary", "Origin")
	}
	if !preflight {
		h["Access-Control-Expose-Headers"] = hdrExpose
		return
	}
	h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", "86400")
	c.AbortWithStatus(http.StatusNoContent)
}

// corsOrigin is the Access-Control-Allow-Origin value for a request from origin, nil when
// origin may not read.
func (h securityHeaders) corsOrigin(origin string) []string {
	if slices.Contains(h.corsOrigins, "*") {
		return hdrAnyOrigin
	}
	if slices.Contains(h.corsOrigins, origin) {
		return []string{origin}
	}
	return nil
}

// checkOrigins validates CORS origins: "*" or scheme://host[:port] with no path.
func checkOrigins(origins []string) error {
	for _, o := range origins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("server: CORS origin %q: want * or scheme://host[:port], e.g. https://gis.example.org", o)
		}
	}
	return nil
}

// checkProxies validates trusted proxies: IP addresses or CIDRs.
func checkProxies(proxies []string) error {
	for _, p := range proxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("server: trusted proxy %q: want an IP address or a CIDR such as 10.0.0.0/8", p)
		}
	}
	return nil
}

// corsRoute reports whether path is a public read route (not a token's or an operator's).
func corsRoute(path string) bool {
	for _, p := range privatePrefixes {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return true
}
