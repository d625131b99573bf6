package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/render"
)

// TestReportPockets: report --layer pockets prints the demo's pockets of at least --min-people
// people ranked by people in every format; the JSON says the grid is synthetic, carries the
// distances to sites and fibre, and agrees with the table and the CSV.
func TestReportPockets(t *testing.T) {
	t.Parallel()
	out, stderr, err := runReportCLI(t, "--layer", "pockets", "--tech", "4G", "--min-people", "100", "--format", "json", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stderr, demo.PopulationNote) {
		t.Errorf("stderr lacks the population note: %q", stderr)
	}
	var rep render.PocketReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Layers) != 1 || rep.DataNote != demo.Note+" "+demo.PopulationNote || !strings.Contains(rep.PopulationSpread, "population.tif") {
		t.Fatalf("report: %d layers, note %q, spread %q", len(rep.Layers), rep.DataNote, rep.PopulationSpread)
	}
	l := rep.Layers[0]
	if l.Tech != "4G" || l.MinPeople != 100 || len(l.Pockets) == 0 || len(l.Pockets) != l.Kept || l.Total < l.Kept {
		t.Fatalf("layer %s: floor %g, %d pockets, kept %d of %d", l.Tech, l.MinPeople, len(l.Pockets), l.Kept, l.Total)
	}
	for i, p := range l.Pockets {
		if p.Rank != i+1 || p.People < 100 || i > 0 && p.People > l.Pockets[i-1].People || len(p.NearestSites) == 0 || p.NearestAccessPoint == nil {
			t.Fatalf("pocket %d: %+v", i+1, p)
		}
	}
	table, _, err := runReportCLI(t, "--layer", "pockets", "--tech", "4G", "--min-people", "100", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err)
	}
	first := l.Pockets[0]
	if !strings.Contains(table, first.Communes[0].Name) || !strings.Contains(table, "pockets with at least 100 people") {
		t.Errorf("table lacks the first pocket's commune %q:\n%s", first.Communes[0].Name, table)
	}
	raw, _, err := runReportCLI(t, "--layer", "pockets", "--tech", "4G", "--min-people", "100", "--format", "csv", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(l.Pockets)+1 || rows[0][0] != "rank" || rows[0][len(rows[0])-1] != "wkt" {
		t.Fatalf("csv: %d rows for %d pockets, header %v", len(rows), len(l.Pockets), rows[0])
	}
	if _, _, err := runReportCLI(t, "--layer", "pockets", "--min-people", "-5"); err == nil {
		t.Error("a negative --min-people is accepted")
	}
}

// TestPopulationFlags: --population reads a GeoTIFF for the demo communes; in raster mode each
// commune counts the raster's people (factor 1), in census mode its census (factor census /
// raster); --population none spreads the census uniformly; bad files and modes are refused
// naming them.
func TestPopulationFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	area, err := demo.Area()
	if err != nil {
		t.Fatal(err)
	}
	tif, err := input.EncodeGeoTIFF(input.GeoTIFFSpec{West: area.Min[0], North: area.Max[1], DLon: 0.005, DLat: 0.005,
		NX: int((area.Max[0]-area.Min[0])/0.005) + 1, NY: int((area.Max[1]-area.Min[1])/0.005) + 1, Sample: "float32", Compression: "deflate"},
		func(x0, _, nx, _ int, dst []float64) {
			for i := range dst {
				dst[i] = float64(20 + (x0+i%nx)%7) // ~900 people/km², varying by column
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "worldpop_like.tif")
	if err := os.WriteFile(path, tif, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"raster", "census"} {
		out, stderr, err := runReportCLI(t, "--population", path, "--population-mode", mode, "--tech", "4G", "--format", "json", "--cell-m", testCellM)
		if err != nil {
			t.Fatal(err, stderr)
		}
		var doc struct {
			Population render.PopulationSummary `json:"population"`
			Communes   []map[string]any         `json:"communes"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Population.Source != "worldpop_like.tif" || doc.Population.Mode != mode || doc.Population.Note != "" {
			t.Fatalf("%s: population %+v", mode, doc.Population)
		}
		for _, c := range doc.Communes {
			grid, raster, census := c["grid_population"].(float64), c["raster_population"].(float64), c["population"].(float64)
			factor := c["population_factor"].(float64)
			want := raster
			if mode == "census" {
				want = census
			}
			if math.Abs(grid-want) > 1e-3*want || math.Abs(factor*raster-want) > 1e-6*want {
				t.Errorf("%s %v: grid %g, raster %g, census %g, factor %g", mode, c["code"], grid, raster, census, factor)
			}
		}
	}
	out, _, err := runReportCLI(t, "--population", "none", "--tech", "4G", "--format", "json", "--cell-m", testCellM)
	if err != nil || !strings.Contains(out, `"population_spread": "uniform over commune land"`) {
		t.Errorf("--population none: %v", err)
	}
	bad := filepath.Join(dir, "hrsl.csv")
	if err := os.WriteFile(bad, []byte("latitude,longitude,value\n9.9,106.3,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--population", bad}, []string{"hrsl.csv", "population: column missing"}},
		{[]string{"--population", filepath.Join(dir, "missing.tif")}, []string{"missing.tif"}},
		{[]string{"--population-mode", "both"}, []string{`population mode "both"`}},
	} {
		_, _, err := runReportCLI(t, append(c.args, "--cell-m", testCellM)...)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v, want an error containing %q", c.args, err, w)
			}
		}
	}
}

// TestExportPockets: export pockets writes the same pockets as GeoJSON and KML (labelled with
// the people); --min-people and --commune apply only to pockets.
func TestExportPockets(t *testing.T) {
	t.Parallel()
	out, stderr, err := runExportCLI(t, "pockets", "--tech", "4G", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err, stderr)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &fc); err != nil || len(fc.Features) == 0 {
		t.Fatalf("%v: %d pockets", err, len(fc.Features))
	}
	kml, _, err := runExportCLI(t, "pockets", "--tech", "4G", "--cell-m", testCellM, "--format", "kml")
	if err != nil || !bytes.Contains([]byte(kml), []byte("<name>#1: ")) {
		t.Errorf("kml: %v", err)
	}
	if _, _, err := runExportCLI(t, "gaps", "--min-people", "10"); err == nil || !strings.Contains(err.Error(), "--min-people only with export pockets") {
		t.Errorf("--min-people with gaps: %v", err)
	}
	code := fc.Features[0].Properties["commune"].(string)
	one, _, err := runExportCLI(t, "pockets", "--tech", "4G", "--cell-m", testCellM, "--commune", code)
	if err != nil || !strings.Contains(one, `"`+code+`"`) {
		t.Errorf("--commune %s: %v", code, err)
	}
}
