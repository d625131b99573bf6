package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/persist"
	"phusong/data/plan"
	"phusong/server/app"
)

// Scenarios over HTTP (planner and carrier tokens): create, list, read, edit, rebase,
// evaluate, the changed areas as GeoJSON, the CSV export, and suggestion runs.

// maxScenarioRequestBytes bounds a scenario's JSON body (500 edits of ~300 bytes).
const maxScenarioRequestBytes = 256 << 10

// scenarioRequest is the body of POST /api/v1/scenarios and PATCH /api/v1/scenarios/:id.
type scenarioRequest struct {
	Name     string      `json:"name"`
	Edits    *[]app.Edit `json:"edits"`    // PATCH: the whole new list
	Append   []app.Edit  `json:"append"`   // PATCH: edits added at the end
	Revision int64       `json:"revision"` // PATCH: the revision read (409 when it moved on)
}

// decodeBody reads a JSON body of at most limit bytes into v, refusing unknown fields (400) and
// data after the value (422, as decodeOne); an empty body leaves v as it is.
func decodeBody(c *gin.Context, limit int64, v any, want string) error {
	err := decodeOne(io.LimitReader(c.Request.Body, limit), v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return bodyError(err, want)
}

// scenarioID authenticates the request and reads the :id path parameter.
func (s *Server) scenarioID(c *gin.Context) (persist.TokenInfo, int64, error) {
	tok, err := s.authenticate(c)
	if err != nil {
		return tok, 0, err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return tok, 0, badParam("id", c.Param("id"), "must be a positive integer (a scenario id)")
	}
	return tok, id, nil
}

// noStore answers v as JSON with status, not cached (scenarios are private).
func noStore(c *gin.Context, status int, v any) error {
	c.Header("Cache-Control", "no-store")
	c.JSON(status, v)
	return nil
}

func (s *Server) handleScenarios(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	list, err := s.app.Scenarios(c.Request.Context(), tok)
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusOK, gin.H{"scenarios": list})
}

func (s *Server) handleCreateScenario(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	var req scenarioRequest
	if err := decodeBody(c, maxScenarioRequestBytes, &req, `{"name": TEXT, "edits": [EDIT …]}`); err != nil {
		return err
	}
	ctx := c.Request.Context()
	sc, err := s.app.CreateScenario(ctx, tok, req.Name)
	if err != nil {
		return appError(err)
	}
	if req.Edits != nil {
		if sc, err = s.app.UpdateScenario(ctx, tok, sc.ID, app.ScenarioUpdate{Replace: req.Edits}); err != nil {
			s.app.DeleteScenario(ctx, tok, sc.ID) // all-or-nothing: no half-made scenario
			return appError(err)
		}
	}
	return noStore(c, http.StatusCreated, sc)
}

func (s *Server) handleScenario(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	sc, err := s.app.Scenario(c.Request.Context(), tok, id)
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusOK, sc)
}

func (s *Server) handleUpdateScenario(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	var req scenarioRequest
	if err := decodeBody(c, maxScenarioRequestBytes, &req, `{"name": TEXT, "edits": [EDIT …] or "append": [EDIT …], "revision": N}`); err != nil {
		return err
	}
	sc, err := s.app.UpdateScenario(c.Request.Context(), tok, id, app.ScenarioUpdate{Name: req.Name, Append: req.Append, Replace: req.Edits, Revision: req.Revision})
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusOK, sc)
}

func (s *Server) handleDeleteScenario(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	if err := s.app.DeleteScenario(c.Request.Context(), tok, id); err != nil {
		return appError(err)
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) handleRebaseScenario(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	sc, err := s.app.RebaseScenario(c.Request.Context(), tok, id)
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusOK, sc)
}

func (s *Server) handleScenarioResult(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	res, err := s.app.EvaluateScenario(c.Request.Context(), tok, id)
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusOK, res)
}

func (s *Server) handleScenarioChanges(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	tech, err := queryTech(c, "tech", data.Tech4G)
	if err != nil {
		return err
	}
	fc, err := s.app.ScenarioChanges(c.Request.Context(), tok, id, tech)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	return sendJSON(c, "application/geo+json", fc)
}

func (s *Server) handleScenarioExport(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	carrier := c.Query("carrier")
	if carrier == "" {
		carrier = tok.Carrier
	}
	if carrier == "" {
		return badParam("carrier", "", "name the carrier whose planned sites to export")
	}
	b, err := s.app.ExportScenario(c.Request.Context(), tok, id, carrier)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="scenario-%d-%s.csv"`, id, carrier))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b)
	return nil
}

// suggestRequest is the body of POST /api/v1/scenarios/:id/suggestions.
type suggestRequest struct {
	Carrier         string           `json:"carrier"` // a carrier id or "any"
	Tech            data.Tech        `json:"tech"`
	Count           int              `json:"count"`
	HeightM         float64          `json:"height_m"`
	ShareTowers     bool             `json:"share_towers"`
	MaxFibreM       float64          `json:"max_fibre_m"`
	SettledSpacingM float64          `json:"settled_spacing_m"`
	Candidates      []plan.Candidate `json:"candidates"` // optional: the only candidates
}

func (s *Server) handleStartSuggestion(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	var req suggestRequest
	if err := decodeBody(c, 4<<20, &req, `{"carrier": ID|"any", "tech": "4G", "count": N, …}`); err != nil {
		return err
	}
	for i := range req.Candidates {
		req.Candidates[i].Source = plan.SourceFile
	}
	opts := plan.Options{Carrier: req.Carrier, Tech: req.Tech, Count: req.Count, HeightM: req.HeightM, ShareTowers: req.ShareTowers,
		MaxFibreM: req.MaxFibreM, SettledSpacingM: req.SettledSpacingM, Candidates: req.Candidates}
	if opts.Carrier == "" {
		opts.Carrier = tok.Carrier
	}
	if err := opts.Check(s.app.State().Coverage); err != nil {
		return invalid("%s", err.Error())
	}
	j, err := s.app.StartSuggestion(c.Request.Context(), tok, id, opts)
	var be *app.BusyError
	if errors.As(err, &be) {
		c.Header("Retry-After", "10")
		return &statusError{status: http.StatusServiceUnavailable, msg: be.Msg}
	}
	if err != nil {
		return appError(err)
	}
	c.Header("Location", fmt.Sprintf("/api/v1/scenarios/%d/suggestions/%s", id, j.ID))
	return noStore(c, http.StatusAccepted, j)
}

func (s *Server) handleSuggestion(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	j, err := s.app.SuggestionJob(tok, id, c.Param("job"))
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusOK, j)
}

func (s *Server) handleCancelSuggestion(c *gin.Context, _ *view) error {
	tok, id, err := s.scenarioID(c)
	if err != nil {
		return err
	}
	j, err := s.app.CancelSuggestion(tok, id, c.Param("job"))
	if err != nil {
		return appError(err)
	}
	return noStore(c, http.StatusAccepted, j)
}
