package server

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/render"
	"phusong/server/app"
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

// TestCommuneDetailValues compares /api/v1/communes/{code} with the engine's statistics of that
// commune, field for field (every statistic of both technologies, per carrier included), on the
// demo and on the one-site fixture, where the figures are also worked by hand: 00001's 3G
// coverage is viettel's disc, π·1.2744² = 5.102 km² of 36 (14.17 %, 5,102 of 36,000 people,
// ± 0.5 % for the 50 m raster), mobifone covers none of it; 00003 is covered whole by
// mobifone (1 km², 500 people); the bbox is the commune's square.
func TestCommuneDetailValues(t *testing.T) {
	check := func(t *testing.T, ts string, st *app.State, ci int) communeBody {
		t.Helper()
		cm := st.Communes[ci]
		r := get(t, ts+"/api/v1/communes/"+cm.Code)
		if !answered(t, r, http.StatusOK, "") {
			t.FailNow()
		}
		got := decode[communeBody](t, r)
		b := cm.Geometry.Bound()
		if got.Code != cm.Code || got.Name != cm.Name || got.NameEN != cm.NameEN || got.Type != cm.Type ||
			got.Population != cm.Population || got.Households != cm.Households || got.BBox != [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} ||
			got.DefinitionVersion != st.Coverage.DefinitionVersion() || got.DataVersion != st.Snapshot.Version() {
			t.Fatalf("%s: %+v", cm.Code, got)
		}
		if len(got.Techs) != len(data.AnalysedTechs) {
			t.Fatalf("%s: %d technologies, want %d", cm.Code, len(got.Techs), len(data.AnalysedTechs))
		}
		for _, tech := range data.AnalysedTechs {
			// The engine's figures as JSON would carry them (encoding/json round-trips float64).
			var want coverage.CommuneStats
			raw, err := json.Marshal(st.Coverage.CommuneStatsFor(tech)[ci])
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Techs[tech], want) {
				t.Errorf("%s %s:\n got %+v\nwant %+v", cm.Code, tech, got.Techs[tech], want)
			}
		}
		return got
	}
	t.Run("demo", func(t *testing.T) {
		_, ts := newTestServer(t)
		st := demoState(t)
		for _, ci := range []int{0, 3, len(st.Communes) - 1} {
			check(t, ts.URL, st, ci)
		}
	})
	t.Run("one site", func(t *testing.T) {
		st := oneSiteState(t, 50)
		_, ts := serveState(t, st, Options{})
		rKM := math.Pow(10, (41+60-(32.45+20*math.Log10(2100)))/20)
		near := func(got, want float64) bool { return math.Abs(got-want) <= 0.005*want }
		one := check(t, ts.URL, st, 0).Techs[data.Tech3G]
		if !near(one.CoveredAreaKM2, math.Pi*rKM*rKM) || !near(one.CoveredAreaPct, 100*math.Pi*rKM*rKM/36) ||
			!near(one.CoveredPopulation, 1000*math.Pi*rKM*rKM) || one.AreaKM2 != 36 || one.CarriersPresent != 1 ||
			len(one.PerCarrier) != 2 || one.PerCarrier[0].Carrier != "viettel" || one.PerCarrier[0].CoveredAreaKM2 != one.CoveredAreaKM2 ||
			one.PerCarrier[1].Carrier != "mobifone" || one.PerCarrier[1].CoveredAreaKM2 != 0 {
			t.Errorf("00001 3G: %+v; want π·%.4f² = %.3f km² covered by viettel alone", one, rKM, math.Pi*rKM*rKM)
		}
		three := check(t, ts.URL, st, 2)
		for _, tech := range data.AnalysedTechs {
			s := three.Techs[tech]
			if s.CoveredAreaKM2 != 1 || s.CoveredAreaPct != 100 || s.CoveredPopulation != 500 || s.CarriersPresentIDs[0] != "mobifone" {
				t.Errorf("00003 %s: %+v; want covered whole by mobifone", tech, s)
			}
		}
	})
}
