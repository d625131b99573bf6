package server

import "net/http"

// route is one line of the route table.
type route struct {
	method  string
	path    string
	handler handlerFunc
}

// routes is the whole HTTP surface in one table. Handlers are thin: parse parameters, read
// the view, encode (through the view's response cache where the answer depends only on the
// data version and validated parameters).
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/", s.handleIndex},
		{http.MethodGet, "/assets/*path", s.handleAsset},
		{http.MethodGet, "/healthz", s.handleHealthz},
		{http.MethodGet, "/metrics", s.handleMetrics},

		{http.MethodGet, "/api/v1/info", s.handleInfo},
		{http.MethodGet, "/api/v1/carriers", s.handleCarriers},
		{http.MethodGet, "/api/v1/sites", s.handleSites},
		{http.MethodGet, "/api/v1/sites/:carrier/:site_id", s.handleSite},
		{http.MethodGet, "/api/v1/coverage", s.withFormat(s.handleCoverage, s.exportCoverage)}, // format=geojson|kml|csv
		{http.MethodGet, "/api/v1/communes", s.withFormat(s.handleCommunes, s.exportCommunes)},
		{http.MethodGet, "/api/v1/communes/:code", s.handleCommune},
		{http.MethodGet, "/api/v1/gaps", s.withFormat(s.handleGaps, s.exportGaps)},
		{http.MethodGet, "/api/v1/pockets", s.withFormat(s.handlePockets, s.exportPockets)},
		{http.MethodGet, "/api/v1/population", s.handlePopulation},
		{http.MethodGet, "/api/v1/population.png", s.handlePopulationPNG},
		{http.MethodGet, "/api/v1/signal", s.handleSignal},
		{http.MethodGet, "/api/v1/report.csv", s.handleReportCSV},
		{http.MethodGet, "/api/v1/fibre", s.handleFibre},
		{http.MethodGet, "/api/v1/fibre/reach", s.handleFibreReach},
		{http.MethodGet, "/api/v1/combined", s.handleCombined},

		// Carriers' uploads and the audit trail (bearer token; see auth.go).
		{http.MethodGet, "/upload", s.handleUploadPage},
		{http.MethodGet, "/api/v1/token", s.handleWhoami},
		{http.MethodPost, "/api/v1/carriers/:carrier/sites", s.handleUploadSites},
		{http.MethodPost, "/api/v1/operators/:operator/fibre", s.handleUploadFibre},
		{http.MethodGet, "/api/v1/uploads", s.handleUploads},
		{http.MethodGet, "/api/v1/uploads/:id", s.handleUpload},
		{http.MethodGet, "/api/v1/uploads/:id/diff", s.handleUploadDiff},
		{http.MethodPost, "/api/v1/uploads/:id/rollback", s.handleRollback},
		{http.MethodGet, "/api/v1/admin/tokens", s.handleListTokens},

		// Planning (planner and carrier tokens): what-if scenarios and site suggestions.
		{http.MethodGet, "/api/v1/scenarios", s.handleScenarios},
		{http.MethodPost, "/api/v1/scenarios", s.handleCreateScenario},
		{http.MethodGet, "/api/v1/scenarios/:id", s.handleScenario},
		{http.MethodPatch, "/api/v1/scenarios/:id", s.handleUpdateScenario},
		{http.MethodDelete, "/api/v1/scenarios/:id", s.handleDeleteScenario},
		{http.MethodPost, "/api/v1/scenarios/:id/rebase", s.handleRebaseScenario},
		{http.MethodGet, "/api/v1/scenarios/:id/result", s.handleScenarioResult},
		{http.MethodGet, "/api/v1/scenarios/:id/changes", s.handleScenarioChanges},
		{http.MethodGet, "/api/v1/scenarios/:id/export.csv", s.handleScenarioExport},
		{http.MethodPost, "/api/v1/scenarios/:id/suggestions", s.handleStartSuggestion},
		{http.MethodGet, "/api/v1/scenarios/:id/suggestions/:job", s.handleSuggestion},
		{http.MethodDelete, "/api/v1/scenarios/:id/suggestions/:job", s.handleCancelSuggestion},
		{http.MethodPost, "/api/v1/admin/tokens", s.handleCreateToken},
		{http.MethodDelete, "/api/v1/admin/tokens/:id", s.handleRevokeToken},
	}
}
