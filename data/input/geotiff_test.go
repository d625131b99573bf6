package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/population"
	"phusong/data/testenv"
)

// testGrid is a raster of known values: NX × NY pixels of Cell degrees from (West, North),
// values[k] row-major from the north, NaN for no data.
type testGrid struct {
	West, North, Cell float64
	NX, NY            int
	Values            []float64
}

// newTestGrid makes a seeded raster near Trà Vinh: a tenth of the pixels no data, a tenth 0,
// the rest up to maxV (whole numbers when integer).
func newTestGrid(rng *rand.Rand, nx, ny int, maxV float64, integer bool) testGrid {
	g := testGrid{West: 106.05, North: 10.1, Cell: 3.0 / 3600, NX: nx, NY: ny, Values: make([]float64, nx*ny)}
	for k := range g.Values {
		switch rng.IntN(10) {
		case 0:
			g.Values[k] = math.NaN()
		case 1:
		default:
			v := rng.Float64() * maxV
			if integer {
				v = math.Floor(v)
			} else {
				v = float64(float32(v))
			}
			g.Values[k] = v
		}
	}
	return g
}

// bound is the grid's lon/lat bound.
func (g testGrid) bound() orb.Bound {
	return orb.Bound{Min: orb.Point{g.West, g.North - float64(g.NY)*g.Cell}, Max: orb.Point{g.West + float64(g.NX)*g.Cell, g.North}}
}

// writeASC writes g as an Esri ASCII grid (GDAL's AAIGrid) with noData for no data.
func (g testGrid) writeASC(t *testing.T, path string, noData float64) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "ncols %d\nnrows %d\nxllcorner %.15g\nyllcorner %.15g\ncellsize %.15g\nNODATA_value %g\n",
		g.NX, g.NY, g.West, g.North-float64(g.NY)*g.Cell, g.Cell, noData)
	for j := range g.NY {
		for i := range g.NX {
			v := g.Values[j*g.NX+i]
			if math.IsNaN(v) {
				v = noData
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gdal runs a GDAL command, failing the test with its output.
func gdal(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// gdalXYZ returns the pixels of a raster as gdal_translate -of XYZ writes them: per pixel, its
// centre's lon and lat and its value, row-major from the north.
func gdalXYZ(t *testing.T, tif string) [][3]float64 {
	t.Helper()
	xyz := tif + ".xyz"
	gdal(t, "gdal_translate", "-q", "-of", "XYZ", tif, xyz)
	f, err := os.Open(xyz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][3]float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		var p [3]float64
		for i := range p {
			if p[i], err = strconv.ParseFloat(fs[i], 64); err != nil {
				t.Fatalf("%s: %q: %v", xyz, sc.Text(), err)
			}
		}
		out = append(out, p)
	}
	return out
}

// readTIFF reads path's window over area.
func readTIFF(t *testing.T, path string, area orb.Bound) (*population.Raster, string, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), area)
}

// compareXYZ checks r against GDAL's pixels: the same pixel centres (1e-9°) and values (no data
// where GDAL gives noData).
func compareXYZ(t *testing.T, name string, r *population.Raster, xyz [][3]float64, noData float64) {
	t.Helper()
	if len(xyz) != r.NX*r.NY {
		t.Fatalf("%s: GDAL gives %d pixels, the reader %d × %d", name, len(xyz), r.NX, r.NY)
	}
	for k, p := range xyz {
		i, j := k%r.NX, k/r.NX
		lon, lat := r.West+(float64(i)+0.5)*r.DLon, r.North-(float64(j)+0.5)*r.DLat
		if math.Abs(lon-p[0]) > 1e-9 || math.Abs(lat-p[1]) > 1e-9 {
			t.Fatalf("%s pixel (%d, %d): centre %.10f %.10f, GDAL %.10f %.10f", name, i, j, lon, lat, p[0], p[1])
		}
		got := float64(r.People[k])
		if math.IsNaN(got) != (p[2] == noData) || !math.IsNaN(got) && got != p[2] {
			t.Fatalf("%s pixel (%d, %d): %v, GDAL %v (no data %v)", name, i, j, got, p[2], noData)
		}
	}
}

// TestGeoTIFFAgainstGDAL: rasters GDAL writes (gdal_translate from an ASCII grid: striped and
// tiled, uncompressed, LZW and Deflate, predictors 1, 2 and 3, byte to float64 samples,
// classic and BigTIFF, PixelIsPoint) read as GDAL reads them (gdal_translate -of XYZ): the same
// pixel centres and values; a window reads the same pixels as the whole.
func TestGeoTIFFAgainstGDAL(t *testing.T) {
	testenv.Program(t, "gdal_translate", "gdal-bin")
	const seed = 41
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	cases := []struct {
		name   string
		ot     string
		noData float64
		maxV   float64
		co     []string
	}{
		{"f32-strips-none", "Float32", -99999, 500, nil},
		{"f32-strips-lzw", "Float32", -99999, 500, []string{"COMPRESS=LZW"}},
		{"f32-tiled-lzw-pred3", "Float32", -99999, 500, []string{"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=32", "COMPRESS=LZW", "PREDICTOR=3"}},
		{"f32-tiled-deflate", "Float32", -3.4028234663852886e+38, 500, []string{"TILED=YES", "COMPRESS=DEFLATE"}},
		{"f32-strips-deflate-pred3", "Float32", -99999, 500, []string{"COMPRESS=DEFLATE", "PREDICTOR=3", "BLOCKYSIZE=7"}},
		{"f32-strips-lzw-pred2", "Float32", -99999, 500, []string{"COMPRESS=LZW", "PREDICTOR=2"}},
		{"f64-tiled-deflate-pred3", "Float64", -1, 500, []string{"TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=48", "COMPRESS=DEFLATE", "PREDICTOR=3"}},
		{"i16-strips-lzw-pred2", "Int16", -9999, 3000, []string{"COMPRESS=LZW", "PREDICTOR=2", "BLOCKYSIZE=5"}},
		{"i16-tiled-deflate", "Int16", -9999, 3000, []string{"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2"}},
		{"u16-tiled-lzw", "UInt16", 65535, 60000, []string{"TILED=YES", "COMPRESS=LZW"}},
		{"u8-strips-deflate", "Byte", 255, 250, []string{"COMPRESS=DEFLATE", "PREDICTOR=2"}},
		{"i32-tiled-none", "Int32", -2147483648, 1e6, []string{"TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"}},
		{"u32-strips-lzw", "UInt32", 99999999, 1e6, []string{"COMPRESS=LZW"}},
		{"f32-bigtiff-tiled-lzw", "Float32", -99999, 500, []string{"BIGTIFF=YES", "TILED=YES", "COMPRESS=LZW"}},
	}
	for _, c := range cases {
		integer := !strings.HasPrefix(c.ot, "Float")
		g := newTestGrid(rng, 150+rng.IntN(60), 90+rng.IntN(40), c.maxV, integer)
		asc, tif := filepath.Join(dir, c.name+".asc"), filepath.Join(dir, c.name+".tif")
		g.writeASC(t, asc, c.noData)
		args := []string{"-q", "-a_srs", "EPSG:4326", "-ot", c.ot, "-a_nodata", strconv.FormatFloat(c.noData, 'g', -1, 64)}
		for _, co := range c.co {
			args = append(args, "-co", co)
		}
		gdal(t, "gdal_translate", append(args, asc, tif)...)
		r, _, err := readTIFF(t, tif, g.bound())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		compareXYZ(t, c.name, r, gdalXYZ(t, tif), c.noData)
		// A window: the pixels over a box inside the raster, padded as the reader pads.
		box := orb.Bound{Min: orb.Point{g.West + 0.03, g.North - 0.06}, Max: orb.Point{g.West + 0.07, g.North - 0.035}}
		w, _, err := readTIFF(t, tif, box)
		if err != nil {
			t.Fatalf("%s window: %v", c.name, err)
		}
		if w.NX >= r.NX || w.NY >= r.NY || w.West > box.Min[0]-PopulationPadDeg || w.North < box.Max[1]+PopulationPadDeg {
			t.Errorf("%s: window %d × %d from (%g, %g) for %v", c.name, w.NX, w.NY, w.West, w.North, box)
		}
		c0, r0 := int(math.Round((w.West-r.West)/r.DLon)), int(math.Round((r.North-w.North)/r.DLat))
		for j := range w.NY {
			for i := range w.NX {
				a, b := w.People[j*w.NX+i], r.People[(j+r0)*r.NX+i+c0]
				if math.Float32bits(a) != math.Float32bits(b) && !(a != a && b != b) {
					t.Fatalf("%s window pixel (%d, %d): %v, whole raster %v", c.name, i, j, a, b)
				}
			}
		}
	}
	// PixelIsPoint: GDAL moves the origin half a pixel, and so does the reader.
	g := newTestGrid(rng, 40, 30, 100, false)
	asc, tif := filepath.Join(dir, "point.asc"), filepath.Join(dir, "point.tif")
	g.writeASC(t, asc, -1)
	gdal(t, "gdal_translate", "-q", "-a_srs", "EPSG:4326", "-ot", "Float32", "-mo", "AREA_OR_POINT=Point", asc, tif)
	r, _, err := readTIFF(t, tif, g.bound())
	if err != nil {
		t.Fatal(err)
	}
	compareXYZ(t, "PixelIsPoint", r, gdalXYZ(t, tif), -1)
}

// TestGeoTIFFWriterReadByGDAL: what WriteGeoTIFF writes (every sample type, strips and tiles,
// LZW and Deflate with and without the predictor) GDAL reads as the values given, and so does
// the reader; the synthetic note comes back.
func TestGeoTIFFWriterReadByGDAL(t *testing.T) {
	testenv.Program(t, "gdal_translate", "gdal-bin")
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	noData := -1.0
	for n, spec := range []GeoTIFFSpec{
		{Sample: "float32", Compression: "lzw", TileSize: 64},
		{Sample: "float32", Compression: "deflate", RowsPerStrip: 7},
		{Sample: "float64", Compression: "none", TileSize: 32},
		{Sample: "uint16", Compression: "deflate", Predictor: 2},
		{Sample: "uint16", Compression: "lzw", Predictor: 2, TileSize: 16},
		{Sample: "int16", Compression: "lzw", RowsPerStrip: 1},
		{Sample: "int32", Compression: "deflate", Predictor: 2, TileSize: 48},
		{Sample: "uint8", Compression: "lzw", Predictor: 2},
	} {
		integer := spec.Sample != "float32" && spec.Sample != "float64"
		maxV := 250.0
		if spec.Sample == "uint8" {
			noData = 255
		} else {
			noData = -1
		}
		g := newTestGrid(rng, 100+rng.IntN(200), 50+rng.IntN(100), maxV, integer)
		if n == 0 { // long runs of one value: the LZW table fills, clears and grows again
			for k := range g.Values[:len(g.Values)/2] {
				g.Values[k] = float64(k % 3)
			}
		}
		spec.West, spec.North, spec.DLon, spec.DLat, spec.NX, spec.NY = g.West, g.North, g.Cell, g.Cell, g.NX, g.NY
		spec.NoData, spec.Note = &noData, fmt.Sprintf("synthetic & <test> %d", n)
		name := filepath.Join(dir, fmt.Sprintf("w%d.tif", n))
		b, err := EncodeGeoTIFF(spec, func(x0, y0, nx, ny int, dst []float64) {
			for y := range ny {
				for x := range nx {
					v := g.Values[(y0+y)*g.NX+x0+x]
					if math.IsNaN(v) {
						v = noData
					}
					dst[y*nx+x] = v
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, note, err := readTIFF(t, name, g.bound())
		if err != nil {
			t.Fatalf("%+v: %v", spec, err)
		}
		if note != spec.Note {
			t.Errorf("note %q, want %q", note, spec.Note)
		}
		compareXYZ(t, fmt.Sprintf("writer %d (%s %s tile %d)", n, spec.Sample, spec.Compression, spec.TileSize), r, gdalXYZ(t, name), noData)
	}
}

// TestLZWRoundTrip: the encoder's output decodes to its input through x/image's TIFF LZW
// reader (via the GeoTIFF reader's block path) for lengths across the table's clears.
func TestLZWRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	var e lzwEncoder
	for _, n := range []int{0, 1, 2, 255, 4093, 4094, 4095, 70000, 300000} {
		for _, kind := range []string{"random", "runs", "few"} {
			src := make([]byte, n)
			for i := range src {
				switch kind {
				case "random":
					src[i] = byte(rng.IntN(256))
				case "runs":
					src[i] = byte(i / 97)
				default:
					src[i] = byte(rng.IntN(3))
				}
			}
			g := &geoRaster{compression: compressionLZW, offsets: []uint64{0}}
			enc := bytes.Clone(e.encode(src))
			g.counts = []uint64{uint64(len(enc))}
			rd, err := g.blockReader(&tiffFile{r: bytes.NewReader(enc), size: int64(len(enc))}, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, n+1)
			m, _ := rd.Read(got)
			for m < n {
				k, err := rd.Read(got[m:])
				if err != nil {
					break
				}
				m += k
			}
			if !bytes.Equal(got[:m], src) {
				t.Fatalf("%s %d bytes: decoded %d bytes, differ", kind, n, m)
			}
		}
	}
}

// TestGeoTIFFRefused: each bad raster is refused with an error naming the reason, and nothing
// is returned.
func TestGeoTIFFRefused(t *testing.T) {
	testenv.Program(t, "gdal_translate", "gdal-bin")
	rng := rand.New(rand.NewPCG(2, 2))
	dir := t.TempDir()
	g := newTestGrid(rng, 60, 40, 100, false)
	asc := filepath.Join(dir, "g.asc")
	g.writeASC(t, asc, -9999)
	neg := g
	neg.Values = append([]float64(nil), g.Values...)
	neg.Values[17*g.NX+23] = -5
	negASC := filepath.Join(dir, "neg.asc")
	neg.writeASC(t, negASC, -9999)
	for _, c := range []struct {
		name string
		args []string
		area orb.Bound
		want string
	}{
		{"projected", []string{"-a_srs", "EPSG:32648", "-a_ullr", "600000", "1100000", "606000", "1096000"}, g.bound(), "projected CRS EPSG:32648"},
		{"vn2000", []string{"-a_srs", "EPSG:4756"}, g.bound(), "geographic CRS EPSG:4756"},
		{"no georeferencing", []string{"-co", "PROFILE=BASELINE"}, g.bound(), "GeoKeyDirectory: missing"},
		{"two bands", []string{"-a_srs", "EPSG:4326", "-b", "1", "-b", "1"}, g.bound(), "2 bands"},
		{"packbits", []string{"-a_srs", "EPSG:4326", "-co", "COMPRESS=PACKBITS"}, g.bound(), "unsupported compression 32773 (PackBits)"},
		{"zstd", []string{"-a_srs", "EPSG:4326", "-co", "COMPRESS=ZSTD"}, g.bound(), "unsupported compression 50000 (ZSTD)"},
		{"complex", []string{"-a_srs", "EPSG:4326", "-ot", "CFloat32"}, g.bound(), "unsupported sample format: 64-bit complex floating point"},
		{"elsewhere", []string{"-a_srs", "EPSG:4326"}, orb.Bound{Min: orb.Point{105, 20}, Max: orb.Point{105.5, 20.5}}, "does not overlap the communes"},
		{"negative", []string{"-a_srs", "EPSG:4326", "-ot", "Float32"}, g.bound(), "pixel (column 23, row 17)"},
	} {
		src := asc
		if c.name == "negative" {
			src = negASC
		}
		tif := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".tif")
		gdal(t, "gdal_translate", append(append([]string{"-q"}, c.args...), src, tif)...)
		r, _, err := readTIFF(t, tif, c.area)
		if err == nil || r != nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, data.ErrInvalidInput) {
			t.Errorf("%s: %v (raster %v), want an invalid-input error containing %q", c.name, err, r != nil, c.want)
		}
	}
}
