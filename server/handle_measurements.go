package server

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/data/measure"
	"phusong/server/app"
)

// Measurements: carriers (their own network) and admins (any) upload drive tests; anyone sees
// them compared with the predictions, in aggregate: statistics and a layer of squares (never the
// samples themselves).

// importTimeout bounds a measurement import (or withdrawal) over HTTP, past the request deadline
// (Options.RequestTimeout): a file at the upload limit (100 MB decoded, about a million samples)
// takes about 7 s of CPU to parse, validate and store (bench/measure), several times that in wall
// time on a loaded machine. The import is one transaction: a client that goes away while the body
// is read stores nothing.
const importTimeout = 10 * time.Minute

// longRequest is the context of a measurement import or withdrawal: importTimeout from now, past
// the request's deadline, with the connection's read (the body) and write (the answer) deadlines
// extended to match.
func (s *Server) longRequest(c *gin.Context) (context.Context, context.CancelFunc) {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(importTimeout)) // not every writer supports it (tests' recorders)
	_ = rc.SetWriteDeadline(time.Now().Add(importTimeout + 15*time.Second))
	return context.WithTimeout(context.WithoutCancel(c.Request.Context()), importTimeout)
}

// handleUploadMeasurements is POST /api/v1/measurements?carrier=&dry_run=&file_name=: a CSV
// (phusong's columns or OpenCelliD's measurements export) or GeoJSON of samples, optionally
// gzip, validated all-or-nothing (422 naming line or feature and field) and stored with its
// upload id (duplicates of stored samples counted and dropped); dry_run=true counts and keeps
// nothing. A carrier token's file holds its own network's samples only (403 for carrier= of
// another carrier, 422 for a row of one); an admin token's any carrier's.
func (s *Server) handleUploadMeasurements(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	dryRun, err := queryBool(c, "dry_run")
	if err != nil {
		return err
	}
	format, err := uploadFormat(c.GetHeader("Content-Type"))
	if err != nil {
		return err
	}
	gate := cmp.Or(tok.Carrier, "admin") // an admin's imports share one carrier's share of the gates
	if tok.Planner != "" {
		gate = "planner/" + tok.Planner // each planner its own share ("/" is in no carrier id)
	}
	received, err := s.up.receive(c, gate)
	if err != nil {
		return err
	}
	f, err := s.up.spool(c) // at the minimum transfer rate, however long the body takes
	received()
	if err != nil {
		return appError(err)
	}
	defer f.Close()
	release, err := s.up.slot(c, gate)
	if err != nil {
		return err
	}
	defer release()
	body, err := s.up.decoded(c, f)
	if err != nil {
		return err
	}
	ctx, cancel := s.longRequest(c) // a file at the upload limit takes longer than the request deadline
	defer cancel()
	u, err := s.app.ImportMeasurements(ctx, tok, app.MeasurementImport{Format: format, Body: body,
		Carrier: c.Query("carrier"), FileName: c.Query("file_name"), DryRun: dryRun})
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	status := http.StatusCreated
	if dryRun {
		status = http.StatusOK
	}
	c.JSON(status, u)
	return nil
}

// measurementFilter reads carrier= (a carrier id, "" every one) and tech= (3G, 4G, "" both).
func measurementFilter(c *gin.Context) (measure.Filter, error) {
	t, err := queryTech(c, "tech", "")
	return measure.Filter{Carrier: c.Query("carrier"), Tech: t}, err
}

// handleMeasurementStats is GET /api/v1/measurements/stats?carrier=&tech=: the stored
// measurements compared with the served predictions: residual (measured − predicted) count,
// mean, standard deviation and RMSE per carrier × tech × land class and per distance bin, the
// per-commune confusion of measured and predicted coverage, and the served calibration (the
// label and its corrections). The first answer after an upload or a new definition waits for the
// comparison (every sample predicted once).
func (s *Server) handleMeasurementStats(c *gin.Context, _ *view) error {
	f, err := measurementFilter(c)
	if err != nil {
		return err
	}
	st, err := s.app.MeasurementStats(c.Request.Context(), f)
	if err != nil {
		return appError(err)
	}
	return sendJSON(c, ctJSON, st)
}

// measurementCellM is the square size of the measurement layer at a web-map zoom: about 20
// screen pixels.
func measurementCellM(zoom int) float64 {
	switch {
	case zoom <= 10:
		return 1000
	case zoom <= 12:
		return 500
	case zoom <= 13:
		return 250
	}
	return 100
}

// handleMeasurements is GET /api/v1/measurements?tech=&carrier=&zoom=&bbox=: the map's
// measurement layer, GeoJSON squares (1 km at zoom ≤ 10, 500 m to 12, 250 m at 13, 100 m
// beyond; centres within bbox when given) with the samples' count, mean level and mean residual.
func (s *Server) handleMeasurements(c *gin.Context, _ *view) error {
	f, err := measurementFilter(c)
	if err != nil {
		return err
	}
	zoom, err := queryInt(c, "zoom", zoomMin, zoomMin, zoomMax+5)
	if err != nil {
		return err
	}
	bbox, _, err := queryBBox(c, "bbox")
	if err != nil {
		return err
	}
	fc, err := s.app.MeasurementLayer(c.Request.Context(), f, measurementCellM(zoom), bbox)
	if err != nil {
		return appError(err)
	}
	return sendJSON(c, ctGeoJSON, fc)
}

// measurementUploadsBody is GET /api/v1/measurements/uploads.
type measurementUploadsBody struct {
	Uploads any `json:"uploads"`
}

// handleMeasurementUploads lists the measurement uploads the token may see (its carrier's, or
// every one for an admin), newest first; limit= 1–1000 (100).
func (s *Server) handleMeasurementUploads(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100, 1, maxUploadsLimit)
	if err != nil {
		return err
	}
	list, err := s.app.MeasurementUploads(c.Request.Context(), tok, limit)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, measurementUploadsBody{Uploads: list})
	return nil
}

// handleWithdrawMeasurements is DELETE /api/v1/measurements/uploads/:id: the upload's samples
// are deleted (its record stays, marked withdrawn); its carrier's token or an admin token.
func (s *Server) handleWithdrawMeasurements(c *gin.Context, _ *view) error {
	tok, id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.longRequest(c) // deleting a million samples takes as long as storing them
	defer cancel()
	u, err := s.app.WithdrawMeasurements(ctx, tok, id)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, u)
	return nil
}
