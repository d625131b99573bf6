package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// rfc7946Scale rounds coordinates to 6 decimals: 1e-6° is 0.11 m of latitude and at most 0.11 m
// of longitude, finer than the 50 m grids and 2 m tolerances this package draws with.
const rfc7946Scale = 1e6

// RFC7946 returns a copy with exterior rings counter-clockwise and holes clockwise (right-hand rule), coordinates
// rounded to 6 decimals (≈ 0.1 m), consecutive duplicate points removed and degenerate rings dropped.
//
// g holds lon/lat degrees (orientation is taken in that plane, as GeoJSON validators do). A ring
// is degenerate when, after rounding, it has fewer than 3 distinct points or zero area; a Polygon
// whose exterior is degenerate is dropped whole. What becomes empty is returned as the empty value
// of its type (a GeoJSON empty geometry, which RFC 7946 §3.1 lets readers treat as null): a
// LineString of fewer than 2 distinct points, a Ring or Polygon with a degenerate exterior, a
// multi-geometry or Collection with no member left (empty members are dropped from them). A Bound
// is rounded outward, so it still covers what it covered. Rounding can make nearly touching rings
// touch or cross; simplify first (SimplifyTopology) so nothing is within 0.1 m of anything else.
// nil gives nil; g is not modified.
func RFC7946(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return roundPoint(g)
	case orb.MultiPoint:
		out := make(orb.MultiPoint, len(g))
		for k, p := range g {
			out[k] = roundPoint(p)
		}
		return out
	case orb.LineString:
		return rfcLine(g)
	case orb.MultiLineString:
		out := orb.MultiLineString{}
		for _, ls := range g {
			if l := rfcLine(ls); len(l) > 0 {
				out = append(out, l)
			}
		}
		return out
	case orb.Ring:
		return rfcRing(g, true)
	case orb.Polygon:
		return rfcPolygon(g)
	case orb.MultiPolygon:
		out := orb.MultiPolygon{}
		for _, p := range g {
			if q := rfcPolygon(p); len(q) > 0 {
				out = append(out, q)
			}
		}
		return out
	case orb.Collection:
		out := orb.Collection{}
		for _, m := range g {
			if c := RFC7946(m); c != nil && !emptyGeometry(c) {
				out = append(out, c)
			}
		}
		return out
	case orb.Bound:
		floor := func(v float64) float64 { return noNegZero(math.Floor(v*rfc7946Scale) / rfc7946Scale) }
		ceil := func(v float64) float64 { return noNegZero(math.Ceil(v*rfc7946Scale) / rfc7946Scale) }
		return orb.Bound{Min: orb.Point{floor(g.Min[0]), floor(g.Min[1])}, Max: orb.Point{ceil(g.Max[0]), ceil(g.Max[1])}}
	}
	return nil
}

// emptyGeometry reports whether g has no coordinates (orb's Dimensions do not say).
func emptyGeometry(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		return len(g) == 0
	}
	return false
}

func roundPoint(p orb.Point) orb.Point {
	return orb.Point{
		noNegZero(math.Round(p[0]*rfc7946Scale) / rfc7946Scale),
		noNegZero(math.Round(p[1]*rfc7946Scale) / rfc7946Scale),
	}
}

// noNegZero turns −0, which rounding small negative values gives, into 0 so JSON shows "0".
func noNegZero(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

// rfcLine returns ls rounded without consecutive duplicates, or an empty LineString if fewer
// than 2 points remain.
func rfcLine(ls orb.LineString) orb.LineString {
	out := make(orb.LineString, 0, len(ls))
	for _, p := range ls {
		if q := roundPoint(p); len(out) == 0 || q != out[len(out)-1] {
			out = append(out, q)
		}
	}
	if len(out) < 2 {
		return orb.LineString{}
	}
	return out
}

// rfcRing returns r rounded, cleaned, oriented counter-clockwise (ccw) or clockwise and closed,
// starting where r starts, or an empty Ring if it is degenerate.
func rfcRing(r orb.Ring, ccw bool) orb.Ring {
	rounded := make(orb.Ring, len(r))
	for k, p := range r {
		rounded[k] = roundPoint(p)
	}
	// openRing (clip.go) drops repeated points and degenerate rings; reversing after it, all but
	// the first point, keeps the ring's start.
	pts := openRing(rounded, signedArea(rounded) > 0)
	if pts == nil {
		return orb.Ring{}
	}
	if (signedArea(pts) > 0) != ccw {
		slices.Reverse(pts[1:])
	}
	return append(orb.Ring(pts), pts[0])
}

// rfcPolygon applies rfcRing to p's exterior (counter-clockwise) and holes (clockwise),
// dropping degenerate holes; a degenerate exterior gives an empty Polygon.
func rfcPolygon(p orb.Polygon) orb.Polygon {
	if len(p) == 0 {
		return orb.Polygon{}
	}
	outer := rfcRing(p[0], true)
	if len(outer) == 0 {
		return orb.Polygon{}
	}
	out := orb.Polygon{outer}
	for _, h := range p[1:] {
		if r := rfcRing(h, false); len(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// LonLatMultiPolygon maps mp, projected metres in tm, to lon/lat WGS84 in the RFC 7946 form
// (RFC7946: counter-clockwise exteriors, clockwise holes, 6 decimals). It never returns nil: an
// empty mp, or one nothing of which survives the rounding, gives an empty MultiPolygon.
func LonLatMultiPolygon(tm TransverseMercator, mp orb.MultiPolygon) orb.MultiPolygon {
	if len(mp) == 0 {
		return orb.MultiPolygon{}
	}
	out, _ := RFC7946(tm.InverseGeometry(mp)).(orb.MultiPolygon)
	if out == nil {
		return orb.MultiPolygon{}
	}
	return out
}

// AsMultiPolygon returns g as a MultiPolygon: a MultiPolygon as it is, a Polygon as the one
// member of one; nil for every other type (points, lines, collections).
func AsMultiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch t := g.(type) {
	case orb.MultiPolygon:
		return t
	case orb.Polygon:
		return orb.MultiPolygon{t}
	}
	return nil
}
