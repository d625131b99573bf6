package geo

import (
	"errors"
	"fmt"
	"math"
)

// ErrLTEBandwidth is returned for a channel bandwidth that LTE does not define.
var ErrLTEBandwidth = errors.New("geo: LTE bandwidth must be 1.4, 3, 5, 10, 15 or 20 MHz")

// lteSubcarriersPerRB is the number of 15 kHz subcarriers in one LTE resource block.
const lteSubcarriersPerRB = 12

// LTEResourceBlocks is the number of downlink resource blocks N_RB of an LTE channel of bandwidthMHz
// (3GPP TS 36.101 table 5.6-1): 1.4→6, 3→15, 5→25, 10→50, 15→75, 20→100. Any other bandwidth gives
// ErrLTEBandwidth.
func LTEResourceBlocks(bandwidthMHz float64) (int, error) {
	switch bandwidthMHz {
	case 1.4:
		return 6, nil
	case 3:
		return 15, nil
	case 5:
		return 25, nil
	case 10:
		return 50, nil
	case 15:
		return 75, nil
	case 20:
		return 100, nil
	}
	return 0, fmt.Errorf("%w, not %g MHz", ErrLTEBandwidth, bandwidthMHz)
}

// LTEReferenceSignalDBm is the power in dBm of one LTE reference-signal resource element when an
// antenna port's total power portPowerDBm is spread evenly over the 12·N_RB subcarriers of a
// bandwidthMHz channel: P_port − 10 lg(12·N_RB). 46 dBm over 20 MHz gives 15.21 dBm. An undefined
// bandwidth gives ErrLTEBandwidth.
func LTEReferenceSignalDBm(portPowerDBm, bandwidthMHz float64) (float64, error) {
	n, err := LTEResourceBlocks(bandwidthMHz)
	if err != nil {
		return 0, err
	}
	return portPowerDBm - 10*math.Log10(float64(lteSubcarriersPerRB*n)), nil
}

// BearingDeg is the bearing in degrees, in [0, 360), clockwise from grid north, of the vector
// (dxM east, dyM north) in a projected metric frame. The zero vector gives 0. Grid north differs
// from true north by the projection's convergence (under 0.3° over Trà Vinh in UTM 48N).
func BearingDeg(dxM, dyM float64) float64 {
	b := math.Atan2(dxM, dyM) / deg
	if b < 0 {
		b += fullDeg
	}
	if b >= fullDeg { // −tiny + 360 rounds to 360
		b -= fullDeg
	}
	return b + 0 // turns −0 into +0
}

// DepressionDeg is the angle in degrees below the horizon at which an antenna txHeightM above
// ground sees a receiver rxHeightM above ground horizontalM away (metres; the sign of horizontalM is
// ignored): atan((txHeightM − rxHeightM)/horizontalM), in [−90, 90]. At 0 m it is 90 when the
// antenna is higher, −90 when lower and 0 when level. Earth curvature is ignored (it adds d/2R: 0.045° at 10 km).
func DepressionDeg(txHeightM, rxHeightM, horizontalM float64) float64 {
	return math.Atan2(txHeightM-rxHeightM, math.Abs(horizontalM)) / deg
}
