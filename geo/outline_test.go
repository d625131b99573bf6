package geo

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// cellsOf parses a picture of cells: '#' in the set, anything else out; the last line is row 0.
func cellsOf(pic string) (w, h int, in func(i, j int) bool) {
	lines := strings.Split(strings.Trim(pic, "\n"), "\n")
	h = len(lines)
	for _, l := range lines {
		w = max(w, len(l))
	}
	return w, h, func(i, j int) bool {
		l := lines[h-1-j]
		return i < len(l) && l[i] == '#'
	}
}

// TestCellOutlinesPictures: named sets drawn as pictures, with the polygons and rings their
// outlines must have.
func TestCellOutlinesPictures(t *testing.T) {
	for _, c := range []struct {
		name          string
		pic           string
		polys, holes  int
		corners       int // vertices over all rings, closing points left out
		perimeterCell int // boundary length in cell sides
	}{
		{"one cell", "#", 1, 0, 4, 4},
		{"bar", "####", 1, 0, 4, 10},
		{"L", "#.\n##", 1, 0, 6, 8},
		// Two cells meeting at a corner: two squares sharing a point.
		{"diagonal", ".#\n#.", 2, 0, 8, 8},
		{"ring with a hole", "###\n#.#\n###", 1, 1, 8, 16},
		// A hole touching its exterior's corner: the hole's ring and the outer ring share a point.
		{"hole at a pinch", "####\n#..#\n#.##\n####", 1, 1, 4 + 6, 16 + 8},
		// Two holes meeting at a corner inside one polygon.
		{"two holes", "####\n#.##\n##.#\n####", 1, 2, 12, 16 + 8},
		{"island in a hole", "#####\n#...#\n#.#.#\n#...#\n#####", 2, 1, 12, 20 + 12 + 4},
	} {
		w, h, in := cellsOf(c.pic)
		g := Grid{X0M: 1000, Y0M: -500, CellM: 10, NX: w + 3, NY: h + 3}
		mp := CellOutlines(g, 0, 0, w, h, in)
		holes, corners, perim := 0, 0, 0.0
		for _, p := range mp {
			holes += len(p) - 1
			for _, r := range p {
				corners += len(r) - 1
				for k := 0; k+1 < len(r); k++ {
					perim += math.Hypot(r[k+1][0]-r[k][0], r[k+1][1]-r[k][1])
				}
			}
		}
		if len(mp) != c.polys || holes != c.holes || corners != c.corners || perim != float64(c.perimeterCell)*g.CellM {
			t.Errorf("%s: %d polygons, %d holes, %d corners, perimeter %g m; want %d, %d, %d, %d cells\n%v", c.name,
				len(mp), holes, corners, perim, c.polys, c.holes, c.corners, c.perimeterCell, mp)
		}
		checkOutlines(t, c.name, g, w, h, in, mp)
	}
}

// checkOutlines checks the outline of a set: exteriors counter-clockwise and holes clockwise,
// closed, each ring without a repeated vertex; the area is cells × CellM²; every cell centre
// is inside the polygons exactly when its cell is in the set.
func checkOutlines(t *testing.T, name string, g Grid, w, h int, in func(i, j int) bool, mp orb.MultiPolygon) {
	t.Helper()
	n := 0
	for j := -1; j <= h; j++ {
		for i := -1; i <= w; i++ {
			want := i >= 0 && j >= 0 && i < w && j < h && in(i, j)
			if want {
				n++
			}
			c := orb.Point{g.X0M + (float64(i)+0.5)*g.CellM, g.Y0M + (float64(j)+0.5)*g.CellM}
			if got := planar.MultiPolygonContains(mp, c); got != want {
				t.Fatalf("%s: cell (%d, %d) inside %v, want %v", name, i, j, got, want)
			}
		}
	}
	if a := PlanarAreaM2(mp); a != float64(n)*g.CellM*g.CellM {
		t.Fatalf("%s: area %g m², %d cells", name, a, n)
	}
	for _, p := range mp {
		for k, r := range p {
			if len(r) < 5 || r[0] != r[len(r)-1] {
				t.Fatalf("%s: ring %v not closed", name, r)
			}
			if a := signedArea(r); (k == 0) != (a > 0) {
				t.Fatalf("%s: ring %d of a polygon has signed area %g", name, k, a)
			}
			seen := map[orb.Point]bool{}
			for _, q := range r[:len(r)-1] {
				if seen[q] {
					t.Fatalf("%s: ring repeats %v: not simple", name, q)
				}
				seen[q] = true
			}
		}
	}
}

// TestCellOutlinesRandom: seeded random sets of several densities keep checkOutlines' rules.
func TestCellOutlinesRandom(t *testing.T) {
	const seed = 77
	rng := rand.New(rand.NewPCG(seed, 3))
	for n := range 300 {
		w, h := 1+rng.IntN(25), 1+rng.IntN(25)
		p := rng.Float64()
		set := make([]bool, w*h)
		for k := range set {
			set[k] = rng.Float64() < p
		}
		in := func(i, j int) bool { return set[j*w+i] }
		g := Grid{X0M: -2e5, Y0M: 3e4, CellM: 50, NX: w, NY: h}
		checkOutlines(t, "random set "+string(rune('a'+n%26)), g, w, h, in, CellOutlines(g, 0, 0, w, h, in))
	}
}
