package server

import (
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"phusong/data/testenv"
)

// ogrGeometry is the geometry type GDAL's GeoJSON driver gives the one layer of a GeoJSON URL,
// having read every feature ("Unknown (any)" for mixed types), and the feature count.
func ogrGeometry(t *testing.T, ogrinfo, u string) (geometry, count string) {
	t.Helper()
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", "GeoJSON:"+u).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", u, err, truncate(string(out), 2000))
	}
	g := regexp.MustCompile(`(?m)^Geometry: (.+)$`).FindStringSubmatch(string(out))
	n := regexp.MustCompile(`(?m)^Feature Count: (\d+)$`).FindStringSubmatch(string(out))
	if g == nil || n == nil {
		t.Fatalf("ogrinfo %s: no geometry or feature count in\n%s", u, truncate(string(out), 2000))
	}
	return g[1], n[1]
}

// GDAL names of GeoJSON geometry types.
var ogrGeometryNames = map[string]string{
	"Point": "Point", "LineString": "Line String", "Polygon": "Polygon", "MultiPolygon": "Multi Polygon",
}

// TestFibreKindsWithGDAL: GDAL reads /api/v1/fibre?kind=routes as lines only and kind=points as
// points only (the plain URL mixes them, as the map draws them), each with the features of its
// kind; and every OGC API collection as the one geometry type it declares.
func TestFibreKindsWithGDAL(t *testing.T) {
	testenv.Heavy(t, "every fibre download read by GDAL; TestOGCWithGDAL and TestDownloadsWithGDAL keep GDAL as the oracle in a quick run")
	ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin")
	fibreState(t)
	ts := newFibreServer(t)
	routes, points := len(fibreNet.Routes), len(fibreNet.AccessPoints)
	if routes == 0 || points == 0 {
		t.Fatalf("the demo network has %d routes and %d access points", routes, points)
	}
	cases := []struct {
		query, geometry string
		count           int
	}{
		{"", "Unknown (any)", routes + points},
		{"?kind=routes", "Line String", routes},
		{"?kind=points", "Point", points},
		{"?kind=points,routes", "Unknown (any)", routes + points},
		{"?kind=backbone,feeder,distribution", "Line String", routes},
	}
	for _, tc := range cases {
		g, n := ogrGeometry(t, ogrinfo, ts.URL+"/api/v1/fibre"+tc.query)
		if g != tc.geometry || n != strconv.Itoa(tc.count) {
			t.Errorf("/api/v1/fibre%s: GDAL reads %s features of %s, want %d of %s", tc.query, n, g, tc.count, tc.geometry)
		}
	}
	if r := get(t, ts.URL+"/api/v1/fibre?kind=lines"); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "routes") {
		t.Errorf("kind=lines: %d %s", r.status, truncate(string(r.body), 200))
	}

	cols := decode[struct{ Collections []ogcCollection }](t, get(t, ts.URL+"/ogc/collections")).Collections
	for _, c := range cols {
		u := ts.URL + "/ogc/collections/" + url.PathEscape(c.ID) + "/items?limit=10000"
		p := decode[ogcPage](t, get(t, u))
		if p.NumberMatched > p.NumberReturned {
			t.Fatalf("%s: %d features, more than a page", c.ID, p.NumberMatched)
		}
		g, n := ogrGeometry(t, ogrinfo, u)
		if want := ogrGeometryNames[c.Geometry]; g != want || n != strconv.Itoa(p.NumberMatched) {
			t.Errorf("collection %s (geometryType %s): GDAL reads %s features of %s, want %d of %s", c.ID, c.Geometry, n, g, p.NumberMatched, want)
		}
	}
}
