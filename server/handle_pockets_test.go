package server

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data/demo"
	"phusong/geo"
)

// pocketsOf fetches and decodes /api/v1/pockets with query q.
func pocketsOf(t *testing.T, base, q string) *geojson.FeatureCollection {
	t.Helper()
	r := get(t, base+"/api/v1/pockets?"+q)
	answered(t, r, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != ctGeoJSON {
		t.Fatalf("pockets: content type %q", ct)
	}
	fc, err := geojson.UnmarshalFeatureCollection(r.body)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// TestPocketsAPI: the demo's 4G pockets are ranked by people, each at or above the floor and
// marked synthetic (stations and population grid); with no floor, the pockets' people per
// commune add up to the communes layer's uncovered people; the commune filter, an uncached
// floor and zoom simplification behave; bad parameters are 400s naming them.
func TestPocketsAPI(t *testing.T) {
	_, ts := newTestServer(t)
	fc := pocketsOf(t, ts.URL, "tech=4G")
	if len(fc.Features) == 0 {
		t.Fatal("the demo has no 4G pocket of 50 people")
	}
	prev := math.Inf(1)
	for i, f := range fc.Features {
		p := f.Properties
		people := p.MustFloat64("people", -1)
		if p.MustInt("rank", 0) != i+1 || people < 50 || people > prev || p["synthetic"] != true ||
			p["note"] != demo.Note+" "+demo.PopulationNote || p["tech"] != "4G" {
			t.Fatalf("pocket %d: %v", i, p)
		}
		prev = people
		if _, ok := p["nearest_viettel_m"].(float64); !ok || p["nearest_viettel_site"] == "" {
			t.Errorf("pocket %d has no nearest Viettel site: %v", i, p)
		}
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok || len(mp) == 0 {
			t.Fatalf("pocket %d geometry %T", i, f.Geometry)
		}
	}

	all := pocketsOf(t, ts.URL, "tech=4G&min_people=0")
	inPockets, uncovered := 0.0, 0.0
	for _, f := range all.Features {
		inPockets += f.Properties.MustFloat64("people", 0)
	}
	for _, f := range decodeFC(t, get(t, ts.URL+"/api/v1/communes")).Features {
		uncovered += f.Properties.MustFloat64("uncovered_population_4g", -1)
	}
	// Every uncovered person lives in one pocket; each pocket's people are rounded to 0.1.
	if math.Abs(inPockets-uncovered) > 0.05*float64(len(all.Features))+1e-6 {
		t.Errorf("%.1f people in %d pockets, %.6f uncovered in the communes", inPockets, len(all.Features), uncovered)
	}

	code := fc.Features[0].Properties.MustString("commune", "")
	for _, f := range pocketsOf(t, ts.URL, "tech=4G&commune="+code).Features {
		cs, _ := f.Properties["communes"].([]any)
		if !slices.Contains(cs, any(code)) {
			t.Errorf("commune=%s answered a pocket in %v", code, cs)
		}
	}
	odd := pocketsOf(t, ts.URL, "tech=4G&min_people=37") // not a cached floor
	want := 0
	for _, f := range all.Features {
		if f.Properties.MustFloat64("people", 0) >= 37 {
			want++
		}
	}
	if len(odd.Features) != want {
		t.Errorf("min_people=37: %d pockets, want %d", len(odd.Features), want)
	}
	vertices := func(fc *geojson.FeatureCollection) int {
		n := 0
		for _, f := range fc.Features {
			for _, p := range f.Geometry.(orb.MultiPolygon) {
				for _, r := range p {
					n += len(r)
				}
			}
		}
		return n
	}
	if z, full := vertices(pocketsOf(t, ts.URL, "tech=4G&zoom=9")), vertices(fc); z >= full {
		t.Errorf("zoom 9: %d vertices, full detail %d", z, full)
	}

	for q, param := range map[string]string{"tech=5G": "tech", "min_people=-1": "min_people", "min_people=lots": "min_people",
		"commune=99999": "commune", "zoom=x": "zoom", "format=shp": "format"} {
		answered(t, get(t, ts.URL+"/api/v1/pockets?"+q), http.StatusBadRequest, param)
	}
}

// decodeFC decodes a GeoJSON FeatureCollection reply.
func decodeFC(t *testing.T, r reply) *geojson.FeatureCollection {
	t.Helper()
	fc, err := geojson.UnmarshalFeatureCollection(r.body)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// TestPocketsExport: KML placemarks are labelled with the people ("#1: N people"); CSV rows
// carry the properties and the outline as WKT, one per pocket, in rank order.
func TestPocketsExport(t *testing.T) {
	_, ts := newTestServer(t)
	fc := pocketsOf(t, ts.URL, "tech=4G")
	var k exportKML
	r := get(t, ts.URL+"/api/v1/pockets?tech=4G&format=kml")
	if err := xml.Unmarshal(r.body, &k); err != nil {
		t.Fatal(err)
	}
	pms := k.Document.Folders[0].Placemarks
	if len(pms) != len(fc.Features) || !strings.Contains(r.header.Get("Content-Disposition"), "phusong_pockets_4G_min50.kml") {
		t.Fatalf("%d placemarks for %d pockets; %q", len(pms), len(fc.Features), r.header.Get("Content-Disposition"))
	}
	for i, f := range fc.Features {
		want := fmt.Sprintf("#%d: %.0f people", i+1, math.Round(f.Properties.MustFloat64("people", 0)))
		if pms[i].Name != want {
			t.Errorf("placemark %d %q, want %q", i, pms[i].Name, want)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(get(t, ts.URL+"/api/v1/pockets?tech=4G&format=csv").body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(fc.Features)+1 || rows[0][0] != "rank" || rows[0][1] != "tech" || rows[0][2] != "people" || rows[0][len(rows[0])-1] != "wkt" {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0])
	}
	for i, row := range rows[1:] {
		if row[0] != fmt.Sprint(i+1) || !strings.HasPrefix(row[len(row)-1], "MULTIPOLYGON") {
			t.Errorf("csv row %d: rank %q, geometry %.30q", i+1, row[0], row[len(row)-1])
		}
	}
}

// TestPopulationAPI: the summary names the synthetic grid and reconciles with the census; the
// density image has the size and bounds it states, is opaque over the towns (the densest
// class at Trà Vinh ward's centre) and transparent off the land; /api/v1/info says the grid
// is synthetic.
func TestPopulationAPI(t *testing.T) {
	_, ts := newTestServer(t)
	var body populationBody
	body = decode[populationBody](t, get(t, ts.URL+"/api/v1/population"))
	if body.Source != demo.PopulationFile || body.Note != demo.PopulationNote || body.Mode != "census" ||
		body.CensusPopulation != demo.Population2019 || math.Abs(body.GridPopulation-demo.Population2019) > 1e-6 ||
		len(body.Communes) != 41 || len(body.UniformCommunes) != 0 || !strings.Contains(body.Spread, "population.tif") {
		t.Fatalf("summary %+v", body.PopulationSummary)
	}
	for _, c := range body.Communes {
		if c.People != float64(c.Census) || math.Abs(c.Factor-1) > 0.1 { // the grid's own communes, seen on 200 m cells
			t.Errorf("commune %s: %g people for a census of %d, factor %g", c.Code, c.People, c.Census, c.Factor)
		}
	}
	r := get(t, ts.URL+"/"+body.Image.URL)
	if r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	b := body.Image.Bounds
	if img.Bounds().Dx() != body.Image.Width || img.Bounds().Dy() != body.Image.Height {
		t.Fatalf("image %v, stated %d × %d", img.Bounds(), body.Image.Width, body.Image.Height)
	}
	mercY := func(lat float64) float64 { return math.Log(math.Tan(math.Pi/4 + lat*math.Pi/360)) }
	pixel := func(p orb.Point) (int, int) {
		return int((p[0] - b[0]) / (b[2] - b[0]) * float64(body.Image.Width)),
			int((mercY(b[3]) - mercY(p[1])) / (mercY(b[3]) - mercY(b[1])) * float64(body.Image.Height))
	}
	_, _, _, a := img.At(pixel(orb.Point{b[0] + 1e-6, b[3] - 1e-6})).RGBA() // the north-west corner: off the land
	if a != 0 {
		t.Errorf("the corner of the image is not transparent")
	}
	centre := orb.Point{106.34253, 9.91278} // Trà Vinh ward's centroid (shared/data facts)
	cr, cg, cb, ca := img.At(pixel(centre)).RGBA()
	want := render6(body.Image.Colours[len(body.Image.Colours)-1])
	if ca == 0 || [3]uint32{cr >> 8, cg >> 8, cb >> 8} != want {
		t.Errorf("Trà Vinh's centre is drawn %d %d %d (alpha %d), want the densest class %v", cr>>8, cg>>8, cb>>8, ca, want)
	}
	if geo.DistanceM(centre, orb.Point{b[0], b[1]}) < 1000 {
		t.Fatal("fixture: the centre is not inside the image")
	}
	info := decode[infoBody](t, get(t, ts.URL+"/api/v1/info"))
	if info.PopulationNote != demo.PopulationNote || info.PopulationSpread != body.Spread {
		t.Errorf("info: population note %q, spread %q", info.PopulationNote, info.PopulationSpread)
	}
}

// render6 parses "#rrggbb".
func render6(s string) [3]uint32 {
	var v [3]uint32
	fmt.Sscanf(s, "#%02x%02x%02x", &v[0], &v[1], &v[2])
	return v
}
