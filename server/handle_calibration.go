package server

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/data/measure"
	"phusong/data/persist"
)

// Calibration: the public sees what the served definition's calibration is (or that it is
// uncalibrated); admins fit a new one on the stored measurements and choose which definition is
// served (the coverage is recomputed and published).

// handleCalibration is GET /api/v1/calibration: the served definition's version, its label
// ("calibrated with N samples (dates)" or "uncalibrated"), its corrections per carrier × tech ×
// land class with their hold-out figures, and the groups refused.
func (s *Server) handleCalibration(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "calibration", func(v *view) (*body, error) {
		return jsonBody(ctJSON, v.st.CalibrationSummary())
	})
}

// calibrationsBody is GET /api/v1/admin/calibrations.
type calibrationsBody struct {
	Calibrations []persist.CalibrationRecord `json:"calibrations"`
	Served       int64                       `json:"served"` // the id served, 0: uncalibrated
}

// handleListCalibrations lists the calibration runs, newest first, and the one served.
func (s *Server) handleListCalibrations(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	list, served, err := s.app.Calibrations(c.Request.Context(), tok)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, calibrationsBody{Calibrations: list, Served: served})
	return nil
}

// calibrateTimeout bounds a calibration started over HTTP. It runs past the request's own
// deadline (the record is stored even if the answer cannot be sent in time: list it with GET
// /api/v1/admin/calibrations); `phusong calibrate` has no such bound.
const calibrateTimeout = 10 * time.Minute

// handleCalibrate is POST /api/v1/admin/calibrations?min_samples=&folds=: fits the path-loss
// corrections on every stored measurement and stores the run (not served: see PUT
// /api/v1/admin/definition). The answer holds every group's fit (kept, or refused with the
// reason) and the calibrated definition (null when nothing could be calibrated).
func (s *Server) handleCalibrate(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	minSamples, err := queryInt(c, "min_samples", measure.DefaultMinSamples, 10, 1<<30)
	if err != nil {
		return err
	}
	folds, err := queryInt(c, "folds", measure.DefaultFolds, 2, 20)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), calibrateTimeout)
	defer cancel()
	res, err := s.app.Calibrate(ctx, tok, measure.CalibrateOptions{MinSamples: minSamples, Folds: folds})
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, res)
	return nil
}

// serveDefinitionRequest is the body of PUT /api/v1/admin/definition.
type serveDefinitionRequest struct {
	CalibrationID *int64 `json:"calibration_id"` // a calibration with a definition, or 0: uncalibrated
}

// serveDefinitionBody answers it: what is served now.
type serveDefinitionBody struct {
	DataVersion       uint64 `json:"data_version"`
	DefinitionVersion string `json:"definition_version"`
	Calibration       string `json:"calibration"`
	CalibrationID     int64  `json:"calibration_id"`
}

// handleServeDefinition is PUT /api/v1/admin/definition {"calibration_id": N}: serves calibration
// N's definition (0: the uncalibrated one). The coverage is recomputed and published; the next
// request sees it; a restart keeps serving it (unless --config names a definition).
func (s *Server) handleServeDefinition(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	var req serveDefinitionRequest
	const want = `{"calibration_id": N} (0: the uncalibrated definition)`
	if err := bodyError(decodeOne(io.LimitReader(c.Request.Body, maxTokenRequestBytes), &req), want); err != nil {
		return err
	}
	if req.CalibrationID == nil || *req.CalibrationID < 0 {
		return &statusError{status: http.StatusBadRequest, msg: "body: want JSON " + want}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), calibrateTimeout)
	defer cancel()
	st, err := s.app.ServeCalibration(ctx, tok, *req.CalibrationID)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, serveDefinitionBody{DataVersion: st.Snapshot.Version(), DefinitionVersion: st.Definition.Version,
		Calibration: st.Definition.CalibrationLabel(), CalibrationID: *req.CalibrationID})
	return nil
}
