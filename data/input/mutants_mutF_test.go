package input

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/population"
)

// Tests written for the mutants of the ninth mutation pass (bench/README.md, "Ninth pass,
// mutF": geotiff.go's reader) that no earlier test noticed: each pins behaviour that was right
// but unchecked, with values worked by hand.

// windowArea is the area whose padded window over g is exactly [c0, c1) × [r0, r1): its edges
// lie half a pixel inside the window's padded edges, so rounding cannot move them.
func windowArea(g *geoRaster, c0, r0, c1, r1 int) orb.Bound {
	pad := PopulationPadDeg
	return orb.Bound{
		Min: orb.Point{g.west + (float64(c0)+1.5)*g.dLon + pad, g.north - (float64(r1)-1.5)*g.dLat + pad},
		Max: orb.Point{g.west + (float64(c1)-1.5)*g.dLon - pad, g.north - (float64(r0)+1.5)*g.dLat - pad},
	}
}

// TestGeoTIFFWindowCellLimit: a window of maxWindowCells (2²⁶ = 8192 × 8192) pixels is read, one
// more column is refused with both sides in the message, before anything is allocated. The
// window starts at column 99, row 7, so its size is a difference of edges, not an edge.
func TestGeoTIFFWindowCellLimit(t *testing.T) {
	g := &geoRaster{width: 20000, height: 20000, west: 100, north: 20, dLon: 1.0 / 1024, dLat: 1.0 / 1024}
	c0, r0, c1, r1, err := g.window(windowArea(g, 99, 7, 99+8192, 7+8192))
	if err != nil || c0 != 99 || r0 != 7 || c1 != 99+8192 || r1 != 7+8192 {
		t.Fatalf("8192 × 8192 window: [%d, %d) × [%d, %d), %v; want [99, 8291) × [7, 8199)", c0, c1, r0, r1, err)
	}
	_, _, _, _, err = g.window(windowArea(g, 99, 7, 99+8193, 7+8192))
	if want := "the window over the communes holds 8193 × 8192 pixels: use a coarser raster"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("8193 × 8192 window: %v, want %q", err, want)
	}
}

// handTIFF builds a TIFF by hand, independently of the writer: either byte order, classic or
// BigTIFF, the given fields (integer types SHORT 3, LONG 4, LONG8 16; DOUBLE 12; FLOAT 11;
// ASCII 2) and
// blocks (bytes as stored), whose offsets and byte counts it adds under offTag and cntTag
// (a block of nil bytes gets count 0: GDAL's sparse block); others are entries of a type and
// count whose value field is zero (inline zeros, or offset 0).
type handTIFF struct {
	bo             binary.ByteOrder
	big            bool
	ints           map[uint16]handInts
	doubles        map[uint16][]float64
	floats         map[uint16][]float32
	text           map[uint16]string
	others         map[uint16]handOther
	blocks         [][]byte
	offTag, cntTag uint16
}

// entries is the number of directory entries h makes.
func (h handTIFF) entries() int {
	n := len(h.ints) + len(h.doubles) + len(h.floats) + len(h.text) + len(h.others)
	if h.blocks != nil {
		n += 2
	}
	return n
}

// handOther is an entry's type and count, its value field zero.
type handOther struct {
	typ   uint16
	count uint64
}

// handInts is an integer field: its TIFF type and values.
type handInts struct {
	typ  uint16
	vals []uint64
}

func (h handTIFF) bytes() []byte {
	head := 8
	if h.big {
		head = 16
	}
	out := make([]byte, head)
	var offs, cnts []uint64
	for _, b := range h.blocks {
		offs, cnts = append(offs, uint64(len(out))), append(cnts, uint64(len(b)))
		out = append(out, b...)
	}
	type entry struct {
		tag, typ uint16
		count    uint64
		raw      []byte
	}
	var es []entry
	addInts := func(tag, typ uint16, vals []uint64) {
		size := map[uint16]int{3: 2, 4: 4, 16: 8}[typ]
		raw := make([]byte, size*len(vals))
		for i, v := range vals {
			switch size {
			case 2:
				h.bo.PutUint16(raw[2*i:], uint16(v))
			case 4:
				h.bo.PutUint32(raw[4*i:], uint32(v))
			default:
				h.bo.PutUint64(raw[8*i:], v)
			}
		}
		es = append(es, entry{tag, typ, uint64(len(vals)), raw})
	}
	offTyp := uint16(4)
	if h.big {
		offTyp = 16
	}
	if h.blocks != nil {
		addInts(h.offTag, offTyp, offs)
		addInts(h.cntTag, offTyp, cnts)
	}
	for tag, f := range h.ints {
		addInts(tag, f.typ, f.vals)
	}
	for tag, ds := range h.doubles {
		raw := make([]byte, 8*len(ds))
		for i, d := range ds {
			h.bo.PutUint64(raw[8*i:], math.Float64bits(d))
		}
		es = append(es, entry{tag, 12, uint64(len(ds)), raw})
	}
	for tag, fs := range h.floats {
		raw := make([]byte, 4*len(fs))
		for i, f := range fs {
			h.bo.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		es = append(es, entry{tag, 11, uint64(len(fs)), raw})
	}
	for tag, s := range h.text {
		es = append(es, entry{tag, 2, uint64(len(s) + 1), append([]byte(s), 0)})
	}
	for tag, o := range h.others {
		es = append(es, entry{tag, o.typ, o.count, nil})
	}
	slices.SortFunc(es, func(a, b entry) int { return int(a.tag) - int(b.tag) })
	inline, entrySize, countSize := 4, 12, 2
	if h.big {
		inline, entrySize, countSize = 8, 20, 8
	}
	// Values that do not fit in their entry go before the directory.
	at := make([]uint64, len(es))
	for i, e := range es {
		if len(e.raw) > inline {
			out = append(out, make([]byte, len(out)&1)...)
			at[i] = uint64(len(out))
			out = append(out, e.raw...)
		}
	}
	out = append(out, make([]byte, len(out)&1)...)
	ifd := uint64(len(out))
	dir := make([]byte, countSize+entrySize*len(es)+inline)
	if h.big {
		h.bo.PutUint64(dir, uint64(len(es)))
	} else {
		h.bo.PutUint16(dir, uint16(len(es)))
	}
	for i, e := range es {
		d := dir[countSize+entrySize*i:]
		h.bo.PutUint16(d, e.tag)
		h.bo.PutUint16(d[2:], e.typ)
		val := d[8:12]
		if h.big {
			h.bo.PutUint64(d[4:], e.count)
			val = d[12:20]
		} else {
			h.bo.PutUint32(d[4:], uint32(e.count))
		}
		switch {
		case len(e.raw) <= inline:
			copy(val, e.raw)
		case h.big:
			h.bo.PutUint64(val, at[i])
		default:
			h.bo.PutUint32(val, uint32(at[i]))
		}
	}
	out = append(out, dir...)
	if h.bo == binary.BigEndian {
		copy(out, "MM")
	} else {
		copy(out, "II")
	}
	if h.big {
		h.bo.PutUint16(out[2:], 43)
		h.bo.PutUint16(out[4:], 8)
		h.bo.PutUint64(out[8:], ifd)
	} else {
		h.bo.PutUint16(out[2:], 42)
		h.bo.PutUint32(out[4:], uint32(ifd))
	}
	return out
}

// geoTIFF4326 is a hand TIFF's fields for a north-up EPSG:4326 raster of nx × ny pixels of
// 0.01° from (106, 10): the layout, the sample type and the GeoKeys (geographic, PixelIsArea,
// EPSG:4326).
func geoTIFF4326(bo binary.ByteOrder, big bool, nx, ny, bits, format int) handTIFF {
	return handTIFF{bo: bo, big: big, offTag: tagStripOffsets, cntTag: tagStripByteCounts,
		ints: map[uint16]handInts{
			tagImageWidth: {4, []uint64{uint64(nx)}}, tagImageLength: {4, []uint64{uint64(ny)}},
			tagBitsPerSample: {3, []uint64{uint64(bits)}}, tagSampleFormat: {3, []uint64{uint64(format)}},
			tagGeoKeyDirectory: {3, []uint64{1, 1, 0, 3, keyModelType, 0, 1, 2, keyRasterType, 0, 1, 1, keyGeographicType, 0, 1, epsgWGS84}},
		},
		doubles: map[uint16][]float64{tagModelPixelScale: {0.01, 0.01, 0}, tagModelTiepoint: {0, 0, 0, 106, 10, 0}},
		text:    map[uint16]string{},
	}
}

// readHand reads h over the whole of geoTIFF4326's lon/lat box.
func readHand(h handTIFF) (*population.Raster, string, error) {
	b := h.bytes()
	return ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), orb.Bound{Min: orb.Point{105, 9}, Max: orb.Point{107, 10.5}})
}

// f32Block is a w × h block of little-endian float32 pixels value(x, y) (x, y in the image).
func f32Block(x0, y0, w, h int, value func(x, y int) float64) []byte {
	b := make([]byte, 4*w*h)
	for y := range h {
		for x := range w {
			binary.LittleEndian.PutUint32(b[4*(y*w+x):], math.Float32bits(float32(value(x0+x, y0+y))))
		}
	}
	return b
}

// checkRaster compares r with the pixels want(x, y) of the columns and rows from (c0, r0) of the
// 0.01° image from (106, 10) (NaN: no data), as float32.
func checkRaster(t *testing.T, name string, r *population.Raster, c0, r0, nx, ny int, want func(x, y int) float64) {
	t.Helper()
	if r.NX != nx || r.NY != ny || math.Abs(r.West-(106+0.01*float64(c0))) > 1e-9 || math.Abs(r.North-(10-0.01*float64(r0))) > 1e-9 {
		t.Fatalf("%s: %d × %d from (%.4f, %.4f), want %d × %d from column %d, row %d", name, r.NX, r.NY, r.West, r.North, nx, ny, c0, r0)
	}
	for j := range ny {
		for i := range nx {
			got, w := r.People[j*nx+i], want(c0+i, r0+j)
			if math.IsNaN(w) != math.IsNaN(float64(got)) || !math.IsNaN(w) && got != float32(w) {
				t.Fatalf("%s: pixel (column %d, row %d) = %v, want %v", name, c0+i, r0+j, got, w)
			}
		}
	}
}

// TestGeoTIFFSparseTiles: a tile of byte count 0 (GDAL's SPARSE_OK) is no data, exactly over
// its own pixels: a 10 × 10 raster of 4 × 4 tiles (3 × 3, the last column and row of tiles
// partly outside), tiles 1 (columns 4–7, rows 0–3) and 4 (columns 4–7, rows 4–7) sparse, the
// others pixel 1000 × column + row + 1. Read whole, and through a window (columns 3–7, rows
// 3–7: an area at the centre of pixel (5, 5), padded by 0.01° and a pixel) that cuts into both
// and ends with them: a column too many would be the next row's first pixel, read before.
func TestGeoTIFFSparseTiles(t *testing.T) {
	value := func(x, y int) float64 { return float64(1000*x + y + 1) }
	want := func(x, y int) float64 {
		if x >= 4 && x < 8 && y < 8 {
			return math.NaN()
		}
		return value(x, y)
	}
	h := geoTIFF4326(binary.LittleEndian, false, 10, 10, 32, 3)
	h.offTag, h.cntTag = tagTileOffsets, tagTileByteCounts
	h.ints[tagTileWidth], h.ints[tagTileLength] = handInts{3, []uint64{4}}, handInts{3, []uint64{4}}
	for b := range 9 {
		if b == 1 || b == 4 {
			h.blocks = append(h.blocks, nil)
			continue
		}
		h.blocks = append(h.blocks, f32Block(4*(b%3), 4*(b/3), 4, 4, value))
	}
	r, _, err := readHand(h)
	if err != nil {
		t.Fatal(err)
	}
	checkRaster(t, "whole", r, 0, 0, 10, 10, want)
	b := h.bytes()
	r, _, err = ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), orb.Bound{Min: orb.Point{106.055, 9.945}, Max: orb.Point{106.055, 9.945}})
	if err != nil {
		t.Fatal(err)
	}
	checkRaster(t, "window", r, 3, 3, 5, 5, want)
}

// TestGeoTIFFRowEndsEarly: a strip shorter than its rows is refused naming the block, the row
// and the rows the strip holds: strips of 2 rows of 3 float32 pixels (24 bytes) over 5 rows, so
// the last strip holds 1 row, cut to 8 bytes; then the second strip cut to 20 bytes.
func TestGeoTIFFRowEndsEarly(t *testing.T) {
	value := func(x, y int) float64 { return float64(x + y) }
	for _, c := range []struct {
		cut  int // the strip cut to 8 bytes
		want string
	}{{2, "block 2: row 1 of 1: the compressed data ends early"}, {1, "block 1: row 1 of 2: the compressed data ends early"}} {
		h := geoTIFF4326(binary.LittleEndian, false, 3, 5, 32, 3)
		h.ints[tagRowsPerStrip] = handInts{3, []uint64{2}}
		h.blocks = [][]byte{f32Block(0, 0, 3, 2, value), f32Block(0, 2, 3, 2, value), f32Block(0, 4, 3, 1, value)}
		h.blocks[c.cut] = h.blocks[c.cut][:8]
		r, _, err := readHand(h)
		if r != nil || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want %q", err, c.want)
		}
	}
}

// TestGeoTIFFPredictor2Float64: horizontal differencing (predictor 2) of 64-bit samples, as
// libtiff applies it to doubles: each sample's bits minus the previous one's, as uint64.
func TestGeoTIFFPredictor2Float64(t *testing.T) {
	vals := [][]float64{{1.5, 2.25, 1e6, 0}, {7, 0.125, 3, 1e-3}}
	h := geoTIFF4326(binary.BigEndian, false, 4, 2, 64, 3)
	h.ints[tagPredictor] = handInts{3, []uint64{2}}
	var blk []byte
	for _, row := range vals {
		prev := uint64(0)
		for _, v := range row {
			bits := math.Float64bits(v)
			blk = binary.BigEndian.AppendUint64(blk, bits-prev)
			prev = bits
		}
	}
	h.blocks = [][]byte{blk}
	r, _, err := readHand(h)
	if err != nil {
		t.Fatal(err)
	}
	checkRaster(t, "predictor 2, float64", r, 0, 0, 4, 2, func(x, y int) float64 { return vals[y][x] })
}

// TestGeoTIFFSampleTypesByHand: each sample type read from big-endian bytes written by hand,
// at its extremes: the largest unsigned values (not read as negative), the largest signed ones,
// float32's largest finite value from a float64; a signed byte of 0x80 is −128, refused naming
// its pixel and "none set"; the no-data value of a signed raster is no data; a float64 beyond
// float32 is refused as not a finite count.
func TestGeoTIFFSampleTypesByHand(t *testing.T) {
	be := binary.BigEndian
	for _, c := range []struct {
		name         string
		bits, format int
		raw          []byte
		noData       string
		want         []float64
		err          string
	}{
		{"uint8", 8, 1, []byte{255, 0, 7}, "", []float64{255, 0, 7}, ""},
		{"int8", 8, 2, []byte{127, 0, 7}, "", []float64{127, 0, 7}, ""},
		{"int8 negative", 8, 2, []byte{1, 2, 0x80}, "", nil, "pixel (column 2, row 0) at lon 106.025000, lat 9.995000: negative population -128 (and not the no-data value none set)"},
		{"uint16", 16, 1, be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, 65535), 0), 300), "", []float64{65535, 0, 300}, ""},
		{"int16", 16, 2, be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, 32767), 0xffff), 300), "-1", []float64{32767, math.NaN(), 300}, ""},
		{"int16 negative", 16, 2, be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, 32767), 0xfffe), 300), "-9999", nil, "pixel (column 1, row 0) at lon 106.015000, lat 9.995000: negative population -2 (and not the no-data value -9999)"},
		{"uint32", 32, 1, be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, 4294967295), 0), 5), "", []float64{4294967295, 0, 5}, ""},
		{"int32", 32, 2, be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, 2147483647), 0), 5), "", []float64{2147483647, 0, 5}, ""},
		{"int32 negative", 32, 2, be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, 5), 0), 0xffffffff), "", nil, "negative population -1 (and not the no-data value none set)"},
		{"float32", 32, 3, be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, math.Float32bits(math.MaxFloat32)), 0), math.Float32bits(-7)), "-7", []float64{math.MaxFloat32, 0, math.NaN()}, ""},
		{"float64", 64, 3, be.AppendUint64(be.AppendUint64(be.AppendUint64(nil, math.Float64bits(math.MaxFloat32)), math.Float64bits(math.NaN())), math.Float64bits(0.5)), "", []float64{math.MaxFloat32, math.NaN(), 0.5}, ""},
		{"float64 beyond float32", 64, 3, be.AppendUint64(be.AppendUint64(be.AppendUint64(nil, 0), math.Float64bits(2*math.MaxFloat32)), 0), "", nil, "pixel (column 1, row 0) at lon 106.015000, lat 9.995000: population 6.805646932770577e+38 is not a finite count"},
		{"float64 infinite", 64, 3, be.AppendUint64(be.AppendUint64(be.AppendUint64(nil, 0), 0), math.Float64bits(math.Inf(1))), "", nil, "population +Inf is not a finite count"},
	} {
		h := geoTIFF4326(be, false, 3, 1, c.bits, c.format)
		if c.noData != "" {
			h.text[tagGDALNoData] = c.noData
		}
		h.blocks = [][]byte{c.raw}
		r, _, err := readHand(h)
		if c.err != "" {
			if r != nil || err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		checkRaster(t, c.name, r, 0, 0, 3, 1, func(x, _ int) float64 { return c.want[x] })
	}
}

// onePixel is a hand TIFF of one float32 pixel of 3.5 people, little-endian, classic.
func onePixel() handTIFF {
	h := geoTIFF4326(binary.LittleEndian, false, 1, 1, 32, 3)
	h.blocks = [][]byte{binary.LittleEndian.AppendUint32(nil, math.Float32bits(3.5))}
	return h
}

// TestGeoTIFFAcceptedByHand: layouts and georeferencing GDAL's tests do not write, each read
// as one pixel of 3.5 people at its place: big-endian BigTIFF; a north-up ModelTransformation;
// a user-defined geographic CRS on the WGS 84 datum with degrees; a FLOAT pixel scale of 0.25°; PixelIsPoint
// (the tie point is the pixel's centre); 4,096 directory entries (the most); entries of types
// TIFF 6.0 and BigTIFF do not define (skipped: 0, 14, 15, 19 — one past the table —, 20, 65535); a GDAL_NODATA
// with spaces, and a metadata note among other items.
func TestGeoTIFFAcceptedByHand(t *testing.T) {
	cases := []struct {
		name        string
		edit        func(h *handTIFF)
		west, north float64
		note        string
		d           float64 // degrees per pixel, 0.01 when 0
	}{
		{"big-endian BigTIFF", func(h *handTIFF) {
			h.bo, h.big = binary.BigEndian, true
			h.blocks = [][]byte{binary.BigEndian.AppendUint32(nil, math.Float32bits(3.5))}
		}, 106, 10, "", 0},
		{"ModelTransformation", func(h *handTIFF) {
			delete(h.doubles, tagModelPixelScale)
			delete(h.doubles, tagModelTiepoint)
			h.doubles[tagModelTransformation] = []float64{0.01, 0, 0, 106.5, 0, -0.01, 0, 10.25, 0, 0, 0, 0, 0, 0, 0, 1}
		}, 106.5, 10.25, "", 0},
		{"user-defined WGS 84", func(h *handTIFF) {
			h.ints[tagGeoKeyDirectory] = handInts{3, []uint64{1, 1, 0, 4, keyModelType, 0, 1, 2, keyGeographicType, 0, 1, userDefined,
				keyGeodeticDatum, 0, 1, datumWGS84, keyAngularUnits, 0, 1, unitDegree}}
		}, 106, 10, "", 0},
		{"no geographic key", func(h *handTIFF) {
			h.ints[tagGeoKeyDirectory] = handInts{3, []uint64{1, 1, 0, 1, keyModelType, 0, 1, 2}}
		}, 106, 10, "", 0},
		{"PixelIsPoint", func(h *handTIFF) {
			h.ints[tagGeoKeyDirectory] = handInts{3, []uint64{1, 1, 0, 2, keyModelType, 0, 1, 2, keyRasterType, 0, 1, 2}}
		}, 105.995, 10.005, "", 0},
		{"4096 entries", func(h *handTIFF) {
			for tag := range uint16(4096 - h.entries()) {
				h.ints[50000+tag] = handInts{3, []uint64{1}}
			}
		}, 106, 10, "", 0},
		{"FLOAT pixel scale", func(h *handTIFF) {
			delete(h.doubles, tagModelPixelScale)
			h.floats = map[uint16][]float32{tagModelPixelScale: {0.25, 0.25, 0}}
		}, 106, 10, "", 0.25},
		{"tie point at pixel (2, 3)", func(h *handTIFF) {
			h.doubles[tagModelTiepoint] = []float64{2, 3, 0, 106.02, 9.97, 0}
		}, 106, 10, "", 0},
		{"pixel scale of 2 values", func(h *handTIFF) { h.doubles[tagModelPixelScale] = []float64{0.01, 0.01} }, 106, 10, "", 0},
		{"entries of unknown types", func(h *handTIFF) {
			h.others = map[uint16]handOther{60000: {0, 1}, 60001: {14, 1}, 60002: {15, 1}, 60003: {19, 1}, 60004: {20, 1}, 60005: {0xffff, 1}}
		}, 106, 10, "", 0},
		{"GDAL metadata", func(h *handTIFF) {
			h.text[tagGDALNoData] = " 3.5 "
			h.text[tagGDALMetadata] = `<GDALMetadata><Item name="other">x</Item><Item name="phusong_note">synthetic</Item></GDALMetadata>`
		}, 106, 10, "synthetic", 0},
	}
	for _, c := range cases {
		h := onePixel()
		c.edit(&h)
		b := h.bytes()
		d := cmp.Or(c.d, 0.01)
		area := orb.Bound{Min: orb.Point{c.west, c.north - d}, Max: orb.Point{c.west + d, c.north}}
		r, note, err := ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), area)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := float32(3.5)
		if c.name == "GDAL metadata" {
			want = float32(math.NaN())
		}
		if r.NX != 1 || r.NY != 1 || math.Abs(r.West-c.west) > 1e-12 || math.Abs(r.North-c.north) > 1e-12 || r.DLon != d || r.DLat != d ||
			math.Float32bits(r.People[0]) != math.Float32bits(want) || note != c.note {
			t.Errorf("%s: %d × %d from (%v, %v) of %v × %v°, %v people, note %q; want 1 × 1 from (%v, %v) of %v°, %v, %q",
				c.name, r.NX, r.NY, r.West, r.North, r.DLon, r.DLat, r.People, note, c.west, c.north, d, want, c.note)
		}
	}
}

// TestGeoTIFFRefusedByHand: files GDAL does not write, each refused with its reason.
func TestGeoTIFFRefusedByHand(t *testing.T) {
	geoKeys := func(keys ...uint64) func(h *handTIFF) {
		return func(h *handTIFF) {
			h.ints[tagGeoKeyDirectory] = handInts{3, append([]uint64{1, 1, 0, uint64(len(keys) / 4)}, keys...)}
		}
	}
	for _, c := range []struct {
		name string
		edit func(h *handTIFF)
		want string
	}{
		{"4097 entries", func(h *handTIFF) {
			for tag := range uint16(4097 - h.entries()) {
				h.ints[50000+tag] = handInts{3, []uint64{1}}
			}
		}, "image directory of 4097 entries"},
		{"2²⁷ SHORTs", func(h *handTIFF) { h.others = map[uint16]handOther{60000: {3, 1 << 27}} }, "truncated: 268435456 bytes at offset 0 of a"},
		{"2²⁷ + 1 SHORTs", func(h *handTIFF) { h.others = map[uint16]handOther{60000: {3, 1<<27 + 1}} }, "tag 60000 holds 134217729 values"},
		{"width 2³¹ + 1", func(h *handTIFF) { h.ints[tagImageWidth] = handInts{4, []uint64{1<<31 + 1}} }, "image of 2147483649 × 1 pixels"},
		{"height 0", func(h *handTIFF) { h.ints[tagImageLength] = handInts{4, []uint64{0}} }, "image of 1 × 0 pixels"},
		{"width 2³¹", func(h *handTIFF) {
			h.ints[tagImageWidth] = handInts{4, []uint64{1 << 31}}
			h.ints[tagTileWidth], h.ints[tagTileLength] = handInts{4, []uint64{16}}, handInts{4, []uint64{16}}
			h.offTag, h.cntTag = tagTileOffsets, tagTileByteCounts
		}, "TileOffsets: 1 offsets for 134217728 blocks"},
		{"height 2³¹", func(h *handTIFF) {
			h.ints[tagImageLength] = handInts{4, []uint64{1 << 31}}
			h.ints[tagTileWidth], h.ints[tagTileLength] = handInts{4, []uint64{16}}, handInts{4, []uint64{16}}
			h.offTag, h.cntTag = tagTileOffsets, tagTileByteCounts
		}, "TileOffsets: 1 offsets for 134217728 blocks"},
		{"byte counts of one strip of two", func(h *handTIFF) {
			h.ints[tagImageLength], h.ints[tagRowsPerStrip] = handInts{4, []uint64{2}}, handInts{3, []uint64{1}}
			h.blocks = append(h.blocks, h.blocks[0])
			h.cntTag = 65000 // the real counts under another tag
			h.ints[tagStripByteCounts] = handInts{4, []uint64{4}}
		}, "StripByteCounts: 1 byte counts for 2 blocks"},
		{"height 2³¹ + 1", func(h *handTIFF) { h.ints[tagImageLength] = handInts{4, []uint64{1<<31 + 1}} }, "image of 1 × 2147483649 pixels"},
		{"bits per sample differ", func(h *handTIFF) { h.ints[tagBitsPerSample] = handInts{3, []uint64{32, 16}} }, "BitsPerSample: differs between samples ([32 16])"},
		{"no bits per sample", func(h *handTIFF) { h.ints[tagBitsPerSample] = handInts{3, nil} }, "BitsPerSample: has no value"},
		{"width as a double", func(h *handTIFF) {
			delete(h.ints, tagImageWidth)
			h.doubles[tagImageWidth] = []float64{1}
		}, "ImageWidth: is of TIFF type 12, want an integer type"},
		{"scale as integers", func(h *handTIFF) {
			delete(h.doubles, tagModelPixelScale)
			h.ints[tagModelPixelScale] = handInts{3, []uint64{1, 1, 0}}
		}, "ModelPixelScale: is of TIFF type 3, want DOUBLE"},
		{"predictor 3 of integers", func(h *handTIFF) {
			h.ints[tagSampleFormat] = handInts{3, []uint64{1}}
			h.ints[tagPredictor] = handInts{3, []uint64{3}}
		}, "unsupported predictor 3 for 32-bit samples of format 1"},
		{"16-bit floats", func(h *handTIFF) { h.ints[tagBitsPerSample] = handInts{3, []uint64{16}} }, "unsupported sample format: 16-bit floating point"},
		{"format 9", func(h *handTIFF) { h.ints[tagSampleFormat] = handInts{3, []uint64{9}} }, "unsupported sample format: 32-bit format 9"},
		{"tiles of 256 MiB and 4 bytes", func(h *handTIFF) {
			h.ints[tagTileWidth], h.ints[tagTileLength] = handInts{4, []uint64{8192}}, handInts{4, []uint64{8193}}
			h.offTag, h.cntTag = tagTileOffsets, tagTileByteCounts
		}, "TileWidth: tiles of 8192 × 8193 pixels"},
		{"tiles of 256 MiB", func(h *handTIFF) {
			h.ints[tagTileWidth], h.ints[tagTileLength] = handInts{4, []uint64{8192}}, handInts{4, []uint64{8192}}
		}, "TileOffsets: 0 offsets for 1 blocks"},
		{"GeoKeyDirectory truncated", func(h *handTIFF) {
			h.ints[tagGeoKeyDirectory] = handInts{3, []uint64{1, 1, 0, 1, keyModelType, 0, 1}}
		}, "GeoKeyDirectory: truncated (7 values)"},
		{"GeoKeyDirectory of 3 values", func(h *handTIFF) { h.ints[tagGeoKeyDirectory] = handInts{3, []uint64{1, 1, 0}} }, "GeoKeyDirectory: truncated (3 values)"},
		{"projected, user-defined", geoKeys(keyModelType, 0, 1, 1, keyProjectedType, 0, 1, userDefined), "a projected CRS: phusong reads lon/lat"},
		{"projected without a model type", geoKeys(keyProjectedType, 0, 1, 32648), "projected CRS EPSG:32648"},
		{"geocentric", geoKeys(keyModelType, 0, 1, 3), "geocentric CRS"},
		{"no CRS", geoKeys(keyRasterType, 0, 1, 1), "no coordinate reference system (no GTModelTypeGeoKey)"},
		{"model type 7", geoKeys(keyModelType, 0, 1, 7), "unknown model type 7"},
		{"user-defined on another datum", geoKeys(keyModelType, 0, 1, 2, keyGeographicType, 0, 1, userDefined, keyGeodeticDatum, 0, 1, 6756), "geographic CRS datum EPSG:6756, not WGS 84"},
		{"grads", geoKeys(keyModelType, 0, 1, 2, keyGeographicType, 0, 1, epsgWGS84, keyAngularUnits, 0, 1, 9105), "angular unit EPSG:9105, want degrees (9102)"},
		{"a key held elsewhere", geoKeys(keyModelType, tagGeoDoubleParams, 1, 0), "no coordinate reference system"},
		{"rotated", func(h *handTIFF) {
			h.doubles[tagModelTransformation] = []float64{0.01, 0.001, 0, 106, 0, -0.01, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1}
		}, "rotated or sheared raster"},
		{"sheared", func(h *handTIFF) {
			h.doubles[tagModelTransformation] = []float64{0.01, 0, 0, 106, 0.001, -0.01, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1}
		}, "rotated or sheared raster"},
		{"no tie point", func(h *handTIFF) { h.doubles[tagModelTiepoint] = []float64{0, 0, 0, 106, 10} }, "no georeferencing: the file has neither"},
		{"one scale", func(h *handTIFF) { h.doubles[tagModelPixelScale] = []float64{0.01} }, "no georeferencing: the file has neither"},
		{"south-up", func(h *handTIFF) { h.doubles[tagModelPixelScale] = []float64{0.01, -0.01, 0} }, "pixels of 0.01 × 0.01 degrees from (106, 10): want a north-up raster"},
		{"zero-width pixels", func(h *handTIFF) { h.doubles[tagModelPixelScale] = []float64{0, 0.01, 0} }, "pixels of 0 × -0.01 degrees from (106, 10)"},
		{"zero-height pixels", func(h *handTIFF) { h.doubles[tagModelPixelScale] = []float64{0.01, 0, 0} }, "pixels of 0.01 × -0 degrees from (106, 10)"},
		{"west-pointing", func(h *handTIFF) { h.doubles[tagModelPixelScale] = []float64{-0.01, 0.01, 0} }, "pixels of -0.01 × -0.01 degrees"},
		{"infinite corner", func(h *handTIFF) { h.doubles[tagModelTiepoint] = []float64{0, 0, 0, math.Inf(1), 10, 0} }, "pixels of 0.01 × -0.01 degrees from (+Inf, 10)"},
		{"NaN corner", func(h *handTIFF) { h.doubles[tagModelTiepoint] = []float64{0, 0, 0, 106, math.NaN(), 0} }, "from (106, NaN)"},
		{"no data not a number", func(h *handTIFF) { h.text[tagGDALNoData] = "none" }, `GDAL_NODATA: "none" is not a number`},
	} {
		h := onePixel()
		c.edit(&h)
		r, _, err := readHand(h)
		if r != nil || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestGeoTIFFNegativePixelPlace: a negative pixel is named by its column and row in the image
// and its centre's lon/lat, from within a later strip: int16 strips of 2 rows of 3 pixels, −4
// at column 1, row 3 (the second row of the second strip): centre lon 106 + 1.5 × 0.01, lat
// 10 − 3.5 × 0.01.
func TestGeoTIFFNegativePixelPlace(t *testing.T) {
	h := geoTIFF4326(binary.LittleEndian, false, 3, 4, 16, 2)
	h.ints[tagRowsPerStrip] = handInts{3, []uint64{2}}
	px := func(vs ...int16) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		return b
	}
	h.blocks = [][]byte{px(1, 2, 3, 4, 5, 6), px(7, 8, 9, 10, -4, 12)}
	r, _, err := readHand(h)
	want := "pixel (column 1, row 3) at lon 106.015000, lat 9.965000: negative population -4 (and not the no-data value none set)"
	if r != nil || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want %q", err, want)
	}
}

// failingReader reads from b up to failAt bytes into it; a read reaching beyond fails with err.
type failingReader struct {
	b      []byte
	failAt int64
	err    error
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.failAt {
		return 0, f.err
	}
	return bytes.NewReader(f.b).ReadAt(p, off)
}

// TestGeoTIFFHeaderByHand: the header's refusals, each with its reason: a file of 7 bytes is
// not a TIFF; one of 8 is a header whose directory lies beyond the end; other first bytes,
// versions and BigTIFF offset sizes; a reading error is returned wrapped, not as bad input.
func TestGeoTIFFHeaderByHand(t *testing.T) {
	diskOnFire := errors.New("disk on fire")
	bigHead := func(offsetSize byte) []byte {
		return []byte{'I', 'I', 43, 0, offsetSize, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0}
	}
	for _, c := range []struct {
		name string
		r    io.ReaderAt
		size int64
		want string
	}{
		{"7 bytes", bytes.NewReader([]byte("II*\x00\x08\x00\x00")), 7, "not a TIFF file (7 bytes)"},
		{"8 bytes", bytes.NewReader([]byte("II*\x00\x08\x00\x00\x00")), 8, "truncated: 2 bytes at offset 8 of a 8-byte file"},
		{"not TIFF", bytes.NewReader([]byte("XY*\x00\x08\x00\x00\x00\x00\x00")), 10, "not a TIFF file (it starts with 58 59 2A 00)"},
		{"version 44", bytes.NewReader([]byte("MM\x00\x2c\x00\x00\x00\x08\x00\x00")), 10, "not a TIFF file (version 44)"},
		{"BigTIFF of 4-byte offsets", bytes.NewReader(bigHead(4)), 16, "BigTIFF with 4-byte offsets"},
		{"BigTIFF, no directory", bytes.NewReader(bigHead(8)), 16, "truncated: 8 bytes at offset 16 of a 16-byte file"},
		{"the header unreadable", failingReader{onePixel().bytes(), 0, diskOnFire}, 1000, "data: reading TIFF header: disk on fire"},
		{"the directory unreadable", failingReader{onePixel().bytes(), 16, diskOnFire}, 1000, "data: reading TIFF: disk on fire"},
	} {
		r, _, err := ReadPopulationGeoTIFF(c.r, c.size, travinh())
		if r != nil || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if reading := errors.Is(err, diskOnFire); reading != strings.HasPrefix(c.name, "the") || reading == errors.Is(err, data.ErrInvalidInput) {
			t.Errorf("%s: %v: a reading error is %v, invalid input %v", c.name, err, reading, errors.Is(err, data.ErrInvalidInput))
		}
	}
}

// TestTIFFBytesAt: a range is read when it ends at the end of the file or before, an empty one
// even at the end; one byte more, or a start beyond the end, is refused as truncated.
func TestTIFFBytesAt(t *testing.T) {
	f := &tiffFile{r: bytes.NewReader([]byte("0123456789")), size: 10}
	for _, c := range []struct {
		off, n uint64
		want   string // the bytes read
		err    string // or the error
	}{
		{6, 4, "6789", ""}, {10, 0, "", ""}, {0, 10, "0123456789", ""},
		{6, 5, "", "truncated: 5 bytes at offset 6 of a 10-byte file"},
		{11, 0, "", "truncated: 0 bytes at offset 11 of a 10-byte file"},
		{2, math.MaxUint64 - 1, "", "truncated: 18446744073709551614 bytes at offset 2 of a 10-byte file"},
	} {
		b, err := f.bytesAt(c.off, c.n)
		if c.err == "" && (err != nil || string(b) != c.want) || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("bytesAt(%d, %d) = %q, %v; want %q %s", c.off, c.n, b, err, c.want, c.err)
		}
	}
}

// TestGeoTIFFBlockAtTheEnd: a strip may end at the end of the file, or be empty there; a byte
// more, or a start beyond the end, is refused naming the block (a 12-byte file, one strip).
func TestGeoTIFFBlockAtTheEnd(t *testing.T) {
	u32 := func(v uint32) tiffField {
		return tiffField{typ: 4, count: 1, raw: binary.LittleEndian.AppendUint32(nil, v)}
	}
	for _, c := range []struct {
		off, count uint32
		want       string
	}{
		{8, 4, ""}, {12, 0, ""},
		{8, 5, "StripOffsets: block 0 (5 bytes at offset 8) lies beyond the end of the 12-byte file"},
		{13, 0, "StripOffsets: block 0 (0 bytes at offset 13) lies beyond the end of the 12-byte file"},
	} {
		f := &tiffFile{bo: binary.LittleEndian, size: 12, fields: map[uint16]tiffField{tagStripOffsets: u32(c.off), tagStripByteCounts: u32(c.count)}}
		g := &geoRaster{width: 1, height: 1, bits: 32}
		err := g.parseBlocks(f)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("strip of %d bytes at %d: %v, want %q", c.count, c.off, err, c.want)
		}
	}
}

// TestGeoTIFFPredictor3ByHand: the floating-point predictor (3) as the TIFF technical note 3
// describes it, encoded here by hand: each row's samples split into planes of bytes, most
// significant first, then each byte differenced from the one before along the row; read the
// same in either byte order. Predictor 4 is refused.
func TestGeoTIFFPredictor3ByHand(t *testing.T) {
	vals := [][]float32{{1.5, 0, 1000.25}, {3, 0.125, 7}}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		h := geoTIFF4326(bo, false, 3, 2, 32, 3)
		h.ints[tagPredictor] = handInts{3, []uint64{3}}
		var blk []byte
		for _, row := range vals {
			planes := make([]byte, 4*len(row))
			for k, v := range row {
				bits := math.Float32bits(v)
				for b := range 4 { // byte b, most significant first
					planes[b*len(row)+k] = byte(bits >> (24 - 8*b))
				}
			}
			for i := len(planes) - 1; i > 0; i-- {
				planes[i] -= planes[i-1]
			}
			blk = append(blk, planes...)
		}
		h.blocks = [][]byte{blk}
		r, _, err := readHand(h)
		if err != nil {
			t.Fatalf("%v: %v", bo, err)
		}
		checkRaster(t, bo.String(), r, 0, 0, 3, 2, func(x, y int) float64 { return float64(vals[y][x]) })
		h.ints[tagPredictor] = handInts{3, []uint64{4}}
		if r, _, err := readHand(h); r != nil || err == nil || !strings.Contains(err.Error(), "unsupported predictor 4 for 32-bit samples of format 3") {
			t.Errorf("%v, predictor 4: %v", bo, err)
		}
	}
}
