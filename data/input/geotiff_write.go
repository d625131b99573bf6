package input

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// GeoTIFFSpec describes a single-band GeoTIFF in EPSG:4326 (WGS 84 lon/lat, PixelIsArea) for
// WriteGeoTIFF: the raster ReadPopulationGeoTIFF reads.
type GeoTIFFSpec struct {
	West, North float64 // degrees: the north-west corner of pixel (0, 0)
	DLon, DLat  float64 // degrees per pixel, both > 0
	NX, NY      int
	// Sample is the sample type: "uint8", "uint16", "int16", "int32", "float32" or "float64".
	Sample string
	// Compression is "none", "lzw" or "deflate".
	Compression string
	// Predictor 2 differences samples along rows (integer samples); 1 or 0 is none.
	Predictor int
	// TileSize > 0 writes tiles of TileSize × TileSize pixels (a multiple of 16); 0 writes
	// strips of RowsPerStrip rows (0: about 64 KiB of samples per strip).
	TileSize     int
	RowsPerStrip int
	NoData       *float64 // the GDAL_NODATA value, or nil
	// Note, when not empty, is written as the GDAL metadata item "phusong_note": the mark of
	// synthetic data, which ReadPopulationGeoTIFF returns.
	Note string
}

// sampleTypes maps GeoTIFFSpec.Sample to bits and SampleFormat.
var sampleTypes = map[string][2]int{"uint8": {8, 1}, "uint16": {16, 1}, "int16": {16, 2}, "int32": {32, 2},
	"float32": {32, 3}, "float64": {64, 3}}

// WriteGeoTIFF writes spec's raster as a classic little-endian TIFF at the start of w, block by
// block (strips or tiles, each compressed as it is made, so a large raster need not fit in
// memory): values(x0, y0, nx, ny, dst) fills dst (nx × ny, row-major, rows from the north) with
// the pixels of columns [x0, x0+nx) and rows [y0, y0+ny). Parts of edge tiles beyond the image
// hold the no-data value (0 without one). Integer sample types take values rounded to the
// nearest integer. The file must stay under 4 GiB.
func WriteGeoTIFF(w io.WriterAt, spec GeoTIFFSpec, values func(x0, y0, nx, ny int, dst []float64)) error {
	st, ok := sampleTypes[spec.Sample]
	switch {
	case !ok:
		return fmt.Errorf("input: GeoTIFF sample type %q", spec.Sample)
	case spec.NX <= 0 || spec.NY <= 0 || !(spec.DLon > 0) || !(spec.DLat > 0):
		return fmt.Errorf("input: GeoTIFF of %d × %d pixels of %g × %g°", spec.NX, spec.NY, spec.DLon, spec.DLat)
	case spec.TileSize < 0 || spec.TileSize%16 != 0:
		return fmt.Errorf("input: GeoTIFF tile size %d is not a multiple of 16", spec.TileSize)
	}
	compression := map[string]uint64{"none": compressionNone, "": compressionNone, "lzw": compressionLZW, "deflate": compressionDeflate}
	comp, ok := compression[spec.Compression]
	if !ok {
		return fmt.Errorf("input: GeoTIFF compression %q", spec.Compression)
	}
	bits, format := st[0], st[1]
	bps := bits / 8
	bw, bh := spec.NX, spec.RowsPerStrip
	if spec.TileSize > 0 {
		bw, bh = spec.TileSize, spec.TileSize
	} else if bh <= 0 {
		bh = max(1, (64<<10)/(spec.NX*bps))
	}
	bh = min(bh, spec.NY)
	if spec.TileSize > 0 {
		bh = spec.TileSize
	}
	nbx, nby := (spec.NX+bw-1)/bw, (spec.NY+bh-1)/bh
	fill := 0.0
	if spec.NoData != nil {
		fill = *spec.NoData
	}
	tw := tiffWriter{w: w, off: 8}
	offsets, counts := make([]uint64, 0, nbx*nby), make([]uint64, 0, nbx*nby)
	vals := make([]float64, bw*bh)
	raw := make([]byte, bw*bh*bps)
	var enc lzwEncoder
	var comp0 bytes.Buffer
	for by := range nby {
		for bx := range nbx {
			x0, y0 := bx*bw, by*bh
			nx, ny := min(bw, spec.NX-x0), min(bh, spec.NY-y0)
			rows := bh // a tile is whole; the last strip holds only the rows left
			if spec.TileSize == 0 {
				rows = ny
			}
			for i := range vals {
				vals[i] = fill
			}
			block := vals[:nx*ny]
			values(x0, y0, nx, ny, block)
			if nx < bw { // spread the rows to the block's width
				for y := ny - 1; y >= 0; y-- {
					copy(vals[y*bw:y*bw+nx], block[y*nx:(y+1)*nx])
					for x := nx; x < bw; x++ {
						vals[y*bw+x] = fill
					}
				}
			}
			b := raw[:rows*bw*bps]
			for i, v := range vals[:rows*bw] {
				putSample(b[i*bps:], v, bits, format)
			}
			if spec.Predictor == 2 {
				for y := range rows {
					predictRow(b[y*bw*bps:(y+1)*bw*bps], bps)
				}
			}
			switch comp {
			case compressionLZW:
				b = enc.encode(b)
			case compressionDeflate:
				comp0.Reset()
				z, _ := zlib.NewWriterLevel(&comp0, 6)
				z.Write(b)
				z.Close()
				b = comp0.Bytes()
			}
			off, err := tw.write(b)
			if err != nil {
				return err
			}
			offsets, counts = append(offsets, off), append(counts, uint64(len(b)))
		}
	}
	fields := []ifdField{
		{tagImageWidth, 4, u32s(uint64(spec.NX))},
		{tagImageLength, 4, u32s(uint64(spec.NY))},
		{tagBitsPerSample, 3, u16s(uint64(bits))},
		{tagCompression, 3, u16s(comp)},
		{tagPhotometric, 3, u16s(1)}, // black is zero
		{tagSamplesPerPixel, 3, u16s(1)},
		{tagPlanarConfig, 3, u16s(1)},
		{tagSampleFormat, 3, u16s(uint64(format))},
		{tagModelPixelScale, 12, f64s(spec.DLon, spec.DLat, 0)},
		{tagModelTiepoint, 12, f64s(0, 0, 0, spec.West, spec.North, 0)},
		// GeoKeyDirectory 1.1.0, 4 keys: geographic model, PixelIsArea, EPSG:4326, degrees.
		{tagGeoKeyDirectory, 3, u16s(1, 1, 0, 4, keyModelType, 0, 1, 2, keyRasterType, 0, 1, 1,
			keyGeographicType, 0, 1, epsgWGS84, keyAngularUnits, 0, 1, unitDegree)},
	}
	if spec.Predictor == 2 {
		fields = append(fields, ifdField{tagPredictor, 3, u16s(2)})
	}
	if spec.TileSize > 0 {
		fields = append(fields, ifdField{tagTileWidth, 4, u32s(uint64(bw))}, ifdField{tagTileLength, 4, u32s(uint64(bh))},
			ifdField{tagTileOffsets, 4, u32s(offsets...)}, ifdField{tagTileByteCounts, 4, u32s(counts...)})
	} else {
		fields = append(fields, ifdField{tagRowsPerStrip, 4, u32s(uint64(bh))},
			ifdField{tagStripOffsets, 4, u32s(offsets...)}, ifdField{tagStripByteCounts, 4, u32s(counts...)})
	}
	if spec.NoData != nil {
		fields = append(fields, ifdField{tagGDALNoData, 2, ascii(strconv.FormatFloat(*spec.NoData, 'g', -1, 64))})
	}
	if spec.Note != "" {
		var esc bytes.Buffer
		xml.EscapeText(&esc, []byte(spec.Note))
		fields = append(fields, ifdField{tagGDALMetadata, 2, ascii(`<GDALMetadata><Item name="phusong_note">` + esc.String() + `</Item></GDALMetadata>`)})
	}
	return tw.finish(fields)
}

// putSample writes v into b as one sample of the given bits and SampleFormat, little-endian.
func putSample(b []byte, v float64, bits, format int) {
	le := binary.LittleEndian
	switch {
	case format == 3 && bits == 32:
		le.PutUint32(b, math.Float32bits(float32(v)))
	case format == 3:
		le.PutUint64(b, math.Float64bits(v))
	case bits == 8:
		b[0] = byte(int64(math.Round(v)))
	case bits == 16:
		le.PutUint16(b, uint16(int64(math.Round(v))))
	default:
		le.PutUint32(b, uint32(int64(math.Round(v))))
	}
}

// predictRow replaces each sample of a little-endian row by its difference from the previous one
// (TIFF predictor 2), last to first.
func predictRow(row []byte, bps int) {
	le := binary.LittleEndian
	for i := len(row) - bps; i >= bps; i -= bps {
		switch bps {
		case 1:
			row[i] -= row[i-1]
		case 2:
			le.PutUint16(row[i:], le.Uint16(row[i:])-le.Uint16(row[i-2:]))
		case 4:
			le.PutUint32(row[i:], le.Uint32(row[i:])-le.Uint32(row[i-4:]))
		case 8:
			le.PutUint64(row[i:], le.Uint64(row[i:])-le.Uint64(row[i-8:]))
		}
	}
}

// ifdField is one entry of the directory WriteGeoTIFF writes: tag, TIFF type and value bytes
// (little-endian).
type ifdField struct {
	tag uint16
	typ uint16
	raw []byte
}

func u16s(v ...uint64) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	return b
}

func u32s(v ...uint64) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func f64s(v ...float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

func ascii(s string) []byte { return append([]byte(s), 0) }

// tiffWriter writes a classic TIFF front to back: blocks and values first, the directory
// last, then the header pointing at it.
type tiffWriter struct {
	w   io.WriterAt
	off uint64
}

// write appends b at an even offset and returns that offset.
func (t *tiffWriter) write(b []byte) (uint64, error) {
	t.off += t.off & 1
	if t.off+uint64(len(b)) > math.MaxUint32 {
		return 0, fmt.Errorf("input: GeoTIFF over 4 GiB")
	}
	at := t.off
	if _, err := t.w.WriteAt(b, int64(at)); err != nil {
		return 0, err
	}
	t.off += uint64(len(b))
	return at, nil
}

// finish writes the fields' values that do not fit in an entry, the directory (tags ascending)
// and the header.
func (t *tiffWriter) finish(fields []ifdField) error {
	slices.SortFunc(fields, func(a, b ifdField) int { return int(a.tag) - int(b.tag) })
	entries := make([]byte, 2+12*len(fields)+4)
	le := binary.LittleEndian
	le.PutUint16(entries, uint16(len(fields)))
	for i, f := range fields {
		e := entries[2+12*i:]
		size := tiffTypeSize[f.typ]
		le.PutUint16(e, f.tag)
		le.PutUint16(e[2:], f.typ)
		le.PutUint32(e[4:], uint32(len(f.raw)/size))
		if len(f.raw) <= 4 {
			copy(e[8:12], f.raw)
			continue
		}
		off, err := t.write(f.raw)
		if err != nil {
			return err
		}
		le.PutUint32(e[8:], uint32(off))
	}
	ifd, err := t.write(entries)
	if err != nil {
		return err
	}
	head := []byte{'I', 'I', 42, 0, 0, 0, 0, 0}
	le.PutUint32(head[4:], uint32(ifd))
	_, err = t.w.WriteAt(head, 0)
	return err
}

// lzwEncoder encodes TIFF LZW: 8-bit literals, codes written most significant bit first, code
// 256 clears the table and 257 ends the data, the code width growing from 9 to 12 bits one code
// early (when the next free code reaches 511, 1023, 2047: libtiff's and Aldus's variant), the
// table cleared when the next free code would be 4094. Its hash table is reused between
// blocks.
type lzwEncoder struct {
	keys  [lzwSlots]uint32 // prefix code << 8 | byte, + 1; 0: empty
	codes [lzwSlots]uint16
	out   []byte
}

const (
	lzwSlots   = 1 << 13
	lzwClear   = 256
	lzwEOI     = 257
	lzwFirst   = 258
	lzwMaxCode = 4094
)

// encode returns src LZW-encoded; the bytes are valid until the next call.
func (e *lzwEncoder) encode(src []byte) []byte {
	e.out = e.out[:0]
	var acc uint64
	var nacc, width uint = 0, 9
	put := func(code int) {
		acc = acc<<width | uint64(code)
		nacc += width
		for nacc >= 8 {
			nacc -= 8
			e.out = append(e.out, byte(acc>>nacc))
		}
	}
	reset := func() {
		clear(e.keys[:])
		width = 9
	}
	reset()
	put(lzwClear)
	next := lzwFirst
	// added counts the code just written: the table grows by one, the width follows the
	// decoder's, and a full table is cleared.
	added := func() {
		next++
		if next == lzwMaxCode {
			put(lzwClear)
			reset()
			next = lzwFirst
		} else if next >= 1<<width {
			width++
		}
	}
	if len(src) > 0 {
		ent := int(src[0])
		for _, c := range src[1:] {
			key := uint32(ent)<<8 | uint32(c) + 1
			h := (key * 2654435761) >> (32 - 13)
			for e.keys[h] != 0 && e.keys[h] != key {
				h = (h + 1) & (lzwSlots - 1)
			}
			if e.keys[h] == key {
				ent = int(e.codes[h])
				continue
			}
			put(ent)
			if next+1 < lzwMaxCode { // the entry survives the clear that added may emit
				e.keys[h], e.codes[h] = key, uint16(next)
			}
			added()
			ent = int(c)
		}
		put(ent)
		added()
	}
	put(lzwEOI)
	if nacc > 0 {
		e.out = append(e.out, byte(acc<<(8-nacc)))
	}
	return e.out
}

// EncodeGeoTIFF is WriteGeoTIFF into memory: the file's bytes.
func EncodeGeoTIFF(spec GeoTIFFSpec, values func(x0, y0, nx, ny int, dst []float64)) ([]byte, error) {
	var m memFile
	if err := WriteGeoTIFF(&m, spec, values); err != nil {
		return nil, err
	}
	return m.b, nil
}

// memFile is an io.WriterAt over a growing byte slice.
type memFile struct{ b []byte }

// WriteAt writes p at off, growing the file as needed.
func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}
