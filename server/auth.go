package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"phusong/data/persist"
	"phusong/server/app"
)

// Authentication: writes and the audit trail need "Authorization: Bearer <token>" (a token
// made by `phusong token create` or POST /api/v1/admin/tokens); the public map needs none.
// A carrier token acts on its own carrier's data only; an admin token manages tokens and may
// roll back any carrier's list (an emergency brake), but uploads no list itself. The token
// is never logged nor echoed: errors name the token id at most.

// unauthorized is a 401 with the WWW-Authenticate challenge RFC 6750 asks for.
func unauthorized(c *gin.Context, msg string) error {
	c.Header("WWW-Authenticate", `Bearer realm="phusong"`)
	return &statusError{status: http.StatusUnauthorized, msg: msg}
}

// forbidden is a 403: a valid token asking for what it may not do.
func forbidden(format string, args ...any) error {
	return &statusError{status: http.StatusForbidden, msg: fmt.Sprintf(format, args...)}
}

// tooManyRequests is a 429 with Retry-After in whole seconds.
func tooManyRequests(c *gin.Context, retrySeconds int, what string) error {
	c.Header("Retry-After", strconv.Itoa(retrySeconds))
	return &statusError{status: http.StatusTooManyRequests,
		msg: fmt.Sprintf("too many %s; retry in %d s", what, retrySeconds)}
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header (scheme
// case-insensitive, RFC 7235); ok is false when the header is absent or another scheme.
func bearerToken(header string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(rest)
	return token, token != ""
}

// authenticate returns the valid token of the request, or 401 (no or bad token), 429 (the
// token's rate limit, or too many bad tokens from this client address) and 404 when the
// server has no database. The bad-token limit is applied before the token is checked: once a
// client address has sent BadTokenBurst invalid tokens, its next ones are refused unchecked
// (a right guess among them too) until the bucket refills; a valid token gives its unit back.
// Every authenticated request takes one unit of its token's rate.
func (s *Server) authenticate(c *gin.Context) (persist.TokenInfo, error) {
	if s.up == nil {
		return persist.TokenInfo{}, app.ErrNoDatabase
	}
	plain, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		return persist.TokenInfo{}, unauthorized(c, "missing token: send Authorization: Bearer <token>")
	}
	addr := clientKey(c.ClientIP()) // the peer, or what a trusted proxy says
	if ok, wait := s.up.failures.allow(addr); !ok {
		return persist.TokenInfo{}, tooManyRequests(c, int(wait.Seconds()), "requests with an invalid token from this address")
	}
	tok, err := s.app.Authenticate(c.Request.Context(), plain)
	switch {
	case errors.Is(err, persist.ErrUnauthorized):
		return persist.TokenInfo{}, unauthorized(c, "invalid or revoked token")
	case err != nil:
		s.up.failures.refund(addr)
		return persist.TokenInfo{}, fmt.Errorf("authenticating: %w", err)
	}
	s.up.failures.refund(addr)
	if ok, wait := s.up.perToken.allow(tok.ID); !ok {
		return persist.TokenInfo{}, tooManyRequests(c, int(wait.Seconds()), "requests with token "+tok.Prefix())
	}
	return tok, nil
}

// whoamiBody is GET /api/v1/token: what the bearer's token may do (never its secret).
type whoamiBody struct {
	Token  persist.TokenInfo `json:"token"`
	Prefix string            `json:"prefix"`
}

// handleWhoami describes the request's own token; the upload page uses it to check a pasted
// token and preselect the carrier.
func (s *Server) handleWhoami(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, whoamiBody{Token: tok, Prefix: tok.Prefix()})
	return nil
}
