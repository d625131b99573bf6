package data

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// AreaMarginM is how far beyond the communes' bounding box station and fibre positions are
// accepted, in metres. Stations across a province border serve the province: 25 km is more
// than twice the largest predicted reach of any demo station (9.7 km under the default
// definition; mean 4.8 km), so every station that can cover a commune is kept, while a
// position off by a degree (a typo, lat/lon swapped, a stray minus) is still refused.
const AreaMarginM = 25_000.0

// ErrNoArea is returned by readers given no usable area (a zero, empty or non-finite bound):
// the caller forgot AreaOf.
var ErrNoArea = errors.New("data: no area for positions (give AreaOf the communes)")

// AreaOf returns the area where station and fibre positions are valid for a province made of
// communes: the lon/lat bounding box of their geometries grown by at least AreaMarginM on
// every side (by a degree of latitude at the equator and a degree of longitude at the area's
// latitude farthest from it, the shortest of each inside the area), rounded outward to 0.01°
// (about 1.1 km more, so that messages show short numbers) and clamped to lon −180..180, lat
// −90..90. Points on its edges are in. With no commune geometry it is the zero Bound, which
// CheckArea refuses. The demo's 41 communes give lon 105.72..106.81, lat 9.3..10.31.
func AreaOf(communes []Commune) orb.Bound {
	var b orb.Bound
	found := false
	for i := range communes {
		cb := communes[i].Geometry.Bound()
		switch {
		case len(communes[i].Geometry) == 0 || cb.IsEmpty():
		case !found:
			b, found = cb, true
		default:
			b = b.Union(cb)
		}
	}
	if !found {
		return orb.Bound{}
	}
	floor := func(v float64) float64 { return math.Floor(v*100) / 100 }
	ceil := func(v float64) float64 { return math.Ceil(v*100) / 100 }
	_, latM := geo.MetresPerDegree(0)
	dLat := AreaMarginM / latM
	minLat, maxLat := floor(max(b.Min[1]-dLat, -90)), ceil(min(b.Max[1]+dLat, 90))
	lonM, _ := geo.MetresPerDegree(max(math.Abs(minLat), math.Abs(maxLat)))
	dLon := 360.0
	if lonM > 0 {
		dLon = AreaMarginM / lonM
	}
	return orb.Bound{
		Min: orb.Point{floor(max(b.Min[0]-dLon, -180)), minLat},
		Max: orb.Point{ceil(min(b.Max[0]+dLon, 180)), maxLat},
	}
}

// WholeEarth is the bound of every valid lon/lat (lon −180..180, lat −90..90): the area for
// checks that are about values, not about a province (the writers').
func WholeEarth() orb.Bound { return orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}} }

// CheckArea returns ErrNoArea unless area is a usable area: finite, not empty and not the
// zero Bound.
func CheckArea(area orb.Bound) error {
	for _, v := range []float64{area.Min[0], area.Min[1], area.Max[0], area.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %v is not finite", ErrNoArea, area)
		}
	}
	if area.IsZero() || area.IsEmpty() {
		return fmt.Errorf("%w: %v", ErrNoArea, area)
	}
	return nil
}

// CheckPosition reports a lon/lat that is not finite or lies outside area (AreaOf the
// communes; edges are in), with a hint when the numbers look swapped or the longitude
// carries a stray minus sign. Errors name lon, lat or lon/lat.
func CheckPosition(lon, lat float64, area orb.Bound) []*ParseError {
	if math.IsNaN(lon) || math.IsInf(lon, 0) || math.IsNaN(lat) || math.IsInf(lat, 0) {
		var errs []*ParseError
		for _, f := range []struct {
			name string
			v    float64
		}{{"lon", lon}, {"lat", lat}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				errs = append(errs, fieldError(f.name, f.v, "is not a finite number"))
			}
		}
		return errs
	}
	if area.Contains(orb.Point{lon, lat}) {
		return nil
	}
	box := fmt.Sprintf("is outside the province area (lon %s..%s, lat %s..%s)",
		FormatNum(area.Min[0]), FormatNum(area.Max[0]), FormatNum(area.Min[1]), FormatNum(area.Max[1]))
	both := FormatNum(lon) + "," + FormatNum(lat)
	switch {
	case area.Contains(orb.Point{lat, lon}):
		return []*ParseError{{Field: "lon/lat", Value: both, Msg: box + "; looks like lat/lon swapped"}}
	case lon < 0 && area.Contains(orb.Point{-lon, lat}):
		return []*ParseError{{Field: "lon", Value: FormatNum(lon), Msg: box +
			"; a negative longitude is west of Greenwich, Vietnam is east: drop the minus sign?"}}
	}
	var errs []*ParseError
	if lon < area.Min[0] || lon > area.Max[0] {
		errs = append(errs, fieldError("lon", lon, box))
	}
	if lat < area.Min[1] || lat > area.Max[1] {
		errs = append(errs, fieldError("lat", lat, box))
	}
	return errs
}
