package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"phusong/data/persist"
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
	carrier := c.Query("carrier")
	if !tok.Admin {
		if carrier != "" && carrier != tok.Carrier {
			return mayRead(tok, carrier)
		}
		carrier = tok.Carrier
	}
	kind := c.Query("kind")
	if _, ok := s.up.kinds[kind]; kind != "" && !ok {
		return badParam("kind", kind, "must be sites or fibre")
	}
	before, err := queryInt(c, "before", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100, 1, maxUploadsLimit)
	if err != nil {
		return err
	}
	list, err := s.up.db.Uploads(c.Request.Context(), persist.UploadFilter{
		Kind: kind, Carrier: carrier, BeforeID: int64(before), Limit: limit + 1,
	})
	if err != nil {
		return err
	}
	out := uploadsBody{Uploads: list}
	if len(list) > limit {
		out.Uploads = list[:limit]
		out.NextBefore = list[limit-1].ID
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

// uploadFor authenticates the request and returns the upload of the :id path parameter, if
// the token may see it (404 for an unknown id, 403 for another carrier's).
func (s *Server) uploadFor(c *gin.Context) (persist.TokenInfo, persist.Upload, error) {
	tok, err := s.authenticate(c)
	if err != nil {
		return tok, persist.Upload{}, err
	}
	id, err := parseUploadID(c.Param("id"))
	if err != nil {
		return tok, persist.Upload{}, err
	}
	u, err := s.up.db.Upload(c.Request.Context(), id)
	if err != nil {
		return tok, persist.Upload{}, err
	}
	return tok, u, mayRead(tok, u.Carrier)
}

// handleUpload answers one upload record.
func (s *Server) handleUpload(c *gin.Context, _ *view) error {
	_, u, err := s.uploadFor(c)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, u)
	return nil
}

// kindOf returns the list kind of a stored upload.
func (s *Server) kindOf(u persist.Upload) (listOps, error) {
	k, ok := s.up.kinds[u.Kind]
	if !ok {
		return nil, fmt.Errorf("upload %d is of kind %q, which this server does not handle: %w", u.ID, u.Kind, ErrNotFound)
	}
	return k, nil
}

// handleUploadDiff answers what an applied upload changed: {added, changed: [{before,
// after}], removed}, each in id order; 409 for a dry run (it changed nothing).
func (s *Server) handleUploadDiff(c *gin.Context, _ *view) error {
	_, u, err := s.uploadFor(c)
	if err != nil {
		return err
	}
	k, err := s.kindOf(u)
	if err != nil {
		return err
	}
	d, err := k.diff(c.Request.Context(), s.up.db, u.ID)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, d)
	return nil
}

// handleRollback makes the list as it was right after upload :id the carrier's current list
// again, as a new upload of mode rollback (dry_run=true previews it). The carrier's token or
// an admin token may do it.
func (s *Server) handleRollback(c *gin.Context, _ *view) error {
	tok, u, err := s.uploadFor(c)
	if err != nil {
		return err
	}
	dryRun, err := queryBool(c, "dry_run")
	if err != nil {
		return err
	}
	k, err := s.kindOf(u)
	if err != nil {
		return err
	}
	rep, err := k.rollback(c.Request.Context(), s, u, tok.ID, dryRun)
	if err != nil {
		return err
	}
	s.log.LogAttrs(context.WithoutCancel(c.Request.Context()), slog.LevelInfo, "rollback",
		slog.Int64("upload_id", rep.Upload.ID), slog.Int64("rollback_to", u.ID), slog.String("carrier", u.Carrier),
		slog.String("token_id", tok.ID), slog.Bool("dry_run", dryRun))
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
