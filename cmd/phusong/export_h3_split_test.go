package main

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"phusong/data/demo"
	"phusong/data/hex"
)

// TestExportH3SplitByCommune: `export h3 --split commune` writes one row per hexagon and
// commune whose people, summed by commune, give each commune's census (to the 0.1 rounding
// of each row); --split takes only commune, and only with export h3.
func TestExportH3SplitByCommune(t *testing.T) {
	if !hex.Available {
		t.Skip("built without cgo: no H3")
	}
	communes, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runExportCLI(t, "h3", "--split", "commune", "--format", "csv", "--cell-m", "200")
	if err != nil {
		t.Fatal(err, stderr)
	}
	rows := readCSVString(t, out)
	code, people := slices.Index(rows[0], "commune"), slices.Index(rows[0], "people")
	if !slices.Contains(rows[0], "hex_people") {
		t.Fatalf("header %v", rows[0])
	}
	by := map[string]float64{}
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[people], 64)
		if err != nil {
			t.Fatal(err)
		}
		by[r[code]] += v
	}
	for _, c := range communes {
		if math.Abs(by[c.Code]-float64(c.Population)) > 0.05*float64(len(rows)) {
			t.Errorf("commune %s: %.1f people in its rows, census %d", c.Code, by[c.Code], c.Population)
		}
	}
	for _, bad := range [][]string{{"h3", "--split", "district"}, {"gaps", "--split", "commune"}} {
		if _, _, err := runExportCLI(t, bad...); err == nil {
			t.Errorf("export %v accepted", bad)
		}
	}
}
