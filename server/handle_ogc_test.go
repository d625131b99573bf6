package server

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/store"
	"phusong/data/testenv"
)

// ogcPage is an items answer as the tests read it.
type ogcPage struct {
	Type           string             `json:"type"`
	Features       []*geojson.Feature `json:"features"`
	NumberMatched  int                `json:"numberMatched"`
	NumberReturned int                `json:"numberReturned"`
	Links          []ogcLink          `json:"links"`
}

func linkOf(links []ogcLink, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// walkItems follows next links from url to the end and returns every feature, checking each
// page's counts and its prev link.
func walkItems(t *testing.T, u string) []*geojson.Feature {
	t.Helper()
	var all []*geojson.Feature
	for pages := 0; u != ""; pages++ {
		r := get(t, u)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/geo+json") {
			t.Fatalf("%s: %d %s %s", u, r.status, r.header.Get("Content-Type"), truncate(string(r.body), 200))
		}
		p := decode[ogcPage](t, r)
		if p.NumberReturned != len(p.Features) || p.Type != "FeatureCollection" {
			t.Fatalf("%s: numberReturned %d, %d features", u, p.NumberReturned, len(p.Features))
		}
		if (pages > 0) != (linkOf(p.Links, "prev") != "") {
			t.Fatalf("%s: page %d, prev link %q", u, pages, linkOf(p.Links, "prev"))
		}
		all = append(all, p.Features...)
		u = linkOf(p.Links, "next")
		if u != "" && len(all) >= p.NumberMatched || pages > 10000 {
			t.Fatalf("next link %s after %d of %d features", u, len(all), p.NumberMatched)
		}
	}
	return all
}

// TestOGCCore walks the API as a client does: landing page → conformance and collections →
// each collection → its items page by page, and checks what the standard requires.
func TestOGCCore(t *testing.T) {
	ts := newFibreServer(t)
	st := fibreState(t)
	land := decode[map[string]any](t, get(t, ts.URL+"/ogc"))
	rels := map[string]bool{}
	for _, l := range land["links"].([]any) {
		rels[l.(map[string]any)["rel"].(string)] = true
	}
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if !rels[rel] {
			t.Errorf("landing page lacks a %s link", rel)
		}
	}
	conf := decode[struct{ ConformsTo []string }](t, get(t, ts.URL+"/ogc/conformance"))
	if !slices.Contains(conf.ConformsTo, confCore) || !slices.Contains(conf.ConformsTo, confGeoJSON) {
		t.Errorf("conformsTo %v", conf.ConformsTo)
	}
	cols := decode[struct{ Collections []ogcCollection }](t, get(t, ts.URL+"/ogc/collections")).Collections
	var ids []string
	for _, c := range cols {
		ids = append(ids, c.ID)
	}
	// Every carrier with a counted site, and any, has a coverage collection per technology; gaps
	// and dead-zone pockets one per technology.
	want := []string{"communes", "sites", "gaps_3g", "gaps_4g", "pockets_3g", "pockets_4g", "fibre_routes", "fibre_access_points"}
	for _, cr := range append([]string{"any"}, st.Coverage.Carriers()...) {
		want = append(want, "coverage_"+cr+"_3g", "coverage_"+cr+"_4g")
	}
	if len(ids) != len(want) {
		t.Fatalf("collections %v, want %v", ids, want)
	}
	for _, id := range want {
		if !slices.Contains(ids, id) {
			t.Errorf("no collection %s in %v", id, ids)
		}
	}
	sites := st.Snapshot.Sites(store.Filter{})
	wantCount := map[string]int{"communes": len(st.Communes), "sites": len(sites),
		"fibre_routes": len(st.Fibre.Routes), "fibre_access_points": len(st.Fibre.AccessPoints)}
	for _, c := range cols {
		if c.ItemType != "feature" || len(c.Extent.Spatial.BBox) != 1 || linkOf(c.Links, "items") == "" {
			t.Errorf("%s: itemType %q extent %v links %v", c.ID, c.ItemType, c.Extent, c.Links)
		}
		if c.ID != "sites" && c.ID != "communes" && !strings.HasPrefix(c.ID, "fibre_access") {
			continue // walked below for the small ones; GDAL reads them all in TestOGCWithGDAL
		}
		feats := walkItems(t, linkOf(c.Links, "items")+"?limit=97")
		if n, ok := wantCount[c.ID]; ok && len(feats) != n {
			t.Errorf("%s: %d features over the pages, want %d", c.ID, len(feats), n)
		}
		seen := map[string]bool{}
		for _, f := range feats {
			id := fmt.Sprint(f.ID)
			if f.ID == nil || seen[id] {
				t.Fatalf("%s: missing or repeated id %q", c.ID, id)
			}
			seen[id] = true
			if f.Geometry.GeoJSONType() != c.Geometry {
				t.Fatalf("%s: feature %s is a %s, the collection says %s", c.ID, id, f.Geometry.GeoJSONType(), c.Geometry)
			}
			b := f.Geometry.Bound()
			bb := c.Extent.Spatial.BBox[0]
			if b.Min[0] < bb[0] || b.Min[1] < bb[1] || b.Max[0] > bb[2] || b.Max[1] > bb[3] {
				t.Fatalf("%s: feature %s bound %v outside the extent %v", c.ID, id, b, bb)
			}
		}
	}
}

// TestOGCItemsQuery checks bbox, property filters, paging and single features against the
// demo's sites counted here independently.
func TestOGCItemsQuery(t *testing.T) {
	ts := newFibreServer(t)
	st := fibreState(t)
	sites := st.Snapshot.Sites(store.Filter{})
	bb := orb.Bound{Min: orb.Point{106.2, 9.8}, Max: orb.Point{106.4, 9.95}}
	count := func(keep func(*data.Site) bool) int {
		n := 0
		for _, s := range sites {
			if keep(s) {
				n++
			}
		}
		return n
	}
	cases := []struct {
		name, query string
		want        int
	}{
		{"all", "", len(sites)},
		{"bbox", "bbox=106.2,9.8,106.4,9.95", count(func(s *data.Site) bool { return bb.Contains(orb.Point{s.Lon, s.Lat}) })},
		{"carrier", "carrier=viettel", count(func(s *data.Site) bool { return s.Carrier == "viettel" })},
		{"carrier and status", "carrier=mobifone&status=active", count(func(s *data.Site) bool { return s.Carrier == "mobifone" && s.Status == data.StatusActive })},
		{"number", "sectors=3", count(func(s *data.Site) bool { return len(s.Sectors) == 3 })},
		{"bbox and carrier", "bbox=106.2,9.8,106.4,9.95&carrier=vinaphone", count(func(s *data.Site) bool {
			return s.Carrier == "vinaphone" && bb.Contains(orb.Point{s.Lon, s.Lat})
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == 0 {
				t.Fatal("the case selects nothing: pick another")
			}
			p := decode[ogcPage](t, get(t, ts.URL+"/ogc/collections/sites/items?limit=1&"+tc.query))
			if p.NumberMatched != tc.want || len(p.Features) != 1 {
				t.Fatalf("numberMatched %d (%d features), want %d", p.NumberMatched, len(p.Features), tc.want)
			}
			if all := walkItems(t, ts.URL+"/ogc/collections/sites/items?limit=500&"+tc.query); len(all) != tc.want {
				t.Fatalf("%d features over the pages, want %d", len(all), tc.want)
			}
		})
	}
	// Offset: page 2 of 10 starts where page 1 of 20 is at 10; ids are stable.
	a := decode[ogcPage](t, get(t, ts.URL+"/ogc/collections/sites/items?limit=20"))
	b := decode[ogcPage](t, get(t, ts.URL+"/ogc/collections/sites/items?limit=10&offset=10"))
	if a.Features[10].ID != b.Features[0].ID {
		t.Errorf("offset: %v, want %v", b.Features[0].ID, a.Features[10].ID)
	}
	// One feature by its id, which holds a '/'.
	id := fmt.Sprint(a.Features[3].ID)
	one := get(t, ts.URL+"/ogc/collections/sites/items/"+id)
	f := decode[geojson.Feature](t, one)
	if one.status != http.StatusOK || fmt.Sprint(f.ID) != id || f.Properties.MustString("carrier")+"/"+f.Properties.MustString("site_id") != id {
		t.Fatalf("item %s: %d %s", id, one.status, truncate(string(one.body), 300))
	}
	if code := fmt.Sprint(decode[ogcPage](t, get(t, ts.URL+"/ogc/collections/communes/items?limit=1")).Features[0].ID); code != st.Communes[0].Code {
		t.Errorf("first commune id %s, want its code %s", code, st.Communes[0].Code)
	}
	bad := []struct{ path, param string }{
		{"/ogc/collections/sites/items?limit=0", "limit"},
		{"/ogc/collections/sites/items?limit=10001", "limit"},
		{"/ogc/collections/sites/items?offset=-1", "offset"},
		{"/ogc/collections/sites/items?bbox=1,2,3", "bbox"},
		{"/ogc/collections/sites/items?colour=red", "colour"},
		{"/ogc/collections/sites/items?f=html", "f"},
		{"/ogc/collections/sites/items?bbox-crs=EPSG:3857", "bbox-crs"},
	}
	for _, tc := range bad {
		answered(t, get(t, ts.URL+tc.path), http.StatusBadRequest, tc.param)
	}
	for _, p := range []string{"/ogc/collections/nope", "/ogc/collections/nope/items", "/ogc/collections/sites/items/viettel/NOPE"} {
		if r := get(t, ts.URL+p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.status)
		}
	}
}

// TestOGCWithGDAL has GDAL's OGC API Features client list every collection and read every
// feature of each, page after page, and compares the counts with the API's numberMatched.
func TestOGCWithGDAL(t *testing.T) {
	t.Parallel()
	ogrinfo := testenv.Program(t, "ogrinfo", "gdal-bin")
	ts := newFibreServer(t)
	out, err := exec.Command(ogrinfo, "-ro", "-al", "-geom=SUMMARY", "OAPIF:"+ts.URL+"/ogc").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo OAPIF: %v\n%s", err, truncate(string(out), 3000))
	}
	if strings.Contains(string(out), "ERROR") {
		t.Errorf("ogrinfo reports errors:\n%s", truncate(string(out), 3000))
	}
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^OGRFeature\(([a-z0-9_]+)\):`).FindAllStringSubmatch(string(out), -1) {
		got[m[1]]++
	}
	cols := decode[struct{ Collections []ogcCollection }](t, get(t, ts.URL+"/ogc/collections")).Collections
	for _, want := range []string{"communes", "sites", "coverage_any_4g", "gaps_4g", "pockets_3g", "pockets_4g", "fibre_routes", "fibre_access_points"} {
		if !slices.ContainsFunc(cols, func(c ogcCollection) bool { return c.ID == want }) {
			t.Errorf("no collection %s", want)
		}
	}
	for _, c := range cols {
		p := decode[ogcPage](t, get(t, ts.URL+"/ogc/collections/"+url.PathEscape(c.ID)+"/items?limit=1"))
		if got[c.ID] != p.NumberMatched || p.NumberMatched == 0 && c.ID != "gaps_3g" {
			t.Errorf("%s: GDAL read %d features, the API matches %d", c.ID, got[c.ID], p.NumberMatched)
		}
		if !strings.Contains(string(out), "Layer name: "+c.ID+"\n") {
			t.Errorf("GDAL lists no layer %s", c.ID)
		}
	}
	t.Logf("GDAL read %d collections, %s features in all", len(cols), strconv.Itoa(func() int {
		n := 0
		for _, v := range got {
			n += v
		}
		return n
	}()))
}
