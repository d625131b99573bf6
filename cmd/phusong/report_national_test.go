package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data/demo"
	"phusong/data/testenv"
)

// TestReportNationalRegions reports the southernmost synthetic province (demo-data
// --national --provinces 1) region by region and in one region: the same CSV, the data note
// (stderr, JSON) says SYNTHETIC, and the layer exports of the same files (which need levels, not just
// statistics) still work.
func TestReportNationalRegions(t *testing.T) {
	testenv.Heavy(t, "a national province generated and reported three times")
	t.Parallel()
	nf, err := demo.GenerateNational(demo.NationalOptions{Provinces: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	communes, sites := filepath.Join(dir, "communes.geojson"), filepath.Join(dir, "sites.csv")
	for path, b := range map[string][]byte{communes: nf.CommunesGeoJSON, sites: nf.SitesCSV} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--communes", communes, "--sites", sites, "--cell-m", testCellM, "--format", "csv"}
	many, manyErr, err := runReportCLI(t, append(args, "--region-cells", "10000")...)
	if err != nil {
		t.Fatal(err, manyErr)
	}
	one, oneErr, err := runReportCLI(t, append(args, "--region-cells", "1000000000")...)
	if err != nil {
		t.Fatal(err, oneErr)
	}
	if !strings.Contains(manyErr, "regions of at most") || strings.Contains(oneErr, "regions of at most") {
		t.Errorf("stderr of many regions %q, of one %q", manyErr, oneErr)
	}
	if many != one {
		t.Error("the report differs between many regions and one")
	}
	js, _, err := runReportCLI(t, "--communes", communes, "--sites", sites, "--cell-m", testCellM, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(manyErr, "SYNTHETIC") || !strings.Contains(js, `"data_note": "SYNTHETIC`) {
		t.Errorf("the report does not say SYNTHETIC: stderr %q", manyErr)
	}
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if err := run(context.Background(), []string{"export", "gaps", "--tech", "4G", "--communes", communes, "--sites", sites,
		"--cell-m", testCellM}, io); err != nil {
		t.Fatal(err, errb.String())
	}
	if !strings.Contains(out.String(), `"FeatureCollection"`) {
		t.Errorf("export gaps gave %.200q", out.String())
	}
}
