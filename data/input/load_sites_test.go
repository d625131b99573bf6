package input

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
)

// travinh is data.AreaOf the demo's communes, the area of these tests (data/demo's TestArea
// derives it by hand).
func travinh() orb.Bound {
	return orb.Bound{Min: orb.Point{105.72, 9.3}, Max: orb.Point{106.81, 10.31}}
}

// siteOpts reads stations of carrier in travinh.
func siteOpts(carrier string) SiteOptions { return SiteOptions{Carrier: carrier, Area: travinh()} }

// fibreOpts reads fibre of operator in travinh.
func fibreOpts(operator string) FibreOptions {
	return FibreOptions{Operator: operator, Area: travinh()}
}

// smallSites is what every testdata/sites_small* fixture holds (synthetic stations).
func smallSites() []data.Site {
	sec := func(cell string, tech data.Tech, band, az, tilt, pow, bw float64) data.Sector {
		return data.Sector{CellID: cell, Tech: tech, BandMHz: band, AzimuthDeg: az, BeamwidthDeg: 65, TiltDeg: tilt,
			PowerDBm: pow, BandwidthMHz: bw, GainDBi: 17, FeederLossDB: 2}
	}
	return []data.Site{
		{Carrier: "viettel", SiteID: "TV-VT-0001", Lon: 106.3421, Lat: 9.9345, HeightM: 35, Status: data.StatusActive,
			Sectors: []data.Sector{
				sec("TV-VT-0001-1", data.Tech4G, 1800, 0, 4, 46, 20),
				sec("TV-VT-0001-2", data.Tech4G, 1800, 120, 4, 46, 20),
				sec("TV-VT-0001-3", data.Tech3G, 2100, 240, 3, 33, 5),
			}},
		{Carrier: "mobifone", SiteID: "TV-MF-0001", Lon: 106.25, Lat: 9.6, HeightM: 40, Status: data.StatusPlanned,
			Sectors: []data.Sector{{CellID: "TV-MF-0001-O", Tech: data.Tech2G, BandMHz: 900, Omni: true, BeamwidthDeg: 360,
				PowerDBm: 43, BandwidthMHz: 0.2, GainDBi: 11, FeederLossDB: 1.5}}},
	}
}

func TestLoadSitesFileFixtures(t *testing.T) {
	cases := []struct {
		file string
		rows int
	}{
		{"sites_small.csv", 4},
		{"sites_excel_semicolon.csv", 4}, // BOM, CRLF, semicolons, decimal commas, aliases, MNC, a blank line
		{"sites_small.geojson", 3},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rep, err := LoadSitesFile(filepath.Join("testdata", c.file), siteOpts(""))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rep.Sites, smallSites()) {
				t.Errorf("sites\n got %+v\nwant %+v", rep.Sites, smallSites())
			}
			if len(rep.Warnings) != 0 || rep.Rows != c.rows {
				t.Errorf("warnings %v, rows %d (want none, %d)", rep.Warnings, rep.Rows, c.rows)
			}
		})
	}
}

func TestLoadSitesFileErrors(t *testing.T) {
	_, err := LoadSitesFile("testdata/sites_small.txt", siteOpts(""))
	if !errors.Is(err, data.ErrInvalidInput) || !strings.Contains(err.Error(), "unknown station file type") {
		t.Errorf("txt: %v", err)
	}
	_, err = LoadSitesFile("testdata/absent.csv", siteOpts(""))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent: %v", err)
	}
	_, err = LoadSitesFile("testdata/sites_small.csv", siteOpts("vnpt"))
	if err == nil || err.Error() != `testdata/sites_small.csv: data: invalid input: carrier "vnpt" is not a known carrier id or MNC` {
		t.Errorf("bad carrier: %v", err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(csvHeader+"\nviettel,A,106.3,9.9,30,active,,6G,1800,0,65,4,46,20,17,2\n"), 0o600)
	_, err = LoadSitesFile(bad, siteOpts(""))
	var pe data.ParseErrors
	if !errors.As(err, &pe) || len(pe) != 1 || pe[0].Line != 2 || pe[0].Field != "tech" ||
		!strings.HasPrefix(err.Error(), bad+": data: line 2: tech:") {
		t.Errorf("bad file: %v", err)
	}
}

const csvHeader = "carrier,site_id,lon,lat,height_m,status,cell_id,tech,band_mhz,azimuth_deg,beamwidth_deg,tilt_deg,power_dbm,bandwidth_mhz,gain_dbi,feeder_loss_db"

// row is a valid canonical row with the named columns replaced ("lat=10,2x").
func row(edits ...string) string {
	vals := map[string]string{"carrier": "viettel", "site_id": "TV-1", "lon": "106.34", "lat": "9.93",
		"height_m": "30", "status": "active", "cell_id": "", "tech": "4G", "band_mhz": "1800", "azimuth_deg": "0",
		"beamwidth_deg": "65", "tilt_deg": "4", "power_dbm": "46", "bandwidth_mhz": "20", "gain_dbi": "17",
		"feeder_loss_db": "2"}
	for _, e := range edits {
		k, v, _ := strings.Cut(e, "=")
		if _, ok := vals[k]; !ok {
			panic("row: unknown column " + k)
		}
		vals[k] = v
	}
	out := make([]string, len(siteColumns))
	for i, c := range siteColumns {
		out[i] = vals[c]
		if strings.ContainsAny(out[i], ",\"") {
			out[i] = `"` + strings.ReplaceAll(out[i], `"`, `""`) + `"`
		}
	}
	return strings.Join(out, ",")
}

func csvOf(rows ...string) string { return csvHeader + "\n" + strings.Join(rows, "\n") + "\n" }

const boxMsg = "is outside the province area (lon 105.72..106.81, lat 9.3..10.31)"

// TestReadSitesCSVBad lists bad inputs with the exact error each must give.
func TestReadSitesCSVBad(t *testing.T) {
	cases := []struct {
		name, in, carrier, want string
	}{
		{"text in number", csvOf(row("lat=10,2x")), "", `data: line 2: lat: "10,2x" is not a number`},
		{"decimal comma", csvOf(row("lat=9,93")), "", `data: line 2: lat: "9,93" is not a number (decimal comma? use a dot)`},
		{"NaN", csvOf(row("lon=NaN")), "", `data: line 2: lon: "NaN" is not a finite number`},
		{"overflow", csvOf(row("lat=1e999")), "", `data: line 2: lat: "1e999" is not a finite number`},
		{"hex", csvOf(row("height_m=0x1e")), "", `data: line 2: height_m: "0x1e" is not a number`},
		{"swapped", csvOf(row("lon=9.93", "lat=106.34")), "",
			`data: line 2: lon/lat: "9.93,106.34" ` + boxMsg + "; looks like lat/lon swapped"},
		{"negative lon", csvOf(row("lon=-106.34")), "",
			`data: line 2: lon: "-106.34" ` + boxMsg + "; a negative longitude is west of Greenwich, Vietnam is east: drop the minus sign?"},
		{"Hà Nội", csvOf(row("lon=105.85", "lat=21.03")), "", `data: line 2: lat: "21.03" ` + boxMsg},
		{"missing lat", csvOf(row("lat=")), "", `data: line 2: lat: missing value`},
		{"unknown tech", csvOf(row("tech=6G")), "", `data: line 2: tech: "6G" is not one of 2G, 3G, 4G, 5G (or GSM, UMTS, WCDMA, LTE, NR)`},
		{"unknown band", csvOf(row("band_mhz=1900")), "",
			`data: line 2: band_mhz: "1900" is not one of 700, 850, 900, 1800, 2100, 2300, 2600, 3500 MHz`},
		{"band of other tech", csvOf(row("tech=3G", "band_mhz=700", "power_dbm=33", "bandwidth_mhz=5")), "",
			`data: line 2: band_mhz: "700" is not a 3G band (850, 900, 2100 MHz)`},
		{"unknown status", csvOf(row("status=live")), "", `data: line 2: status: "live" is not active or planned`},
		{"height", csvOf(row("height_m=200")), "", `data: line 2: height_m: "200" is outside 5..150 m`},
		{"power", csvOf(row("power_dbm=70")), "", `data: line 2: power_dbm: "70" is outside 0..60 dBm`},
		{"gain", csvOf(row("gain_dbi=30")), "", `data: line 2: gain_dbi: "30" is outside 0..25 dBi`},
		{"LTE bandwidth", csvOf(row("bandwidth_mhz=7")), "",
			`data: line 2: bandwidth_mhz: "7" is not an LTE bandwidth (1.4, 3, 5, 10, 15, 20 MHz)`},
		{"omni narrow", csvOf(row("azimuth_deg=omni")), "", `data: line 2: beamwidth_deg: "65" must be 360 for an omni antenna`},
		// Before, 0 in these three was read as missing: the default, with a "missing" warning.
		{"band 0", csvOf(row("band_mhz=0")), "",
			`data: line 2: band_mhz: "0" is not one of 700, 850, 900, 1800, 2100, 2300, 2600, 3500 MHz; leave it empty for the default`},
		{"beamwidth 0", csvOf(row("beamwidth_deg=0")), "", `data: line 2: beamwidth_deg: "0" is outside 1..360°; leave it empty for the default`},
		{"bandwidth 0.0", csvOf(row("bandwidth_mhz=0.0")), "",
			`data: line 2: bandwidth_mhz: "0.0" is not an LTE bandwidth (1.4, 3, 5, 10, 15, 20 MHz); leave it empty for the default`},
		{"omni beamwidth 0", csvOf(row("azimuth_deg=omni", "beamwidth_deg=0")), "",
			`data: line 2: beamwidth_deg: "0" must be 360 for an omni antenna; leave it empty for the default`},
		{"no azimuth", csvOf(row("azimuth_deg=")), "",
			`data: line 2: azimuth_deg: missing value (give a bearing in degrees, or omni)`},
		{"unknown carrier", csvOf(row("carrier=vnpt")), "", `data: line 2: carrier: "vnpt" is not a known carrier id or MNC`},
		{"other carrier", csvOf(row("carrier=01")), "viettel", `data: line 2: carrier: "01" is mobifone, not viettel (the carrier given)`},
		{"missing site id", csvOf(row("site_id=")), "", `data: line 2: site_id: missing value`},
		{"invalid UTF-8", csvOf(row("site_id=TV-\xff")), "", `data: line 2: site_id: "TV-\xff" is not valid UTF-8`},
		// Ids are compared as written: before CheckSiteID the reader trimmed " TV-1" to "TV-1".
		{"padded site id", csvOf(row("site_id= TV-1")), "", `data: line 2: site_id: " TV-1" has leading or trailing spaces`},
		{"slash in site id", csvOf(row("site_id=TV/1")), "",
			`data: line 2: site_id: "TV/1" holds a '/', which cannot appear in the site's URL (/api/v1/sites/{carrier}/{site_id})`},
		// Before, a control character in a cell id was reported by the final CheckSite at the site's first line.
		{"control in cell id", csvOf(row("cell_id=A"), row("cell_id=B\x01", "azimuth_deg=120")), "",
			`data: line 3: cell_id: "B\x01" holds control characters`},
		{"padded cell id", csvOf(row("cell_id=A ")), "", `data: line 2: cell_id: "A " has leading or trailing spaces`},
		{"repeated cell", csvOf(row("cell_id=A"), row("cell_id=A", "azimuth_deg=120")), "",
			`data: line 3: cell_id: "A" repeats line 2 of the same site`},
		{"repeated sector", csvOf(row(), row("tilt_deg=2")), "",
			`data: line 3: tech/band_mhz/azimuth_deg: "4G/1800/0" repeats line 2 of the same site; give cell_id to tell them apart`},
		{"site moves", csvOf(row(), row("lon=106.35", "azimuth_deg=120")), "",
			`data: line 3: lon: "106.35" differs from 106.34 on line 2 of the same site`},
		{"site height", csvOf(row(), row("height_m=31", "azimuth_deg=120")), "",
			`data: line 3: height_m: "31" differs from 30 on line 2 of the same site`},
		// 0.0001° of longitude at 9.93° N is 10.97 m (111,320 m · cos 9.93° · 1.0001 for the ellipsoid).
		{"sites 11 m apart", csvOf(row(), row("site_id=TV-2", "lon=106.3401")), "",
			`data: line 3: site_id: "TV-2" is 11.0 m from site "TV-1" (line 2) of the same carrier; sites closer than 20 m must be one site`},
		{"short row", csvOf(strings.TrimSuffix(row(), ",2")), "", `data: line 2: row has 15 fields, the header 16`},
		{"bare quote", csvOf(`viettel,TV"1` + strings.TrimPrefix(row(), "viettel,TV-1")), "",
			`data: line 2: CSV syntax: bare " in non-quoted-field`},
		{"no site_id column", strings.Replace(csvOf(row()), "site_id", "name", 1), "",
			"data: line 1: site_id: required column is missing"},
		{"no carrier column", strings.Replace(csvOf(row()), "carrier", "owner", 1), "",
			"data: line 1: carrier: required column is missing (or name the carrier of the whole file)"},
		{"column twice", strings.Replace(csvOf(row()), "height_m", "lon", 1) + "", "",
			`data: line 1: lon: columns "lon" and "lon" both give lon`},
		{"alias twice", strings.Replace(csvOf(row()), "height_m", "Longitude", 1), "",
			`data: line 1: lon: columns "lon" and "Longitude" both give lon`},
		// A sector column named twice in the header is named as the column, not as a sector's.
		{"sector column twice", strings.Replace(csvOf(row()), "height_m", "radio", 1), "",
			`data: line 1: tech: columns "radio" and "tech" both give tech`},
		{"empty input", "", "", "data: line 1: empty input: no header row"},
		{"all errors listed", csvOf(row("lat=x"), row("site_id=TV-2", "tech=6G", "power_dbm=abc")), "",
			"data: 3 errors:\n\tline 2: lat: \"x\" is not a number\n\tline 3: tech: \"6G\" is not one of 2G, 3G, 4G, 5G (or GSM, UMTS, WCDMA, LTE, NR)" +
				"\n\tline 3: power_dbm: \"abc\" is not a number"},
		{"bad mcc", "radio,mcc,net,area,cell,lon,lat\nLTE,310,4,1,256,106.3,9.9\n", "", `data: line 2: mcc: "310" is not Vietnam's 452`},
		{"bad area", "radio,mcc,net,area,cell,lon,lat\nLTE,452,4,x1,256,106.3,9.9\n", "", `data: line 2: area: "x1" is not a whole number`},
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadSitesCSV(strings.NewReader(c.in), siteOpts(c.carrier))
			if err == nil {
				t.Fatalf("no error; sites %+v", rep.Sites)
			}
			if rep != nil {
				t.Errorf("report returned with the error")
			}
			if err.Error() != c.want {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
			if !errors.Is(err, data.ErrInvalidInput) {
				t.Errorf("not ErrInvalidInput")
			}
		})
	}
}

func TestReadSitesCSVManyErrorsCapped(t *testing.T) {
	rows := make([]string, 300)
	for i := range rows {
		rows[i] = row("lat=bad")
	}
	_, err := ReadSitesCSV(strings.NewReader(csvOf(rows...)), siteOpts(""))
	var pe data.ParseErrors
	if !errors.As(err, &pe) || len(pe) != data.MaxParseErrors {
		t.Fatalf("got %d errors: %v", len(pe), err)
	}
	if last := pe[len(pe)-1].Error(); last != "line 101: too many errors; reading stopped after 99" {
		t.Errorf("last = %q", last)
	}
}

// TestReadSitesCSVSpacing checks the 20 m rule on both sides of it: 1° of latitude at 9.93° N
// is 110,608 m (WGS84 meridian arc table), so 0.000180° ≈ 19.9 m and 0.000182° ≈ 20.1 m.
func TestReadSitesCSVSpacing(t *testing.T) {
	cases := []struct {
		name  string
		rows  []string
		isErr bool
	}{
		{"19.9 m same carrier", []string{row(), row("site_id=TV-2", "lat=9.93018")}, true},
		{"20.1 m same carrier", []string{row(), row("site_id=TV-2", "lat=9.930182")}, false},
		{"same place other carrier", []string{row(), row("carrier=vinaphone")}, false},
		{"same site id other carrier", []string{row(), row("carrier=mobifone", "lon=106.5")}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadSitesCSV(strings.NewReader(csvOf(c.rows...)), siteOpts(""))
			if (err != nil) != c.isErr {
				t.Fatalf("err %v, want error %v", err, c.isErr)
			}
			if err == nil && len(rep.Sites) != 2 {
				t.Errorf("%d sites", len(rep.Sites))
			}
		})
	}
}

// TestReadSitesCSVDefaults checks defaults are applied and reported with their lines.
func TestReadSitesCSVDefaults(t *testing.T) {
	in := "site_id,lon,lat,tech,azimuth_deg,band_mhz,height_m\n" +
		"A,106.3,9.9,4G,10,900,\n" +
		"A,106.3,9.9,3G,20,,25\n"
	rep, err := ReadSitesCSV(strings.NewReader(in), siteOpts("VinaPhone"))
	if err != nil {
		t.Fatal(err)
	}
	want := []data.Site{{Carrier: "vinaphone", SiteID: "A", Lon: 106.3, Lat: 9.9, HeightM: 25, Status: data.StatusActive,
		Sectors: []data.Sector{
			{Tech: data.Tech4G, BandMHz: 900, AzimuthDeg: 10, BeamwidthDeg: 65, TiltDeg: 4, PowerDBm: 43, BandwidthMHz: 10,
				GainDBi: 15, FeederLossDB: 2},
			{Tech: data.Tech3G, BandMHz: 2100, AzimuthDeg: 20, BeamwidthDeg: 65, TiltDeg: 4, PowerDBm: 33, BandwidthMHz: 5,
				GainDBi: 17, FeederLossDB: 2},
		}}}
	if !reflect.DeepEqual(rep.Sites, want) {
		t.Errorf("sites\n got %+v\nwant %+v", rep.Sites, want)
	}
	var got []string
	for _, w := range rep.Warnings {
		got = append(got, w.String())
	}
	wantW := []string{
		"line 2: beamwidth_deg: missing; using 65° (3GPP macro panel)",
		"line 2: tilt_deg: missing; using 4° (town sector downtilt)",
		"line 2: power_dbm: missing; using 43 dBm (4G default on 900 MHz)",
		"line 2: bandwidth_mhz: missing; using 10 MHz (4G default on 900 MHz)",
		"line 2: gain_dbi: missing; using 15 dBi (4G default on 900 MHz)",
		"line 2: feeder_loss_db: missing; using 2 dB (typical feeder)",
		"line 3: band_mhz: missing; using 2100 MHz (default band of 3G)",
		"line 3: beamwidth_deg: missing; using 65° (3GPP macro panel)",
		"line 3: tilt_deg: missing; using 4° (town sector downtilt)",
		"line 3: power_dbm: missing; using 33 dBm (3G default on 2100 MHz)",
		"line 3: bandwidth_mhz: missing; using 5 MHz (3G default on 2100 MHz)",
		"line 3: gain_dbi: missing; using 17 dBi (3G default on 2100 MHz)",
		"line 3: feeder_loss_db: missing; using 2 dB (typical feeder)",
		"line 2: status: missing; using active",
	}
	if strings.Join(got, "\n") != strings.Join(wantW, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantW, "\n"))
	}
}

func TestReadSitesCSVOmniAndHeightDefault(t *testing.T) {
	cases := []struct {
		name, in string
		omni     bool
		warn     string // warnings joined by " | "
	}{
		{"no azimuth column", "carrier,site_id,lon,lat,tech,band_mhz,tilt_deg,power_dbm,bandwidth_mhz,gain_dbi,feeder_loss_db,status,height_m\n" +
			"gmobile,G,106.3,9.9,2G,900,0,43,0.2,11,2,active,20\n", true,
			"line 2: azimuth_deg: missing; treating the antenna as omni"},
		{"empty azimuth, 360", csvOf(row("azimuth_deg=", "beamwidth_deg=360", "gain_dbi=11")), true, ""},
		{"omni word", csvOf(row("azimuth_deg=OMNI", "beamwidth_deg=")), true, ""},
		{"azimuth 360 is north", csvOf(row("azimuth_deg=360")), false, ""},
		{"no height", csvOf(row("height_m=")), false, "line 2: height_m: missing; using 30 m (typical rural tower)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadSitesCSV(strings.NewReader(c.in), siteOpts(""))
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Sites[0]
			if sec := s.Sectors[0]; sec.Omni != c.omni || sec.AzimuthDeg != 0 || (c.omni && sec.BeamwidthDeg != 360) {
				t.Errorf("sector %+v", sec)
			}
			var ws []string
			for _, w := range rep.Warnings {
				ws = append(ws, w.String())
			}
			if got := strings.Join(ws, " | "); got != c.warn {
				t.Errorf("warnings %q, want %q", got, c.warn)
			}
			if c.name == "no height" && s.HeightM != data.DefaultHeightM {
				t.Errorf("height %g", s.HeightM)
			}
		})
	}
}

// TestReadSitesCSVOpenCelliD reads a hand-made OpenCelliD-style export: three LTE cells of
// eNB 100007 (25601793>>8; 100007·256 = 25,601,792) form one site at their mean position.
func TestReadSitesCSVOpenCelliD(t *testing.T) {
	rep, err := LoadSitesFile("testdata/opencellid_452.csv", siteOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		carrier, id string
		lon, lat    float64
		cells       []string
		tech        data.Tech
		band        float64
	}
	wants := []want{
		{"viettel", "12001-100007", 106.3402, 9.9302, []string{"25601793", "25601794", "25601795"}, data.Tech4G, 1800},
		{"vinaphone", "3301-21561234", 106.25, 9.6, []string{"21561234"}, data.Tech3G, 2100},
		{"mobifone", "3301-40123", 106.5, 9.7, []string{"40123"}, data.Tech2G, 900},
	}
	if len(rep.Sites) != len(wants) || rep.Rows != 5 {
		t.Fatalf("%d sites from %d rows: %+v", len(rep.Sites), rep.Rows, rep.Sites)
	}
	for i, w := range wants {
		s := rep.Sites[i]
		if s.Carrier != w.carrier || s.SiteID != w.id || math.Abs(s.Lon-w.lon) > 1e-9 || math.Abs(s.Lat-w.lat) > 1e-9 ||
			s.Status != data.StatusActive || s.HeightM != data.DefaultHeightM {
			t.Errorf("site %d = %+v, want %+v", i, s, w)
		}
		for j, sec := range s.Sectors {
			if sec.CellID != w.cells[j] || sec.Tech != w.tech || sec.BandMHz != w.band || !sec.Omni {
				t.Errorf("site %d sector %d = %+v", i, j, sec)
			}
		}
	}
	var ranges, heights, omnis int
	for _, w := range rep.Warnings {
		switch w.Field {
		case "range":
			ranges++
		case "height_m":
			heights++
		case data.FieldAzimuth:
			omnis++
		case "status":
			t.Errorf("status warning %v", w)
		}
	}
	if ranges != 1 || heights != 3 || omnis != 5 {
		t.Errorf("range warnings %d (want 1), height %d (3), omni %d (5)", ranges, heights, omnis)
	}
}

func TestReadSitesGeoJSONBad(t *testing.T) {
	pt := `"geometry":{"type":"Point","coordinates":[106.34,9.93]}`
	props := `"carrier":"viettel","site_id":"A","height_m":30,"status":"active"`
	sec := `"tech":"4G","band_mhz":1800,"azimuth_deg":0,"beamwidth_deg":65,"tilt_deg":4,"power_dbm":46,"bandwidth_mhz":20,"gain_dbi":17,"feeder_loss_db":2`
	fc := func(feats ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `]}`
	}
	feat := func(geom, p string) string { return `{"type":"Feature",` + geom + `,"properties":{` + p + `}}` }
	cases := []struct{ name, in, want string }{
		{"not JSON", "{\n\"type\": oops}", "data: line 2: not a GeoJSON FeatureCollection: invalid character 'o' looking for beginning of value"},
		{"not a collection", `{"type":"Feature"}`, `data: type: "Feature" is not FeatureCollection`},
		{"line string", fc(feat(`"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}`, props+","+sec)),
			`data: feature 1: geometry: "LineString" is not a Point`},
		{"no geometry", fc(`{"type":"Feature","properties":{}}`), `data: feature 1: geometry: missing`},
		{"short point", fc(feat(`"geometry":{"type":"Point","coordinates":[106]}`, props+","+sec)),
			`data: feature 1: geometry: coordinates are not [lon, lat]`},
		{"swapped", fc(feat(`"geometry":{"type":"Point","coordinates":[9.93,106.34]}`, props+","+sec)),
			`data: feature 1: lon/lat: "9.93,106.34" ` + boxMsg + "; looks like lat/lon swapped"},
		{"bad tilt in second feature", fc(feat(pt, props+","+sec), feat(pt, `"carrier":"viettel","site_id":"B",`+
			strings.Replace(sec, `"tilt_deg":4`, `"tilt_deg":"steep"`, 1))),
			`data: feature 2: tilt_deg: "steep" is not a number`},
		{"bool", fc(feat(pt, props+`,"tech":true`)), `data: feature 1: tech: is not a number or text`},
		{"bad sector", fc(feat(pt, props+`,"sectors":[{`+sec+`},{`+strings.Replace(sec, "1800", "1900", 1)+`}]`)),
			`data: feature 1: sectors[1].band_mhz: "1900" is not one of 700, 850, 900, 1800, 2100, 2300, 2600, 3500 MHz`},
		{"site field in sector", fc(feat(pt, props+`,"sectors":[{"height_m":3,`+sec+`}]`)),
			`data: feature 1: height_m: is a site field; put it in the feature's properties`},
		{"sector not object", fc(feat(pt, props+`,"sectors":[5]`)), `data: feature 1: sectors[0]: is not an object`},
		{"empty sectors", fc(feat(pt, props+`,"sectors":[]`)), `data: feature 1: sectors: is empty`},
		{"bandwidth 0", fc(feat(pt, props+","+strings.Replace(sec, `"bandwidth_mhz":20`, `"bandwidth_mhz":0`, 1))),
			`data: feature 1: bandwidth_mhz: "0" is not an LTE bandwidth (1.4, 3, 5, 10, 15, 20 MHz); leave it empty for the default`},
		{"padded site id", fc(feat(pt, strings.Replace(props, `"A"`, `"A "`, 1)+","+sec)),
			`data: feature 1: site_id: "A " has leading or trailing spaces`},
		{"padded cell id in sectors", fc(feat(pt, props+`,"sectors":[{"cell_id":"\tc",`+sec+`}]`)),
			`data: feature 1: sectors[0].cell_id: "\tc" has leading or trailing spaces`},
		{"repeated sector", fc(feat(pt, props+`,"sectors":[{`+sec+`},{`+sec+`}]`)),
			`data: feature 1: sectors[1].tech/band_mhz/azimuth_deg: "4G/1800/0" repeats feature 1 of the same site; give cell_id to tell them apart`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := ReadSitesGeoJSON(strings.NewReader(c.in), siteOpts(""))
			if err == nil {
				t.Fatalf("no error: %+v", rep.Sites)
			}
			if err.Error() != c.want {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
		})
	}
}

// TestReadSitesGeoJSONNestedSectors: a "sectors" key inside a sector object is not the
// feature's sectors array: it is a property not used (warning), at the first sector as at any.
func TestReadSitesGeoJSONNestedSectors(t *testing.T) {
	for _, first := range []bool{true, false} {
		sec := `{"tech":"4G","azimuth_deg":0,"sectors":[{"tech":"3G"}]}`
		other := `{"tech":"4G","azimuth_deg":120}`
		secs := sec + "," + other
		if !first {
			secs = other + "," + sec
		}
		in := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.34,9.93]},
		"properties":{"site_id":"A","height_m":30,"status":"active","sectors":[` + secs + `]}}]}`
		rep, err := ReadSitesGeoJSON(strings.NewReader(in), siteOpts("viettel"))
		if err != nil {
			t.Fatal(err)
		}
		used := false
		for _, w := range rep.Warnings {
			used = used || w.String() == "feature 1: sectors: property not used"
		}
		if len(rep.Sites) != 1 || len(rep.Sites[0].Sectors) != 2 || rep.Sites[0].Sectors[0].Tech != data.Tech4G || !used {
			t.Errorf("nested sectors in the %v sector: sites %+v, warnings %v", map[bool]string{true: "first", false: "second"}[first], rep.Sites, rep.Warnings)
		}
	}
}

func TestReadSitesGeoJSONWarnings(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.34,9.93,4]},
	"properties":{"carrier":"04","site_id":"A","lat":1,"name":"x","tech":"LTE","azimuth":90,"power_dbm":null}}]}`
	rep, err := ReadSitesGeoJSON(strings.NewReader(in), siteOpts("viettel"))
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Sites[0]
	if s.Lon != 106.34 || s.Lat != 9.93 || s.Carrier != "viettel" || s.Sectors[0].AzimuthDeg != 90 || s.Sectors[0].PowerDBm != 46 {
		t.Errorf("site %+v", s)
	}
	var ws []string
	for _, w := range rep.Warnings {
		ws = append(ws, w.String())
	}
	want := "feature 1: lat: ignored; the geometry gives the position|feature 1: name: property not used|" +
		"feature 1: band_mhz: missing; using 1800 MHz (default band of 4G)|" +
		"feature 1: beamwidth_deg: missing; using 65° (3GPP macro panel)|feature 1: tilt_deg: missing; using 4° (town sector downtilt)|" +
		"feature 1: power_dbm: missing; using 46 dBm (4G default on 1800 MHz)|feature 1: bandwidth_mhz: missing; using 20 MHz (4G default on 1800 MHz)|" +
		"feature 1: gain_dbi: missing; using 17 dBi (4G default on 1800 MHz)|feature 1: feeder_loss_db: missing; using 2 dB (typical feeder)|" +
		"feature 1: height_m: missing; using 30 m (typical rural tower)|feature 1: status: missing; using active"
	if got := strings.Join(ws, "|"); got != want {
		t.Errorf("warnings\n%s\nwant\n%s", strings.ReplaceAll(got, "|", "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}
