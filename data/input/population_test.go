package input

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/population"
)

// TestReadPopulationCSV: HRSL's layout and variants are read, points outside the area (padded)
// dropped, and every bad row named.
func TestReadPopulationCSV(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []population.Point
	}{
		{"hrsl 2020", "latitude,longitude,population_2020\n9.9,106.3,2.5\n9.9001,106.3001,0\n20,106,5\n",
			[]population.Point{{Lon: 106.3, Lat: 9.9, People: 2.5}}},
		{"hrsl plain", "\xEF\xBB\xBFlatitude,longitude,population\r\n10.105,106.64,1\r\n", []population.Point{{Lon: 106.64, Lat: 10.105, People: 1}}},
		{"lat lon pop semicolons", "id;Lon;Lat;POP\na;106.1;9.6;3\n", []population.Point{{Lon: 106.1, Lat: 9.6, People: 3}}},
		{"x y people tabs", "x\ty\tpeople\n106.2\t9.7\t7\n", []population.Point{{Lon: 106.2, Lat: 9.7, People: 7}}},
	} {
		got, err := ReadPopulationCSV(strings.NewReader(c.in), travinh())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	}
	for _, c := range []struct {
		name, in, want string
	}{
		{"no population", "latitude,longitude,value\n9.9,106.3,1\n", "line 1: population: column missing"},
		{"no latitude", "lon,population\n106.3,1\n", "line 1: latitude: column missing"},
		{"negative", "lat,lon,population\n9.9,106.3,1\n9.9,106.3,-2\n", `line 3: population: "-2" is negative`},
		{"text", "lat,lon,population\n9.9,abc,1\n", `line 2: longitude: "abc" is not a number`},
		{"latitude range", "lat,lon,population\n99,106,1\n", `line 2: latitude: "99" is not a latitude`},
		{"nan", "lat,lon,population\n9.9,106.3,NaN\n", `line 2: population: "NaN" is not a number`},
		{"empty", "", "line 1: empty input"},
	} {
		got, err := ReadPopulationCSV(strings.NewReader(c.in), travinh())
		if err == nil || got != nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, data.ErrInvalidInput) {
			t.Errorf("%s: %v, %v; want an error containing %q", c.name, got, err, c.want)
		}
	}
}

// TestReadPopulationGeoJSON: points with a population property, the preferred name when
// several are given; bad features named.
func TestReadPopulationGeoJSON(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"population_2015":1,"population_2020":4}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[106.31,9.91]},"properties":{"pop":2,"people":"3"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[100,20]},"properties":{"population":9}}]}`
	got, err := ReadPopulationGeoJSON(strings.NewReader(in), travinh())
	if err != nil {
		t.Fatal(err)
	}
	want := []population.Point{{Lon: 106.3, Lat: 9.9, People: 4}, {Lon: 106.31, Lat: 9.91, People: 3}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("%v, want %v", got, want)
	}
	for _, c := range []struct{ name, feature, want string }{
		{"line", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106,9],[106.1,9.1]]},"properties":{"population":1}}`, `feature 1: geometry: "LineString" is not a Point`},
		{"missing", `{"type":"Feature","geometry":{"type":"Point","coordinates":[106,9.7]},"properties":{"name":"x"}}`, "feature 1: population: property missing"},
		{"negative", `{"type":"Feature","geometry":{"type":"Point","coordinates":[106,9.7]},"properties":{"population_2020":-1}}`, `feature 1: population_2020: "-1" is negative`},
		{"text", `{"type":"Feature","geometry":{"type":"Point","coordinates":[106,9.7]},"properties":{"population":"many"}}`, `feature 1: population: "many" is not a number`},
	} {
		got, err := ReadPopulationGeoJSON(strings.NewReader(`{"type":"FeatureCollection","features":[`+c.feature+`]}`), travinh())
		if err == nil || got != nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestLoadPopulationFile: the format is told by the content, the source named after the file;
// a file with nobody over the communes is refused naming the file.
func TestLoadPopulationFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csv := write("hrsl.txt", "latitude,longitude,population_2020\n9.9,106.3,2.5\n")
	gj := write("villages.json", "  \n{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.3,9.9]},\"properties\":{\"population\":12}}]}")
	spec := GeoTIFFSpec{West: 106.2, North: 10, DLon: 0.001, DLat: 0.001, NX: 30, NY: 20, Sample: "float32", Compression: "deflate", Note: "invented"}
	tif, err := EncodeGeoTIFF(spec, func(x0, y0, nx, ny int, dst []float64) {
		for i := range dst {
			dst[i] = 1.5
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	tifPath := write("grid.dat", string(tif))
	for _, c := range []struct {
		path, format string
		points       int
		note         string
	}{{csv, "CSV points", 1, ""}, {gj, "GeoJSON points", 1, ""}, {tifPath, "GeoTIFF", 0, "invented"}} {
		src, err := LoadPopulationFile(c.path, travinh())
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if src.Format != c.format || len(src.Points) != c.points || src.Name != filepath.Base(c.path) || src.Note != c.note ||
			(c.format == "GeoTIFF") != (src.Raster != nil) {
			t.Errorf("%s: %+v", c.path, src)
		}
	}
	far := orb.Bound{Min: orb.Point{100, 20}, Max: orb.Point{101, 21}}
	if _, err := LoadPopulationFile(csv, far); !errors.Is(err, ErrNoPeople) || !strings.Contains(err.Error(), csv) {
		t.Errorf("no people over the area: %v", err)
	}
	if _, err := LoadPopulationFile(tifPath, far); err == nil || !strings.Contains(err.Error(), "does not overlap") || !strings.Contains(err.Error(), tifPath) {
		t.Errorf("raster elsewhere: %v", err)
	}
	if _, err := LoadPopulationFile(filepath.Join(dir, "missing.tif"), travinh()); err == nil {
		t.Error("a missing file loads")
	}
}

// FuzzReadPopulationCSV: whatever the reader accepts is points in range with finite counts
// > 0 inside the padded area; a refusal is well-formed ParseErrors.
func FuzzReadPopulationCSV(f *testing.F) {
	f.Add([]byte("latitude,longitude,population_2020\n9.9,106.3,2.5\n"))
	f.Add([]byte("lat;lon;pop\n9.9;106.3;-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := ReadPopulationCSV(bytes.NewReader(b), travinh())
		if err != nil {
			checkLoadError(t, err, pts != nil)
			return
		}
		for _, p := range pts {
			if !(p.People > 0) || math.IsInf(p.People, 0) || !inArea(travinh(), p.Lon, p.Lat) {
				t.Fatalf("point %+v", p)
			}
		}
	})
}

// FuzzReadPopulationGeoJSON: whatever the reader accepts is points in range with finite counts
// > 0 inside the padded area; a refusal is well-formed ParseErrors.
func FuzzReadPopulationGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"population_2020":4}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"pop":"-1"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := ReadPopulationGeoJSON(bytes.NewReader(b), travinh())
		if err != nil {
			checkLoadError(t, err, pts != nil)
			return
		}
		for _, p := range pts {
			if !(p.People > 0) || math.IsInf(p.People, 0) || !inArea(travinh(), p.Lon, p.Lat) {
				t.Fatalf("point %+v", p)
			}
		}
	})
}

// FuzzReadPopulationGeoTIFF: the reader never panics on a damaged file; what it accepts is a
// raster whose values are no data or finite counts ≥ 0.
func FuzzReadPopulationGeoTIFF(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, spec := range []GeoTIFFSpec{
		{Sample: "float32", Compression: "lzw", TileSize: 16},
		{Sample: "uint16", Compression: "deflate", Predictor: 2, RowsPerStrip: 3},
		{Sample: "int16", Compression: "none"},
	} {
		spec.West, spec.North, spec.DLon, spec.DLat, spec.NX, spec.NY = 106.2, 10, 0.01, 0.01, 20, 12
		nd := -1.0
		spec.NoData = &nd
		b, err := EncodeGeoTIFF(spec, func(_, _, _, _ int, dst []float64) {
			for i := range dst {
				dst[i] = float64(rng.IntN(50)) - 1
			}
		})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), travinh())
		if err != nil {
			if r != nil {
				t.Fatal("raster returned with an error")
			}
			return
		}
		if len(r.People) != r.NX*r.NY || r.NX <= 0 || r.NY <= 0 {
			t.Fatalf("raster %d × %d with %d values", r.NX, r.NY, len(r.People))
		}
		for _, v := range r.People {
			if v < 0 || math.IsInf(float64(v), 0) {
				t.Fatalf("value %v", v)
			}
		}
	})
}
