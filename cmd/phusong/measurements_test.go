package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"phusong/data/coverage"
	"phusong/data/testenv"
)

// runCLI runs "phusong args..." and returns stdout, stderr and the error.
func runCLI(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := run(context.Background(), args, io)
	return out.String(), errb.String(), err
}

// The measurement commands end to end on a data directory: a synthetic drive test made, imported
// (twice: the second time every sample a duplicate), compared, calibrated into a definition file
// that report serves with --config.
func TestMeasurementsCLI(t *testing.T) {
	testenv.Heavy(t, "seven demo computes through the CLI; server/app's and server's measurement tests run in a quick run")
	t.Parallel()
	dir := t.TempDir()
	data, drive, def := filepath.Join(dir, "data"), filepath.Join(dir, "drive.csv"), filepath.Join(dir, "calibrated.json")
	_, stderr, err := runCLI("measurements", "synth", "--cell-m", "200", "--out", drive, "--samples", "20000", "--seed", "3",
		"--pairs", "viettel/4G", "--truth", "viettel/4G/commune=+6/0")
	if err != nil || !strings.Contains(stderr, "SYNTHETIC") {
		t.Fatalf("synth: %v\n%s", err, stderr)
	}
	out, stderr, err := runCLI("measurements", "import", "--cell-m", "200", "--data-dir", data, drive)
	imported := regexp.MustCompile(`(\d+) samples \(csv\), (\d+) new, 0 duplicates`).FindStringSubmatch(out)
	if err != nil || imported == nil || imported[1] != imported[2] || !strings.Contains(out, "stored as upload 1") {
		t.Fatalf("import: %v\n%s%s", err, out, stderr)
	}
	out, _, err = runCLI("measurements", "import", "--cell-m", "200", "--data-dir", data, drive)
	if err != nil || !strings.Contains(out, "0 new, "+imported[1]+" duplicates") {
		t.Fatalf("import again: %v\n%s", err, out)
	}
	out, _, err = runCLI("measurements", "stats", "--cell-m", "200", "--data-dir", data, "--carrier", "viettel")
	if err != nil || !strings.Contains(out, "uncalibrated") || !regexp.MustCompile(`viettel\s+4G\s+commune\s+\d+\s+-[5-9]\.`).MatchString(out) {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	out, stderr, err = runCLI("calibrate", "--cell-m", "200", "--data-dir", data, "--out", def)
	if err != nil || !strings.Contains(out, "calibrated with") || !strings.Contains(stderr, "serve it with --config") {
		t.Fatalf("calibrate: %v\n%s%s", err, out, stderr)
	}
	b, err := os.ReadFile(def)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := coverage.ParseDefinition(bytes.NewReader(b))
	if err != nil || cal.Calibration == nil || len(cal.Calibration.Corrections) == 0 {
		t.Fatalf("the written definition: %v", err)
	}
	out, _, err = runCLI("report", "--cell-m", "200", "--config", def, "--tech", "4G", "--format", "json")
	var rep struct{ Calibration string }
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Calibration != cal.CalibrationLabel() {
		t.Fatalf("report with the calibrated definition says %q, want %q (%v)", rep.Calibration, cal.CalibrationLabel(), err)
	}
	// Too few samples for anyone: refused, with the reason, and an error.
	out, _, err = runCLI("calibrate", "--cell-m", "200", "--data-dir", data, "--min-samples", "1000000")
	if err == nil || !strings.Contains(out, "too few samples") || !strings.Contains(err.Error(), "nothing calibrated") {
		t.Fatalf("calibrate with 1e6 samples needed: %v\n%s", err, out)
	}
}

// A bad file is refused whole with its line and field, and nothing is stored.
func TestMeasurementsImportRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("time,lon,lat,carrier,tech,level_dbm\n2026-01-05T01:00:00Z,106.3271,9.8786,viettel,4G,-90\n"+
		"2026-01-05T01:00:01Z,106.3271,9.8786,viettel,4G,-9O\n"), 0o644)
	_, _, err := runCLI("measurements", "import", "--cell-m", "200", "--data-dir", filepath.Join(dir, "data"), bad)
	if err == nil || !strings.Contains(err.Error(), `line 3: level_dbm: "-9O" is not a number`) {
		t.Fatalf("import of a bad file: %v", err)
	}
	out, _, err := runCLI("measurements", "stats", "--cell-m", "200", "--data-dir", filepath.Join(dir, "data"))
	if err != nil || !strings.Contains(out, "0 samples") {
		t.Fatalf("after the refused file: %v\n%s", err, out)
	}
	if _, _, err := runCLI("measurements", "import", filepath.Join(dir, "x.kml")); err == nil || !strings.Contains(err.Error(), "unknown file type") {
		t.Errorf("a .kml file: %v", err)
	}
	if _, _, err := runCLI("measurements", "nope"); err == nil {
		t.Error("an unknown subcommand is not an error")
	}
}
