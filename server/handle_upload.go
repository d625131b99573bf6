package server

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/persist"
	"phusong/server/app"
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

// uploads is the transport side of writes: the limits on bodies, rates and concurrent uploads
// (the use case itself is app.App.Apply).
type uploads struct {
	opts     UploadOptions
	perToken *limiter
	failures *limiter
	slots    chan struct{} // one per upload in progress (nil: unlimited); see MaxConcurrent
}

// newUploads returns the write side of a server with options o (zero values take defaults).
func newUploads(o UploadOptions) *uploads {
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
		opts:     o,
		perToken: newLimiter(o.RatePerMinute/60, o.Burst),
		failures: newLimiter(o.FailuresPerMinute/60, o.Burst),
	}
	if o.MaxConcurrent > 0 {
		u.slots = make(chan struct{}, o.MaxConcurrent)
	}
	return u
}

// uploadFormat returns the format of a Content-Type header: text/csv (also application/csv,
// text/plain) or GeoJSON (application/geo+json, application/json); 415 otherwise.
func uploadFormat(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil && contentType != "":
		return "", unsupportedMedia("Content-Type %q is not a media type: send text/csv or application/geo+json", contentType)
	case mt == "text/csv" || mt == "application/csv" || mt == "text/plain":
		return app.FormatCSV, nil
	case mt == "application/geo+json" || mt == "application/json":
		return app.FormatGeoJSON, nil
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

// appError turns the app's refusals into the transport's: data.ParseErrors (bad content) into a
// *ValidationError (422), a body read error (413, 400) into that status without the reader's
// prefix, app.FormatError into 415, app.DeniedError into 403; other errors are returned as
// they are (statusOf maps the sentinels).
func appError(err error) error {
	var pes data.ParseErrors
	var se *statusError
	var ve *ValidationError
	var fe *app.FormatError
	var de *app.DeniedError
	var ae *app.ArgError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &se):
		return se // the body's 413 or 400, without the reader's "reading station CSV" prefix
	case errors.As(err, &fe):
		return unsupportedMedia("%s", fe.Msg)
	case errors.As(err, &de):
		return forbidden("%s", de.Msg)
	case errors.As(err, &ae):
		return badParam(ae.Name, ae.Value, ae.Reason)
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
func (s *Server) handleUploadSites(c *gin.Context, _ *view) error {
	return s.handleListUpload(c, persist.SiteKind().Name, "carrier")
}
