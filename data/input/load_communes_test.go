package input

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/testenv"
	"phusong/geo"
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

// TestMeasureTilingExact lays communes on the lattice itself — edges on whole lattice steps
// from the bound's south-west corner, halfway between lattice points — so that each overlap and
// gap holds a known number of lattice points, and compares the areas with the lattice points'
// cells summed one by one (each at its own latitude, as the method defines them) and the gap's
// reported position with its centre. The regions touch all four sides of the bound, where the
// lattice's margin matters. In lattice steps (x east, y north), the bound is 40 × 30:
//
//	30 ┌────┬──────────┬─────────────────────────┐   A [0,20]×[0,30]   B [15,40]×[0,30] with a
//	   │A∩D │          │A∩B│                     │   hole [25,30]×[10,20]   C [35,40]×[0,10]
//	20 ├────┘          │   │    ┌────┐           │   D [0,5]×[20,30]
//	   │     A         │   │ B  │gap │           │   overlaps: A∩B 5×30 = 150 points, B∩C 5×10 = 50,
//	10 │               │   │    └────┘      ┌────┤   A∩D 5×10 = 50; gap 5×10 = 50 points centred
//	   │               │   │                │B∩C │   at (27.5, 15)
//	 0 └───────────────┴───┴────────────────┴────┘
//	   0               15  20   25  30      35   40
func TestMeasureTilingExact(t *testing.T) {
	const lon0, lat0, stepM = 106.3, 9.9, TilingLatticeM
	// The lattice's degree steps are taken at the bound's mid latitude, which depends on them.
	dLon, dLat := 0.0, stepM/110600
	for range 5 {
		mLon, mLat := geo.MetresPerDegree(lat0 + 15*dLat)
		dLon, dLat = stepM/mLon, stepM/mLat
	}
	rect := func(x0, y0, x1, y1 float64) orb.Ring {
		a, b := orb.Point{lon0 + x0*dLon, lat0 + y0*dLat}, orb.Point{lon0 + x1*dLon, lat0 + y1*dLat}
		return orb.Ring{a, {b[0], a[1]}, b, {a[0], b[1]}, a}
	}
	communes := []data.Commune{
		{Code: "A", Name: "A", Geometry: orb.MultiPolygon{{rect(0, 0, 20, 30)}}},
		{Code: "B", Name: "B", Geometry: orb.MultiPolygon{{rect(15, 0, 40, 30), rect(25, 10, 30, 20)}}},
		{Code: "C", Name: "C", Geometry: orb.MultiPolygon{{rect(35, 0, 40, 10)}}},
		{Code: "D", Name: "D", Geometry: orb.MultiPolygon{{rect(0, 20, 5, 30)}}},
	}
	// area of the lattice points in [x0,x1)×[y0,y1) steps: point (i, j) sits at the centre of
	// step (i, j), i.e. at (i + ½, j + ½) steps.
	area := func(x0, y0, x1, y1 int) float64 {
		a := 0.0
		for j := y0; j < y1; j++ {
			for range x1 - x0 {
				mLon, mLat := geo.MetresPerDegree(lat0 + (float64(j)+0.5)*dLat)
				a += dLon * mLon * dLat * mLat
			}
		}
		return a
	}
	ab, bc, ad, gap := area(15, 0, 20, 30), area(35, 0, 40, 10), area(0, 20, 5, 30), area(25, 10, 30, 20)
	tl := measureTiling(communes)
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*want }
	if !near(tl.overlapM2, ab+bc+ad) || !near(tl.gapM2, gap) {
		t.Errorf("overlap %.3f m², gap %.3f m²; want %.3f (A∩B %.0f, B∩C %.0f, A∩D %.0f) and %.3f",
			tl.overlapM2, tl.gapM2, ab+bc+ad, ab, bc, ad, gap)
	}
	wantPairs := []pairArea{{0, 1, ab}, {1, 2, bc}, {0, 3, ad}}
	if ad > bc { // equal counts: the larger area (nearer the equator) first
		wantPairs[1], wantPairs[2] = wantPairs[2], wantPairs[1]
	}
	if len(tl.pairs) != 3 {
		t.Fatalf("pairs %+v, want %+v", tl.pairs, wantPairs)
	}
	for k, p := range tl.pairs {
		if w := wantPairs[k]; p.a != w.a || p.b != w.b || !near(p.areaM2, w.areaM2) {
			t.Errorf("pair %d = %+v, want %+v", k, p, w)
		}
	}
	if len(tl.gaps) != 1 || !near(tl.gaps[0].areaM2, gap) ||
		math.Abs(tl.gaps[0].lon-(lon0+27.5*dLon)) > 1e-9 || math.Abs(tl.gaps[0].lat-(lat0+15*dLat)) > 1e-9 {
		t.Errorf("gaps %+v, want one of %.3f m² at %.9f, %.9f", tl.gaps, gap, lon0+27.5*dLon, lat0+15*dLat)
	}
	ws := tl.warnings(communes)
	if len(ws) != 2 || !strings.Contains(ws[1].Message, fmt.Sprintf("largest: %.2f km² near %.4f,%.4f", gap/1e6, lon0+27.5*dLon, lat0+15*dLat)) {
		t.Errorf("warnings %v", ws)
	}
}

// TestMeasureTilingCoarser: an extent over 4 million lattice cells gets a proportionally coarser
// lattice: two 250 km squares overlapping on half of each span 375 km × 250 km, which would need
// (3,750 + 3) × (2,500 + 3) = 9,393,759 cells of 100 m (a margin and a remainder cell each
// way), so the step is 100 √(9,393,759 / 4,000,000) = 153.246 m (named, rounded, in the
// warning); the overlap (125 km × 250 km) is measured on it within one lattice column.
func TestMeasureTilingCoarser(t *testing.T) {
	const lon0, lat0 = 105.0, 9.0
	mLon, mLat := geo.MetresPerDegree(lat0 + 125e3/110600)
	sq := func(x0, x1 float64) orb.MultiPolygon { // km east of lon0, 0–250 km north of lat0
		w, e, n := lon0+x0*1e3/mLon, lon0+x1*1e3/mLon, lat0+250e3/mLat
		return orb.MultiPolygon{{{{w, lat0}, {e, lat0}, {e, n}, {w, n}, {w, lat0}}}}
	}
	communes := []data.Commune{{Code: "A", Name: "A", Geometry: sq(0, 250)}, {Code: "B", Name: "B", Geometry: sq(125, 375)}}
	tl := measureTiling(communes)
	if math.Abs(tl.stepM-153.246) > 0.001 {
		t.Errorf("lattice step %.4f m, want 153.246", tl.stepM)
	}
	if want := 125e3 * 250e3; math.Abs(tl.overlapM2-want) > 250e3*tl.stepM+0.005*want {
		t.Errorf("overlap %.1f km², want %.1f km² within a column of the lattice", tl.overlapM2/1e6, want/1e6)
	}
	if ws := tl.warnings(communes); len(ws) != 1 || !strings.Contains(ws[0].Message, "(153 m lattice, 1 pairs)") {
		t.Errorf("warnings %v", ws)
	}
}

// TestReadCommunesBoundaries: the limits of the people counts and of the coordinates are in
// range (0 and 1e9 people, an explicit 0 households kept as given, lon ±180 and lat ±90), one
// past them is not.
func TestReadCommunesBoundaries(t *testing.T) {
	ring := `[[106.3,9.9],[106.4,9.9],[106.4,10],[106.3,9.9]]`
	in := func(props, coords string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A","name":"Xã A","type":"xa",` +
			props + `},"geometry":{"type":"Polygon","coordinates":[` + coords + `]}}]}`
	}
	cases := []struct {
		name, props, coords string
		pop, hh             int
		err                 string // "" for none
	}{
		{"no people", `"population":0,"households":0`, ring, 0, 0, ""},
		{"no households given as 0", `"population":3600,"households":0`, ring, 3600, 0, ""},
		{"1e9 people", `"population":1000000000,"households":1`, ring, 1e9, 1, ""},
		{"1e9 + 1 people", `"population":1000000001,"households":1`, ring, 0, 0, "population: \"1000000001\" is not a whole number"},
		{"-1 people", `"population":-1,"households":1`, ring, 0, 0, "population: \"-1\" is not a whole number"},
		{"the corners of the map", `"population":1,"households":1`, `[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]`, 1, 1, ""},
		{"past 180", `"population":1,"households":1`, `[[-180,-90],[180.000001,-90],[180,90],[-180,-90]]`, 0, 0, "is not a finite lon/lat"},
		{"past -180", `"population":1,"households":1`, `[[-180.000001,-90],[180,-90],[180,90],[-180,-90]]`, 0, 0, "is not a finite lon/lat"},
		{"past 90", `"population":1,"households":1`, `[[-180,-90],[180,-90],[180,90.000001],[-180,-90]]`, 0, 0, "is not a finite lon/lat"},
		{"past -90", `"population":1,"households":1`, `[[-180,-90.000001],[180,-90],[180,90],[-180,-90]]`, 0, 0, "is not a finite lon/lat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadCommunesGeoJSON(strings.NewReader(in(c.props, c.coords)))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Communes[0]
			if got.Population != c.pop || got.Households != c.hh {
				t.Errorf("population %d, households %d; want %d, %d", got.Population, got.Households, c.pop, c.hh)
			}
			for _, w := range rep.Warnings {
				if w.Field != "geometry" {
					t.Errorf("warning %v: the counts were given", w)
				}
			}
		})
	}
}
