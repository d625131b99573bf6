package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestVoronoiCellsHand checks small diagrams whose cells follow by hand from the bisectors.
func TestVoronoiCellsHand(t *testing.T) {
	cases := []struct {
		name      string
		sites     []orb.Point
		bound     orb.Bound
		wantAreas []float64 // 0 means an empty (nil) cell
	}{
		// Two sites, bisector x = 5:
		//
		//	4 +----+----+
		//	  |    |    |
		//	2 | a  |  b |    a = (2,2), b = (8,2)
		//	  |    |    |
		//	0 +----+----+
		//	  0    5    10
		{"two-vertical-bisector", []orb.Point{{2, 2}, {8, 2}}, bnd(0, 0, 10, 4), []float64{20, 20}},
		// Bisector of (0,0) and (4,4) is x + y = 4, the square's diagonal: two triangles of 8.
		{"two-diagonal", []orb.Point{{0, 0}, {4, 4}}, bnd(0, 0, 4, 4), []float64{8, 8}},
		// Collinear sites at x = 1, 3, 9: bisectors x = 2 and x = 6.
		{"three-collinear", []orb.Point{{1, 1}, {3, 1}, {9, 1}}, bnd(0, 0, 10, 2), []float64{4, 8, 8}},
		{"duplicate-site", []orb.Point{{2, 2}, {2, 2}, {8, 2}}, bnd(0, 0, 10, 4), []float64{20, 0, 20}},
		// A site outside the bound gets the strip x ≥ 8.5 nearer to it, or nothing when far.
		{"outside-near", []orb.Point{{5, 5}, {12, 5}}, bnd(0, 0, 10, 10), []float64{85, 15}},
		{"outside-far", []orb.Point{{5, 5}, {100, 5}}, bnd(0, 0, 10, 10), []float64{100, 0}},
		{"single", []orb.Point{{1, 1}}, bnd(0, 0, 3, 2), []float64{6}},
		{"empty-bound", []orb.Point{{1, 1}, {2, 2}}, bnd(0, 0, 0, 5), []float64{0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cells := VoronoiCells(c.sites, c.bound)
			if len(cells) != len(c.sites) {
				t.Fatalf("%d cells for %d sites", len(cells), len(c.sites))
			}
			for i, cell := range cells {
				if c.wantAreas[i] == 0 {
					if cell != nil {
						t.Errorf("cell %d = %v, want nil", i, cell)
					}
					continue
				}
				if got := PlanarAreaM2(cell); math.Abs(got-c.wantAreas[i]) > 1e-9 {
					t.Errorf("cell %d area %v, want %v", i, got, c.wantAreas[i])
				}
				if a := signedArea(cell[0]); a <= 0 {
					t.Errorf("cell %d not counter-clockwise (signed area %v)", i, a)
				}
				if r := cell[0]; r[0] != r[len(r)-1] {
					t.Errorf("cell %d ring not closed", i)
				}
			}
		})
	}
}

func bnd(minX, minY, maxX, maxY float64) orb.Bound {
	return orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}
}

// TestVoronoiCellsRandom checks invariants on seeded random sites: the cells tile the bound (areas
// sum to it), each site lies in its own cell, and random probe points lie in the cell of their
// nearest site found by brute force (the independent oracle).
func TestVoronoiCellsRandom(t *testing.T) {
	seed := uint64(41)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	b := bnd(-40000, -35000, 45000, 40000) // metres, about Trà Vinh's extent
	for _, n := range []int{2, 41, 300} {
		sites := make([]orb.Point, n)
		for i := range sites {
			sites[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		}
		cells := VoronoiCells(sites, b)
		sum := 0.0
		for i, c := range cells {
			sum += PlanarAreaM2(c)
			if !planar.PolygonContains(c, sites[i]) {
				t.Errorf("n=%d: site %d %v not in its cell", n, i, sites[i])
			}
		}
		if want := (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]); math.Abs(sum-want) > 1e-9*want {
			t.Errorf("n=%d: cell areas sum to %.3f, bound is %.3f", n, sum, want)
		}
		for k := 0; k < 500; k++ {
			p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			near := 0
			for i, s := range sites {
				if planar.DistanceSquared(p, s) < planar.DistanceSquared(p, sites[near]) {
					near = i
				}
			}
			if !planar.PolygonContains(cells[near], p) {
				t.Errorf("n=%d: probe %v nearest to site %d but not in its cell", n, p, near)
			}
		}
	}
}

func BenchmarkVoronoiCells41(b *testing.B) {
	b.ReportAllocs()
	rng := rand.New(rand.NewPCG(1, 1))
	sites := make([]orb.Point, 41)
	for i := range sites {
		sites[i] = orb.Point{rng.Float64() * 80000, rng.Float64() * 75000}
	}
	for b.Loop() {
		VoronoiCells(sites, bnd(0, 0, 80000, 75000))
	}
}
