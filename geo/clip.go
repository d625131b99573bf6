package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// clipMinRingRel drops result rings whose area is below this fraction of the clip polygon's
// area: slivers left by rounding when an edge is collinear with the clip boundary to within
// floating-point error but not exactly.
const clipMinRingRel = 1e-12

// ClipToConvex returns the intersection of subject (any valid polygons: non-convex, with holes,
// several parts) with the convex polygon convex, in planar coordinates (metres of a projection).
// The result is valid: each connected piece is its own Polygon (no zero-width bridges), outer
// rings are closed and counter-clockwise, holes closed and clockwise, and no ring touches itself.
// Clipping one subject by convex polygons that tile the plane gives pieces whose areas sum to the
// subject's area.
//
// The method rebuilds the boundary of the intersection: the parts of subject edges inside convex,
// plus the parts of convex's boundary inside subject, linked end to end. Boundaries that overlap
// exactly (a subject edge along a clip edge) are kept once, or dropped when the subject lies
// outside. Points and edges on the boundary of both give no zero-area parts. Input orientation
// does not matter. convex must be convex (a non-convex ring gives a wrong result, not an error);
// a degenerate convex (fewer than 3 distinct points or zero area) or an empty intersection gives
// nil.
func ClipToConvex(subject orb.MultiPolygon, convex orb.Ring) orb.MultiPolygon {
	clip := openRing(convex, true)
	if clip == nil {
		return nil
	}
	clipBound := orb.MultiPoint(clip).Bound()
	var rings [][]orb.Point
	for _, poly := range subject {
		if !poly.Bound().Intersects(clipBound) {
			continue
		}
		for k, r := range poly {
			or := openRing(r, k == 0)
			if or == nil && k == 0 {
				break // degenerate outer: nothing to clip
			}
			if or != nil {
				rings = append(rings, or)
			}
		}
	}
	if len(rings) == 0 {
		return nil
	}
	cs := newClipSplits(len(clip))
	var segs []clipSeg
	for _, ring := range rings {
		for k, a := range ring {
			b := ring[(k+1)%len(ring)]
			segs = append(segs, subjectPieces(a, b, clip, cs)...)
		}
	}
	segs = append(segs, clipPieces(clip, cs, rings)...)
	// A ring that comes back to a vertex it passed (a hole touching its exterior at a point, as
	// CellOutlines makes them) is cut there into simple rings (outline.go), open again for
	// assemble.
	var simple [][]orb.Point
	for _, r := range linkRings(segs) {
		for _, s := range splitAtRepeats(r) {
			simple = append(simple, s[:len(s)-1])
		}
	}
	return assemble(simple, math.Abs(signedArea(clip))*clipMinRingRel)
}

// clipSeg is a directed piece of the result's boundary, interior on its left.
type clipSeg struct{ from, to orb.Point }

// clipSplits collects, per clip edge, the points where subject edges meet it (parameter s along
// the edge) and the stretches covered by collinear subject edges.
type clipSplits struct {
	pts     [][]splitPt
	covered [][][2]float64 // s intervals
}

// splitPt is a point on an edge at parameter t (0 at the start, 1 at the end).
type splitPt struct {
	t float64
	p orb.Point
}

func newClipSplits(n int) *clipSplits {
	return &clipSplits{pts: make([][]splitPt, n), covered: make([][][2]float64, n)}
}

// subjectPieces splits the subject edge a→b where it meets the clip boundary, records the meeting
// points on the clip edges, and returns the pieces that lie inside clip (a piece along a clip edge
// is kept when it runs the same way, so that the subject's interior is inside).
func subjectPieces(a, b orb.Point, clip []orb.Point, cs *clipSplits) []clipSeg {
	splits := []splitPt{{0, a}, {1, b}}
	type span struct {
		lo, hi float64
		same   bool
	}
	var along []span // t intervals of a→b lying on a clip edge
	for ci, p := range clip {
		q := clip[(ci+1)%len(clip)]
		ca, cb := cross(p, q, a), cross(p, q, b)
		if ca == 0 && cb == 0 {
			sa, sb := edgeParam(p, q, a), edgeParam(p, q, b)
			lo, hi := max(min(sa, sb), 0), min(max(sa, sb), 1)
			if lo >= hi {
				continue
			}
			cs.covered[ci] = append(cs.covered[ci], [2]float64{lo, hi})
			for _, e := range []orb.Point{p, q} {
				if t := edgeParam(a, b, e); t > 0 && t < 1 {
					splits = append(splits, splitPt{t, e})
				}
			}
			for _, e := range []splitPt{{sa, a}, {sb, b}} {
				if e.t > 0 && e.t < 1 {
					cs.pts[ci] = append(cs.pts[ci], e)
				}
			}
			ta, tb := edgeParam(a, b, p), edgeParam(a, b, q)
			along = append(along, span{max(min(ta, tb), 0), min(max(ta, tb), 1), tb > ta})
			continue
		}
		if (ca > 0 && cb > 0) || (ca < 0 && cb < 0) {
			continue
		}
		cp, cq := cross(a, b, p), cross(a, b, q)
		if (cp > 0 && cq > 0) || (cp < 0 && cq < 0) {
			continue
		}
		var x orb.Point
		switch {
		case ca == 0:
			x = a
		case cb == 0:
			x = b
		case cp == 0:
			x = p
		case cq == 0:
			x = q
		default:
			f := ca / (ca - cb)
			x = orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
		}
		splits = append(splits, splitPt{edgeParam(a, b, x), x})
		cs.pts[ci] = append(cs.pts[ci], splitPt{edgeParam(p, q, x), x})
	}
	var out []clipSeg
	splits = sortSplits(splits)
	for k := 0; k+1 < len(splits); k++ {
		u, w := splits[k], splits[k+1]
		mt := (u.t + w.t) / 2
		keep, decided := false, false
		for _, s := range along {
			if mt > s.lo && mt < s.hi {
				keep, decided = s.same, true
				break
			}
		}
		if !decided {
			keep = insideConvex(midpoint(u.p, w.p), clip)
		}
		if keep {
			out = append(out, clipSeg{u.p, w.p})
		}
	}
	return out
}

// clipPieces returns the parts of the clip boundary that lie inside the subject, split at the
// points recorded by subjectPieces; stretches covered by a subject edge are left to that edge.
func clipPieces(clip []orb.Point, cs *clipSplits, rings [][]orb.Point) []clipSeg {
	var out []clipSeg
	for ci, p := range clip {
		q := clip[(ci+1)%len(clip)]
		splits := sortSplits(append(cs.pts[ci], splitPt{0, p}, splitPt{1, q}))
	pieces:
		for k := 0; k+1 < len(splits); k++ {
			u, w := splits[k], splits[k+1]
			mt := (u.t + w.t) / 2
			for _, iv := range cs.covered[ci] {
				if mt > iv[0] && mt < iv[1] {
					continue pieces
				}
			}
			if insideEvenOdd(midpoint(u.p, w.p), rings) {
				out = append(out, clipSeg{u.p, w.p})
			}
		}
	}
	return out
}

// linkRings joins directed segments end to end into closed rings. Where several segments leave
// the same point (parts touching at a vertex), it takes the one with the smallest clockwise turn
// from the way back, which keeps each ring around a single piece of interior.
func linkRings(segs []clipSeg) [][]orb.Point {
	out := make(map[orb.Point][]int, len(segs))
	for i, s := range segs {
		out[s.from] = append(out[s.from], i)
	}
	used := make([]bool, len(segs))
	var rings [][]orb.Point
	for i := range segs {
		if used[i] {
			continue
		}
		used[i] = true
		start, cur := segs[i].from, i
		ring := []orb.Point{start}
		for segs[cur].to != start {
			next := nextSeg(segs, out[segs[cur].to], used, segs[cur])
			if next < 0 {
				break // open chain: only from rounding; closed implicitly below
			}
			ring = append(ring, segs[cur].to)
			used[next] = true
			cur = next
		}
		if segs[cur].to != start {
			ring = append(ring, segs[cur].to)
		}
		rings = append(rings, ring)
	}
	return rings
}

// nextSeg picks, among the unused candidates leaving in.to, the first one met turning clockwise
// from the direction back along in; -1 when there is none.
func nextSeg(segs []clipSeg, cands []int, used []bool, in clipSeg) int {
	back := math.Atan2(in.from[1]-in.to[1], in.from[0]-in.to[0])
	best, bestTurn := -1, math.Inf(1)
	for _, c := range cands {
		if used[c] {
			continue
		}
		d := math.Atan2(segs[c].to[1]-segs[c].from[1], segs[c].to[0]-segs[c].from[0])
		turn := math.Mod(back-d+4*math.Pi, 2*math.Pi) // clockwise angle from back to d
		if turn == 0 {
			turn = 2 * math.Pi // going straight back is the last resort
		}
		if turn < bestTurn {
			best, bestTurn = c, turn
		}
	}
	return best
}

// assemble sorts rings into polygons: counter-clockwise rings are outers, clockwise ones holes,
// each hole going to the smallest outer that contains it. Rings under minArea are dropped.
func assemble(rings [][]orb.Point, minArea float64) orb.MultiPolygon {
	type outer struct {
		ring orb.Ring
		area float64
		poly orb.Polygon
	}
	var outers []*outer
	var holes []orb.Ring
	for _, r := range rings {
		a := signedArea(r)
		if math.Abs(a) <= minArea || len(r) < 3 {
			continue
		}
		closed := append(orb.Ring(slices.Clone(r)), r[0])
		if a > 0 {
			outers = append(outers, &outer{closed, a, orb.Polygon{closed}})
		} else {
			holes = append(holes, closed)
		}
	}
	for _, h := range holes {
		var best *outer
		probe := midpoint(h[0], h[1])
		for _, o := range outers {
			if (best == nil || o.area < best.area) && planar.RingContains(o.ring, probe) {
				best = o
			}
		}
		if best != nil {
			best.poly = append(best.poly, h)
		}
	}
	var mp orb.MultiPolygon
	for _, o := range outers {
		mp = append(mp, o.poly)
	}
	return mp
}

// openRing returns r without its closing point or repeated consecutive points, oriented
// counter-clockwise when ccw and clockwise otherwise; nil when fewer than 3 points or zero area
// remain.
func openRing(r orb.Ring, ccw bool) []orb.Point {
	pts := make([]orb.Point, 0, len(r))
	for _, p := range r {
		if len(pts) == 0 || p != pts[len(pts)-1] {
			pts = append(pts, p)
		}
	}
	for len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	a := signedArea(pts)
	if len(pts) < 3 || a == 0 {
		return nil
	}
	if (a > 0) != ccw {
		slices.Reverse(pts)
	}
	return pts
}

// sortSplits sorts split points by parameter and drops repeated points.
func sortSplits(s []splitPt) []splitPt {
	slices.SortFunc(s, func(x, y splitPt) int {
		switch {
		case x.t < y.t:
			return -1
		case x.t > y.t:
			return 1
		}
		return 0
	})
	return slices.CompactFunc(s, func(x, y splitPt) bool { return x.p == y.p })
}

// edgeParam returns the parameter of x's projection on the line p→q (0 at p, 1 at q).
func edgeParam(p, q, x orb.Point) float64 {
	dx, dy := q[0]-p[0], q[1]-p[1]
	return ((x[0]-p[0])*dx + (x[1]-p[1])*dy) / (dx*dx + dy*dy)
}

// insideConvex reports whether m is inside or on the boundary of the counter-clockwise convex
// polygon clip.
func insideConvex(m orb.Point, clip []orb.Point) bool {
	for ci, p := range clip {
		if cross(p, clip[(ci+1)%len(clip)], m) < 0 {
			return false
		}
	}
	return true
}

// insideEvenOdd reports whether m is inside the region bounded by rings (even-odd rule: a valid
// multipolygon's outers and holes together).
func insideEvenOdd(m orb.Point, rings [][]orb.Point) bool {
	in := false
	for _, r := range rings {
		for k, a := range r {
			b := r[(k+1)%len(r)]
			if (a[1] > m[1]) != (b[1] > m[1]) &&
				m[0] < a[0]+(m[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
				in = !in
			}
		}
	}
	return in
}

func midpoint(a, b orb.Point) orb.Point {
	return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
}
