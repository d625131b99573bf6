package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/persist"
	"phusong/server/app"
)

// The audit trail: every upload (dry runs too) with its counts and warnings, the diff of each
// applied one, and rollback to any applied version. A carrier token sees its own carrier's
// uploads, an admin token everyone's; the public sees none (a dry run may hold plans).

// uploadsBody is GET /api/v1/uploads: newest first; NextBefore is the before= of the next
// page (0 when this page is the last).
type uploadsBody struct {
	Uploads    []persist.Upload `json:"uploads"`
	NextBefore int64            `json:"next_before"`
}

// maxUploadsLimit bounds limit= on /api/v1/uploads.
const maxUploadsLimit = 1000

// handleUploads lists uploads: carrier= (forced to the token's own carrier for a carrier
// token), kind= (sites or fibre), before= (an id: older ones only), limit= (1–1000, default 100).
func (s *Server) handleUploads(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	before, err := queryInt(c, "before", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100, 1, maxUploadsLimit)
	if err != nil {
		return err
	}
	list, more, err := s.app.Uploads(c.Request.Context(), tok, app.UploadFilter{
		Kind: c.Query("kind"), Carrier: c.Query("carrier"), BeforeID: int64(before), Limit: limit,
	})
	var pes data.ParseErrors
	if errors.As(err, &pes) { // kind=
		return badParam(pes[0].Field, pes[0].Value, pes[0].Msg)
	}
	if err != nil {
		return appError(err)
	}
	out := uploadsBody{Uploads: list}
	if more {
		out.NextBefore = list[len(list)-1].ID
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

// uploadID authenticates the request and reads the :id path parameter.
func (s *Server) uploadID(c *gin.Context) (persist.TokenInfo, int64, error) {
	tok, err := s.authenticate(c)
	if err != nil {
		return tok, 0, err
	}
	id, err := parseUploadID(c.Param("id"))
	return tok, id, err
}

// handleUpload answers one upload record (404 for an unknown id and for another carrier's).
func (s *Server) handleUpload(c *gin.Context, _ *view) error {
	tok, id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	u, err := s.app.UploadRecord(c.Request.Context(), tok, id)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, u)
	return nil
}

// handleUploadDiff answers what an applied upload changed: {added, changed: [{before,
// after}], removed}, each in id order; 409 for a dry run (it changed nothing).
func (s *Server) handleUploadDiff(c *gin.Context, _ *view) error {
	tok, id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	d, err := s.app.Diff(c.Request.Context(), tok, id)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, d)
	return nil
}

// handleRollback restores the list as it was right after upload :id: it becomes the carrier's
// current list again, as a new upload of mode rollback (dry_run=true previews it; nothing is
// deleted from the history). The carrier's token or an admin token may do it.
func (s *Server) handleRollback(c *gin.Context, _ *view) error {
	return s.restore(c, s.app.Rollback)
}

// handleUndo undoes upload :id, the carrier's latest applied upload: the list becomes what it
// was right before it (a rollback to the carrier's previous version, noted "undo of upload
// :id"); 409 when a later upload replaced it, or when it is the carrier's first list.
func (s *Server) handleUndo(c *gin.Context, _ *view) error {
	return s.restore(c, s.app.Undo)
}

// restore runs a rollback or an undo of upload :id (dry_run= previews) and answers its report.
func (s *Server) restore(c *gin.Context, do func(context.Context, persist.TokenInfo, int64, bool) (*app.UploadReport, persist.Upload, error)) error {
	tok, id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	dryRun, err := queryBool(c, "dry_run")
	if err != nil {
		return err
	}
	w, err := s.beginWrite(c.Request.Context())
	if err != nil {
		return err
	}
	defer w.end()
	rep, _, err := do(c.Request.Context(), tok, id, dryRun)
	w.end() // the restored data is served before the answer says so
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rep)
	return nil
}

// handleUploadPage serves the carriers' upload page.
func (s *Server) handleUploadPage(c *gin.Context, _ *view) error {
	b, ok := s.assets["upload.html"]
	if !ok {
		return fmt.Errorf("upload page (upload.html is not among the web map files): %w", ErrNotFound)
	}
	send(c, b)
	return nil
}

// parseUploadID reads an upload id path parameter.
func parseUploadID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badParam("id", s, "must be a positive integer (an upload id)")
	}
	return id, nil
}
