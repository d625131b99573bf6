package input

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
)

// seedFiles adds the named testdata files to f's corpus.
func seedFiles(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkLoadError checks what every failed read must give: no report and ParseErrors (or an
// ErrInvalidInput error) of at most MaxParseErrors entries.
func checkLoadError(t *testing.T, err error, gotReport bool) {
	t.Helper()
	if gotReport {
		t.Fatalf("report returned with error %v", err)
	}
	var pe data.ParseErrors
	switch {
	case errors.As(err, &pe):
		if len(pe) == 0 || len(pe) > data.MaxParseErrors {
			t.Fatalf("%d errors", len(pe))
		}
	case !errors.Is(err, data.ErrInvalidInput):
		t.Fatalf("error %v is not ErrInvalidInput", err)
	}
}

// checkSites checks the invariants of successfully read sites: each valid (CheckSite: inside
// the area, known carrier, ranges, unique sectors), keys unique, and writable.
func checkSites(t *testing.T, rep *SiteLoadReport) {
	t.Helper()
	keys := map[data.SiteKey]bool{}
	for i := range rep.Sites {
		s := &rep.Sites[i]
		if err := data.CheckSite(s, travinh()); err != nil {
			t.Fatalf("site %d invalid: %v", i, err)
		}
		if !travinh().Contains(orb.Point{s.Lon, s.Lat}) {
			t.Fatalf("site %d outside the box", i)
		}
		if keys[s.Key()] {
			t.Fatalf("site key %v twice", s.Key())
		}
		keys[s.Key()] = true
	}
	if err := WriteSitesCSV(&bytes.Buffer{}, rep.Sites); err != nil {
		t.Fatalf("sites read do not write: %v", err)
	}
}

func FuzzReadSitesCSV(f *testing.F) {
	seedFiles(f, "sites_small.csv", "sites_excel_semicolon.csv", "opencellid_452.csv")
	f.Add([]byte(csvOf(row(), row("site_id=TV-2", "lon=106.5"), row("azimuth_deg=omni", "beamwidth_deg=360", "cell_id=o"))))
	f.Add([]byte("site_id;lon;lat;tech\nA;106,3;9,9;LTE\n"))
	f.Add([]byte(csvOf(row("lat=9.93\"x"), row("lon=-106.34"))))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadSitesCSV(bytes.NewReader(in), siteOpts(""))
		if err != nil {
			checkLoadError(t, err, rep != nil)
			return
		}
		checkSites(t, rep)
	})
}

func FuzzReadSitesGeoJSON(f *testing.F) {
	seedFiles(f, "sites_small.geojson")
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.34,9.93]},
		"properties":{"carrier":"04","site_id":"A","tech":"LTE","sectors":[{"azimuth":0},{"azimuth":"120","band":900}]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":null}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadSitesGeoJSON(bytes.NewReader(in), siteOpts("viettel"))
		if err != nil {
			checkLoadError(t, err, rep != nil)
			return
		}
		checkSites(t, rep)
		for _, s := range rep.Sites {
			if s.Carrier != "viettel" {
				t.Fatalf("carrier %q", s.Carrier)
			}
		}
	})
}

func FuzzReadCommunesGeoJSON(f *testing.F) {
	seedFiles(f, "communes_toy.geojson")
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ma":1,"ten":"Phường 1","dan_so":"36"},
		"geometry":{"type":"Polygon","coordinates":[[[106.3,9.9],[106.4,9.9],[106.4,10]],[[106.35,9.95],[106.36,9.95],[106.36,9.96],[106.35,9.95]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"w"},
		"geometry":{"type":"MultiPolygon","coordinates":[[[[-180,-90],[180,-90],[180,90],[-180,-90]]]]}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadCommunesGeoJSON(bytes.NewReader(in))
		if err != nil {
			checkLoadError(t, err, rep != nil)
			return
		}
		finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }
		if !finite(rep.OverlapAreaM2) || !finite(rep.GapAreaM2) {
			t.Fatalf("overlap %v, gap %v", rep.OverlapAreaM2, rep.GapAreaM2)
		}
		codes := map[string]bool{}
		for i, c := range rep.Communes {
			if c.Code == "" || codes[c.Code] || c.Population < 0 || c.Households < 0 ||
				(c.Type != data.TypeWard && c.Type != data.TypeCommune) || len(c.Geometry) == 0 {
				t.Fatalf("commune %d = %+v", i, c)
			}
			codes[c.Code] = true
			for _, poly := range c.Geometry {
				for _, ring := range poly {
					if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
						t.Fatalf("commune %d ring %v", i, ring)
					}
					for _, p := range ring {
						if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
							t.Fatalf("commune %d point %v", i, p)
						}
					}
				}
			}
		}
	})
}
