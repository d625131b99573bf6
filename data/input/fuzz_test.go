package input

import (
	"bytes"
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// The fuzz targets check, on every input a reader accepts, each rule that reader enforces,
// with code other than the reader's: ids by data.CheckSiteID, positions inside the area,
// ranges and sectors by data.CheckSite, the 20 m spacing by geo.DistanceM over every pair,
// and the site-id list reader against the station reader on the same bytes. A failed read
// must be ParseErrors of at most data.MaxParseErrors (or an ErrInvalidInput) and no report.
// Run one with e.g. go test ./data/input -run '^$' -fuzz '^FuzzReadSitesCSV$' -fuzztime 60s.

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
// ErrInvalidInput error) of at most MaxParseErrors entries, each naming where (a line or a
// feature) unless it is about the whole input.
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
		for _, e := range pe {
			if e.Line < 0 || e.Feature < 0 || (e.Line > 0 && e.Feature > 0) || e.Msg == "" {
				t.Fatalf("error %+v", e)
			}
		}
	case !errors.Is(err, data.ErrInvalidInput):
		t.Fatalf("error %v is not ErrInvalidInput", err)
	}
}

// checkSites checks the rules on successfully read sites: each valid by CheckSite in area
// (carrier, site and cell ids, position, height, status, sector ranges and bands, unique
// sectors), its id by CheckSiteID and position in area again explicitly, keys unique, two
// sites of one carrier never closer than 20 m unless a warning names the later one (OpenCelliD
// positions), and the list writable and, written, read back the same without a warning.
func checkSites(t *testing.T, rep *SiteLoadReport, area orb.Bound) {
	t.Helper()
	keys := map[data.SiteKey]bool{}
	for i := range rep.Sites {
		s := &rep.Sites[i]
		if err := data.CheckSite(s, area); err != nil {
			t.Fatalf("site %d invalid: %v", i, err)
		}
		if e := data.CheckSiteID(s.SiteID); e != nil || !area.Contains(orb.Point{s.Lon, s.Lat}) {
			t.Fatalf("site %d: id %v, position %v,%v", i, e, s.Lon, s.Lat)
		}
		if keys[s.Key()] {
			t.Fatalf("site key %v twice", s.Key())
		}
		keys[s.Key()] = true
		for j := range i {
			o := &rep.Sites[j]
			if o.Carrier != s.Carrier {
				continue
			}
			if d := geo.DistanceM(orb.Point{o.Lon, o.Lat}, orb.Point{s.Lon, s.Lat}); d < data.MinSiteSpacingM && !warned(rep.Warnings, s.SiteID, o.SiteID) {
				t.Fatalf("sites %q and %q of %s are %.2f m apart, without a warning", o.SiteID, s.SiteID, s.Carrier, d)
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteSitesCSV(&buf, rep.Sites); err != nil {
		t.Fatalf("sites read do not write: %v", err)
	}
	// Written back and read again they are the same sites, without a warning (every default
	// was applied and said the first time), when the positions survive the writer's 6 decimals
	// (otherwise two sites could come within 20 m).
	for _, s := range rep.Sites {
		if s.Lon != round6(s.Lon) || s.Lat != round6(s.Lat) {
			return
		}
	}
	back, err := ReadSitesCSV(&buf, SiteOptions{Area: area})
	if err != nil {
		t.Fatalf("sites written do not read back: %v\n%s", err, buf.Bytes())
	}
	want := slices.Clone(rep.Sites)
	for i := range want {
		want[i].Sectors = slices.Clone(want[i].Sectors)
		for j := range want[i].Sectors {
			if want[i].Sectors[j].Omni {
				want[i].Sectors[j].AzimuthDeg = 0
			}
		}
	}
	if len(back.Warnings) != 0 || !reflect.DeepEqual(back.Sites, want) {
		t.Fatalf("read back: warnings %v\n got %+v\nwant %+v", back.Warnings, back.Sites, want)
	}
}

// round6 rounds to 6 decimals as the writer does.
func round6(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 6, 64), 64)
	return v
}

// warned reports whether ws holds the spacing warning about site id near site other.
func warned(ws []data.Warning, id, other string) bool {
	for _, w := range ws {
		if w.Field == "site_id" && strings.HasPrefix(w.Message, strconv.Quote(id)+" is ") &&
			strings.Contains(w.Message, "from site "+strconv.Quote(other)) {
			return true
		}
	}
	return false
}

// checkSameIDs checks the site-id list reader against the station reader on the same input:
// the distinct site ids, in order of first appearance, and the rows. The one exception is an
// OpenCelliD export, whose ids the station reader makes up (no site_id column).
func checkSameIDs(t *testing.T, rep *SiteLoadReport, ids *SiteIDLoadReport, err error) {
	t.Helper()
	if err != nil {
		var pe data.ParseErrors
		if !errors.As(err, &pe) || len(pe) != 1 || pe[0].Error() != "line 1: site_id: required column is missing" {
			t.Fatalf("stations read but not their ids: %v", err)
		}
		return
	}
	var want []string
	seen := map[string]bool{}
	for _, s := range rep.Sites {
		if !seen[s.SiteID] {
			seen[s.SiteID] = true
			want = append(want, s.SiteID)
		}
	}
	var got []string
	for _, k := range ids.Keys {
		got = append(got, k.SiteID)
	}
	if !reflect.DeepEqual(got, want) || ids.Rows != rep.Rows {
		t.Fatalf("ids %q from %d rows, stations give %q from %d", got, ids.Rows, want, rep.Rows)
	}
}

func FuzzReadSitesCSV(f *testing.F) {
	seedFiles(f, "sites_small.csv", "sites_excel_semicolon.csv", "opencellid_452.csv")
	f.Add([]byte(csvOf(row(), row("site_id=TV-2", "lon=106.5"), row("azimuth_deg=omni", "beamwidth_deg=360", "cell_id=o"))))
	f.Add([]byte("site_id;lon;lat;tech\nA;106,3;9,9;LTE\n"))
	f.Add([]byte(csvOf(row("lat=9.93\"x"), row("lon=-106.34"))))
	f.Add([]byte(csvOf(row(), row("site_id=TV-2", "lat=9.930182"))))
	f.Add([]byte(csvOf(row("band_mhz=0"), row("site_id= TV-3", "lon=106.6"), row("site_id=TV/4", "lon=106.7"))))
	f.Add([]byte(strings.ReplaceAll(csvOf(row(), row("site_id=TV-2", "lon=106.5")), "\n", "\r")))
	f.Fuzz(func(t *testing.T, in []byte) {
		area := travinh()
		rep, err := ReadSitesCSV(bytes.NewReader(in), SiteOptions{Area: area})
		if err != nil {
			checkLoadError(t, err, rep != nil)
			return
		}
		checkSites(t, rep, area)
		sectors := 0
		for _, s := range rep.Sites {
			sectors += len(s.Sectors)
		}
		if sectors != rep.Rows {
			t.Fatalf("%d sectors from %d rows", sectors, rep.Rows)
		}
		ids, err := ReadSiteIDsCSV(bytes.NewReader(in), "viettel", Limits{})
		checkSameIDs(t, rep, ids, err)
	})
}

func FuzzReadSitesGeoJSON(f *testing.F) {
	seedFiles(f, "sites_small.geojson")
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.34,9.93]},
		"properties":{"carrier":"04","site_id":"A","tech":"LTE","sectors":[{"azimuth":0},{"azimuth":"120","band":900}]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":null}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.34,9.93]},
		"properties":{"site_id":"A","tech":"4G","azimuth_deg":0}},{"type":"Feature","geometry":{"type":"Point","coordinates":[106.34,9.93015]},
		"properties":{"site_id":"B ","tech":"4G","azimuth_deg":0,"bandwidth_mhz":0}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		area := travinh()
		rep, err := ReadSitesGeoJSON(bytes.NewReader(in), SiteOptions{Carrier: "viettel", Area: area})
		if err != nil {
			checkLoadError(t, err, rep != nil)
			return
		}
		checkSites(t, rep, area)
		sectors := 0
		for _, s := range rep.Sites {
			if s.Carrier != "viettel" {
				t.Fatalf("carrier %q", s.Carrier)
			}
			sectors += len(s.Sectors)
		}
		if sectors < rep.Rows {
			t.Fatalf("%d sectors from %d features", sectors, rep.Rows)
		}
		ids, err := ReadSiteIDsGeoJSON(bytes.NewReader(in), "viettel", Limits{})
		if err != nil {
			t.Fatalf("stations read but not their ids: %v", err)
		}
		checkSameIDs(t, rep, ids, nil)
	})
}

func FuzzReadCommunesGeoJSON(f *testing.F) {
	seedFiles(f, "communes_toy.geojson")
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ma":1,"ten":"Phường 1","dan_so":"36"},
		"geometry":{"type":"Polygon","coordinates":[[[106.3,9.9],[106.4,9.9],[106.4,10]],[[106.35,9.95],[106.36,9.95],[106.36,9.96],[106.35,9.95]]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"w"},
		"geometry":{"type":"MultiPolygon","coordinates":[[[[-180,-90],[180,-90],[180,90],[-180,-90]]]]}}]}`))
	f.Add([]byte(haGiang))
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
		area := data.AreaOf(rep.Communes)
		if (len(rep.Communes) > 0) != (data.CheckArea(area) == nil) {
			t.Fatalf("%d communes give area %v", len(rep.Communes), area)
		}
		codes := map[string]bool{}
		for i, c := range rep.Communes {
			if c.Code == "" || codes[c.Code] || c.Name == "" || c.Population < 0 || c.Population > 1e9 || c.Households < 0 ||
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
						if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) || !area.Contains(p) {
							t.Fatalf("commune %d point %v (area %v)", i, p, area)
						}
					}
				}
			}
		}
	})
}

func FuzzReadSiteIDsCSV(f *testing.F) {
	seedFiles(f, "sites_small.csv", "sites_excel_semicolon.csv", "opencellid_452.csv")
	f.Add([]byte("site_id\nA\nA\n\"B,1\"\n"))
	f.Add([]byte("site_id,\"a;b;c\"\nA,x\n"))
	f.Add([]byte("Site;x\r\n A;1\r\nB/2;2\r\n"))
	f.Add([]byte("site_id\rA\rB\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadSiteIDsCSV(bytes.NewReader(in), "04", Limits{})
		checkSiteIDs(t, rep, err)
	})
}

func FuzzReadSiteIDsGeoJSON(f *testing.F) {
	seedFiles(f, "sites_small.geojson")
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"properties":{"site_id":1}},{"properties":{"SiteID":"A"}},{"properties":{"site_id":"A"}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"properties":{"site_id":" A","site":"B"}}]} []`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ReadSiteIDsGeoJSON(bytes.NewReader(in), "04", Limits{})
		checkSiteIDs(t, rep, err)
	})
}

// checkSiteIDs checks a site-id list read for viettel: every id by data.CheckSiteID, no id
// twice, at least as many rows as ids.
func checkSiteIDs(t *testing.T, rep *SiteIDLoadReport, err error) {
	t.Helper()
	if err != nil {
		checkLoadError(t, err, rep != nil)
		return
	}
	seen := map[string]bool{}
	for _, k := range rep.Keys {
		if e := data.CheckSiteID(k.SiteID); e != nil || k.Carrier != "viettel" || seen[k.SiteID] {
			t.Fatalf("key %+v: %v (seen %v)", k, e, seen[k.SiteID])
		}
		seen[k.SiteID] = true
	}
	if rep.Rows < len(rep.Keys) {
		t.Fatalf("%d ids from %d rows", len(rep.Keys), rep.Rows)
	}
}

func FuzzReadTakeUpCSV(f *testing.F) {
	f.Add([]byte("\ufeffname,Code,take_up_households\nTrà Vinh,29242, 5000\nLong Đức,29263,0\n"))
	f.Add([]byte("code;households\r\nA;1e3\r\nB;-1\r\nA;2\r\n"))
	f.Add([]byte("code,households\n,1\nC,NaN\nD,\"1\n"))
	f.Add([]byte("code\thouseholds\rA\t1\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ReadTakeUpCSV(bytes.NewReader(in))
		if err != nil {
			checkLoadError(t, err, got != nil)
			return
		}
		for code, hh := range got {
			if code == "" || strings.TrimSpace(code) != code || !(hh >= 0) || math.IsInf(hh, 0) {
				t.Fatalf("code %q households %v", code, hh)
			}
		}
	})
}
