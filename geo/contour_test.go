package geo

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fieldGrid samples f (metres → value) at the cell centres of an nx×ny grid of cellM cells whose
// south-west corner is the origin.
func fieldGrid(nx, ny int, cellM float64, f func(x, y float64) float64) (Grid, []float32) {
	g := Grid{CellM: cellM, NX: nx, NY: ny}
	vals := make([]float32, g.Len())
	for j := range ny {
		for i := range nx {
			c := g.Center(i, j)
			vals[g.Index(i, j)] = float32(f(c[0], c[1]))
		}
	}
	return g, vals
}

// rows builds a grid of 1 m cells from rows of values written north row first, as drawn.
func rows(r ...[]float32) (Grid, []float32) {
	g := Grid{CellM: 1, NX: len(r[0]), NY: len(r)}
	vals := make([]float32, 0, g.Len())
	for j := len(r) - 1; j >= 0; j-- {
		vals = append(vals, r[j]...)
	}
	return g, vals
}

// cone is R − distance to c: ≥ 0 on the disc of radius R.
func cone(c orb.Point, radiusM float64) func(x, y float64) float64 {
	return func(x, y float64) float64 { return radiusM - math.Hypot(x-c[0], y-c[1]) }
}

// checkContour checks mp = ContourPolygons(g, vals, level) against oracles that do not share
// code with contour.go: checkValid (clip_test.go: closed rings, orientation, no crossing or
// overlapping edges, holes in their exterior) and checkContourTopology below, then the meaning:
// every sample is in mp exactly when its value is >= level (orb's planar.MultiPolygonContains;
// no crossing point lies on a sample), every saddle cell's centre is in mp exactly when the mean
// of its corners is >= level, and the area is within the boundary cells' area of the cells
// >= level.
func checkContour(t *testing.T, g Grid, vals []float32, level float32, mp orb.MultiPolygon) {
	t.Helper()
	if err := checkValid(mp); err != nil {
		t.Fatalf("invalid: %v", err)
	}
	if err := checkContourTopology(mp); err != nil {
		t.Fatalf("invalid: %v", err)
	}
	in := func(i, j int) bool { return vals[g.Index(i, j)] >= level }
	count := 0
	for j := range g.NY {
		for i := range g.NX {
			if in(i, j) {
				count++
			}
			if got := planar.MultiPolygonContains(mp, g.Center(i, j)); got != in(i, j) {
				t.Fatalf("sample (%d, %d) = %v, level %v: in polygons %v", i, j, vals[g.Index(i, j)], level, got)
			}
			if i+1 >= g.NX || j+1 >= g.NY {
				continue
			}
			a, b, c, d := vals[g.Index(i, j)], vals[g.Index(i+1, j)], vals[g.Index(i+1, j+1)], vals[g.Index(i, j+1)]
			if in(i, j) == in(i+1, j+1) && in(i+1, j) == in(i, j+1) && in(i, j) != in(i+1, j) {
				centre := orb.Point{g.Center(i, j)[0] + g.CellM/2, g.Center(i, j)[1] + g.CellM/2}
				mean := (float64(a) + float64(b) + float64(c) + float64(d)) / 4
				if got, want := planar.MultiPolygonContains(mp, centre), mean >= float64(level); got != want {
					t.Fatalf("saddle cell (%d, %d) mean %v level %v: centre in polygons %v", i, j, mean, level, got)
				}
			}
		}
	}
	// The region and the union of the squares around samples >= level differ only in the
	// squares of boundary samples, those with one of their 8 neighbours on the other side (the
	// four marching cells around any other sample are wholly in or wholly out).
	inAt := func(i, j int) bool { return i >= 0 && j >= 0 && i < g.NX && j < g.NY && in(i, j) }
	boundary := 0
	for j := range g.NY {
		for i := range g.NX {
			for n := range 9 {
				if inAt(i+n%3-1, j+n/3-1) != in(i, j) {
					boundary++
					break
				}
			}
		}
	}
	area, cellArea := PlanarAreaM2(mp), float64(count)*g.CellM*g.CellM
	if math.Abs(area-cellArea) > float64(boundary)*g.CellM*g.CellM {
		t.Fatalf("area %v, cells >= level cover %v: differ by more than the %d boundary cells", area, cellArea, boundary)
	}
}

// checkContourTopology adds to checkValid what it lets pass: no vertex is shared by two rings or
// lies on an edge it does not end (rings never touch), no hole lies in another hole of its
// polygon, and no polygon's exterior starts inside another polygon (its exterior minus holes).
// Brute force, for small outputs.
func checkContourTopology(mp orb.MultiPolygon) error {
	type edge struct{ a, b orb.Point }
	var edges []edge
	seen := map[orb.Point]bool{}
	for _, p := range mp {
		for _, r := range p {
			for k := 0; k+1 < len(r); k++ {
				if seen[r[k]] {
					return fmt.Errorf("vertex %v used twice", r[k])
				}
				seen[r[k]] = true
				edges = append(edges, edge{r[k], r[k+1]})
			}
		}
	}
	for v := range seen {
		for _, e := range edges {
			if v == e.a || v == e.b {
				continue
			}
			if cross(e.a, e.b, v) == 0 && v[0] >= math.Min(e.a[0], e.b[0]) && v[0] <= math.Max(e.a[0], e.b[0]) &&
				v[1] >= math.Min(e.a[1], e.b[1]) && v[1] <= math.Max(e.a[1], e.b[1]) {
				return fmt.Errorf("vertex %v on edge %v-%v", v, e.a, e.b)
			}
		}
	}
	for pi, p := range mp {
		for hi := 1; hi < len(p); hi++ {
			for hk := 1; hk < len(p); hk++ {
				if hk != hi && planar.RingContains(p[hk], p[hi][0]) {
					return fmt.Errorf("polygon %d: hole %d inside hole %d", pi, hi, hk)
				}
			}
		}
		for qi, q := range mp {
			if qi != pi && planar.PolygonContains(q, p[0][0]) {
				return fmt.Errorf("polygon %d starts inside polygon %d", pi, qi)
			}
		}
	}
	return nil
}

// holeCount returns the number of holes of every polygon of mp.
func holeCount(mp orb.MultiPolygon) []int {
	n := make([]int, len(mp))
	for i, p := range mp {
		n[i] = len(p) - 1
	}
	return n
}

// Expected areas are the closed forms π R² and π (R2² − R1²): linear interpolation puts the
// boundary vertices within a fraction of a cell of the circles, and the chords lose about
// 2π²/(3n²) of the area for n vertices (n ≈ 150 at R = 20 cells: 0.03 %).
func TestContourShapes(t *testing.T) {
	const cellM = 50.0
	c1, c2 := orb.Point{1262.3, 1241.7}, orb.Point{3690.1, 1270.6}
	annulus := func(x, y float64) float64 {
		d := math.Hypot(x-c1[0], y-c1[1])
		return math.Min(d-8*cellM, 20*cellM-d)
	}
	twoBlobs := func(x, y float64) float64 {
		return math.Max(cone(c1, 20*cellM)(x, y), cone(c2, 15*cellM)(x, y))
	}
	cases := []struct {
		name      string
		nx, ny    int
		f         func(x, y float64) float64
		areaM2    float64
		holes     []int // per polygon
		holeAreas []float64
	}{
		{"cone-r20", 50, 50, cone(c1, 20*cellM), math.Pi * 1000 * 1000, []int{0}, nil},
		{"cone-r20-cut-by-edge", 30, 50, cone(c1, 20*cellM), 0, []int{0}, nil},
		{"annulus-r8-r20", 50, 50, annulus, math.Pi * (1000*1000 - 400*400), []int{1}, []float64{math.Pi * 400 * 400}},
		{"two-blobs", 100, 50, twoBlobs, math.Pi * (1000*1000 + 750*750), []int{0, 0}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, vals := fieldGrid(c.nx, c.ny, cellM, c.f)
			mp := ContourPolygons(g, vals, 0)
			checkContour(t, g, vals, 0, mp)
			if got := holeCount(mp); fmt.Sprint(got) != fmt.Sprint(c.holes) {
				t.Fatalf("holes per polygon %v, want %v", got, c.holes)
			}
			if c.areaM2 > 0 {
				if got := PlanarAreaM2(mp); math.Abs(got-c.areaM2) > 0.005*c.areaM2 {
					t.Errorf("area %.0f m², want %.0f ± 0.5 %%", got, c.areaM2)
				}
			}
			for k, want := range c.holeAreas {
				if got := PlanarAreaM2(mp[0][k+1]); math.Abs(got-want) > 0.01*want {
					t.Errorf("hole %d area %.0f m², want %.0f ± 1 %%", k, got, want)
				}
			}
		})
	}
}

// Grid-edge closure: with every sample inside, the boundary runs along g.Bound() through the
// midpoints to the virtual samples, and the four corners are cut by half-cell diagonals (the
// corner virtual cell has one inside corner): area NX·NY − 4·⅛ cells, 8 vertices once the
// collinear ones are gone. An isolated NaN sample is a diamond hole of ½ cell.
func TestContourGridEdgeAndNaN(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name   string
		grid   [][]float32
		level  float32
		area   float64
		holes  []int
		nVerts int // of the first exterior, closing point included; 0: not checked
	}{
		{"all-inside", [][]float32{{5, 5, 5}, {5, 5, 5}}, 1, 6 - 0.5, []int{0}, 9},
		{"level-equal-is-inside", [][]float32{{1, 1, 1}, {1, 1, 1}}, 1, 6 - 0.5, []int{0}, 9},
		{"all-outside", [][]float32{{0, 0, 0}, {0, 0, 0}}, 1, 0, []int{}, 0},
		{"all-nan", [][]float32{{nan, nan}, {nan, nan}}, -1e30, 0, []int{}, 0},
		{"nan-level", [][]float32{{5, 5}, {5, 5}}, nan, 0, []int{}, 0},
		{"inf-level", [][]float32{{5, 5}, {5, 5}}, float32(math.Inf(-1)), 4 - 0.5, []int{0}, 9},
		{"nan-hole", [][]float32{
			{5, 5, 5, 5, 5},
			{5, 5, 5, 5, 5},
			{5, 5, nan, 5, 5},
			{5, 5, 5, 5, 5},
			{5, 5, 5, 5, 5},
		}, 1, 25 - 0.5 - 0.5, []int{1}, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, vals := rows(c.grid...)
			mp := ContourPolygons(g, vals, c.level)
			if got := holeCount(mp); fmt.Sprint(got) != fmt.Sprint(c.holes) {
				t.Fatalf("holes per polygon %v, want %v", got, c.holes)
			}
			if got := PlanarAreaM2(mp); math.Abs(got-c.area) > 1e-9 {
				t.Errorf("area %v, want %v", got, c.area)
			}
			if c.nVerts > 0 && len(mp[0][0]) != c.nVerts {
				t.Errorf("exterior has %d points, want %d: %v", len(mp[0][0]), c.nVerts, mp[0][0])
			}
			if c.level == c.level && len(mp) > 0 {
				checkContour(t, g, vals, c.level, mp)
			}
		})
	}
}

// TestContourSaddle checks the saddle rule on the smallest saddle, 2×2 samples of a 1 m grid:
//
//	j=1   0   1        . #       samples at x, y = 0.5, 1.5
//	j=0   1   0        # .
//
// The cell between the four samples has mean ½. At level ½ the mean is >= level and the two
// inside samples are joined: crossings at the edge midpoints make three unit diamonds (around
// each sample and around the cell centre), area 3·½ = 1.5. At level 0.6 they are separate:
// two diamonds reaching 0.5 toward the grid edge (midpoint rule) and (0.6 − 1)/(0 − 1) = 0.4
// toward the zero samples, diagonals 0.9 and 0.9, area 2·½·0.9·0.9 = 0.81.
func TestContourSaddle(t *testing.T) {
	cases := []struct {
		name   string
		level  float32
		parts  int
		areaM2 float64
	}{
		{"joined-at-mean", 0.5, 1, 1.5},
		{"separate-above-mean", 0.6, 2, 0.81},
	}
	g, vals := rows([]float32{0, 1}, []float32{1, 0})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mp := ContourPolygons(g, vals, c.level)
			checkContour(t, g, vals, c.level, mp)
			if len(mp) != c.parts {
				t.Fatalf("%d polygons, want %d: %v", len(mp), c.parts, mp)
			}
			if got := PlanarAreaM2(mp); math.Abs(got-c.areaM2) > 1e-6 {
				t.Errorf("area %v, want %v", got, c.areaM2)
			}
		})
	}
}

// TestContourNesting: islands in holes in islands. Concentric rings of a 1 m grid, value = ring
// number parity, so the region alternates with distance from the centre:
//
//	# # # # # # # # #
//	# . . . . . . . #
//	# . # # # # # . #
//	# . # . . . # . #
//	# . # . # . # . #     3 exteriors (outer square, middle ring, centre) and
//	# . # . . . # . #     2 holes, each hole in the exterior just outside it
//	# . # # # # # . #
//	# . . . . . . . #
//	# # # # # # # # #
func TestContourNesting(t *testing.T) {
	g := Grid{CellM: 1, NX: 9, NY: 9}
	vals := make([]float32, g.Len())
	for j := range 9 {
		for i := range 9 {
			vals[g.Index(i, j)] = float32((4 - max(absInt(i-4), absInt(j-4)) + 1) % 2)
		}
	}
	mp := ContourPolygons(g, vals, 0.5)
	checkContour(t, g, vals, 0.5, mp)
	if got := fmt.Sprint(holeCount(mp)); got != "[1 1 0]" {
		t.Fatalf("holes per polygon %v, want [1 1 0]", got)
	}
	// Each polygon's exterior contains the later ones' and its hole does too.
	for k := 1; k < len(mp); k++ {
		if !planar.RingContains(mp[k-1][1], mp[k][0][0]) {
			t.Errorf("polygon %d is not in polygon %d's hole", k, k-1)
		}
	}
}

func absInt(x int) int { return max(x, -x) }

// TestContourBands: levels in descending order give nested bands, each equal to its own
// ContourPolygons, and the cone's band areas shrink as π (R − level)².
func TestContourBands(t *testing.T) {
	g, vals := fieldGrid(60, 60, 50, cone(orb.Point{1500, 1500}, 1400))
	levels := []float32{900, 500, 0}
	bands := ContourBands(g, vals, levels)
	if len(bands) != len(levels) {
		t.Fatalf("%d bands for %d levels", len(bands), len(levels))
	}
	for k, level := range levels {
		checkContour(t, g, vals, level, bands[k])
		if got, want := fmt.Sprint(bands[k]), fmt.Sprint(ContourPolygons(g, vals, level)); got != want {
			t.Errorf("band %d differs from ContourPolygons at level %v", k, level)
		}
		r := 1400 - float64(level)
		if got, want := PlanarAreaM2(bands[k]), math.Pi*r*r; math.Abs(got-want) > 0.01*want {
			t.Errorf("band %d area %.0f, want %.0f ± 1 %%", k, got, want)
		}
		if k > 0 && !planar.MultiPolygonContains(bands[k], bands[k-1][0][0][0]) {
			t.Errorf("band %d not inside band %d", k-1, k)
		}
	}
	if got := ContourBands(g, vals[1:], levels); len(got) != 3 || got[0] != nil {
		t.Errorf("wrong-length values: %v", got)
	}
	if got := ContourPolygons(Grid{}, nil, 0); got != nil {
		t.Errorf("empty grid: %v", got)
	}
}

// TestContourRandom runs the full checkContour on random small fields of three kinds: smooth
// bumps (few saddles), white noise (many saddles) and small integers (samples exactly at the
// level, saddle means exactly at the level), each with some NaN samples.
func TestContourRandom(t *testing.T) {
	rng := seededRand(t, 20251125)
	for n := range 300 {
		nx, ny := 2+rng.IntN(12), 2+rng.IntN(10)
		g := Grid{X0M: rng.Float64()*1e6 - 5e5, Y0M: rng.Float64() * 2e6, CellM: 1 + rng.Float64()*99, NX: nx, NY: ny}
		vals := make([]float32, g.Len())
		kind := n % 3
		var bumps [][3]float64
		for range 4 {
			bumps = append(bumps, [3]float64{rng.Float64() * float64(nx), rng.Float64() * float64(ny), 1 + rng.Float64()*3})
		}
		for j := range ny {
			for i := range nx {
				var v float64
				switch kind {
				case 0:
					for _, b := range bumps {
						v += math.Exp(-((float64(i)-b[0])*(float64(i)-b[0]) + (float64(j)-b[1])*(float64(j)-b[1])) / (b[2] * b[2]))
					}
				case 1:
					v = rng.Float64()
				case 2:
					v = float64(rng.IntN(3))
				}
				if rng.IntN(20) == 0 {
					v = math.NaN()
				}
				vals[g.Index(i, j)] = float32(v)
			}
		}
		level := float32(rng.Float64())
		if kind == 2 {
			level = 1
		}
		t.Run(fmt.Sprintf("%d-kind%d-%dx%d", n, kind, nx, ny), func(t *testing.T) {
			checkContour(t, g, vals, level, ContourPolygons(g, vals, level))
		})
	}
}

// Golden files: testdata/contour_<case>.geojson holds the polygons of each case in lon/lat,
// placed on Trà Vinh by goldenTM so that they can be viewed on any web map. Regenerate with
// `go test ./geo/ -run TestContourGolden -update`. On a mismatch the test writes
// testdata/contour_<case>_out.geojson: the expected polygons in red and the result in blue.
var goldenTM = NewLocalTM(106.34, 9.93)

func TestContourGolden(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name  string
		nx    int
		ny    int
		level float32
		f     func(x, y float64) float64
	}{
		{"cone", 16, 16, 0, cone(orb.Point{410, 380}, 300)},
		{"annulus", 20, 20, 0, func(x, y float64) float64 {
			d := math.Hypot(x-500, y-500)
			return math.Min(d-180, 420-d)
		}},
		{"saddles", 9, 7, 0.5, func(x, y float64) float64 { // checkerboard with a slope: both saddle rules
			i, j := int(x/50), int(y/50)
			return float64((i+j)%2) + 0.05*float64(i-4)
		}},
		{"edge_nan", 10, 8, 1, func(x, y float64) float64 {
			switch i, j := int(x/50), int(y/50); {
			case i == 4 && j == 4, i == 7 && j == 2:
				return nan
			case i == 2 && j == 2:
				return 0
			}
			return 2 + math.Sin(x/70)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, vals := fieldGrid(c.nx, c.ny, 50, c.f)
			mp := ContourPolygons(g, vals, c.level)
			checkContour(t, g, vals, c.level, mp)
			compareGolden(t, "contour_"+c.name, mp, 0.01)
		})
	}
}

// compareGolden compares mp (metres of goldenTM) with testdata/<name>.geojson vertex by vertex
// within tolM metres, or rewrites the file under -update.
func compareGolden(t *testing.T, name string, mp orb.MultiPolygon, tolM float64) {
	t.Helper()
	path := filepath.Join("testdata", name+".geojson")
	if *updateGolden {
		writeGeoJSON(t, path, goldenFeatures(mp, nil))
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var want orb.MultiPolygon
	for _, f := range fc.Features {
		p, ok := f.Geometry.(orb.Polygon)
		if !ok {
			t.Fatalf("%s: geometry %T, want Polygon", path, f.Geometry)
		}
		want = append(want, goldenTM.ForwardGeometry(p).(orb.Polygon))
	}
	if err := samePolygons(mp, want, tolM); err != nil {
		out := filepath.Join("testdata", name+"_out.geojson")
		writeGeoJSON(t, out, append(goldenFeatures(want, map[string]any{"stroke": "#d00", "fill": "#d00", "name": "expected"}),
			goldenFeatures(mp, map[string]any{"stroke": "#00d", "fill": "#00d", "name": "result"})...))
		t.Errorf("%s: %v; wrote %s", path, err, out)
	}
}

func samePolygons(got, want orb.MultiPolygon, tolM float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d polygons, want %d", len(got), len(want))
	}
	for pi := range got {
		if len(got[pi]) != len(want[pi]) {
			return fmt.Errorf("polygon %d: %d rings, want %d", pi, len(got[pi]), len(want[pi]))
		}
		for ri := range got[pi] {
			g, w := got[pi][ri], want[pi][ri]
			if len(g) != len(w) {
				return fmt.Errorf("polygon %d ring %d: %d points, want %d", pi, ri, len(g), len(w))
			}
			for k := range g {
				if d := planar.Distance(g[k], w[k]); d > tolM {
					return fmt.Errorf("polygon %d ring %d point %d: %v, want %v", pi, ri, k, g[k], w[k])
				}
			}
		}
	}
	return nil
}

// goldenFeatures returns one lon/lat feature per polygon, coordinates rounded to 1e-8° (1 mm).
func goldenFeatures(mp orb.MultiPolygon, props map[string]any) []*geojson.Feature {
	var fs []*geojson.Feature
	for _, p := range mp {
		ll := goldenTM.InverseGeometry(p).(orb.Polygon)
		for _, r := range ll {
			for k := range r {
				r[k] = orb.Point{math.Round(r[k][0]*1e8) / 1e8, math.Round(r[k][1]*1e8) / 1e8}
			}
		}
		f := geojson.NewFeature(ll)
		for k, v := range props {
			f.Properties[k] = v
		}
		fs = append(fs, f)
	}
	return fs
}

func writeGeoJSON(t *testing.T, path string, fs []*geojson.Feature) {
	t.Helper()
	fc := geojson.NewFeatureCollection()
	fc.Features = fs
	raw, err := json.MarshalIndent(fc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// benchField is a synthetic 1000×1000 grid of 50 m cells (the size of Trà Vinh province):
// the best of 40 random sites' signal, 60 dBm EIRP − 130 dB at 1 km − 35 dB/decade, with
// ±3 dB of uncorrelated hash noise (ragged edges, many islands), minus a −95 dBm threshold,
// clipped by the disc of radius 24 km (the min trick of ContourPolygons, slope 1 dB/m).
func benchField() (Grid, []float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, cellM = 1000, 50.0
	sites := make([]orb.Point, 40)
	for k := range sites {
		sites[k] = orb.Point{rng.Float64() * n * cellM, rng.Float64() * n * cellM}
	}
	g := Grid{CellM: cellM, NX: n, NY: n}
	vals := make([]float32, g.Len())
	for j := range n {
		for i := range n {
			c := g.Center(i, j)
			best := math.Inf(-1)
			for _, s := range sites {
				d := math.Max(50, math.Hypot(c[0]-s[0], c[1]-s[1]))
				best = math.Max(best, 60-130-35*math.Log10(d/1000))
			}
			noise := float64(uint32(i*2654435761^j*40503)%600)/100 - 3
			inside := 24000 - math.Hypot(c[0]-25000, c[1]-25000)
			vals[g.Index(i, j)] = float32(math.Min(best+noise+95, inside))
		}
	}
	return g, vals
}

func BenchmarkContourPolygons1000(b *testing.B) {
	g, vals := benchField()
	b.ReportAllocs()
	for b.Loop() {
		ContourPolygons(g, vals, 0)
	}
}

func BenchmarkContourBands1000x3(b *testing.B) {
	g, vals := benchField()
	levels := []float32{15, 5, 0}
	b.ReportAllocs()
	for b.Loop() {
		ContourBands(g, vals, levels)
	}
}

func ExampleContourPolygons() {
	// 3×3 cells of 50 m with a 10 dB peak in the middle: at level 5 the boundary crosses each
	// edge from the peak halfway, a diamond around the centre (75, 75) of half-diagonal 25 m.
	g := Grid{CellM: 50, NX: 3, NY: 3}
	vals := []float32{
		0, 0, 0,
		0, 10, 0,
		0, 0, 0,
	}
	mp := ContourPolygons(g, vals, 5)
	fmt.Println(mp[0][0], PlanarAreaM2(mp))
	// Output: [[50 75] [75 50] [100 75] [75 100] [50 75]] 1250
}

// settledBlocks returns the active flags ContourPolygonsBlocks needs for vals at level: a block
// is inactive when every sample of it and of its one-sample halo is on the same side (NaN
// counts as outside).
func settledBlocks(g Grid, vals []float32, level float32, bc int) []bool {
	nbx, nby := (g.NX+bc-1)/bc, (g.NY+bc-1)/bc
	active := make([]bool, nbx*nby)
	for bj := range nby {
		for bi := range nbx {
			in, out := false, false
			for j := max(0, bj*bc-1); j < min(g.NY, (bj+1)*bc+1); j++ {
				for i := max(0, bi*bc-1); i < min(g.NX, (bi+1)*bc+1); i++ {
					if vals[g.Index(i, j)] >= level {
						in = true
					} else {
						out = true
					}
				}
			}
			active[bj*nbx+bi] = in && out
		}
	}
	return active
}

// ContourPolygonsBlocks gives exactly ContourPolygons' polygons when the promise holds, on
// random fields and block sizes (regions touching every side of the grid included), one
// ContourScratch serving every case (grids of every size: it is left all zero and grows), and
// loses the region when a block with crossings is marked settled.
func TestContourPolygonsBlocks(t *testing.T) {
	rng := seededRand(t, 20261126)
	skipped := 0
	scratch := &ContourScratch{}
	for n := range 200 {
		nx, ny := 3+rng.IntN(40), 3+rng.IntN(40)
		g := Grid{CellM: 10, NX: nx, NY: ny}
		vals := make([]float32, g.Len())
		var bumps [][3]float64
		for range 1 + rng.IntN(5) {
			bumps = append(bumps, [3]float64{rng.Float64() * float64(nx), rng.Float64() * float64(ny), 1 + rng.Float64()*8})
		}
		for j := range ny {
			for i := range nx {
				var v float64
				for _, b := range bumps {
					v += math.Exp(-((float64(i)-b[0])*(float64(i)-b[0]) + (float64(j)-b[1])*(float64(j)-b[1])) / (b[2] * b[2]))
				}
				if rng.IntN(50) == 0 {
					v = math.NaN()
				}
				vals[g.Index(i, j)] = float32(v)
			}
		}
		level := float32(0.05 + rng.Float64()*0.5)
		bc := 1 + rng.IntN(9)
		active := settledBlocks(g, vals, level, bc)
		for _, a := range active {
			if !a {
				skipped++
			}
		}
		want := ContourPolygons(g, vals, level)
		if got := ContourPolygonsBlocks(g, vals, level, bc, active, scratch); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("case %d (%d×%d, blocks of %d): %d polygons with blocks, %d without", n, nx, ny, bc, len(got), len(want))
		}
	}
	if skipped == 0 {
		t.Error("no block was ever settled: the test proves nothing")
	}
	// One bump in the middle: with every block marked settled nothing is found.
	g := Grid{CellM: 10, NX: 20, NY: 20}
	vals := make([]float32, g.Len())
	for j := range 20 {
		for i := range 20 {
			vals[g.Index(i, j)] = float32(100 - (i-10)*(i-10) - (j-10)*(j-10))
		}
	}
	if got := ContourPolygonsBlocks(g, vals, 50, 4, make([]bool, 25), nil); len(got) != 0 {
		t.Errorf("every block settled: %d polygons, want none (the sweep must skip them)", len(got))
	}
	if got := ContourPolygonsBlocks(g, vals, 50, 4, make([]bool, 24), nil); got != nil {
		t.Errorf("wrong active length: %v", got)
	}
}
