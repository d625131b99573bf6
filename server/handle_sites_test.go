package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"phusong/data"
)

// siteCount counts demo input sites passing the filters by brute force (the oracle for the
// store's index).
func siteCount(sites []data.Site, carrier string, tech data.Tech, bbox *[4]float64) int {
	n := 0
	for _, s := range sites {
		if carrier != "" && s.Carrier != carrier {
			continue
		}
		if tech != "" && !s.HasTech(tech) {
			continue
		}
		if bbox != nil && (s.Lon < bbox[0] || s.Lat < bbox[1] || s.Lon > bbox[2] || s.Lat > bbox[3]) {
			continue
		}
		n++
	}
	return n
}

func TestSitesList(t *testing.T) {
	_, ts := newTestServer(t)
	sites := demoInput.Sites
	south := [4]float64{105.9, 9.5, 106.7, 9.8}
	cases := []struct {
		name, query string
		want        int
	}{
		{"all", "", siteCount(sites, "", "", nil)},
		{"one carrier", "carrier=mobifone", siteCount(sites, "mobifone", "", nil)},
		{"one tech", "tech=3G", siteCount(sites, "", data.Tech3G, nil)},
		{"carrier and tech", "carrier=viettel&tech=4g", siteCount(sites, "viettel", data.Tech4G, nil)},
		{"bbox", "bbox=105.9,9.5,106.7,9.8", siteCount(sites, "", "", &south)},
		{"bbox and carrier", "bbox=105.9,9.5,106.7,9.8&carrier=vinaphone", siteCount(sites, "vinaphone", "", &south)},
		{"limit", "limit=7", 7},
		{"empty bbox far away", "bbox=0,0,1,1", 0},
	}
	if cases[0].want < 1000 {
		t.Fatalf("demo has %d sites; the test expects the 1,200+ of the embedded demo", cases[0].want)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/sites?"+tc.query)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != ctGeoJSON {
				t.Fatalf("Content-Type %q", ct)
			}
			var fc struct {
				Type     string `json:"type"`
				Features []siteFeature
			}
			if err := json.Unmarshal(r.body, &fc); err != nil {
				t.Fatal(err)
			}
			if fc.Type != "FeatureCollection" || fc.Features == nil {
				t.Fatalf("type %q, features nil=%v (empty must be [])", fc.Type, fc.Features == nil)
			}
			if len(fc.Features) != tc.want {
				t.Fatalf("%d sites, want %d", len(fc.Features), tc.want)
			}
			for i, f := range fc.Features {
				p := f.Properties
				if p.Carrier == "" || p.SiteID == "" || p.HeightM <= 0 || len(p.Technologies) == 0 || f.Geometry.Type != "Point" {
					t.Fatalf("feature %d incomplete: %+v", i, f)
				}
				if i > 0 {
					prev := fc.Features[i-1].Properties
					if prev.Carrier > p.Carrier || (prev.Carrier == p.Carrier && prev.SiteID >= p.SiteID) {
						t.Fatalf("features %d, %d not in carrier, site_id order", i-1, i)
					}
				}
			}
		})
	}
}

func TestSitesBadParams(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct{ name, query, param string }{
		{"bbox short", "bbox=1,2,3", "bbox"},
		{"bbox inverted", "bbox=106.6,10.1,105.8,9.5", "bbox"},
		{"carrier unknown", "carrier=nope", "carrier"},
		{"tech unknown", "tech=6G", "tech"},
		{"limit zero", "limit=0", "limit"},
		{"limit text", "limit=all", "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			answered(t, get(t, ts.URL+"/api/v1/sites?"+tc.query), http.StatusBadRequest, tc.param)
		})
	}
}

func TestSiteDetail(t *testing.T) {
	_, ts := newTestServer(t)
	want := demoInput.Sites[len(demoInput.Sites)/2]
	cases := []struct {
		name, carrier, id string
		status            int
	}{
		{"known", want.Carrier, want.SiteID, http.StatusOK},
		{"unknown id", want.Carrier, "no-such-site", http.StatusNotFound},
		{"unknown carrier", "nope", want.SiteID, http.StatusNotFound},
		{"id of another carrier", otherCarrier(want.Carrier), want.SiteID + "-x", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/sites/"+url.PathEscape(tc.carrier)+"/"+url.PathEscape(tc.id))
			if !answered(t, r, tc.status, "") {
				return
			}
			var f struct {
				Geometry   pointGeometry `json:"geometry"`
				Properties struct {
					Carrier string        `json:"carrier"`
					SiteID  string        `json:"site_id"`
					Sectors []data.Sector `json:"sectors"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(r.body, &f); err != nil {
				t.Fatal(err)
			}
			if f.Geometry.Coordinates != [2]float64{want.Lon, want.Lat} || f.Properties.SiteID != want.SiteID {
				t.Fatalf("got %+v at %v, want %s at %v,%v", f.Properties, f.Geometry.Coordinates, want.SiteID, want.Lon, want.Lat)
			}
			if len(f.Properties.Sectors) != len(want.Sectors) {
				t.Fatalf("%d sectors, want %d", len(f.Properties.Sectors), len(want.Sectors))
			}
			for i, s := range f.Properties.Sectors {
				if s != want.Sectors[i] {
					t.Fatalf("sector %d = %+v, want %+v", i, s, want.Sectors[i])
				}
			}
		})
	}
}

func otherCarrier(id string) string {
	if id == "viettel" {
		return "mobifone"
	}
	return "viettel"
}
