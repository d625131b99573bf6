package server

import (
	"github.com/gin-gonic/gin"

	"phusong/data/persist"
)

// Operators upload their fibre networks through the same pipeline as station lists: the same
// tokens (a carrier token for X writes operator X's fibre; the cable-TV operator has tokens of
// its own, carrier "tvcable"), limits, all-or-nothing validation, dry run with impact, one
// version per upload in the database, audit trail and rollback.

// handleUploadFibre is POST /api/v1/operators/{operator}/fibre?mode=&dry_run=: an operator's
// routes and access points as GeoJSON (optionally gzip), validated all-or-nothing (422 naming
// the feature and property), previewed (dry run: the per-commune reach before → after) or
// committed as a new version and served at once. mode=delete removes the file's routes and
// access points (matched by route_id and id; the file is validated as a whole).
func (s *Server) handleUploadFibre(c *gin.Context, _ *view) error {
	return s.handleListUpload(c, persist.FibreKind().Name, "operator")
}
