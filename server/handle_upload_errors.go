package server

import (
	"errors"
	"fmt"
	"strings"

	"phusong/data"
)

// ErrUnprocessable: the request was read but its content is refused (422); the error is a
// *ValidationError listing why.
var ErrUnprocessable = errors.New("server: unprocessable content")

// Issue is one problem of an uploaded file or request body. Line is the 1-based line of a CSV
// file (1 is the header), Feature the 1-based feature of a GeoJSON collection, Field the
// canonical column or property ("lat", "sectors[0].band_mhz"); each is empty when the problem
// is not about one.
type Issue struct {
	Line    int    `json:"line,omitempty"`
	Feature int    `json:"feature,omitempty"`
	Field   string `json:"field,omitempty"`
	Value   string `json:"value,omitempty"` // the text received, at most maxIssueValue bytes
	Message string `json:"message"`
}

// maxIssueValue bounds the echoed value of an Issue (a huge field is not sent back whole).
const maxIssueValue = 100

// String renders i as data.ParseError does: `line 7: lat: "10,2x" is not a number`.
func (i Issue) String() string {
	pe := data.ParseError{Line: i.Line, Feature: i.Feature, Field: i.Field, Value: i.Value, Msg: i.Message}
	return pe.Error()
}

// ValidationError is a refused upload (422): every problem found, in input order. It unwraps
// to ErrUnprocessable.
type ValidationError struct {
	Issues []Issue
}

// maxIssuesInMessage is how many issues the one-line message quotes; the reply lists all.
const maxIssuesInMessage = 3

// Error is the count and the first few issues.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Issues) != 1 {
		fmt.Fprintf(&b, "%d errors: ", len(e.Issues))
	}
	for i, is := range e.Issues[:min(len(e.Issues), maxIssuesInMessage)] {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(is.String())
	}
	if len(e.Issues) > maxIssuesInMessage {
		b.WriteString("; …")
	}
	return b.String()
}

// Unwrap returns ErrUnprocessable.
func (e *ValidationError) Unwrap() error { return ErrUnprocessable }

// issuesOf converts a loader's errors.
func issuesOf(pes data.ParseErrors) []Issue {
	out := make([]Issue, len(pes))
	for i, pe := range pes {
		v := pe.Value
		if len(v) > maxIssueValue {
			v = v[:maxIssueValue] + "…"
		}
		v = strings.ToValidUTF8(v, "\uFFFD")
		out[i] = Issue{Line: pe.Line, Feature: pe.Feature, Field: pe.Field, Value: v, Message: pe.Msg}
	}
	return out
}

// invalid is a ValidationError with one issue about the whole input.
func invalid(format string, args ...any) *ValidationError {
	return &ValidationError{Issues: []Issue{{Message: fmt.Sprintf(format, args...)}}}
}

// fillIssues completes the JSON error reply of a ValidationError: the full list, and the
// location of the problem at the top level when there is one.
func fillIssues(err error, b *errorBody) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return
	}
	b.Issues = ve.Issues
	if len(ve.Issues) == 1 {
		is := ve.Issues[0]
		b.Field, b.Line, b.Feature = is.Field, is.Line, is.Feature
	}
}
