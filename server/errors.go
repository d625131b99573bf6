package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/hex"
	"phusong/data/persist"
	"phusong/server/app"
)

// Sentinel errors a handler may return; statusOf maps them (and *ParamError) to HTTP statuses.
var (
	// ErrNotFound: the path names a carrier, site or commune that does not exist (404).
	ErrNotFound = errors.New("server: not found")
	// ErrUnavailable: no data is loaded yet, or the request ran out of time (503).
	ErrUnavailable = errors.New("server: unavailable")
)

// ParamError is a bad query or path parameter: 400, with the parameter named in the reply.
type ParamError struct {
	Param  string // query or path parameter name, e.g. "bbox"
	Value  string // the value received (truncated to 100 bytes in replies)
	Reason string // why it is refused, e.g. "must be 3G or 4G"
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("server: parameter %s=%q: %s", e.Param, e.Value, e.Reason)
}

// statusError is an error with an explicit HTTP status and the message the client gets;
// cause, when set, is what the log gets too (a server-side failure such as a full disk).
type statusError struct {
	status int
	msg    string
	cause  error
}

func (e *statusError) Error() string { return "server: " + e.msg }

// Unwrap returns the cause.
func (e *statusError) Unwrap() error { return e.cause }

// errInsufficientStorage: the server could not store what a request sent (a full disk): 507.
var errInsufficientStorage = errors.New("server: insufficient storage")

// badParam returns a *ParamError.
func badParam(param, value, reason string) error {
	return &ParamError{Param: param, Value: value, Reason: reason}
}

// errorBody is the JSON shape of every error reply.
type errorBody struct {
	Status int    `json:"status"`
	Error  string `json:"error"`           // human-readable message
	Param  string `json:"param,omitempty"` // for 400: which parameter
	Value  string `json:"value,omitempty"` // for 400: what was received
	Reason string `json:"reason,omitempty"`
	// For 422 (a refused upload): where the problem is when there is one, and every problem.
	Field   string  `json:"field,omitempty"`
	Line    int     `json:"line,omitempty"`
	Feature int     `json:"feature,omitempty"`
	Issues  []Issue `json:"errors,omitempty"`
}

// codes is the one error → status map. Errors not matched here are 500s.
var codes = []struct {
	err    error
	status int
}{
	{ErrNotFound, http.StatusNotFound},
	{app.ErrNotFound, http.StatusNotFound},
	{app.ErrForbidden, http.StatusForbidden},
	{app.ErrReadOnly, http.StatusServiceUnavailable},
	{ErrUnavailable, http.StatusServiceUnavailable},
	{context.DeadlineExceeded, http.StatusServiceUnavailable},
	{context.Canceled, http.StatusServiceUnavailable},
	{ErrUnprocessable, http.StatusUnprocessableEntity},
	{data.ErrInvalidInput, http.StatusUnprocessableEntity},
	{persist.ErrInvalid, http.StatusUnprocessableEntity},
	{persist.ErrNotFound, http.StatusNotFound},
	{persist.ErrDryRun, http.StatusConflict},
	{app.ErrConflict, http.StatusConflict},
	{persist.ErrConflict, http.StatusConflict},
	{persist.ErrStale, http.StatusConflict}, // replicas: the list kept changing under an upload
	{persist.ErrUnauthorized, http.StatusUnauthorized},
	{hex.ErrNoH3, http.StatusNotImplemented},
	{persist.ErrDiskFull, http.StatusInsufficientStorage},
	{errInsufficientStorage, http.StatusInsufficientStorage},
	{data.ErrTooLarge, http.StatusRequestEntityTooLarge},
}

// statusOf returns the HTTP status for err.
func statusOf(err error) int {
	var pe *ParamError
	if errors.As(err, &pe) {
		return http.StatusBadRequest
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return http.StatusInternalServerError
}

// bodyOf returns the JSON reply for err with status. Internal errors are not echoed to the
// client (they are logged).
func bodyOf(err error, status int) errorBody {
	b := errorBody{Status: status, Error: err.Error()}
	var pe *ParamError
	switch {
	case errors.As(err, &pe):
		v := pe.Value
		if len(v) > 100 {
			v = v[:100]
		}
		b.Error = fmt.Sprintf("bad parameter %s: %s", pe.Param, pe.Reason)
		b.Param, b.Value, b.Reason = pe.Param, v, pe.Reason
	case errors.As(err, new(*statusError)):
		b.Error = strings.TrimPrefix(err.Error(), "server: ")
	case errors.Is(err, app.ErrRegional): // a limit of the server's mode, not an internal failure
		b.Error = app.ErrRegional.Error()
	case status >= 500:
		b.Error = http.StatusText(status)
	}
	fillIssues(err, &b)
	return b
}

// writeError sends err as JSON with its status and logs server-side failures.
func (s *Server) writeError(c *gin.Context, err error) {
	status := statusOf(err)
	if status >= 500 {
		msg := err.Error()
		if se := (*statusError)(nil); errors.As(err, &se) && se.cause != nil {
			msg += ": " + se.cause.Error()
		}
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
			slog.Int("status", status), slog.String("err", msg))
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, bodyOf(err, status))
}
