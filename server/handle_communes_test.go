package server

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/render"
)

func TestCommunesList(t *testing.T) {
	_, ts := newTestServer(t)
	r := get(t, ts.URL+"/api/v1/communes")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != ctGeoJSON {
		t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	fc := decode[featureCollection](t, r)
	want, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(want) {
		t.Fatalf("%d communes, want %d", len(fc.Features), len(want))
	}
	codes := map[string]bool{}
	for _, f := range fc.Features {
		code, _ := f.Props["code"].(string)
		codes[code] = true
	}
	for _, c := range want {
		if !codes[c.Code] {
			t.Fatalf("commune %s (%s) missing", c.Code, c.Name)
		}
	}
}

func TestCommuneDetail(t *testing.T) {
	_, ts := newTestServer(t)
	want := demoInput.Communes[3]
	cases := []struct {
		name, code string
		status     int
	}{
		{"known", want.Code, http.StatusOK},
		{"unknown", "00000", http.StatusNotFound},
		{"junk", "%E2%9C%93", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/communes/"+tc.code)
			if !answered(t, r, tc.status, "") {
				return
			}
			c := decode[communeBody](t, r)
			if c.Code != want.Code || c.Name != want.Name || c.Population != want.Population || c.Households != want.Households {
				t.Fatalf("got %s %q pop %d hh %d, want %s %q pop %d hh %d", c.Code, c.Name, c.Population, c.Households,
					want.Code, want.Name, want.Population, want.Households)
			}
			for _, tech := range []string{"3G", "4G"} {
				s, ok := c.Techs[dataTech(tech)]
				if !ok {
					t.Fatalf("no %s statistics", tech)
				}
				if s.CoveredAreaPct < 0 || s.CoveredAreaPct > 100 || s.CoveredPopulation > float64(s.Population)+1e-6 {
					t.Fatalf("%s statistics out of range: %+v", tech, s)
				}
				if len(s.PerCarrier) == 0 {
					t.Fatalf("%s: no per-carrier statistics", tech)
				}
			}
		})
	}
}

func TestReportCSV(t *testing.T) {
	_, ts := newTestServer(t)
	n := len(demoInput.Communes)
	cases := []struct {
		name, query string
		status      int
		rows        int
	}{
		{"all techs", "", http.StatusOK, 2 * (n + 1)}, // communes, then a province row per tech
		{"4G", "tech=4G", http.StatusOK, n + 1},
		{"bad tech", "tech=5G", http.StatusBadRequest, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/report.csv?"+tc.query)
			if !answered(t, r, tc.status, "") {
				return
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
			recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tc.rows+1 {
				t.Fatalf("%d rows, want %d + header", len(recs)-1, tc.rows)
			}
			head := strings.Join(recs[0], ",")
			for _, col := range []string{"code", "name", "tech", "covered_area_pct", "covered_population", "carriers_present", "viettel_covered_area_pct"} {
				if !strings.Contains(","+head+",", ","+col+",") {
					t.Fatalf("header lacks %s: %s", col, head)
				}
			}
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			if want := render.ReportColumns(demoState(t).Coverage.Carriers()); !slices.Equal(recs[0], want) {
				t.Fatalf("header %v, want the report's columns %v", recs[0], want)
			}
			// Values at full precision, the engine's own: the CLI report's schema.
			stats := map[string]coverage.CommuneStats{}
			for _, st := range demoState(t).Coverage.Communes() {
				stats[st.Code+"/"+string(st.Tech)] = st
			}
			names := map[string]bool{}
			provinces := 0
			for _, rec := range recs[1:] {
				names[rec[col["name"]]] = true
				if rec[col["level"]] == "province" {
					provinces++
					continue
				}
				want := stats[rec[col["code"]]+"/"+rec[col["tech"]]]
				got, err := strconv.ParseFloat(rec[col["covered_population"]], 64)
				if err != nil || got != want.CoveredPopulation {
					t.Fatalf("%s %s covered_population %q, want %v", rec[col["code"]], rec[col["tech"]], rec[col["covered_population"]], want.CoveredPopulation)
				}
			}
			if provinces != tc.rows/(len(demoInput.Communes)+1) {
				t.Fatalf("%d province rows for %d rows", provinces, tc.rows)
			}
			for _, c := range demoInput.Communes {
				if !names[c.Name] {
					t.Fatalf("commune name %q (with its diacritics) not in the CSV", c.Name)
				}
			}
		})
	}
}
