package input

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestGeoTIFFStripRowBound: a strip is read a row at a time and its row spans the whole image,
// so the image's width bounds the reader's memory as a tile's size does. A header claiming
// 2²⁶ + 1 float32 columns (a row of 256 MiB + 4 bytes) in strips is refused before anything is
// allocated; 2²⁶ columns (exactly maxBlockBytes a row) pass the header's checks, and so does the
// same width in 1-byte samples. Before this bound a hand-made header of 2³¹ columns made the
// reader allocate an 8 GiB row for a window of a few pixels.
func TestGeoTIFFStripRowBound(t *testing.T) {
	for _, c := range []struct {
		name       string
		nx, bits   int
		format     int
		wantRefuse bool
	}{
		{"2²⁶ float32 columns", 1 << 26, 32, 3, false},
		{"2²⁶ + 1 float32 columns", 1<<26 + 1, 32, 3, true},
		{"2²⁸ uint8 columns", 1 << 28, 8, 1, false},
		{"2²⁸ + 1 uint8 columns", 1<<28 + 1, 8, 1, true},
		{"2³¹ float64 columns", 1 << 31, 64, 3, true},
	} {
		h := geoTIFF4326(binary.LittleEndian, false, c.nx, 1, c.bits, c.format)
		h.blocks = [][]byte{make([]byte, c.bits/8)} // one strip, cut short: only the header is read here
		b := h.bytes()
		tf, err := openTIFF(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		g, err := parseGeoRaster(tf)
		if !c.wantRefuse {
			if err != nil {
				t.Errorf("%s: %v, want accepted", c.name, err)
			} else if g.blockW != c.nx || g.blockH != 1 {
				t.Errorf("%s: strips of %d × %d, want %d × 1", c.name, g.blockW, g.blockH, c.nx)
			}
			continue
		}
		want := fmt.Sprintf("ImageWidth: strips of %d pixels a row, %d bytes, more than 268435456", c.nx, c.nx*c.bits/8)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", c.name, err, want)
		}
		if _, _, err := readHand(h); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: reading: %v, want %q", c.name, err, want)
		}
	}
}

// northUp is onePixel georeferenced by a north-up ModelTransformation only: pixels of dLon × dLat
// degrees from the corner (west, north).
func northUp(dLon, dLat, west, north float64) handTIFF {
	h := onePixel()
	delete(h.doubles, tagModelPixelScale)
	delete(h.doubles, tagModelTiepoint)
	h.doubles[tagModelTransformation] = []float64{dLon, 0, 0, west, 0, -dLat, 0, north, 0, 0, 0, 0, 0, 0, 0, 1}
	return h
}

// TestGeoTIFFGeoreferencingRefused: the pixel size must be positive and the origin finite, one
// clause at a time, each file refused with its values in the message. ModelTransformation
// gives the four numbers independently (ModelTiepoint's pixel (0, 0) × an infinite scale is NaN,
// which the NaN clause alone would refuse), so that each infinity reaches the sum that must stay
// infinite: +Inf + +Inf, not +Inf − +Inf (NaN, which IsInf does not call infinite).
func TestGeoTIFFGeoreferencingRefused(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name                    string
		dLon, dLat, west, north float64
		want                    string
	}{
		{"zero width", 0, 0.01, 106, 10, "pixels of 0 × -0.01 degrees from (106, 10)"},
		{"zero height", 0.01, 0, 106, 10, "pixels of 0.01 × -0 degrees from (106, 10)"},
		{"infinite width and height", inf, inf, 106, 10, "pixels of +Inf × -Inf degrees from (106, 10)"},
		{"infinite height and west", 0.01, inf, inf, 10, "pixels of 0.01 × -Inf degrees from (+Inf, 10)"},
		{"infinite height and north", 0.01, inf, 106, inf, "pixels of 0.01 × -Inf degrees from (106, +Inf)"},
		{"west +Inf, north -Inf", 0.01, 0.01, inf, -inf, "pixels of 0.01 × -0.01 degrees from (+Inf, -Inf)"},
		{"NaN west", 0.01, 0.01, math.NaN(), 10, "pixels of 0.01 × -0.01 degrees from (NaN, 10)"},
	} {
		h := northUp(c.dLon, c.dLat, c.west, c.north)
		want := "ModelPixelScale: " + c.want + ": want a north-up raster"
		if _, _, err := readHand(h); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", c.name, err, want)
		}
	}
	// and the same numbers, finite and positive, are read
	if r, _, err := readHand(northUp(0.01, 0.01, 106, 10)); err != nil || r.West != 106 || r.North != 10 || r.DLon != 0.01 || r.DLat != 0.01 {
		t.Errorf("a finite north-up transformation: %+v, %v", r, err)
	}
}

// TestGeoKeyDirectoryLength: the directory's header (4 values) says how many keys follow, 4
// values each. A header alone (0 keys) is complete, and then names no CRS; a header claiming 2
// keys over one key's values is truncated (4 + 4·2 = 12 values wanted, 8 held).
func TestGeoKeyDirectoryLength(t *testing.T) {
	for _, c := range []struct {
		name string
		dir  []uint64
		want string
	}{
		{"a header of 0 keys", []uint64{1, 1, 0, 0}, "GeoKeyDirectory: no coordinate reference system (no GTModelTypeGeoKey)"},
		{"2 keys claimed, 1 held", []uint64{1, 1, 0, 2, keyModelType, 0, 1, 2}, "GeoKeyDirectory: truncated (8 values)"},
		{"3 keys claimed, 3 held but one value", []uint64{1, 1, 0, 3, keyModelType, 0, 1, 2, keyRasterType, 0, 1, 1, keyGeographicType, 0, 1}, "GeoKeyDirectory: truncated (15 values)"},
	} {
		h := onePixel()
		h.ints[tagGeoKeyDirectory] = handInts{3, c.dir}
		if _, _, err := readHand(h); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
