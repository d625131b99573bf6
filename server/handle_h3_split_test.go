package server

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"phusong/data/hex"
)

// TestH3SplitByCommune: /api/v1/h3.csv?split=commune has one row per hexagon and commune, a
// hex_people column, and people that, summed by commune, give each commune's census (to the
// 0.1-person rounding of each row) — the plain export's commune column does not; the file is
// named …_by_commune; a bad split is a 400 naming it.
func TestH3SplitByCommune(t *testing.T) {
	t.Parallel()
	if !hex.Available {
		t.Skip("built without cgo: no H3")
	}
	st := demoState(t)
	_, ts := serveState(t, st, Options{})
	read := func(url string) (rows [][]string, byCommune map[string]float64, b reply) {
		b = get(t, url)
		rows, err := csv.NewReader(bytes.NewReader(b.body)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%s: %d rows, %v", url, len(rows), err)
		}
		code, people := slices.Index(rows[0], "commune"), slices.Index(rows[0], "people")
		byCommune = map[string]float64{}
		for _, r := range rows[1:] {
			p, err := strconv.ParseFloat(r[people], 64)
			if err != nil {
				t.Fatalf("%s: people %q", url, r[people])
			}
			byCommune[r[code]] += p
		}
		return rows, byCommune, b
	}
	plainRows, plain, _ := read(ts.URL + "/api/v1/h3.csv?tech=4G&resolution=8")
	rows, split, b := read(ts.URL + "/api/v1/h3.csv?tech=4G&resolution=8&split=commune")
	if len(rows) <= len(plainRows) || !slices.Contains(rows[0], "hex_people") || slices.Contains(plainRows[0], "hex_people") {
		t.Fatalf("split: %d rows, columns %v; plain: %d rows, columns %v", len(rows)-1, rows[0], len(plainRows)-1, plainRows[0])
	}
	if d := b.header.Get("Content-Disposition"); d != `attachment; filename="phusong_h3_res8_4G_by_commune.csv"` {
		t.Errorf("Content-Disposition %q", d)
	}
	worstPlain := 0.0
	for _, c := range st.Communes {
		census := float64(c.Population)
		if math.Abs(split[c.Code]-census) > 0.05*float64(len(rows)) {
			t.Errorf("commune %s: %.1f people in the split rows, census %d", c.Code, split[c.Code], c.Population)
		}
		worstPlain = max(worstPlain, math.Abs(plain[c.Code]/census-1))
	}
	if worstPlain < 0.001 {
		t.Errorf("the plain export's commune column is at most %.2f %% off the census: the fixture shows no difference", 100*worstPlain)
	}
	answered(t, get(t, ts.URL+"/api/v1/h3?split=district"), http.StatusBadRequest, "split")
}
