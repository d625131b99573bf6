package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/data/persist"
)

// handleListUpload is the body of every list upload route (a carrier's sites, an operator's
// fibre): authenticate (401/429), check that the token writes the owner named by the path
// parameter param (403) and that known(owner) (404), read mode= and dry_run= (400), the
// Content-Type (415), take an upload slot (503) and read the bounded body (413/400); the kind's reader validates it
// all-or-nothing (422), runUpload previews it (dry run) or commits and serves it, and the
// upload report is the answer.
func handleListUpload[T any](c *gin.Context, s *Server, kind, param string, known func(owner string) bool) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	owner := c.Param(param)
	if err := mayUpload(tok, owner); err != nil {
		return err
	}
	if !known(owner) {
		return fmt.Errorf("%s %q: %w", param, owner, ErrNotFound)
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
	clock := time.Now()
	body, err := s.up.uploadBody(c)
	if err != nil {
		return err
	}
	k := s.up.kinds[kind].(*listKind[T])
	in, err := k.read(body, format, owner, mode == persist.ModeDelete)
	if err != nil {
		return err
	}
	readMS := since(&clock)
	rep, err := runUpload(c.Request.Context(), s, k, listRequest[T]{
		carrier: owner, tokenID: tok.ID, mode: mode, dryRun: dryRun, in: in,
	})
	if err != nil {
		return err
	}
	rep.Timings.Read = readMS
	s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "upload", slog.Int64("upload_id", rep.Upload.ID),
		slog.String("kind", rep.Upload.Kind), slog.String("carrier", owner), slog.String("token_id", tok.ID),
		slog.String("mode", mode), slog.Bool("dry_run", dryRun), slog.Int("rows", in.rows),
		slog.Int("added", rep.Upload.Added), slog.Int("modified", rep.Upload.Modified), slog.Int("removed", rep.Upload.Removed),
		slog.Any("timings_ms", rep.Timings))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rep)
	return nil
}
