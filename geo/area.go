package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// EllipsoidalQuadAreaM2 returns the exact area in m² of the lon/lat quadrangle [minLon, maxLon] ×
// [minLat, maxLat] (degrees) on the WGS84 ellipsoid: the region between two meridians and two
// parallels (parallels are not geodesics, so this is not the area of the geodesic polygon through
// the four corners).
//
// Derivation: the surface element is dA = M·N·cos φ dφ dλ with M = a(1−e²)/W³, N = a/W,
// W² = 1 − e²sin²φ, so dA = b²·cos φ/(1 − e²sin²φ)² dφ dλ (b² = a²(1−e²)). With s = sin φ,
// ∫ ds/(1 − e²s²)² = ½·[s/(1 − e²s²) + atanh(e·s)/e], hence
//
//	A = b²/2 · Δλ · [q(φ₂) − q(φ₁)],  q(φ) = sin φ/(1 − e²sin²φ) + atanh(e·sin φ)/e,
//
// Δλ in radians. q is Snyder's authalic q divided by (1−e²); q(90°) − q(−90°) gives the whole
// surface, 5.10065621724e14 m². Latitudes are clamped to [−90, 90]; maxLat ≤ minLat gives 0. When
// maxLon < minLon the quadrangle crosses the antimeridian (as in a GeoJSON bbox) and Δλ is
// maxLon − minLon + 360; Δλ is capped at 360°.
func EllipsoidalQuadAreaM2(minLon, minLat, maxLon, maxLat float64) float64 {
	minLat, maxLat = max(minLat, -maxLatD), min(maxLat, maxLatD)
	if !(maxLat > minLat) {
		return 0
	}
	dLonDeg := maxLon - minLon
	if dLonDeg < 0 {
		dLonDeg += fullDeg
	}
	dLonDeg = min(dLonDeg, fullDeg)
	return wgs84B * wgs84B / 2 * dLonDeg * deg * (authalicQ(maxLat) - authalicQ(minLat))
}

// authalicQ is q(φ) = sin φ/(1 − e²sin²φ) + atanh(e·sin φ)/e for WGS84 (see EllipsoidalQuadAreaM2).
func authalicQ(latDeg float64) float64 {
	s := math.Sin(latDeg * deg)
	e := math.Sqrt(wgs84E2)
	return s/(1-wgs84E2*s*s) + math.Atanh(e*s)/e
}

// PlanarAreaM2 returns the area in m² of a geometry whose coordinates are planar metres: the sum
// over polygons of |outer ring| − Σ|holes| (ring orientation is ignored), |ring| for a bare Ring,
// 0 for points, lines and nil. Overlapping polygons of a MultiPolygon are counted twice (a valid
// MultiPolygon has none); a Collection counts only its members of the highest dimension.
func PlanarAreaM2(g orb.Geometry) float64 {
	if r, ok := g.(orb.Ring); ok {
		return math.Abs(planar.Area(r))
	}
	return planar.Area(g)
}

// AreaM2 returns the area in m² of g (lon/lat degrees) measured in the projection t: g is
// projected vertex by vertex, its edges taken as straight lines in the plane, and PlanarAreaM2
// applied. The relative error is about 2(k − 1), k being t's point scale over g: for NewLocalTM
// centred on Trà Vinh it is below 5e-5 (measured against EllipsoidalQuadAreaM2 in area_test.go),
// for UTM 48N −3e-4 to −6e-4. Long edges (over ~10 km) should be densified first.
func AreaM2(t TransverseMercator, g orb.Geometry) float64 {
	return PlanarAreaM2(t.ForwardGeometry(g))
}
