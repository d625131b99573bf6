package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"phusong/data/coverage"
	"phusong/data/demo"
)

// `report --out DIR` writes the communes with the same statistics as the JSON report, one
// coverage layer per carrier and any, and the gaps, for the technologies asked for only.
func TestReportOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, stderr, err := runReportCLI(t, "--format", "json", "--cell-m", testCellM, "--tech", "4G", "--out", dir)
	if err != nil {
		t.Fatal(err, stderr)
	}
	var doc reportJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	want := []string{"communes.geojson", "gaps_4g.geojson"}
	for _, c := range append(slices.Clone(doc.Carriers), coverage.AnyCarrier) {
		want = append(want, "coverage_"+c+"_4g.geojson")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	read := func(name string) *geojson.FeatureCollection {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return fc
	}
	pct := map[string]float64{}
	for _, c := range doc.Communes {
		pct[c["code"].(string)] = c["covered_area_pct"].(float64)
	}
	communes := read("communes.geojson")
	if len(communes.Features) != len(pct) {
		t.Fatalf("%d commune features, report has %d communes", len(communes.Features), len(pct))
	}
	for _, f := range communes.Features {
		code := f.Properties.MustString("code", "")
		if v := f.Properties.MustFloat64("covered_area_pct_4g", -1); math.Abs(v-pct[code]) > 1e-6 {
			t.Errorf("%s: covered_area_pct_4g %v, report %v", code, v, pct[code])
		}
	}
	for _, name := range want {
		note := demo.Note // the layers counting people say the population grid is synthetic too
		if name == "communes.geojson" || strings.HasPrefix(name, "gaps_") {
			note += " " + demo.PopulationNote
		}
		for _, f := range read(name).Features {
			if f.Properties["synthetic"] != true || f.Properties["note"] != note {
				t.Fatalf("%s: feature not marked synthetic: %v", name, f.Properties)
			}
		}
	}
	if fc := read("coverage_any_4g.geojson"); len(fc.Features) != 1 || fc.Features[0].Properties["tech"] != "4G" {
		t.Errorf("coverage_any_4g: %d features %v", len(fc.Features), fc.Features[0].Properties)
	}
	// A minimum gap larger than the province drops every gap.
	if _, stderr, err := runReportCLI(t, "--cell-m", testCellM, "--tech", "4G", "--out", dir, "--min-gap-m2", "1e10"); err != nil {
		t.Fatal(err, stderr)
	}
	if n := len(read("gaps_4g.geojson").Features); n != 0 {
		t.Errorf("--min-gap-m2 1e10 kept %d gap features", n)
	}
	if _, _, err := runReportCLI(t, "--min-gap-m2", "-1"); err == nil {
		t.Error("--min-gap-m2 -1 accepted")
	}
}
