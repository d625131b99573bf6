package input

import (
	"errors"
	"strings"
	"testing"

	"phusong/data"
)

// haGiang is a synthetic province in the far north (Hà Giang, 900 km from Trà Vinh): two
// 0.1° × 0.1° communes side by side, lon 104.9..105.1, lat 22.75..22.85.
const haGiang = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"H1","name":"Xã Một","type":"xa","population":5000},
 "geometry":{"type":"Polygon","coordinates":[[[104.9,22.75],[105.0,22.75],[105.0,22.85],[104.9,22.85],[104.9,22.75]]]}},
{"type":"Feature","properties":{"code":"H2","name":"Phường Hai","type":"phuong","population":8000},
 "geometry":{"type":"Polygon","coordinates":[[[105.0,22.75],[105.1,22.75],[105.1,22.85],[105.0,22.85],[105.0,22.75]]]}}]}`

// TestReadElsewhere loads a province outside Trà Vinh: its communes give the area, and its
// stations and fibre read in it. Before the area was the caller's, the fixed Trà Vinh box
// (data.ProvinceBound, lon 105.7..106.9, lat 9.3..10.3) refused every one of these positions.
func TestReadElsewhere(t *testing.T) {
	communes, err := ReadCommunesGeoJSON(strings.NewReader(haGiang))
	if err != nil {
		t.Fatal(err)
	}
	area := data.AreaOf(communes.Communes)
	// A degree of longitude at 23.08° N is 102,462 m: 25 km is 0.2440°, so 104.656..105.344,
	// rounded out to 104.65..105.35; latitude ± 0.2261°: 22.5239..23.0761 → 22.52..23.08.
	if area.Min[0] != 104.65 || area.Max[0] != 105.35 || area.Min[1] != 22.52 || area.Max[1] != 23.08 {
		t.Fatalf("area %v", area)
	}
	// S1 is inside a commune; S2 is 20 km east of the border (0.1953° at 22.8° N, where a
	// degree is 102,673 m), a station across it that serves the province.
	sites := "carrier,site_id,lon,lat,tech,azimuth_deg\n" +
		"viettel,S1,104.95,22.8,4G,0\n" +
		"viettel,S2,105.2953,22.8,4G,270\n"
	fibreGJ := fc(
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[104.95,22.8],[105.05,22.8]]},"properties":{"route_id":"R","kind":"feeder"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[105.05,22.8]},"properties":{"id":"A","ports":16}}`)

	rep, err := ReadSitesCSV(strings.NewReader(sites), SiteOptions{Area: area})
	if err != nil || len(rep.Sites) != 2 {
		t.Fatalf("sites in their province: %v", err)
	}
	net, err := ReadFibreGeoJSON(strings.NewReader(fibreGJ), FibreOptions{Operator: "viettel", Area: area})
	if err != nil || len(net.Network.Routes) != 1 || len(net.Network.AccessPoints) != 1 {
		t.Fatalf("fibre in its province: %v", err)
	}

	// 40 km east (0.3906°) is outside even with the margin.
	far := strings.Replace(sites, "105.2953", "105.4906", 1)
	_, err = ReadSitesCSV(strings.NewReader(far), SiteOptions{Area: area})
	if want := `data: line 3: lon: "105.4906" is outside the province area (lon 104.65..105.35, lat 22.52..23.08)`; err == nil || err.Error() != want {
		t.Errorf("40 km out: %v", err)
	}
	// The same files in Trà Vinh's area are refused, as everywhere before.
	_, err = ReadSitesCSV(strings.NewReader(sites), siteOpts(""))
	var pe data.ParseErrors
	if !errors.As(err, &pe) || len(pe) != 4 || pe[0].Field != "lon" || pe[1].Field != "lat" {
		t.Errorf("in Trà Vinh's area: %v", err)
	}
	if _, err := ReadFibreGeoJSON(strings.NewReader(fibreGJ), fibreOpts("viettel")); !errors.As(err, &pe) || len(pe) != 2 {
		t.Errorf("fibre in Trà Vinh's area: %v", err)
	}
}

// TestReadersNeedAnArea: a reader without an area is a caller's mistake, reported as
// data.ErrNoArea before reading (not as every position outside a zero box).
func TestReadersNeedAnArea(t *testing.T) {
	if _, err := ReadSitesCSV(strings.NewReader(csvOf(row())), SiteOptions{}); !errors.Is(err, data.ErrNoArea) {
		t.Errorf("sites: %v", err)
	}
	if _, err := ReadSitesGeoJSON(strings.NewReader(fc()), SiteOptions{Carrier: "viettel"}); !errors.Is(err, data.ErrNoArea) {
		t.Errorf("sites GeoJSON: %v", err)
	}
	if _, err := ReadFibreGeoJSON(strings.NewReader(fc(apOK)), FibreOptions{Operator: "viettel"}); !errors.Is(err, data.ErrNoArea) {
		t.Errorf("fibre: %v", err)
	}
}
