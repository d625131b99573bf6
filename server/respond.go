package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Content types served.
const (
	ctJSON    = "application/json; charset=utf-8"
	ctGeoJSON = "application/geo+json; charset=utf-8"
	ctCSV     = "text/csv; charset=utf-8"
)

// noGzip as a level to newBody: do not prepare a gzip form.
const noGzip = -100

// minGzipBytes: smaller bodies are sent as they are (gzip would not save a packet).
const minGzipBytes = 1024

// Cache-Control values: API answers change when data is uploaded, so clients revalidate
// with the ETag every time (a 304 costs one round trip and no body).
const (
	cacheRevalidate = "no-cache"
	cacheVendor     = "public, max-age=86400"
)

// body is one encoded reply, ready to send many times: the bytes, their gzip form (nil when
// too small to be worth it) and an ETag of the uncompressed bytes: strong for the bytes as
// they are, weak for the gzip form (as nginx does when it compresses). Header values are kept
// as []string so the hot path assigns them without allocating. newBody leaves the gzip form to
// compress, which its maker calls before the body is shared (the response cache, with the
// previous data version's body of the same answer, whose gzip form it may reuse).
type body struct {
	raw, gz      []byte
	gzLevel      int    // the compress/gzip level compress makes gz with; noGzip: none
	etag         string // the weak form, W/"…"
	contentType  []string
	etagHdr      []string // weak, for the gzip form
	strongHdr    []string // strong, for the bytes as they are
	cacheControl []string
	gzLen        []string
}

var (
	hdrVary   = []string{"Accept-Encoding"}
	hdrGzip   = []string{"gzip"}
	hdrRanges = []string{"bytes"}
)

// size is the memory b holds: its bytes and their gzip form.
func (b *body) size() int64 { return int64(cap(b.raw) + cap(b.gz) + len(b.etag)) }

// gzipLevelAnswers is the gzip level of the answers built from the data (cached per data
// version, built again after every upload): gzip.DefaultCompression. On the demo's answers
// BestCompression took 3–4× its time (sites 710 KB: 44 ms against 11 ms; gaps 188 KB: 40 ms
// against 12 ms) for 0.3–5 % fewer bytes, and the rebuilds after an upload compete with the
// readers for the cores. Static files, compressed once at start, keep BestCompression.
const gzipLevelAnswers = gzip.DefaultCompression

// newBody encodes raw once; level is a compress/gzip level (gzipLevelAnswers for the answers
// built from the data, gzip.BestCompression for static files), or noGzip to skip the gzip
// form, which compress makes. raw is copied when it has much more room than bytes (a
// bytes.Buffer's, which doubles as it grows), so that a kept body holds what the response
// cache counts.
func newBody(contentType, cacheControl string, raw []byte, level int) *body {
	if cap(raw)-len(raw) > len(raw)/8 {
		raw = bytes.Clone(raw)
	}
	sum := sha256.Sum256(raw)
	etag := `W/"` + hex.EncodeToString(sum[:12]) + `"`
	if len(raw) < minGzipBytes {
		level = noGzip
	}
	return &body{
		raw:          raw,
		gzLevel:      level,
		etag:         etag,
		contentType:  []string{contentType},
		etagHdr:      []string{etag},
		strongHdr:    []string{strings.TrimPrefix(etag, "W/")},
		cacheControl: []string{cacheControl},
	}
}

// compress makes b's gzip form, once, and returns b; or returns prev instead when prev is the
// same answer (same bytes, type and caching: the previous data version's, where an upload
// left it unchanged), with its gzip form and ETag, so that clients revalidate it with a 304
// across versions. prev may be nil. Call it before b is shared.
func (b *body) compress(prev *body) *body {
	if prev != nil && prev.etag == b.etag && prev.contentType[0] == b.contentType[0] &&
		prev.cacheControl[0] == b.cacheControl[0] && bytes.Equal(prev.raw, b.raw) {
		return prev
	}
	if b.gz == nil && b.gzLevel != noGzip {
		b.gz = gzipBytes(b.raw, b.gzLevel)
		b.gzLen = []string{strconv.Itoa(len(b.gz))}
	}
	return b
}

// withGzip sets b's gzip form to gz (made before, at b's level: a stored answer's), so that
// compress has nothing left to do, and returns b.
func (b *body) withGzip(gz []byte) *body {
	if b.gzLevel != noGzip {
		b.gz, b.gzLen = gz, []string{strconv.Itoa(len(gz))}
	}
	return b
}

// jsonBody marshals v as a JSON (or GeoJSON, per contentType) body to be cached.
func jsonBody(contentType string, v any) (*body, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return newBody(contentType, cacheRevalidate, raw, gzipLevelAnswers), nil
}

var gzipPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func gzipBytes(raw []byte, level int) []byte {
	buf := gzipPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer gzipPool.Put(buf)
	zw, err := gzip.NewWriterLevel(buf, level)
	if err != nil {
		zw = gzip.NewWriter(buf)
	}
	_, _ = zw.Write(raw) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	return bytes.Clone(buf.Bytes())
}

// send writes b: 304 when If-None-Match names its ETag, the gzip form when the client
// accepts it and asks for no range, and otherwise the bytes as they are with the semantics of
// http.ServeContent: byte ranges (Range, If-Range; what GDAL's /vsicurl/ reads a GeoPackage
// or a large CSV with), HEAD, and the conditional requests If-Match, If-None-Match and
// If-Unmodified-Since against the strong ETag.
func send(c *gin.Context, b *body) {
	h := c.Writer.Header()
	h["Cache-Control"] = b.cacheControl
	if v := h["Vary"]; v != nil {
		h["Vary"] = append(v, hdrVary[0]) // Origin, set by CORS
	} else {
		h["Vary"] = hdrVary
	}
	h["Accept-Ranges"] = hdrRanges
	r := c.Request
	if b.gz == nil || r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h["Etag"] = b.strongHdr
		h["Content-Type"] = b.contentType
		http.ServeContent(c.Writer, r, "", time.Time{}, bytes.NewReader(b.raw))
		return
	}
	h["Etag"] = b.etagHdr
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, b.etag) {
		c.Writer.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = b.contentType
	h["Content-Encoding"] = hdrGzip
	h["Content-Length"] = b.gzLen
	c.Writer.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = c.Writer.Write(b.gz)
	}
}

// sendJSON encodes v for this request only (answers that depend on free-form parameters,
// such as a bbox or a point, are not cached).
func sendJSON(c *gin.Context, contentType string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	level := noGzip
	if acceptsGzip(c.Request.Header.Get("Accept-Encoding")) {
		level = gzip.BestSpeed
	}
	send(c, newBody(contentType, cacheRevalidate, raw, level).compress(nil))
	return nil
}

// etagMatch implements the weak comparison of If-None-Match (RFC 9110 §13.1.2): a list of
// entity tags or "*".
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (q > 0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.TrimSpace(coding)
		if !strings.EqualFold(coding, "gzip") && coding != "*" {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}
