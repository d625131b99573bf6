package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"phusong/data/fibre"
	"phusong/data/persist"
)

// Token management over HTTP, for admin tokens (the same as `phusong token` on the server's
// machine). Carriers are the listed ones (data.DefaultCarriers and carriers with sites) and the
// fibre operators (fibre.DefaultOperators: the carriers and the cable-TV operator "tvcable"):
// the list is read-only over HTTP.

// createTokenRequest is the body of POST /api/v1/admin/tokens.
type createTokenRequest struct {
	Carrier string `json:"carrier"` // a listed carrier or fibre operator id; empty for an admin token
	Admin   bool   `json:"admin"`
	Note    string `json:"note"`
}

// createTokenBody is the 201 answer: the token in clear, shown this once.
type createTokenBody struct {
	Token string            `json:"token"`
	Info  persist.TokenInfo `json:"info"`
}

// tokensBody is GET /api/v1/admin/tokens.
type tokensBody struct {
	Tokens []persist.TokenInfo `json:"tokens"`
}

// maxTokenRequestBytes bounds the JSON body of a token creation.
const maxTokenRequestBytes = 4 << 10

// authenticateAdmin is authenticate for the admin routes: 403 for a carrier token.
func (s *Server) authenticateAdmin(c *gin.Context) (persist.TokenInfo, error) {
	tok, err := s.authenticate(c)
	if err == nil && !tok.Admin {
		err = forbidden("token %s is a carrier token: managing tokens needs an admin token", tok.Prefix())
	}
	return tok, err
}

// handleCreateToken makes a carrier or admin token; the answer is the only time its secret is
// shown (Cache-Control: no-store).
func (s *Server) handleCreateToken(c *gin.Context, v *view) error {
	tok, err := s.authenticateAdmin(c)
	if err != nil {
		return err
	}
	var req createTokenRequest
	dec := json.NewDecoder(io.LimitReader(c.Request.Body, maxTokenRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return &statusError{status: http.StatusBadRequest, msg: "body: want JSON {\"carrier\": ID, \"admin\": false, \"note\": TEXT}: " + err.Error()}
	}
	if _, ok := v.carrier[req.Carrier]; !req.Admin && !ok && !fibre.KnownOperator(req.Carrier) {
		return &ValidationError{Issues: []Issue{{Field: "carrier", Value: req.Carrier, Message: "is not a listed carrier (see /api/v1/carriers) nor a fibre operator (tvcable)"}}}
	}
	plain, info, err := s.up.db.CreateToken(c.Request.Context(), req.Carrier, req.Admin, req.Note)
	if err != nil {
		return err
	}
	s.log.Info("token created", "token_id", info.ID, "carrier", info.Carrier, "admin", info.Admin, "by", tok.ID)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, createTokenBody{Token: plain, Info: info})
	return nil
}

// handleListTokens lists every token (revoked ones too) without secrets.
func (s *Server) handleListTokens(c *gin.Context, _ *view) error {
	if _, err := s.authenticateAdmin(c); err != nil {
		return err
	}
	list, err := s.up.db.ListTokens(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, tokensBody{Tokens: list})
	return nil
}

// handleRevokeToken revokes a token by id (or "phs_<id>"); revoking twice is not an error.
// An admin may revoke its own token.
func (s *Server) handleRevokeToken(c *gin.Context, _ *view) error {
	tok, err := s.authenticateAdmin(c)
	if err != nil {
		return err
	}
	id := strings.TrimPrefix(c.Param("id"), "phs_")
	if len(id) != 12 || strings.Trim(id, "0123456789abcdef") != "" { // not an id: maybe a whole token, never logged
		return fmt.Errorf("token id (12 hex digits, as listed): %w", ErrNotFound)
	}
	switch err := s.up.db.RevokeToken(c.Request.Context(), id); {
	case errors.Is(err, persist.ErrNotFound):
		return fmt.Errorf("token %q: %w", id, ErrNotFound)
	case err != nil:
		return err
	}
	s.log.Info("token revoked", "token_id", id, "by", tok.ID)
	c.Status(http.StatusNoContent)
	return nil
}
