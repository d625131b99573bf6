package input

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
