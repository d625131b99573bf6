package server

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkbhex"
	"github.com/twpayne/go-geom/encoding/wkt"

	"phusong/data/demo"
)

// exportKML is the part of an exported KML document the tests read.
type exportKML struct {
	Document struct {
		Name        string `xml:"name"`
		Snippet     string `xml:"Snippet"`
		Description string `xml:"description"`
		Folders     []struct {
			Name       string `xml:"name"`
			Placemarks []struct {
				Name string `xml:"name"`
				Data []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:",chardata"`
				} `xml:"ExtendedData>SchemaData>SimpleData"`
			} `xml:"Placemark"`
		} `xml:"Folder"`
	} `xml:"Document"`
}

func TestExportFormats(t *testing.T) {
	_, ts := newTestServer(t)
	code := demoState(t).Communes[0].Code
	cases := []struct {
		name, path, query string
		status            int
		param             string
		contentType       string
		file              string
	}{
		{"gaps kml", "/api/v1/gaps", "format=kml", 200, "", "application/vnd.google-earth.kml+xml", "phusong_gaps_4G.kml"},
		{"gaps csv 3G", "/api/v1/gaps", "tech=3g&format=csv", 200, "", "text/csv", "phusong_gaps_3G.csv"},
		{"gaps of one commune", "/api/v1/gaps", "commune=" + code + "&format=kml", 200, "", "application/vnd.google-earth.kml+xml", "phusong_gaps_4G_" + code + ".kml"},
		{"gaps csv ewkb", "/api/v1/gaps", "format=csv&geometry=ewkb", 200, "", "text/csv", "phusong_gaps_4G.csv"},
		{"format in capitals", "/api/v1/gaps", "format=KML", 200, "", "application/vnd.google-earth.kml+xml", "phusong_gaps_4G.kml"},
		{"coverage any kml", "/api/v1/coverage", "format=kml", 200, "", "application/vnd.google-earth.kml+xml", "phusong_coverage_any_4G.kml"},
		{"coverage carrier, tier, zoom clamped to 15", "/api/v1/coverage", "format=csv&carrier=viettel&tier=1&zoom=20", 200, "", "text/csv", "phusong_coverage_viettel_4G_tier1_z15.csv"},
		{"communes csv", "/api/v1/communes", "format=csv", 200, "", "text/csv", "phusong_communes.csv"},
		{"communes kml", "/api/v1/communes", "format=kml", 200, "", "application/vnd.google-earth.kml+xml", "phusong_communes.kml"},
		{"geojson explicit", "/api/v1/gaps", "format=geojson", 200, "", "application/geo+json", ""},
		{"unknown format", "/api/v1/gaps", "format=shp", 400, "format", "", ""},
		{"empty format", "/api/v1/coverage", "format=", 400, "format", "", ""},
		{"geometry with kml", "/api/v1/gaps", "format=kml&geometry=ewkb", 400, "geometry", "", ""},
		{"geometry with geojson", "/api/v1/communes", "geometry=wkt", 400, "geometry", "", ""},
		{"unknown geometry", "/api/v1/gaps", "format=csv&geometry=wkb", 400, "geometry", "", ""},
		{"bad tech", "/api/v1/gaps", "format=kml&tech=5G", 400, "tech", "", ""},
		{"unknown commune", "/api/v1/gaps", "format=csv&commune=99999", 400, "commune", "", ""},
		{"bad carrier", "/api/v1/coverage", "format=kml&carrier=nobody", 400, "carrier", "", ""},
		{"bad tier", "/api/v1/coverage", "format=kml&tier=99", 400, "tier", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+tc.path+"?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				if cd := r.header.Get("Content-Disposition"); cd != "" {
					t.Errorf("error reply has Content-Disposition %q", cd)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) || !strings.Contains(ct, "charset=utf-8") {
				t.Errorf("Content-Type %q, want %s; charset=utf-8", ct, tc.contentType)
			}
			cd := r.header.Get("Content-Disposition")
			if tc.file == "" {
				if cd != "" {
					t.Errorf("GeoJSON answer has Content-Disposition %q", cd)
				}
				return
			}
			if want := `attachment; filename="` + tc.file + `"`; cd != want {
				t.Errorf("Content-Disposition %q, want %q", cd, want)
			}
		})
	}
}

// TestExportGapsMatchGeoJSON checks the KML and CSV downloads of the demo's 4G gaps against
// the GeoJSON answer of the same route: one placemark and one row per feature with the same
// names (diacritics intact), the demo note, and WKT / EWKB geometries equal vertex for vertex
// to the GeoJSON ones (both at 6 decimals, exteriors counter-clockwise).
func TestExportGapsMatchGeoJSON(t *testing.T) {
	_, ts := newTestServer(t)
	fc, err := geojson.UnmarshalFeatureCollection(get(t, ts.URL+"/api/v1/gaps?tech=4G").body)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) == 0 {
		t.Fatal("the demo has no 4G gaps to compare")
	}
	st := demoState(t)

	var k exportKML
	if err := xml.Unmarshal(get(t, ts.URL+"/api/v1/gaps?tech=4G&format=kml").body, &k); err != nil {
		t.Fatal(err)
	}
	if k.Document.Snippet != demo.Note+" "+demo.PopulationNote || !strings.Contains(k.Document.Description, "SYNTHETIC DATA") ||
		!strings.Contains(k.Document.Description, "Coverage definition version "+st.Coverage.DefinitionVersion()) {
		t.Errorf("document snippet %q description %q: want the demo note and definition version", k.Document.Snippet, k.Document.Description)
	}
	pms := k.Document.Folders[0].Placemarks
	if len(pms) != len(fc.Features) {
		t.Fatalf("%d placemarks, want %d (GeoJSON features)", len(pms), len(fc.Features))
	}
	for i, f := range fc.Features {
		if pms[i].Name != f.Properties["name"] {
			t.Errorf("placemark %d %q, want %q", i, pms[i].Name, f.Properties["name"])
		}
	}

	for _, geometry := range []string{"wkt", "ewkb"} {
		r := get(t, ts.URL+"/api/v1/gaps?tech=4G&format=csv&geometry="+geometry)
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(fc.Features)+1 {
			t.Fatalf("%s: %d rows, want %d + header", geometry, len(rows)-1, len(fc.Features))
		}
		head := rows[0]
		col := map[string]int{}
		for i, h := range head {
			col[h] = i
		}
		if head[0] != "code" || head[len(head)-1] != geometry {
			t.Fatalf("%s: header %v", geometry, head)
		}
		for i, f := range fc.Features {
			row := rows[i+1]
			if row[col["name"]] != f.Properties["name"] || row[col["note"]] != demo.Note+" "+demo.PopulationNote || row[col["synthetic"]] != "true" {
				t.Fatalf("%s row %d: name %q note %q synthetic %q", geometry, i+1, row[col["name"]], row[col["note"]], row[col["synthetic"]])
			}
			var g geom.T
			if geometry == "wkt" {
				g, err = wkt.Unmarshal(row[len(row)-1])
			} else {
				g, err = ewkbhex.Decode(row[len(row)-1])
			}
			if err != nil {
				t.Fatalf("%s row %d: %v", geometry, i+1, err)
			}
			if g.SRID() != 4326 && geometry == "ewkb" {
				t.Errorf("ewkb row %d: SRID %d", i+1, g.SRID())
			}
			if !sameMultiPolygon(g, f.Geometry) {
				t.Fatalf("%s row %d: geometry differs from the GeoJSON feature", geometry, i+1)
			}
		}
	}
}

// sameMultiPolygon reports whether g (go-geom) has exactly the vertices of want (orb).
func sameMultiPolygon(g geom.T, want orb.Geometry) bool {
	mp, ok := g.(*geom.MultiPolygon)
	wmp, ok2 := want.(orb.MultiPolygon)
	if !ok || !ok2 || mp.NumPolygons() != len(wmp) {
		return false
	}
	for i, p := range wmp {
		gp := mp.Polygon(i)
		if gp.NumLinearRings() != len(p) {
			return false
		}
		for j, r := range p {
			lr := gp.LinearRing(j)
			if lr.NumCoords() != len(r) {
				return false
			}
			for v, pt := range r {
				if c := lr.Coord(v); c[0] != pt[0] || c[1] != pt[1] {
					return false
				}
			}
		}
	}
	return true
}

func TestExportCommunesHaveStatistics(t *testing.T) {
	_, ts := newTestServer(t)
	rows, err := csv.NewReader(bytes.NewReader(get(t, ts.URL+"/api/v1/communes?format=csv").body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	st := demoState(t)
	if len(rows) != len(st.Communes)+1 {
		t.Fatalf("%d rows, want %d communes + header", len(rows)-1, len(st.Communes))
	}
	head := strings.Join(rows[0], ",")
	for _, c := range []string{"code,name,name_en,type,population,households", "covered_area_pct_4g", "covered_population_3g", "definition_version,calibration,synthetic,note,wkt"} {
		if !strings.Contains(head, c) {
			t.Errorf("header lacks %s: %s", c, head)
		}
	}
	names := map[string]bool{}
	for _, r := range rows[1:] {
		names[r[1]] = true
	}
	for _, c := range st.Communes {
		if !names[c.Name] {
			t.Errorf("commune %q (with its diacritics) missing", c.Name)
		}
	}
}

// TestExportCaching: the download is cached per data version like the GeoJSON answers: same
// ETag twice, 304 on If-None-Match, gzip when accepted (decompressing to the plain bytes),
// HEAD with the headers and no body.
func TestExportCaching(t *testing.T) {
	_, ts := newTestServer(t)
	u := ts.URL + "/api/v1/gaps?tech=4G&format=kml"
	plain := get(t, u)
	again := get(t, u)
	etag := plain.header.Get("ETag")
	if etag == "" || again.header.Get("ETag") != etag || !bytes.Equal(plain.body, again.body) {
		t.Fatalf("ETags %q, %q: want one stable tag and body", etag, again.header.Get("ETag"))
	}
	if r := get(t, u, "If-None-Match: "+etag); r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes; want 304 and none", r.status, len(r.body))
	}
	gz := get(t, u, "Accept-Encoding: gzip")
	if gz.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", gz.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unz, plain.body) {
		t.Fatalf("gzip body does not decompress to the plain body (err %v)", err)
	}
	t.Logf("gaps 4G KML: %d bytes, %d gzipped", len(plain.body), len(gz.body))
	h := fetch(t, http.MethodHead, u)
	if h.status != http.StatusOK || len(h.body) != 0 || h.header.Get("ETag") != etag || h.header.Get("Content-Disposition") == "" {
		t.Errorf("HEAD: status %d, %d bytes, ETag %q, Content-Disposition %q", h.status, len(h.body), h.header.Get("ETag"), h.header.Get("Content-Disposition"))
	}
	if csvTag := get(t, ts.URL+"/api/v1/gaps?tech=4G&format=csv").header.Get("ETag"); csvTag == etag {
		t.Error("CSV and KML share an ETag")
	}
}

// TestExportNoServerErrorForUserInput sends seeded random junk with format=kml|csv to the
// layer routes: never a 5xx, errors are JSON.
func TestExportNoServerErrorForUserInput(t *testing.T) {
	_, ts := newTestServer(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	junk := []string{"", "0", "-1", "NaN", "3G", "4g", "any", "viettel", "kml", "csv", "wkt", "ewkb", "geojson",
		"%00", "\u00e0\u1ea1", "../../etc/passwd", "  kml  ", "KML", "99999"}
	params := []string{"carrier", "tech", "tier", "zoom", "commune", "geometry", "format"}
	paths := []string{"/api/v1/gaps", "/api/v1/coverage", "/api/v1/communes"}
	for range 150 {
		q := url.Values{}
		q.Set("format", []string{"kml", "csv"}[rng.IntN(2)])
		for range rng.IntN(4) {
			q.Add(params[rng.IntN(len(params))], junk[rng.IntN(len(junk))])
		}
		u := ts.URL + paths[rng.IntN(len(paths))] + "?" + q.Encode()
		r := get(t, u)
		if r.status >= 500 {
			t.Fatalf("seed %d: %s → %d %s", seed, u, r.status, r.body)
		}
		if r.status >= 400 {
			if e := decode[errorBody](t, r); e.Status != r.status {
				t.Fatalf("seed %d: %s → %d with error body %+v", seed, u, r.status, e)
			}
		}
	}
}

func TestExportFileName(t *testing.T) {
	cases := []struct{ name, format, want string }{
		{"gaps_4G", "kml", "phusong_gaps_4G.kml"},
		{"coverage_new co\"/x_4G", "csv", "phusong_coverage_new_co__x_4G.csv"},
	}
	for _, tc := range cases {
		if got := exportFileName(tc.name, tc.format); got != tc.want {
			t.Errorf("exportFileName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
