package data

import "github.com/paulmach/orb"

// CommuneType distinguishes urban wards from rural communes; it selects the propagation
// environment in the coverage definition.
type CommuneType string

// Commune types (Vietnamese phường → ward, xã → commune).
const (
	TypeWard    CommuneType = "ward"
	TypeCommune CommuneType = "commune"
)

// Commune is one administrative unit with its boundary and census figures.
type Commune struct {
	Code       string           `json:"code"`
	Name       string           `json:"name"`    // Vietnamese, with diacritics
	NameEN     string           `json:"name_en"` // ASCII
	Type       CommuneType      `json:"type"`
	Province   string           `json:"province,omitempty"` // the province's name or code as the file gives it; "" when it gives none
	Geometry   orb.MultiPolygon `json:"-"`                  // WGS84 lon/lat
	Population int              `json:"population"`
	Households int              `json:"households"`
}
