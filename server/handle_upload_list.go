package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/server/app"
)

// handleListUpload is the body of every list upload route (a carrier's sites, an operator's
// fibre): authenticate (401/429), check that the token writes the owner named by the path
// parameter param (403) and that the owner is listed (404), read mode= and dry_run= (400), the
// Content-Type (415); then receive the body into the spool (one of the owner's receiving
// places, 503; at the minimum rate, 408; bounded, 413), take an upload slot (503) and hand the
// decoded body (413/400) to app.Apply under UploadTimeout, which validates it all-or-nothing
// (422; 413 over a content limit), previews it (dry run) or commits and serves it. The upload
// report is the answer, sent once the new data is served with its common answers rebuilt.
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
	received, err := s.up.receive(c, owner)
	if err != nil {
		return err
	}
	f, err := s.up.spool(c)
	received()
	if err != nil {
		return appError(err)
	}
	defer f.Close()
	release, err := s.up.slot(c, owner)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := s.uploadContext(c)
	defer cancel()
	body, err := s.up.decoded(c, f)
	if err != nil {
		return err
	}
	w, err := s.beginWrite(ctx)
	if err != nil {
		return busyError(c, 10, "the uploads before this one took longer than %s (the server's upload timeout); nothing changed",
			s.opts.Limits.UploadTimeout)
	}
	defer w.end()
	rep, err := s.app.Apply(ctx, tok, app.Upload{
		Kind: kind, Owner: owner, Mode: mode, DryRun: dryRun, Format: format, Body: body, Limits: s.opts.Limits.inputLimits(),
	})
	w.end() // the new data is served before the answer says so
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return busyError(c, 10, "the upload was not applied within %s (the server's upload timeout); nothing changed",
			s.opts.Limits.UploadTimeout)
	}
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rep)
	return nil
}

// uploadContext is the context of an upload once its body is in: UploadTimeout from now (the
// time the body took does not count), cancelled when the client goes away; the connection's
// write deadline moves with it, so that the answer is sent however long the body took.
func (s *Server) uploadContext(c *gin.Context) (context.Context, context.CancelFunc) {
	d := s.opts.Limits.UploadTimeout
	http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(d + writeMargin))
	return context.WithTimeout(c.Request.Context(), d)
}

// writeMargin is how long after a request's deadline its answer may still be being written.
const writeMargin = 15 * time.Second
