package server

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/persist"
)

// UploadOptions limits what carriers may send. Zero values take the defaults.
type UploadOptions struct {
	MaxBodyBytes         int64   // request body as sent (gzip-encoded or not); 0 = 20 MB
	MaxDecompressedBytes int64   // body after gzip decoding; 0 = 100 MB
	RatePerMinute        float64 // authenticated requests per token per minute; 0 = 120, < 0 = unlimited
	Burst                int     // requests a token may make at once; 0 = 30
	FailuresPerMinute    float64 // requests with a bad token per client address per minute; 0 = 30, < 0 = unlimited
	// MaxConcurrent bounds the uploads being read, validated and applied at once, over every
	// token (each may hold a decoded list of up to MaxDecompressedBytes in memory); one more
	// gets 503 with Retry-After. 0 = 4, < 0 = unlimited.
	MaxConcurrent int
}

// Default upload limits.
const (
	DefaultMaxBodyBytes         = 20 << 20
	DefaultMaxDecompressedBytes = 100 << 20
	defaultRatePerMinute        = 120
	defaultBurst                = 30
	defaultFailuresPerMinute    = 30
	defaultMaxConcurrent        = 4
)

// uploads is the write side of a server: the database, the limits, and the lock that
// serialises every list write (compute the next list, commit it, swap the served state).
type uploads struct {
	db       *persist.DB
	opts     UploadOptions
	perToken *limiter
	failures *limiter
	kinds    map[string]listOps // by persist Kind name
	slots    chan struct{}      // one per upload in progress (nil: unlimited); see MaxConcurrent
	mu       sync.Mutex
}

// newUploads returns the write side of s over db, or nil without a database (the server is
// then read-only and the write routes answer 404).
func newUploads(s *Server, db *persist.DB, o UploadOptions) *uploads {
	if db == nil {
		return nil
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxDecompressedBytes <= 0 {
		o.MaxDecompressedBytes = DefaultMaxDecompressedBytes
	}
	if o.RatePerMinute == 0 {
		o.RatePerMinute = defaultRatePerMinute
	}
	if o.Burst <= 0 {
		o.Burst = defaultBurst
	}
	if o.FailuresPerMinute == 0 {
		o.FailuresPerMinute = defaultFailuresPerMinute
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = defaultMaxConcurrent
	}
	u := &uploads{
		db:       db,
		opts:     o,
		perToken: newLimiter(o.RatePerMinute/60, o.Burst),
		failures: newLimiter(o.FailuresPerMinute/60, o.Burst),
	}
	if o.MaxConcurrent > 0 {
		u.slots = make(chan struct{}, o.MaxConcurrent)
	}
	sites, fib := s.siteKind(), s.fibreKind()
	u.kinds = map[string]listOps{sites.kind.Name: sites, fib.kind.Name: fib}
	return u
}

// Upload formats, from the Content-Type.
const (
	formatCSV     = "csv"
	formatGeoJSON = "geojson"
)

// uploadFormat returns the format of a Content-Type header: text/csv (also application/csv,
// text/plain) or GeoJSON (application/geo+json, application/json); 415 otherwise.
func uploadFormat(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil && contentType != "":
		return "", unsupportedMedia("Content-Type %q is not a media type: send text/csv or application/geo+json", contentType)
	case mt == "text/csv" || mt == "application/csv" || mt == "text/plain":
		return formatCSV, nil
	case mt == "application/geo+json" || mt == "application/json":
		return formatGeoJSON, nil
	}
	return "", unsupportedMedia("Content-Type %q: send text/csv or application/geo+json", contentType)
}

func unsupportedMedia(format string, args ...any) error {
	return &statusError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf(format, args...)}
}

// tooLarge is the 413 of a body over a limit.
func tooLarge(what string, limit int64) error {
	return &statusError{status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("%s is larger than the limit of %d bytes (%.0f MB)", what, limit, float64(limit)/(1<<20))}
}

// slot takes one of the MaxConcurrent upload slots, or fails with 503 and "Retry-After: 1"
// when they are all taken (an upload takes about a second). Call release when the upload is
// done.
func (u *uploads) slot(c *gin.Context) (release func(), err error) {
	if u.slots == nil {
		return func() {}, nil
	}
	select {
	case u.slots <- struct{}{}:
		return func() { <-u.slots }, nil
	default:
		c.Header("Retry-After", "1")
		return nil, &statusError{status: http.StatusServiceUnavailable,
			msg: fmt.Sprintf("%d uploads are in progress, the most the server takes at once; retry in 1 s", cap(u.slots))}
	}
}

// uploadBody returns the request's body decoded (gzip when Content-Encoding says so) and
// bounded: reading past MaxBodyBytes of the body as sent, or MaxDecompressedBytes decoded,
// fails with a 413 error, and undecodable gzip with a 400 error (the loaders wrap these with
// %w, so the status survives). A declared Content-Length over the limit is refused at once.
func (u *uploads) uploadBody(c *gin.Context) (io.Reader, error) {
	raw := u.opts.MaxBodyBytes
	if c.Request.ContentLength > raw {
		return nil, tooLarge("the request body", raw)
	}
	br := &boundedReader{r: http.MaxBytesReader(c.Writer, c.Request.Body, raw), rawLimit: raw}
	out := &boundedReader{r: br, rawLimit: raw, limit: u.opts.MaxDecompressedBytes}
	switch enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, br.explain(err, true)
		}
		out.r, out.gzipped = zr, true
	default:
		return nil, unsupportedMedia("Content-Encoding %q: send gzip or no encoding", enc)
	}
	return out, nil
}

// boundedReader turns reading errors into statuses: the raw limit (http.MaxBytesReader) and,
// when limit > 0, a cap on the bytes it passes on, both 413; gzip decoding errors, 400.
type boundedReader struct {
	r        io.Reader
	rawLimit int64
	limit    int64 // 0: no cap of its own
	n        int64 // bytes passed on
	gzipped  bool  // r decodes gzip
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.limit > 0 && b.n > b.limit {
		return 0, tooLarge("the decompressed body", b.limit)
	}
	if b.limit > 0 && int64(len(p)) > b.limit-b.n+1 {
		p = p[:b.limit-b.n+1] // one byte past the cap tells "over" from "exactly at"
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.limit > 0 && b.n > b.limit {
		return n - int(b.n-b.limit), tooLarge("the decompressed body", b.limit)
	}
	if err != nil && err != io.EOF {
		err = b.explain(err, b.gzipped)
	}
	return n, err
}

// explain maps a read error of the body to its status error.
func (b *boundedReader) explain(err error, gzipped bool) error {
	var mbe *http.MaxBytesError
	var ce flate.CorruptInputError
	switch {
	case errors.As(err, &mbe):
		return tooLarge("the request body", b.rawLimit)
	case gzipped && (errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &ce) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)):
		return &statusError{status: http.StatusBadRequest, msg: "Content-Encoding gzip, but the body is not valid gzip: " + err.Error()}
	}
	return err
}

// uploadParams reads mode= (replace, the default; upsert; delete) and dry_run= (false, the
// default; true; also 1/0).
func uploadParams(c *gin.Context) (mode string, dryRun bool, err error) {
	mode = c.DefaultQuery("mode", persist.ModeReplace)
	switch mode {
	case persist.ModeReplace, persist.ModeUpsert, persist.ModeDelete:
	default:
		return "", false, badParam("mode", mode, "must be replace, upsert or delete")
	}
	dryRun, err = queryBool(c, "dry_run")
	return mode, dryRun, err
}

// queryBool reads a boolean parameter: true/1 or false/0 (case-insensitive); empty is false.
func queryBool(c *gin.Context, name string) (bool, error) {
	switch v := c.Query(name); strings.ToLower(v) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, badParam(name, v, "must be true or false")
	}
}

// Bounds on what one upload may hold, beyond the body size.
const (
	maxCSVLineBytes = 64 << 10 // a station row is ~150 bytes; a longer line is a broken file
	maxWarnings     = 1000     // warnings kept (and returned) per upload; the rest are counted
)

// readSites reads a station list upload in format with opts; with idsOnly (mode delete) only
// the site ids are read (readSiteIDs). Before the loader, the start of the body is checked to
// be text (not UTF-16, not binary) and CSV lines are bounded; after it, a list must hold at
// least one site (an empty replace would wipe the carrier: deleting is mode delete) and
// warnings are capped. Validation errors give a *ValidationError.
func readSites(r io.Reader, format string, opts input.SiteOptions, idsOnly bool) (parsed[data.Site], error) {
	br := bufio.NewReader(r)
	if err := sniffText(br); err != nil {
		return parsed[data.Site]{}, err
	}
	r = br
	if format == formatCSV {
		r = &lineBound{r: br, max: maxCSVLineBytes, line: 1}
	}
	if idsOnly {
		in, err := readSiteIDs(r, format, opts.Carrier)
		return in, loaderError(err)
	}
	read := input.ReadSitesCSV
	if format == formatGeoJSON {
		read = input.ReadSitesGeoJSON
	}
	rep, err := read(r, opts)
	if err != nil {
		return parsed[data.Site]{}, loaderError(err)
	}
	if len(rep.Sites) == 0 {
		return parsed[data.Site]{}, invalid("the file holds no site (only a header?); to remove sites, upload their ids with mode=delete")
	}
	if n := len(rep.Warnings); n > maxWarnings {
		rep.Warnings = append(rep.Warnings[:maxWarnings-1], data.Warning{Message: fmt.Sprintf("… and %d more warnings", n-maxWarnings+1)})
	}
	return parsed[data.Site]{items: rep.Sites, warnings: rep.Warnings, rows: rep.Rows}, nil
}

// parseErrors converts issues back for issuesOf's value truncation.
func parseErrors(is []Issue) data.ParseErrors {
	out := make(data.ParseErrors, len(is))
	for i, x := range is {
		out[i] = &data.ParseError{Line: x.Line, Feature: x.Feature, Field: x.Field, Value: x.Value, Msg: x.Message}
	}
	return out
}

// sniffText refuses a body that is not UTF-8 text, judging by its first 512 bytes: a UTF-16
// or UTF-32 byte-order mark, or NUL bytes (UTF-16 without a mark, or a binary file). Reading
// errors (413 …) are returned as they are.
func sniffText(br *bufio.Reader) error {
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return &ValidationError{Issues: []Issue{{Line: 1, Message: "the file is UTF-16 (byte-order mark " +
			fmt.Sprintf("% X", head[:2]) + "); save it as UTF-8 (CSV UTF-8 in spreadsheet programs)"}}}
	case bytes.IndexByte(head, 0) >= 0:
		return &ValidationError{Issues: []Issue{{Line: 1, Message: "the file holds NUL bytes: it is UTF-16 without a byte-order mark, " +
			"or not text at all; save it as UTF-8 CSV or GeoJSON"}}}
	}
	return nil
}

// lineBound passes a CSV body on and fails, at the first line longer than max bytes, with a
// *ValidationError naming that line (lines counted as the CSV reader counts them, by '\n').
type lineBound struct {
	r    io.Reader
	max  int
	line int // current line, 1-based
	run  int // bytes of the current line so far
}

func (l *lineBound) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.line++
			l.run = 0
			continue
		}
		if l.run++; l.run > l.max {
			return i, &ValidationError{Issues: []Issue{{Line: l.line,
				Message: fmt.Sprintf("line is longer than %d bytes (a huge field, or not a CSV file)", l.max)}}}
		}
	}
	return n, err
}

// loaderError turns a loader's validation failure into a *ValidationError and leaves other
// errors (reading the body: 413, 400; I/O) as they are.
func loaderError(err error) error {
	var pes data.ParseErrors
	var se *statusError
	var ve *ValidationError
	switch {
	case errors.As(err, &ve):
		return ve // a bound of the body's reader, or our own check
	case errors.As(err, &se):
		return se // the body's 413 or 400, without the loader's "reading station CSV" prefix
	case errors.As(err, &pes):
		return &ValidationError{Issues: issuesOf(pes)}
	case errors.Is(err, data.ErrInvalidInput):
		return invalid("%s", strings.TrimPrefix(err.Error(), "data: "))
	}
	return err
}

// handleUploadSites is POST /api/v1/carriers/{carrier}/sites?mode=&dry_run=: a carrier's
// station list (CSV or GeoJSON, optionally gzip) validated all-or-nothing, then either
// previewed (dry run: the validation report and the coverage impact, recorded for the audit,
// nothing changed) or committed as a new version and served at once.
func (s *Server) handleUploadSites(c *gin.Context, v *view) error {
	return handleListUpload[data.Site](c, s, persist.SiteKind().Name, "carrier", func(id string) bool {
		_, ok := v.carrier[id]
		return ok
	})
}
