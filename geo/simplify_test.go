package geo

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"
)

// comb has three slots cut from the top down to just above the spine, whose underside bulges
// one unit below y = 0 (vertex (6, −1)):
//
//	10 +--+  +--+  +--+  +--+
//	   |  |  |  |  |  |  |  |
//	   |  |  |  |  |  |  |  |
//	 0 +  +--+  +--+  +--+  +     slot bottoms at y = −0.2, −0.5, −0.2
//	    `--.._________..--'       underside (0,0) (6,−1) (12,0)
//	   0  2.5 3.5 5.5 6.5 8.5 9.5 12
//
// At tolerance 1.5 plain Douglas–Peucker drops (6, −1) (1 from the chord y = 0) and the chord
// cuts through all three slots.
var comb = orb.Polygon{{
	{0, 0}, {6, -1}, {12, 0}, {12, 10}, {9.5, 10}, {9.5, -0.2}, {8.5, -0.2}, {8.5, 10}, {6.5, 10},
	{6.5, -0.5}, {5.5, -0.5}, {5.5, 10}, {3.5, 10}, {3.5, -0.2}, {2.5, -0.2}, {2.5, 10}, {0, 10}, {0, 0},
}}

// combOnChord is comb with the outer slots shortened to y = 0.5 and the middle slot's bottom
// edge on y = 0, exactly where plain Douglas–Peucker's chord goes: no crossing, but the chord
// would run along that edge.
var combOnChord = orb.Polygon{{
	{0, 0}, {6, -1}, {12, 0}, {12, 10}, {9.5, 10}, {9.5, 0.5}, {8.5, 0.5}, {8.5, 10}, {6.5, 10},
	{6.5, 0}, {5.5, 0}, {5.5, 10}, {3.5, 10}, {3.5, 0.5}, {2.5, 0.5}, {2.5, 10}, {0, 10}, {0, 0},
}}

// crenellated is the rectangle [0, 20] × [0, 10] with nine unit teeth on top, x ∈ [2k+1, 2k+2],
// y ∈ [10, 11], and a hole in the last tooth:
//
//	11    +-+ +-+ +-+ +-+ +-+ +-+ +-+ +-+ +-+
//	10 +--+ +-+ +-+ +-+ +-+ +-+ +-+ +-+ +□+ +--+     □ hole [17.2, 17.8] × [10.3, 10.7]
//	   |                                       |
//	 0 +---------------------------------------+
//
// At tolerance 1.5 plain Douglas–Peucker replaces the teeth by the chord from (20, 10) to
// (1, 11) (every tooth corner is within 0.95 of it), which passes under the hole (y ≈ 10.13 at
// x = 17.5), and it drops the hole, which is thinner than the tolerance. Keeping the hole, as
// SimplifyTopology does, forbids that chord although no edges would cross: only its
// vertex-in-area test sees the hole.
var crenellated = func() orb.Polygon {
	outer := orb.Ring{{0, 0}, {20, 0}, {20, 10}}
	for k := 8; k >= 0; k-- {
		x := float64(2*k + 1)
		outer = append(outer, orb.Point{x + 1, 10}, orb.Point{x + 1, 11}, orb.Point{x, 11}, orb.Point{x, 10})
	}
	outer = append(outer, orb.Point{0, 10}, orb.Point{0, 0})
	return orb.Polygon{outer, {{17.2, 10.3}, {17.2, 10.7}, {17.8, 10.7}, {17.8, 10.3}, {17.2, 10.3}}}
}()

func vertexCount(mp orb.MultiPolygon) int {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

// TestSimplifyTopologyVersusPlainDP shows that each shape breaks plain orb Douglas–Peucker at the
// same tolerance, then checks that SimplifyTopology keeps it valid, drops vertices, and keeps
// every input vertex within the tolerance of its result.
func TestSimplifyTopologyVersusPlainDP(t *testing.T) {
	cases := []struct {
		name     string
		in       orb.MultiPolygon
		tolM     float64
		dpBreaks string // what is wrong with plain DP's result: a checker's error or "hole lost"
	}{
		{"comb-crossing", orb.MultiPolygon{comb}, 1.5, "cross"},
		{"comb-on-chord", orb.MultiPolygon{combOnChord}, 1.5, "on edge"},
		{"hole-near-exterior", orb.MultiPolygon{crenellated}, 1.5, "hole lost"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := checkValid(c.in); err != nil {
				t.Fatalf("input invalid: %v", err)
			}
			dp := simplify.DouglasPeucker(c.tolM).MultiPolygon(orb.Clone(c.in).(orb.MultiPolygon))
			broken := "valid"
			if err := checkValid(dp); err != nil {
				broken = err.Error()
			} else if err := checkContourTopology(dp); err != nil {
				broken = err.Error()
			} else if fmt.Sprint(holeCount(dp)) != fmt.Sprint(holeCount(c.in)) {
				broken = "hole lost"
			}
			if !strings.Contains(broken, c.dpBreaks) {
				t.Fatalf("plain DP: %s, want %q", broken, c.dpBreaks)
			}
			in := orb.Clone(c.in).(orb.MultiPolygon)
			got := SimplifyTopology(in, c.tolM, 0)
			if fmt.Sprint(in) != fmt.Sprint(c.in) {
				t.Error("input modified")
			}
			checkSimplified(t, c.in, got, c.tolM)
			if vertexCount(got) >= vertexCount(c.in) {
				t.Errorf("%d vertices, input has %d", vertexCount(got), vertexCount(c.in))
			}
			t.Logf("%d → %d vertices (plain DP %d)", vertexCount(c.in), vertexCount(got), vertexCount(dp))
		})
	}
}

// checkSimplified checks got = SimplifyTopology(in, tolM, ·) with oracles independent of
// simplify.go: checkValid and checkContourTopology (contour_test.go); the same number of
// polygons and holes per polygon (no minimum area here); each ring keeps its orientation; every
// vertex of in lies within tolM of got's boundary (Douglas–Peucker's bound); and a point farther
// than tolM from in's boundary is inside got exactly when it is inside in (no hole jumped out,
// no ring turned inside out), tested on a lattice over in's bound.
func checkSimplified(t *testing.T, in, got orb.MultiPolygon, tolM float64) {
	t.Helper()
	if err := checkValid(got); err != nil {
		t.Fatalf("result invalid: %v", err)
	}
	if err := checkContourTopology(got); err != nil {
		t.Fatalf("result invalid: %v", err)
	}
	if a, b := fmt.Sprint(holeCount(got)), fmt.Sprint(holeCount(in)); a != b {
		t.Fatalf("holes per polygon %v, input %v", a, b)
	}
	for pi := range in {
		for ri := range in[pi] {
			if (signedArea(in[pi][ri]) > 0) != (signedArea(got[pi][ri]) > 0) {
				t.Fatalf("polygon %d ring %d changed orientation", pi, ri)
			}
		}
	}
	boundaryDist := func(mp orb.MultiPolygon, v orb.Point) float64 {
		d := math.Inf(1)
		for _, p := range mp {
			for _, r := range p {
				for k := 0; k+1 < len(r); k++ {
					d = math.Min(d, planar.DistanceFromSegment(r[k], r[k+1], v))
				}
			}
		}
		return d
	}
	for _, p := range in {
		for _, r := range p {
			for _, v := range r {
				if d := boundaryDist(got, v); d > tolM*(1+1e-9) {
					t.Fatalf("input vertex %v is %v from the result, tolerance %v", v, d, tolM)
				}
			}
		}
	}
	b := in.Bound()
	const steps = 60
	for a := 0; a <= steps; a++ {
		for c := 0; c <= steps; c++ {
			v := orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])*float64(a)/steps, b.Min[1] + (b.Max[1]-b.Min[1])*float64(c)/steps}
			if boundaryDist(in, v) <= tolM*(1+1e-9) {
				continue
			}
			if wi, wg := planar.MultiPolygonContains(in, v), planar.MultiPolygonContains(got, v); wi != wg {
				t.Fatalf("point %v, %v from the input boundary: inside input %v, inside result %v", v, boundaryDist(in, v), wi, wg)
			}
		}
	}
}

// Collapse and cleaning rules, areas by hand: a unit square (area 1) is below any tolerance of
// 10, so it shrinks to its smallest valid form, a triangle of 3 of its corners (area ½), unless
// minAreaM2 drops it.
func TestSimplifyTopologyCollapse(t *testing.T) {
	unit := orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}} // repeated (1, 0)
	big := orb.Polygon{rect(0, 0, 100, 100), reverseRing(rect(40, 40, 41, 41))}
	cases := []struct {
		name     string
		in       orb.MultiPolygon
		tolM     float64
		minAreaM float64
		holes    []int
		areaM2   float64
	}{
		{"square-to-triangle", orb.MultiPolygon{unit}, 10, 0, []int{0}, 0.5},
		{"square-dropped", orb.MultiPolygon{unit}, 10, 1.5, []int{}, 0},
		{"no-tolerance-cleans-only", orb.MultiPolygon{unit}, 0, 0, []int{0}, 1},
		{"nan-tolerance-cleans-only", orb.MultiPolygon{unit}, math.NaN(), 0, []int{0}, 1},
		{"small-hole-dropped", orb.MultiPolygon{big}, 0, 2, []int{0}, 10000},
		{"small-hole-kept-as-triangle", orb.MultiPolygon{big}, 10, 0, []int{1}, 10000 - 0.5},
		{"exterior-dropped-with-hole", orb.MultiPolygon{big, {rect(200, 0, 201, 1)}}, 0, 50, []int{0}, 10000},
		{"degenerate-ring-dropped", orb.MultiPolygon{{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}}, 1, 0, []int{}, 0},
		{"empty", nil, 1, 0, []int{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SimplifyTopology(c.in, c.tolM, c.minAreaM)
			if h := holeCount(got); fmt.Sprint(h) != fmt.Sprint(c.holes) {
				t.Fatalf("holes per polygon %v, want %v: %v", h, c.holes, got)
			}
			if a := PlanarAreaM2(got); math.Abs(a-c.areaM2) > 1e-9 {
				t.Errorf("area %v, want %v", a, c.areaM2)
			}
			if err := checkValid(got); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSimplifyTopologyRandom simplifies the contours of random fields (the real input) at random
// tolerances of 0.2 to 3 cells and applies checkSimplified.
func TestSimplifyTopologyRandom(t *testing.T) {
	rng := seededRand(t, 77)
	for n := range 40 {
		nx, ny := 8+rng.IntN(25), 8+rng.IntN(25)
		g := Grid{X0M: 4e5, Y0M: 1.1e6, CellM: 50, NX: nx, NY: ny}
		vals := make([]float32, g.Len())
		var bumps [][3]float64
		for range 5 {
			bumps = append(bumps, [3]float64{rng.Float64() * float64(nx), rng.Float64() * float64(ny), 2 + rng.Float64()*5})
		}
		for j := range ny {
			for i := range nx {
				v := 0.3 * rng.Float64()
				for _, b := range bumps {
					v += math.Exp(-((float64(i)-b[0])*(float64(i)-b[0]) + (float64(j)-b[1])*(float64(j)-b[1])) / (b[2] * b[2]))
				}
				vals[g.Index(i, j)] = float32(v)
			}
		}
		level := float32(0.3 + 0.6*rng.Float64())
		tolM := g.CellM * (0.2 + 2.8*rng.Float64())
		in := ContourPolygons(g, vals, level)
		t.Run(fmt.Sprintf("%d-%dx%d-tol%.0f", n, nx, ny, tolM), func(t *testing.T) {
			got := SimplifyTopology(in, tolM, 0)
			checkSimplified(t, in, got, tolM)
			if vertexCount(got) > vertexCount(in) {
				t.Errorf("%d vertices, input %d", vertexCount(got), vertexCount(in))
			}
		})
	}
}

// TestSegIndex checks the bucket index against a brute-force scan: every segment whose
// bounding box meets a query's (those made with the index and those added after) comes back,
// and nothing comes back whose buckets the query's do not share.
func TestSegIndex(t *testing.T) {
	rng := seededRand(t, 91)
	seg := func() topoSeg {
		a := orb.Point{rng.Float64() * 1000, rng.Float64() * 600}
		return topoSeg{a: a, b: orb.Point{a[0] + rng.NormFloat64()*40, a[1] + rng.NormFloat64()*40}}
	}
	segs := make([]topoSeg, 2000)
	b := orb.Bound{Min: segs[0].a, Max: segs[0].a}
	for n := range segs {
		segs[n] = seg()
		b = b.Extend(segs[n].a).Extend(segs[n].b)
	}
	ix := newSegIndex(b, segs)
	if ix.nx*ix.ny < 100 {
		t.Fatalf("%d × %d buckets for %d segments", ix.nx, ix.ny, len(segs))
	}
	for range 500 { // added later, like chords; some outside the bound (clamped to its edge)
		sg := seg()
		ix.add(int32(len(segs)), sg.a, sg.b)
		segs = append(segs, sg)
	}
	box := func(sg topoSeg) orb.Bound { return orb.Bound{Min: sg.a, Max: sg.a}.Extend(sg.b) }
	shares := func(p, q orb.Bound) bool {
		pi0, pj0, pi1, pj1 := ix.span(p)
		qi0, qj0, qi1, qj1 := ix.span(q)
		return pi0 <= qi1 && qi0 <= pi1 && pj0 <= qj1 && qj0 <= pj1
	}
	for n := range 300 {
		q := box(seg())
		got := map[int32]bool{}
		ix.each(q, func(id int32) bool { got[id] = true; return true })
		for id, sg := range segs {
			if box(sg).Intersects(q) && !got[int32(id)] {
				t.Fatalf("query %d %v: segment %d %v not found", n, q, id, box(sg))
			}
		}
		for id := range got {
			if !shares(box(segs[id]), q) {
				t.Fatalf("query %d %v: segment %d %v in no bucket of the query", n, q, id, box(segs[id]))
			}
		}
	}
	calls := 0 // fn returning false stops the walk
	ix.each(b, func(int32) bool { calls++; return calls < 3 })
	if calls != 3 {
		t.Errorf("each went on after fn returned false: %d calls", calls)
	}
}

// Expected values: 2π·6378137·cos(lat)/(256·2^zoom)/2, worked on a calculator.
func TestToleranceForZoom(t *testing.T) {
	cases := []struct {
		name   string
		zoom   int
		latDeg float64
		want   float64
	}{
		{"z0-equator", 0, 0, 78271.51696402048},
		{"z12-lat60", 12, 60, 9.554628535647034},
		{"z12-travinh", 12, 9.93, 18.822984525462303},
		{"z15-travinh", 15, 9.93, 2.352873065682788},
		{"pole-clamped", 0, 90, 6752.22847294465},
		{"south-pole-clamped", 0, -90, 6752.22847294465},
		{"negative-zoom", -1, 0, 156543.03392804097},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ToleranceForZoom(c.zoom, c.latDeg); math.Abs(got-c.want) > 1e-9*c.want {
				t.Errorf("ToleranceForZoom(%d, %v) = %v, want %v", c.zoom, c.latDeg, got, c.want)
			}
		})
	}
}

// BenchmarkSimplifyTopology simplifies the zero contour of benchField (about 120k vertices,
// 13.5k rings, many of them one-cell noise islands) at the zoom-12 and zoom-15 tolerances over
// Trà Vinh, and at zoom 12 dropping rings under one 50 m cell.
func BenchmarkSimplifyTopology(b *testing.B) {
	g, vals := benchField()
	mp := ContourPolygons(g, vals, 0)
	cases := []struct {
		name      string
		zoom      int
		minAreaM2 float64
	}{{"z12", 12, 0}, {"z15", 15, 0}, {"z12-min2500m2", 12, 2500}}
	for _, c := range cases {
		tolM := ToleranceForZoom(c.zoom, 9.93)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var out orb.MultiPolygon
			for b.Loop() {
				out = SimplifyTopology(mp, tolM, c.minAreaM2)
			}
			b.ReportMetric(float64(vertexCount(mp)), "in-vertices")
			b.ReportMetric(float64(vertexCount(out)), "out-vertices")
		})
	}
}
