package render

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"phusong/geo"
)

// Vector tiles (Mapbox Vector Tile 2.1, the format of MapLibre, OpenLayers, QGIS and GDAL's MVT
// driver): the features of a layer that meet a web-map tile, in the tile's own coordinates.

// TileExtent is the size of a tile in MVT units (4096 × 4096, the usual extent).
const TileExtent = mvt.DefaultExtent

// tileBufferUnits is how far beyond its edges a tile keeps geometry, in tile units (64 of
// 4096: lines and outlines drawn across tile edges join without seams).
const tileBufferUnits = 64

// TileLayer is one named layer of a tile: features in lon/lat (already simplified for the
// tile's zoom where the geometry comes from the coverage grid) with their bounds.
type TileLayer struct {
	Name     string
	Features []*geojson.Feature
	Bounds   []orb.Bound // Bounds[i] is Features[i].Geometry.Bound(); nil: computed here
}

// MVT encodes the layers' features that meet tile t (with a buffer of 64 of 4096 units) as one
// uncompressed Mapbox Vector Tile: each feature is clipped in lon/lat to the buffered tile
// (polygons by geo.ClipToConvex, which keeps them valid), projected to tile units, rounded to whole units (tidyTile) and dropped when
// nothing of it is left. (No further simplification here: coverage and gaps arrive simplified
// for the zoom with their topology kept, which a per-tile simplification would break.) Properties and
// numeric ids are kept (string ids that are not integers are left out, as MVT ids are
// integers). A tile where no layer has a feature is empty (zero bytes, a valid tile). The
// layers' features are not modified.
func MVT(t maptile.Tile, layers []TileLayer) ([]byte, error) {
	pad := float64(tileBufferUnits) / float64(TileExtent)
	box := t.Bound(pad)
	var out mvt.Layers
	for _, l := range layers {
		fc := geojson.NewFeatureCollection()
		for i, f := range l.Features {
			var b orb.Bound
			if l.Bounds != nil {
				b = l.Bounds[i]
			} else if f.Geometry != nil {
				b = f.Geometry.Bound()
			}
			if f.Geometry == nil || !b.Intersects(box) {
				continue
			}
			g := clipCopy(box, f.Geometry)
			if g == nil {
				continue
			}
			fc.Append(&geojson.Feature{ID: f.ID, Type: "Feature", Geometry: g, Properties: f.Properties})
		}
		if len(fc.Features) == 0 {
			continue
		}
		ml := mvt.NewLayer(l.Name, fc)
		ml.Version = 2
		ml.Extent = TileExtent
		ml.ProjectToTile(t)
		at := 0
		for _, f := range ml.Features {
			if f.Geometry = tidyTile(f.Geometry); f.Geometry != nil {
				ml.Features[at] = f
				at++
			}
		}
		ml.Features = ml.Features[:at]
		if len(ml.Features) > 0 {
			out = append(out, ml)
		}
	}
	if len(out) == 0 {
		return []byte{}, nil
	}
	return mvt.Marshal(out)
}

// tidyTile rounds g (in tile units) to the integer grid the tile stores, drops repeated points,
// and drops the rings left with fewer than four points or no area (a polygon without its
// exterior goes with it) and the lines left with fewer than two points; nil when nothing is
// left. Readers (GDAL/GEOS) refuse such degenerate rings.
func tidyTile(g orb.Geometry) orb.Geometry {
	round := func(ps []orb.Point) []orb.Point {
		out := ps[:0]
		for _, p := range ps {
			p = orb.Point{math.Round(p[0]), math.Round(p[1])}
			if len(out) == 0 || out[len(out)-1] != p {
				out = append(out, p)
			}
		}
		return out
	}
	polygon := func(p orb.Polygon) orb.Polygon {
		var keep orb.Polygon
		for i, r := range p {
			r = orb.Ring(round(r))
			if len(r) < 4 || planar.Area(r) == 0 {
				if i == 0 {
					return nil
				}
				continue
			}
			keep = append(keep, r)
		}
		return keep
	}
	switch g := g.(type) {
	case orb.Point:
		return orb.Point{math.Round(g[0]), math.Round(g[1])}
	case orb.LineString:
		if ls := orb.LineString(round(g)); len(ls) >= 2 {
			return ls
		}
	case orb.MultiLineString:
		var keep orb.MultiLineString
		for _, ls := range g {
			if ls = orb.LineString(round(ls)); len(ls) >= 2 {
				keep = append(keep, ls)
			}
		}
		if len(keep) > 0 {
			return keep
		}
	case orb.Polygon:
		if p := polygon(g); p != nil {
			return p
		}
	case orb.MultiPolygon:
		var keep orb.MultiPolygon
		for _, p := range g {
			if p = polygon(p); p != nil {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			return keep
		}
	default:
		return g
	}
	return nil
}

// clipCopy returns g clipped to b without modifying g (clip works in place): only the polygons
// and lines whose bounds meet b are copied. It returns nil when nothing is left.
func clipCopy(b orb.Bound, g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		if b.Contains(g) {
			return g
		}
		return nil
	case orb.MultiPolygon:
		var keep orb.MultiPolygon
		for _, p := range g {
			if len(p) > 0 && p[0].Bound().Intersects(b) {
				keep = append(keep, p.Clone())
			}
		}
		if len(keep) == 0 {
			return nil
		}
		if mp := geo.ClipToConvex(keep, b.ToRing()); len(mp) > 0 {
			return mp // valid pieces (Sutherland–Hodgman's clip.MultiPolygon leaves zero-width bridges GEOS refuses)
		}
		return nil
	}
	out := clip.Geometry(b, orb.Clone(g))
	if out == nil || out.Dimensions() < 0 {
		return nil
	}
	return out
}
