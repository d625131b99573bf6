package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/persist"
)

// TestStartOnStoredResults: serve's start on a database (region by region, a --sites file):
// the first start reads the file, seeds the database and records the file's hash, and stores
// the coverage answers it renders; a second start given the same file does not read it
// (Input.SitesSeeded, no sites in the Input) and serves the stored answers — the same bytes, and
// read from the database (a marker stored under a key answers that key). A changed file is read
// again: a valid one is logged as not served (the database's lists are), an invalid one fails
// the start as it always did.
func TestStartOnStoredResults(t *testing.T) {
	st := mustDemo(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "sites.csv")
	var csv bytes.Buffer
	if err := input.WriteSitesCSV(&csv, sitesOf(st.Snapshot)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, csv.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// start loads the inputs as serve does and opens the app; it returns the layer at zoom and
	// the Input (nil app when Load failed: its error).
	var note string // the served state's
	start := func(zoom int) (layer []byte, in Input, err error) {
		t.Helper()
		db, err := persist.Open(filepath.Join(dir, "data"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := context.Background()
		in, _, err = Load(Sources{Sites: file, Population: PopulationNone, Seeded: SeededFrom(ctx, db)})
		if err != nil {
			return nil, in, err
		}
		in.Coverage, in.RegionCells = regionGrid()
		a, err := OpenDB(ctx, db, in, log)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		note = a.State().Note
		fc, _, err := a.State().Layer(LayerRequest{Kind: LayerCoverage, Carrier: coverage.AnyCarrier, Tech: "4G", Zoom: zoom})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		return b, in, nil
	}
	first, in1, err := start(9)
	if err != nil {
		t.Fatal(err)
	}
	if in1.SitesSeeded || len(in1.Sites) == 0 || in1.SitesSHA256 == "" {
		t.Fatalf("first start: seeded %v, %d sites, hash %q: want the file read and hashed", in1.SitesSeeded, len(in1.Sites), in1.SitesSHA256)
	}

	// a marker under the zoom-8 key of this result: the second start must answer it from there
	db, err := persist.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	in1.Coverage, in1.RegionCells = regionGrid()
	r, err := NewRegions(db, in1, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := db.Sites().Heads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	marker := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"marker":"stored"}}]}`
	k := persist.AnswerKey{Fingerprint: r.Fingerprint(), DataVersion: persist.DataVersion(heads), Format: answersFormat, Layer: answerLayer("any", "4G", 0, 8, note)}
	if err := db.PutLayerAnswer(t.Context(), k, gzipAnswer([]byte(marker))); err != nil {
		t.Fatal(err)
	}
	db.Close()

	second, in2, err := start(9)
	if err != nil {
		t.Fatal(err)
	}
	if !in2.SitesSeeded || in2.Sites != nil {
		t.Errorf("second start: seeded %v, %d sites: want the file not read", in2.SitesSeeded, len(in2.Sites))
	}
	if !bytes.Equal(first, second) {
		t.Errorf("the stored answer differs from the rendered one (%d and %d bytes)", len(second), len(first))
	}
	if got, _, _ := start(8); !strings.Contains(string(got), `"marker":"stored"`) {
		t.Errorf("zoom 8 answered %.100s…, want the stored marker", got)
	}
	if got, gz, ok := (&State{}).StoredCoverage("any", "4G", 0, 9); ok || got != nil || gz != nil {
		t.Errorf("a state without stored answers gave %d bytes", len(got))
	}
	if strings.Contains(logs.String(), "not the one the database was seeded from") {
		t.Errorf("the same file was reported as changed:\n%s", logs.String())
	}

	// a changed file is read again: valid, it is logged as not served; invalid, the start fails
	changed := bytes.Replace(csv.Bytes(), []byte("\n"), []byte("\r\n"), 1) // the same sites, other bytes
	if err := os.WriteFile(file, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, in3, err := start(9); err != nil || in3.SitesSeeded || len(in3.Sites) == 0 {
		t.Errorf("a changed file: %v, seeded %v, %d sites: want it read", err, in3.SitesSeeded, len(in3.Sites))
	}
	if !strings.Contains(logs.String(), "not the one the database was seeded from") {
		t.Errorf("a changed file was not reported:\n%s", logs.String())
	}
	if err := os.WriteFile(file, append(csv.Bytes(), "viettel,BROKEN,not-a-lon\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := start(9); err == nil {
		t.Errorf("an invalid changed file started")
	}
}
