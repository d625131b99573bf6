package data

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidInput is wrapped by every ParseError: errors.Is(err, ErrInvalidInput) tells bad
// input apart from I/O failures.
var ErrInvalidInput = errors.New("data: invalid input")

// ParseError is one bad value of an input file. Line is the 1-based CSV line (1 is the header),
// Feature the 1-based GeoJSON feature; 0 when the error is not about one row. Field is the
// canonical column name ("lat", "band_mhz"; "sectors[2].tilt_deg" inside a GeoJSON sectors
// array), Value the text as read.
type ParseError struct {
	Line    int
	Feature int
	Field   string
	Value   string
	Msg     string
}

// Error renders e as `line 7: lat: "10,2x" is not a number`; the quoted value is left out
// when Value is empty, and the location when Line and Feature are 0.
func (e *ParseError) Error() string {
	s := where(e.Line, e.Feature) + prefixField(e.Field)
	if e.Value != "" {
		s += strconv.Quote(e.Value) + " "
	}
	return s + e.Msg
}

// Unwrap returns ErrInvalidInput.
func (e *ParseError) Unwrap() error { return ErrInvalidInput }

// MaxParseErrors caps the errors kept for one input; reading stops when it is reached, and
// the last entry then says so.
const MaxParseErrors = 100

// ParseErrors are all errors of one input (at most MaxParseErrors), in input order.
type ParseErrors []*ParseError

// Error summarises the errors: the count, then one per line.
func (es ParseErrors) Error() string {
	if len(es) == 1 {
		return "data: " + es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data: %d errors:", len(es))
	for _, e := range es {
		b.WriteString("\n\t")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors, so errors.Is(err, ErrInvalidInput) and errors.As(err,
// **ParseError) see them.
func (es ParseErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
