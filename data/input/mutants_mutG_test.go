package input

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests written for the mutants of the ninth mutation pass (bench/README.md, "Ninth pass,
// mutG") that no earlier test noticed: each pins behaviour that was right but unchecked.

// TestWriteGeoTIFFSpecRefused: a spec the writer cannot write is refused with the exact reason
// and nothing is written; the smallest valid ones (one pixel, tiles of 16) are written.
func TestWriteGeoTIFFSpecRefused(t *testing.T) {
	ok := GeoTIFFSpec{West: 106, North: 10, DLon: 0.5, DLat: 0.25, NX: 1, NY: 1, Sample: "uint8"}
	for _, c := range []struct {
		name string
		edit func(*GeoTIFFSpec)
		want string // "" = written
	}{
		{"one pixel", func(*GeoTIFFSpec) {}, ""},
		{"tiles of 16", func(s *GeoTIFFSpec) { s.TileSize = 16 }, ""},
		{"sample", func(s *GeoTIFFSpec) { s.Sample = "int8" }, `input: GeoTIFF sample type "int8"`},
		{"no columns", func(s *GeoTIFFSpec) { s.NX = 0 }, "input: GeoTIFF of 0 × 1 pixels of 0.5 × 0.25°"},
		{"no rows", func(s *GeoTIFFSpec) { s.NY = 0 }, "input: GeoTIFF of 1 × 0 pixels of 0.5 × 0.25°"},
		{"zero width", func(s *GeoTIFFSpec) { s.DLon = 0 }, "input: GeoTIFF of 1 × 1 pixels of 0 × 0.25°"},
		{"zero height", func(s *GeoTIFFSpec) { s.DLat = 0 }, "input: GeoTIFF of 1 × 1 pixels of 0.5 × 0°"},
		{"negative tile", func(s *GeoTIFFSpec) { s.TileSize = -16 }, "input: GeoTIFF tile size -16 is not a multiple of 16"},
		{"tile of 8", func(s *GeoTIFFSpec) { s.TileSize = 8 }, "input: GeoTIFF tile size 8 is not a multiple of 16"},
		{"compression", func(s *GeoTIFFSpec) { s.Compression = "zstd" }, `input: GeoTIFF compression "zstd"`},
	} {
		spec := ok
		c.edit(&spec)
		var m memFile
		called := false
		err := WriteGeoTIFF(&m, spec, func(_, _, _, _ int, dst []float64) {
			called = true
			clear(dst)
		})
		switch {
		case c.want == "" && (err != nil || !called || len(m.b) == 0):
			t.Errorf("%s: %v, %d bytes", c.name, err, len(m.b))
		case c.want != "" && (err == nil || err.Error() != c.want || called || len(m.b) != 0):
			t.Errorf("%s: %v (values asked: %v, %d bytes), want %q", c.name, err, called, len(m.b), c.want)
		}
	}
}

// TestPutSampleByHand: each sample type's little-endian bytes, integers rounded half away from
// zero and wrapped as two's complement.
func TestPutSampleByHand(t *testing.T) {
	for _, c := range []struct {
		sample string
		v      float64
		want   []byte
	}{
		{"uint8", 200.5, []byte{201}},
		{"uint8", 7.4, []byte{7}},
		{"uint16", 65535, []byte{0xff, 0xff}},
		{"uint16", 258.6, []byte{0x03, 0x01}},
		{"int16", -2.5, []byte{0xfd, 0xff}},
		{"int32", -3, []byte{0xfd, 0xff, 0xff, 0xff}},
		{"int32", 16909060, []byte{0x04, 0x03, 0x02, 0x01}},
		{"float32", 1.5, []byte{0x00, 0x00, 0xc0, 0x3f}},
		{"float64", 1.5, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x3f}},
		{"float64", -2, []byte{0, 0, 0, 0, 0, 0, 0, 0xc0}},
	} {
		st := sampleTypes[c.sample]
		b := bytes.Repeat([]byte{0xaa}, 9)
		putSample(b, c.v, st[0], st[1])
		if !bytes.Equal(b[:len(c.want)], c.want) || bytes.Count(b[len(c.want):], []byte{0xaa}) != len(b)-len(c.want) {
			t.Errorf("%s %v: % x, want % x then untouched", c.sample, c.v, b, c.want)
		}
	}
}

// TestPredictRowByHand: TIFF predictor 2 on rows of 3 samples of 1, 2, 4 and 8 bytes: each
// sample but the first becomes its difference from the one before, modulo 2^bits.
func TestPredictRowByHand(t *testing.T) {
	for _, c := range []struct {
		bps       int
		row, want []byte
	}{
		{1, []byte{10, 3, 250}, []byte{10, 0xf9, 0xf7}},
		{2, []byte{0x00, 0x01, 0x05, 0x01, 0x04, 0x00}, []byte{0x00, 0x01, 0x05, 0x00, 0xff, 0xfe}},
		{4, []byte{1, 0, 0, 0, 3, 0, 0, 1, 3, 0, 0, 1}, []byte{1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0}},
		{8, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x80},
			[]byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0, 0, 0, 0x80}},
	} {
		row := bytes.Clone(c.row)
		predictRow(row, c.bps)
		if !bytes.Equal(row, c.want) {
			t.Errorf("%d bytes a sample: % x, want % x", c.bps, row, c.want)
		}
	}
}

// tiffByHand is a classic little-endian TIFF's first directory read by the test alone (TIFF
// 6.0, section 2): per tag, its type and the bytes of its values. WriteGeoTIFF's files end
// with that directory.
type tiffByHand map[uint16]struct {
	typ uint16
	raw []byte
}

func readTIFFByHand(t *testing.T, b []byte) tiffByHand {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 8 || string(b[:4]) != "II*\x00" {
		t.Fatalf("header % x", b[:min(8, len(b))])
	}
	ifd := le.Uint32(b[4:])
	if ifd%2 != 0 {
		t.Errorf("directory at odd offset %d", ifd)
	}
	n := int(le.Uint16(b[ifd:]))
	size := map[uint16]int{2: 1, 3: 2, 4: 4, 12: 8}
	tags := tiffByHand{}
	last := -1
	for i := range n {
		e := b[int(ifd)+2+12*i:]
		tag, typ, count := le.Uint16(e), le.Uint16(e[2:]), int(le.Uint32(e[4:]))
		if int(tag) <= last {
			t.Errorf("tag %d after %d: not ascending", tag, last)
		}
		last = int(tag)
		raw := e[8 : 8+count*size[typ]]
		if count*size[typ] > 4 {
			off := int(le.Uint32(e[8:]))
			if off%2 != 0 {
				t.Errorf("tag %d's values at odd offset %d", tag, off)
			}
			raw = b[off : off+count*size[typ]]
		}
		tags[tag] = struct {
			typ uint16
			raw []byte
		}{typ, raw}
	}
	if next := le.Uint32(b[int(ifd)+2+12*n:]); next != 0 {
		t.Errorf("next directory %d, want 0", next)
	}
	if end := int(ifd) + 2 + 12*n + 4; len(b) != end { // the writer writes its directory last
		t.Errorf("%d bytes, the directory ends at %d", len(b), end)
	}
	return tags
}

// ints is a SHORT (3) or LONG (4) tag's values.
func (tt tiffByHand) ints(t *testing.T, tag uint16) []uint64 {
	t.Helper()
	f, ok := tt[tag]
	var out []uint64
	for i := 0; ok && f.typ == 3 && i < len(f.raw); i += 2 {
		out = append(out, uint64(binary.LittleEndian.Uint16(f.raw[i:])))
	}
	for i := 0; ok && f.typ == 4 && i < len(f.raw); i += 4 {
		out = append(out, uint64(binary.LittleEndian.Uint32(f.raw[i:])))
	}
	return out
}

// wantInts checks SHORT or LONG tags' values.
func (tt tiffByHand) wantInts(t *testing.T, want map[uint16][]uint64) {
	t.Helper()
	for _, tag := range slices.Sorted(maps.Keys(want)) {
		if got := tt.ints(t, tag); !slices.Equal(got, want[tag]) {
			t.Errorf("tag %d: %v, want %v", tag, got, want[tag])
		}
	}
}

// encodeByHand writes spec's raster with value(x, y) at each pixel and reads its directory.
func encodeByHand(t *testing.T, spec GeoTIFFSpec, value func(x, y int) float64) ([]byte, tiffByHand) {
	t.Helper()
	b, err := EncodeGeoTIFF(spec, func(x0, y0, nx, ny int, dst []float64) {
		for y := range ny {
			for x := range nx {
				dst[y*nx+x] = value(x0+x, y0+y)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, readTIFFByHand(t, b)
}

// TestWriteGeoTIFFStripsByHand: 1000 × 100 pixels of uint16 without a RowsPerStrip make strips
// of 64 KiB / 2000 bytes = 32 rows (the last of 4); the directory holds, by hand, the TIFF and
// GeoTIFF fields of an EPSG:4326 PixelIsArea raster, and each pixel's bytes sit in its strip at
// (row within the strip × 1000 + column) × 2.
func TestWriteGeoTIFFStripsByHand(t *testing.T) {
	noData := 65535.0
	spec := GeoTIFFSpec{West: 105.5, North: 10.25, DLon: 0.001, DLat: 0.002, NX: 1000, NY: 100, Sample: "uint16", NoData: &noData, Note: "synthetic"}
	value := func(x, y int) uint16 { return uint16(7*x + 13*y) }
	b, tags := encodeByHand(t, spec, func(x, y int) float64 { return float64(value(x, y)) })
	tags.wantInts(t, map[uint16][]uint64{
		256: {1000}, 257: {100}, 258: {16}, 259: {1}, 262: {1}, 277: {1}, 278: {32}, 279: {64000, 64000, 64000, 8000},
		284: {1}, 339: {1}, 34735: {1, 1, 0, 4, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326, 2054, 0, 1, 9102},
	})
	for _, tag := range []uint16{317, 322, 323, 324, 325} {
		if _, ok := tags[tag]; ok {
			t.Errorf("tag %d written for strips without a predictor", tag)
		}
	}
	f64 := func(tag uint16) []float64 {
		var out []float64
		for i := 0; i+8 <= len(tags[tag].raw); i += 8 {
			out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(tags[tag].raw[i:])))
		}
		return out
	}
	if got := f64(33550); !slices.Equal(got, []float64{0.001, 0.002, 0}) {
		t.Errorf("ModelPixelScale %v", got)
	}
	if got := f64(33922); !slices.Equal(got, []float64{0, 0, 0, 105.5, 10.25, 0}) {
		t.Errorf("ModelTiepoint %v", got)
	}
	if got := string(tags[42113].raw); got != "65535\x00" {
		t.Errorf("GDAL_NODATA %q", got)
	}
	if got := string(tags[42112].raw); got != `<GDALMetadata><Item name="phusong_note">synthetic</Item></GDALMetadata>`+"\x00" {
		t.Errorf("GDAL metadata %q", got)
	}
	offsets := tags.ints(t, 273)
	if len(offsets) != 4 {
		t.Fatalf("strip offsets %v", offsets)
	}
	for s, off := range offsets {
		if off%2 != 0 || s > 0 && off < offsets[s-1]+64000 {
			t.Errorf("strip %d at %d after %v", s, off, offsets[:s])
		}
	}
	for y := range 100 {
		for x := range 1000 {
			at := offsets[y/32] + uint64(((y%32)*1000+x)*2)
			if got := binary.LittleEndian.Uint16(b[at:]); got != value(x, y) {
				t.Fatalf("pixel (%d, %d) = %d at byte %d, want %d", x, y, got, at, value(x, y))
			}
		}
	}
}

// TestWriteGeoTIFFTilesByHand: 20 × 18 pixels of int16 in tiles of 16 are 2 × 2 tiles of
// 16 × 16 × 2 = 512 bytes, row-major from the north-west; each pixel's bytes sit in its tile at
// (row within the tile × 16 + column within the tile) × 2, and the parts of the edge tiles
// beyond the image hold the no-data value (−9999), or 0 without one.
func TestWriteGeoTIFFTilesByHand(t *testing.T) {
	value := func(x, y int) int16 { return int16(100*y - 3*x) }
	for _, noData := range []*float64{nil, new(-9999.0)} {
		spec := GeoTIFFSpec{West: 106, North: 10, DLon: 0.01, DLat: 0.01, NX: 20, NY: 18, Sample: "int16", TileSize: 16, NoData: noData}
		b, tags := encodeByHand(t, spec, func(x, y int) float64 { return float64(value(x, y)) })
		tags.wantInts(t, map[uint16][]uint64{256: {20}, 257: {18}, 258: {16}, 322: {16}, 323: {16}, 325: {512, 512, 512, 512}, 339: {2}})
		for _, tag := range []uint16{273, 278, 279} {
			if _, ok := tags[tag]; ok {
				t.Errorf("strip tag %d written for tiles", tag)
			}
		}
		offsets := tags.ints(t, 324)
		if len(offsets) != 4 {
			t.Fatalf("tile offsets %v", offsets)
		}
		pad := int16(0)
		if noData != nil {
			pad = -9999
		}
		for y := range 32 {
			for x := range 32 {
				want := pad
				if x < 20 && y < 18 {
					want = value(x, y)
				}
				at := offsets[(y/16)*2+x/16] + uint64(((y%16)*16+x%16)*2)
				if got := int16(binary.LittleEndian.Uint16(b[at:])); got != want {
					t.Fatalf("no data %v: tile pixel (%d, %d) = %d, want %d", noData != nil, x, y, got, want)
				}
			}
		}
	}
}

// offsetsAt is an io.WriterAt that keeps only where and how much was written.
type offsetsAt [][2]int64

func (o *offsetsAt) WriteAt(p []byte, off int64) (int, error) {
	*o = append(*o, [2]int64{off, int64(len(p))})
	return len(p), nil
}

// TestTIFFWriterLimit: blocks start at even offsets, and a classic TIFF (32-bit offsets) may
// be 2³² − 1 bytes long but not one byte longer.
func TestTIFFWriterLimit(t *testing.T) {
	var o offsetsAt
	tw := tiffWriter{w: &o, off: 9}
	if at, err := tw.write([]byte{1, 2, 3}); at != 10 || err != nil || tw.off != 13 {
		t.Errorf("write at offset 9: at %d, %v, next %d; want at 10, next 13", at, err, tw.off)
	}
	const end = math.MaxUint32 - 3 // even
	tw.off = end
	if at, err := tw.write(make([]byte, 3)); at != end || err != nil || tw.off != math.MaxUint32 {
		t.Errorf("3 bytes at %d: at %d, %v, next %d", uint64(end), at, err, tw.off)
	}
	tw.off = end
	if _, err := tw.write(make([]byte, 4)); err == nil || err.Error() != "input: GeoTIFF over 4 GiB" || tw.off != end {
		t.Errorf("4 bytes at %d: %v, next %d", uint64(end), err, tw.off)
	}
	if want := (offsetsAt{{10, 3}, {end, 3}}); !slices.Equal(o, want) {
		t.Errorf("written %v, want %v", o, want)
	}
}

// TestLZWEncodeByHand: the encoder's exact bytes for short inputs, its codes traced by hand
// (9 bits each, most significant bit first, the last byte padded with zeros): "ABABABA" is
// Clear, A, B, 258 (AB), 260 (ABA), EOI — the table learns AB, BA, ABA on the way; "\x00\x01\x00\x01"
// is Clear, 0, 1, 258, EOI; "ABCDEF" is 8 codes, 72 bits, 9 bytes with no padding byte; nothing
// is Clear, EOI.
func TestLZWEncodeByHand(t *testing.T) {
	var e lzwEncoder
	for _, c := range []struct {
		src  string
		want []byte
	}{
		{"ABABABA", []byte{0x80, 0x10, 0x48, 0x50, 0x28, 0x24, 0x04}},
		{"\x00\x01\x00\x01", []byte{0x80, 0x00, 0x00, 0x30, 0x28, 0x08}},
		{"ABCDEF", []byte{0x80, 0x10, 0x48, 0x44, 0x32, 0x21, 0x14, 0x8d, 0x01}},
		{"", []byte{0x80, 0x40, 0x40}},
	} {
		if got := e.encode([]byte(c.src)); !bytes.Equal(got, c.want) {
			t.Errorf("%q: % x, want % x", c.src, got, c.want)
		}
	}
}

// TestGeoTIFFWriterValuesReadBack: what WriteGeoTIFF writes reads back as the values given,
// pixel by pixel (no data as NaN), for every sample type, strips and tiles (edge tiles
// partly outside the image), each compression, with and without the predictor.
// TestGeoTIFFWriterReadByGDAL compares the reader with GDAL on the same file, so a writer that
// put the wrong pixels in a block, consistently, passed it.
func TestGeoTIFFWriterValuesReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for n, spec := range []GeoTIFFSpec{
		{Sample: "float32", Compression: "lzw", TileSize: 32},
		{Sample: "float32", Compression: "deflate", RowsPerStrip: 7},
		{Sample: "float64", Compression: "none", TileSize: 16},
		{Sample: "float64", Compression: "lzw"},
		{Sample: "uint16", Compression: "deflate", Predictor: 2},
		{Sample: "uint16", Compression: "lzw", Predictor: 2, TileSize: 16},
		{Sample: "int16", Compression: "lzw", RowsPerStrip: 1},
		{Sample: "int32", Compression: "deflate", Predictor: 2, TileSize: 48},
		{Sample: "uint8", Compression: "lzw", Predictor: 2},
		{Sample: "uint8", Compression: "none", TileSize: 16, Predictor: 2},
	} {
		integer := spec.Sample != "float32" && spec.Sample != "float64"
		g := newTestGrid(rng, 50+rng.IntN(60), 30+rng.IntN(40), 250, integer)
		noData := 255.0
		spec.West, spec.North, spec.DLon, spec.DLat, spec.NX, spec.NY, spec.NoData = g.West, g.North, g.Cell, g.Cell, g.NX, g.NY, &noData
		b, _ := encodeByHand(t, spec, func(x, y int) float64 {
			if v := g.Values[y*g.NX+x]; !math.IsNaN(v) {
				return v
			}
			return noData
		})
		r, _, err := ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), g.bound())
		if err != nil {
			t.Fatalf("%d %+v: %v", n, spec, err)
		}
		if r.NX != g.NX || r.NY != g.NY {
			t.Fatalf("%d: read %d × %d, wrote %d × %d", n, r.NX, r.NY, g.NX, g.NY)
		}
		for k, v := range g.Values {
			if got := float64(r.People[k]); math.IsNaN(got) != math.IsNaN(v) || !math.IsNaN(v) && got != v {
				t.Fatalf("%d (%s %s predictor %d tile %d): pixel (%d, %d) = %v, want %v", n, spec.Sample, spec.Compression, spec.Predictor, spec.TileSize, k%g.NX, k/g.NX, got, v)
			}
		}
	}
}
