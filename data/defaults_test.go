package data

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestSectorDefaultsFor checks the documented table (rf-reference.md "Link budget").
func TestSectorDefaultsFor(t *testing.T) {
	cases := []struct {
		name string
		tech Tech
		band float64
		want SectorDefaults
	}{
		{"4G default band", Tech4G, 0, SectorDefaults{1800, 46, 20, 17}},
		{"4G 700", Tech4G, 700, SectorDefaults{1800, 43, 10, 15}},
		{"4G 900", Tech4G, 900, SectorDefaults{1800, 43, 10, 15}},
		{"4G 2600", Tech4G, 2600, SectorDefaults{1800, 46, 20, 17}},
		{"3G default band", Tech3G, 0, SectorDefaults{2100, 33, 5, 17}},
		{"3G 900", Tech3G, 900, SectorDefaults{2100, 33, 5, 15}},
		{"2G default band", Tech2G, 0, SectorDefaults{900, 43, 0.2, 15}},
		{"2G 1800", Tech2G, 1800, SectorDefaults{900, 43, 0.2, 17}},
		{"5G default band", Tech5G, 0, SectorDefaults{3500, 46, 100, 17}},
		{"5G 700", Tech5G, 700, SectorDefaults{3500, 46, 10, 15}},
		{"5G 2100", Tech5G, 2100, SectorDefaults{3500, 46, 20, 17}},
		{"unknown tech", Tech("6G"), 0, SectorDefaults{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SectorDefaultsFor(c.tech, c.band); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestLowBandLTEPowerPerRE checks the claim in SectorDefaultsFor's doc by hand arithmetic:
// 46 − 10 lg(12·100) = 15.21 dBm and 43 − 10 lg(12·50) = 15.22 dBm.
func TestLowBandLTEPowerPerRE(t *testing.T) {
	hi, lo := SectorDefaultsFor(Tech4G, 1800), SectorDefaultsFor(Tech4G, 900)
	if hi.PowerDBm != 46 || hi.BandwidthMHz != 20 || lo.PowerDBm != 43 || lo.BandwidthMHz != 10 {
		t.Fatalf("table changed: %+v %+v", hi, lo)
	}
	const wantHi, wantLo = 15.2082, 15.2185 // 46 − 30.7918, 43 − 27.7815
	if d := hi.PowerDBm - 10*math.Log10(1200) - wantHi; math.Abs(d) > 1e-4 {
		t.Errorf("high band RE power off by %g", d)
	}
	if d := lo.PowerDBm - 10*math.Log10(600) - wantLo; math.Abs(d) > 1e-4 {
		t.Errorf("low band RE power off by %g", d)
	}
}

func allMissing() map[string]bool {
	return map[string]bool{FieldBand: true, FieldBeamwidth: true, FieldTilt: true, FieldPower: true,
		FieldBandwidth: true, FieldGain: true, FieldFeeder: true}
}

func TestApplyDefaults(t *testing.T) {
	full := Sector{Tech: Tech4G, BandMHz: 2600, AzimuthDeg: 120, BeamwidthDeg: 33, TiltDeg: 0, PowerDBm: 0,
		BandwidthMHz: 15, GainDBi: 0, FeederLossDB: 0}
	cases := []struct {
		name    string
		in      Sector
		missing map[string]bool
		want    Sector
		fields  string // defaulted fields, in order
	}{
		{"4G nothing given", Sector{Tech: Tech4G, AzimuthDeg: 90}, allMissing(),
			Sector{Tech: Tech4G, BandMHz: 1800, AzimuthDeg: 90, BeamwidthDeg: 65, TiltDeg: 4, PowerDBm: 46,
				BandwidthMHz: 20, GainDBi: 17, FeederLossDB: 2},
			"band_mhz beamwidth_deg tilt_deg power_dbm bandwidth_mhz gain_dbi feeder_loss_db"},
		{"4G 700 given", Sector{Tech: Tech4G, BandMHz: 700}, map[string]bool{FieldBeamwidth: true, FieldPower: true, FieldBandwidth: true, FieldGain: true},
			Sector{Tech: Tech4G, BandMHz: 700, BeamwidthDeg: 65, PowerDBm: 43, BandwidthMHz: 10, GainDBi: 15},
			"beamwidth_deg power_dbm bandwidth_mhz gain_dbi"},
		{"3G band and power", Sector{Tech: Tech3G, BeamwidthDeg: 65, BandwidthMHz: 5}, map[string]bool{FieldBand: true, FieldPower: true},
			Sector{Tech: Tech3G, BandMHz: 2100, BeamwidthDeg: 65, PowerDBm: 33, BandwidthMHz: 5},
			"band_mhz power_dbm"},
		{"omni", Sector{Tech: Tech2G, Omni: true}, allMissing(),
			Sector{Tech: Tech2G, Omni: true, BandMHz: 900, BeamwidthDeg: 360, TiltDeg: 0, PowerDBm: 43,
				BandwidthMHz: 0.2, GainDBi: 11, FeederLossDB: 2},
			"band_mhz tilt_deg power_dbm bandwidth_mhz gain_dbi feeder_loss_db"},
		{"zeros given are kept", full, nil, full, ""},
		// Before, a zero band, beamwidth or bandwidth given was replaced by the default with a
		// "missing" warning; now only missing fields are filled, and CheckSector refuses 0.
		{"zero band, beamwidth and bandwidth given are kept", Sector{Tech: Tech3G}, nil, Sector{Tech: Tech3G}, ""},
		{"omni zero beamwidth given is kept", Sector{Tech: Tech2G, Omni: true, BandMHz: 900, BandwidthMHz: 0.2}, nil,
			Sector{Tech: Tech2G, Omni: true, BandMHz: 900, BandwidthMHz: 0.2}, ""},
		{"unknown tech untouched", Sector{Tech: "6G"}, allMissing(), Sector{Tech: "6G"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.in
			ws := ApplyDefaults(&got, c.missing)
			if got != c.want {
				t.Errorf("sector\n got %+v\nwant %+v", got, c.want)
			}
			var fields []string
			for _, w := range ws {
				fields = append(fields, w.Field)
				if !strings.HasPrefix(w.Message, "missing; using ") {
					t.Errorf("message %q", w.Message)
				}
			}
			if f := strings.Join(fields, " "); f != c.fields {
				t.Errorf("warned fields %q, want %q", f, c.fields)
			}
		})
	}
}

func TestApplyDefaultsMessage(t *testing.T) {
	s := Sector{Tech: Tech4G, BandMHz: 900, BeamwidthDeg: 65, BandwidthMHz: 10}
	ws := ApplyDefaults(&s, map[string]bool{FieldPower: true})
	if len(ws) != 1 {
		t.Fatalf("warnings %v", ws)
	}
	ws[0].Line = 7
	const want = "line 7: power_dbm: missing; using 43 dBm (4G default on 900 MHz)"
	if got := ws[0].String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func validSector() Sector {
	return Sector{Tech: Tech4G, BandMHz: 1800, AzimuthDeg: 120, BeamwidthDeg: 65, TiltDeg: 4, PowerDBm: 46,
		BandwidthMHz: 20, GainDBi: 17, FeederLossDB: 2}
}

func TestCheckSector(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Sector)
		want string // errors joined by " | "
	}{
		{"valid", func(*Sector) {}, ""},
		{"valid omni", func(s *Sector) { s.Omni, s.AzimuthDeg, s.BeamwidthDeg = true, 400, 360 }, ""},
		{"unknown tech", func(s *Sector) { s.Tech = "4g" }, `tech: "4g" is not one of 2G, 3G, 4G, 5G`},
		{"unknown band", func(s *Sector) { s.BandMHz = 1900 },
			`band_mhz: "1900" is not one of 700, 850, 900, 1800, 2100, 2300, 2600, 3500 MHz`},
		{"3G on 700", func(s *Sector) { s.Tech, s.BandMHz, s.BandwidthMHz, s.PowerDBm = Tech3G, 700, 5, 33 },
			`band_mhz: "700" is not a 3G band (850, 900, 2100 MHz)`},
		{"azimuth 360", func(s *Sector) { s.AzimuthDeg = 360 }, `azimuth_deg: "360" is outside 0..360° (360 excluded)`},
		{"negative azimuth", func(s *Sector) { s.AzimuthDeg = -10 }, `azimuth_deg: "-10" is outside 0..360° (360 excluded)`},
		{"omni narrow", func(s *Sector) { s.Omni, s.BeamwidthDeg = true, 65 }, `beamwidth_deg: "65" must be 360 for an omni antenna`},
		{"zero beamwidth", func(s *Sector) { s.BeamwidthDeg = 0 }, `beamwidth_deg: "0" is outside 1..360°`},
		{"tilt", func(s *Sector) { s.TiltDeg = 45 }, `tilt_deg: "45" is outside -10..30°`},
		{"power", func(s *Sector) { s.PowerDBm = 61 }, `power_dbm: "61" is outside 0..60 dBm`},
		{"gain", func(s *Sector) { s.GainDBi = -1 }, `gain_dbi: "-1" is outside 0..25 dBi`},
		{"feeder", func(s *Sector) { s.FeederLossDB = 12 }, `feeder_loss_db: "12" is outside 0..10 dB`},
		{"NaN power", func(s *Sector) { s.PowerDBm = math.NaN() }, `power_dbm: "NaN" is not a finite number`},
		{"LTE bandwidth", func(s *Sector) { s.BandwidthMHz = 7 },
			`bandwidth_mhz: "7" is not an LTE bandwidth (1.4, 3, 5, 10, 15, 20 MHz)`},
		{"UMTS bandwidth", func(s *Sector) { s.Tech, s.BandMHz, s.BandwidthMHz = Tech3G, 2100, 10 },
			`bandwidth_mhz: "10" must be 5 MHz for 3G`},
		{"GSM bandwidth", func(s *Sector) { s.Tech, s.BandMHz, s.BandwidthMHz = Tech2G, 900, 5 },
			`bandwidth_mhz: "5" must be 0.2 MHz for 2G`},
		{"NR bandwidth", func(s *Sector) { s.Tech, s.BandMHz, s.BandwidthMHz = Tech5G, 3500, 200 },
			`bandwidth_mhz: "200" is outside 5..100 MHz`},
		{"two bad fields", func(s *Sector) { s.GainDBi, s.TiltDeg = 30, -20 },
			`tilt_deg: "-20" is outside -10..30° | gain_dbi: "30" is outside 0..25 dBi`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validSector()
			c.edit(&s)
			var got []string
			for _, e := range CheckSector(&s) {
				got = append(got, e.Error())
			}
			if g := strings.Join(got, " | "); g != c.want {
				t.Errorf("got  %q\nwant %q", g, c.want)
			}
		})
	}
}

func validSite() Site {
	return Site{Carrier: "viettel", SiteID: "TV-1", Lon: 106.34, Lat: 9.93, HeightM: 30, Status: StatusActive,
		Sectors: []Sector{validSector()}}
}

func TestCheckSite(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Site)
		want string
	}{
		{"valid", func(*Site) {}, ""},
		{"area corner is in", func(s *Site) { s.Lon, s.Lat = 105.72, 10.31 }, ""},
		{"swapped", func(s *Site) { s.Lon, s.Lat = 9.93, 106.34 },
			`data: lon/lat: "9.93,106.34" is outside the province area (lon 105.72..106.81, lat 9.3..10.31); looks like lat/lon swapped`},
		{"negative lon", func(s *Site) { s.Lon = -106.34 },
			`data: lon: "-106.34" is outside the province area (lon 105.72..106.81, lat 9.3..10.31); a negative longitude is west of Greenwich, Vietnam is east: drop the minus sign?`},
		{"Hà Nội", func(s *Site) { s.Lon, s.Lat = 105.85, 21.03 },
			`data: lat: "21.03" is outside the province area (lon 105.72..106.81, lat 9.3..10.31)`},
		// Inside the old ProvinceBound (lon 105.7..106.9), 31 km east of the demo communes.
		{"east of the area", func(s *Site) { s.Lon = 106.86 },
			`data: lon: "106.86" is outside the province area (lon 105.72..106.81, lat 9.3..10.31)`},
		{"NaN lat", func(s *Site) { s.Lat = math.NaN() }, `data: lat: "NaN" is not a finite number`},
		{"height", func(s *Site) { s.HeightM = 4 }, `data: height_m: "4" is outside 5..150 m`},
		{"status", func(s *Site) { s.Status = "Active" }, `data: status: "Active" is not active or planned`},
		{"no sectors", func(s *Site) { s.Sectors = nil }, `data: sectors: a site needs at least one sector`},
		{"sector field", func(s *Site) {
			s.Sectors = append(s.Sectors, validSector())
			s.Sectors[1].GainDBi, s.Sectors[1].CellID = 26, "x"
		},
			`data: sectors[1].gain_dbi: "26" is outside 0..25 dBi`},
		{"repeated sector", func(s *Site) { s.Sectors = append(s.Sectors, validSector()) },
			`data: sectors[1].tech/band_mhz/azimuth_deg: "4G/1800/120" repeats sectors[0]`},
		{"repeated cell", func(s *Site) {
			s.Sectors = append(s.Sectors, validSector())
			s.Sectors[0].CellID, s.Sectors[1].CellID, s.Sectors[1].AzimuthDeg = "c", "c", 240
		}, `data: sectors[1].cell_id: "c" repeats sectors[0]`},
		{"empty ids", func(s *Site) { s.Carrier, s.SiteID = "", "" },
			"data: 2 errors:\n\tcarrier: is not a known carrier id\n\tsite_id: is empty"},
		{"carrier name", func(s *Site) { s.Carrier = "Viettel" }, `data: carrier: "Viettel" is not a known carrier id`},
		{"padded id", func(s *Site) { s.SiteID = " A" }, `data: site_id: " A" has leading or trailing spaces`},
		{"control in cell", func(s *Site) { s.Sectors[0].CellID = "a\nb" }, `data: sectors[0].cell_id: "a\nb" holds control characters`},
		{"bad UTF-8 id", func(s *Site) { s.SiteID = "\xff" }, `data: site_id: "\xff" is not valid UTF-8`},
		{"slash in id", func(s *Site) { s.SiteID = "TV/1" },
			`data: site_id: "TV/1" holds a '/', which cannot appear in the site's URL (/api/v1/sites/{carrier}/{site_id})`},
		{"long cell id", func(s *Site) { s.Sectors[0].CellID = strings.Repeat("c", 101) },
			`data: sectors[0].cell_id: "` + strings.Repeat("c", 101) + `" is 101 bytes long; ids have at most 100`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validSite()
			c.edit(&s)
			got := ""
			if err := CheckSite(&s, travinh()); err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestRangesInclusive: every accepted range holds its two ends (the ranges are inclusive) and
// refuses the next float past each; the azimuth holds 0 and refuses 360.
func TestRangesInclusive(t *testing.T) {
	out := func(v, dir float64) float64 { return math.Nextafter(v, dir) }
	cases := []struct {
		name     string
		set      func(*Site, float64)
		lo, hi   float64
		loInside bool // the low end itself is accepted
		hiInside bool
	}{
		{"height_m", func(s *Site, v float64) { s.HeightM = v }, MinHeightM, MaxHeightM, true, true},
		{"power_dbm", func(s *Site, v float64) { s.Sectors[0].PowerDBm = v }, MinPowerDBm, MaxPowerDBm, true, true},
		{"gain_dbi", func(s *Site, v float64) { s.Sectors[0].GainDBi = v }, MinGainDBi, MaxGainDBi, true, true},
		{"tilt_deg", func(s *Site, v float64) { s.Sectors[0].TiltDeg = v }, MinTiltDeg, MaxTiltDeg, true, true},
		{"beamwidth_deg", func(s *Site, v float64) { s.Sectors[0].BeamwidthDeg = v }, MinBeamwidthDeg, MaxBeamwidthDeg, true, true},
		{"feeder_loss_db", func(s *Site, v float64) { s.Sectors[0].FeederLossDB = v }, 0, MaxFeederLossDB, true, true},
		{"azimuth_deg", func(s *Site, v float64) { s.Sectors[0].AzimuthDeg = v }, 0, 360, true, false},
		{"bandwidth_mhz (5G)", func(s *Site, v float64) {
			s.Sectors[0].Tech, s.Sectors[0].BandMHz, s.Sectors[0].BandwidthMHz = Tech5G, 3500, v
		}, MinNRBandwidthMHz, MaxNRBandwidthMHz, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range []struct {
				x      float64
				inside bool
			}{{c.lo, c.loInside}, {c.hi, c.hiInside}, {out(c.lo, math.Inf(-1)), false}, {out(c.hi, math.Inf(1)), false},
				{out(c.lo, math.Inf(1)), true}, {out(c.hi, math.Inf(-1)), true}} {
				s := validSite()
				c.set(&s, v.x)
				err := CheckSite(&s, WholeEarth())
				if (err == nil) != v.inside || err != nil && !strings.Contains(err.Error(), strings.Fields(c.name)[0]) {
					t.Errorf("%v: %v, want accepted %v", v.x, err, v.inside)
				}
			}
		})
	}
}

// TestCheckPositionEdges: a position on the area's edge is inside; the next float out is not.
func TestCheckPositionEdges(t *testing.T) {
	area := orb.Bound{Min: orb.Point{105.72, 9.3}, Max: orb.Point{106.81, 10.31}}
	in, out := math.Inf(1), math.Inf(-1)
	cases := []struct {
		lon, lat float64
		errs     int
	}{
		{area.Min[0], area.Min[1], 0}, {area.Max[0], area.Max[1], 0}, {area.Min[0], area.Max[1], 0},
		{math.Nextafter(area.Min[0], out), 9.9, 1}, {math.Nextafter(area.Max[0], in), 9.9, 1},
		{106, math.Nextafter(area.Min[1], out), 1}, {106, math.Nextafter(area.Max[1], in), 1},
		{math.Nextafter(area.Max[0], in), math.Nextafter(area.Min[1], out), 2},
		// Outside on one axis, on the edge on the other: only the outside one is named.
		{area.Min[0], math.Nextafter(area.Min[1], out), 1}, {math.Nextafter(area.Max[0], in), area.Max[1], 1},
		{area.Max[0], math.Nextafter(area.Max[1], in), 1}, {math.Nextafter(area.Min[0], out), area.Min[1], 1},
	}
	for _, c := range cases {
		if errs := CheckPosition(c.lon, c.lat, area); len(errs) != c.errs {
			t.Errorf("%v, %v: %v, want %d errors", c.lon, c.lat, errs, c.errs)
		}
	}
}
