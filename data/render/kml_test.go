package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const tinyNote = "Synthetic demo stations: invented by a seeded generator."

// tinyDocument is the golden fixture: a gaps layer with a commune drawn clockwise with a
// counter-clockwise hole (both must come out reversed) and a triangle, and a points layer
// with a name that needs XML escaping, a feature without properties and one without geometry.
//
//	(0,4) +------------+ (4,4)       (5,0)-(7,0)-(5,2): Phường 1
//	      |  +------+  |
//	      |  | hole |  |   Xã Hòa Ân (drawn ↻, hole ↺)
//	      |  +------+  |
//	(0,0) +------------+ (4,0)
func tinyDocument() *Document {
	holed := orb.MultiPolygon{{
		orb.Ring{pt(0, 0), pt(0, 4), pt(4, 4), pt(4, 0), pt(0, 0)},
		ring(1, 1, 3, 1, 3, 3, 1, 3),
	}}
	gaps := Layer{
		ID: "gaps_4g", Name: "Gaps 4G", Description: "Uncovered land.",
		Style: Style{Fill: color.NRGBA{0xb2, 0x18, 0x2b, 0x40}, Line: color.NRGBA{0xb2, 0x18, 0x2b, 0xe6}, LineWidthPx: 1.5},
		Features: []Feature{
			{Name: "Xã Hòa Ân", Geometry: holed, Properties: []Property{
				{"code", "00001"}, {"name", "Xã Hòa Ân"}, {"tech", "4G"}, {"area_km2", 12.5},
				{"uncovered_population", 1234.5}, {"threshold_dbm", -105}, {"synthetic", true}, {"note", tinyNote},
			}},
			{Name: "Phường 1", Geometry: orb.Polygon{ring(5, 0, 7, 0, 5, 2)}, Properties: []Property{
				{"code", "00002"}, {"name", "Phường 1"}, {"tech", "4G"}, {"area_km2", 0.5},
				{"uncovered_population", nil}, {"threshold_dbm", -105}, {"synthetic", true}, {"note", tinyNote},
			}},
		},
	}
	points := Layer{
		ID: "2 points", Name: "Points <&>", Style: Style{Line: color.NRGBA{0, 0, 0, 0xff}},
		Features: []Feature{
			{Name: "Trạm <Cầu Ngang> & co", Geometry: pt(2, 2)},
			{Name: "no geometry"},
		},
	}
	return &Document{
		Name: "phusong — tiny", Description: "Fixture.", DefinitionVersion: "2025.1",
		DataVersion: 7, Note: tinyNote, Layers: []Layer{gaps, points},
	}
}

func TestWriteKMLGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteKML(&buf, tinyDocument()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "tiny.kml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		out := filepath.Join(t.TempDir(), "tiny_out.kml")
		_ = os.WriteFile(out, buf.Bytes(), 0o644)
		t.Errorf("KML differs from %s; got %s (open both in Google Earth or QGIS; -update to accept)", golden, out)
	}
}

// Decoding structures: encoding/xml matches these local names in the KML namespace.
type kmlFile struct {
	Document struct {
		Name        string      `xml:"name"`
		Snippet     string      `xml:"Snippet"`
		Description string      `xml:"description"`
		Styles      []kmlStyle  `xml:"Style"`
		Schemas     []kmlSchema `xml:"Schema"`
		Folders     []kmlFolder `xml:"Folder"`
	} `xml:"Document"`
}

type kmlStyle struct {
	ID        string `xml:"id,attr"`
	LineColor string `xml:"LineStyle>color"`
	LineWidth string `xml:"LineStyle>width"`
	PolyColor string `xml:"PolyStyle>color"`
	PolyFill  string `xml:"PolyStyle>fill"`
	IconScale string `xml:"IconStyle>scale"`
}

type kmlSchema struct {
	ID     string `xml:"id,attr"`
	Fields []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"SimpleField"`
}

type kmlFolder struct {
	Name       string         `xml:"name"`
	Placemarks []kmlPlacemark `xml:"Placemark"`
}

type kmlPlacemark struct {
	Name       string `xml:"name"`
	StyleURL   string `xml:"styleUrl"`
	SchemaData struct {
		URL        string `xml:"schemaUrl,attr"`
		SimpleData []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"SimpleData"`
	} `xml:"ExtendedData>SchemaData"`
	Polygons      []kmlPolygon `xml:"Polygon"`
	MultiPolygons []kmlPolygon `xml:"MultiGeometry>Polygon"`
	Point         string       `xml:"Point>coordinates"`
}

type kmlPolygon struct {
	Tessellate string   `xml:"tessellate"`
	Outer      string   `xml:"outerBoundaryIs>LinearRing>coordinates"`
	Inner      []string `xml:"innerBoundaryIs>LinearRing>coordinates"`
}

func decodeKML(t *testing.T, b []byte) kmlFile {
	t.Helper()
	var k kmlFile
	if err := xml.Unmarshal(b, &k); err != nil {
		t.Fatalf("KML does not parse: %v", err)
	}
	return k
}

// parseCoords reads a KML coordinates string "lon,lat lon,lat …".
func parseCoords(t *testing.T, s string) []orb.Point {
	t.Helper()
	var out []orb.Point
	for _, tuple := range strings.Fields(s) {
		parts := strings.Split(tuple, ",")
		if len(parts) != 2 {
			t.Fatalf("tuple %q: want lon,lat", tuple)
		}
		lon, err1 := strconv.ParseFloat(parts[0], 64)
		lat, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("tuple %q: %v %v", tuple, err1, err2)
		}
		out = append(out, orb.Point{lon, lat})
	}
	return out
}

// shoelace is twice the signed area of a closed ring (positive: counter-clockwise).
func shoelace(r []orb.Point) float64 {
	s := 0.0
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}

func equalPoints(a, b []orb.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWriteKMLStructure(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteKML(&buf, tinyDocument()); err != nil {
		t.Fatal(err)
	}
	k := decodeKML(t, buf.Bytes())
	d := k.Document
	if d.Name != "phusong — tiny" || d.Snippet != tinyNote {
		t.Errorf("name %q, snippet %q", d.Name, d.Snippet)
	}
	for _, want := range []string{"Fixture.", "Coverage definition version 2025.1.", "Station data version 7.", "SYNTHETIC DATA: " + tinyNote} {
		if !strings.Contains(d.Description, want) {
			t.Errorf("description %q lacks %q", d.Description, want)
		}
	}
	// Styles: KML colours are aabbggrr; #b2182b at alpha 0x40 is 40 2b 18 b2.
	styles := map[string]kmlStyle{}
	for _, s := range d.Styles {
		styles[s.ID] = s
	}
	cases := []struct {
		name, got, want string
	}{
		{"gaps fill", styles["gaps_4g"].PolyColor, "402b18b2"},
		{"gaps line", styles["gaps_4g"].LineColor, "e62b18b2"},
		{"gaps line width", styles["gaps_4g"].LineWidth, "1.5"},
		{"gaps filled", styles["gaps_4g"].PolyFill, ""},
		{"points id sanitised, outline only", styles["_2_points"].PolyFill, "0"},
		{"points default width", styles["_2_points"].LineWidth, "1"},
		{"label style hides the icon", styles["label"].IconScale, "0"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(d.Schemas) != 1 || d.Schemas[0].ID != "gaps_4g_schema" {
		t.Fatalf("schemas %+v, want one: gaps_4g_schema", d.Schemas)
	}
	types := map[string]string{}
	for _, f := range d.Schemas[0].Fields {
		types[f.Name] = f.Type
	}
	if types["code"] != "string" || types["area_km2"] != "double" || types["threshold_dbm"] != "int" || types["synthetic"] != "bool" {
		t.Errorf("field types %v", types)
	}
	// Folders: gaps, gaps labels (two named polygons), points (no labels: no area).
	var names []string
	for _, f := range d.Folders {
		names = append(names, f.Name)
	}
	if strings.Join(names, "|") != "Gaps 4G|Gaps 4G — labels|Points <&>" {
		t.Fatalf("folders %q", names)
	}
	hoa := d.Folders[0].Placemarks[0]
	if hoa.Name != "Xã Hòa Ân" || hoa.StyleURL != "#gaps_4g" || hoa.SchemaData.URL != "#gaps_4g_schema" {
		t.Errorf("placemark name %q style %q schema %q", hoa.Name, hoa.StyleURL, hoa.SchemaData.URL)
	}
	data := map[string]string{}
	for _, sd := range hoa.SchemaData.SimpleData {
		data[sd.Name] = sd.Value
	}
	if data["name"] != "Xã Hòa Ân" || data["area_km2"] != "12.5" || data["threshold_dbm"] != "-105" || data["synthetic"] != "1" || data["note"] != tinyNote {
		t.Errorf("extended data %v", data)
	}
	if len(d.Folders[0].Placemarks[1].SchemaData.SimpleData) != 7 {
		t.Errorf("Phường 1: %d SimpleData, want 7 (nil uncovered_population left out)", len(d.Folders[0].Placemarks[1].SchemaData.SimpleData))
	}
	// Orientation: the clockwise exterior and counter-clockwise hole come out reversed.
	if len(hoa.MultiPolygons) != 1 || len(hoa.MultiPolygons[0].Inner) != 1 {
		t.Fatalf("Xã Hòa Ân: %+v, want one polygon with one hole", hoa.MultiPolygons)
	}
	poly := hoa.MultiPolygons[0]
	if a := shoelace(parseCoords(t, poly.Outer)); a <= 0 {
		t.Errorf("exterior signed area %g, want > 0 (counter-clockwise)", a)
	}
	if a := shoelace(parseCoords(t, poly.Inner[0])); a >= 0 {
		t.Errorf("hole signed area %g, want < 0 (clockwise)", a)
	}
	if poly.Tessellate != "1" {
		t.Errorf("tessellate %q, want 1", poly.Tessellate)
	}
	labels := d.Folders[1].Placemarks
	if len(labels) != 2 || labels[0].Name != "Xã Hòa Ân" || labels[0].StyleURL != "#label" {
		t.Fatalf("labels %+v", labels)
	}
	// The holed square's centroid is in the hole: the scan-line label is (0.5, 2).
	if got, want := parseCoords(t, labels[0].Point), roundPoints([]orb.Point{pt(0.5, 2)}); !equalPoints(got, want) {
		t.Errorf("label %v, want %v", got, want)
	}
	pts := d.Folders[2].Placemarks
	if len(pts) != 2 || pts[0].Name != "Trạm <Cầu Ngang> & co" || len(pts[0].SchemaData.SimpleData) != 0 {
		t.Fatalf("points %+v", pts)
	}
	if got, want := parseCoords(t, pts[0].Point), roundPoints([]orb.Point{pt(2, 2)}); !equalPoints(got, want) {
		t.Errorf("point %v, want %v", got, want)
	}
	if pts[1].Point != "" || len(pts[1].Polygons) != 0 {
		t.Errorf("feature without geometry got one: %+v", pts[1])
	}
}

// TestWriteKMLRoundTrip writes random counter-clockwise polygons with clockwise holes and
// Vietnamese names, parses the XML back with encoding/xml and compares every coordinate with
// the input rounded to 6 decimals.
func TestWriteKMLRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	names := []string{"Xã Long Hữu", "Phường 9", "Thị trấn Cầu Kè", "Xã Đôn Châu", "Xã Hiệp Mỹ Đông"}
	var l Layer
	l.ID = "random"
	var want []orb.MultiPolygon
	for i := range 50 {
		mp := orb.MultiPolygon{randomStar(rng, orb.Point{106 + rng.Float64(), 9.5 + rng.Float64()}, 3+rng.IntN(60), 0.001+0.03*rng.Float64())}
		if rng.IntN(2) == 0 {
			mp = append(mp, randomStar(rng, orb.Point{107 + rng.Float64(), 9.5 + rng.Float64()}, 3+rng.IntN(60), 0.001+0.03*rng.Float64()))
		}
		want = append(want, mp)
		name := names[i%len(names)]
		l.Features = append(l.Features, Feature{Name: name, Geometry: mp, Properties: []Property{{"name", name}, {"i", i}}})
	}
	var buf bytes.Buffer
	if err := WriteKML(&buf, &Document{Name: "round trip", Layers: []Layer{l}}); err != nil {
		t.Fatal(err)
	}
	pms := decodeKML(t, buf.Bytes()).Document.Folders[0].Placemarks
	if len(pms) != len(want) {
		t.Fatalf("%d placemarks, want %d", len(pms), len(want))
	}
	for i, pm := range pms {
		name := names[i%len(names)]
		if pm.Name != name || len(pm.SchemaData.SimpleData) != 2 || pm.SchemaData.SimpleData[0].Value != name || pm.SchemaData.SimpleData[1].Value != strconv.Itoa(i) {
			t.Fatalf("placemark %d: name %q data %+v, want %q", i, pm.Name, pm.SchemaData.SimpleData, name)
		}
		if len(pm.MultiPolygons) != len(want[i]) {
			t.Fatalf("placemark %d: %d polygons, want %d", i, len(pm.MultiPolygons), len(want[i]))
		}
		for j, p := range want[i] {
			got := pm.MultiPolygons[j]
			if !equalPoints(parseCoords(t, got.Outer), roundPoints(p[0])) || len(got.Inner) != 1 ||
				!equalPoints(parseCoords(t, got.Inner[0]), roundPoints(p[1])) {
				t.Fatalf("placemark %d polygon %d differs from the input at 6 decimals", i, j)
			}
		}
	}
}

func TestWriteKMLBadGeometry(t *testing.T) {
	d := &Document{Layers: []Layer{{ID: "bad", Features: []Feature{
		{Geometry: pt(0, 0)},
		{Geometry: orb.Polygon{{pt(0, 0), pt(1, 0), pt(0, 0)}}},
	}}}}
	err := WriteKML(&bytes.Buffer{}, d)
	if !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), "layer bad feature 1") {
		t.Fatalf("err = %v, want ErrGeometry naming layer bad feature 1", err)
	}
}

func TestLayerIDs(t *testing.T) {
	got := layerIDs([]Layer{{ID: "gaps_4g"}, {ID: "gaps_4g"}, {ID: ""}, {ID: "3g cover/age"}, {ID: "label"}, {ID: "Xã"}})
	want := []string{"gaps_4g", "gaps_4g_2", "layer", "_3g_cover_age", "label_2", "X_"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestWriteKMLGDAL reads the tiny document's KML with GDAL (Debian's gdal-bin: ogr2ogr, the
// reader QGIS uses) into GeoJSON and checks each layer's features: names, properties (the
// synthetic flag reads as 1, true) and geometry. The areas are hand arithmetic, in units of 0.01° squared: Xã Hòa Ân 16 − 4 = 12
// with its hole, Phường 1 2; the point is (2, 2).
func TestWriteKMLGDAL(t *testing.T) {
	ogr2ogr := testenv.Program(t, "ogr2ogr", "gdal-bin")
	var buf bytes.Buffer
	if err := WriteKML(&buf, tinyDocument()); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "tiny.kml")
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func(layer string) *geojson.FeatureCollection {
		t.Helper()
		out, err := exec.Command(ogr2ogr, "-f", "GeoJSON", "/vsistdout/", in, layer).Output()
		if err != nil {
			t.Fatalf("ogr2ogr layer %q: %v", layer, err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(out)
		if err != nil {
			t.Fatalf("ogr2ogr layer %q: %v\n%s", layer, err, out)
		}
		return fc
	}
	area := func(g orb.Geometry) float64 { // in (0.01°)², holes subtracted whatever the winding
		var a float64
		var add func(orb.Polygon)
		add = func(p orb.Polygon) {
			for i, r := range p {
				s := math.Abs(shoelace(r)) / 2 / 1e-4
				if i > 0 {
					s = -s
				}
				a += s
			}
		}
		switch g := g.(type) {
		case orb.Polygon:
			add(g)
		case orb.MultiPolygon:
			for _, p := range g {
				add(p)
			}
		}
		return a
	}
	gaps := read("Gaps 4G")
	want := []struct {
		name, code string
		areaKM2    float64
		area       float64
		holes      int
	}{{"Xã Hòa Ân", "00001", 12.5, 12, 1}, {"Phường 1", "00002", 0.5, 2, 0}}
	if len(gaps.Features) != len(want) {
		t.Fatalf("Gaps 4G: %d features, want %d", len(gaps.Features), len(want))
	}
	for i, w := range want {
		f := gaps.Features[i]
		holes := -1
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			holes = len(g) - 1
		case orb.MultiPolygon:
			if len(g) == 1 {
				holes = len(g[0]) - 1
			}
		}
		if f.Properties.MustString("Name", "") != w.name || f.Properties.MustString("code", "") != w.code || f.Properties.MustInt("synthetic", -1) != 1 ||
			f.Properties.MustFloat64("area_km2", 0) != w.areaKM2 || math.Abs(area(f.Geometry)-w.area) > 1e-6 || holes != w.holes {
			t.Errorf("feature %d: %v %T area %.9f, %d holes; want %s %s area_km2 %g, area %g, %d holes",
				i, f.Properties, f.Geometry, area(f.Geometry), holes, w.name, w.code, w.areaKM2, w.area, w.holes)
		}
	}
	points := read("Points <&>")
	if len(points.Features) != 2 || points.Features[0].Properties.MustString("Name", "") != "Trạm <Cầu Ngang> & co" ||
		points.Features[0].Geometry != pt(2, 2) || points.Features[1].Geometry != nil {
		t.Errorf("Points <&>: %d features %+v, want the escaped name at %v and one without geometry", len(points.Features), points.Features, pt(2, 2))
	}
}
