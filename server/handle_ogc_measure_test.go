package server

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/measure"
	"phusong/data/testenv"
)

// TestOGCMeasurements imports measurements, reads them as an OGC collection (and its download
// and tiles), imports more and withdraws them, and sees every answer follow the stored
// samples at once, though the served state never changed: the feature sets and cached answers
// of measurement collections are keyed by the measurements version.
func TestOGCMeasurements(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	const id = "measurements_viettel_4g"
	collections := func() []ogcCollection {
		return decode[struct{ Collections []ogcCollection }](t, get(t, e.ts.URL+"/ogc/collections")).Collections
	}
	// samples sums the squares' samples of the items, of the .csv download and of the .geojson one.
	samples := func() (items, csvSum, geojsonSum int) {
		p := decode[ogcPage](t, get(t, e.ts.URL+"/ogc/collections/"+id+"/items?limit=10000"))
		if p.NumberMatched != len(p.Features) || len(p.Features) == 0 {
			t.Fatalf("%s: %d of %d features", id, len(p.Features), p.NumberMatched)
		}
		for _, f := range p.Features {
			if f.Geometry.GeoJSONType() != "Polygon" || f.Properties["carrier"] != "viettel" || f.Properties["tech"] != "4G" ||
				!strings.HasPrefix(fmt.Sprint(f.ID), "250/") {
				t.Fatalf("feature %v: %s %v", f.ID, f.Geometry.GeoJSONType(), f.Properties)
			}
			items += int(f.Properties["samples"].(float64))
		}
		rows, err := csv.NewReader(bytes.NewReader(get(t, e.ts.URL+"/ogc/collections/"+id+"/items.csv").body)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("items.csv: %v, %d rows", err, len(rows))
		}
		col := slices.Index(rows[0], "samples")
		for _, r := range rows[1:] {
			var n int
			fmt.Sscan(r[col], &n)
			csvSum += n
		}
		for _, f := range decode[featureCollectionJSON](t, get(t, e.ts.URL+"/ogc/collections/"+id+"/items.geojson")).Features {
			geojsonSum += int(f.Properties["samples"].(float64))
		}
		return items, csvSum, geojsonSum
	}
	for _, c := range collections() {
		if strings.HasPrefix(c.ID, "measurements_") {
			t.Fatalf("collection %s before any import", c.ID)
		}
	}
	if r := get(t, e.ts.URL+"/ogc/collections/"+id+"/items"); r.status != http.StatusNotFound {
		t.Fatalf("%s before any import: %d", id, r.status)
	}

	var stored, ids []int
	for i, seed := range []uint64{11, 12} {
		r := e.postMeasurements(t, e.tok["viettel"], "", driveTest(t, 3000, seed, nil, measure.Pair{Carrier: "viettel", Tech: data.Tech4G}))
		up := decode[measurementUploadJSON](t, r)
		if r.status != http.StatusCreated || up.Stored == 0 {
			t.Fatalf("import %d: %d %s", i, r.status, truncate(string(r.body), 400))
		}
		stored, ids = append(stored, up.Stored), append(ids, int(up.ID))
		cols := collections()
		i := slices.IndexFunc(cols, func(c ogcCollection) bool { return c.ID == id })
		if i < 0 || cols[i].Geometry != "Polygon" || slices.ContainsFunc(cols, func(c ogcCollection) bool { return c.ID == "measurements_mobifone_4g" }) {
			t.Fatalf("collections after import %d: %+v", len(stored), cols)
		}
		want := 0
		for _, n := range stored {
			want += n
		}
		if a, b, c := samples(); a != want || b != want || c != want {
			t.Fatalf("after %d imports: items %d, csv %d, geojson %d samples; %d stored", len(stored), a, b, c, want)
		}
	}
	tile := get(t, e.ts.URL+"/tiles/"+id+"/9/407/241.mvt")
	if tile.status != http.StatusOK {
		t.Fatalf("tile: %d", tile.status)
	}

	if r := e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/measurements/uploads/%d", ids[1]), e.tok["viettel"], nil); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if a, b, c := samples(); a != stored[0] || b != stored[0] || c != stored[0] {
		t.Fatalf("after the withdrawal: items %d, csv %d, geojson %d samples; %d stored", a, b, c, stored[0])
	}

	if ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin"); ogrinfo != "" {
		out, err := exec.Command(ogrinfo, "-ro", "-al", "-geom=SUMMARY", "OAPIF:"+e.ts.URL+"/ogc", id).CombinedOutput()
		p := decode[ogcPage](t, get(t, e.ts.URL+"/ogc/collections/"+id+"/items?limit=1"))
		if n := strings.Count(string(out), "OGRFeature("+id+"):"); err != nil || n != p.NumberMatched ||
			!strings.Contains(string(out), "Geometry: Polygon") || strings.Contains(string(out), "ERROR") {
			t.Errorf("ogrinfo OAPIF %s read %d features, the API matches %d: %v\n%s", id, n, p.NumberMatched, err, truncate(string(out), 3000))
		}
	}

	if r := e.call(t, http.MethodDelete, fmt.Sprintf("/api/v1/measurements/uploads/%d", ids[0]), e.tok["viettel"], nil); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := get(t, e.ts.URL+"/ogc/collections/"+id); r.status != http.StatusNotFound {
		t.Fatalf("%s after every withdrawal: %d", id, r.status)
	}
}
