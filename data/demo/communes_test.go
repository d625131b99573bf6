package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/testenv"
	"phusong/geo"
)

const factsHeader = "code,name,name_en,type,centroid_lon,centroid_lat,area_km2,population_2019,households_2019\n"

func TestReadFacts(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		wantN     int
		wantLine  int
		wantField string
	}{
		{"two rows", factsHeader + "1,Á,A,phuong,106.1,9.9,10.5,100,30\n2,B,B,xa,106.2,9.8,20,200,60\n", 2, 0, ""},
		{"header only", factsHeader, 0, -1, ""},
		{"wrong header", strings.Replace(factsHeader, "name_en", "english", 1) + "1,A,A,xa,1,2,3,4,5\n", 0, 1, "header"},
		{"bad type", factsHeader + "1,A,A,huyen,106,9,1,1,1\n", 0, 2, "type"},
		{"lat out of range", factsHeader + "1,A,A,xa,106,91,1,1,1\n", 0, 2, "centroid_lat"},
		{"negative area", factsHeader + "1,A,A,xa,106,9,-1,1,1\n", 0, 2, "area_km2"},
		{"population not a number", factsHeader + "1,A,A,xa,106,9,1,many,1\n", 0, 2, "population_2019"},
		{"negative households", factsHeader + "1,A,A,xa,106,9,1,1,-5\n", 0, 2, "households_2019"},
		{"duplicate code", factsHeader + "1,A,A,xa,106,9,1,1,1\n1,B,B,xa,106,9,1,1,1\n", 0, 3, "code"},
		{"short row", factsHeader + "1,A,A,xa,106,9,1,1\n", 0, 2, "row"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadFacts(strings.NewReader(tc.in))
			if tc.wantLine == 0 {
				if err != nil || len(got) != tc.wantN {
					t.Fatalf("ReadFacts = %d rows, %v; want %d rows", len(got), err, tc.wantN)
				}
				return
			}
			if !errors.Is(err, ErrFacts) {
				t.Fatalf("err = %v, want ErrFacts", err)
			}
			var pe *ParseError
			if tc.wantLine > 0 && (!errors.As(err, &pe) || pe.Line != tc.wantLine || pe.Field != tc.wantField) {
				t.Fatalf("err = %v, want line %d field %s", err, tc.wantLine, tc.wantField)
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		got, err := ReadFacts(strings.NewReader(factsHeader + "29242,Trà Vinh,Tra Vinh,phuong,106.34253,9.91278,15.68,27602,8620\n"))
		want := Fact{"29242", "Trà Vinh", "Tra Vinh", "phuong", 106.34253, 9.91278, 15.68, 27602, 8620}
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("got %+v, %v; want %+v", got, err, want)
		}
	})
}

func TestReadOutline(t *testing.T) {
	const poly = `{"type":"Polygon","coordinates":[[[106,9],[107,9],[107,10],[106,10],[106,9]]]}`
	cases := []struct {
		name   string
		in     string
		wantN  int // polygons; 0 = error
		errSub string
	}{
		{"feature", `{"type":"Feature","properties":{},"geometry":` + poly + `}`, 1, ""},
		{"collection of one", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + poly + `}]}`, 1, ""},
		{"bare multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}`, 2, ""},
		{"line", `{"type":"LineString","coordinates":[[0,0],[1,1]]}`, 0, "want Polygon"},
		{"two features", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + poly + `},{"type":"Feature","properties":{},"geometry":` + poly + `}]}`, 0, "2 features"},
		{"not json", `{"type":`, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadOutline(strings.NewReader(tc.in))
			if tc.wantN > 0 {
				if err != nil || len(got) != tc.wantN {
					t.Fatalf("ReadOutline = %d polygons, %v; want %d", len(got), err, tc.wantN)
				}
				return
			}
			if !errors.Is(err, ErrOutline) || !strings.Contains(err.Error(), tc.errSub) {
				t.Fatalf("err = %v, want ErrOutline containing %q", err, tc.errSub)
			}
		})
	}
}

func TestOutlineOrigin(t *testing.T) {
	// Two squares of 1°×1° side by side at (106..108, 9..10): area centroid (107, 9.5) by
	// symmetry; an L of three unit squares [0,2]×[0,1] ∪ [0,1]×[1,2]: centroid
	// ((1·0.5 + 1·1.5 + 1·0.5)/3, (0.5 + 0.5 + 1.5)/3) = (0.833…, 0.833…) → 0.833.
	sq := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}
	}
	cases := []struct {
		name string
		mp   orb.MultiPolygon
		want orb.Point
	}{
		{"two squares", orb.MultiPolygon{sq(106, 9), sq(107, 9)}, orb.Point{107, 9.5}},
		{"L shape", orb.MultiPolygon{sq(0, 0), sq(1, 0), sq(0, 1)}, orb.Point{0.833, 0.833}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := OutlineOrigin(tc.mp); got != tc.want {
				t.Fatalf("OutlineOrigin = %v, want %v", got, tc.want)
			}
		})
	}
}

// squareOutline is the 0.2°×0.2° square [106, 106.2]×[9.8, 10].
var squareOutline = orb.MultiPolygon{{{{106, 9.8}, {106.2, 9.8}, {106.2, 10}, {106, 10}, {106, 9.8}}}}

// quadrantFacts puts one centroid in the middle of each quadrant of squareOutline:
//
//	+-------+-------+ 10.0
//	|  NW   |  NE   |
//	|   x   |   x   |
//	+-------+-------+  9.9
//	|   x   |   x   |
//	|  SW   |  SE   |
//	+-------+-------+  9.8
//	106   106.1   106.2
func quadrantFacts() []Fact {
	return []Fact{
		{Code: "SW", Name: "SW", Type: "xa", CentroidLon: 106.05, CentroidLat: 9.85, Population: 1000, Households: 250},
		{Code: "SE", Name: "SE", Type: "xa", CentroidLon: 106.15, CentroidLat: 9.85, Population: 2000, Households: 500},
		{Code: "NW", Name: "NW", Type: "phuong", CentroidLon: 106.05, CentroidLat: 9.95, Population: 3000, Households: 750},
		{Code: "NE", Name: "NE", Type: "xa", CentroidLon: 106.15, CentroidLat: 9.95, Population: 4000, Households: 1000},
	}
}

func TestBuildCommunesQuadrants(t *testing.T) {
	got, err := BuildCommunes(quadrantFacts(), squareOutline)
	if err != nil {
		t.Fatal(err)
	}
	// Independent oracle: the exact ellipsoidal area of each lon/lat quadrant. The Voronoi edges
	// are straight in the projected plane, so a quadrant cell differs from the lon/lat quadrant
	// by the curvature of the parallel 9.9° in the projection (tens of metres over 11 km):
	// allow 0.5 %.
	quads := map[string][4]float64{
		"SW": {106, 9.8, 106.1, 9.9}, "SE": {106.1, 9.8, 106.2, 9.9},
		"NW": {106, 9.9, 106.1, 10}, "NE": {106.1, 9.9, 106.2, 10},
	}
	tm := geo.NewLocalTM(106.1, 9.9)
	for i, c := range got {
		f := quadrantFacts()[i]
		q := quads[f.Code]
		want := geo.EllipsoidalQuadAreaM2(q[0], q[1], q[2], q[3])
		area := geo.AreaM2(tm, c.Geometry)
		if math.Abs(area-want) > 5e-3*want {
			t.Errorf("%s: area %.0f m², want %.0f m² ±0.5 %%", f.Code, area, want)
		}
		if c.Code != f.Code || c.Population != f.Population || c.Households != f.Households {
			t.Errorf("%s: attributes %+v do not match fact %+v", f.Code, c, f)
		}
		if wantType := map[string]data.CommuneType{"phuong": data.TypeWard, "xa": data.TypeCommune}[f.Type]; c.Type != wantType {
			t.Errorf("%s: type %q, want %q", f.Code, c.Type, wantType)
		}
		if !planar.MultiPolygonContains(c.Geometry, orb.Point{f.CentroidLon, f.CentroidLat}) {
			t.Errorf("%s: centroid outside its cell", f.Code)
		}
	}
}

func TestBuildCommunesErrors(t *testing.T) {
	outside := quadrantFacts()
	outside[3].CentroidLon, outside[3].CentroidLat = 106.3, 9.95 // east of the square
	cases := []struct {
		name    string
		facts   []Fact
		wantErr error
	}{
		{"no facts", nil, ErrFacts},
		{"centroid outside the outline", outside, ErrCells},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BuildCommunes(tc.facts, squareOutline); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestEncodeCommunes(t *testing.T) {
	built, err := BuildCommunes(quadrantFacts(), squareOutline)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeCommunes(built)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Type     string `json:"type"`
		Note     string `json:"phusong_note"`
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if raw.Type != "FeatureCollection" || raw.Note != CommunesNote || len(raw.Features) != 4 {
		t.Fatalf("got type %q, note %q, %d features", raw.Type, raw.Note, len(raw.Features))
	}
	if p := raw.Features[2].Properties; p["type"] != "phuong" || p["schematic"] != true || p["population_2019"] != 3000.0 {
		t.Errorf("NW properties = %v", p)
	}
	if n := bytes.Count(b, []byte("\n")); n != 4+2 {
		t.Errorf("%d lines, want one per feature plus head and tail (6)", n)
	}
	rep, err := input.ReadCommunesGeoJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("data.ReadCommunesGeoJSON: %v", err)
	}
	for i, c := range rep.Communes {
		if c.Code != built[i].Code || c.Type != built[i].Type || c.Population != built[i].Population ||
			!orb.Equal(c.Geometry, built[i].Geometry) {
			t.Errorf("round trip %d: got %+v, want %+v", i, c, built[i])
		}
	}
}

func readSharedFacts(t testing.TB) ([]Fact, orb.MultiPolygon) {
	t.Helper()
	dir := testenv.SharedData(t)
	facts, err := readWith(filepath.Join(dir, FactsPath), ReadFacts)
	if err != nil {
		t.Fatal(err)
	}
	outline, err := readWith(filepath.Join(dir, OutlinePath), ReadOutline)
	if err != nil {
		t.Fatal(err)
	}
	return facts, outline
}

func TestBuildCommunesTraVinh(t *testing.T) {
	facts, outline := readSharedFacts(t)
	got, err := BuildCommunes(facts, outline)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 41 {
		t.Fatalf("%d communes, want 41", len(got))
	}
	// The outline file states its own area, 2,246.9 km² (SOURCES.md: 2,247 km²), measured in UTM
	// 48N; UTM's scale there is 0.9996–0.9998, so allow 0.1 %.
	utm := geo.UTM(48, true)
	var sumM2 float64
	pop := 0
	for i, c := range got {
		sumM2 += geo.AreaM2(utm, c.Geometry)
		pop += c.Population
		if !planar.MultiPolygonContains(c.Geometry, orb.Point{facts[i].CentroidLon, facts[i].CentroidLat}) {
			t.Errorf("%s %s: centroid outside its cell", c.Code, c.Name)
		}
	}
	if want := 2246.9e6; math.Abs(sumM2-want) > 1e-3*want {
		t.Errorf("cells cover %.1f km², outline states %.1f km²", sumM2/1e6, want/1e6)
	}
	if pop != Population2019 {
		t.Errorf("population %d, want %d", pop, Population2019)
	}
}
