package server

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/persist"
	"phusong/server/app"
)

// uploads is the transport side of writes: the limiters, the upload slots and the spool of
// bodies being received (the use case itself is app.App.Apply).
//
// An upload goes through two gates. While its body is received it holds one of its carrier's
// ReceivingPerCarrier places (a slow body blocks only its own carrier); the body is spooled to
// a file at MinUploadBytesPerS or better. Once the body is in, it takes a slot, one of its
// carrier's UploadSlotsPerCarrier and one of the UploadSlots of every carrier, to be validated
// and applied. A gate that is full answers 503 with Retry-After at once.
type uploads struct {
	lim      Limits
	perToken *limiter
	failures *limiter
	spoolDir string

	mu        sync.Mutex
	receiving map[string]int // carrier → bodies being received
	busy      map[string]int // carrier → slots held
	slots     int            // slots held, every carrier
}

// newUploads returns the write side of a server under lim (defaults applied), spooling bodies
// in spoolDir.
func newUploads(lim Limits, spoolDir string) *uploads {
	return &uploads{
		lim:       lim,
		perToken:  newLimiter(lim.TokenRatePerMinute/60, lim.TokenBurst),
		failures:  newLimiter(lim.BadTokenRatePerMinute/60, lim.BadTokenBurst),
		spoolDir:  spoolDir,
		receiving: map[string]int{},
		busy:      map[string]int{},
	}
}

// busyError is the 503 of a full gate, with Retry-After.
func busyError(c *gin.Context, retryS int, format string, args ...any) error {
	c.Header("Retry-After", strconv.Itoa(retryS))
	return &statusError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf(format, args...) + fmt.Sprintf("; retry in %d s", retryS)}
}

// receive takes one of carrier's ReceivingPerCarrier places for reading a body, or fails with
// 503. Call the release function when the body is in (or failed).
func (u *uploads) receive(c *gin.Context, carrier string) (release func(), err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if n := u.lim.ReceivingPerCarrier; n > 0 && u.receiving[carrier] >= n {
		return nil, busyError(c, 5, "%d upload bodies of %s are being received, the most the server takes at once per carrier", n, carrier)
	}
	u.receiving[carrier]++
	return func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.receiving[carrier]--; u.receiving[carrier] == 0 {
			delete(u.receiving, carrier)
		}
	}, nil
}

// slot takes a slot to validate and apply one of carrier's uploads: one of the carrier's
// UploadSlotsPerCarrier and one of the UploadSlots, or fails with 503. Call release when done.
func (u *uploads) slot(c *gin.Context, carrier string) (release func(), err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if n := u.lim.UploadSlotsPerCarrier; n > 0 && u.busy[carrier] >= n {
		return nil, busyError(c, 1, "%d uploads of %s are being applied, the most the server takes at once per carrier", n, carrier)
	}
	if n := u.lim.UploadSlots; n > 0 && u.slots >= n {
		return nil, busyError(c, 1, "%d uploads are being applied, the most the server takes at once", n)
	}
	u.busy[carrier]++
	u.slots++
	return func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.slots--
		if u.busy[carrier]--; u.busy[carrier] == 0 {
			delete(u.busy, carrier)
		}
	}, nil
}

// spool reads the request's body, as sent, into a temporary file of spoolDir (deleted when the
// returned file is closed), at MinUploadBytesPerS or better: every read has a deadline, the
// time by which the body would have reached that average rate after UploadGrace, so a slow
// link uploads and a stalled one is dropped (408) without a limit on the whole body's time.
// Past MaxBodyBytes it fails with 413 (at once for a declared Content-Length), on a full disk
// with 507.
func (u *uploads) spool(c *gin.Context) (*os.File, error) {
	raw := u.lim.MaxBodyBytes
	if raw > 0 && c.Request.ContentLength > raw {
		return nil, tooLarge("the request body", raw)
	}
	f, err := os.CreateTemp(u.spoolDir, "upload-*.body")
	if err != nil {
		return nil, spoolError(err)
	}
	os.Remove(f.Name()) // the open file stays readable; nothing is left behind if the process dies
	rc := http.NewResponseController(c.Writer)
	var body io.Reader = c.Request.Body
	if raw > 0 {
		body = http.MaxBytesReader(c.Writer, c.Request.Body, raw)
	}
	mr := &minRate{r: body, rc: rc, start: time.Now(), bytesPerS: u.lim.MinUploadBytesPerS, grace: u.lim.UploadGrace}
	_, err = io.Copy(f, mr)
	if err == nil {
		rc.SetReadDeadline(time.Time{})
	} else {
		c.Request.Body.Close() // net/http then closes the connection instead of reading the rest
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = tooLarge("the request body", raw)
	case mr.late:
		err = &statusError{status: http.StatusRequestTimeout, msg: fmt.Sprintf("the body arrived at %.0f bytes/s on average, "+
			"under the %d the server needs after %s; a slow link uploads when it keeps that rate", mr.rate(), u.lim.MinUploadBytesPerS, u.lim.UploadGrace)}
	case err != nil:
		err = spoolError(err)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// spoolError maps a failure to receive a body: a full disk is 507 (errInsufficientStorage),
// another failure of the spool file a 500, a failed read of the request (a client that went
// away, a body shorter than its Content-Length) a 400.
func spoolError(err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: spooling the upload: %w", errInsufficientStorage, err)
	case errors.As(err, &pe):
		return fmt.Errorf("spooling the upload: %w", err)
	}
	return &statusError{status: http.StatusBadRequest, msg: "reading the request body: " + err.Error()}
}

// minRate passes a body on, giving each read the deadline by which the body would have reached
// an average of bytesPerS after grace; late is set when a read missed it.
type minRate struct {
	r         io.Reader
	rc        *http.ResponseController
	start     time.Time
	n         int64
	bytesPerS int64 // ≤ 0: no deadline
	grace     time.Duration
	late      bool
}

func (m *minRate) Read(p []byte) (int, error) {
	if m.bytesPerS > 0 {
		due := m.start.Add(m.grace + time.Duration(float64(m.n+1)/float64(m.bytesPerS)*float64(time.Second)))
		m.rc.SetReadDeadline(due) // ErrNotSupported (a test's recorder): no deadline
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		m.late = true
	}
	return n, err
}

// rate is the average rate so far, bytes per second.
func (m *minRate) rate() float64 { return float64(m.n) / max(time.Since(m.start).Seconds(), 1e-3) }

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

// decoded returns the spooled body decoded (gzip when Content-Encoding says so) and bounded:
// reading past MaxDecompressedBytes fails with a 413 error, undecodable gzip with a 400 error
// (the loaders wrap these with %w, so the status survives).
func (u *uploads) decoded(c *gin.Context, f *os.File) (io.Reader, error) {
	br := &boundedReader{r: f}
	out := &boundedReader{r: br, limit: max(u.lim.MaxDecompressedBytes, 0)}
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

// boundedReader turns reading errors into statuses: when limit > 0, a cap on the bytes it
// passes on, 413; gzip decoding errors, 400.
type boundedReader struct {
	r       io.Reader
	limit   int64 // 0: no cap of its own
	n       int64 // bytes passed on
	gzipped bool  // r decodes gzip
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
	var ce flate.CorruptInputError
	switch {
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
// prefix, a *data.LimitError into 413, a full disk into 507, app.FormatError into 415,
// app.DeniedError into 403; other errors are returned as they are (statusOf maps the
// sentinels).
func appError(err error) error {
	var pes data.ParseErrors
	var se *statusError
	var ve *ValidationError
	var fe *app.FormatError
	var de *app.DeniedError
	var ae *app.ArgError
	var le *data.LimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &se):
		return se // the body's 413 or 400, without the reader's "reading station CSV" prefix
	case errors.As(err, &le):
		return &statusError{status: http.StatusRequestEntityTooLarge, msg: strings.TrimPrefix(le.Error(), "data: ") +
			": nothing was read further or applied; split the file, or ask the server's operator for a higher limit", cause: err}
	case errors.Is(err, persist.ErrDiskFull) || errors.Is(err, errInsufficientStorage):
		return &statusError{status: http.StatusInsufficientStorage, msg: "the server's storage is full: nothing was stored; " +
			"retry later, and tell the server's operator", cause: err}
	case errors.Is(err, persist.ErrNotWritable):
		return &statusError{status: http.StatusInsufficientStorage, msg: "the server cannot write its storage: nothing was stored; " +
			"tell the server's operator", cause: err}
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

// receivingOf is how many of carrier's bodies are being received (for tests and metrics).
func (u *uploads) receivingOf(carrier string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.receiving[carrier]
}
