package geo

import (
	"math"
	"math/cmplx"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// Transverse Mercator on WGS84 by Krüger's series to sixth order in the third flattening n, as
// given by Karney (2011), "Transverse Mercator with an accuracy of a few nanometers", J. Geodesy
// 85:475–485, eqs. (7)–(11), (25), (35)–(36). The truncation error is about 5 nm within 3 900 km
// of the central meridian; phusong uses it within a few degrees.
//
// Evaluation: the Krüger series by Clenshaw summation on the complex angle (Karney eqs. 11–12;
// one Sincos and one Expm1); the origin's northing by Helmert's rectifying-latitude series in n;
// the latitude from the conformal latitude by the series of Engsager & Poder (2007), as in PROJ's
// tmerc, instead of Newton's method. Both series are truncated at n⁶ (error below 1e-17 rad,
// checked against 40-digit arithmetic).
const (
	utmK0      = 0.9996     // UTM central scale factor
	utmFalseE  = 500000.0   // UTM false easting, m
	utmFalseNS = 10000000.0 // UTM false northing of the southern hemisphere, m
	utmZoneDeg = 6          // width of a UTM zone, degrees
	utmZones   = 60         // number of UTM zones
	tmOrder    = 6          // order of the Krüger series
)

// tmSeries holds the ellipsoid-dependent constants of the Krüger series.
type tmSeries struct {
	e      float64          // first eccentricity
	rectA  float64          // rectifying radius A = a/(1+n)·(1 + n²/4 + n⁴/64 + n⁶/256), m
	alpha  [tmOrder]float64 // forward coefficients α₁…α₆
	beta   [tmOrder]float64 // inverse coefficients β₁…β₆
	rect   [tmOrder]float64 // rectifying latitude μ = φ + Σ rect_j·sin 2jφ (Helmert's meridian arc)
	phiChi [tmOrder]float64 // geodetic latitude φ = χ + Σ phiChi_j·sin 2jχ from the conformal χ
}

// wgs84TM is computed once from WGS84's flattening; it is a constant, not configuration.
var wgs84TM = newTMSeries(wgs84F)

// newTMSeries evaluates Karney (2011) eqs. (14), (35) and (36) for flattening f, and the
// geodetic-to-rectifying latitude series: the meridian arc (a/(1+n))·∫(1−n)²(1+n)/(1+2n·cos 2φ+n²)^{3/2}
// dφ expanded binomially to n⁶ and divided by rectA (its constant term gives rectA itself).
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
	s.rect = [tmOrder]float64{
		-3*n/2 + 9*n3/16 - 3*n5/32,
		15*n2/16 - 15*n4/32 + 135*n6/2048,
		-35*n3/48 + 105*n5/256,
		315*n4/512 - 189*n6/512,
		-693 * n5 / 1280,
		1001 * n6 / 2048,
	}
	s.phiChi = [tmOrder]float64{
		2*n - 2*n2/3 - 2*n3 + 116*n4/45 + 26*n5/45 - 2854*n6/675,
		7*n2/3 - 8*n3/5 - 227*n4/45 + 2704*n5/315 + 2323*n6/945,
		56*n3/15 - 136*n4/35 - 1262*n5/105 + 73814*n6/2835,
		4279*n4/630 - 332*n5/35 - 399572*n6/14175,
		4174*n5/315 - 144838*n6/6237,
		601676 * n6 / 22275,
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
	xi, eta := wgs84TM.forwardXiEta(lambdaRad(p[0]-t.Lon0Deg), p[1]*deg)
	s := t.K0 * wgs84TM.rectA
	return orb.Point{t.FalseEastingM + s*eta, t.FalseNorthingM + s*(xi-wgs84TM.originXi(t.Lat0Deg))}
}

// Inverse maps (x, y) metres back to (lon, lat) degrees, the longitude normalised to
// [−180°, 180°). It inverts Forward to a few nanometres within a few degrees of the central
// meridian.
func (t TransverseMercator) Inverse(p orb.Point) orb.Point {
	s := t.K0 * wgs84TM.rectA
	zeta := complex((p[1]-t.FalseNorthingM)/s+wgs84TM.originXi(t.Lat0Deg), (p[0]-t.FalseEastingM)/s)
	sin2, cos2 := sinCos2(zeta)
	zetaP := zeta - clenshawSin(&wgs84TM.beta, sin2, cos2)
	sinXiP, cosXiP := math.Sincos(real(zetaP))
	sinhEtaP := math.Sinh(imag(zetaP))
	// Conformal latitude (Karney eq. 18): tan χ = sin ξ′/r with r² = sinh²η′ + cos²ξ′, so that
	// cos²χ = r²/cosh²η′ and cosh²η′ = r² + sin²ξ′.
	r2 := sinhEtaP*sinhEtaP + cosXiP*cosXiP
	r := math.Sqrt(r2)
	cosh2 := r2 + sinXiP*sinXiP
	chi := math.Atan2(sinXiP, r)
	phi := chi + real(clenshawSin(&wgs84TM.phiChi,
		complex(2*sinXiP*r/cosh2, 0), complex((r2-sinXiP*sinXiP)/cosh2, 0)))
	lon := t.Lon0Deg + math.Atan2(sinhEtaP, cosXiP)/deg
	if lon < -halfDeg || lon >= halfDeg {
		lon = normDeg(lon)
	}
	return orb.Point{lon, phi / deg}
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
	phi := p[1] * deg
	tan := math.Tan(phi)
	tauP := s.tauPrime(tan)
	xiP, etaP, cosL := conformalXiEta(tauP, lambdaRad(p[0]-t.Lon0Deg))
	_, cos2 := sinCos2(complex(xiP, etaP))
	// dζ/dζ′ = 1 + Σ 2j·α_j·cos 2jζ′ (Karney eq. 12); its modulus is the Gauss–Krüger over
	// Gauss–Schreiber scale.
	var b1, b2 complex128
	for j := tmOrder; j >= 1; j-- {
		b1, b2 = 2*cos2*b1-b2+complex(2*float64(j)*s.alpha[j-1], 0), b1
	}
	return t.K0 * s.rectA / wgs84A * math.Sqrt(1+(1-wgs84E2)*tan*tan) *
		cmplx.Abs(1+cos2*b1-b2) / math.Hypot(tauP, cosL)
}

// lambdaRad returns the longitude difference dLonDeg (degrees) in radians, wrapped to [−π, π].
func lambdaRad(dLonDeg float64) float64 {
	if lambda := dLonDeg * deg; math.Abs(lambda) <= math.Pi {
		return lambda
	}
	return normRad(dLonDeg * deg)
}

// originXi returns ξ (radians) of the latitude of origin lat0Deg on the central meridian: the
// rectifying latitude μ, from the geodetic latitude by one Sincos and a Clenshaw sum. It is 0 at
// the equator (every UTM zone).
func (s tmSeries) originXi(lat0Deg float64) float64 {
	if lat0Deg == 0 {
		return 0
	}
	phi := lat0Deg * deg
	sin2, cos2 := math.Sincos(2 * phi)
	return phi + real(clenshawSin(&s.rect, complex(sin2, 0), complex(cos2, 0)))
}

// forwardXiEta returns the rectified Gauss–Krüger coordinates ξ, η (radians) of latitude phi and
// longitude lambda from the central meridian (radians).
func (s tmSeries) forwardXiEta(lambda, phi float64) (xi, eta float64) {
	xiP, etaP, _ := conformalXiEta(s.tauPrime(math.Tan(phi)), lambda)
	zetaP := complex(xiP, etaP)
	sin2, cos2 := sinCos2(zetaP)
	zeta := zetaP + clenshawSin(&s.alpha, sin2, cos2)
	return real(zeta), imag(zeta)
}

// sinCos2 returns sin 2ζ and cos 2ζ of the complex angle ζ = ξ + iη with one Sincos and one Expm1:
// sin 2ζ = sin 2ξ·cosh 2η + i·cos 2ξ·sinh 2η, cos 2ζ = cos 2ξ·cosh 2η − i·sin 2ξ·sinh 2η.
func sinCos2(zeta complex128) (sin2, cos2 complex128) {
	sx, cx := math.Sincos(2 * real(zeta))
	// em1 = e^{2η} − 1 keeps sinh 2η accurate for small η; 1 − e^{−2η} = em1/(1 + em1).
	em1 := math.Expm1(2 * imag(zeta))
	sh := (em1 + em1/(1+em1)) / 2
	ch := sh + 1/(1+em1)
	return complex(sx*ch, cx*sh), complex(cx*ch, -sx*sh)
}

// clenshawSin returns Σ_{j=1…6} c_j·sin 2jζ for the complex angle ζ, given sin 2ζ and cos 2ζ, by
// Clenshaw summation (Karney 2011 eqs. 11–12): b_j = c_j + 2cos 2ζ·b_{j+1} − b_{j+2}, and the
// sum is sin 2ζ·b_1.
func clenshawSin(c *[tmOrder]float64, sin2, cos2 complex128) complex128 {
	var b1, b2 complex128
	a := 2 * cos2
	for j := tmOrder - 1; j >= 0; j-- {
		b1, b2 = a*b1-b2+complex(c[j], 0), b1
	}
	return sin2 * b1
}

// conformalXiEta returns the spherical transverse Mercator coordinates ξ′, η′ of conformal
// latitude tan χ = tauP and longitude lambda (radians), and cos λ (Karney eq. 10).
func conformalXiEta(tauP, lambda float64) (xiP, etaP, cosL float64) {
	sinL, cosL := math.Sincos(lambda)
	xiP = math.Atan2(tauP, cosL)
	etaP = math.Asinh(sinL / math.Sqrt(tauP*tauP+cosL*cosL))
	return xiP, etaP, cosL
}

// tauPrime returns τ′ = tan χ, the tangent of the conformal latitude, from τ = tan φ
// (Karney eq. 7–9). At the poles (τ = ±Inf) it returns ±Inf. |τ| < 2e16 for any finite float64
// latitude, so 1 + τ² cannot overflow and needs no Hypot.
func (s tmSeries) tauPrime(tau float64) float64 {
	if math.IsInf(tau, 0) {
		return tau
	}
	sq := math.Sqrt(1 + tau*tau)
	sigma := math.Sinh(s.e * math.Atanh(s.e*tau/sq))
	return tau*math.Sqrt(1+sigma*sigma) - sigma*sq
}
