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
// NaN angles give NaN.
func (a Antenna) PatternDB(bearingDeg, depressionDeg float64) float64 {
	if math.IsNaN(bearingDeg) || math.IsNaN(depressionDeg) {
		return math.NaN()
	}
	var attH, attV float64
	if !a.Omni && a.HBeamwidthDeg > 0 {
		r := normDeg(bearingDeg-a.AzimuthDeg) / a.HBeamwidthDeg
		attH = min(antPatternK*r*r, a.MaxAttenuationDB)
	}
	if a.VBeamwidthDeg > 0 {
		r := (depressionDeg - a.TiltDeg) / a.VBeamwidthDeg
		attV = min(antPatternK*r*r, a.SideLobeDB)
	}
	return 0 - min(attH+attV, a.MaxAttenuationDB) // 0 − x: +0, not −0, on boresight
}

// DefaultAntenna is a typical macro sector panel: 65° horizontal and 10° vertical beamwidth, Am
// 25 dB, SLA 20 dB, azimuth 0 (north), no tilt; set AzimuthDeg and TiltDeg per sector.
func DefaultAntenna() Antenna {
	return Antenna{HBeamwidthDeg: 65, VBeamwidthDeg: 10, MaxAttenuationDB: 25, SideLobeDB: 20}
}
