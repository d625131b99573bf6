package render

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkbhex"
	"github.com/twpayne/go-geom/encoding/wkt"

	"phusong/data/testenv"
)

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return rows
}

func TestWriteCSVTiny(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tinyDocument(), WKT); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	wantHeader := "layer,code,name,tech,area_km2,uncovered_population,threshold_dbm,synthetic,note,wkt"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("header %s\nwant   %s", got, wantHeader)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want header + 4", len(rows))
	}
	// Expected WKT by hand: the clockwise exterior and counter-clockwise hole reversed.
	want := [][]string{
		{"gaps_4g", "00001", "Xã Hòa Ân", "4G", "12.5", "1234.5", "-105", "true", tinyNote,
			"MULTIPOLYGON (((106.3 9.9, 106.34 9.9, 106.34 9.94, 106.3 9.94, 106.3 9.9), (106.31 9.91, 106.31 9.93, 106.33 9.93, 106.33 9.91, 106.31 9.91)))"},
		{"gaps_4g", "00002", "Phường 1", "4G", "0.5", "", "-105", "true", tinyNote,
			"POLYGON ((106.35 9.9, 106.37 9.9, 106.35 9.92, 106.35 9.9))"},
		{"2 points", "", "", "", "", "", "", "", "", "POINT (106.32 9.92)"},
		{"2 points", "", "", "", "", "", "", "", "", ""},
	}
	for i, w := range want {
		if got := rows[i+1]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got, w)
		}
	}
}

func TestWriteCSVSingleLayerHasNoLayerColumn(t *testing.T) {
	d := tinyDocument()
	d.Layers = d.Layers[:1]
	var buf bytes.Buffer
	if err := WriteCSV(&buf, d, EWKBHex); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if rows[0][0] != "code" || rows[0][len(rows[0])-1] != "ewkb" {
		t.Fatalf("header %v: want code first and ewkb last", rows[0])
	}
	// PostGIS EWKB, little endian: 01, type 6 (MultiPolygon) | 0x20000000 (has SRID) = 06000020,
	// SRID 4326 = E6100000.
	if got := rows[1][len(rows[1])-1]; !strings.HasPrefix(got, "0106000020e6100000") {
		t.Errorf("ewkb %.40s…, want prefix 0106000020e6100000", got)
	}
	g, err := ewkbhex.Decode(rows[2][len(rows[2])-1])
	if err != nil {
		t.Fatal(err)
	}
	p, ok := g.(*geom.Polygon)
	if !ok || g.SRID() != 4326 {
		t.Fatalf("decoded %T SRID %d, want *geom.Polygon 4326", g, g.SRID())
	}
	want := roundPoints(ring(5, 0, 7, 0, 5, 2))
	for i, w := range want {
		if c := p.Coord(i); c[0] != w[0] || c[1] != w[1] {
			t.Errorf("vertex %d: %v, want %v", i, c, w)
		}
	}
}

func TestWriteCSVCells(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"formula", "=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"plus", "+84", "'+84"},
		{"minus text", "-x", "'-x"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\tx", "'\tx"},
		{"negative number untouched", -105.5, "-105.5"},
		{"negative int untouched", -3, "-3"},
		{"diacritics", "Xã Đại Phước", "Xã Đại Phước"},
		{"comma and quote", "a, \"b\"", "a, \"b\""},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &Document{Layers: []Layer{{ID: "x", Features: []Feature{{Properties: []Property{{"v", tc.in}}}}}}}
			var buf bytes.Buffer
			if err := WriteCSV(&buf, d, WKT); err != nil {
				t.Fatal(err)
			}
			rows := readCSV(t, buf.Bytes())
			if got := rows[1][0]; got != tc.want {
				t.Errorf("cell %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWriteCSVWKTRoundTrip decodes every WKT cell of random polygons with wkt.Unmarshal and
// compares the vertices with the input rounded to 6 decimals.
func TestWriteCSVWKTRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	var l Layer
	var want []orb.Polygon
	for i := range 100 {
		p := randomStar(rng, orb.Point{106 + rng.Float64(), 9.5 + rng.Float64()}, 3+rng.IntN(80), 0.001+0.03*rng.Float64())
		want = append(want, p)
		l.Features = append(l.Features, Feature{Geometry: p, Properties: []Property{{"i", i}}})
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, &Document{Layers: []Layer{l}}, WKT); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	for i, p := range want {
		row := rows[i+1]
		if row[0] != strconv.Itoa(i) {
			t.Fatalf("row %d: i = %q", i+1, row[0])
		}
		g, err := wkt.Unmarshal(row[1])
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		gp := g.(*geom.Polygon)
		for j, r := range p {
			lr := gp.LinearRing(j)
			for v, w := range roundPoints(r) {
				if c := lr.Coord(v); c[0] != w[0] || c[1] != w[1] {
					t.Fatalf("row %d ring %d vertex %d: %v, want %v", i+1, j, v, c, w)
				}
			}
		}
	}
}

func TestWriteCSVBadGeometry(t *testing.T) {
	d := &Document{Layers: []Layer{{ID: "bad", Features: []Feature{{Geometry: orb.LineString{pt(0, 0)}}}}}}
	err := WriteCSV(&bytes.Buffer{}, d, WKT)
	if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "layer bad feature 0") {
		t.Fatalf("err = %v, want ErrGeometry naming layer bad feature 0", err)
	}
}

func TestParseGeometryColumn(t *testing.T) {
	for _, s := range []string{"wkt", "ewkb"} {
		g, ok := ParseGeometryColumn(s)
		if !ok || g.String() != s {
			t.Errorf("ParseGeometryColumn(%q) = %v, %v", s, g, ok)
		}
	}
	if _, ok := ParseGeometryColumn("WKB"); ok {
		t.Error("WKB accepted")
	}
}

// TestWriteCSVShapely reads the tiny document's WKT with GEOS (Debian's python3-shapely, the
// oracle of bench/accuracy) and checks validity, orientation and area against hand arithmetic:
// Xã Hòa Ân is 16 − 4 = 12 square units, Phường 1 is 2, in units of 0.01° squared.
func TestWriteCSVShapely(t *testing.T) {
	py := testenv.PythonModule(t, "shapely", "python3-shapely")
	var buf bytes.Buffer
	d := tinyDocument()
	d.Layers = d.Layers[:1]
	if err := WriteCSV(&buf, d, WKT); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "tiny.csv")
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import csv, sys
from shapely import wkt
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    g = wkt.loads(row["wkt"])
    polys = list(g.geoms) if g.geom_type == "MultiPolygon" else [g]
    ccw = all(p.exterior.is_ccw and all(not r.is_ccw for r in p.interiors) for p in polys)
    print(row["name"], g.is_valid, ccw, round(g.area / 0.0001, 9))
`
	out, err := exec.Command(py, "-c", script, in).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "Xã Hòa Ân True True 12.0\nPhường 1 True True 2.0\n"
	if string(out) != want {
		t.Errorf("shapely says\n%s\nwant\n%s", out, want)
	}
}
