package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/population"
	"phusong/geo"
)

// Tests added by the eighth mutation pass (bench/README.md, "Eighth pass, mutA"): each pins a
// value that a surviving mutant changed and no earlier test looked at.

// TestReadCandidatesShortRow: a row with fewer fields than the header reads its missing
// columns as empty (an empty height_m takes the run's), it does not index past the row.
func TestReadCandidatesShortRow(t *testing.T) {
	got, err := ReadCandidatesCSV(strings.NewReader("name,lon,lat,height_m\nA,106.3,9.9\n"), candArea)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Candidate{Lon: 106.3, Lat: 9.9, Name: "A"}); len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want [%+v]", got, want)
	}
}

// TestReadContextRangeEdges: a position exactly on the WGS84 range (lon ±180, lat ±90) is a
// position and is kept; just past it is refused.
func TestReadContextRangeEdges(t *testing.T) {
	line := func(a, b string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},` +
			`"geometry":{"type":"LineString","coordinates":[` + a + `,` + b + `]}}]}`
	}
	for _, c := range []struct {
		name, a, b string
		ok         bool
	}{
		{"lon 180", "[179.9,10]", "[180,10]", true},
		{"lon -180", "[-179.9,10]", "[-180,10]", true},
		{"lat 90", "[106.3,89.9]", "[106.3,90]", true},
		{"lat -90", "[106.3,-89.9]", "[106.3,-90]", true},
		{"lon 180.000001", "[179.9,10]", "[180.000001,10]", false},
		{"lat 90.000001", "[106.3,89.9]", "[106.3,90.000001]", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fc, err := ReadContextGeoJSON(strings.NewReader(line(c.a, c.b)))
			if c.ok != (err == nil) {
				t.Fatalf("got %v, want accepted %v", err, c.ok)
			}
			if c.ok && len(fc.Features) != 1 {
				t.Fatalf("%d features, want the line", len(fc.Features))
			}
		})
	}
}

// TestReadPopulationPaddedEdges: a point is kept when it lies within the area padded by
// PopulationPadDeg on each side, edges included, and dropped a micro-degree beyond; the CSV and
// the GeoJSON reader agree.
func TestReadPopulationPaddedEdges(t *testing.T) {
	area := orb.Bound{Min: orb.Point{106, 9.5}, Max: orb.Point{106.5, 10}}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	west, east := area.Min[0]-PopulationPadDeg, area.Max[0]+PopulationPadDeg
	south, north := area.Min[1]-PopulationPadDeg, area.Max[1]+PopulationPadDeg
	midLon, midLat := 106.25, 9.75
	points := []struct {
		lon, lat float64
		kept     bool
	}{
		{west, midLat, true}, {east, midLat, true}, {midLon, south, true}, {midLon, north, true},
		{area.Min[0] - PopulationPadDeg/2, midLat, true}, {area.Max[0] + PopulationPadDeg/2, midLat, true},
		{midLon, area.Min[1] - PopulationPadDeg/2, true}, {midLon, area.Max[1] + PopulationPadDeg/2, true},
		{west - 1e-6, midLat, false}, {east + 1e-6, midLat, false}, {midLon, south - 1e-6, false}, {midLon, north + 1e-6, false},
	}
	var csv, gj strings.Builder
	csv.WriteString("latitude,longitude,population\n")
	gj.WriteString(`{"type":"FeatureCollection","features":[`)
	var want []population.Point
	for i, p := range points {
		people := float64(i + 1)
		fmt.Fprintf(&csv, "%s,%s,%g\n", f(p.lat), f(p.lon), people)
		if i > 0 {
			gj.WriteString(",")
		}
		fmt.Fprintf(&gj, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%s,%s]},"properties":{"pop":%g}}`, f(p.lon), f(p.lat), people)
		if p.kept {
			want = append(want, population.Point{Lon: p.lon, Lat: p.lat, People: people})
		}
	}
	gj.WriteString("]}")
	for name, read := range map[string]func() ([]population.Point, error){
		"csv":     func() ([]population.Point, error) { return ReadPopulationCSV(strings.NewReader(csv.String()), area) },
		"geojson": func() ([]population.Point, error) { return ReadPopulationGeoJSON(strings.NewReader(gj.String()), area) },
	} {
		got, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: kept\n%v\nwant\n%v", name, got, want)
		}
	}
}

// TestReadPopulationShortRow: a CSV row without its population field is that field's error,
// not an index past the row.
func TestReadPopulationShortRow(t *testing.T) {
	_, err := ReadPopulationCSV(strings.NewReader("latitude,longitude,population\n9.9,106.3,1\n9.9,106.3\n"), travinh())
	if err == nil || err.Error() != "data: line 3: population: is not a number" {
		t.Fatalf("got %v, want line 3's population as not a number", err)
	}
}

// TestReadPopulationPropertyChoiceAnyOrder: of several population properties the first of
// population, people, pop wins, else the latest population_<year>, whatever order the
// properties come in.
func TestReadPopulationPropertyChoiceAnyOrder(t *testing.T) {
	for _, c := range []struct {
		props string
		want  float64
	}{
		{`"pop":1,"population_2020":9,"people":2,"population":7`, 7},
		{`"pop":1,"population_2020":9,"people":2`, 2},
		{`"population_2005":1,"population_2020":4,"population_2010":2,"population_2015":3`, 4},
	} {
		in := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{` + c.props + `}}]}`
		got, err := ReadPopulationGeoJSON(strings.NewReader(in), travinh())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].People != c.want {
			t.Errorf("{%s}: %v, want %g people", c.props, got, c.want)
		}
	}
}

// TestReadPopulationGeoJSONZeroDropped: a point of 0 people inside the area is valid but not
// kept, as in the CSV reader.
func TestReadPopulationGeoJSONZeroDropped(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"population":0}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[106.31,9.91]},"properties":{"population":5}}]}`
	got, err := ReadPopulationGeoJSON(strings.NewReader(in), travinh())
	if want := (population.Point{Lon: 106.31, Lat: 9.91, People: 5}); err != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("got %v, %v; want [%v]", got, err, want)
	}
}

// TestReadPopulationCaseVariantKeys: two properties whose names differ only in case ("Pop",
// "pop") rank alike; the first in byte order wins ("Pop"), on every read.
func TestReadPopulationCaseVariantKeys(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"pop":1,"Pop":2,"POP":3}}]}`
	for range 32 {
		got, err := ReadPopulationGeoJSON(strings.NewReader(in), travinh())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].People != 3 {
			t.Fatalf("%v, want POP's 3 people", got)
		}
	}
}

// TestReadTakeUpShortRow: a take-up row without its households field is that field's error,
// not an index past the row.
func TestReadTakeUpShortRow(t *testing.T) {
	_, err := ReadTakeUpCSV(strings.NewReader("code,households\n28001,12\n28002\n"))
	if err == nil || err.Error() != "data: line 3: households: is not a number" {
		t.Fatalf("got %v, want line 3's households as not a number", err)
	}
}

// TestReadPopulationRangeEdges: positions on the WGS84 range (lat ±90, lon ±180) and a count of
// 0 are valid points (the zero not kept); just past the range is an error.
func TestReadPopulationRangeEdges(t *testing.T) {
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	got, err := ReadPopulationCSV(strings.NewReader("lat,lon,pop\n90,0,1\n-90,0,2\n0,180,3\n0,-180,4\n0,0,0\n"), world)
	want := []population.Point{{Lon: 0, Lat: 90, People: 1}, {Lon: 0, Lat: -90, People: 2}, {Lon: 180, Lat: 0, People: 3}, {Lon: -180, Lat: 0, People: 4}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	for _, row := range []string{"90.000001,0,1", "-90.000001,0,1", "0,180.000001,1", "0,-180.000001,1"} {
		if _, err := ReadPopulationCSV(strings.NewReader("lat,lon,pop\n"+row+"\n"), world); err == nil {
			t.Errorf("%s: no error, want the position refused", row)
		}
	}
}

// TestMeasureTilingSouthOfEquator: the lattice spans the communes' bound wherever it lies; south
// of the equator (bound latitudes negative) an overlap of 0.01° × 0.01° is measured as in the
// north (TestMeasureTilingOwnOverlap), within 10 %.
func TestMeasureTilingSouthOfEquator(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{-50 + x0, -10 + y0}, {-50 + x1, -10 + y0}, {-50 + x1, -10 + y1}, {-50 + x0, -10 + y1}, {-50 + x0, -10 + y0}}}
	}
	communes := []data.Commune{
		{Code: "A", Geometry: orb.MultiPolygon{sq(0, 0, 0.03, 0.03)}},
		{Code: "B", Geometry: orb.MultiPolygon{sq(0.01, 0.01, 0.02, 0.02)}},
	}
	tl := measureTiling(communes)
	lonM, latM := geo.MetresPerDegree(-9.985)
	if want := 0.01 * lonM * 0.01 * latM; math.Abs(tl.overlapM2-want) > 0.1*want || len(tl.pairs) != 1 {
		t.Errorf("overlap %.0f m² in pairs %+v, want %.0f m² ± 10 %% between A and B", tl.overlapM2, tl.pairs, want)
	}
}
