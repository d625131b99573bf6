package contour

import "math"

// Interpolating in distance. A level falls about linearly with the logarithm of the distance to
// the mast, so between two samples on either side of the threshold it is a convex function of
// the position: linear interpolation of the level in dB would put every crossing too far from
// the mast (2.5 m at 500 m from a mast with 100 m cells) and grow every polygon by that much
// along its whole boundary. The contours therefore interpolate the margin m = level − threshold
// mapped by DistanceMargin, w(m) = (1 − 10^(−m/10n))·10n/ln 10, which for a path loss 10n·lg d
// is linear in the distance (w = (1 − d/d_threshold)·10n/ln 10) and equals m to first order
// (w'(0) = 1), so the clipping slope keeps its meaning. n is pathLossExponent.
const pathLossExponent = 3.5 // Extended Hata, 30 m mast: 44.9 − 6.55 lg 30 = 35.2 dB per decade

// DistanceMargin returns w(m) (see pathLossExponent): from a table for m in [marginTableMinDB,
// marginTableMaxDB] (linear interpolation, error below 3e-5 dB), from the formula outside.
func DistanceMargin(m float32) float32 {
	x := (m - marginTableMinDB) * marginTableSteps
	if !(x >= 0 && x < marginTableLen-1) {
		return distanceMarginExact(m)
	}
	i := int(x)
	f := x - float32(i)
	return marginTable[i] + f*(marginTable[i+1]-marginTable[i])
}

// distanceMarginExact is w(m) from its formula.
func distanceMarginExact(m float32) float32 {
	const k = 10 * pathLossExponent
	return float32((1 - math.Pow(10, -float64(m)/k)) * k / math.Ln10)
}

// The table of DistanceMargin: margins from −30 to +90 dB every 1/64 dB.
const (
	marginTableMinDB = -30
	marginTableMaxDB = 90
	marginTableSteps = 64 // per dB
	marginTableLen   = (marginTableMaxDB-marginTableMinDB)*marginTableSteps + 1
)

var marginTable = func() *[marginTableLen]float32 {
	var t [marginTableLen]float32
	for i := range t {
		t[i] = distanceMarginExact(marginTableMinDB + float32(i)/marginTableSteps)
	}
	return &t
}()

// BordersLevel reports whether one of the eight neighbours of cell (i, j) has a value ≥ level.
func BordersLevel(nx, ny int, field []float32, i, j int, level float32) bool {
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			a, b := i+di, j+dj
			if (di != 0 || dj != 0) && a >= 0 && b >= 0 && a < nx && b < ny && field[b*nx+a] >= level {
				return true
			}
		}
	}
	return false
}
