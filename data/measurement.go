package data

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measurement is one sample of a drive test or a crowd-sourced app: the level a phone measured on
// one carrier's network at one place and time. Level is RSRP (per resource element) for 4G and
// RSCP for 3G, the metrics the coverage definition's thresholds are in.
type Measurement struct {
	Time      time.Time `json:"time"` // UTC
	Lon       float64   `json:"lon"`  // WGS84 degrees
	Lat       float64   `json:"lat"`
	Carrier   string    `json:"carrier"` // Carrier.ID
	Tech      Tech      `json:"tech"`    // 3G or 4G
	LevelDBm  float64   `json:"level_dbm"`
	CellID    string    `json:"cell_id,omitempty"`    // the serving cell as the phone names it; "" unknown
	PCI       int       `json:"pci"`                  // 4G physical cell id 0..503, 3G primary scrambling code 0..511; -1 unknown
	AccuracyM float64   `json:"accuracy_m,omitempty"` // position accuracy (GPS), m; 0 unknown
}

// Accepted ranges of measurement values (inclusive).
const (
	MinLevelDBm  = -150.0 // below any receiver's sensitivity: a unit or sign error
	MaxLevelDBm  = -30.0  // above what a handset near a mast sees
	MaxAccuracyM = 5000.0 // a fix worse than this says nothing about a place
	MaxPCI4G     = 503    // LTE physical cell ids 0..503
	MaxPSC3G     = 511    // UMTS primary scrambling codes 0..511
)

// EarliestMeasurement is the earliest time a measurement may carry, 2000-01-01 UTC: anything
// older is a phone clock that was not set, or a Unix time in the wrong unit.
func EarliestMeasurement() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// MeasurementSlackTime is how far past "now" a measurement's time may lie (clocks drift; files are
// written in other time zones without saying so).
const MeasurementSlackTime = 24 * time.Hour

// Fields of a measurement as readers name them (CSV columns, GeoJSON properties).
const (
	FieldTime     = "time"
	FieldLevel    = "level_dbm"
	FieldPCI      = "pci"
	FieldAccuracy = "accuracy_m"
)

// CheckMeasurement validates the values of m other than its position (CheckPosition and the
// communes are the reader's): a tech phusong compares (3G, 4G), a level in MinLevelDBm..
// MaxLevelDBm, a time from EarliestMeasurement to now + MeasurementSlackTime (now zero: no upper
// bound), a cell id by CheckCellID, a PCI in range for the tech (or −1), an accuracy in
// 0..MaxAccuracyM. It returns one error per bad field (Line and Feature 0), or nil.
func CheckMeasurement(m *Measurement, now time.Time) []*ParseError {
	var errs []*ParseError
	if !slices.Contains(AnalysedTechs, m.Tech) {
		errs = append(errs, &ParseError{Field: "tech", Value: string(m.Tech),
			Msg: "is not measured here: phusong compares 3G (RSCP) and 4G (RSRP)"})
	}
	if e := CheckLevel(m.LevelDBm); e != nil {
		errs = append(errs, e)
	}
	switch {
	case m.Time.Before(EarliestMeasurement()):
		errs = append(errs, &ParseError{Field: FieldTime, Value: m.Time.UTC().Format(time.RFC3339),
			Msg: "is before 2000 (a clock not set, or Unix milliseconds read as seconds?)"})
	case !now.IsZero() && m.Time.After(now.Add(MeasurementSlackTime)):
		errs = append(errs, &ParseError{Field: FieldTime, Value: m.Time.UTC().Format(time.RFC3339),
			Msg: "is in the future (Unix seconds read as milliseconds, or a wrong clock?)"})
	}
	if e := CheckCellID(m.CellID); e != nil {
		errs = append(errs, e)
	}
	maxPCI := MaxPCI4G
	if m.Tech == Tech3G {
		maxPCI = MaxPSC3G
	}
	if m.PCI < -1 || m.PCI > maxPCI {
		errs = append(errs, &ParseError{Field: FieldPCI, Value: strconv.Itoa(m.PCI),
			Msg: fmt.Sprintf("is outside 0..%d for %s", maxPCI, m.Tech)})
	}
	if e := CheckRange(FieldAccuracy, m.AccuracyM, 0, MaxAccuracyM, " m"); e != nil {
		errs = append(errs, e)
	}
	return errs
}

// CheckLevel reports a level outside MinLevelDBm..MaxLevelDBm, with a hint for a positive value
// (ASU or a dropped minus sign).
func CheckLevel(levelDBm float64) *ParseError {
	e := CheckRange(FieldLevel, levelDBm, MinLevelDBm, MaxLevelDBm, " dBm")
	if e != nil && levelDBm >= 0 && !math.IsInf(levelDBm, 0) {
		e.Msg += " (a positive value: ASU units, or a missing minus sign? give dBm)"
	}
	return e
}

// plmnRe is an MCC-MNC written as one code: "452-04", "452 04", "452/04", "45204", "452_04".
var plmnRe = regexp.MustCompile(`^(\d{3})[-_ /]?(\d{2,3})$`)

// ResolvePLMN maps a carrier written as an id, name, MNC or MCC-MNC ("452-04", "45204") to the
// carrier id. An MCC other than Vietnam's is refused with a message saying so.
func ResolvePLMN(s string) (id string, msg string) {
	s = strings.TrimSpace(s)
	if m := plmnRe.FindStringSubmatch(s); m != nil && len(s) >= 5 {
		if m[1] != MCCVietnam {
			return "", "has mobile country code " + m[1] + ", not Vietnam's " + MCCVietnam
		}
		c, ok := CarrierByMNC(m[2][len(m[2])-2:])
		if !ok || (len(m[2]) == 3 && m[2][0] != '0') {
			return "", "is not a known Vietnamese network (MCC-MNC)"
		}
		return c.ID, ""
	}
	if id, ok := ResolveCarrier(s); ok {
		return id, ""
	}
	return "", "is not a known carrier id, name, MNC or MCC-MNC"
}
