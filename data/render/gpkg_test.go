package render

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"phusong/data/testenv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// gpkgDoc has a polygon layer (a clockwise exterior with a counter-clockwise hole, which the
// writer must turn around, and a second polygon) and a point layer with every value type.
func gpkgDoc() *Document {
	cwSquareWithHole := orb.Polygon{
		{{106, 9}, {106, 9.1}, {106.1, 9.1}, {106.1, 9}, {106, 9}},
		{{106.02, 9.02}, {106.08, 9.02}, {106.08, 9.08}, {106.02, 9.08}, {106.02, 9.02}},
	}
	tri := orb.Polygon{{{106.2, 9.3}, {106.3, 9.3}, {106.25, 9.35}, {106.2, 9.3}}}
	return &Document{Name: "phusong — test", DefinitionVersion: "2025.1", DataVersion: 7, Note: "invented stations",
		Layers: []Layer{
			{ID: "gaps_4g", Name: "Gaps 4G", Description: "Uncovered land.", Features: []Feature{
				{Name: "Long Đức", Geometry: orb.MultiPolygon{cwSquareWithHole, tri},
					Properties: []Property{{"code", "29242"}, {"name", "Long Đức"}, {"area_km2", 1.25}, {"people", 3}, {"ward", false}}},
				{Name: "Nothing", Geometry: orb.MultiPolygon{}, Properties: []Property{{"code", "29243"}, {"name", "Trống"}, {"area_km2", 0.0}, {"people", nil}, {"ward", true}}},
			}},
			{ID: "sites", Name: "Sites", Description: "Stations.", Features: []Feature{
				{Geometry: orb.Point{106.3456789, 9.9345678}, Properties: []Property{{"site_id", "TV-001"}, {"operators", []string{"viettel", "vnpt"}}}},
				{Geometry: orb.Point{106.4, 9.8}, Properties: []Property{{"site_id", "=1+1"}, {"operators", []string{}}}},
			}},
		}}
}

func writeTestGPKG(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteGPKG(&buf, gpkgDoc()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "test.gpkg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGPKGFile reads the file back with SQLite: header, contents with extents, geometry
// columns, and every blob decoded equal to ToGeom of its feature.
func TestGPKGFile(t *testing.T) {
	path := writeTestGPKG(t)
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var appID, userVersion int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil || appID != 0x47504B47 {
		t.Fatalf("application_id %x, %v; want GPKG", appID, err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&userVersion); err != nil || userVersion != 10300 {
		t.Fatalf("user_version %d, %v", userVersion, err)
	}
	var minX, minY, maxX, maxY float64
	var ident, desc string
	if err := db.QueryRowContext(ctx, `SELECT identifier, description, min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'gaps_4g'`).
		Scan(&ident, &desc, &minX, &minY, &maxX, &maxY); err != nil {
		t.Fatal(err)
	}
	if ident != "Gaps 4G" || minX != 106 || minY != 9 || maxX != 106.3 || maxY != 9.35 {
		t.Errorf("gaps_4g contents: %q extent %v %v %v %v; want Gaps 4G (106 9 106.3 9.35)", ident, minX, minY, maxX, maxY)
	}
	for _, want := range []string{"2025.1", "version 7", "SYNTHETIC DATA: invented stations"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description %q lacks %q", desc, want)
		}
	}
	var gtype string
	if err := db.QueryRowContext(ctx, `SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'sites'`).Scan(&gtype); err != nil || gtype != "POINT" {
		t.Errorf("sites geometry type %q, %v", gtype, err)
	}
	for _, l := range gpkgDoc().Layers {
		rows, err := db.QueryContext(ctx, `SELECT geom FROM "`+l.ID+`" ORDER BY fid`)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for rows.Next() {
			var blob []byte
			if err := rows.Scan(&blob); err != nil {
				t.Fatal(err)
			}
			want, _ := ToGeom(l.Features[i].Geometry)
			if want.Empty() {
				if blob != nil {
					t.Errorf("%s feature %d: empty geometry written as % x, want NULL", l.ID, i, blob)
				}
				i++
				continue
			}
			got := decodeGPKGBlob(t, blob)
			if !bytes.Equal(mustWKB(t, got), mustWKB(t, want)) {
				t.Errorf("%s feature %d: blob decodes to %v, want %v", l.ID, i, got.FlatCoords(), want.FlatCoords())
			}
			i++
		}
		rows.Close()
		if i != len(l.Features) {
			t.Errorf("%s: %d rows, want %d", l.ID, i, len(l.Features))
		}
	}
	var code string
	var area float64
	var people sql.NullInt64
	var ward bool
	if err := db.QueryRowContext(ctx, `SELECT code, area_km2, people, ward FROM gaps_4g WHERE fid = 2`).Scan(&code, &area, &people, &ward); err != nil {
		t.Fatal(err)
	}
	if code != "29243" || area != 0 || people.Valid || !ward {
		t.Errorf("row 2: %q %v %v %v", code, area, people, ward)
	}
}

// decodeGPKGBlob checks a GeoPackage binary header (magic, version, flags, SRS 4326, the
// envelope equal to the geometry's bounds) and returns the WKB geometry after it.
func decodeGPKGBlob(t *testing.T, b []byte) geom.T {
	t.Helper()
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' || b[2] != 0 {
		t.Fatalf("blob header % x", b[:min(8, len(b))])
	}
	flags := b[3]
	if flags&1 != 1 {
		t.Fatalf("flags %08b: not little endian", flags)
	}
	if srs := binary.LittleEndian.Uint32(b[4:8]); srs != 4326 {
		t.Fatalf("srs_id %d", srs)
	}
	if flags>>1&7 != 1 || flags&(1<<4) != 0 {
		t.Fatalf("flags %08b: want an XY envelope, not empty", flags)
	}
	var env []float64
	for i := range 4 {
		env = append(env, math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:])))
	}
	g, err := wkb.Unmarshal(b[8+32:])
	if err != nil {
		t.Fatal(err)
	}
	bd := g.Bounds()
	if env[0] != bd.Min(0) || env[1] != bd.Max(0) || env[2] != bd.Min(1) || env[3] != bd.Max(1) {
		t.Errorf("envelope %v, geometry bounds %v", env, bd)
	}
	return g
}

func mustWKB(t *testing.T, g geom.T) []byte {
	t.Helper()
	b, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGPKGWithGDAL has GDAL's own GeoPackage validator (validate_gpkg.py, every requirement of
// the spec it checks) accept the file and ogrinfo read its layers, types, fields and extents.
func TestGPKGWithGDAL(t *testing.T) {
	validator := testenv.File(t, "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py", "python3-gdal")
	ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin")
	path := writeTestGPKG(t)
	if out, err := exec.Command("/usr/bin/python3", validator, path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("validate_gpkg.py: %v\n%s", err, out)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{
		"Layer name: gaps_4g", "Geometry: Multi Polygon", "Feature Count: 2", "Extent: (106.000000, 9.000000) - (106.300000, 9.350000)",
		"code: String", "area_km2: Real", "people: Integer64", "ward: Integer(Boolean)", "name (String) = Long Đức",
		"MULTIPOLYGON (((106 9,106.1 9.0,106.1 9.1,106.0 9.1,106 9),(106.02 9.02,106.02 9.08,106.08 9.08,106.08 9.02,106.02 9.02))",
		"Layer name: sites", "Geometry: Point", "POINT (106.345679 9.934568)", "operators (String) = viettel vnpt",
		"site_id (String) = =1+1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, s)
		}
	}
}
