package server

import "net/http"

// access says who may call a route and how its request is bounded.
type access int

const (
	// public routes need no token; each client address has AnonRatePerMinute of them.
	public access = iota
	// token routes authenticate with a bearer token (its own rate, and the bad-token limit).
	token
	// upload routes are token routes whose body may take long to arrive: no deadline until it
	// is in (the minimum rate bounds it), then UploadTimeout.
	upload
)

// route is one line of the route table.
type route struct {
	method  string
	path    string
	access  access
	handler handlerFunc
}

// routes is the whole HTTP surface in one table. Handlers are thin: parse parameters, read
// the view, encode (through the view's response cache where the answer depends only on the
// data version and validated parameters).
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/", public, s.handleIndex},
		{http.MethodGet, "/assets/*path", public, s.handleAsset},
		{http.MethodGet, "/healthz", public, s.handleHealthz},
		{http.MethodGet, "/metrics", public, s.handleMetrics},

		{http.MethodGet, "/api/v1/info", public, s.handleInfo},
		{http.MethodGet, "/api/v1/carriers", public, s.handleCarriers},
		{http.MethodGet, "/api/v1/sites", public, s.handleSites},
		{http.MethodGet, "/api/v1/sites/:carrier/:site_id", public, s.handleSite},
		{http.MethodGet, "/api/v1/coverage", public, s.withFormat(s.handleCoverage, s.exportCoverage)}, // format=geojson|kml|csv
		{http.MethodGet, "/api/v1/communes", public, s.withFormat(s.handleCommunes, s.exportCommunes)},
		{http.MethodGet, "/api/v1/communes/:code", public, s.handleCommune},
		{http.MethodGet, "/api/v1/gaps", public, s.withFormat(s.handleGaps, s.exportGaps)},
		{http.MethodGet, "/api/v1/signal", public, s.handleSignal},
		{http.MethodGet, "/api/v1/report.csv", public, s.handleReportCSV},
		{http.MethodGet, "/api/v1/fibre", public, s.handleFibre},
		{http.MethodGet, "/api/v1/fibre/reach", public, s.handleFibreReach},
		{http.MethodGet, "/api/v1/combined", public, s.handleCombined},

		// Carriers' uploads and the audit trail (bearer token; see auth.go).
		{http.MethodGet, "/upload", public, s.handleUploadPage},
		{http.MethodGet, "/api/v1/token", token, s.handleWhoami},
		{http.MethodPost, "/api/v1/carriers/:carrier/sites", upload, s.handleUploadSites},
		{http.MethodPost, "/api/v1/operators/:operator/fibre", upload, s.handleUploadFibre},
		{http.MethodGet, "/api/v1/uploads", token, s.handleUploads},
		{http.MethodGet, "/api/v1/uploads/:id", token, s.handleUpload},
		{http.MethodGet, "/api/v1/uploads/:id/diff", token, s.handleUploadDiff},
		{http.MethodPost, "/api/v1/uploads/:id/rollback", token, s.handleRollback},
		{http.MethodGet, "/api/v1/admin/tokens", token, s.handleListTokens},
		{http.MethodPost, "/api/v1/admin/tokens", token, s.handleCreateToken},
		{http.MethodDelete, "/api/v1/admin/tokens/:id", token, s.handleRevokeToken},
	}
}
