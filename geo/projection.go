package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// Transverse Mercator on WGS84 by Krüger's series to sixth order in the third flattening n, as
// given by Karney (2011), "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy
// 85:475–485, eqs. (7)–(11), (25), (35)–(36). The truncation error is about 5 nm within 3 900 km
// of the central meridian; phusong uses it within a few degrees.
const (
	utmK0       = 0.9996     // UTM central scale factor
	utmFalseE   = 500000.0   // UTM false easting, m
	utmFalseNS  = 10000000.0 // UTM false northing of the southern hemisphere, m
	utmZoneDeg  = 6          // width of a UTM zone, degrees
	utmZones    = 60         // number of UTM zones
	tmOrder     = 6          // order of the Krüger series
	tmNewtonMax = 10         // iterations of τ from τ′ (converges in 2–3)
	tmNewtonTol = 1e-15      // relative convergence of τ
)

// tmSeries holds the ellipsoid-dependent constants of the Krüger series.
type tmSeries struct {
	e     float64          // first eccentricity
	rectA float64          // rectifying radius A = a/(1+n)·(1 + n²/4 + n⁴/64 + n⁶/256), m
	alpha [tmOrder]float64 // forward coefficients α₁…α₆
	beta  [tmOrder]float64 // inverse coefficients β₁…β₆
}

// wgs84TM is computed once from WGS84's flattening; it is a constant, not configuration.
var wgs84TM = newTMSeries(wgs84F)

// newTMSeries evaluates Karney (2011) eqs. (14), (35) and (36) for flattening f.
func newTMSeries(f float64) tmSeries {
	n := f / (2 - f)
	n2 := n * n
	n3, n4, n5, n6 := n2*n, n2*n2, n2*n2*n, n2*n2*n2
	s := tmSeries{e: math.Sqrt(f * (2 - f))}
	s.rectA = wgs84A / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	s.alpha = [tmOrder]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	s.beta = [tmOrder]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return s
}

// TransverseMercator is a transverse Mercator projection of the WGS84 ellipsoid: Lon0Deg is the
// central meridian, Lat0Deg the latitude of origin (y = FalseNorthingM there on the central
// meridian), K0 the scale on the central meridian, FalseEastingM/FalseNorthingM the offsets in
// metres added to x and y. x grows east and y north. The zero value is not usable (K0 = 0): build
// one with NewLocalTM or UTM.
type TransverseMercator struct {
	Lon0Deg, Lat0Deg, K0, FalseEastingM, FalseNorthingM float64
}

// NewLocalTM returns phusong's metric frame: a transverse Mercator with central meridian lon0Deg,
// origin at (lon0Deg, lat0Deg), scale 1 on the central meridian and no false easting or northing,
// so that x, y are metres east and north of the centre of the data. Over Trà Vinh (±0.4° from a
// central meridian at the province's centre) the point scale stays within 2.5e-5 of 1.
func NewLocalTM(lon0Deg, lat0Deg float64) TransverseMercator {
	return TransverseMercator{Lon0Deg: lon0Deg, Lat0Deg: lat0Deg, K0: 1}
}

// UTM returns the Universal Transverse Mercator projection of zone (1–60; central meridian
// −183° + 6°·zone), k0 0.9996, false easting 500 000 m and false northing 0 (north) or
// 10 000 000 m (south). Trà Vinh is in zone 48 north (EPSG:32648). Zones outside 1–60 are not
// checked: they give a central meridian outside [−180°, 180°].
func UTM(zone int, north bool) TransverseMercator {
	t := TransverseMercator{
		Lon0Deg:       float64(zone*utmZoneDeg) - halfDeg - utmZoneDeg/2,
		K0:            utmK0,
		FalseEastingM: utmFalseE,
	}
	if !north {
		t.FalseNorthingM = utmFalseNS
	}
	return t
}

// UTMZone returns the UTM zone (1–60) whose 6° band contains longitude lonDeg (degrees). The
// longitude is first wrapped into [−180°, 180°), so 180° gives zone 1; a longitude on a border
// between zones belongs to the zone east of it. The Norway and Svalbard exceptions are not applied.
func UTMZone(lonDeg float64) int {
	z := int(math.Floor((normDeg(lonDeg)+halfDeg)/utmZoneDeg)) + 1
	return min(max(z, 1), utmZones)
}

// Forward projects p (lon, lat in degrees) to (x, y) metres. Longitudes are taken relative to
// the central meridian modulo 360°. Accuracy (against the exact mapping) is better than 1 µm within
// a few degrees of the central meridian; beyond ~60° of it the series is meaningless.
func (t TransverseMercator) Forward(p orb.Point) orb.Point {
	xi, eta := wgs84TM.forwardXiEta(normRad((p[0]-t.Lon0Deg)*deg), p[1]*deg)
	xi0, _ := wgs84TM.forwardXiEta(0, t.Lat0Deg*deg)
	s := t.K0 * wgs84TM.rectA
	return orb.Point{t.FalseEastingM + s*eta, t.FalseNorthingM + s*(xi-xi0)}
}

// Inverse maps (x, y) metres back to (lon, lat) degrees, the longitude normalised to
// [−180°, 180°). It inverts Forward to a few nanometres within a few degrees of the central
// meridian.
func (t TransverseMercator) Inverse(p orb.Point) orb.Point {
	xi0, _ := wgs84TM.forwardXiEta(0, t.Lat0Deg*deg)
	s := t.K0 * wgs84TM.rectA
	xi := (p[1]-t.FalseNorthingM)/s + xi0
	eta := (p[0] - t.FalseEastingM) / s
	xiP, etaP := xi, eta
	for j := 1; j <= tmOrder; j++ {
		sx, cx := math.Sincos(2 * float64(j) * xi)
		xiP -= wgs84TM.beta[j-1] * sx * math.Cosh(2*float64(j)*eta)
		etaP -= wgs84TM.beta[j-1] * cx * math.Sinh(2*float64(j)*eta)
	}
	sinXiP, cosXiP := math.Sincos(xiP)
	sinhEtaP := math.Sinh(etaP)
	tauP := sinXiP / math.Hypot(sinhEtaP, cosXiP)
	lambda := math.Atan2(sinhEtaP, cosXiP)
	tau := wgs84TM.tauFromTauPrime(tauP)
	return orb.Point{normDeg(t.Lon0Deg + lambda/deg), math.Atan(tau) / deg}
}

// ForwardGeometry returns a projected copy of g (any orb geometry; nil gives nil); g is not
// modified. A Bound is projected corner by corner, which is not the bound of the projected area.
func (t TransverseMercator) ForwardGeometry(g orb.Geometry) orb.Geometry {
	if g == nil {
		return nil
	}
	return project.Geometry(orb.Clone(g), t.Forward)
}

// InverseGeometry returns a copy of g (x, y metres) mapped back to lon/lat degrees; g is not
// modified. Bounds as in ForwardGeometry.
func (t TransverseMercator) InverseGeometry(g orb.Geometry) orb.Geometry {
	if g == nil {
		return nil
	}
	return project.Geometry(orb.Clone(g), t.Inverse)
}

// ScaleFactor returns the point scale k at p (lon, lat degrees): the ratio of a short projected
// distance to the true ellipsoidal distance, the same in every direction (the projection is
// conformal). It is K0 on the central meridian and grows roughly as K0·(1 + x²/2R²) away from it.
// Areas scale by k².
func (t TransverseMercator) ScaleFactor(p orb.Point) float64 {
	s := wgs84TM
	lambda := normRad((p[0] - t.Lon0Deg) * deg)
	phi := p[1] * deg
	tauP := s.tauPrime(math.Tan(phi))
	xiP, etaP, cosL := conformalXiEta(tauP, lambda)
	pp, qq := 1.0, 0.0
	for j := 1; j <= tmOrder; j++ {
		sx, cx := math.Sincos(2 * float64(j) * xiP)
		c := 2 * float64(j) * s.alpha[j-1]
		pp += c * cx * math.Cosh(2*float64(j)*etaP)
		qq += c * sx * math.Sinh(2*float64(j)*etaP)
	}
	tan := math.Tan(phi)
	return t.K0 * s.rectA / wgs84A * math.Sqrt(1+(1-wgs84E2)*tan*tan) *
		math.Hypot(pp, qq) / math.Hypot(tauP, cosL)
}

// forwardXiEta returns the rectified Gauss–Krüger coordinates ξ, η (radians) of latitude phi and
// longitude lambda from the central meridian (radians).
func (s tmSeries) forwardXiEta(lambda, phi float64) (xi, eta float64) {
	xiP, etaP, _ := conformalXiEta(s.tauPrime(math.Tan(phi)), lambda)
	xi, eta = xiP, etaP
	for j := 1; j <= tmOrder; j++ {
		sx, cx := math.Sincos(2 * float64(j) * xiP)
		xi += s.alpha[j-1] * sx * math.Cosh(2*float64(j)*etaP)
		eta += s.alpha[j-1] * cx * math.Sinh(2*float64(j)*etaP)
	}
	return xi, eta
}

// conformalXiEta returns the spherical transverse Mercator coordinates ξ′, η′ of conformal
// latitude tan χ = tauP and longitude lambda (radians), and cos λ (Karney eq. 10).
func conformalXiEta(tauP, lambda float64) (xiP, etaP, cosL float64) {
	sinL, cosL := math.Sincos(lambda)
	xiP = math.Atan2(tauP, cosL)
	etaP = math.Asinh(sinL / math.Hypot(tauP, cosL))
	return xiP, etaP, cosL
}

// tauPrime returns τ′ = tan χ, the tangent of the conformal latitude, from τ = tan φ
// (Karney eq. 7–9). At the poles (τ = ±Inf) it returns ±Inf.
func (s tmSeries) tauPrime(tau float64) float64 {
	if math.IsInf(tau, 0) {
		return tau
	}
	sq := math.Hypot(1, tau)
	sigma := math.Sinh(s.e * math.Atanh(s.e*tau/sq))
	return tau*math.Hypot(1, sigma) - sigma*sq
}

// tauFromTauPrime inverts tauPrime by Newton's method (Karney eqs. 19–21).
func (s tmSeries) tauFromTauPrime(tauP float64) float64 {
	if math.IsInf(tauP, 0) {
		return tauP
	}
	tau := tauP
	for i := 0; i < tmNewtonMax; i++ {
		tp := s.tauPrime(tau)
		d := (tauP - tp) / math.Hypot(1, tp) *
			(1 + (1-wgs84E2)*tau*tau) / ((1 - wgs84E2) * math.Hypot(1, tau))
		tau += d
		if math.Abs(d) <= tmNewtonTol*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}
