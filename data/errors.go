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
	s := Where(e.Line, e.Feature) + prefixField(e.Field)
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

// ErrorList collects the errors of one input up to MaxParseErrors.
type ErrorList struct {
	Errs ParseErrors
	Full bool // MaxParseErrors reached: stop reading
}

// Record appends e, or when only one slot is left a note that reading stopped there.
func (l *ErrorList) Record(e *ParseError) {
	switch {
	case l.Full:
	case len(l.Errs) == MaxParseErrors-1:
		l.Errs = append(l.Errs, &ParseError{Line: e.Line, Feature: e.Feature,
			Msg: fmt.Sprintf("too many errors; reading stopped after %d", MaxParseErrors-1)})
		l.Full = true
	default:
		l.Errs = append(l.Errs, e)
	}
}

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

// Warning is a non-fatal note about an input row, e.g. a default applied.
//
// Line is the 1-based line of a CSV row (1 is the header), Feature the 1-based position of a
// GeoJSON feature in its collection (jq: .features[Feature-1]); both are 0 for a note about
// the whole input.
type Warning struct {
	Line    int    `json:"line,omitempty"`
	Feature int    `json:"feature,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// String renders w as "line 7: tilt_deg: missing; using 4°…".
func (w Warning) String() string {
	return Where(w.Line, w.Feature) + prefixField(w.Field) + w.Message
}

// Where is "line N: ", "feature N: " or "".
func Where(line, feature int) string {
	switch {
	case feature > 0:
		return "feature " + strconv.Itoa(feature) + ": "
	case line > 0:
		return "line " + strconv.Itoa(line) + ": "
	}
	return ""
}

func prefixField(f string) string {
	if f == "" {
		return ""
	}
	return f + ": "
}

// ErrTooLarge is wrapped by every LimitError: an input over one of the limits a reader was
// given (a server's upload caps), as opposed to an invalid one.
var ErrTooLarge = errors.New("data: input over a limit")

// LimitError is an input that holds more of something than a reader was allowed to take:
// reading stopped there, so nothing of the input is used. Line or Feature is where reading
// stopped (0 when not about one row).
type LimitError struct {
	What    string // what was counted, plural: "rows", "sites", "bytes in one feature" …
	Max     int64  // the limit
	Line    int
	Feature int
}

// Error renders e as `line 60002: more than 20000 sites (the limit)`.
func (e *LimitError) Error() string {
	return fmt.Sprintf("data: %smore than %d %s (the limit)", Where(e.Line, e.Feature), e.Max, e.What)
}

// Unwrap returns ErrTooLarge.
func (e *LimitError) Unwrap() error { return ErrTooLarge }
