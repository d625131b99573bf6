package geo

import "math"

// Antenna is a sector antenna with the 3GPP TS 36.942 / TR 36.814 parametric pattern. Angles are in
// degrees: AzimuthDeg is the boresight bearing clockwise from north, TiltDeg the downtilt (positive
// below the horizon), HBeamwidthDeg and VBeamwidthDeg the half-power (3 dB) beamwidths.
// MaxAttenuationDB (Am, front-to-back) and SideLobeDB (SLA, vertical side-lobe level) are positive
// attenuations in dB.
//
// An Omni antenna has no horizontal pattern (A_H = 0) but keeps the vertical one, tilt included:
// real omni antennas concentrate their gain near the horizon, and a tilted one misses the foot of
// its mast just as a panel does. rf-reference.md's "omni sites: A = 0" is the special case
// VBeamwidthDeg = 0: a beamwidth <= 0 switches that plane's pattern off. A zero MaxAttenuationDB
// caps every attenuation at 0, so the zero Antenna is isotropic.
type Antenna struct {
	Omni             bool
	AzimuthDeg       float64
	HBeamwidthDeg    float64
	VBeamwidthDeg    float64
	TiltDeg          float64
	MaxAttenuationDB float64
	SideLobeDB       float64
}

// antPatternK is the 12 dB of attenuation at one beamwidth off boresight (3 dB at half of it).
const antPatternK = 12

// PatternDB is the gain relative to boresight in dB (<= 0) toward a receiver at bearingDeg
// (clockwise from north, any real value; wrapped) seen depressionDeg below the horizon from the
// antenna (negative above it):
//
//	A_H = −min(12 (φ/φ3dB)², Am)           φ = bearing − azimuth wrapped to [−180°, 180°)
//	A_V = −min(12 ((θ − tilt)/θ3dB)², SLA)  θ = depression
//	A   = −min(−(A_H + A_V), Am)
//
// NaN angles give NaN. It is CombinedDB(HorizontalDB(bearingDeg), VerticalDB(depressionDeg)):
// callers that share one plane's attenuation between antennas may compose the parts
// themselves and get the same bits.
func (a Antenna) PatternDB(bearingDeg, depressionDeg float64) float64 {
	if math.IsNaN(bearingDeg) || math.IsNaN(depressionDeg) {
		return math.NaN()
	}
	return a.CombinedDB(a.HorizontalDB(bearingDeg), a.VerticalDB(depressionDeg))
}

// HorizontalDB is the horizontal attenuation −A_H in dB (in [0, Am]) toward bearingDeg
// (degrees clockwise from north, any real value; wrapped): min(12 (φ/φ3dB)², Am). It is 0 for
// an Omni antenna or an HBeamwidthDeg <= 0, whatever the bearing; otherwise a NaN bearing
// gives NaN.
func (a Antenna) HorizontalDB(bearingDeg float64) float64 {
	if !a.Omni && a.HBeamwidthDeg > 0 {
		r := normDeg(bearingDeg-a.AzimuthDeg) / a.HBeamwidthDeg
		return min(antPatternK*r*r, a.MaxAttenuationDB)
	}
	return 0
}

// VerticalDB is the vertical attenuation −A_V in dB (in [0, SLA]) toward a receiver
// depressionDeg below the horizon (degrees; negative above it): min(12 ((θ − tilt)/θ3dB)², SLA).
// It is 0 for a VBeamwidthDeg <= 0, whatever the angle; otherwise a NaN angle gives NaN.
func (a Antenna) VerticalDB(depressionDeg float64) float64 {
	if a.VBeamwidthDeg > 0 {
		r := (depressionDeg - a.TiltDeg) / a.VBeamwidthDeg
		return min(antPatternK*r*r, a.SideLobeDB)
	}
	return 0
}

// CombinedDB is the gain relative to boresight in dB (<= 0 for attenuations >= 0) from the
// horizontal and vertical attenuations attHDB and attVDB (positive dB, as HorizontalDB and
// VerticalDB return them): 0 − min(attHDB + attVDB, Am), +0 rather than −0 on boresight. A NaN
// attenuation gives NaN.
func (a Antenna) CombinedDB(attHDB, attVDB float64) float64 {
	return 0 - min(attHDB+attVDB, a.MaxAttenuationDB)
}

// DefaultAntenna is a typical macro sector panel: 65° horizontal and 10° vertical beamwidth, Am
// 25 dB, SLA 20 dB, azimuth 0 (north), no tilt; set AzimuthDeg and TiltDeg per sector.
func DefaultAntenna() Antenna {
	return Antenna{HBeamwidthDeg: 65, VBeamwidthDeg: 10, MaxAttenuationDB: 25, SideLobeDB: 20}
}
