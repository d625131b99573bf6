package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"phusong/data/persist"
)

const (
	// uploadGzipOverBytes: files larger than this are sent gzip-encoded.
	uploadGzipOverBytes = 256 << 10
	// uploadMaxReplyBytes caps how much of the server's reply is read.
	uploadMaxReplyBytes = 16 << 20
)

// uploadOptions are the flags and argument of `phusong upload`.
type uploadOptions struct {
	remote
	carrier, mode, file string
	dryRun              bool
}

// runUpload sends a carrier's station file to a phusong server
// (POST /api/v1/carriers/{carrier}/sites?mode=&dry_run=) and prints the server's JSON report
// on stdout. A reply other than 2xx is an error carrying the server's message; its full JSON
// body, when it says more than the message (e.g. the list of bad lines), goes to stderr. A
// busy server (503 or 429 with a Retry-After of at most a minute: its upload gates are full)
// is waited for and the file sent again, up to uploadAttempts times in all.
func runUpload(ctx context.Context, io stdio, args []string) error {
	o, err := parseUploadFlags(io, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	req, err := newUploadRequest(ctx, o)
	if err != nil {
		return err
	}
	body, err := o.do(req, io.Stderr)
	if err != nil {
		return err
	}
	return writeJSONIndented(io.Stdout, body)
}

func parseUploadFlags(io stdio, args []string) (uploadOptions, error) {
	o := uploadOptions{remote: remote{cmd: "upload"}}
	fs := newFlags(io.Stderr, "upload", "upload --carrier ID [--server URL] [--token T] [--mode replace|upsert|delete] [--dry-run] FILE",
		"Sends a carrier's station list to a phusong server and prints its report. FILE is .csv or\n"+
			".geojson/.json, optionally .gz; large files are sent gzip-encoded.")
	o.addFlags(fs, io, 5*time.Minute)
	fs.StringVar(&o.carrier, "carrier", "", "carrier id whose list FILE is, e.g. viettel (required)")
	fs.StringVar(&o.mode, "mode", persist.ModeReplace, "replace (FILE is the whole list), upsert (add and update) or delete (remove the listed site ids)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "validate and report the impact without changing anything")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return o, err
	}
	if o.token == "" {
		o.token = io.Getenv("PHUSONG_TOKEN")
	}
	switch {
	case len(pos) != 1:
		fs.Usage()
		return o, errUsage
	case o.carrier == "":
		return o, errors.New("upload: --carrier is required")
	case !persist.ValidCarrierID(o.carrier):
		return o, fmt.Errorf("upload: --carrier %q: want a carrier id like viettel", o.carrier)
	case o.token == "":
		return o, errors.New("upload: no token: pass --token or set PHUSONG_TOKEN")
	case o.mode != persist.ModeReplace && o.mode != persist.ModeUpsert && o.mode != persist.ModeDelete:
		return o, fmt.Errorf("upload: --mode %q: want replace, upsert or delete", o.mode)
	}
	o.file = pos[0]
	return o, o.check(io)
}

// uploadContentType returns the media type for name by its extension, and whether the file is
// already gzip-compressed (".csv.gz").
func uploadContentType(name string) (mediaType string, gzipped bool, err error) {
	base := strings.ToLower(filepath.Base(name))
	base, gzipped = strings.CutSuffix(base, ".gz")
	switch filepath.Ext(base) {
	case ".csv", ".txt":
		return "text/csv", gzipped, nil
	case ".geojson", ".json":
		return "application/geo+json", gzipped, nil
	}
	return "", false, fmt.Errorf("upload: %s: want a .csv or .geojson file (optionally .gz)", name)
}

// newUploadRequest builds the POST for o: file body (gzip-encoded when already .gz or larger
// than uploadGzipOverBytes), bearer token, media type by extension.
func newUploadRequest(ctx context.Context, o uploadOptions) (*http.Request, error) {
	mediaType, gzipped, err := uploadContentType(o.file)
	if err != nil {
		return nil, err
	}
	body, err := os.ReadFile(o.file)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	if !gzipped && len(body) > uploadGzipOverBytes {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write(body); err != nil {
			return nil, fmt.Errorf("upload: gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("upload: gzip: %w", err)
		}
		body, gzipped = b.Bytes(), true
	}
	req, err := o.request(ctx, http.MethodPost, "api/v1/carriers/"+o.carrier+"/sites",
		url.Values{"mode": {o.mode}, "dry_run": {fmt.Sprint(o.dryRun)}}, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mediaType)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	return req, nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readAllLimit reads r to the end, failing past max bytes.
func readAllLimit(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("longer than %d bytes", max)
	}
	return b, err
}

// serverFailure turns a non-2xx reply to command cmd into an error with the server's message
// ("error" of its JSON body, or the start of a non-JSON body); a JSON body with more than status
// and error is printed indented on stderr first.
func serverFailure(stderr io.Writer, cmd, status string, body []byte) error {
	var reply map[string]any
	if err := json.Unmarshal(body, &reply); err != nil {
		msg := strings.TrimSpace(string(body[:min(len(body), 300)]))
		if msg == "" {
			return fmt.Errorf("%s: server replied %s", cmd, status)
		}
		return fmt.Errorf("%s: server replied %s: %s", cmd, status, msg)
	}
	for k := range reply {
		if k != "status" && k != "error" {
			writeJSONIndented(stderr, body)
			break
		}
	}
	if msg, ok := reply["error"].(string); ok && msg != "" {
		return fmt.Errorf("%s: server replied %s: %s", cmd, status, msg)
	}
	return fmt.Errorf("%s: server replied %s", cmd, status)
}

// writeJSONIndented writes body indented when it is JSON, as it is otherwise, with a final
// newline.
func writeJSONIndented(w io.Writer, body []byte) error {
	var b bytes.Buffer
	if json.Indent(&b, body, "", "  ") != nil {
		b.Reset()
		b.Write(body)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}
