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
		{http.MethodGet, "/api/v1/openapi.json", public, s.handleOpenAPI},
		{http.MethodGet, "/api/v1/carriers", public, s.handleCarriers},
		{http.MethodGet, "/api/v1/sites", public, s.handleSites},
		{http.MethodGet, "/api/v1/sites/:carrier/:site_id", public, s.handleSite},
		{http.MethodGet, "/api/v1/coverage", public, s.withFormat(s.handleCoverage, s.exportCoverage)}, // format=geojson|kml|csv
		{http.MethodGet, "/api/v1/communes", public, s.withFormat(s.handleCommunes, s.exportCommunes)},
		{http.MethodGet, "/api/v1/communes/:code", public, s.handleCommune},
		{http.MethodGet, "/api/v1/provinces", public, s.handleProvinces},
		{http.MethodGet, "/api/v1/gaps", public, s.withFormat(s.handleGaps, s.exportGaps)},
		{http.MethodGet, "/api/v1/pockets", public, s.withFormat(s.handlePockets, s.exportPockets)},
		{http.MethodGet, "/api/v1/population", public, s.handlePopulation},
		{http.MethodGet, "/api/v1/population.png", public, s.handlePopulationPNG},
		{http.MethodGet, "/api/v1/signal", public, s.handleSignal},
		{http.MethodGet, "/api/v1/report.csv", public, s.handleReportCSV},
		{http.MethodGet, "/api/v1/fibre", public, s.handleFibre},
		{http.MethodGet, "/api/v1/fibre/reach", public, s.handleFibreReach},
		{http.MethodGet, "/api/v1/combined", public, s.handleCombined},
		{http.MethodGet, "/api/v1/context", public, s.handleContext}, // the map's background: roads and water (serve --context)
		{http.MethodGet, "/api/v1/h3", public, s.handleH3},           // FCC-style hexagons; format=geojson|csv|kml|gpkg

		// Download URLs ending in the format's extension, for GDAL/QGIS (handle_download.go).
		{http.MethodGet, "/api/v1/communes.geojson", public, s.withExt(outGeoJSON, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/communes.csv", public, s.withExt(outCSV, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/communes.kml", public, s.withExt(outKML, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/communes.gpkg", public, s.withExt(outGPKG, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/gaps.geojson", public, s.withExt(outGeoJSON, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/gaps.csv", public, s.withExt(outCSV, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/gaps.kml", public, s.withExt(outKML, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/gaps.gpkg", public, s.withExt(outGPKG, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/coverage.geojson", public, s.withExt(outGeoJSON, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/coverage.csv", public, s.withExt(outCSV, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/coverage.kml", public, s.withExt(outKML, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/coverage.gpkg", public, s.withExt(outGPKG, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/pockets.geojson", public, s.withExt(outGeoJSON, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/pockets.csv", public, s.withExt(outCSV, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/pockets.kml", public, s.withExt(outKML, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/pockets.gpkg", public, s.withExt(outGPKG, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/sites.geojson", public, s.withExt(outGeoJSON, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/sites.csv", public, s.withExt(outCSV, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/sites.kml", public, s.withExt(outKML, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/sites.gpkg", public, s.withExt(outGPKG, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/h3.geojson", public, s.withExt(outGeoJSON, s.handleH3)},
		{http.MethodGet, "/api/v1/h3.csv", public, s.withExt(outCSV, s.handleH3)},
		{http.MethodGet, "/api/v1/h3.kml", public, s.withExt(outKML, s.handleH3)},
		{http.MethodGet, "/api/v1/h3.gpkg", public, s.withExt(outGPKG, s.handleH3)},
		{http.MethodGet, "/api/v1/fibre.csv", public, s.withExt(outCSV, s.handleFibreDownload)},
		{http.MethodGet, "/api/v1/fibre.kml", public, s.withExt(outKML, s.handleFibreDownload)},
		{http.MethodGet, "/api/v1/fibre.gpkg", public, s.withExt(outGPKG, s.handleFibreDownload)},

		// OGC API – Features – Part 1: Core (handle_ogc.go).
		{http.MethodGet, ogcPrefix, public, s.handleOGCLanding},
		{http.MethodGet, ogcPrefix + "/conformance", public, s.handleOGCConformance},
		{http.MethodGet, ogcPrefix + "/collections", public, s.handleOGCCollections},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId", public, s.handleOGCCollection},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items", public, s.handleOGCItems},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items/*featureId", public, s.handleOGCItem},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.geojson", public, s.withExt(outGeoJSON, s.handleCollectionDownload)},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.csv", public, s.withExt(outCSV, s.handleCollectionDownload)},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.kml", public, s.withExt(outKML, s.handleCollectionDownload)},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.gpkg", public, s.withExt(outGPKG, s.handleCollectionDownload)},

		// Vector tiles of every collection, and their TileJSON (handle_tiles.go).
		{http.MethodGet, "/tiles/:collection", public, s.handleTileJSON},
		{http.MethodGet, "/tiles/:collection/:z/:x/:y", public, s.handleTile},

		// Carriers' uploads and the audit trail (bearer token; see auth.go).
		{http.MethodGet, "/upload", public, s.handleUploadPage},
		{http.MethodGet, "/api/v1/token", token, s.handleWhoami},
		{http.MethodPost, "/api/v1/carriers/:carrier/sites", upload, s.handleUploadSites},
		{http.MethodPost, "/api/v1/operators/:operator/fibre", upload, s.handleUploadFibre},
		{http.MethodGet, "/api/v1/uploads", token, s.handleUploads},
		{http.MethodGet, "/api/v1/uploads/:id", token, s.handleUpload},
		{http.MethodGet, "/api/v1/uploads/:id/diff", token, s.handleUploadDiff},
		{http.MethodPost, "/api/v1/uploads/:id/rollback", token, s.handleRollback}, // restore the list as it was right after upload :id
		{http.MethodPost, "/api/v1/uploads/:id/undo", token, s.handleUndo},         // restore the list as it was right before upload :id
		{http.MethodGet, "/api/v1/admin/tokens", token, s.handleListTokens},
		{http.MethodPost, "/api/v1/admin/tokens", token, s.handleCreateToken},
		{http.MethodDelete, "/api/v1/admin/tokens/:id", token, s.handleRevokeToken},

		// Measurements against predictions, calibration, "no signal here" reports.
		{http.MethodPost, "/api/v1/measurements", upload, s.handleUploadMeasurements}, // token; carrier=, dry_run=
		{http.MethodGet, "/api/v1/measurements", public, s.handleMeasurements},        // the map's squares
		{http.MethodGet, "/api/v1/measurements/stats", public, s.handleMeasurementStats},
		{http.MethodGet, "/api/v1/measurements/uploads", token, s.handleMeasurementUploads},          // token
		{http.MethodDelete, "/api/v1/measurements/uploads/:id", token, s.handleWithdrawMeasurements}, // token
		{http.MethodGet, "/api/v1/calibration", public, s.handleCalibration},                         // the served definition's
		{http.MethodGet, "/api/v1/admin/calibrations", token, s.handleListCalibrations},              // admin
		{http.MethodPost, "/api/v1/admin/calibrations", token, s.handleCalibrate},                    // admin: fit now
		{http.MethodPut, "/api/v1/admin/definition", token, s.handleServeDefinition},                 // admin: serve one
		{http.MethodPost, "/api/v1/reports", public, s.handleSignalReport},                           // anyone, rate-limited
		{http.MethodGet, "/api/v1/disputes", public, s.handleDisputes},                               // disputed cells
		{http.MethodGet, "/api/v1/carriers/:carrier/disputes", token, s.handleReviewQueue},           // token
		{http.MethodPut, "/api/v1/carriers/:carrier/disputes/:tech/:cell", token, s.handleReview},    // token

		// Planning (planner and carrier tokens): what-if scenarios and site suggestions.
		{http.MethodGet, "/api/v1/scenarios", token, s.handleScenarios},
		{http.MethodPost, "/api/v1/scenarios", token, s.handleCreateScenario},
		{http.MethodGet, "/api/v1/scenarios/:id", token, s.handleScenario},
		{http.MethodPatch, "/api/v1/scenarios/:id", token, s.handleUpdateScenario},
		{http.MethodDelete, "/api/v1/scenarios/:id", token, s.handleDeleteScenario},
		{http.MethodPost, "/api/v1/scenarios/:id/rebase", token, s.handleRebaseScenario},
		{http.MethodGet, "/api/v1/scenarios/:id/result", token, s.handleScenarioResult},
		{http.MethodGet, "/api/v1/scenarios/:id/changes", token, s.handleScenarioChanges},
		{http.MethodGet, "/api/v1/scenarios/:id/export.csv", token, s.handleScenarioExport},
		{http.MethodPost, "/api/v1/scenarios/:id/suggestions", token, s.handleStartSuggestion},
		{http.MethodGet, "/api/v1/scenarios/:id/suggestions/:job", token, s.handleSuggestion},
		{http.MethodDelete, "/api/v1/scenarios/:id/suggestions/:job", token, s.handleCancelSuggestion},
	}
}
