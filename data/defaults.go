package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Accepted ranges of site and sector values (inclusive). Outside them a loader reports an
// error naming the field rather than guessing.
const (
	MinHeightM        = 5.0   // antenna height above ground, m
	MaxHeightM        = 150.0 //
	MinPowerDBm       = 0.0   // per-port / CPICH / BCCH power, dBm
	MaxPowerDBm       = 60.0  //
	MinGainDBi        = 0.0   // antenna boresight gain, dBi
	MaxGainDBi        = 25.0  //
	MinTiltDeg        = -10.0 // downtilt, degrees (negative = uptilt)
	MaxTiltDeg        = 30.0  //
	MinBeamwidthDeg   = 1.0   // horizontal half-power beamwidth, degrees
	MaxBeamwidthDeg   = 360.0 //
	MaxFeederLossDB   = 10.0  // cable and connector loss, dB (minimum 0)
	MinNRBandwidthMHz = 5.0   // 5G NR channel bandwidth, MHz
	MaxNRBandwidthMHz = 100.0 //
)

// Defaults that do not depend on technology or band; see SectorDefaultsFor for the rest.
//
// DefaultTiltDeg is a town value (rooftop poles of 20–30 m aim their main lobe at 300–500 m);
// rural towers often use 2–3°. The vertical pattern matters only within ~300 m of the mast
// (rf-reference.md), so the choice barely moves predicted coverage.
const (
	DefaultHeightM       = 30.0 // antenna height when none is given: a typical rural tower, m
	DefaultBeamwidthDeg  = 65.0 // 3GPP macro panel (TS 36.942)
	DefaultTiltDeg       = 4.0  // sector downtilt, degrees
	DefaultOmniTiltDeg   = 0.0  // omni antennas are rarely tilted
	DefaultOmniGainDBi   = 11.0 // vertical collinear omni antenna
	DefaultFeederLossDB  = 2.0  // middle of rf-reference.md's 0.5–3 dB
	DefaultStatus        = StatusActive
	OmniBeamwidthDeg     = 360.0
	defaultLowBandGain   = 15.0 // 700/850/900 MHz panels are shorter for the same size: 15 dBi
	defaultHighBandGain  = 17.0 // 1800 MHz and above: 17 dBi
	defaultLowBandMaxMHz = 900.0
)

// Bands are the accepted band classes in MHz, ascending.
var Bands = []float64{700, 850, 900, 1800, 2100, 2300, 2600, 3500}

// TechBands are the bands each technology is deployed on (3GPP band plans used in Vietnam
// and neighbours): GSM 850/900/1800, UMTS 850/900/2100, LTE everything but 3500, NR all.
var TechBands = map[Tech][]float64{
	Tech2G: {850, 900, 1800},
	Tech3G: {850, 900, 2100},
	Tech4G: {700, 850, 900, 1800, 2100, 2300, 2600},
	Tech5G: Bands,
}

// SectorDefaults are the values ApplyDefaults uses for one technology and band.
type SectorDefaults struct {
	BandMHz      float64 // band used when none is given (per technology)
	PowerDBm     float64 // per-port (4G/5G), CPICH (3G) or BCCH (2G) power
	BandwidthMHz float64 // channel bandwidth
	GainDBi      float64 // sector panel gain; omni antennas use DefaultOmniGainDBi
}

// SectorDefaultsFor returns the defaults for technology t on band bandMHz; bandMHz 0 selects
// the technology's default band. The table (rf-reference.md "Link budget"):
//
//	tech  default band  power                          bandwidth                       gain
//	2G    900           43 dBm BCCH (20 W)             0.2 MHz                         15 dBi ≤ 900 MHz,
//	3G    2100          33 dBm CPICH (10 % of 20 W)    5 MHz                           17 dBi above
//	4G    1800          43 dBm ≤ 900 MHz, else 46      10 MHz ≤ 900 MHz, else 20
//	5G    3500          46 dBm                         10 ≤ 900, 20 at 1800/2100, else 100
//
// 4G on low bands gets 43 dBm over 10 MHz (the usual 700/900 MHz carriers are 5–10 MHz wide,
// and 43 dBm over 10 MHz gives the same reference-signal power per resource element, 15.2 dBm,
// as 46 dBm over 20 MHz). An unknown technology gives the zero value.
func SectorDefaultsFor(t Tech, bandMHz float64) SectorDefaults {
	var d SectorDefaults
	switch t {
	case Tech2G:
		d = SectorDefaults{BandMHz: 900, PowerDBm: 43, BandwidthMHz: 0.2}
	case Tech3G:
		d = SectorDefaults{BandMHz: 2100, PowerDBm: 33, BandwidthMHz: 5}
	case Tech4G:
		d = SectorDefaults{BandMHz: 1800, PowerDBm: 46, BandwidthMHz: 20}
	case Tech5G:
		d = SectorDefaults{BandMHz: 3500, PowerDBm: 46, BandwidthMHz: 100}
	default:
		return d
	}
	if bandMHz == 0 {
		bandMHz = d.BandMHz
	}
	low := bandMHz <= defaultLowBandMaxMHz
	d.GainDBi = defaultHighBandGain
	if low {
		d.GainDBi = defaultLowBandGain
	}
	switch {
	case t == Tech4G && low:
		d.PowerDBm, d.BandwidthMHz = 43, 10
	case t == Tech5G && low:
		d.BandwidthMHz = 10
	case t == Tech5G && bandMHz < 2300:
		d.BandwidthMHz = 20
	}
	return d
}

// Sector field names, as CSV columns and in Warning.Field / ParseError.Field.
const (
	FieldBand      = "band_mhz"
	FieldAzimuth   = "azimuth_deg"
	FieldBeamwidth = "beamwidth_deg"
	FieldTilt      = "tilt_deg"
	FieldPower     = "power_dbm"
	FieldBandwidth = "bandwidth_mhz"
	FieldGain      = "gain_dbi"
	FieldFeeder    = "feeder_loss_db"
)

// ApplyDefaults fills the missing fields of a sector (band, beamwidth 65, tilt, power,
// bandwidth, gain, feeder loss) from tech/band tables and returns one Warning per field
// defaulted. missing says which fields were absent (or empty) in the input, by field name
// (FieldBand …); nil means none, and only those are filled: a value given is kept, 0 included
// (a band, beamwidth or bandwidth of 0 is CheckSector's error, not a default — an explicit 0
// is a mistake to report, never a blank to fill). The band is settled first: the other defaults
// depend on it. An omni sector without a beamwidth gets 360° without a warning ("omni" says so),
// tilt DefaultOmniTiltDeg and gain DefaultOmniGainDBi. A sector of an unknown technology is left
// unchanged. The returned warnings carry Field and Message only; the caller sets Line/Feature.
func ApplyDefaults(s *Sector, missing map[string]bool) []Warning {
	d := SectorDefaultsFor(s.Tech, 0)
	if d.BandMHz == 0 {
		return nil
	}
	var out []Warning
	note := func(field string, v float64, unit, why string) {
		out = append(out, Warning{Field: field, Message: fmt.Sprintf("missing; using %s%s (%s)", FormatNum(v), unit, why)})
	}
	if missing[FieldBand] {
		s.BandMHz = d.BandMHz
		note(FieldBand, d.BandMHz, " MHz", "default band of "+string(s.Tech))
	}
	d = SectorDefaultsFor(s.Tech, s.BandMHz)
	onBand := fmt.Sprintf("%s default on %s MHz", s.Tech, FormatNum(s.BandMHz))
	switch {
	case s.Omni && missing[FieldBeamwidth]:
		s.BeamwidthDeg = OmniBeamwidthDeg
	case s.Omni:
	case missing[FieldBeamwidth]:
		s.BeamwidthDeg = DefaultBeamwidthDeg
		note(FieldBeamwidth, DefaultBeamwidthDeg, "°", "3GPP macro panel")
	}
	if missing[FieldTilt] {
		if s.Omni {
			s.TiltDeg = DefaultOmniTiltDeg
			note(FieldTilt, DefaultOmniTiltDeg, "°", "omni antenna")
		} else {
			s.TiltDeg = DefaultTiltDeg
			note(FieldTilt, DefaultTiltDeg, "°", "town sector downtilt")
		}
	}
	if missing[FieldPower] {
		s.PowerDBm = d.PowerDBm
		note(FieldPower, d.PowerDBm, " dBm", onBand)
	}
	if missing[FieldBandwidth] {
		s.BandwidthMHz = d.BandwidthMHz
		note(FieldBandwidth, d.BandwidthMHz, " MHz", onBand)
	}
	if missing[FieldGain] {
		if s.Omni {
			s.GainDBi = DefaultOmniGainDBi
			note(FieldGain, DefaultOmniGainDBi, " dBi", "omni antenna")
		} else {
			s.GainDBi = d.GainDBi
			note(FieldGain, d.GainDBi, " dBi", onBand)
		}
	}
	if missing[FieldFeeder] {
		s.FeederLossDB = DefaultFeederLossDB
		note(FieldFeeder, DefaultFeederLossDB, " dB", "typical feeder")
	}
	return out
}

// FormatNum formats v in the shortest form that parses back to v ("1800", "0.2").
func FormatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ParseTech reads a technology: 2G/3G/4G/5G or GSM/UMTS/WCDMA/LTE/NR, case-insensitive.
func ParseTech(s string) (Tech, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "2G", "GSM":
		return Tech2G, true
	case "3G", "UMTS", "WCDMA":
		return Tech3G, true
	case "4G", "LTE":
		return Tech4G, true
	case "5G", "NR":
		return Tech5G, true
	}
	return "", false
}

// ParseStatus reads a site status: active or planned, case-insensitive.
func ParseStatus(s string) (Status, bool) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusActive, StatusPlanned:
		return st, true
	}
	return "", false
}

// fieldError is a validation failure of one field; loaders add the line and the raw text.
func fieldError(field string, v float64, msg string) *ParseError {
	return &ParseError{Field: field, Value: FormatNum(v), Msg: msg}
}

// CheckRange reports v outside [lo, hi] (NaN included) as an error of field.
func CheckRange(field string, v, lo, hi float64, unit string) *ParseError {
	if v >= lo && v <= hi {
		return nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fieldError(field, v, "is not a finite number")
	}
	return fieldError(field, v, fmt.Sprintf("is outside %s..%s%s", FormatNum(lo), FormatNum(hi), unit))
}

// CheckSector validates every field of s against the accepted ranges, bands and technology
// rules, returning one error per bad field (Line and Feature 0), or nil. Fields of an omni
// sector that the antenna ignores (AzimuthDeg) are not checked.
func CheckSector(s *Sector) []*ParseError {
	var errs []*ParseError
	add := func(e *ParseError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	bands, ok := TechBands[s.Tech]
	if !ok {
		return []*ParseError{{Field: "tech", Value: string(s.Tech), Msg: "is not one of 2G, 3G, 4G, 5G"}}
	}
	switch {
	case !slices.Contains(Bands, s.BandMHz):
		add(fieldError(FieldBand, s.BandMHz, "is not one of "+joinNums(Bands)+" MHz"))
	case !slices.Contains(bands, s.BandMHz):
		add(fieldError(FieldBand, s.BandMHz, fmt.Sprintf("is not a %s band (%s MHz)", s.Tech, joinNums(bands))))
	}
	if !s.Omni {
		if !(s.AzimuthDeg >= 0 && s.AzimuthDeg < 360) {
			add(fieldError(FieldAzimuth, s.AzimuthDeg, "is outside 0..360° (360 excluded)"))
		}
		add(CheckRange(FieldBeamwidth, s.BeamwidthDeg, MinBeamwidthDeg, MaxBeamwidthDeg, "°"))
	} else if s.BeamwidthDeg != OmniBeamwidthDeg {
		add(fieldError(FieldBeamwidth, s.BeamwidthDeg, "must be 360 for an omni antenna"))
	}
	add(CheckRange(FieldTilt, s.TiltDeg, MinTiltDeg, MaxTiltDeg, "°"))
	add(CheckRange(FieldPower, s.PowerDBm, MinPowerDBm, MaxPowerDBm, " dBm"))
	add(CheckRange(FieldGain, s.GainDBi, MinGainDBi, MaxGainDBi, " dBi"))
	add(CheckRange(FieldFeeder, s.FeederLossDB, 0, MaxFeederLossDB, " dB"))
	add(checkBandwidth(s.Tech, s.BandwidthMHz))
	return errs
}

// lteBandwidthsMHz are the LTE channel bandwidths (3GPP TS 36.101 table 5.6-1).
var lteBandwidthsMHz = []float64{1.4, 3, 5, 10, 15, 20}

func checkBandwidth(t Tech, bw float64) *ParseError {
	switch t {
	case Tech2G:
		if bw != 0.2 {
			return fieldError(FieldBandwidth, bw, "must be 0.2 MHz for 2G")
		}
	case Tech3G:
		if bw != 5 {
			return fieldError(FieldBandwidth, bw, "must be 5 MHz for 3G")
		}
	case Tech4G:
		if !slices.Contains(lteBandwidthsMHz, bw) {
			return fieldError(FieldBandwidth, bw, "is not an LTE bandwidth ("+joinNums(lteBandwidthsMHz)+" MHz)")
		}
	case Tech5G:
		return CheckRange(FieldBandwidth, bw, MinNRBandwidthMHz, MaxNRBandwidthMHz, " MHz")
	}
	return nil
}

// CheckSite validates s: carrier one of DefaultCarriers' ids, site id by CheckSiteID, cell ids
// by CheckCellID, position inside area (CheckPosition; AreaOf the communes, or WholeEarth
// for a check of values alone), height and status valid, at least one sector, every sector
// valid (see CheckSector; sector fields are named "sectors[i].field") and no two sectors with
// the same cell_id (or, without one, the same tech, band and azimuth). It returns ParseErrors
// (Line and Feature 0) or nil.
func CheckSite(s *Site, area orb.Bound) error {
	var errs ParseErrors
	if id, ok := ResolveCarrier(s.Carrier); !ok || id != s.Carrier {
		errs = append(errs, &ParseError{Field: "carrier", Value: s.Carrier, Msg: "is not a known carrier id"})
	}
	if e := CheckSiteID(s.SiteID); e != nil {
		errs = append(errs, e)
	}
	errs = append(errs, CheckPosition(s.Lon, s.Lat, area)...)
	if e := CheckRange("height_m", s.HeightM, MinHeightM, MaxHeightM, " m"); e != nil {
		errs = append(errs, e)
	}
	if s.Status != StatusActive && s.Status != StatusPlanned {
		errs = append(errs, &ParseError{Field: "status", Value: string(s.Status), Msg: "is not active or planned"})
	}
	if len(s.Sectors) == 0 {
		errs = append(errs, &ParseError{Field: "sectors", Msg: "a site needs at least one sector"})
	}
	seen := map[string]int{}
	for i := range s.Sectors {
		sectorErrs := CheckSector(&s.Sectors[i])
		if e := CheckCellID(s.Sectors[i].CellID); e != nil {
			sectorErrs = append(sectorErrs, e)
		}
		for _, e := range sectorErrs {
			e.Field = fmt.Sprintf("sectors[%d].%s", i, e.Field)
			errs = append(errs, e)
		}
		field, value := SectorKey(&s.Sectors[i])
		if j, dup := seen[field+"="+value]; dup {
			errs = append(errs, &ParseError{Field: fmt.Sprintf("sectors[%d].%s", i, field), Value: value,
				Msg: fmt.Sprintf("repeats sectors[%d]", j)})
		} else {
			seen[field+"="+value] = i
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// SectorIdentity names the fields that identify a sector without a cell_id, in errors.
const SectorIdentity = "tech/band_mhz/azimuth_deg"

// SectorKey is what must be unique among the sectors of a site: the cell_id, or without one
// the technology, band and azimuth ("4G/1800/120", "2G/900/omni"), with the field(s) it names.
func SectorKey(sec *Sector) (field, value string) {
	if sec.CellID != "" {
		return "cell_id", sec.CellID
	}
	az := FormatNum(sec.AzimuthDeg)
	if sec.Omni {
		az = "omni"
	}
	return SectorIdentity, fmt.Sprintf("%s/%s/%s", sec.Tech, FormatNum(sec.BandMHz), az)
}

func joinNums(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = FormatNum(v)
	}
	return strings.Join(s, ", ")
}
