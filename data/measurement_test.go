package data

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestCheckMeasurement(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	good := Measurement{Time: now.Add(-time.Hour), Lon: 106.3, Lat: 9.9, Carrier: "viettel", Tech: Tech4G, LevelDBm: -95,
		CellID: "12345", PCI: 503, AccuracyM: 5}
	if errs := CheckMeasurement(&good, now); errs != nil {
		t.Fatalf("a good sample: %v", errs)
	}
	for _, c := range []struct {
		name  string
		edit  func(m *Measurement)
		field string
		msg   string
	}{
		{"2G", func(m *Measurement) { m.Tech = Tech2G }, "tech", "3G (RSCP) and 4G (RSRP)"},
		{"too weak", func(m *Measurement) { m.LevelDBm = -150.5 }, FieldLevel, "outside -150..-30 dBm"},
		{"too strong", func(m *Measurement) { m.LevelDBm = -29 }, FieldLevel, "outside -150..-30 dBm"},
		{"ASU", func(m *Measurement) { m.LevelDBm = 31 }, FieldLevel, "ASU"},
		{"before 2000", func(m *Measurement) { m.Time = time.Unix(1_700_000, 0) }, FieldTime, "before 2000"},
		{"future", func(m *Measurement) { m.Time = now.Add(25 * time.Hour) }, FieldTime, "future"},
		{"pci 4G", func(m *Measurement) { m.PCI = 504 }, FieldPCI, "0..503 for 4G"},
		{"psc 3G", func(m *Measurement) { m.Tech, m.PCI = Tech3G, 512 }, FieldPCI, "0..511 for 3G"},
		{"accuracy", func(m *Measurement) { m.AccuracyM = 5001 }, FieldAccuracy, "outside 0..5000 m"},
		{"cell id spaces", func(m *Measurement) { m.CellID = " 1" }, "cell_id", "leading or trailing spaces"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := good
			c.edit(&m)
			errs := CheckMeasurement(&m, now)
			if len(errs) != 1 || errs[0].Field != c.field || !strings.Contains(errs[0].Msg, c.msg) {
				t.Errorf("errors %v, want one on %s with %q", errs, c.field, c.msg)
			}
		})
	}
	m := good
	m.PCI, m.Tech = 511, Tech3G
	if errs := CheckMeasurement(&m, time.Time{}); errs != nil {
		t.Errorf("3G PSC 511 with no clock: %v", errs)
	}
}

func TestResolvePLMN(t *testing.T) {
	for in, want := range map[string]string{"452-04": "viettel", "45204": "viettel", "452 02": "vinaphone", "452/01": "mobifone",
		"452-004": "viettel", "viettel": "viettel", "VinaPhone": "vinaphone", "4": "viettel", " 452_05 ": "vietnamobile"} {
		if got, msg := ResolvePLMN(in); got != want {
			t.Errorf("ResolvePLMN(%q) = %q (%s), want %q", in, got, msg, want)
		}
	}
	for in, msg := range map[string]string{"310-260": "not Vietnam's 452", "452-99": "not a known Vietnamese network",
		"452-104": "not a known Vietnamese network", "tmobile": "not a known carrier", "": "not a known carrier"} {
		if got, m := ResolvePLMN(in); got != "" || !strings.Contains(m, msg) {
			t.Errorf("ResolvePLMN(%q) = %q, %q; want a message with %q", in, got, m, msg)
		}
	}
}

// Two communes sharing an edge, the second with a hole, and one without a geometry:
//
//	lat 1 +-------+-------+
//	      |   A   |  B .--|--.
//	      |       |    |h |  |   h: a hole of B (in nobody)
//	lat 0 +-------+----'--|--'
//	     lon 0    1       2
func TestCommuneLocator(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	}
	cs := []Commune{
		{Code: "A", Geometry: orb.MultiPolygon{{sq(0, 0, 1, 1)}}},
		{Code: "none"},
		{Code: "B", Geometry: orb.MultiPolygon{{sq(1, 0, 2, 1), sq(1.5, 0.2, 1.8, 0.5)}}},
	}
	l := NewCommuneLocator(cs)
	for _, c := range []struct {
		lon, lat float64
		want     int
	}{
		{0.5, 0.5, 0}, {1.2, 0.9, 2}, {1.6, 0.3, -1}, {1, 0.5, 0}, {2, 1, 2}, {2.01, 0.5, -1}, {-0.5, 0.5, -1},
		{0.999999, 0.000001, 0},
	} {
		if got := l.At(c.lon, c.lat); got != c.want {
			t.Errorf("At(%g, %g) = %d, want %d", c.lon, c.lat, got, c.want)
		}
	}
	if NewCommuneLocator(nil).At(0, 0) != -1 {
		t.Error("no communes: want -1")
	}
}
