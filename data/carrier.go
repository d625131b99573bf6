package data

import (
	"fmt"
	"strconv"
	"strings"
)

// MCCVietnam is the ITU mobile country code of Vietnam.
const MCCVietnam = "452"

// Carrier is a mobile network operator (or a fixed operator, for fibre).
type Carrier struct {
	ID     string `json:"id"`     // slug, e.g. "viettel"
	Name   string `json:"name"`   // display name, e.g. "Viettel"
	MNC    string `json:"mnc"`    // mobile network code under MCC 452, two digits; empty for fixed-only operators
	Colour string `json:"colour"` // display colour, CSS hex "#rrggbb"
}

// DefaultCarriers returns the six Vietnamese mobile carriers phusong knows by default,
// largest first. Colours are chosen to be distinguishable on a map, not brand colours.
func DefaultCarriers() []Carrier {
	return []Carrier{
		{ID: "viettel", Name: "Viettel", MNC: "04", Colour: "#d7191c"},
		{ID: "vinaphone", Name: "VinaPhone", MNC: "02", Colour: "#2b83ba"},
		{ID: "mobifone", Name: "MobiFone", MNC: "01", Colour: "#1a9641"},
		{ID: "vietnamobile", Name: "Vietnamobile", MNC: "05", Colour: "#fdae61"},
		{ID: "gmobile", Name: "Gmobile", MNC: "07", Colour: "#7b3294"},
		{ID: "itelecom", Name: "I-Telecom", MNC: "08", Colour: "#636363"},
	}
}

// CarrierByMNC returns the default carrier with the given MNC (e.g. "04" or "4").
func CarrierByMNC(mnc string) (Carrier, bool) {
	if len(mnc) == 1 {
		mnc = "0" + mnc
	}
	for _, c := range DefaultCarriers() {
		if c.MNC == mnc {
			return c, true
		}
	}
	return Carrier{}, false
}

// ResolveCarrier maps a carrier id, name or MNC (case-insensitive) to the carrier id.
func ResolveCarrier(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, c := range DefaultCarriers() {
		if strings.EqualFold(s, c.ID) || strings.EqualFold(s, c.Name) {
			return c.ID, true
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < 100 && len(s) <= 3 {
		if c, ok := CarrierByMNC(fmt.Sprintf("%02d", n)); ok {
			return c.ID, true
		}
	}
	return "", false
}
