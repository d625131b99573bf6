package input

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"golang.org/x/image/tiff/lzw"

	"phusong/data"
	"phusong/data/population"
)

// TIFF and GeoTIFF tags the reader and the writer use (TIFF 6.0, BigTIFF, OGC GeoTIFF 1.1,
// GDAL's private tags).
const (
	tagImageWidth          = 256
	tagImageLength         = 257
	tagBitsPerSample       = 258
	tagCompression         = 259
	tagPhotometric         = 262
	tagImageDescription    = 270
	tagStripOffsets        = 273
	tagSamplesPerPixel     = 277
	tagRowsPerStrip        = 278
	tagStripByteCounts     = 279
	tagPlanarConfig        = 284
	tagPredictor           = 317
	tagTileWidth           = 322
	tagTileLength          = 323
	tagTileOffsets         = 324
	tagTileByteCounts      = 325
	tagSampleFormat        = 339
	tagModelPixelScale     = 33550
	tagModelTiepoint       = 33922
	tagModelTransformation = 34264
	tagGeoKeyDirectory     = 34735
	tagGeoDoubleParams     = 34736
	tagGeoASCIIParams      = 34737
	tagGDALMetadata        = 42112
	tagGDALNoData          = 42113
)

// tagNames name the tags in errors.
var tagNames = map[uint16]string{
	tagImageWidth: "ImageWidth", tagImageLength: "ImageLength", tagBitsPerSample: "BitsPerSample",
	tagCompression: "Compression", tagStripOffsets: "StripOffsets", tagSamplesPerPixel: "SamplesPerPixel",
	tagRowsPerStrip: "RowsPerStrip", tagStripByteCounts: "StripByteCounts", tagPlanarConfig: "PlanarConfiguration",
	tagPredictor: "Predictor", tagTileWidth: "TileWidth", tagTileLength: "TileLength", tagTileOffsets: "TileOffsets",
	tagTileByteCounts: "TileByteCounts", tagSampleFormat: "SampleFormat", tagModelPixelScale: "ModelPixelScale",
	tagModelTiepoint: "ModelTiepoint", tagModelTransformation: "ModelTransformation",
	tagGeoKeyDirectory: "GeoKeyDirectory", tagGDALNoData: "GDAL_NODATA",
}

// GeoKeys the reader checks (GeoTIFF 1.1 §7).
const (
	keyModelType      = 1024 // 1 projected, 2 geographic, 3 geocentric
	keyRasterType     = 1025 // 1 PixelIsArea, 2 PixelIsPoint
	keyGeographicType = 2048 // EPSG code of the geographic CRS
	keyGeodeticDatum  = 2050
	keyAngularUnits   = 2054
	keyProjectedType  = 3072 // EPSG code of the projected CRS
	epsgWGS84         = 4326
	datumWGS84        = 6326
	unitDegree        = 9102
	userDefined       = 32767
)

// TIFF compressions the reader reads, and names of some it does not.
const (
	compressionNone       = 1
	compressionLZW        = 5
	compressionDeflate    = 8
	compressionDeflateOld = 32946
)

var compressionNames = map[uint64]string{2: "CCITT RLE", 3: "CCITT G3", 4: "CCITT G4", 6: "old JPEG", 7: "JPEG",
	32773: "PackBits", 34887: "LERC", 34925: "LZMA", 50000: "ZSTD", 50001: "WebP", 50002: "JPEG XL"}

// maxTagBytes bounds the bytes of one tag's value; maxWindowCells the cells of the window read;
// maxBlockBytes the decompressed bytes of one tile, and of one row of a strip.
const (
	maxTagBytes    = 256 << 20
	maxWindowCells = 1 << 26
	maxBlockBytes  = 256 << 20
)

// PopulationPadDeg is how far beyond the communes' lon/lat bound the population readers keep
// data: a raster cell or a point just outside the bound may still put people on a border cell.
const PopulationPadDeg = 0.01

// tiffField is one IFD entry: its type, count and value bytes (in the file's byte order).
type tiffField struct {
	typ   uint16
	count uint64
	raw   []byte
}

// tiffTypeSize is the size in bytes of one value of each TIFF field type (0: unknown).
var tiffTypeSize = [...]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}

// tiffFile is an opened TIFF: the byte order, the format (classic or BigTIFF) and the fields of
// its first image.
type tiffFile struct {
	r      io.ReaderAt
	size   int64
	bo     binary.ByteOrder
	big    bool
	fields map[uint16]tiffField
}

// tiffErr is a refusal of a TIFF file, naming the tag (or "" for the file as a whole).
func tiffErr(tag uint16, format string, args ...any) data.ParseErrors {
	return data.ParseErrors{{Field: tagNames[tag], Msg: fmt.Sprintf(format, args...)}}
}

// openTIFF reads the header and the first image file directory of r (size bytes).
func openTIFF(r io.ReaderAt, size int64) (*tiffFile, error) {
	var head [16]byte
	if n, err := r.ReadAt(head[:], 0); n < 8 {
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("data: reading TIFF header: %w", err)
		}
		return nil, tiffErr(0, "not a TIFF file (%d bytes)", size)
	}
	t := &tiffFile{r: r, size: size, fields: map[uint16]tiffField{}}
	switch string(head[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil, tiffErr(0, "not a TIFF file (it starts with % X)", head[:4])
	}
	var ifd uint64
	switch t.bo.Uint16(head[2:]) {
	case 42:
		ifd = uint64(t.bo.Uint32(head[4:]))
	case 43:
		t.big = true
		if t.bo.Uint16(head[4:]) != 8 {
			return nil, tiffErr(0, "BigTIFF with %d-byte offsets", t.bo.Uint16(head[4:]))
		}
		ifd = t.bo.Uint64(head[8:])
	default:
		return nil, tiffErr(0, "not a TIFF file (version %d)", t.bo.Uint16(head[2:]))
	}
	return t, t.readIFD(ifd)
}

// readIFD reads the entries of the directory at off.
func (t *tiffFile) readIFD(off uint64) error {
	countSize, entrySize, inline := 2, 12, 4
	if t.big {
		countSize, entrySize, inline = 8, 20, 8
	}
	buf, err := t.bytesAt(off, uint64(countSize))
	if err != nil {
		return err
	}
	n := uint64(t.bo.Uint16(buf))
	if t.big {
		n = t.bo.Uint64(buf)
	}
	if n == 0 || n > 4096 {
		return tiffErr(0, "image directory of %d entries", n)
	}
	entries, err := t.bytesAt(off+uint64(countSize), n*uint64(entrySize))
	if err != nil {
		return err
	}
	for e := range n {
		b := entries[e*uint64(entrySize):]
		tag, typ := t.bo.Uint16(b), t.bo.Uint16(b[2:])
		var count uint64
		var val []byte
		if t.big {
			count, val = t.bo.Uint64(b[4:]), b[12:20]
		} else {
			count, val = uint64(t.bo.Uint32(b[4:])), b[8:12]
		}
		if int(typ) >= len(tiffTypeSize) || tiffTypeSize[typ] == 0 {
			continue // a type this reader does not know: not one of its tags
		}
		size := uint64(tiffTypeSize[typ])
		if count > maxTagBytes/size {
			return tiffErr(tag, "tag %d holds %d values", tag, count)
		}
		f := tiffField{typ: typ, count: count}
		if count*size <= uint64(inline) {
			f.raw = val[:count*size]
		} else {
			at := uint64(t.bo.Uint32(val))
			if t.big {
				at = t.bo.Uint64(val)
			}
			if f.raw, err = t.bytesAt(at, count*size); err != nil {
				return err
			}
		}
		t.fields[tag] = f
	}
	return nil
}

// bytesAt reads n bytes at off, refusing a range beyond the end of the file.
func (t *tiffFile) bytesAt(off, n uint64) ([]byte, error) {
	if off > uint64(t.size) || n > uint64(t.size)-off {
		return nil, tiffErr(0, "truncated: %d bytes at offset %d of a %d-byte file", n, off, t.size)
	}
	b := make([]byte, n)
	if _, err := t.r.ReadAt(b, int64(off)); err != nil && !(err == io.EOF && n == 0) {
		return nil, fmt.Errorf("data: reading TIFF: %w", err)
	}
	return b, nil
}

// uints returns the values of an integer tag (nil, false when absent).
func (t *tiffFile) uints(tag uint16) ([]uint64, bool, error) {
	f, ok := t.fields[tag]
	if !ok {
		return nil, false, nil
	}
	out := make([]uint64, f.count)
	for i := range out {
		switch f.typ {
		case 1, 7:
			out[i] = uint64(f.raw[i])
		case 3:
			out[i] = uint64(t.bo.Uint16(f.raw[2*i:]))
		case 4, 13:
			out[i] = uint64(t.bo.Uint32(f.raw[4*i:]))
		case 16, 18:
			out[i] = t.bo.Uint64(f.raw[8*i:])
		default:
			return nil, true, tiffErr(tag, "is of TIFF type %d, want an integer type", f.typ)
		}
	}
	return out, true, nil
}

// uint returns the single value of an integer tag, def when absent.
func (t *tiffFile) uint(tag uint16, def uint64) (uint64, error) {
	v, ok, err := t.uints(tag)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return def, nil
	case len(v) == 0:
		return 0, tiffErr(tag, "has no value")
	}
	for _, x := range v[1:] {
		if x != v[0] {
			return 0, tiffErr(tag, "differs between samples (%v)", v)
		}
	}
	return v[0], nil
}

// doubles returns the values of a DOUBLE (or FLOAT) tag (nil when absent).
func (t *tiffFile) doubles(tag uint16) ([]float64, error) {
	f, ok := t.fields[tag]
	if !ok {
		return nil, nil
	}
	out := make([]float64, f.count)
	for i := range out {
		switch f.typ {
		case 12:
			out[i] = math.Float64frombits(t.bo.Uint64(f.raw[8*i:]))
		case 11:
			out[i] = float64(math.Float32frombits(t.bo.Uint32(f.raw[4*i:])))
		default:
			return nil, tiffErr(tag, "is of TIFF type %d, want DOUBLE", f.typ)
		}
	}
	return out, nil
}

// ascii returns an ASCII tag's text without its terminating NULs ("" when absent).
func (t *tiffFile) ascii(tag uint16) string {
	f, ok := t.fields[tag]
	if !ok || f.typ != 2 {
		return ""
	}
	return strings.TrimRight(string(f.raw), "\x00")
}

// geoRaster is the layout of a single-band GeoTIFF in EPSG:4326.
type geoRaster struct {
	width, height  int
	bits, format   int // bits per sample; SampleFormat: 1 unsigned, 2 signed, 3 float
	compression    uint64
	predictor      uint64
	blockW, blockH int // tile size, or width × rows per strip
	tiled          bool
	offsets        []uint64
	counts         []uint64
	west, north    float64 // degrees: the north-west corner of pixel (0, 0)
	dLon, dLat     float64 // degrees per pixel, both > 0
	noData         float64 // NaN when the file gives none
	hasNoData      bool
	note           string // GDAL metadata item phusong_note (synthetic data)
}

// parseGeoRaster checks the layout, the sample format and the georeferencing of t.
func parseGeoRaster(t *tiffFile) (*geoRaster, error) {
	g := &geoRaster{noData: math.NaN()}
	w, err := t.uint(tagImageWidth, 0)
	if err != nil {
		return nil, err
	}
	h, err := t.uint(tagImageLength, 0)
	if err != nil {
		return nil, err
	}
	if w == 0 || h == 0 || w > 1<<31 || h > 1<<31 {
		return nil, tiffErr(tagImageWidth, "image of %d × %d pixels", w, h)
	}
	g.width, g.height = int(w), int(h)
	spp, err := t.uint(tagSamplesPerPixel, 1)
	if err != nil {
		return nil, err
	}
	if spp != 1 {
		return nil, tiffErr(tagSamplesPerPixel, "%d bands: a population raster has one band of people per cell (pick one with gdal_translate -b N)", spp)
	}
	bits, err := t.uint(tagBitsPerSample, 1)
	if err != nil {
		return nil, err
	}
	format, err := t.uint(tagSampleFormat, 1)
	if err != nil {
		return nil, err
	}
	g.bits, g.format = int(bits), int(format)
	switch {
	case (format == 1 || format == 2) && (bits == 8 || bits == 16 || bits == 32),
		format == 3 && (bits == 32 || bits == 64):
	default:
		kind := map[uint64]string{1: "unsigned integer", 2: "signed integer", 3: "floating point", 4: "untyped",
			5: "complex integer", 6: "complex floating point"}[format]
		return nil, tiffErr(tagSampleFormat, "unsupported sample format: %d-bit %s (want 8/16/32-bit integers or 32/64-bit floats)",
			bits, cmp.Or(kind, "format "+strconv.FormatUint(format, 10)))
	}
	if g.compression, err = t.uint(tagCompression, compressionNone); err != nil {
		return nil, err
	}
	switch g.compression {
	case compressionNone, compressionLZW, compressionDeflate, compressionDeflateOld:
	default:
		return nil, tiffErr(tagCompression, "unsupported compression %d (%s): phusong reads uncompressed, LZW or Deflate rasters "+
			"(gdal_translate -co COMPRESS=DEFLATE)", g.compression, cmp.Or(compressionNames[g.compression], "unknown"))
	}
	if g.predictor, err = t.uint(tagPredictor, 1); err != nil {
		return nil, err
	}
	if !(g.predictor == 1 || g.predictor == 2 || g.predictor == 3 && format == 3) {
		return nil, tiffErr(tagPredictor, "unsupported predictor %d for %d-bit samples of format %d", g.predictor, bits, format)
	}
	if err := g.parseBlocks(t); err != nil {
		return nil, err
	}
	if err := g.parseGeoreferencing(t); err != nil {
		return nil, err
	}
	if s := strings.TrimSpace(t.ascii(tagGDALNoData)); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, tiffErr(tagGDALNoData, "%q is not a number", s)
		}
		g.noData, g.hasNoData = v, true
	}
	g.note = gdalMetadataItem(t.ascii(tagGDALMetadata), "phusong_note")
	return g, nil
}

// parseBlocks reads the strip or tile layout.
func (g *geoRaster) parseBlocks(t *tiffFile) error {
	var offTag, cntTag uint16
	if _, ok := t.fields[tagTileWidth]; ok {
		tw, err := t.uint(tagTileWidth, 0)
		if err != nil {
			return err
		}
		tl, err := t.uint(tagTileLength, 0)
		if err != nil {
			return err
		}
		if tw == 0 || tl == 0 || tw*tl*uint64(g.bits/8) > maxBlockBytes {
			return tiffErr(tagTileWidth, "tiles of %d × %d pixels", tw, tl)
		}
		g.tiled, g.blockW, g.blockH = true, int(tw), int(tl)
		offTag, cntTag = tagTileOffsets, tagTileByteCounts
	} else {
		rps, err := t.uint(tagRowsPerStrip, uint64(g.height))
		if err != nil {
			return err
		}
		// A strip is decoded a row at a time, and a row spans the image: bound it as a tile.
		if rowBytes := uint64(g.width) * uint64(g.bits/8); rowBytes > maxBlockBytes {
			return tiffErr(tagImageWidth, "strips of %d pixels a row, %d bytes, more than %d: write the raster in tiles (gdal_translate -co TILED=YES)",
				g.width, rowBytes, maxBlockBytes)
		}
		g.blockW, g.blockH = g.width, int(min(max(rps, 1), uint64(g.height)))
		offTag, cntTag = tagStripOffsets, tagStripByteCounts
	}
	nx := (g.width + g.blockW - 1) / g.blockW
	ny := (g.height + g.blockH - 1) / g.blockH
	var ok bool
	var err error
	if g.offsets, ok, err = t.uints(offTag); err != nil {
		return err
	} else if !ok || len(g.offsets) != nx*ny {
		return tiffErr(offTag, "%d offsets for %d blocks", len(g.offsets), nx*ny)
	}
	if g.counts, ok, err = t.uints(cntTag); err != nil {
		return err
	} else if !ok || len(g.counts) != nx*ny {
		return tiffErr(cntTag, "%d byte counts for %d blocks", len(g.counts), nx*ny)
	}
	for b := range g.offsets {
		if g.offsets[b] > uint64(t.size) || g.counts[b] > uint64(t.size)-g.offsets[b] {
			return tiffErr(offTag, "block %d (%d bytes at offset %d) lies beyond the end of the %d-byte file", b, g.counts[b], g.offsets[b], t.size)
		}
	}
	return nil
}

// parseGeoreferencing reads the pixel-to-lon/lat transform and checks the CRS is WGS84 lon/lat.
func (g *geoRaster) parseGeoreferencing(t *tiffFile) error {
	keys, err := geoKeys(t)
	if err != nil {
		return err
	}
	model, hasModel := keys[keyModelType]
	proj, hasProj := keys[keyProjectedType]
	switch {
	case model == 1 || (!hasModel && hasProj):
		what := "a projected CRS"
		if hasProj && proj != userDefined {
			what = fmt.Sprintf("projected CRS EPSG:%d", proj)
		}
		return tiffErr(tagGeoKeyDirectory, "%s: phusong reads lon/lat rasters in EPSG:4326 (WGS 84); reproject with gdalwarp -t_srs EPSG:4326", what)
	case model == 3:
		return tiffErr(tagGeoKeyDirectory, "geocentric CRS: phusong reads lon/lat rasters in EPSG:4326 (WGS 84)")
	case model != 2 && !hasModel && keys[keyGeographicType] == 0:
		return tiffErr(tagGeoKeyDirectory, "no coordinate reference system (no GTModelTypeGeoKey)")
	case model != 2 && hasModel:
		return tiffErr(tagGeoKeyDirectory, "unknown model type %d", model)
	}
	switch geog := keys[keyGeographicType]; {
	case geog == epsgWGS84:
	case (geog == 0 || geog == userDefined) && (keys[keyGeodeticDatum] == datumWGS84 || keys[keyGeodeticDatum] == 0):
	default:
		what := fmt.Sprintf("EPSG:%d", geog)
		if geog == userDefined || geog == 0 {
			what = fmt.Sprintf("datum EPSG:%d", keys[keyGeodeticDatum])
		}
		return tiffErr(tagGeoKeyDirectory, "geographic CRS %s, not WGS 84 (EPSG:4326): reproject with gdalwarp -t_srs EPSG:4326", what)
	}
	if u, ok := keys[keyAngularUnits]; ok && u != unitDegree {
		return tiffErr(tagGeoKeyDirectory, "angular unit EPSG:%d, want degrees (9102)", u)
	}
	tr, err := t.doubles(tagModelTransformation)
	if err != nil {
		return err
	}
	scale, err := t.doubles(tagModelPixelScale)
	if err != nil {
		return err
	}
	tie, err := t.doubles(tagModelTiepoint)
	if err != nil {
		return err
	}
	switch {
	case len(tr) == 16:
		if tr[1] != 0 || tr[4] != 0 {
			return tiffErr(tagModelTransformation, "rotated or sheared raster: warp it north-up (gdalwarp)")
		}
		g.dLon, g.dLat, g.west, g.north = tr[0], -tr[5], tr[3], tr[7]
	case len(scale) >= 2 && len(tie) >= 6:
		g.dLon, g.dLat = scale[0], scale[1]
		g.west, g.north = tie[3]-tie[0]*scale[0], tie[4]+tie[1]*scale[1]
	default:
		return tiffErr(tagModelPixelScale, "no georeferencing: the file has neither ModelPixelScale and ModelTiepoint nor ModelTransformation")
	}
	if !(g.dLon > 0 && g.dLat > 0) || math.IsInf(g.dLon+g.dLat+g.west+g.north, 0) || math.IsNaN(g.west+g.north) {
		return tiffErr(tagModelPixelScale, "pixels of %g × %g degrees from (%g, %g): want a north-up raster", g.dLon, -g.dLat, g.west, g.north)
	}
	if keys[keyRasterType] == 2 { // PixelIsPoint: the tie point is the pixel's centre
		g.west -= g.dLon / 2
		g.north += g.dLat / 2
	}
	return nil
}

// geoKeys returns the SHORT-valued GeoKeys of the GeoKeyDirectory (values held elsewhere are
// left out).
func geoKeys(t *tiffFile) (map[uint16]uint16, error) {
	dir, ok, err := t.uints(tagGeoKeyDirectory)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, tiffErr(tagGeoKeyDirectory, "missing: no georeferencing or coordinate reference system (is this a GeoTIFF?)")
	case len(dir) < 4 || uint64(len(dir)) < 4+4*dir[3]:
		return nil, tiffErr(tagGeoKeyDirectory, "truncated (%d values)", len(dir))
	}
	keys := map[uint16]uint16{}
	for k := range dir[3] {
		e := dir[4+4*k : 8+4*k]
		if e[1] == 0 {
			keys[uint16(e[0])] = uint16(e[3])
		}
	}
	return keys, nil
}

// gdalMetadataItem returns the text of <Item name="name"> in GDAL's metadata XML ("" when
// absent or malformed).
func gdalMetadataItem(doc, name string) string {
	var md struct {
		Items []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"Item"`
	}
	if doc == "" || xml.Unmarshal([]byte(doc), &md) != nil {
		return ""
	}
	for _, it := range md.Items {
		if it.Name == name {
			return it.Value
		}
	}
	return ""
}

// ReadPopulationGeoTIFF reads the window of a single-band GeoTIFF population raster that
// covers area (lon/lat degrees; the communes' bound) padded by PopulationPadDeg and one pixel:
// only the strips or tiles meeting the window are read, one at a time, so a national raster is
// never loaded whole. r holds size bytes.
//
// Accepted, as WorldPop and GHSL publish them and GDAL writes them: classic TIFF or BigTIFF,
// either byte order; one band of 8/16/32-bit integers or 32/64-bit floats; striped or tiled;
// uncompressed, LZW or Deflate, with no predictor, horizontal differencing (2) or the floating
// point predictor (3); EPSG:4326 georeferencing from ModelPixelScale + ModelTiepoint or a
// north-up ModelTransformation (PixelIsArea or PixelIsPoint). The value of GDAL_NODATA and NaN
// read as no data (NaN in the result; no people).
//
// Refused, as data.ParseErrors naming the tag: a projected or non-WGS84 CRS, no georeferencing,
// more than one band, another compression or sample format; tiles, or rows of a strip, over
// 256 MiB; a raster that does not overlap area; a negative or infinite value in the window
// (naming its pixel and position).
func ReadPopulationGeoTIFF(r io.ReaderAt, size int64, area orb.Bound) (*population.Raster, string, error) {
	t, err := openTIFF(r, size)
	if err != nil {
		return nil, "", err
	}
	g, err := parseGeoRaster(t)
	if err != nil {
		return nil, "", err
	}
	c0, r0, c1, r1, err := g.window(area)
	if err != nil {
		return nil, "", err
	}
	out := &population.Raster{West: g.west + float64(c0)*g.dLon, North: g.north - float64(r0)*g.dLat,
		DLon: g.dLon, DLat: g.dLat, NX: c1 - c0, NY: r1 - r0}
	out.People = make([]float32, out.NX*out.NY)
	if err := g.readWindow(t, c0, r0, c1, r1, out.People); err != nil {
		return nil, "", err
	}
	return out, g.note, nil
}

// window returns the pixel window [c0, c1) × [r0, r1) covering area, padded.
func (g *geoRaster) window(area orb.Bound) (c0, r0, c1, r1 int, err error) {
	pad := PopulationPadDeg
	fc0 := math.Floor((area.Min[0]-pad-g.west)/g.dLon) - 1
	fc1 := math.Ceil((area.Max[0]+pad-g.west)/g.dLon) + 1
	fr0 := math.Floor((g.north-area.Max[1]-pad)/g.dLat) - 1
	fr1 := math.Ceil((g.north-area.Min[1]+pad)/g.dLat) + 1
	clamp := func(v float64, n int) int { return int(math.Max(0, math.Min(float64(n), v))) }
	c0, c1 = clamp(fc0, g.width), clamp(fc1, g.width)
	r0, r1 = clamp(fr0, g.height), clamp(fr1, g.height)
	if c0 >= c1 || r0 >= r1 || !(area.Min[0] <= area.Max[0]) {
		return 0, 0, 0, 0, tiffErr(0, "the raster (lon %.4f…%.4f, lat %.4f…%.4f) does not overlap the communes (lon %.4f…%.4f, lat %.4f…%.4f)",
			g.west, g.west+float64(g.width)*g.dLon, g.north-float64(g.height)*g.dLat, g.north,
			area.Min[0], area.Max[0], area.Min[1], area.Max[1])
	}
	if (c1-c0)*(r1-r0) > maxWindowCells {
		return 0, 0, 0, 0, tiffErr(0, "the window over the communes holds %d × %d pixels: use a coarser raster", c1-c0, r1-r0)
	}
	return c0, r0, c1, r1, nil
}

// readWindow decodes the blocks meeting the window [c0, c1) × [r0, r1) into dst (row-major,
// NaN for no data), block by block and row by row within a block.
func (g *geoRaster) readWindow(t *tiffFile, c0, r0, c1, r1 int, dst []float32) error {
	bps := g.bits / 8
	row := make([]byte, g.blockW*bps)
	nbx := (g.width + g.blockW - 1) / g.blockW
	var br *bufio.Reader
	for by := r0 / g.blockH; by <= (r1-1)/g.blockH; by++ {
		for bx := c0 / g.blockW; bx <= (c1-1)/g.blockW; bx++ {
			b := by*nbx + bx
			y0, x0 := by*g.blockH, bx*g.blockW
			rows := min(g.blockH, g.height-y0) // rows of the image in this block
			last := min(r1, y0+rows) - y0      // rows of the block to decode
			if g.counts[b] == 0 {              // a sparse block (GDAL SPARSE_OK): no data
				for y := max(r0, y0); y < y0+last; y++ {
					for x := max(c0, x0); x < min(c1, x0+g.blockW); x++ {
						dst[(y-r0)*(c1-c0)+x-c0] = float32(math.NaN())
					}
				}
				continue
			}
			rd, err := g.blockReader(t, b)
			if err != nil {
				return err
			}
			if br == nil {
				br = bufio.NewReaderSize(rd, 64<<10)
			} else {
				br.Reset(rd)
			}
			for y := range last {
				if _, err := io.ReadFull(br, row); err != nil {
					return tiffErr(0, "block %d: row %d of %d: %v", b, y+1, rows, blockError(err))
				}
				g.unpredict(row, t.bo)
				if y0+y < r0 {
					continue
				}
				for x := max(c0, x0); x < min(c1, x0+g.blockW); x++ {
					v, err := g.sample(row, x-x0, t.bo)
					if err != nil {
						return tiffErr(0, "pixel (column %d, row %d) at lon %.6f, lat %.6f: %v", x, y0+y,
							g.west+(float64(x)+0.5)*g.dLon, g.north-(float64(y0+y)+0.5)*g.dLat, err)
					}
					dst[(y0+y-r0)*(c1-c0)+x-c0] = v
				}
			}
			if c, ok := rd.(io.Closer); ok {
				c.Close()
			}
		}
	}
	return nil
}

// blockError words a decompression error.
func blockError(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "the compressed data ends early"
	}
	return err.Error()
}

// blockReader returns the decompressed bytes of block b as a stream.
func (g *geoRaster) blockReader(t *tiffFile, b int) (io.Reader, error) {
	sec := io.NewSectionReader(t.r, int64(g.offsets[b]), int64(g.counts[b]))
	switch g.compression {
	case compressionLZW:
		return lzw.NewReader(bufio.NewReader(sec), lzw.MSB, 8), nil
	case compressionDeflate, compressionDeflateOld:
		z, err := zlib.NewReader(bufio.NewReader(sec))
		if err != nil {
			return nil, tiffErr(tagCompression, "block %d: Deflate stream: %v", b, err)
		}
		return z, nil
	}
	return sec, nil
}

// unpredict undoes the predictor on one decoded row of a block (blockW samples).
func (g *geoRaster) unpredict(row []byte, bo binary.ByteOrder) {
	bps := g.bits / 8
	switch g.predictor {
	case 2: // horizontal differencing of the samples as unsigned integers of their width
		switch bps {
		case 1:
			for i := 1; i < len(row); i++ {
				row[i] += row[i-1]
			}
		case 2:
			for i := 2; i < len(row); i += 2 {
				bo.PutUint16(row[i:], bo.Uint16(row[i:])+bo.Uint16(row[i-2:]))
			}
		case 4:
			for i := 4; i < len(row); i += 4 {
				bo.PutUint32(row[i:], bo.Uint32(row[i:])+bo.Uint32(row[i-4:]))
			}
		case 8:
			for i := 8; i < len(row); i += 8 {
				bo.PutUint64(row[i:], bo.Uint64(row[i:])+bo.Uint64(row[i-8:]))
			}
		}
	case 3: // floating point: bytes differenced along the row, then planes of bytes, most significant first
		for i := 1; i < len(row); i++ {
			row[i] += row[i-1]
		}
		n := len(row) / bps
		tmp := bytes.Clone(row)
		for k := range n {
			for b := range bps {
				pos := b // byte b of the value, most significant first
				if bo == binary.LittleEndian {
					pos = bps - 1 - b
				}
				row[k*bps+pos] = tmp[b*n+k]
			}
		}
	}
}

// sample returns pixel x of a decoded row as people: NaN for no data, an error for a negative
// or infinite value.
func (g *geoRaster) sample(row []byte, x int, bo binary.ByteOrder) (float32, error) {
	var v float64
	p := row[x*g.bits/8:]
	switch {
	case g.format == 3 && g.bits == 32:
		f := math.Float32frombits(bo.Uint32(p))
		if g.hasNoData && f == float32(g.noData) {
			return float32(math.NaN()), nil
		}
		v = float64(f)
	case g.format == 3:
		v = math.Float64frombits(bo.Uint64(p))
	case g.format == 1 && g.bits == 8:
		v = float64(p[0])
	case g.format == 1 && g.bits == 16:
		v = float64(bo.Uint16(p))
	case g.format == 1:
		v = float64(bo.Uint32(p))
	case g.bits == 8:
		v = float64(int8(p[0]))
	case g.bits == 16:
		v = float64(int16(bo.Uint16(p)))
	default:
		v = float64(int32(bo.Uint32(p)))
	}
	switch {
	case math.IsNaN(v) || g.hasNoData && v == g.noData:
		return float32(math.NaN()), nil
	case v < 0:
		return 0, fmt.Errorf("negative population %g (and not the no-data value %s)", v, noDataText(g))
	case math.IsInf(v, 0) || v > math.MaxFloat32:
		return 0, fmt.Errorf("population %g is not a finite count", v)
	}
	return float32(v), nil
}

// noDataText is the no-data value as the error names it.
func noDataText(g *geoRaster) string {
	if !g.hasNoData {
		return "none set"
	}
	return strconv.FormatFloat(g.noData, 'g', -1, 64)
}
