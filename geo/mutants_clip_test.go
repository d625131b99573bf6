package geo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestClipToConvexCollinear clips by the square [0,10]² subjects whose edges lie along its edges
// in every arrangement: a subject edge inside a clip edge, covering it, overlapping one end,
// meeting it at one point only, with the subject's interior inside or outside. Areas and part
// counts are hand arithmetic on the drawn rectangles (the result is their overlap).
func TestClipToConvexCollinear(t *testing.T) {
	square := rect(0, 0, 10, 10)
	cases := []struct {
		name    string
		subject orb.MultiPolygon
		parts   string   // each part's "area/holes", largest first
		clip    orb.Ring // nil: the square
	}{
		// Bottom edge (2,0)→(6,0) inside the clip's bottom edge, interior above: all kept.
		{"edge-inside-interior-in", orb.MultiPolygon{{rect(2, 0, 6, 3)}}, "[12/0]", nil},
		// Top edge (6,0)→(2,0) inside the clip's bottom edge, interior below: only a segment.
		{"edge-inside-interior-out", orb.MultiPolygon{{rect(2, -3, 6, 0)}}, "[]", nil},
		// Bottom edge (−2,0)→(12,0) covers the clip's bottom edge: [0,10]×[0,3].
		{"edge-covers-clip-edge", orb.MultiPolygon{{rect(-2, 0, 12, 3)}}, "[30/0]", nil},
		// Bottom edges overlapping one end of the clip's bottom edge: [0,4]×[0,3], [6,10]×[0,3].
		{"edge-overlaps-west-end", orb.MultiPolygon{{rect(-2, 0, 4, 3)}}, "[12/0]", nil},
		{"edge-overlaps-east-end", orb.MultiPolygon{{rect(6, 0, 12, 3)}}, "[12/0]", nil},
		// The same four in clockwise input (every subject edge runs the other way).
		{"edge-inside-clockwise", orb.MultiPolygon{{reverseRing(rect(2, 0, 6, 3))}}, "[12/0]", nil},
		{"edge-covers-clockwise", orb.MultiPolygon{{reverseRing(rect(-2, 0, 12, 3))}}, "[30/0]", nil},
		{"edge-west-end-clockwise", orb.MultiPolygon{{reverseRing(rect(-2, 0, 4, 3))}}, "[12/0]", nil},
		{"edge-east-end-clockwise", orb.MultiPolygon{{reverseRing(rect(6, 0, 12, 3))}}, "[12/0]", nil},
		// Left edge (10,12)→(10,10) on the line of the clip's right edge, meeting it at its end
		// (10,10) only; the square [10,12]² is outside.
		{"collinear-at-one-point", orb.MultiPolygon{{rect(10, 10, 12, 12)}}, "[]", nil},
		// A subject with an edge on the clip's right edge line reaching past its end, interior
		// inside the clip below y = 10: [8,10]×[6,10].
		{"edge-past-corner", orb.MultiPolygon{{rect(8, 6, 10, 14)}}, "[8/0]", nil},
		// The clip itself, both orientations: the whole square.
		{"subject-is-clip", orb.MultiPolygon{{square}}, "[100/0]", nil},
		{"subject-is-clip-reversed", orb.MultiPolygon{{reverseRing(square)}}, "[100/0]", nil},
		// [0,10]² with the hole [4,6]² cut by x ≥ 4: the hole's west edge lies inside the clip's
		// west edge (running the other way, the subject's interior west of it), so the hole
		// opens into a notch: [4,10]×[0,10] − [4,6]×[4,6] = 60 − 4.
		{"hole-edge-on-clip-edge", orb.MultiPolygon{holed}, "[56/0]", rect(4, -1, 11, 11)},
		// CellOutlines' form of the cells of [0,3]² but (0,0) and (1,1): the hole [1,2]² touches
		// the exterior at (1,1). Wholly inside the clip, it stays an exterior with one hole (not
		// one ring through (1,1) twice, which touches itself): 9 − 1 − 1.
		{"hole-touching-exterior", orb.MultiPolygon{{
			{{3, 0}, {3, 3}, {0, 3}, {0, 1}, {1, 1}, {1, 0}, {3, 0}},
			{{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}},
		}}, "[7/1]", rect(-1, -1, 5, 5)},
		// A degenerate (zero-area) hole is dropped and the holes after it are kept: 100 − 4.
		{"degenerate-hole-then-hole", orb.MultiPolygon{{
			rect(0, 0, 10, 10),
			{{1, 1}, {2, 2}, {3, 3}, {1, 1}},
			{{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}},
		}}, "[96/1]", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clip := c.clip
			if clip == nil {
				clip = square
			}
			if got := clipParts(t, ClipToConvex(c.subject, clip)); got != c.parts {
				t.Errorf("parts (area/holes) %s, want %s", got, c.parts)
			}
		})
	}
}

// TestClipToConvexLatticeRandom clips seeded random sets of unit cells (outlined by
// CellOutlines: holes, parts touching at corners, long straight runs) by random rectangles with
// integer corners, so subject and clip edges overlap along stretches, meet at single points and
// end on each other in every arrangement. Oracle: the area of the intersection is the number of
// the set's cells inside the rectangle (exact on the unit lattice), counted without geometry.
func TestClipToConvexLatticeRandom(t *testing.T) {
	seed := uint64(18)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	g := Grid{CellM: 1}
	for n := range 3000 {
		w, h := 1+rng.IntN(7), 1+rng.IntN(7)
		cells := make([]bool, w*h)
		for k := range cells {
			cells[k] = rng.IntN(2) == 0
		}
		subject := CellOutlines(g, 0, 0, w, h, func(i, j int) bool { return cells[j*w+i] })
		x0, x1 := rng.IntN(w+3)-1, rng.IntN(w+3)-1
		y0, y1 := rng.IntN(h+3)-1, rng.IntN(h+3)-1
		x0, x1 = min(x0, x1), max(x0, x1)
		y0, y1 = min(y0, y1), max(y0, y1)
		want := 0
		for j := max(y0, 0); j < min(y1, h); j++ {
			for i := max(x0, 0); i < min(x1, w); i++ {
				if cells[j*w+i] {
					want++
				}
			}
		}
		clip := rect(float64(x0), float64(y0), float64(x1), float64(y1))
		if n%2 == 1 {
			clip = reverseRing(clip)
		}
		got := ClipToConvex(subject, clip)
		if err := checkValid(got); err != nil {
			t.Fatalf("case %d: %v clipped by %v: invalid result %v: %v", n, subject, clip, got, err)
		}
		if a := PlanarAreaM2(got); math.Abs(a-float64(want)) > 1e-9 {
			t.Fatalf("case %d: %v clipped by %v: area %v, want %d cells", n, subject, clip, a, want)
		}
	}
}

// TestClipToConvexNestedHoles: an island with its own hole inside the hole of a larger polygon;
// each hole must go to the smallest exterior around it. Areas per polygon, hand arithmetic:
// [0,10]² − [2,8]² = 64 and [3,7]² − [4,6]² = 12, whichever clip holds them all, and a clip
// x ≤ 5 that halves every ring: 32 and 6.
func TestClipToConvexNestedHoles(t *testing.T) {
	subject := orb.MultiPolygon{
		{rect(0, 0, 10, 10), reverseRing(rect(2, 2, 8, 8))},
		{rect(3, 3, 7, 7), reverseRing(rect(4, 4, 6, 6))},
	}
	for _, c := range []struct {
		name  string
		clip  orb.Ring
		parts string // each part's "area/holes", largest first
	}{
		{"all-inside", rect(-1, -1, 11, 11), "[64/1 12/1]"},
		{"west-half", rect(-1, -1, 5, 11), "[32/0 6/0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := clipParts(t, ClipToConvex(subject, c.clip)); got != c.parts {
				t.Errorf("parts (area/holes) %s, want %s", got, c.parts)
			}
		})
	}
}

// clipParts checks that mp is valid (checkValid) and describes it as each polygon's
// "area/holes", largest area first.
func clipParts(t *testing.T, mp orb.MultiPolygon) string {
	t.Helper()
	if err := checkValid(mp); err != nil {
		t.Fatalf("invalid result %v: %v", mp, err)
	}
	parts := make([]string, len(mp))
	areas := make([]float64, len(mp))
	for i, p := range mp {
		areas[i] = PlanarAreaM2(orb.MultiPolygon{p})
		parts[i] = fmt.Sprintf("%g/%d", areas[i], len(p)-1)
	}
	order := make([]int, len(mp))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(areas[b], areas[a]) })
	sorted := make([]string, len(mp))
	for k, i := range order {
		sorted[k] = parts[i]
	}
	return "[" + strings.Join(sorted, " ") + "]"
}
