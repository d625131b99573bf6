package input

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
	"phusong/internal/testenv"
)

// TestLoadCommunesToy reads four rectangles (degrees; E overlaps S and N by 0.02° of lon):
//
//	10.00 ┌────┬───┬─┬────┐
//	      │ W  │ N │▒│    │
//	 9.95 │    ├───┤▒│ E  │     ▒ overlap: 2 × 0.02° × 0.05°
//	      │    │gap│ │    │     gap: 0.03° × 0.05°
//	 9.90 │    ├───┤▒│    │
//	      │    │ S │▒│    │
//	 9.85 └────┴───┴─┴────┘
//	  106.25 106.30 .33 .35 106.40
//
// At 9.925° N a degree is 109,640 m of longitude by 110,608 m of latitude (WGS84 tables), so
// 1 deg² ≈ 1.21271e10 m²: overlap 0.002 deg² ≈ 24.25 km², gap 0.0015 deg² ≈ 18.19 km².
// The lattice counts a 0.02°-wide strip 55 rows tall to within one point per row (±5 %).
func TestLoadCommunesToy(t *testing.T) {
	rep, err := LoadCommunesFile("testdata/communes_toy.geojson")
	if err != nil {
		t.Fatal(err)
	}
	const deg2M2 = 109640.0 * 110608.0
	t.Logf("overlap %.3f km², gap %.3f km²", rep.OverlapAreaM2/1e6, rep.GapAreaM2/1e6)
	if want := 0.002 * deg2M2; math.Abs(rep.OverlapAreaM2-want) > 0.05*want {
		t.Errorf("overlap %.3f km², want %.3f ± 5 %%", rep.OverlapAreaM2/1e6, want/1e6)
	}
	if want := 0.0015 * deg2M2; math.Abs(rep.GapAreaM2-want) > 0.05*want {
		t.Errorf("gap %.3f km², want %.3f ± 5 %%", rep.GapAreaM2/1e6, want/1e6)
	}
	type want struct {
		code, name, nameEN string
		typ                data.CommuneType
		pop, hh            int
	}
	wants := []want{
		{"T1", "Phường Tây", "Phuong Tay", data.TypeWard, 12000, 3400},
		{"T2", "Xã Đông", "Xa Dong", data.TypeCommune, 3600, 1000}, // 3600 / 3.6
		{"T3", "Xã Nam", "Xa Nam", data.TypeCommune, 7000, 2000},
		{"T4", "Thị trấn Bắc", "Thi tran Bac", data.TypeCommune, 5000, 1500},
	}
	for i, w := range wants {
		c := rep.Communes[i]
		if c.Code != w.code || c.Name != w.name || c.NameEN != w.nameEN || c.Type != w.typ || c.Population != w.pop ||
			c.Households != w.hh || len(c.Geometry) != 1 || len(c.Geometry[0][0]) != 5 {
			t.Errorf("commune %d = %+v, want %+v", i, c, w)
		}
	}
	var got []string
	for _, w := range rep.Warnings {
		got = append(got, w.String())
	}
	wantW := []string{
		"feature 2: households_2019: missing; estimated 1000 = population / 3.6 persons per household",
		"feature 3: type: missing; using commune",
	}
	if len(got) != 4 || strings.Join(got[:2], "\n") != strings.Join(wantW, "\n") {
		t.Fatalf("warnings:\n%s", strings.Join(got, "\n"))
	}
	if !strings.HasPrefix(got[2], "geometry: communes overlap on about 24.") ||
		!strings.Contains(got[2], "(100 m lattice, 2 pairs); worst: T2 Xã Đông / T") {
		t.Errorf("overlap warning %q", got[2])
	}
	if !strings.HasPrefix(got[3], "geometry: gaps between communes cover about 18.") ||
		!strings.Contains(got[3], "(100 m lattice, 1 patches); largest: 18.") || !strings.Contains(got[3], " near 106.315") {
		t.Errorf("gap warning %q", got[3]) // the hole's centre is 106.315, 9.925
	}
}

// TestLoadCommunesWards2025 checks the real 2025 wards: 41 units, census totals from
// SOURCES.md, and (a valid tiling) next to no overlap or gap.
func TestLoadCommunesWards2025(t *testing.T) {
	rep, err := LoadCommunesFile(testenv.SharedFile(t, "travinh/wards_2025.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	pop, hh, wards := 0, 0, 0
	for _, c := range rep.Communes {
		pop += c.Population
		hh += c.Households
		if c.Type == data.TypeWard {
			wards++
		}
	}
	if len(rep.Communes) != 41 || pop != 993555 || hh != 280222 || wards != 6 {
		t.Errorf("%d communes (%d wards), %d people, %d households; want 41 (6), 993555, 280222",
			len(rep.Communes), wards, pop, hh)
	}
	t.Logf("overlap %.3f km², gap %.3f km²", rep.OverlapAreaM2/1e6, rep.GapAreaM2/1e6)
	if rep.OverlapAreaM2 > 0.05e6 || rep.GapAreaM2 > 0.05e6 {
		t.Errorf("overlap %.3f km², gap %.3f km² on a valid tiling", rep.OverlapAreaM2/1e6, rep.GapAreaM2/1e6)
	}
}

// TestLoadCommunes2009Messy checks the low-resolution 2009 communes: 105 units and overlaps
// and gaps within 30 % of SOURCES.md's 8.5 km² and 8.8 km².
func TestLoadCommunes2009Messy(t *testing.T) {
	rep, err := LoadCommunesFile(testenv.SharedFile(t, "travinh/communes_2009_lowres.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("overlap %.2f km², gap %.2f km²", rep.OverlapAreaM2/1e6, rep.GapAreaM2/1e6)
	if len(rep.Communes) != 105 {
		t.Errorf("%d communes", len(rep.Communes))
	}
	if math.Abs(rep.OverlapAreaM2/8.5e6-1) > 0.3 {
		t.Errorf("overlap %.2f km², want 8.5 ± 30 %%", rep.OverlapAreaM2/1e6)
	}
	if math.Abs(rep.GapAreaM2/8.8e6-1) > 0.3 {
		t.Errorf("gap %.2f km², want 8.8 ± 30 %%", rep.GapAreaM2/1e6)
	}
	c := rep.Communes[0] // "Phường 1" of Trà Vinh city, no type property
	if c.Type != data.TypeWard || c.Name != "Phường 1" || c.NameEN != "Phuong 1" || c.Code != "8170101" {
		t.Errorf("first commune %+v", c)
	}
}

func TestReadCommunesGeoJSONBad(t *testing.T) {
	sq := `{"type":"Polygon","coordinates":[[[106.3,9.9],[106.4,9.9],[106.4,10],[106.3,9.9]]]}`
	feat := func(props, geom string) string {
		return `{"type":"Feature","properties":{` + props + `},"geometry":` + geom + `}`
	}
	fc := func(feats ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `]}`
	}
	ok := `"code":"A","name":"Xã A","type":"xa","population":10,"households":3`
	cases := []struct{ name, in, want string }{
		{"not JSON", `{"type":`, "data: line 1: not a GeoJSON FeatureCollection: unexpected EOF"},
		{"no code", fc(feat(`"name":"x"`, sq)), `data: feature 1: code: missing (give one of code, ma, id, gid, commune_id)`},
		{"repeated code", fc(feat(ok, sq), feat(strings.Replace(ok, `"code":"A"`, `"ma":"A"`, 1), sq)),
			`data: feature 2: ma: "A" repeats feature 1`},
		{"bad type", fc(feat(strings.Replace(ok, `"xa"`, `"huyen"`, 1), sq)),
			`data: feature 1: type: "huyen" is not a commune type (phuong/ward/p or xa/commune/thi_tran/tt)`},
		{"fractional people", fc(feat(strings.Replace(ok, `"population":10`, `"population":10.5`, 1), sq)),
			`data: feature 1: population: "10.5" is not a whole number of people (0..1e9)`},
		{"negative households", fc(feat(strings.Replace(ok, `"households":3`, `"ho":-3,"households":-3`, 1), sq)),
			`data: feature 1: households: "-3" is not a whole number of people (0..1e9)`},
		{"object name", fc(feat(strings.Replace(ok, `"name":"Xã A"`, `"name":{"vi":"A"}`, 1), sq)),
			`data: feature 1: name: is not a number or text`},
		{"point", fc(feat(ok, `{"type":"Point","coordinates":[106.3,9.9]}`)), `data: feature 1: geometry: "Point" is not a Polygon or MultiPolygon`},
		{"no geometry", fc(`{"type":"Feature","properties":{` + ok + `}}`), `data: feature 1: geometry: missing`},
		{"short ring", fc(feat(ok, `{"type":"Polygon","coordinates":[[[106.3,9.9],[106.4,9.9],[106.3,9.9]]]}`)),
			`data: feature 1: geometry: polygon 0 ring 0 has 3 positions, a ring needs at least 4`},
		{"overflow", fc(feat(ok, `{"type":"Polygon","coordinates":[[[106.3,9.9],[1e999,9.9],[106.4,10],[106.3,9.9]]]}`)),
			`data: feature 1: geometry: polygon 0 ring 0 position 1 [1e999, 9.9] is not a finite lon/lat`},
		{"lat 95", fc(feat(ok, `{"type":"MultiPolygon","coordinates":[[[[106.3,9.9],[106.4,95],[106.4,10],[106.3,9.9]]]]}`)),
			`data: feature 1: geometry: polygon 0 ring 0 position 1 [106.4, 95] is not a finite lon/lat`},
		{"nesting", fc(feat(ok, `{"type":"MultiPolygon","coordinates":[[[106.3,9.9]]]}`)),
			`data: feature 1: geometry: coordinates are not a MultiPolygon's [[[[lon, lat], …], …], …]`},
		{"empty polygon", fc(feat(ok, `{"type":"Polygon","coordinates":[]}`)), `data: feature 1: geometry: polygon 0 has no rings`},
		{"not a feature", fc(`{"type":"Point","coordinates":[1,2]}`), `data: feature 1: type: "Point" is not Feature`},
		{"two errors", fc(feat(`"name":"x"`, sq), feat(ok, `{"type":"Point","coordinates":[106.3,9.9]}`)),
			"data: 2 errors:\n\tfeature 1: code: missing (give one of code, ma, id, gid, commune_id)" +
				"\n\tfeature 2: geometry: \"Point\" is not a Polygon or MultiPolygon"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadCommunesGeoJSON(strings.NewReader(c.in))
			if err == nil {
				t.Fatalf("no error: %+v", rep.Communes)
			}
			if err.Error() != c.want {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
			if !errors.Is(err, data.ErrInvalidInput) {
				t.Errorf("not ErrInvalidInput")
			}
		})
	}
}

func TestReadCommunesGeoJSONLenient(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ma":29242,"ten":"Phường 1",
	"loai":"P.","dan_so":"3601","ho":null},"geometry":{"type":"Polygon","coordinates":[[[106.3,9.9],[106.4,9.9],[106.4,10]]]}}]}`
	rep, err := ReadCommunesGeoJSON(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Communes[0]
	ring := c.Geometry[0][0]
	if c.Code != "29242" || c.Type != data.TypeWard || c.Population != 3601 || c.Households != 1000 || len(ring) != 4 || ring[3] != ring[0] {
		t.Errorf("commune %+v", c)
	}
	var got []string
	for _, w := range rep.Warnings {
		got = append(got, w.String())
	}
	want := "feature 1: geometry: polygon 0 ring 0 was not closed; closed it|" +
		"feature 1: households_2019: missing; estimated 1000 = population / 3.6 persons per household"
	if strings.Join(got, "|") != want {
		t.Errorf("warnings %q", got)
	}
}

func TestAsciiFold(t *testing.T) {
	cases := map[string]string{
		"Phường Trà Vinh": "Phuong Tra Vinh", "Đông Hải": "Dong Hai", "Xã Long Hòa": "Xa Long Hoa",
		"Thị trấn Cầu Kè": "Thi tran Cau Ke", "ĐẠI PHƯỚC": "DAI PHUOC", "plain": "plain",
	}
	for in, want := range cases {
		if got := asciiFold(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func BenchmarkLoadCommunesWards2025(b *testing.B) {
	path := testenv.SharedFile(b, "travinh/wards_2025.geojson")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadCommunesFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMeasureTilingOwnOverlap: a commune whose own polygons overlap (A: a 0.03° square and a
// copy of its middle 0.01° square) claims the doubled area once — no overlap with itself, and
// the middle is not a hole (the rasteriser takes the union of a commune's polygons, each
// even-odd over its own rings). Next to it, B shares A's east edge: still no overlap or gap.
//
//	0.03 ┌─────────┬─────┐
//	     │ A ┌───┐ │  B  │
//	     │   │ A │ │     │
//	     │   └───┘ │     │
//	   0 └─────────┴─────┘
//	     0  .01 .02 .03  .05
func TestMeasureTilingOwnOverlap(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{106 + x0, 10 + y0}, {106 + x1, 10 + y0}, {106 + x1, 10 + y1}, {106 + x0, 10 + y1}, {106 + x0, 10 + y0}}}
	}
	communes := []data.Commune{
		{Code: "A", Geometry: orb.MultiPolygon{sq(0, 0, 0.03, 0.03), sq(0.01, 0.01, 0.02, 0.02)}},
		{Code: "B", Geometry: orb.MultiPolygon{sq(0.03, 0, 0.05, 0.03)}},
	}
	tl := measureTiling(communes)
	if tl.overlapM2 != 0 || tl.gapM2 != 0 {
		t.Errorf("overlap %.0f m², gap %.0f m², want 0 and 0", tl.overlapM2, tl.gapM2)
	}
	// The same middle square as a third commune overlaps A there: about 0.01° × 0.01°.
	communes = append(communes, data.Commune{Code: "C", Geometry: orb.MultiPolygon{sq(0.01, 0.01, 0.02, 0.02)}})
	tl = measureTiling(communes)
	lonM, latM := geo.MetresPerDegree(10.015)
	if want := 0.01 * lonM * 0.01 * latM; math.Abs(tl.overlapM2-want) > 0.1*want || len(tl.pairs) != 1 || tl.pairs[0].a != 0 || tl.pairs[0].b != 2 {
		t.Errorf("overlap %.0f m² in pairs %+v, want %.0f m² ± 10 %% between A and C", tl.overlapM2, tl.pairs, want)
	}
}
