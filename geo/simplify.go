package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// SimplifyTopology simplifies every ring of mp with Douglas–Peucker at toleranceM but never lets a ring cross itself
// or any other ring of mp (like GEOS TopologyPreservingSimplifier): a candidate simplification that would create
// an intersection keeps more points; rings that would collapse below 4 points are kept as their smallest valid
// form or dropped if their area < minAreaM2.
//
// Coordinates are planar metres (a projection, not lon/lat). Douglas–Peucker runs on each ring
// from three anchors that it always keeps: the westmost vertex, the vertex farthest from it and
// the vertex farthest from the line of those two, so a ring never becomes smaller than a
// triangle. A run of vertices within toleranceM of the chord between its ends is replaced by the
// chord only if the chord meets no other edge of the current result (not even touching it), and
// if no vertex of any ring lies in the area between the run and the chord: a hole or island
// cannot jump outside its ring, and a ring cannot turn inside out. Otherwise the run is split at
// its farthest vertex and both halves are tried, down to the original edges. If mp is valid
// (rings that neither cross nor touch, as ContourPolygons makes) the result is valid with the
// same nesting, and every removed vertex lies within toleranceM of the result.
//
// Before simplifying, consecutive duplicate points are removed, and rings whose area is below
// minAreaM2 or zero are dropped (a dropped exterior takes its holes along; anything inside a
// dropped hole is smaller still and dropped too). Ring orientation and polygon order are kept.
// A toleranceM that is not positive (or NaN) only does that cleaning. mp is not modified.
//
// Intersection tests use a uniform bucket grid of the edges, so the cost is about linear in the
// number of vertices for contour-like inputs (about 0.1 s for 120k vertices; see
// BenchmarkSimplifyTopology).
func SimplifyTopology(mp orb.MultiPolygon, toleranceM, minAreaM2 float64) orb.MultiPolygon {
	rings, shape := topoRings(mp, minAreaM2)
	if len(rings) == 0 {
		return nil
	}
	s := newTopoSimplifier(rings, toleranceM)
	if toleranceM > 0 {
		for r := range rings {
			s.simplifyRing(r)
		}
	}
	out := make(orb.MultiPolygon, 0, len(shape))
	next := 0
	for _, nRings := range shape {
		p := make(orb.Polygon, nRings)
		for k := range p {
			p[k] = s.result(next)
			next++
		}
		out = append(out, p)
	}
	return out
}

// ToleranceForZoom returns the simplification tolerance in metres for a web-map zoom level (≈ half a screen pixel at
// that zoom and latitude latDeg).
//
// One pixel of a 256-pixel web-Mercator tile is 2π·6378137·cos(lat)/(256·2^zoom) metres on the
// ground (156 543 m at zoom 0 on the equator); the tolerance is half of it: 18.8 m at zoom 12 and
// 2.35 m at zoom 15 over Trà Vinh (latitude 9.9°). Latitudes are clamped to web Mercator's
// ±85.0511°; the result is positive for any finite zoom.
func ToleranceForZoom(zoom int, latDeg float64) float64 {
	const earthCircumferenceM = 2 * math.Pi * 6378137
	lat := math.Max(-webMercatorMaxLatDeg, math.Min(webMercatorMaxLatDeg, latDeg))
	return earthCircumferenceM * math.Cos(lat*deg) / (256 * math.Exp2(float64(zoom))) / 2
}

// webMercatorMaxLatDeg is the latitude where web Mercator's square world ends, atan(sinh π).
const webMercatorMaxLatDeg = 85.0511287798066

// topoRings returns the cleaned open rings of mp that SimplifyTopology keeps (exterior first,
// then its holes, polygon by polygon) and the number of rings each kept polygon has.
func topoRings(mp orb.MultiPolygon, minAreaM2 float64) (rings [][]orb.Point, shape []int) {
	for _, p := range mp {
		for k, r := range p {
			pts := openRing(r, signedArea(r) > 0) // orientation kept; nil if degenerate (clip.go)
			if pts == nil || math.Abs(signedArea(pts)) < minAreaM2 {
				if k == 0 {
					break
				}
				continue
			}
			if k == 0 {
				shape = append(shape, 0)
			}
			rings = append(rings, pts)
			shape[len(shape)-1]++
		}
	}
	return rings, shape
}

// topoSeg is an edge of the current result: an original edge idx → idx+1 of ring, or a chord
// that replaced a run of them (idx −1).
type topoSeg struct {
	a, b orb.Point
	ring int32
	idx  int32
	dead bool
}

type topoSimplifier struct {
	rings [][]orb.Point
	keep  [][]bool
	first []int // westmost vertex of each ring: where its result starts
	tolM  float64
	segs  []topoSeg
	base  []int // id of ring r's original edge 0
	index segIndex
	stamp []uint32 // per segment: the query that last visited it
	query uint32
}

func newTopoSimplifier(rings [][]orb.Point, tolM float64) *topoSimplifier {
	n := 0
	for _, pts := range rings {
		n += len(pts)
	}
	// Sized once: a country's layer has tens of millions of edges, and growing these by append
	// copied them over and over and left the old arrays to the collector (the chords the
	// simplification adds get a quarter more room).
	s := &topoSimplifier{rings: rings, tolM: tolM, keep: make([][]bool, len(rings)), first: make([]int, len(rings)),
		base: make([]int, len(rings)), segs: make([]topoSeg, 0, n+n/4)}
	b := orb.Bound{Min: rings[0][0], Max: rings[0][0]}
	for r, pts := range rings {
		s.base[r] = len(s.segs)
		keep := make([]bool, len(pts))
		west := 0
		for k, p := range pts {
			keep[k] = true
			b = b.Extend(p)
			if p[0] < pts[west][0] || (p[0] == pts[west][0] && p[1] < pts[west][1]) {
				west = k
			}
			s.segs = append(s.segs, topoSeg{a: p, b: pts[(k+1)%len(pts)], ring: int32(r), idx: int32(k)})
		}
		s.keep[r], s.first[r] = keep, west
	}
	if !(tolM > 0) {
		return s
	}
	s.index = newSegIndex(b, s.segs)
	s.stamp = make([]uint32, len(s.segs), cap(s.segs))
	return s
}

// result returns ring r's kept vertices from its westmost one, closed.
func (s *topoSimplifier) result(r int) orb.Ring {
	pts, keep, n := s.rings[r], s.keep[r], len(s.rings[r])
	out := make(orb.Ring, 0, n+1)
	for u := s.first[r]; u < s.first[r]+n; u++ {
		if keep[u%n] {
			out = append(out, pts[u%n])
		}
	}
	return append(out, out[0])
}

// simplifyRing runs the constrained Douglas–Peucker on ring r from its three anchors.
// Positions u are unrolled: vertex u%n, with the anchors at a ≤ u ≤ a+n.
func (s *topoSimplifier) simplifyRing(r int) {
	pts := s.rings[r]
	n := len(pts)
	a := s.first[r]
	b, c := a, a
	far := -1.0
	for u := a + 1; u < a+n; u++ {
		if d := planar.DistanceSquared(pts[a], pts[u%n]); d > far {
			far, b = d, u
		}
	}
	far = -1
	for u := a + 1; u < a+n; u++ {
		if d := planar.DistanceFromSegmentSquared(pts[a], pts[b%n], pts[u%n]); u != b && d > far {
			far, c = d, u
		}
	}
	lo, hi := min(b, c), max(b, c)
	s.section(r, a, lo)
	s.section(r, lo, hi)
	s.section(r, hi, a+n)
}

// section simplifies the run from unrolled position i to j of ring r, which is still made of
// original edges.
func (s *topoSimplifier) section(r, i, j int) {
	if j-i < 2 {
		return
	}
	pts := s.rings[r]
	n := len(pts)
	p, q := pts[i%n], pts[j%n]
	far, k := -1.0, i+1
	for u := i + 1; u < j; u++ {
		if d := planar.DistanceFromSegmentSquared(p, q, pts[u%n]); d > far {
			far, k = d, u
		}
	}
	if far <= s.tolM*s.tolM && s.canReplace(r, i, j) {
		for u := i + 1; u < j; u++ {
			s.keep[r][u%n] = false
		}
		for u := i; u < j; u++ {
			s.segs[s.base[r]+u%n].dead = true
		}
		id := int32(len(s.segs))
		s.segs = append(s.segs, topoSeg{a: p, b: q, ring: int32(r), idx: -1})
		s.stamp = append(s.stamp, 0)
		s.index.add(id, p, q)
		return
	}
	s.section(r, i, k)
	s.section(r, k, j)
}

// inRun reports whether segment sg is one of the original edges from unrolled i to j of ring r.
func (s *topoSimplifier) inRun(sg topoSeg, r, i, j int) bool {
	if int(sg.ring) != r || sg.idx < 0 {
		return false
	}
	n := len(s.rings[r])
	return ((int(sg.idx)-i)%n+n)%n < j-i
}

// canReplace reports whether the chord from unrolled i to j of ring r may replace the run
// between them: the chord meets no other live edge except its neighbours at its own ends, and no
// live vertex other than the run's lies in the area between the run and the chord (a nonzero
// winding number of the run closed by the chord; that area lies within tolM of the chord).
func (s *topoSimplifier) canReplace(r, i, j int) bool {
	pts := s.rings[r]
	n := len(pts)
	p, q := pts[i%n], pts[j%n]
	ok := true
	s.visit(orb.Bound{Min: p, Max: p}.Extend(q), func(sg topoSeg) bool {
		if !s.inRun(sg, r, i, j) && chordHits(p, q, sg.a, sg.b) {
			ok = false
		}
		return ok
	})
	if !ok {
		return false
	}
	tol2 := s.tolM * s.tolM
	run := func(k int) orb.Point { return pts[(i+k)%n] }
	s.visit(orb.Bound{Min: p, Max: p}.Extend(q).Pad(s.tolM), func(sg topoSeg) bool {
		if s.inRun(sg, r, i, j) {
			return true
		}
		for _, v := range [2]orb.Point{sg.a, sg.b} {
			if v != p && v != q && planar.DistanceFromSegmentSquared(p, q, v) <= tol2 &&
				windingNumber(v, j-i+1, run) != 0 {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// visit calls fn once for each live segment in the buckets that b overlaps, until fn returns
// false.
func (s *topoSimplifier) visit(b orb.Bound, fn func(topoSeg) bool) {
	s.query++
	s.index.each(b, func(id int32) bool {
		if s.stamp[id] == s.query || s.segs[id].dead {
			return true
		}
		s.stamp[id] = s.query
		return fn(s.segs[id])
	})
}

// chordHits reports whether chord pq and segment ab share a point that is not a common endpoint,
// or overlap along a stretch. A segment with an endpoint on the chord's end (its neighbour in
// the ring) may only leave that point in another direction.
func chordHits(p, q, a, b orb.Point) bool {
	switch {
	case a == p || b == p || a == q || b == q:
		shared, other := p, q
		if a == q || b == q {
			shared, other = q, p
		}
		far := a
		if a == shared {
			far = b
		}
		if far == other { // the chord is this very edge reversed, or a two-point ring
			return true
		}
		// Collinear and on the chord's side of the shared point: they overlap.
		return cross(shared, other, far) == 0 &&
			(other[0]-shared[0])*(far[0]-shared[0])+(other[1]-shared[1])*(far[1]-shared[1]) > 0
	}
	d1, d2 := cross(p, q, a), cross(p, q, b)
	d3, d4 := cross(a, b, p), cross(a, b, q)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && onSegment(p, q, a)) || (d2 == 0 && onSegment(p, q, b)) ||
		(d3 == 0 && onSegment(a, b, p)) || (d4 == 0 && onSegment(a, b, q))
}

// onSegment reports whether x, collinear with ab, lies between a and b inclusive.
func onSegment(a, b, x orb.Point) bool {
	return x[0] >= math.Min(a[0], b[0]) && x[0] <= math.Max(a[0], b[0]) &&
		x[1] >= math.Min(a[1], b[1]) && x[1] <= math.Max(a[1], b[1])
}

// windingNumber returns how many times the closed polygon at(0), …, at(n−1) winds
// counter-clockwise around v (Sunday's crossing rule; v must not lie on it).
func windingNumber(v orb.Point, n int, at func(int) orb.Point) int {
	w := 0
	for k := range n {
		a, b := at(k), at((k+1)%n)
		if a[1] <= v[1] {
			if b[1] > v[1] && cross(a, b, v) > 0 {
				w++
			}
		} else if b[1] <= v[1] && cross(a, b, v) < 0 {
			w--
		}
	}
	return w
}

// segIndex is a uniform grid of buckets over a bound, each listing the segments whose bounding
// box overlaps it. Segments are only added; callers skip the ones they have retired. The
// segments it is made with are listed bucket after bucket in one array (start: where each
// bucket's begin), those added later (the chords) in a list per bucket (head, then next), so
// that a country's index is a few flat arrays without pointers, not a slice per bucket.
type segIndex struct {
	origin orb.Point
	cellM  float64
	nx, ny int
	start  []int32 // bucket k's first segments are ids[start[k]:start[k+1]]
	ids    []int32
	head   []int32 // bucket k's latest added segment: an index into added (−1: none)
	added  []addedSeg
}

// addedSeg is a segment added to a segIndex after it was made, in one bucket's list.
type addedSeg struct {
	id, next int32 // next: the bucket's segment added before it (−1: none)
}

// newSegIndex indexes segs (ids = their positions) in a grid of about one bucket per segment.
func newSegIndex(b orb.Bound, segs []topoSeg) segIndex {
	nSegs := len(segs)
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	cell := math.Sqrt(w * h / float64(max(1, nSegs)))
	if !(cell > 0) {
		cell = math.Max(w, h) / float64(max(1, nSegs))
	}
	if !(cell > 0) {
		cell = 1
	}
	nx := min(int(w/cell)+1, 1<<12)
	ny := min(int(h/cell)+1, 1<<12)
	cell = math.Max(cell, math.Max(w/float64(nx), h/float64(ny))*(1+1e-9))
	ix := segIndex{origin: b.Min, cellM: cell, nx: nx, ny: ny, start: make([]int32, nx*ny+1), head: make([]int32, nx*ny)}
	for k := range ix.head {
		ix.head[k] = -1
	}
	each := func(sg *topoSeg, fn func(k int)) {
		i0, j0, i1, j1 := ix.span(orb.Bound{Min: sg.a, Max: sg.a}.Extend(sg.b))
		for j := j0; j <= j1; j++ {
			for i := i0; i <= i1; i++ {
				fn(j*nx + i)
			}
		}
	}
	for id := range segs { // count each bucket's segments in the next one's start …
		each(&segs[id], func(k int) { ix.start[k+1]++ })
	}
	for k := 1; k < len(ix.start); k++ { // … sum them up …
		ix.start[k] += ix.start[k-1]
	}
	ix.ids = make([]int32, ix.start[len(ix.start)-1])
	fill := slices.Clone(ix.start[:nx*ny])
	for id := range segs { // … and list them, in id order within each bucket
		each(&segs[id], func(k int) { ix.ids[fill[k]] = int32(id); fill[k]++ })
	}
	return ix
}

// span returns the clamped bucket ranges that b overlaps.
func (ix *segIndex) span(b orb.Bound) (i0, j0, i1, j1 int) {
	at := func(v, o float64, n int) int {
		return int(math.Max(0, math.Min(float64(n-1), math.Floor((v-o)/ix.cellM))))
	}
	return at(b.Min[0], ix.origin[0], ix.nx), at(b.Min[1], ix.origin[1], ix.ny),
		at(b.Max[0], ix.origin[0], ix.nx), at(b.Max[1], ix.origin[1], ix.ny)
}

// add lists segment id, from a to b, in the buckets its bounding box overlaps.
func (ix *segIndex) add(id int32, a, b orb.Point) {
	i0, j0, i1, j1 := ix.span(orb.Bound{Min: a, Max: a}.Extend(b))
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			k := j*ix.nx + i
			ix.added = append(ix.added, addedSeg{id: id, next: ix.head[k]})
			ix.head[k] = int32(len(ix.added) - 1)
		}
	}
}

// each calls fn for every id in the buckets b overlaps (an id may come more than once) until fn
// returns false.
func (ix *segIndex) each(b orb.Bound, fn func(int32) bool) {
	i0, j0, i1, j1 := ix.span(b)
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			k := j*ix.nx + i
			for _, id := range ix.ids[ix.start[k]:ix.start[k+1]] {
				if !fn(id) {
					return
				}
			}
			for a := ix.head[k]; a >= 0; a = ix.added[a].next {
				if !fn(ix.added[a].id) {
					return
				}
			}
		}
	}
}
