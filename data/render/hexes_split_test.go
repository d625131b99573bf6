package render

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data/hex"
)

// TestHexesByCommune: one feature per hexagon and commune share, in cell then commune order,
// with the share's commune, people, households and land cells, the hexagon's people as
// hex_people, ids "<cell>-<code>", and a layer "…_by_commune" whose columns include hex_people;
// Hexes keeps one feature per hexagon and no hex_people.
func TestHexesByCommune(t *testing.T) {
	ring := orb.Ring{{106, 9.9}, {106.01, 9.9}, {106.01, 9.91}, {106, 9.9}}
	s := &hex.Summary{Tech: "4G", Resolution: 8, Carriers: []string{"viettel", "any"}, Hexes: []hex.Hex{
		{Cell: 0x8865b1b6c1fffff, Boundary: ring, Commune: "29254", People: 1000.04, Households: 250, LandCells: 30,
			Covered: map[string]bool{"viettel": true, "any": true},
			Communes: []hex.Share{{Commune: "29254", People: 700.02, Households: 175, LandCells: 20},
				{Commune: "29257", People: 300.02, Households: 75, LandCells: 10}}},
		{Cell: 0x8865b1b6c3fffff, Boundary: ring, Commune: "29257", People: 12, Households: 3, LandCells: 4,
			Covered:  map[string]bool{"viettel": false, "any": false},
			Communes: []hex.Share{{Commune: "29257", People: 12, Households: 3, LandCells: 4}}},
	}}
	fc := HexesByCommune(s, "def/1", "calibrated with 4000 samples (2026-01-05..2026-01-19)")
	want := []struct {
		id, commune string
		people      float64
		cells       int
		hexPeople   float64
		covered     bool
	}{
		{"8865b1b6c1fffff-29254", "29254", 700, 20, 1000, true},
		{"8865b1b6c1fffff-29257", "29257", 300, 10, 1000, true},
		{"8865b1b6c3fffff-29257", "29257", 12, 4, 12, false},
	}
	if len(fc.Features) != len(want) {
		t.Fatalf("%d features, want %d", len(fc.Features), len(want))
	}
	for n, w := range want {
		f := fc.Features[n]
		p := f.Properties
		if f.ID != w.id || p["commune"] != w.commune || p["people"] != w.people || p["land_cells"] != w.cells ||
			p["hex_people"] != w.hexPeople || p["viettel_4g"] != w.covered || p["h3_res8_id"] != w.id[:15] ||
			p["definition_version"] != "def/1" || p["calibration"] != "calibrated with 4000 samples (2026-01-05..2026-01-19)" {
			t.Errorf("feature %d: id %v, properties %v; want %+v", n, f.ID, p, w)
		}
	}
	l := HexesLayer(fc, s)
	if l.ID != "h3_res8_4g_by_commune" || len(l.Features) != 3 || !slices.ContainsFunc(l.Features[0].Properties, func(p Property) bool { return p.Name == "hex_people" }) {
		t.Errorf("layer %q, %d features, first %v", l.ID, len(l.Features), l.Features[0].Properties)
	}
	plain := Hexes(s, "def/1", "uncalibrated")
	if len(plain.Features) != 2 || plain.Features[0].Properties["hex_people"] != nil || HexesLayer(plain, s).ID != "h3_res8_4g" ||
		plain.Features[1].Properties["calibration"] != "uncalibrated" {
		t.Errorf("Hexes: %d features, first %v", len(plain.Features), plain.Features[0].Properties)
	}
}
