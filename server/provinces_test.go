package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/store"
	"phusong/server/app"
)

// twoProvinces builds the demo with its communes labelled as two invented provinces, West and
// East of the median commune centre, and returns the expected listing (sites left to count)
// and the provinces' bounds.
func twoProvinces(t *testing.T) (*app.State, map[string]*app.Province, map[string]orb.Bound) {
	t.Helper()
	demoState(t)
	in := demoInput
	in.Communes = append([]data.Commune(nil), in.Communes...)
	var xs []float64
	for _, c := range in.Communes {
		xs = append(xs, c.Geometry.Bound().Center()[0])
	}
	median := slices.Sorted(slices.Values(xs))[len(xs)/2]
	want := map[string]*app.Province{"West": {Name: "West"}, "East": {Name: "East"}}
	bounds := map[string]orb.Bound{}
	for i, c := range in.Communes {
		name := "West"
		if xs[i] >= median {
			name = "East"
		}
		in.Communes[i].Province = name
		p := want[name]
		p.Communes++
		p.Population += c.Population
		p.Households += c.Households
		if b, ok := bounds[name]; ok {
			bounds[name] = b.Union(c.Geometry.Bound())
		} else {
			bounds[name] = c.Geometry.Bound()
		}
	}
	st, err := app.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return st, want, bounds
}

// TestProvinces labels the demo's communes as two invented provinces (west and east of the
// median commune centre) and checks /api/v1/provinces against sums made here (communes,
// census, and the sites standing on each province's communes, located with
// data.CommuneLocator), and province= on the communes, gaps and coverage routes: only that
// province's communes, gaps of its communes only, coverage inside its bounding box; an unknown
// province is a 400 naming the parameter.
func TestProvinces(t *testing.T) {
	st, want, bounds := twoProvinces(t)
	loc := data.NewCommuneLocator(st.Communes)
	for _, s := range st.Snapshot.Sites(store.Filter{}) {
		if ci := loc.At(s.Lon, s.Lat); ci >= 0 {
			want[loc.Commune(ci).Province].Sites++
		}
	}
	_, ts := serveState(t, st, Options{})
	got := decode[provincesBody](t, get(t, ts.URL+"/api/v1/provinces"))
	if len(got.Provinces) != 2 {
		t.Fatalf("%d provinces, want 2: %+v", len(got.Provinces), got.Provinces)
	}
	for _, p := range got.Provinces {
		w := want[p.Name]
		b := bounds[p.Name]
		w.BBox = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		if p != *w {
			t.Errorf("province %+v, want %+v", p, *w)
		}
	}
	if want["West"].Sites == 0 || want["East"].Sites == 0 {
		t.Fatalf("a province without sites: %+v %+v", *want["West"], *want["East"])
	}
	for _, route := range []string{"/api/v1/communes", "/api/v1/gaps?tech=4G"} {
		fc := decode[geojson.FeatureCollection](t, get(t, ts.URL+route+sep(route)+"province=East"))
		if len(fc.Features) == 0 {
			t.Errorf("%s: no feature in East", route)
		}
		for _, f := range fc.Features {
			if ci := commune(st, fmt.Sprint(f.ID)); ci < 0 || st.Communes[ci].Province != "East" {
				t.Errorf("%s?province=East: feature %v is not an East commune", route, f.ID)
			}
		}
	}
	all := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/coverage?tech=4G&carrier=any&zoom=12"))
	east := decode[geojson.FeatureCollection](t, get(t, ts.URL+"/api/v1/coverage?tech=4G&carrier=any&zoom=12&province=East"))
	b := bounds["East"].Pad(1e-9)
	n := 0
	for _, f := range east.Features {
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if p, isPoly := f.Geometry.(orb.Polygon); isPoly {
			mp, ok = orb.MultiPolygon{p}, true
		}
		if !ok {
			t.Fatalf("coverage feature of %T", f.Geometry)
		}
		for _, poly := range mp {
			for _, r := range poly {
				for _, p := range r {
					n++
					if !b.Contains(p) {
						t.Fatalf("coverage point %v outside East's box %v", p, b)
					}
				}
			}
		}
	}
	if n == 0 || len(all.Features) == 0 {
		t.Errorf("East coverage has %d points (all: %d features)", n, len(all.Features))
	}
	for _, route := range []string{"/api/v1/communes", "/api/v1/gaps", "/api/v1/coverage"} {
		r := get(t, ts.URL+route+"?province="+url.QueryEscape("Atlantis"))
		answered(t, r, http.StatusBadRequest, "province")
	}
}

// sep is the separator before another query parameter of route.
func sep(route string) string {
	if u, _ := url.Parse(route); u.RawQuery != "" {
		return "&"
	}
	return "?"
}

// commune returns the index of code in st.Communes, or −1.
func commune(st *app.State, code string) int {
	for i, c := range st.Communes {
		if c.Code == code {
			return i
		}
	}
	return -1
}
