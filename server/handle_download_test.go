package server

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"phusong/data/hex"
	"phusong/data/testenv"
)

// TestDownloadURLs checks every download URL form: its media type, its attachment name, and
// that it is the same document as the format= answer of the layer route.
func TestDownloadURLs(t *testing.T) {
	t.Parallel()
	ts := newFibreServer(t)
	cases := []struct {
		path, same, ctype, file string
	}{
		{"/api/v1/communes.csv", "/api/v1/communes?format=csv", ctCSV, "phusong_communes.csv"},
		{"/api/v1/communes.kml", "/api/v1/communes?format=kml", ctKML, "phusong_communes.kml"},
		{"/api/v1/communes.gpkg", "/api/v1/communes?format=gpkg", ctGPKG, "phusong_communes.gpkg"},
		{"/api/v1/communes.geojson", "", ctGeoJSON, "phusong_communes.geojson"},
		{"/api/v1/gaps.csv?tech=3G", "/api/v1/gaps?tech=3G&format=csv", ctCSV, "phusong_gaps_3G.csv"},
		{"/api/v1/gaps.gpkg?tech=4G", "/api/v1/gaps?format=gpkg", ctGPKG, "phusong_gaps_4G.gpkg"},
		{"/api/v1/coverage.kml?carrier=viettel", "/api/v1/coverage?carrier=viettel&format=kml", ctKML, "phusong_coverage_viettel_4G.kml"},
		{"/api/v1/coverage.geojson?tech=3G", "", ctGeoJSON, "phusong_coverage_any_3G.geojson"},
		{"/api/v1/pockets.csv?tech=3G&min_people=100", "/api/v1/pockets?tech=3G&min_people=100&format=csv", ctCSV, "phusong_pockets_3G_min100.csv"},
		{"/api/v1/pockets.gpkg", "/api/v1/pockets?format=gpkg", ctGPKG, "phusong_pockets_4G_min50.gpkg"},
		{"/api/v1/pockets.geojson?min_people=20", "", ctGeoJSON, "phusong_pockets_4G_min20.geojson"},
		{"/api/v1/sites.gpkg", "/ogc/collections/sites/items.gpkg", ctGPKG, "phusong_sites.gpkg"},
		{"/api/v1/sites.csv", "", ctCSV, "phusong_sites.csv"},
		{"/api/v1/fibre.gpkg", "", ctGPKG, "phusong_fibre.gpkg"},
		{"/ogc/collections/fibre_routes/items.kml", "", ctKML, "phusong_fibre_routes.kml"},
	}
	for _, tc := range cases {
		r := get(t, ts.URL+tc.path)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != tc.ctype ||
			r.header.Get("Content-Disposition") != `attachment; filename="`+tc.file+`"` || len(r.body) < 100 {
			t.Errorf("%s: %d %q %q, %d bytes", tc.path, r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), len(r.body))
			continue
		}
		if tc.same != "" && !bytes.Equal(get(t, ts.URL+tc.same).body, r.body) {
			t.Errorf("%s differs from %s", tc.path, tc.same)
		}
	}
	// The full-detail GeoJSON download, not the map's zoom-9 answer.
	if a, b := get(t, ts.URL+"/api/v1/coverage.geojson"), get(t, ts.URL+"/api/v1/coverage"); len(a.body) <= len(b.body) {
		t.Errorf("coverage.geojson %d bytes, the zoom-9 map answer %d: want the full detail", len(a.body), len(b.body))
	}
	answered(t, get(t, ts.URL+"/api/v1/gaps.csv?format=kml"), http.StatusBadRequest, "format")
	answered(t, get(t, ts.URL+"/api/v1/sites.kml?geometry=wkt"), http.StatusBadRequest, "geometry")
}

// TestDownloadRangesAndConditionals checks the http.ServeContent semantics GDAL's /vsicurl/
// and caches rely on: byte ranges, HEAD, If-None-Match, If-Match and If-Range.
func TestDownloadRangesAndConditionals(t *testing.T) {
	ts := newFibreServer(t)
	u := ts.URL + "/api/v1/communes.gpkg"
	full := get(t, u)
	etag := full.header.Get("ETag")
	if full.header.Get("Accept-Ranges") != "bytes" || strings.HasPrefix(etag, "W/") || etag == "" {
		t.Fatalf("Accept-Ranges %q, ETag %q: want bytes and a strong ETag", full.header.Get("Accept-Ranges"), etag)
	}
	part := get(t, u, "Range: bytes=100-299")
	if part.status != http.StatusPartialContent || !bytes.Equal(part.body, full.body[100:300]) ||
		part.header.Get("Content-Range") != "bytes 100-299/"+strconv.Itoa(len(full.body)) {
		t.Fatalf("range: %d %q, %d bytes", part.status, part.header.Get("Content-Range"), len(part.body))
	}
	tail := get(t, u, "Range: bytes=-16", "Accept-Encoding: gzip")
	if tail.status != http.StatusPartialContent || tail.header.Get("Content-Encoding") != "" || !bytes.Equal(tail.body, full.body[len(full.body)-16:]) {
		t.Fatalf("suffix range with gzip accepted: %d %q", tail.status, tail.header.Get("Content-Encoding"))
	}
	head := fetch(t, http.MethodHead, u)
	if head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("Content-Length") != strconv.Itoa(len(full.body)) {
		t.Fatalf("HEAD: %d, %d bytes, Content-Length %q", head.status, len(head.body), head.header.Get("Content-Length"))
	}
	checks := []struct {
		name   string
		header []string
		status int
	}{
		{"if-none-match", []string{"If-None-Match: " + etag}, http.StatusNotModified},
		{"if-none-match weak", []string{"If-None-Match: W/" + etag}, http.StatusNotModified},
		{"if-none-match other", []string{`If-None-Match: "other"`}, http.StatusOK},
		{"if-match", []string{"If-Match: " + etag}, http.StatusOK},
		{"if-match other", []string{`If-Match: "other"`}, http.StatusPreconditionFailed},
		{"if-range same", []string{"If-Range: " + etag, "Range: bytes=0-9"}, http.StatusPartialContent},
		{"if-range changed", []string{`If-Range: "other"`, "Range: bytes=0-9"}, http.StatusOK},
		{"unsatisfiable", []string{"Range: bytes=999999999-"}, http.StatusRequestedRangeNotSatisfiable},
	}
	for _, c := range checks {
		if r := get(t, u, c.header...); r.status != c.status {
			t.Errorf("%s: %d, want %d", c.name, r.status, c.status)
		}
	}
}

// TestDownloadsWithGDAL has GDAL open the downloads by URL as a user would: /vsicurl/ (ranges)
// for every extension, the CSV driver prefix for a CSV URL with parameters, and ogr2ogr
// writing the fibre routes (lines only) to a Shapefile, which needs one geometry type.
func TestDownloadsWithGDAL(t *testing.T) {
	t.Parallel()
	ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin")
	ogr2ogr := testenv.Program(t, "ogr2ogr", "gdal-bin")
	ts := newFibreServer(t)
	st := fibreState(t)
	cases := []struct {
		name, source string
		want         []string
	}{
		{"gpkg", "/vsicurl/" + ts.URL + "/api/v1/communes.gpkg", []string{"Layer name: communes", "Geometry: Multi Polygon", "Feature Count: " + strconv.Itoa(len(st.Communes))}},
		{"fibre gpkg", "/vsicurl/" + ts.URL + "/api/v1/fibre.gpkg", []string{"Layer name: fibre_routes", "Geometry: Line String", "Layer name: fibre_access_points", "Geometry: Point"}},
		{"geojson", "/vsicurl/" + ts.URL + "/api/v1/gaps.geojson", []string{"Geometry: Multi Polygon"}},
		{"kml", "/vsicurl/" + ts.URL + "/api/v1/communes.kml", []string{"Feature Count: " + strconv.Itoa(len(st.Communes))}},
		{"csv", "/vsicurl/" + ts.URL + "/api/v1/sites.csv", []string{"Feature Count: " + strconv.Itoa(st.Snapshot.Len()), "site_id: String"}},
		{"csv with parameters", "CSV:/vsicurl/" + ts.URL + "/api/v1/gaps.csv?tech=3G", []string{"Layer name: gaps", "wkt: String"}},
		{"pockets gpkg", "/vsicurl/" + ts.URL + "/api/v1/pockets.gpkg", []string{"Layer name: pockets_4g", "Geometry: Multi Polygon", "people: Real", "commune: String"}},
	}
	for _, tc := range cases {
		out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", tc.source).CombinedOutput()
		if err != nil {
			t.Errorf("%s: ogrinfo %s: %v\n%s", tc.name, tc.source, err, truncate(string(out), 2000))
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: ogrinfo output lacks %q:\n%s", tc.name, w, truncate(string(out), 2000))
			}
		}
	}
	routes := []string{ts.URL + "/api/v1/fibre?kind=backbone,feeder,distribution", ts.URL + "/ogc/collections/fibre_routes/items?limit=10000"}
	for i, src := range routes {
		shp := filepath.Join(t.TempDir(), "routes.shp")
		if out, err := exec.Command(ogr2ogr, "-f", "ESRI Shapefile", shp, src).CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr %s → Shapefile: %v\n%s", src, err, out)
		}
		out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", shp).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Geometry: Line String") || !strings.Contains(string(out), "Feature Count: "+strconv.Itoa(len(st.Fibre.Routes))) {
			t.Errorf("route %d: the Shapefile: %v\n%s", i, err, out)
		}
	}
}

// TestH3API checks /api/v1/h3 in its formats: the CSV download and the GeoJSON answer agree
// cell for cell and the KML URL form is format=kml's document (at resolution 9, or 8 in a
// quick make test: a seventh of the hexagons; data/testenv), GDAL reads the GeoPackage, and bad
// parameters are 400s naming them.
func TestH3API(t *testing.T) {
	t.Parallel()
	if !hex.Available {
		t.Skip("built without cgo: no H3")
	}
	ts := newFibreServer(t)
	res := strconv.Itoa(testenv.Size(9, 8))
	fc := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/h3?tech=3G&resolution="+res))
	csvBody := get(t, ts.URL+"/api/v1/h3.csv?tech=3G&resolution="+res)
	rows, err := csv.NewReader(bytes.NewReader(csvBody.body)).ReadAll()
	if err != nil || len(rows)-1 != len(fc.Features) || len(fc.Features) == 0 {
		t.Fatalf("CSV %d rows (%v), GeoJSON %d features", len(rows)-1, err, len(fc.Features))
	}
	if rows[0][0] != "h3_res"+res+"_id" || rows[1][0] != fc.Features[0].ID || fc.Features[0].Properties["any_3g"] == nil {
		t.Fatalf("CSV %v / GeoJSON %v", rows[0][:3], fc.Features[0].Properties)
	}
	if d := csvBody.header.Get("Content-Disposition"); d != `attachment; filename="phusong_h3_res`+res+`_3G.csv"` {
		t.Errorf("Content-Disposition %q", d)
	}
	// Every property is a column, the calibration label too; the same for the KML URL form
	// (GDAL picks the driver from the extension), which is format=kml's document.
	if col := slices.Index(rows[0], "calibration"); col < 0 || rows[1][col] != "uncalibrated" ||
		fc.Features[0].Properties["calibration"] != "uncalibrated" {
		t.Errorf("calibration: CSV columns %v, GeoJSON %v", rows[0], fc.Features[0].Properties["calibration"])
	}
	kml := get(t, ts.URL+"/api/v1/h3.kml?tech=3G&resolution="+res)
	if kml.status != http.StatusOK || kml.header.Get("Content-Type") != ctKML ||
		kml.header.Get("Content-Disposition") != `attachment; filename="phusong_h3_res`+res+`_3G.kml"` ||
		!bytes.Equal(kml.body, get(t, ts.URL+"/api/v1/h3?tech=3G&resolution="+res+"&format=kml").body) ||
		!bytes.Contains(kml.body, []byte(`<SimpleData name="calibration">uncalibrated</SimpleData>`)) {
		t.Errorf("h3.kml: %d %q %q, %d bytes", kml.status, kml.header.Get("Content-Type"), kml.header.Get("Content-Disposition"), len(kml.body))
	}
	answered(t, get(t, ts.URL+"/api/v1/h3?resolution=10"), http.StatusBadRequest, "resolution")
	answered(t, get(t, ts.URL+"/api/v1/h3?tech=2G"), http.StatusBadRequest, "tech")
	ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin")
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", "/vsicurl/"+ts.URL+"/api/v1/h3.gpkg").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Layer name: h3_res8_4g") || !strings.Contains(string(out), "Geometry: Polygon") {
		t.Errorf("ogrinfo h3.gpkg: %v\n%s", err, truncate(string(out), 2000))
	}
}

// TestLayerFeatureIDs: the /api/v1 layers give every feature an id (GDAL and QGIS keep it as
// the feature's id): the commune code for communes and gaps, the tier for coverage, the first grid
// cell for pockets.
func TestLayerFeatureIDs(t *testing.T) {
	ts := newFibreServer(t)
	communes := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/communes"))
	for _, f := range communes.Features {
		if f.ID != f.Properties["code"] {
			t.Fatalf("commune id %v, code %v", f.ID, f.Properties["code"])
		}
	}
	gaps := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/gaps?tech=4G"))
	for _, f := range gaps.Features {
		if f.ID != f.Properties["code"] {
			t.Fatalf("gap id %v, code %v", f.ID, f.Properties["code"])
		}
	}
	cov := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/coverage?tier=2"))
	if len(cov.Features) != 1 || cov.Features[0].ID != float64(2) {
		t.Fatalf("coverage tier 2: id %v", cov.Features[0].ID)
	}
	// A pocket's id is its first grid cell: the same whatever the floor on people, while its
	// rank is not an id (the id of rank 1 stays when the floor changes, and ids are unique).
	pockets := map[int]geojson.FeatureCollection{}
	for _, min := range []int{0, 200} {
		pockets[min] = decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/pockets?tech=4G&min_people="+strconv.Itoa(min)))
	}
	ids := map[any]bool{}
	for _, f := range pockets[0].Features {
		if _, ok := f.ID.(float64); !ok || ids[f.ID] {
			t.Fatalf("pocket id %v (%T) is not a unique number", f.ID, f.ID)
		}
		ids[f.ID] = true
	}
	for _, f := range pockets[200].Features {
		if !ids[f.ID] {
			t.Fatalf("pocket %v of 200 people or more is not among all pockets", f.ID)
		}
	}
	if len(pockets[200].Features) == 0 || pockets[200].Features[0].ID != pockets[0].Features[0].ID {
		t.Fatal("the most populous pocket changes id with the floor")
	}
	if len(communes.Features) == 0 || len(gaps.Features) == 0 {
		t.Fatal("no communes or no 4G gaps on the demo")
	}
}
