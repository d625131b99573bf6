package server

import (
	"math"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"phusong/data/store"
	"phusong/data/testenv"
)

// tileOf returns the x, y of the web-map tile holding lon, lat at zoom z (the slippy-map
// formula, written here independently of orb's maptile), and the tile's lon/lat bounds.
func tileOf(lon, lat float64, z int) (x, y int, west, south, east, north float64) {
	n := math.Exp2(float64(z))
	x = int((lon + 180) / 360 * n)
	y = int((1 - math.Asinh(math.Tan(lat*math.Pi/180))/math.Pi) / 2 * n)
	lonOf := func(x float64) float64 { return x/n*360 - 180 }
	latOf := func(y float64) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi }
	return x, y, lonOf(float64(x)), latOf(float64(y + 1)), lonOf(float64(x + 1)), latOf(float64(y))
}

// TestTiles reads tiles of every collection with GDAL's MVT driver and checks the sites tile
// against the sites counted here in the tile (and its 64/4096 buffer), the TileJSON, caching
// and errors.
func TestTiles(t *testing.T) {
	ts := newFibreServer(t)
	st := fibreState(t)
	tj := decode[tileJSON](t, get(t, ts.URL+"/tiles/sites.json"))
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], "/tiles/sites/{z}/{x}/{y}.mvt") ||
		len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "sites" || tj.VectorLayers[0].Fields["carrier"] != "String" {
		t.Fatalf("TileJSON %+v", tj)
	}
	const z = 12
	x, y, w, s, e, n := tileOf(106.34, 9.93, z)
	path := "/" + strconv.Itoa(z) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y) + ".mvt"
	padLon, padLat := (e-w)*64/4096, (n-s)*64/4096
	want := 0
	for _, site := range st.Snapshot.Sites(store.Filter{}) {
		if site.Lon >= w-padLon && site.Lon <= e+padLon && site.Lat >= s-padLat && site.Lat <= n+padLat {
			want++
		}
	}
	r := get(t, ts.URL+"/tiles/sites"+path)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != ctMVT || r.header.Get("ETag") == "" {
		t.Fatalf("tile: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if again := get(t, ts.URL+"/tiles/sites"+path, "If-None-Match: "+r.header.Get("ETag")); again.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", again.status)
	}
	ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin")
	count := regexp.MustCompile(`Feature Count: (\d+)`)
	for _, col := range []string{"sites", "communes", "coverage_any_4g", "coverage_viettel_3g", "gaps_4g", "fibre_routes", "fibre_access_points"} {
		out, err := exec.Command(ogrinfo, "-ro", "-al", "-geom=SUMMARY", "MVT:"+ts.URL+"/tiles/"+col+path).CombinedOutput()
		if err != nil || strings.Contains(string(out), "ERROR") || !strings.Contains(string(out), "Layer name: "+col+"\n") {
			t.Errorf("%s: ogrinfo MVT: %v\n%s", col, err, truncate(string(out), 2000))
			continue
		}
		m := count.FindStringSubmatch(string(out))
		if m == nil || m[1] == "0" {
			t.Errorf("%s: no feature in the tile:\n%s", col, truncate(string(out), 1000))
		}
		if col == "sites" && m != nil && m[1] != strconv.Itoa(want) {
			t.Errorf("sites tile: GDAL reads %s features, %d sites lie in the tile and its buffer", m[1], want)
		}
	}
	if r := get(t, ts.URL+"/tiles/sites/12/0/0.mvt"); r.status != http.StatusOK || len(r.body) != 0 {
		t.Errorf("tile far away: %d, %d bytes; want an empty tile", r.status, len(r.body))
	}
	for _, tc := range []struct {
		path   string
		status int
		param  string
	}{
		{"/tiles/sites/16/0/0.mvt", 400, "z"},
		{"/tiles/sites/3/8/0.mvt", 400, "x"},
		{"/tiles/sites/3/0/0.png", 400, "y"},
		{"/tiles/sites/a/0/0.mvt", 400, "z"},
		{"/tiles/nope/3/0/0.mvt", 404, ""},
		{"/tiles/nope.json", 404, ""},
		{"/tiles/sites", 404, ""},
	} {
		if r := get(t, ts.URL+tc.path); tc.param != "" {
			answered(t, r, tc.status, tc.param)
		} else if r.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, r.status, tc.status)
		}
	}
}
