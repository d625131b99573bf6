package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The upload corpus: testdata/uploads holds files a carrier might really send by mistake (or
// on purpose: the hostile files of issue 16), and testdata/uploads/MANIFEST.tsv says, for each,
// the status and the error the server must give (for 422: the line or feature, the field and a
// substring of the message; for 200: a substring of the report). Each file is posted over HTTP
// as a dry run by viettel, with the content type of its extension (.gz: gzip-encoded), to its
// station list or, for files named fibre_*, its fibre network, on a server with corpusLimits.

const corpusDir = "testdata/uploads"

// corpusCase is one line of MANIFEST.tsv.
type corpusCase struct {
	file    string
	mode    string
	status  int
	line    int    // 422: the issue's CSV line, 0 if none
	feature int    // 422: the issue's GeoJSON feature, 0 if none
	field   string // 422: the issue's field, "" if none
	message string // substring of the issue's message (422) or of the error (others)
}

// readManifest parses MANIFEST.tsv: file, mode, status, where ("line N", "feature N" or "-"),
// field ("-" for none), message; blank lines and # comments skipped.
func readManifest(t *testing.T) []corpusCase { return readManifestIn(t, corpusDir) }

// readManifestIn is readManifest of the corpus in dir.
func readManifestIn(t *testing.T, dir string) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 6 {
			t.Fatalf("MANIFEST.tsv:%d: %d columns, want 6", n, len(cols))
		}
		c := corpusCase{file: cols[0], mode: cols[1], field: strings.TrimPrefix(cols[4], "-"), message: cols[5]}
		if c.status, err = strconv.Atoi(cols[2]); err != nil {
			t.Fatalf("MANIFEST.tsv:%d: status %q", n, cols[2])
		}
		if kind, num, ok := strings.Cut(cols[3], " "); ok {
			v, err := strconv.Atoi(num)
			switch {
			case err != nil:
				t.Fatalf("MANIFEST.tsv:%d: where %q", n, cols[3])
			case kind == "line":
				c.line = v
			case kind == "feature":
				c.feature = v
			default:
				t.Fatalf("MANIFEST.tsv:%d: where %q: want line N, feature N or -", n, cols[3])
			}
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusRequest returns the headers a client sends for a file of that name.
func corpusHeaders(name string) []string {
	base, gz := strings.CutSuffix(name, ".gz")
	h := []string{"Content-Type: text/csv"}
	if strings.HasSuffix(base, ".geojson") {
		h[0] = "Content-Type: application/geo+json"
	}
	if gz {
		h = append(h, "Content-Encoding: gzip")
	}
	return h
}

// corpusLimits are the server's limits for the corpus: small, so that files over them stay
// small.
var corpusLimits = Limits{MaxBodyBytes: 1 << 20, MaxDecompressedBytes: 8 << 20, TokenRatePerMinute: -1,
	MaxRows: 2000, MaxSitesPerCarrier: 300, MaxSectorsPerSite: 32, MaxFeatureBytes: 16 << 10, MaxFibreItemsPerOperator: 100}

// corpusPath is where a corpus file is posted.
func corpusPath(file, mode string) string {
	if strings.HasPrefix(file, "fibre_") {
		return "/api/v1/operators/viettel/fibre?dry_run=true&mode=" + mode
	}
	return "/api/v1/carriers/viettel/sites?dry_run=true&mode=" + mode
}

// runCorpus checks that dir's MANIFEST.tsv lists exactly the files of dir, at least least of them,
// and, file by file, that post's answer is the manifest's: the status and, for 422, an issue at
// the line or feature and field with the message, else the message in the error.
func runCorpus(t *testing.T, dir string, least int, post func(t *testing.T, tc corpusCase, body []byte) reply) {
	t.Helper()
	cases := readManifestIn(t, dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if e.Name() != "MANIFEST.tsv" {
			files = append(files, e.Name())
		}
	}
	var listed []string
	for _, c := range cases {
		listed = append(listed, c.file)
	}
	slices.Sort(listed)
	if !slices.Equal(files, slices.Compact(slices.Clone(listed))) || len(listed) != len(files) {
		t.Fatalf("MANIFEST.tsv lists %v,\nthe folder holds %v", listed, files)
	}
	if len(cases) < least {
		t.Fatalf("%d cases; the corpus needs at least %d", len(cases), least)
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := post(t, tc, body)
			if r.status == http.StatusOK && tc.status == http.StatusOK {
				if !strings.Contains(string(r.body), tc.message) {
					t.Fatalf("report lacks %q: %s", tc.message, truncate(string(r.body), 600))
				}
				return
			}
			eb := decode[errorBody](t, r)
			if r.status != tc.status || eb.Status != tc.status {
				t.Fatalf("status %d, want %d; reply %s", r.status, tc.status, truncate(string(r.body), 600))
			}
			if tc.status != http.StatusUnprocessableEntity {
				if !strings.Contains(eb.Error, tc.message) {
					t.Fatalf("error %q lacks %q", eb.Error, tc.message)
				}
				return
			}
			for _, is := range eb.Issues {
				if is.Line == tc.line && is.Feature == tc.feature && is.Field == tc.field && strings.Contains(is.Message, tc.message) {
					return
				}
			}
			var got bytes.Buffer
			for _, is := range eb.Issues {
				fmt.Fprintf(&got, "\n\tline %d feature %d field %q: %s", is.Line, is.Feature, is.Field, is.Message)
			}
			t.Fatalf("no issue at line %d feature %d field %q with %q; got:%s", tc.line, tc.feature, tc.field, tc.message, got.String())
		})
	}
}

// TestUploadCorpus posts every station and fibre file of the corpus (hostile, malformed and
// valid edge cases, at least 100) as a dry run under small limits and checks each answer.
func TestUploadCorpus(t *testing.T) {
	e := newUploadEnv(t, corpusLimits)
	_, v0 := siteIDsOf(t, e.ts.URL, "viettel")
	runCorpus(t, corpusDir, 100, func(t *testing.T, tc corpusCase, body []byte) reply {
		return e.call(t, http.MethodPost, corpusPath(tc.file, tc.mode), e.tok["viettel"], body, corpusHeaders(tc.file)...)
	})
	// Streamed without a Content-Length, a body over the limit is cut at the limit (a header,
	// then blank lines, which the CSV reader skips: it reads on until the limit).
	t.Run("streamed over the raw limit", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/api/v1/carriers/viettel/sites?dry_run=true",
			io.MultiReader(strings.NewReader("site_id,lon,lat,tech\n"), bytes.NewReader(bytes.Repeat([]byte("\n"), 3<<20))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.tok["viettel"])
		req.Header.Set("Content-Type", "text/csv")
		resp, err := rawClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.ContentLength != 0 || resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked 3 MB body → %d (content length %d), want 413", resp.StatusCode, req.ContentLength)
		}
	})
	if _, v := siteIDsOf(t, e.ts.URL, "viettel"); v != v0 {
		t.Fatalf("the corpus changed the served data: version %d → %d", v0, v)
	}
}
