package geo

import (
	"fmt"
	"testing"

	"github.com/paulmach/orb"
)

// TestSimplifyTopologyExact compares whole results, vertex by vertex, with rings worked out by
// hand from SimplifyTopology's documented rules: each ring starts at its westmost vertex (the
// lowest of equal x), Douglas–Peucker runs from that vertex, the vertex farthest from it and
// the vertex farthest from their line (the first one met, going round the ring, on a tie), a
// run within toleranceM of its chord is replaced by the chord, and rings under minAreaM2 are
// dropped. Every coordinate is a dyadic rational, so the distances are exact.
func TestSimplifyTopologyExact(t *testing.T) {
	bigHole := reverseRing(rect(50, 50, 60, 60)) // area 100
	bump := orb.Ring{{0, 0}, {4, -2}, {8, 0}, {8, 8}, {0, 8}, {0, 0}}
	dented := orb.Ring{{0, 0}, {10, 0}, {10, 4}, {6, 4}, {5, 3}, {4, 4}, {0, 4}, {0, 0}}
	dentHole := orb.Ring{{2, 1}, {2, 3.5}, {5, 2.75}, {8, 3.5}, {8, 1}, {2, 1}}
	cases := []struct {
		name      string
		in        orb.MultiPolygon
		tolM      float64
		minAreaM2 float64
		want      orb.MultiPolygon
	}{
		// No tolerance: only the cleaning, so the collinear (1, 0) stays, and the ring now starts
		// at its westmost-lowest vertex.
		{"zero-tolerance-keeps-collinear", orb.MultiPolygon{{{{2, 1}, {0, 1}, {0, 0}, {1, 0}, {2, 0}, {2, 1}}}}, 0, 0,
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {2, 0}, {2, 1}, {0, 1}, {0, 0}}}}},
		// Two vertices at x = 0: the lower one, met first, starts the ring.
		{"west-tie-lower-first", orb.MultiPolygon{{rect(0, 0, 10, 5)}}, 0, 0,
			orb.MultiPolygon{{rect(0, 0, 10, 5)}}},
		// (5, 0) is lower than the westmost (0, 1) but east of it.
		{"west-before-lower", orb.MultiPolygon{{{{0, 1}, {5, 0}, {5, 3}, {0, 1}}}}, 0, 0,
			orb.MultiPolygon{{{{0, 1}, {5, 0}, {5, 3}, {0, 1}}}}},
		// The unit square's area is exactly minAreaM2: kept (only smaller rings are dropped).
		{"area-at-minimum-kept", orb.MultiPolygon{{rect(0, 0, 1, 1)}}, 0, 1,
			orb.MultiPolygon{{rect(0, 0, 1, 1)}}},
		// The first hole (area 1) is dropped, the second (area 100) is kept.
		{"small-hole-then-large-hole", orb.MultiPolygon{{rect(0, 0, 100, 100), reverseRing(rect(10, 10, 11, 11)), bigHole}}, 0, 50,
			orb.MultiPolygon{{rect(0, 0, 100, 100), bigHole}}},
		// A square whose every vertex is within 1 m of the westmost one: the farthest is the
		// opposite corner (0.5, 0.5), then (0.5, 0) (0.125 m² from the diagonal, like (0, 0.5),
		// but met first); (0, 0.5) goes.
		{"sub-metre-square", orb.MultiPolygon{{{{0, 0}, {0.5, 0}, {0.5, 0.5}, {0, 0.5}, {0, 0}}}}, 10, 0,
			orb.MultiPolygon{{{{0, 0}, {0.5, 0}, {0.5, 0.5}, {0, 0}}}}},
		// One bucket column: 1 m wide, 100 m tall, 4 edges (a bucket about 5 m square).
		{"tall-thin-rectangle", orb.MultiPolygon{{rect(0, 0, 1, 100)}}, 0.5, 0,
			orb.MultiPolygon{{rect(0, 0, 1, 100)}}},
		// Anchors (0, 0), (8, 8) and (8, 0); the bump (4, −2) is 2 from the chord y = 0: gone at a
		// tolerance of exactly 2, kept just under it. (0, 8) is 4√2 from the diagonal: kept.
		{"bump-at-tolerance", orb.MultiPolygon{{bump}}, 2, 0,
			orb.MultiPolygon{{{{0, 0}, {8, 0}, {8, 8}, {0, 8}, {0, 0}}}}},
		{"bump-over-tolerance", orb.MultiPolygon{{bump}}, 1.96875, 0, orb.MultiPolygon{{bump}}},
		// The run from the westmost vertex (0, 0) to the anchor (2, 0) begins with an edge along
		// its own chord: the run's edges are not obstacles to it, so (1, 0) goes.
		{"collinear-first-edge", orb.MultiPolygon{{{{0, 0}, {1, 0}, {2, 0}, {2, 1}, {0, 1}, {0, 0}}}}, 0.5, 0,
			orb.MultiPolygon{{{{0, 0}, {2, 0}, {2, 1}, {0, 1}, {0, 0}}}}},
		// The exterior loses its dent first; the hole's chord y = 3.5 then passes where the dent's
		// edges were, which no longer exist:
		//
		//	4 +--------------+ . +--------------+     dent (6,4) (5,3) (4,4), gone: chord y = 4
		//	  |                v                |
		//	  |    +-._     (5,3)      _.-+     |     hole (2,1) (2,3.5) (5,2.75) (8,3.5) (8,1):
		//	  |    |   `-._   _.-'        |     |     (5,2.75) goes, 0.75 from the chord y = 3.5
		//	  |    |       `v'            |     |
		//	1 |    +----------------------+     |
		//	0 +---------------------------------+
		//	  0    2       5              8     10
		{"hole-under-removed-dent", orb.MultiPolygon{{dented, dentHole}}, 1.5, 0,
			orb.MultiPolygon{{rect(0, 0, 10, 4), {{2, 1}, {2, 3.5}, {8, 3.5}, {8, 1}, {2, 1}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := checkValid(c.in); err != nil {
				t.Fatalf("input invalid: %v", err)
			}
			got := SimplifyTopology(c.in, c.tolM, c.minAreaM2)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

// TestSimplifyTopologyTurned runs the shapes of TestSimplifyTopologyVersusPlainDP turned by
// quarter turns (exact for these coordinates): the westmost vertex, where every ring's
// Douglas–Peucker starts, is then another corner, so the run whose plain chord would cut the
// slots or pass under the hole starts and ends elsewhere in the ring, and other rings and runs
// come before it.
func TestSimplifyTopologyTurned(t *testing.T) {
	turn := func(p orb.Polygon, k int) orb.Polygon {
		out := orb.Clone(p).(orb.Polygon)
		for _, r := range out {
			for i := range r {
				for range k {
					r[i] = orb.Point{-r[i][1], r[i][0]}
				}
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		in   orb.Polygon
	}{{"comb", comb}, {"comb-on-chord", combOnChord}, {"crenellated", crenellated}} {
		for k := 1; k <= 3; k++ {
			t.Run(fmt.Sprintf("%s-%d", c.name, 90*k), func(t *testing.T) {
				in := orb.MultiPolygon{turn(c.in, k)}
				got := SimplifyTopology(in, 1.5, 0)
				checkSimplified(t, in, got, 1.5)
				if vertexCount(got) >= vertexCount(in) {
					t.Errorf("%d vertices, input has %d", vertexCount(got), vertexCount(in))
				}
			})
		}
	}
}

// TestSimplifyTopologyNoise simplifies the contours of uniform noise (every cell independent, so
// many small rings and holes lie within the tolerance of each other, unlike the smooth fields of
// TestSimplifyTopologyRandom) at tolerances of 0.5 to 3.5 cells and applies checkSimplified. With
// the default seed, case 42 has a hole with a vertex that only the winding number over the whole
// run, closed by its chord, keeps from jumping out of its exterior.
func TestSimplifyTopologyNoise(t *testing.T) {
	rng := seededRand(t, 1234)
	for n := range 60 {
		nx, ny := 6+rng.IntN(14), 6+rng.IntN(14)
		g := Grid{X0M: 4e5, Y0M: 1.1e6, CellM: 50, NX: nx, NY: ny}
		vals := make([]float32, g.Len())
		for k := range vals {
			vals[k] = float32(rng.Float64())
		}
		level := float32(0.3 + 0.4*rng.Float64())
		tolM := g.CellM * (0.5 + 3*rng.Float64())
		in := ContourPolygons(g, vals, level)
		t.Run(fmt.Sprintf("%d-%dx%d-tol%.0f", n, nx, ny, tolM), func(t *testing.T) {
			checkSimplified(t, in, SimplifyTopology(in, tolM, 0), tolM)
		})
	}
}
