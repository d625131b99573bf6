package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"phusong/data/demo"
)

// runFibreReport runs `phusong report --cell-m 200` with args on the demo (the fibre report
// with --layer fibre) and returns stdout, stderr and the error.
func runFibreReport(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return runReportCLI(t, append([]string{"--cell-m", testCellM}, args...)...)
}

func TestReportFibreJSON(t *testing.T) {
	t.Parallel()
	out, stderr, err := runFibreReport(t, "--layer", "fibre", "--format", "json")
	if err != nil {
		t.Fatalf("error %v; stderr %s", err, stderr)
	}
	if !strings.Contains(stderr, demo.FibreNote) {
		t.Errorf("stderr lacks the fibre note: %q", stderr)
	}
	var doc struct {
		FibreNote string           `json:"fibre_note"`
		DropM     float64          `json:"drop_m"`
		Operators []string         `json:"operators"`
		Communes  []map[string]any `json:"communes"`
		Province  map[string]any   `json:"province"`
		Combined  []map[string]any `json:"combined"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FibreNote != demo.FibreNote || doc.DropM != 300 || len(doc.Communes) != 41 || len(doc.Combined) != 41 {
		t.Fatalf("note %q, drop %g, %d communes, %d combined", doc.FibreNote, doc.DropM, len(doc.Communes), len(doc.Combined))
	}
	for _, k := range []string{"code", "households_in_reach", "population_in_reach", "reach_pct", "operators", "per_operator", "population_spread"} {
		if _, ok := doc.Communes[0][k]; !ok {
			t.Errorf("commune object has no %q", k)
		}
	}
	if doc.Province["households"].(float64) != 280222 {
		t.Errorf("province households %v", doc.Province["households"])
	}
	// Lacking both first: categories never go back from "both" to a lesser one.
	rank := map[string]int{"neither": 0, "4g_only": 1, "fibre_only": 1, "both": 2}
	for i := 1; i < len(doc.Combined); i++ {
		if rank[doc.Combined[i]["category"].(string)] < rank[doc.Combined[i-1]["category"].(string)] {
			t.Fatalf("combined view out of order at %d: %v after %v", i, doc.Combined[i], doc.Combined[i-1])
		}
	}
}

func TestReportFibreCSVAndTakeUp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	takeUp := filepath.Join(dir, "take_up.csv")
	if err := os.WriteFile(takeUp, []byte("code,households\n29242,4310\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runFibreReport(t, "--layer", "fibre", "--format", "csv", "--take-up", takeUp, "--drop-m", "200")
	if err != nil {
		t.Fatalf("error %v; stderr %s", err, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+41+1 {
		t.Fatalf("%d rows, want header + 41 + province", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		if rec[col["code"]] == "29242" {
			// 4,310 of Trà Vinh ward's 8,620 households = 50 %.
			if rec[col["take_up_pct"]] != "50" || rec[col["drop_m"]] != "200" {
				t.Errorf("Trà Vinh take-up %q %%, drop %q", rec[col["take_up_pct"]], rec[col["drop_m"]])
			}
		}
	}
	if last := recs[len(recs)-1]; last[col["level"]] != "province" || last[col["households"]] != "280222" {
		t.Errorf("province row %v", last)
	}
}

func TestReportFibreTable(t *testing.T) {
	t.Parallel()
	out, _, err := runFibreReport(t, "--layer", "fibre")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Fibre reach by commune", "drop distance 300 m", "TOTAL (41 communes)", "viettel", "tvcable"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

func TestReportFibreErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "net.geojson")
	if err := os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A","ports":-1}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runFibreReport(t, "--layer", "fibre", "--fibre", bad, "--fibre-operator", "viettel")
	if err == nil || !strings.Contains(err.Error(), `feature 1: ports: "-1" is negative`) {
		t.Errorf("bad network: %v", err)
	}
	var errb bytes.Buffer
	for _, args := range [][]string{{"--layer", "wifi"}, {"--drop-m", "0"}, {"--drop-m", "9000"}} {
		if _, err := parseReportFlags(args, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	// The coverage layer is the coverage report.
	if out, _, err := runFibreReport(t); err != nil || !strings.Contains(out, "coverage by commune") || strings.Contains(out, "Fibre reach") {
		t.Errorf("default layer: %v\n%s", err, out)
	}
}

// TestReportLayerFibreEndToEnd runs `phusong report --layer fibre` through the command table:
// the fibre CSV alone on stdout (no coverage table after it).
func TestReportLayerFibreEndToEnd(t *testing.T) {
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if err := run(context.Background(), []string{"report", "--layer", "fibre", "--format", "csv", "--cell-m", "200"}, io); err != nil {
		t.Fatalf("report --layer fibre: %v; stderr %s", err, errb.String())
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("stdout is not one CSV table: %v", err)
	}
	if len(recs) != 1+41+1 || recs[0][0] != "level" || recs[len(recs)-1][0] != "province" {
		t.Fatalf("%d rows, header %v, last %v: want the fibre table's header, 41 communes and the province", len(recs), recs[0], recs[len(recs)-1])
	}
	if !slices.Contains(recs[0], "fibre_reach_pct") {
		t.Errorf("header %v has no reach column", recs[0])
	}
	if !strings.Contains(errb.String(), demo.FibreNote) {
		t.Errorf("stderr lacks the fibre note: %q", errb.String())
	}
}
