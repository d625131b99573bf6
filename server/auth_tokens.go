package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"phusong/data/persist"
	"phusong/server/app"
)

// Token management over HTTP, for admin tokens (the same as `phusong token` on the server's
// machine). Carriers are the listed ones (data.DefaultCarriers and carriers with sites) and the
// fibre operators (fibre.DefaultOperators: the carriers and the cable-TV operator "tvcable"):
// the list is read-only over HTTP.

// createTokenRequest is the body of POST /api/v1/admin/tokens.
type createTokenRequest struct {
	Carrier string `json:"carrier"` // a listed carrier or fibre operator id; empty for an admin token
	Admin   bool   `json:"admin"`
	Planner string `json:"planner"` // a planner's name for a planner token (no carrier, not admin)
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

// decodeOne decodes r as one JSON value into v (unknown fields refused) and nothing after it
// but white space: data after the value is a *ValidationError (422) naming its byte offset
// (before, a second object was ignored); other errors are the decoder's.
func decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	off := dec.InputOffset()
	rest := bufio.NewReader(io.MultiReader(dec.Buffered(), r))
	for {
		c, err := rest.ReadByte()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case c != ' ' && c != '\t' && c != '\r' && c != '\n':
			return invalid("data after the JSON value at byte offset %d (send one JSON object)", off)
		}
		off++
	}
}

// bodyError is err of decodeOne as a request body's answer: nil as it is, data after the value
// the 422 of decodeOne, anything else a 400 saying what the body should be ("body: want JSON
// <want>: <error>").
func bodyError(err error, want string) error {
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) {
		return err
	}
	return &statusError{status: http.StatusBadRequest, msg: "body: want JSON " + want + ": " + err.Error()}
}

// maxTokenRequestBytes bounds the JSON body of a token creation.
const maxTokenRequestBytes = 4 << 10

// handleCreateToken makes a carrier or admin token; the answer is the only time its secret is
// shown (Cache-Control: no-store).
func (s *Server) handleCreateToken(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if err := app.MayAdmin(tok); err != nil {
		return appError(err)
	}
	var req createTokenRequest
	if err := bodyError(decodeOne(io.LimitReader(c.Request.Body, maxTokenRequestBytes), &req), `{"carrier": ID, "admin": false, "note": TEXT}`); err != nil {
		return err
	}
	var plain string
	var info persist.TokenInfo
	switch {
	case req.Planner != "" && (req.Carrier != "" || req.Admin):
		return invalid("a planner token has no carrier and is not an admin token")
	case req.Planner != "":
		plain, info, err = s.app.CreatePlannerToken(c.Request.Context(), tok, req.Planner, req.Note)
	default:
		plain, info, err = s.app.CreateToken(c.Request.Context(), tok, req.Carrier, req.Admin, req.Note)
	}
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, createTokenBody{Token: plain, Info: info})
	return nil
}

// handleListTokens lists every token (revoked ones too) without secrets.
func (s *Server) handleListTokens(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	list, err := s.app.Tokens(c.Request.Context(), tok)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, tokensBody{Tokens: list})
	return nil
}

// handleRevokeToken revokes a token by id (or "phs_<id>"); revoking twice is not an error.
func (s *Server) handleRevokeToken(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	if err := s.app.RevokeToken(c.Request.Context(), tok, c.Param("id")); err != nil {
		return appError(err)
	}
	c.Status(http.StatusNoContent)
	return nil
}
