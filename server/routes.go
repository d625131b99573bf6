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
		{http.MethodGet, "/api/v1/openapi.json", s.handleOpenAPI},
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
		{http.MethodGet, "/api/v1/context", s.handleContext}, // the map's background: roads and water (serve --context)
		{http.MethodGet, "/api/v1/h3", s.handleH3},           // FCC-style hexagons; format=geojson|csv|kml|gpkg

		// Download URLs ending in the format's extension, for GDAL/QGIS (handle_download.go).
		{http.MethodGet, "/api/v1/communes.geojson", s.withExt(outGeoJSON, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/communes.csv", s.withExt(outCSV, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/communes.kml", s.withExt(outKML, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/communes.gpkg", s.withExt(outGPKG, s.withFormat(s.handleCommunes, s.exportCommunes))},
		{http.MethodGet, "/api/v1/gaps.geojson", s.withExt(outGeoJSON, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/gaps.csv", s.withExt(outCSV, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/gaps.kml", s.withExt(outKML, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/gaps.gpkg", s.withExt(outGPKG, s.withFormat(s.handleGaps, s.exportGaps))},
		{http.MethodGet, "/api/v1/coverage.geojson", s.withExt(outGeoJSON, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/coverage.csv", s.withExt(outCSV, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/coverage.kml", s.withExt(outKML, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/coverage.gpkg", s.withExt(outGPKG, s.withFormat(s.handleCoverage, s.exportCoverage))},
		{http.MethodGet, "/api/v1/pockets.geojson", s.withExt(outGeoJSON, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/pockets.csv", s.withExt(outCSV, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/pockets.kml", s.withExt(outKML, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/pockets.gpkg", s.withExt(outGPKG, s.withFormat(s.handlePockets, s.exportPockets))},
		{http.MethodGet, "/api/v1/sites.geojson", s.withExt(outGeoJSON, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/sites.csv", s.withExt(outCSV, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/sites.kml", s.withExt(outKML, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/sites.gpkg", s.withExt(outGPKG, s.handleSitesDownload)},
		{http.MethodGet, "/api/v1/h3.geojson", s.withExt(outGeoJSON, s.handleH3)},
		{http.MethodGet, "/api/v1/h3.csv", s.withExt(outCSV, s.handleH3)},
		{http.MethodGet, "/api/v1/h3.gpkg", s.withExt(outGPKG, s.handleH3)},
		{http.MethodGet, "/api/v1/fibre.csv", s.withExt(outCSV, s.handleFibreDownload)},
		{http.MethodGet, "/api/v1/fibre.kml", s.withExt(outKML, s.handleFibreDownload)},
		{http.MethodGet, "/api/v1/fibre.gpkg", s.withExt(outGPKG, s.handleFibreDownload)},

		// OGC API – Features – Part 1: Core (handle_ogc.go).
		{http.MethodGet, ogcPrefix, s.handleOGCLanding},
		{http.MethodGet, ogcPrefix + "/conformance", s.handleOGCConformance},
		{http.MethodGet, ogcPrefix + "/collections", s.handleOGCCollections},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId", s.handleOGCCollection},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items", s.handleOGCItems},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items/*featureId", s.handleOGCItem},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.geojson", s.withExt(outGeoJSON, s.handleCollectionDownload)},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.csv", s.withExt(outCSV, s.handleCollectionDownload)},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.kml", s.withExt(outKML, s.handleCollectionDownload)},
		{http.MethodGet, ogcPrefix + "/collections/:collectionId/items.gpkg", s.withExt(outGPKG, s.handleCollectionDownload)},

		// Vector tiles of every collection, and their TileJSON (handle_tiles.go).
		{http.MethodGet, "/tiles/:collection", s.handleTileJSON},
		{http.MethodGet, "/tiles/:collection/:z/:x/:y", s.handleTile},

		// Carriers' uploads and the audit trail (bearer token; see auth.go).
		{http.MethodGet, "/upload", s.handleUploadPage},
		{http.MethodGet, "/api/v1/token", s.handleWhoami},
		{http.MethodPost, "/api/v1/carriers/:carrier/sites", s.handleUploadSites},
		{http.MethodPost, "/api/v1/operators/:operator/fibre", s.handleUploadFibre},
		{http.MethodGet, "/api/v1/uploads", s.handleUploads},
		{http.MethodGet, "/api/v1/uploads/:id", s.handleUpload},
		{http.MethodGet, "/api/v1/uploads/:id/diff", s.handleUploadDiff},
		{http.MethodPost, "/api/v1/uploads/:id/rollback", s.handleRollback}, // restore the list as it was right after upload :id
		{http.MethodPost, "/api/v1/uploads/:id/undo", s.handleUndo},         // restore the list as it was right before upload :id
		{http.MethodGet, "/api/v1/admin/tokens", s.handleListTokens},
		{http.MethodPost, "/api/v1/admin/tokens", s.handleCreateToken},
		{http.MethodDelete, "/api/v1/admin/tokens/:id", s.handleRevokeToken},

		// Measurements against predictions, calibration, "no signal here" reports.
		{http.MethodPost, "/api/v1/measurements", s.handleUploadMeasurements}, // token; carrier=, dry_run=
		{http.MethodGet, "/api/v1/measurements", s.handleMeasurements},        // the map's squares
		{http.MethodGet, "/api/v1/measurements/stats", s.handleMeasurementStats},
		{http.MethodGet, "/api/v1/measurements/uploads", s.handleMeasurementUploads},          // token
		{http.MethodDelete, "/api/v1/measurements/uploads/:id", s.handleWithdrawMeasurements}, // token
		{http.MethodGet, "/api/v1/calibration", s.handleCalibration},                          // the served definition's
		{http.MethodGet, "/api/v1/admin/calibrations", s.handleListCalibrations},              // admin
		{http.MethodPost, "/api/v1/admin/calibrations", s.handleCalibrate},                    // admin: fit now
		{http.MethodPut, "/api/v1/admin/definition", s.handleServeDefinition},                 // admin: serve one
		{http.MethodPost, "/api/v1/reports", s.handleSignalReport},                            // anyone, rate-limited
		{http.MethodGet, "/api/v1/disputes", s.handleDisputes},                                // disputed cells
		{http.MethodGet, "/api/v1/carriers/:carrier/disputes", s.handleReviewQueue},           // token
		{http.MethodPut, "/api/v1/carriers/:carrier/disputes/:tech/:cell", s.handleReview},    // token
	}
}
