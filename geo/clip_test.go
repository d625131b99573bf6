package geo

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data/testenv"
)

// uShape is a U open at the top, area 10·10 − 4·7 = 72:
//
//	10 +--+     +--+
//	   |  |     |  |
//	 3 |  +-----+  |
//	   |           |
//	 0 +-----------+
//	   0  3     7  10
var uShape = orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {7, 10}, {7, 3}, {3, 3}, {3, 10}, {0, 10}, {0, 0}}}

func rect(minX, minY, maxX, maxY float64) orb.Ring {
	return bnd(minX, minY, maxX, maxY).ToRing()
}

// holed is the square [0,10]² with the hole [4,6]², area 96.
var holed = orb.Polygon{rect(0, 0, 10, 10), {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}}}

// Expected areas are hand arithmetic on the drawn shapes.
func TestClipToConvex(t *testing.T) {
	cases := []struct {
		name    string
		subject orb.MultiPolygon
		convex  orb.Ring
		area    float64
		parts   int
		holes   int
	}{
		// The band 5 ≤ y ≤ 12 keeps the two arms [0,3]×[5,10] and [7,10]×[5,10]: two separate
		// parts, not one ring bridged along y = 5.
		{"u-two-arms", orb.MultiPolygon{uShape}, rect(-1, 5, 11, 12), 30, 2, 0},
		// The same band with edges on the U's outer edges (collinear boundaries).
		{"u-aligned-clip", orb.MultiPolygon{uShape}, rect(0, 5, 10, 10), 30, 2, 0},
		// Diamond |x−5| + |y−8| ≤ 4: in each arm a triangle (1,8) (3,6) (3,10) of area 4.
		{"u-diamond", orb.MultiPolygon{uShape}, orb.Ring{{5, 4}, {9, 8}, {5, 12}, {1, 8}, {5, 4}}, 8, 2, 0},
		{"u-inside-clip", orb.MultiPolygon{uShape}, rect(-5, -5, 15, 15), 72, 1, 0},
		{"u-clockwise-input", orb.MultiPolygon{reversedPolygon(uShape)}, reverseRing(rect(-1, 5, 11, 12)), 30, 2, 0},
		{"hole-kept", orb.MultiPolygon{holed}, rect(2, 2, 8, 8), 36 - 4, 1, 1},
		// Cutting through the hole leaves a notch [4,5]×[4,6] in the half x ≤ 5.
		{"hole-cut-open", orb.MultiPolygon{holed}, rect(-1, -1, 5, 11), 50 - 2, 1, 0},
		{"clip-inside-hole", orb.MultiPolygon{holed}, rect(4.5, 4.5, 5.5, 5.5), 0, 0, 0},
		{"clip-inside-subject", orb.MultiPolygon{holed}, rect(1, 1, 2, 3), 2, 1, 0},
		{"disjoint", orb.MultiPolygon{holed}, rect(20, 20, 30, 30), 0, 0, 0},
		{"multipart", orb.MultiPolygon{{rect(0, 0, 2, 2)}, {rect(5, 0, 7, 2)}}, rect(1, -1, 6, 3), 4, 2, 0},
		// Diamond (2,0) (4,2) (2,4) (0,2) cut by x ≤ 2 through two of its vertices: half, area 4.
		{"vertices-on-clip-edge", orb.MultiPolygon{{{{2, 0}, {4, 2}, {2, 4}, {0, 2}, {2, 0}}}}, rect(-1, -1, 2, 5), 4, 1, 0},
		// A V notch reaching down to (2,2), clipped to y ≥ 2: two triangles of area 2 touching at
		// (2,2), which must come out as two polygons.
		//
		//	4 +       +
		//	  |\     /|
		//	2 |-+-*-+-|   clip edge y = 2
		//	  |       |
		//	0 +-------+
		{"touching-at-vertex", orb.MultiPolygon{{{{0, 0}, {4, 0}, {4, 4}, {2, 2}, {0, 4}, {0, 0}}}}, rect(0, 2, 4, 4), 4, 2, 0},
		// The subject runs up the clip's left edge x = 2 from outside (0 ≤ y ≤ 1), then enters:
		// only the square [2,3]×[1,2] is inside; the shared stretch must not leave a spike.
		//
		//	2 +----+--+
		//	  |    |  |
		//	1 |    +--+
		//	  |    |      clip: x ≥ 2
		//	0 +----+
		//	  0    2  3
		{"edge-along-clip-outside", orb.MultiPolygon{{{{0, 0}, {2, 0}, {2, 1}, {3, 1}, {3, 2}, {0, 2}, {0, 0}}}}, rect(2, -1, 5, 5), 1, 1, 0},
		{"degenerate-clip", orb.MultiPolygon{holed}, orb.Ring{{0, 0}, {1, 1}, {2, 2}, {0, 0}}, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ClipToConvex(c.subject, c.convex)
			if err := checkValid(got); err != nil {
				t.Fatalf("invalid result %v: %v", got, err)
			}
			if a := PlanarAreaM2(got); math.Abs(a-c.area) > 1e-9 {
				t.Errorf("area %v, want %v (result %v)", a, c.area, got)
			}
			holes := 0
			for _, p := range got {
				holes += len(p) - 1
			}
			if len(got) != c.parts || holes != c.holes {
				t.Errorf("%d parts and %d holes, want %d and %d: %v", len(got), holes, c.parts, c.holes, got)
			}
		})
	}
}

// TestClipToConvexTilesGrid clips subjects with axis-aligned edges by the unit squares of a grid
// whose lines run along those edges (every clip boundary collinear with subject edges somewhere)
// and checks the pieces add up to the subject.
func TestClipToConvexTilesGrid(t *testing.T) {
	cases := []struct {
		name    string
		subject orb.MultiPolygon
		cell    float64
	}{
		{"u-unit-grid", orb.MultiPolygon{uShape}, 1},
		{"u-half-grid", orb.MultiPolygon{uShape}, 0.5},
		{"u-2.5-grid", orb.MultiPolygon{uShape}, 2.5},
		{"holed-unit-grid", orb.MultiPolygon{holed}, 1},
		{"holed-3-grid", orb.MultiPolygon{holed}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sum := 0.0
			for x := -c.cell; x < 11; x += c.cell {
				for y := -c.cell; y < 11; y += c.cell {
					got := ClipToConvex(c.subject, rect(x, y, x+c.cell, y+c.cell))
					if err := checkValid(got); err != nil {
						t.Fatalf("cell %v,%v: invalid result %v: %v", x, y, got, err)
					}
					sum += PlanarAreaM2(got)
				}
			}
			if want := PlanarAreaM2(c.subject); math.Abs(sum-want) > 1e-9*want {
				t.Errorf("pieces sum to %v, subject is %v", sum, want)
			}
		})
	}
}

// TestClipToConvexTilesVoronoi clips a non-convex two-part subject with a hole by seeded random
// Voronoi cells and checks that the pieces are valid and add up to the subject.
func TestClipToConvexTilesVoronoi(t *testing.T) {
	seed := uint64(2025)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	var star orb.Ring
	const points = 40
	for k := 0; k < points; k++ {
		r := 30000.0
		if k%2 == 1 {
			r = 12000 + rng.Float64()*8000
		}
		a := 2 * math.Pi * float64(k) / points
		star = append(star, orb.Point{r * math.Cos(a), r * math.Sin(a)})
	}
	star = append(star, star[0])
	subject := orb.MultiPolygon{
		{star, reverseRing(rect(-3000, -2000, 4000, 5000))},
		{rect(32000, -5000, 38000, 20000)},
	}
	b := bnd(-35000, -35000, 40000, 35000)
	for _, n := range []int{7, 41, 200} {
		sites := make([]orb.Point, n)
		for i := range sites {
			sites[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		}
		checkTiling(t, fmt.Sprintf("n=%d", n), subject, VoronoiCells(sites, b))
		t.Logf("n=%d: pieces add up", n)
	}
}

// TestClipToConvexProvince cuts the real province outline and the 41 full-resolution wards (from
// ../shared/data, projected to the local TM) by the Voronoi cells of the 41 ward centroids, the
// schematic demo map's construction, and checks the pieces tile each subject. The outline's area
// is also compared with the figure stated in the data file (2,246.9 km², computed by its author).
func TestClipToConvexProvince(t *testing.T) {
	dir := filepath.Join(testenv.SharedData(t), "travinh")
	tm := NewLocalTM(106.25, 9.8)
	sites := wardCentroids(t, filepath.Join(dir, "wards_2025_facts.csv"))
	if len(sites) != 41 {
		t.Fatalf("%d ward centroids, want 41", len(sites))
	}
	for i := range sites {
		sites[i] = tm.Forward(sites[i])
	}
	outline := readFeatures(t, filepath.Join(dir, "province_outline_500m.geojson"))[0]
	subject := toMultiPolygon(t, tm.ForwardGeometry(outline.Geometry))
	if a := PlanarAreaM2(subject) / 1e6; math.Abs(a-2246.9) > 0.001*2246.9 {
		t.Errorf("outline area %.1f km², data file states 2246.9", a)
	}
	// A bound well beyond the outline also holds the full-resolution wards.
	cells := VoronoiCells(sites, subject.Bound().Pad(20000))
	a := checkTiling(t, "outline", subject, cells)
	t.Logf("outline: %.1f km² cut into 41 cells", a/1e6)

	// Each ward alone is a valid subject (together they share edges, which a MultiPolygon may not).
	wards := readFeatures(t, filepath.Join(dir, "wards_2025.geojson"))
	var subjects []orb.MultiPolygon
	for _, w := range wards {
		subjects = append(subjects, toMultiPolygon(t, tm.ForwardGeometry(w.Geometry)))
	}
	total := 0.0
	for i, w := range subjects {
		total += checkTiling(t, fmt.Sprintf("ward %d", i), w, cells)
	}
	t.Logf("41 wards: %.1f km²", total/1e6)
}

// checkTiling clips subject by every cell, checks validity and that the areas add up, and returns
// the subject's area.
func checkTiling(t *testing.T, name string, subject orb.MultiPolygon, cells []orb.Polygon) float64 {
	t.Helper()
	sum := 0.0
	for i, c := range cells {
		if c == nil {
			continue
		}
		got := ClipToConvex(subject, c[0])
		if err := checkValid(got); err != nil {
			t.Errorf("%s: cell %d: invalid result: %v", name, i, err)
		}
		sum += PlanarAreaM2(got)
	}
	want := PlanarAreaM2(subject)
	if math.Abs(sum-want) > 1e-9*want {
		t.Errorf("%s: pieces sum to %.6f m², subject is %.6f m² (rel %.2g)", name, sum, want, (sum-want)/want)
	}
	return want
}

// checkValid reports the first OGC-validity fault it finds among the checks that matter here:
// rings closed with ≥ 4 points, outers counter-clockwise and holes clockwise, no repeated vertex
// within a ring, no two edges crossing or overlapping along a stretch (touching at points is
// allowed), every hole inside its outer.
func checkValid(mp orb.MultiPolygon) error {
	type edge struct{ a, b orb.Point }
	var edges []edge
	for pi, p := range mp {
		for ri, r := range p {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return fmt.Errorf("polygon %d ring %d: not closed or too short: %v", pi, ri, r)
			}
			if a := signedArea(r); (ri == 0) != (a > 0) {
				return fmt.Errorf("polygon %d ring %d: wrong orientation (signed area %v)", pi, ri, a)
			}
			seen := map[orb.Point]bool{}
			for _, v := range r[:len(r)-1] {
				if seen[v] {
					return fmt.Errorf("polygon %d ring %d: vertex %v repeated", pi, ri, v)
				}
				seen[v] = true
			}
			for k := 0; k+1 < len(r); k++ {
				edges = append(edges, edge{r[k], r[k+1]})
			}
			if ri > 0 && !planarRingContains(p[0], midpoint(r[0], r[1])) {
				return fmt.Errorf("polygon %d: hole %d outside its outer", pi, ri)
			}
		}
	}
	for i := range edges {
		for j := i + 1; j < len(edges); j++ {
			if err := edgesMeetBadly(edges[i].a, edges[i].b, edges[j].a, edges[j].b); err != nil {
				return err
			}
		}
	}
	return nil
}

// edgesMeetBadly returns an error when segments ab and cd cross at an interior point of both or
// overlap along a stretch.
func edgesMeetBadly(a, b, c, d orb.Point) error {
	c1, c2 := cross(a, b, c), cross(a, b, d)
	c3, c4 := cross(c, d, a), cross(c, d, b)
	if c1 == 0 && c2 == 0 { // collinear: overlap of positive length?
		lo, hi := math.Max(0, math.Min(edgeParam(a, b, c), edgeParam(a, b, d))), math.Min(1, math.Max(edgeParam(a, b, c), edgeParam(a, b, d)))
		if hi > lo {
			return fmt.Errorf("edges %v-%v and %v-%v overlap", a, b, c, d)
		}
		return nil
	}
	if ((c1 > 0 && c2 < 0) || (c1 < 0 && c2 > 0)) && ((c3 > 0 && c4 < 0) || (c3 < 0 && c4 > 0)) {
		return fmt.Errorf("edges %v-%v and %v-%v cross", a, b, c, d)
	}
	return nil
}

func planarRingContains(r orb.Ring, p orb.Point) bool {
	return insideEvenOdd(p, [][]orb.Point{r})
}

func reverseRing(r orb.Ring) orb.Ring {
	out := append(orb.Ring(nil), r...)
	out.Reverse()
	return out
}

func reversedPolygon(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = reverseRing(r)
	}
	return out
}

func readFeatures(t *testing.T, path string) []*geojson.Feature {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fc, err := geojson.UnmarshalFeatureCollection(raw); err == nil && len(fc.Features) > 0 {
		return fc.Features
	}
	f, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []*geojson.Feature{f}
}

func toMultiPolygon(t *testing.T, g orb.Geometry) orb.MultiPolygon {
	t.Helper()
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	t.Fatalf("geometry %T is not polygonal", g)
	return nil
}

// wardCentroids reads centroid_lon/centroid_lat from the wards facts CSV.
func wardCentroids(t *testing.T, path string) []orb.Point {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var pts []orb.Point
	for _, r := range rows[1:] {
		lon, err1 := strconv.ParseFloat(r[col["centroid_lon"]], 64)
		lat, err2 := strconv.ParseFloat(r[col["centroid_lat"]], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad centroid in %v", path, r)
		}
		pts = append(pts, orb.Point{lon, lat})
	}
	return pts
}

func BenchmarkClipToConvexUDiamond(b *testing.B) {
	b.ReportAllocs()
	subject := orb.MultiPolygon{uShape}
	clip := orb.Ring{{5, 4}, {9, 8}, {5, 12}, {1, 8}, {5, 4}}
	for b.Loop() {
		ClipToConvex(subject, clip)
	}
}
