package input

import (
	"context"
	"fmt"
	"io"

	"phusong/data"
)

// Limits bound what a reader takes from one input, so that a hostile upload costs a bounded
// amount of memory and time: a reader stops at the first count over a limit with a
// *data.LimitError (errors.Is data.ErrTooLarge) naming where it stopped, and holds at most one
// row (or one GeoJSON feature) beyond what the limits allow. A zero field is no limit (local
// files a user loads on purpose).
type Limits struct {
	MaxRows           int   // CSV data rows or GeoJSON features of one file
	MaxSites          int   // distinct sites of a station list
	MaxSectorsPerSite int   // sectors of one site (an error naming the site, not a LimitError)
	MaxFibreItems     int   // routes and access points of a fibre network (after splitting MultiLineStrings)
	MaxFeatureBytes   int64 // JSON bytes of one GeoJSON feature, or of any other member of a collection
}

// over reports whether count exceeds max (a positive limit).
func over(count int, max int) bool { return max > 0 && count > max }

// rowLimit returns the LimitError for a row count over l.MaxRows at line or feature, or nil.
func (l Limits) rowLimit(rows, line, feature int) *data.LimitError {
	if !over(rows, l.MaxRows) {
		return nil
	}
	what := "rows"
	if feature > 0 {
		what = "features"
	}
	return &data.LimitError{What: what, Max: int64(l.MaxRows), Line: line, Feature: feature}
}

// WithContext returns a reader of r that fails with ctx's error (wrapped by the reader using
// it: context.Canceled, context.DeadlineExceeded) at the first Read after ctx is done: every
// reader of this package then stops within one buffer of input, whatever the input's size.
func WithContext(ctx context.Context, r io.Reader) io.Reader { return &ctxReader{ctx: ctx, r: r} }

// ctxReader is WithContext's reader.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// MaxWarnings is the most warnings a reader keeps for one input; the last one kept then counts
// the rest ("… and 52 more warnings").
const MaxWarnings = 1000

// warnList keeps the first MaxWarnings-1 warnings of one input and counts the others, so that
// a file of a million rows each missing a value does not hold a million warnings.
type warnList struct {
	list []data.Warning
	more int
}

func (w *warnList) add(x data.Warning) {
	if len(w.list) < MaxWarnings-1 {
		w.list = append(w.list, x)
		return
	}
	w.more++
}

// result is the warnings kept, with the count of the others as a last one.
func (w *warnList) result() []data.Warning {
	if w.more == 0 {
		return w.list
	}
	return append(w.list, data.Warning{Message: fmt.Sprintf("… and %d more warnings", w.more)})
}
