// Package render is phusong's presentation of the domain's results: the GeoJSON layers the API
// serves and the exports write (Coverage, Gaps, Communes, Footprints, Reach; MarkSynthetic for
// the demo's note), built from the coverage engine's and fibre reach's polygons, which those
// keep at full detail in their metric frame; and the same layers in the formats planners open
// outside the web map: KML 2.2 for Google Earth and QGIS, and CSV with one WKT (or EWKB hex)
// geometry per row for spreadsheets, PostGIS and QGIS.
//
// GeoJSON layers: the projected polygons (geo.TransverseMercator metres) are simplified per
// web-map zoom when asked (geo.ToleranceForZoom at the grid's centre latitude, topology kept by
// geo.SimplifyTopology, zooms above MaxZoom as MaxZoom; a negative zoom is the full detail),
// then inverse-projected to WGS84 lon/lat in RFC 7946 form (counter-clockwise exteriors,
// clockwise holes, 6 decimals; an empty layer is an empty MultiPolygon, never null). Areas in
// the properties are those of the projected geometry returned, before the rounding of the
// coordinates. Nothing is cached here: the server caches response bodies per data version.
//
// Geometries arrive as orb types in WGS84 lon/lat degrees and are converted once to go-geom
// (github.com/twpayne/go-geom, layout XY, SRID 4326), which every encoder then reads: go-geom
// has the KML encoder orb lacks, and a robust ring orientation test (xy.IsRingCounterClockwise,
// exact arithmetic through bigxy, where orb's Ring.Orientation sums a floating-point area) used
// to write every exterior ring counter-clockwise and every hole clockwise, as KML requires for
// Google Earth to fill a polygon (and as OGC simple features and RFC 7946 expect). Its WKT and
// EWKB encoders then write the same SRID-carrying geometry. Label points use go-geom's area
// centroid (xy.PolygonsCentroid) and ring location test (xy.LocatePointInRing).
//
// Coordinates are rounded to 6 decimals of a degree (a displacement of at most 0.08 m), the
// precision of the GeoJSON layers the server answers.
package render

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/xy"
	"github.com/twpayne/go-geom/xy/location"
)

// SRID is the spatial reference of every converted geometry: EPSG:4326, WGS84 lon/lat.
const SRID = 4326

// ErrGeometry is wrapped by every conversion error: a ring with fewer than four points, a
// coordinate that is not finite, or an orb type with no go-geom counterpart.
var ErrGeometry = errors.New("export: invalid geometry")

// ToGeom converts g (lon/lat degrees) to a go-geom geometry with layout XY and SRID 4326:
// Point, MultiPoint, LineString, MultiLineString, Polygon (also from orb.Ring and orb.Bound),
// MultiPolygon and GeometryCollection (from orb.Collection, recursively). Coordinates are
// rounded to 6 decimals. Rings are closed when their last point differs from the first, then
// oriented: exteriors counter-clockwise, holes clockwise. Empty multi-geometries stay empty
// (WKT "MULTIPOLYGON EMPTY"); a nil g gives nil and no error. Errors wrap ErrGeometry.
func ToGeom(g orb.Geometry) (geom.T, error) {
	switch g := g.(type) {
	case nil:
		return nil, nil
	case orb.Point:
		flat, err := appendPoints(nil, []orb.Point{g})
		if err != nil {
			return nil, err
		}
		return geom.NewPointFlat(geom.XY, flat).SetSRID(SRID), nil
	case orb.MultiPoint:
		flat, err := appendPoints(nil, g)
		if err != nil {
			return nil, err
		}
		return geom.NewMultiPointFlat(geom.XY, flat).SetSRID(SRID), nil
	case orb.LineString:
		flat, err := appendLine(nil, g)
		if err != nil {
			return nil, err
		}
		return geom.NewLineStringFlat(geom.XY, flat).SetSRID(SRID), nil
	case orb.MultiLineString:
		var flat []float64
		ends := make([]int, 0, len(g))
		for _, ls := range g {
			var err error
			if flat, err = appendLine(flat, ls); err != nil {
				return nil, err
			}
			ends = append(ends, len(flat))
		}
		return geom.NewMultiLineStringFlat(geom.XY, flat, ends).SetSRID(SRID), nil
	case orb.Ring:
		return polygon(orb.Polygon{g})
	case orb.Bound:
		return polygon(g.ToPolygon())
	case orb.Polygon:
		return polygon(g)
	case orb.MultiPolygon:
		var flat []float64
		endss := make([][]int, 0, len(g))
		for _, p := range g {
			var ends []int
			var err error
			if flat, ends, err = appendPolygon(flat, p); err != nil {
				return nil, err
			}
			endss = append(endss, ends)
		}
		return geom.NewMultiPolygonFlat(geom.XY, flat, endss).SetSRID(SRID), nil
	case orb.Collection:
		gc := geom.NewGeometryCollection()
		for i, c := range g {
			t, err := ToGeom(c)
			if err != nil {
				return nil, fmt.Errorf("collection member %d: %w", i, err)
			}
			if t == nil {
				return nil, fmt.Errorf("%w: collection member %d is nil", ErrGeometry, i)
			}
			if err := gc.Push(t); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
			}
		}
		return gc.SetSRID(SRID), nil
	default:
		return nil, fmt.Errorf("%w: unsupported type %T", ErrGeometry, g)
	}
}

func polygon(p orb.Polygon) (*geom.Polygon, error) {
	flat, ends, err := appendPolygon(nil, p)
	if err != nil {
		return nil, err
	}
	return geom.NewPolygonFlat(geom.XY, flat, ends).SetSRID(SRID), nil
}

// round6 rounds a coordinate to 6 decimals of a degree.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func appendPoints(flat []float64, ps []orb.Point) ([]float64, error) {
	for _, p := range ps {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return nil, fmt.Errorf("%w: coordinate %v is not finite", ErrGeometry, p)
		}
		flat = append(flat, round6(p[0]), round6(p[1]))
	}
	return flat, nil
}

func appendLine(flat []float64, ls orb.LineString) ([]float64, error) {
	if len(ls) < 2 {
		return nil, fmt.Errorf("%w: line string with %d point(s), need 2", ErrGeometry, len(ls))
	}
	return appendPoints(flat, ls)
}

// appendPolygon appends p's rings (closed, rounded, oriented) to flat and returns the ring
// ends.
func appendPolygon(flat []float64, p orb.Polygon) ([]float64, []int, error) {
	ends := make([]int, 0, len(p))
	for i, r := range p {
		start := len(flat)
		var err error
		if flat, err = appendPoints(flat, r); err != nil {
			return nil, nil, err
		}
		if n := len(flat); n-start >= 2 && (flat[start] != flat[n-2] || flat[start+1] != flat[n-1]) {
			flat = append(flat, flat[start], flat[start+1])
		}
		if pts := (len(flat) - start) / 2; pts < 4 {
			return nil, nil, fmt.Errorf("%w: ring %d has %d point(s) once closed, need 4", ErrGeometry, i, pts)
		}
		orient(flat[start:], i == 0)
		ends = append(ends, len(flat))
	}
	return flat, ends, nil
}

// orient reverses the closed ring (flat XY coordinates) in place unless it already turns
// counter-clockwise (exterior) or clockwise (hole). The test is go-geom's robust one: the
// orientation of the highest vertex with its distinct neighbours, in exact arithmetic.
func orient(ring []float64, exterior bool) {
	if xy.IsRingCounterClockwise(geom.XY, ring) == exterior {
		return
	}
	for i, j := 0, len(ring)-2; i < j; i, j = i+2, j-2 {
		ring[i], ring[j] = ring[j], ring[i]
		ring[i+1], ring[j+1] = ring[j+1], ring[i+1]
	}
}

// LabelPoint returns a point inside t where a name can be drawn, and false when t has no area
// (points, lines, empty geometries). For a (multi)polygon it is the area centroid of its
// largest polygon (planar in degrees, which is fine for a label at this province's size)
// when that lies strictly inside the polygon; otherwise (a crescent, a ring around a hole) it
// is the middle of the widest interior run of a horizontal line through the polygon's
// bounding-box centre, moved off every vertex's latitude (the method of JTS InteriorPointArea).
// The point is rounded to 6 decimals, unless rounding would carry it out of the interior (a
// point a hair from an edge), where it keeps its full precision.
func LabelPoint(t geom.T) (geom.Coord, bool) {
	var best *geom.Polygon
	switch t := t.(type) {
	case *geom.Polygon:
		best = t
	case *geom.MultiPolygon:
		for i := range t.NumPolygons() {
			if p := t.Polygon(i); best == nil || p.Area() > best.Area() {
				best = p
			}
		}
	}
	if best == nil || best.NumLinearRings() == 0 || best.Area() == 0 {
		return nil, false
	}
	c := xy.PolygonsCentroid(best)
	if p, ok := inside(best, c); ok {
		return p, true
	}
	if p, ok := scanLinePoint(best); ok {
		if p, ok := inside(best, p); ok {
			return p, true
		}
	}
	return geom.Coord{round6(c[0]), round6(c[1])}, true
}

// inside returns c rounded to 6 decimals when that is in p's interior, else c itself when it
// is (rounding can carry a point next to an edge across it, into a hole or out); ok is false
// when c is not in the interior.
func inside(p *geom.Polygon, c geom.Coord) (geom.Coord, bool) {
	if locate(p, c) != location.Interior {
		return c, false
	}
	if r := (geom.Coord{round6(c[0]), round6(c[1])}); locate(p, r) == location.Interior {
		return r, true
	}
	return c, true
}

// locate tells whether c is in p's interior, on its boundary or outside it.
func locate(p *geom.Polygon, c geom.Coord) location.Type {
	flat := p.FlatCoords()
	start := 0
	for i, end := range p.Ends() {
		l := xy.LocatePointInRing(geom.XY, c, flat[start:end])
		switch {
		case l == location.Boundary:
			return l
		case i == 0 && l == location.Exterior:
			return location.Exterior
		case i > 0 && l == location.Interior:
			return location.Exterior // inside a hole
		}
		start = end
	}
	return location.Interior
}

// scanLinePoint is the interior point of p on a horizontal scan line (see LabelPoint).
func scanLinePoint(p *geom.Polygon) (geom.Coord, bool) {
	flat := p.FlatCoords()
	b := p.Bounds()
	mid := (b.Min(1) + b.Max(1)) / 2
	below, above := b.Min(1), b.Max(1)
	for i := 1; i < len(flat); i += 2 {
		switch y := flat[i]; {
		case y <= mid && y > below:
			below = y
		case y > mid && y < above:
			above = y
		}
	}
	y := (below + above) / 2
	var xs []float64
	start := 0
	for _, end := range p.Ends() {
		for i := start; i+3 < end; i += 2 {
			x0, y0, x1, y1 := flat[i], flat[i+1], flat[i+2], flat[i+3]
			if (y0 > y) == (y1 > y) {
				continue
			}
			xs = append(xs, x0+(y-y0)*(x1-x0)/(y1-y0))
		}
		start = end
	}
	slices.Sort(xs)
	best, width := 0.0, -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > width {
			best, width = (xs[i]+xs[i+1])/2, w
		}
	}
	if width <= 0 {
		return nil, false
	}
	return geom.Coord{best, y}, true
}
