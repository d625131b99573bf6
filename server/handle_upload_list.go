package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"phusong/server/app"
)

// handleListUpload is the body of every list upload route (a carrier's sites, an operator's
// fibre): authenticate (401/429), check that the token writes the owner named by the path
// parameter param (403) and that the owner is listed (404), read mode= and dry_run= (400), the
// Content-Type (415), take an upload slot (503) and hand the bounded body (413/400) to
// app.Apply, which validates it all-or-nothing (422), previews it (dry run) or commits and
// serves it; the upload report is the answer.
func (s *Server) handleListUpload(c *gin.Context, kind, param string) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	owner := c.Param(param)
	if err := s.app.MayUpload(tok, kind, owner); err != nil {
		return appError(err)
	}
	mode, dryRun, err := uploadParams(c)
	if err != nil {
		return err
	}
	format, err := uploadFormat(c.GetHeader("Content-Type"))
	if err != nil {
		return err
	}
	release, err := s.up.slot(c)
	if err != nil {
		return err
	}
	defer release()
	body, err := s.up.uploadBody(c)
	if err != nil {
		return err
	}
	rep, err := s.app.Apply(c.Request.Context(), tok, app.Upload{
		Kind: kind, Owner: owner, Mode: mode, DryRun: dryRun, Format: format, Body: body,
	})
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rep)
	return nil
}
