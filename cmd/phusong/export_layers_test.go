package main

import (
	"encoding/csv"
	"encoding/xml"
	"errors"
	"flag"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geom/encoding/ewkbhex"
	"github.com/twpayne/go-geom/encoding/wkt"

	"phusong/data/demo"
	"phusong/data/hex"
	"phusong/data/testenv"
)

// layerKML is the part of an exported KML document these tests read.
type layerKML struct {
	Document struct {
		Name        string `xml:"name"`
		Snippet     string `xml:"Snippet"`
		Description string `xml:"description"`
		Folders     []struct {
			Name       string `xml:"name"`
			Placemarks []struct {
				Name string `xml:"name"`
			} `xml:"Placemark"`
		} `xml:"Folder"`
	} `xml:"Document"`
}

func readCSVString(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return rows
}

// TestExportGapsFormatsAgree exports the demo's 4G gaps as GeoJSON, KML and CSV (WKT and EWKB)
// and checks the three agree feature for feature, with the demo note everywhere.
func TestExportGapsFormatsAgree(t *testing.T) {
	t.Parallel()
	out, stderr, err := runExportCLI(t, "gaps", "--tech", "4g", "--cell-m", "200")
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stderr, demo.Note) {
		t.Errorf("stderr lacks the demo note: %s", stderr)
	}
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) == 0 {
		t.Fatal("no 4G gaps on the demo")
	}
	for _, f := range fc.Features {
		if f.Properties["synthetic"] != true || f.Properties["tech"] != "4G" {
			t.Fatalf("feature %v: want synthetic 4G", f.Properties)
		}
	}

	out, stderr, err = runExportCLI(t, "gaps", "--tech", "4G", "--cell-m", "200", "--format", "kml")
	if err != nil {
		t.Fatal(err, stderr)
	}
	var k layerKML
	if err := xml.Unmarshal([]byte(out), &k); err != nil {
		t.Fatal(err)
	}
	if k.Document.Name != "phusong — Gaps 4G" || k.Document.Snippet != demo.Note+" "+demo.PopulationNote || !strings.Contains(k.Document.Description, "Coverage definition version ") {
		t.Errorf("document %q snippet %q description %q", k.Document.Name, k.Document.Snippet, k.Document.Description)
	}
	pms := k.Document.Folders[0].Placemarks
	if len(pms) != len(fc.Features) {
		t.Fatalf("%d placemarks, want %d", len(pms), len(fc.Features))
	}
	for i, f := range fc.Features {
		if pms[i].Name != f.Properties["name"] {
			t.Errorf("placemark %d %q, want %q", i, pms[i].Name, f.Properties["name"])
		}
	}

	for _, geometry := range []string{"wkt", "ewkb"} {
		out, stderr, err = runExportCLI(t, "gaps", "--cell-m", "200", "--format", "csv", "--geometry", geometry)
		if err != nil {
			t.Fatal(err, stderr)
		}
		rows := readCSVString(t, out)
		if len(rows) != len(fc.Features)+1 || rows[0][len(rows[0])-1] != geometry {
			t.Fatalf("%s: %d rows, header %v; want %d features", geometry, len(rows)-1, rows[0], len(fc.Features))
		}
		for i, row := range rows[1:] {
			if row[1] != fc.Features[i].Properties["name"] {
				t.Errorf("%s row %d: name %q, want %q", geometry, i+1, row[1], fc.Features[i].Properties["name"])
			}
			cell := row[len(row)-1]
			if geometry == "wkt" {
				_, err = wkt.Unmarshal(cell)
			} else {
				_, err = ewkbhex.Decode(cell)
			}
			if err != nil {
				t.Fatalf("%s row %d: %v", geometry, i+1, err)
			}
		}
	}
}

func TestExportLayers(t *testing.T) {
	t.Parallel()
	communes, _ := demo.Communes()
	code := communes[0].Code
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"one commune's gaps", []string{"gaps", "--commune", code, "--min-gap-m2", "0", "--format", "csv"}, func(t *testing.T, out string) {
			rows := readCSVString(t, out)
			for _, r := range rows[1:] {
				if r[0] != code {
					t.Errorf("row of commune %s, want only %s", r[0], code)
				}
			}
		}},
		{"viettel coverage kml", []string{"coverage", "--carrier", "viettel", "--format", "kml"}, func(t *testing.T, out string) {
			var k layerKML
			if err := xml.Unmarshal([]byte(out), &k); err != nil {
				t.Fatal(err)
			}
			if k.Document.Name != "phusong — Viettel 4G coverage" || len(k.Document.Folders) == 0 || len(k.Document.Folders[0].Placemarks) != 1 {
				t.Errorf("document %q with %d folders", k.Document.Name, len(k.Document.Folders))
			}
		}},
		{"any-carrier 3G tier 1 csv", []string{"coverage", "--tech", "3G", "--tier", "1", "--format", "csv"}, func(t *testing.T, out string) {
			rows := readCSVString(t, out)
			if len(rows) != 2 || strings.Join(rows[0][:3], ",") != "carrier,tech,tier" || strings.Join(rows[1][:3], ",") != "any,3G,1" {
				t.Errorf("rows %v", rows)
			}
		}},
		{"communes csv", []string{"communes", "--format", "CSV"}, func(t *testing.T, out string) {
			rows := readCSVString(t, out)
			if len(rows) != len(communes)+1 {
				t.Fatalf("%d rows, want %d communes", len(rows)-1, len(communes))
			}
			names := map[string]bool{}
			for _, r := range rows[1:] {
				names[r[1]] = true
			}
			for _, c := range communes {
				if !names[c.Name] {
					t.Errorf("commune %q (with its diacritics) missing", c.Name)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := runExportCLI(t, append(tc.args, "--cell-m", "200")...)
			if err != nil {
				t.Fatal(err, stderr)
			}
			tc.check(t, out)
		})
	}
}

func TestExportLayerErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string // in the error, or "usage" for errUsage
	}{
		{"format", []string{"gaps", "--format", "shp"}, "--format"},
		{"tech", []string{"coverage", "--tech", "5G"}, "--tech"},
		{"geometry value", []string{"gaps", "--format", "csv", "--geometry", "wkb"}, "--geometry"},
		{"geometry without csv", []string{"gaps", "--format", "kml", "--geometry", "ewkb"}, "--geometry only"},
		{"tier with gaps", []string{"gaps", "--tier", "1"}, "--tier only with export coverage"},
		{"commune with coverage", []string{"coverage", "--commune", "1"}, "--commune only with export gaps"},
		{"carrier with gaps and no sites file", []string{"gaps", "--carrier", "viettel"}, "--carrier"},
		{"unknown carrier", []string{"coverage", "--carrier", "nobody", "--cell-m", "200"}, `--carrier "nobody"`},
		{"unknown commune", []string{"gaps", "--commune", "99999", "--cell-m", "200"}, `--commune "99999"`},
		{"bad tier", []string{"coverage", "--tier", "99", "--cell-m", "200"}, "--tier 99"},
		{"stray argument", []string{"communes", "extra"}, "usage"},
		{"unknown flag", []string{"communes", "--bbox", "1"}, "usage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runExportCLI(t, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want == "usage" {
				if err != errUsage {
					t.Errorf("err = %v, want errUsage", err)
				}
				return
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %s (stderr %s)", err, tc.want, stderr)
			}
		})
	}
	if _, stderr, err := runExportCLI(t, "gaps", "-h"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "Usage: phusong export gaps") {
		t.Errorf("-h: err %v, stderr %q; want the usage and flag.ErrHelp (run makes it a success)", err, stderr)
	}
}

// TestExportH3 exports the demo's FCC-style hexagons at both resolutions (resolution 8 only in a
// quick make test: data/testenv): CSV and GeoJSON agree cell for cell, the people add up to the
// census, and the flags name every carrier and any.
func TestExportH3(t *testing.T) {
	t.Parallel()
	if !hex.Available {
		t.Skip("built without cgo: no H3")
	}
	communes, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	census := 0
	for _, c := range communes {
		census += c.Population
	}
	resolutions := []string{"8"}
	if testenv.Full() {
		resolutions = append(resolutions, "9")
	}
	for _, res := range resolutions {
		out, stderr, err := runExportCLI(t, "h3", "--tech", "4G", "--resolution", res, "--format", "csv", "--cell-m", "200")
		if err != nil {
			t.Fatal(err, stderr)
		}
		rows := readCSVString(t, out)
		head := rows[0]
		if head[0] != "h3_res"+res+"_id" || !slices.Contains(head, "viettel_4g") || !slices.Contains(head, "any_4g") || head[len(head)-1] != "wkt" {
			t.Fatalf("res %s: header %v", res, head)
		}
		people := slices.Index(head, "people")
		sum := 0.0
		for _, r := range rows[1:] {
			v, err := strconv.ParseFloat(r[people], 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
		// Each hexagon's people are rounded to 0.1: the sum is within 0.05 a row of the census.
		if math.Abs(sum-float64(census)) > 0.05*float64(len(rows)) {
			t.Errorf("res %s: %.1f people in the hexagons, census %d", res, sum, census)
		}
		gj, stderr, err := runExportCLI(t, "h3", "--resolution", res, "--cell-m", "200")
		if err != nil {
			t.Fatal(err, stderr)
		}
		fc, err := geojson.UnmarshalFeatureCollection([]byte(gj))
		if err != nil || len(fc.Features) != len(rows)-1 {
			t.Fatalf("res %s: GeoJSON %d features (%v), CSV %d rows", res, len(fc.Features), err, len(rows)-1)
		}
		for i, f := range fc.Features {
			if f.ID != rows[i+1][0] || f.Geometry.GeoJSONType() != "Polygon" {
				t.Fatalf("res %s feature %d: id %v, CSV %s", res, i, f.ID, rows[i+1][0])
			}
		}
	}
	for _, bad := range [][]string{{"h3", "--resolution", "7"}, {"gaps", "--resolution", "8"}, {"h3", "--format", "shp"}} {
		if _, _, err := runExportCLI(t, bad...); err == nil {
			t.Errorf("export %v accepted", bad)
		}
	}
}
