package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// WGS84 ellipsoid (EPSG:4326 / EPSG:7030).
const (
	wgs84A  = 6378137.0                     // semi-major axis, m
	wgs84F  = 1 / 298.257223563             // flattening
	wgs84B  = wgs84A * (1 - wgs84F)         // semi-minor axis, m
	wgs84E2 = wgs84F * (2 - wgs84F)         // first eccentricity squared
	deg     = math.Pi / 180                 // radians per degree
	vincTol = 1e-12                         // convergence of Vincenty's iterations, rad (~6 µm)
	vincMax = 200                           // iteration cap of Vincenty's inverse
	fbSteps = 360                           // azimuth samples of the near-antipodal fallback
	fbLegM  = 0.45 * math.Pi * 6371e3       // first leg of the fallback, m (< half any antipodal distance)
	goldenR = 0.6180339887498949            // golden-section ratio
	fbIters = 80                            // golden-section steps: 1° · 0.618^80 ≈ 3e-19 rad
	fbCands = 3                             // local minima of the coarse scan that are refined
	maxLatD = 90                            // latitude bound, degrees
	fullDeg = 360                           // degrees in a turn
	halfDeg = 180                           // degrees in half a turn
	vincSer = wgs84A*wgs84A - wgs84B*wgs84B // a² − b², m², for u²
)

// DistanceM is the geodesic distance in metres between two lon/lat points (degrees) on the WGS84
// ellipsoid: the length of the shortest path on the ellipsoid surface.
//
// It solves Vincenty's (1975) inverse problem, accurate to about 0.1 mm. Vincenty's iteration does
// not converge for some nearly antipodal pairs (distance above ~19,900 km); those are solved by
// minimising d(a, c) + d(c, b) over points c a fixed 9,000 km from a (the minimum is reached when c
// lies on the shortest geodesic), which keeps the same accuracy. Coincident points give 0; the
// result is symmetric in a and b. Latitudes outside [-90, 90] or NaN coordinates give NaN.
func DistanceM(a, b orb.Point) float64 {
	if !(math.Abs(a[1]) <= maxLatD && math.Abs(b[1]) <= maxLatD) || math.IsNaN(a[0]) || math.IsNaN(b[0]) {
		return math.NaN()
	}
	if s, ok := vincentyInverse(a, b); ok {
		return s
	}
	return antipodalDistanceM(a, b)
}

// vincentyInverse returns the geodesic distance from a to b, and false when the iteration fails to
// converge (nearly antipodal points) or the inputs are NaN.
func vincentyInverse(a, b orb.Point) (float64, bool) {
	l := normRad((b[0] - a[0]) * deg)
	sinU1, cosU1 := reducedLat(a[1])
	sinU2, cosU2 := reducedLat(b[1])
	lambda := l
	var sinSigma, cosSigma, sigma, cos2Alpha, cos2SigmaM float64
	for i := 0; ; i++ {
		if i == vincMax || math.IsNaN(lambda) || math.Abs(lambda) > math.Pi {
			return 0, false
		}
		sinL, cosL := math.Sincos(lambda)
		t1 := cosU2 * sinL
		t2 := cosU1*sinU2 - sinU1*cosU2*cosL
		sinSigma = math.Hypot(t1, t2)
		if sinSigma == 0 {
			if sinU1*sinU2+cosU1*cosU2*cosL > 0 {
				return 0, true // coincident
			}
			return 0, false // exactly antipodal: azimuth undefined
		}
		cosSigma = sinU1*sinU2 + cosU1*cosU2*cosL
		sigma = math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinL / sinSigma
		cos2Alpha = 1 - sinAlpha*sinAlpha
		cos2SigmaM = 0
		if cos2Alpha != 0 { // both points on the equator
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		}
		next := l + lambdaCorrection(sinAlpha, cos2Alpha, sigma, sinSigma, cosSigma, cos2SigmaM)
		if math.Abs(next-lambda) < vincTol {
			break
		}
		lambda = next
	}
	bigA, bigB := vincentyAB(cos2Alpha)
	dSigma := deltaSigma(bigB, sinSigma, cosSigma, cos2SigmaM)
	return wgs84B * bigA * (sigma - dSigma), true
}

// antipodalDistanceM solves the inverse problem where Vincenty's iteration fails: the distance is
// the minimum over azimuths α of fbLegM + d(Destination(a, α, fbLegM), b), found by a coarse scan
// of the azimuth and a golden-section refinement of its best local minima. Both legs are far from
// antipodal, so Vincenty converges on them.
func antipodalDistanceM(a, b orb.Point) float64 {
	f := func(azDeg float64) float64 {
		s, ok := vincentyInverse(DestinationPoint(a, azDeg, fbLegM), b)
		if !ok {
			return math.Inf(1)
		}
		return fbLegM + s
	}
	const step = float64(fullDeg) / fbSteps
	vals := make([]float64, fbSteps)
	for i := range vals {
		vals[i] = f(float64(i) * step)
	}
	best := math.Inf(1)
	for n := 0; n < fbCands; n++ {
		i := argminLocal(vals, n)
		if i < 0 {
			break
		}
		lo, hi := float64(i-1)*step, float64(i+1)*step
		best = math.Min(best, goldenMin(f, lo, hi))
	}
	return best
}

// argminLocal returns the index of the n-th smallest local minimum of the cyclic sequence vals
// (0 = smallest), or -1 when there are fewer.
func argminLocal(vals []float64, n int) int {
	var mins []int
	for i, v := range vals {
		prev, next := vals[(i+len(vals)-1)%len(vals)], vals[(i+1)%len(vals)]
		if v <= prev && v <= next && !math.IsInf(v, 1) {
			mins = append(mins, i)
		}
	}
	for k := 0; k <= n; k++ {
		if len(mins) == 0 {
			return -1
		}
		bi := 0
		for j := range mins {
			if vals[mins[j]] < vals[mins[bi]] {
				bi = j
			}
		}
		if k == n {
			return mins[bi]
		}
		mins = append(mins[:bi], mins[bi+1:]...)
	}
	return -1
}

// goldenMin returns the minimum of f on [lo, hi] by golden-section search (f unimodal there).
func goldenMin(f func(float64) float64, lo, hi float64) float64 {
	x1 := hi - goldenR*(hi-lo)
	x2 := lo + goldenR*(hi-lo)
	f1, f2 := f(x1), f(x2)
	for i := 0; i < fbIters && hi-lo > 1e-13; i++ {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - goldenR*(hi-lo)
			f1 = f(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + goldenR*(hi-lo)
			f2 = f(x2)
		}
	}
	return math.Min(f1, f2)
}

// DestinationPoint returns the point (lon, lat degrees) reached from p by going distM metres along
// the geodesic that starts on bearingDeg (degrees clockwise from north) on the WGS84 ellipsoid:
// Vincenty's (1975) direct problem, accurate to about 0.1 mm. A negative distM goes backwards;
// 0 returns p. The returned longitude is normalised to [-180, 180). At a pole the bearing is taken
// relative to the meridian of p's longitude.
func DestinationPoint(p orb.Point, bearingDeg, distM float64) orb.Point {
	if distM == 0 {
		return p
	}
	sinA1, cosA1 := math.Sincos(bearingDeg * deg)
	sinU1, cosU1 := reducedLat(p[1])
	sigma1 := math.Atan2(sinU1, cosU1*cosA1)
	sinAlpha := cosU1 * sinA1
	cos2Alpha := 1 - sinAlpha*sinAlpha
	bigA, bigB := vincentyAB(cos2Alpha)
	sigma0 := distM / (wgs84B * bigA)
	sigma := sigma0
	var sinSigma, cosSigma, cos2SigmaM float64
	for i := 0; i < vincMax; i++ {
		cos2SigmaM = math.Cos(2*sigma1 + sigma)
		sinSigma, cosSigma = math.Sincos(sigma)
		next := sigma0 + deltaSigma(bigB, sinSigma, cosSigma, cos2SigmaM)
		done := math.Abs(next-sigma) < vincTol
		sigma = next
		if done {
			break
		}
	}
	cos2SigmaM = math.Cos(2*sigma1 + sigma)
	sinSigma, cosSigma = math.Sincos(sigma)
	tmp := sinU1*sinSigma - cosU1*cosSigma*cosA1
	lat2 := math.Atan2(sinU1*cosSigma+cosU1*sinSigma*cosA1, (1-wgs84F)*math.Hypot(sinAlpha, tmp))
	lambda := math.Atan2(sinSigma*sinA1, cosU1*cosSigma-sinU1*sinSigma*cosA1)
	l := lambda - lambdaCorrection(sinAlpha, cos2Alpha, sigma, sinSigma, cosSigma, cos2SigmaM)
	return orb.Point{normDeg(p[0] + l/deg), lat2 / deg}
}

// MetresPerDegree returns the length in metres of one degree of longitude (lonM) and of latitude
// (latM) at latitude latDeg on the WGS84 ellipsoid: N·cosφ·π/180 and M·π/180, with N and M the
// prime-vertical and meridian radii of curvature. They are local (differential) scales: a whole
// 1° arc differs slightly (the 0°→1° meridian arc is 110,574.389 m, latM(0) is 110,574.276 m).
// lonM is 0 at the poles.
func MetresPerDegree(latDeg float64) (lonM, latM float64) {
	sinP, cosP := math.Sincos(latDeg * deg)
	w2 := 1 - wgs84E2*sinP*sinP
	n := wgs84A / math.Sqrt(w2)
	m := wgs84A * (1 - wgs84E2) / (w2 * math.Sqrt(w2))
	return n * math.Abs(cosP) * deg, m * deg
}

// reducedLat returns sin and cos of the reduced (parametric) latitude U, tan U = (1−f)·tan φ.
func reducedLat(latDeg float64) (sinU, cosU float64) {
	sinP, cosP := math.Sincos(latDeg * deg)
	u := math.Atan2((1-wgs84F)*sinP, cosP)
	return math.Sincos(u)
}

// vincentyAB returns Vincenty's series coefficients A and B for cos²α.
func vincentyAB(cos2Alpha float64) (bigA, bigB float64) {
	u2 := cos2Alpha * vincSer / (wgs84B * wgs84B)
	bigA = 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
	bigB = u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
	return bigA, bigB
}

// deltaSigma is Vincenty's Δσ.
func deltaSigma(bigB, sinSigma, cosSigma, cos2SigmaM float64) float64 {
	c2 := cos2SigmaM * cos2SigmaM
	return bigB * sinSigma * (cos2SigmaM + bigB/4*(cosSigma*(-1+2*c2)-
		bigB/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*c2)))
}

// lambdaCorrection is λ − L, the difference between the longitude on the auxiliary sphere and on
// the ellipsoid.
func lambdaCorrection(sinAlpha, cos2Alpha, sigma, sinSigma, cosSigma, cos2SigmaM float64) float64 {
	c := wgs84F / 16 * cos2Alpha * (4 + wgs84F*(4-3*cos2Alpha))
	return (1 - c) * wgs84F * sinAlpha *
		(sigma + c*sinSigma*(cos2SigmaM+c*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
}

// normRad wraps an angle in radians to [-π, π].
func normRad(x float64) float64 {
	x = math.Remainder(x, 2*math.Pi)
	return x
}

// normDeg wraps a longitude in degrees to [-180, 180).
func normDeg(x float64) float64 {
	x = math.Mod(x+halfDeg, fullDeg)
	if x < 0 {
		x += fullDeg
	}
	return x - halfDeg
}
