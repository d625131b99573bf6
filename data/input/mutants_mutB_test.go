package input

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/fibre"
)

// Tests written for the mutants of the eighth mutation pass (bench/README.md, "Eighth pass,
// mutB") that no earlier test noticed: each pins behaviour that was right but unchecked.

// TestMeasurementReportSpanUnordered: From and To are the earliest and latest sample times
// whatever the rows' order (every earlier file had its rows in time order, so "the last sample"
// passed for To).
func TestMeasurementReportSpanUnordered(t *testing.T) {
	text := "time,lon,lat,carrier,tech,level_dbm\n" +
		"2026-01-05T08:30:05+07:00,106.27,9.9,viettel,4G,-90\n" +
		"2026-01-05T08:30:01+07:00,106.27,9.9,viettel,4G,-91\n" +
		"2026-01-05T08:30:09+07:00,106.27,9.9,viettel,4G,-92\n" +
		"2026-01-05T08:30:03+07:00,106.27,9.9,viettel,4G,-93\n"
	got, rep, err := readAll(t, "csv", text, toyMeasurementOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 1, 5, 1, 30, 1, 0, time.UTC), time.Date(2026, 1, 5, 1, 30, 9, 0, time.UTC)
	if len(got) != 4 || rep.Samples != 4 || !rep.From.Equal(from) || !rep.To.Equal(to) {
		t.Errorf("%d samples, report samples %d from %v to %v; want 4 from %v to %v", len(got), rep.Samples, rep.From, rep.To, from, to)
	}
}

// TestMeasurementErrorValueAsWritten: an error of data.CheckMeasurement or data.CheckPosition
// names the value as the row wrote it, not as the checker formats the parsed number or time.
func TestMeasurementErrorValueAsWritten(t *testing.T) {
	const head = "time,lon,lat,carrier,tech,level_dbm\n"
	for _, c := range []struct{ name, row, field, value, msg string }{
		{"level in exponent form", "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-1.51e2", data.FieldLevel, "-1.51e2", "outside -150..-30"},
		{"Unix seconds before 2000", "0000086400,106.27,9.9,viettel,4G,-90", data.FieldTime, "0000086400", "before 2000"},
		// data.CheckPosition's errors: both coordinates ("lon,lat") when the pair is at fault.
		{"swapped", "2026-01-05T08:30:00Z,9.90,106.27,viettel,4G,-90", "lon/lat", "9.90,106.27", "swapped"},
		{"north of the area", "2026-01-05T08:30:00Z,106.27,21.0,viettel,4G,-90", "lat", "21.0", "outside the province area"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, "csv", head+c.row+"\n", toyMeasurementOptions(t))
			var pes data.ParseErrors
			if !errors.As(err, &pes) || len(pes) != 1 {
				t.Fatalf("error %v, want one ParseError", err)
			}
			if e := pes[0]; e.Line != 2 || e.Field != c.field || e.Value != c.value || !strings.Contains(e.Msg, c.msg) {
				t.Errorf("error %+v, want line 2, field %s, value %q, %q", e, c.field, c.value, c.msg)
			}
		})
	}
}

// TestOpenCellIDRadio: a radio OpenCelliD writes that phusong does not know (CDMA) is skipped
// as another radio, like GSM; an empty radio is a row's error (the tech is required).
func TestOpenCellIDRadio(t *testing.T) {
	const head = "mcc,net,area,cell,lon,lat,signal,measured,radio\n"
	const lte = "452,4,1,2,106.27,9.9,-90,1767578400,LTE\n"
	got, rep, err := readAll(t, "csv", head+lte+"452,4,1,3,106.27,9.9,-90,1767578401,CDMA\n", toyMeasurementOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || rep.Rows != 2 || rep.Skipped != 1 || len(rep.Warnings) != 1 ||
		rep.Warnings[0].Message != "1 rows of another radio (GSM, CDMA, NR) skipped: phusong compares 3G RSCP and 4G RSRP" {
		t.Errorf("%d samples, report %+v; want 1 sample and the CDMA row skipped as another radio", len(got), rep)
	}
	_, _, err = readAll(t, "csv", head+lte+"452,4,1,3,106.27,9.9,-90,1767578401,\n", toyMeasurementOptions(t))
	var pes data.ParseErrors
	if !errors.As(err, &pes) || len(pes) != 1 || pes[0].Line != 3 || pes[0].Field != "tech" || pes[0].Msg != "missing value" {
		t.Errorf("empty radio: %v, want line 3: tech: missing value", err)
	}
}

// TestMeasurementWriterPCIZero: PCI 0 is a PCI (written "0", read back 0); only −1, unknown, is
// written empty.
func TestMeasurementWriterPCIZero(t *testing.T) {
	var out strings.Builder
	w := NewMeasurementWriter(&out)
	at := time.Date(2026, 1, 5, 1, 30, 0, 0, time.UTC)
	for _, pci := range []int{0, -1} {
		m := data.Measurement{Time: at, Lon: 106.27, Lat: 9.9, Carrier: "viettel", Tech: data.Tech4G, LevelDBm: -90, PCI: pci}
		if err := w.Write(&m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "time,lon,lat,carrier,tech,level_dbm,cell_id,pci,accuracy_m\n" +
		"2026-01-05T01:30:00.000Z,106.2700000,9.9000000,viettel,4G,-90,,0,\n" +
		"2026-01-05T01:30:00.000Z,106.2700000,9.9000000,viettel,4G,-90,,,\n"
	if out.String() != want {
		t.Fatalf("wrote\n%s\nwant\n%s", out.String(), want)
	}
	got, _, err := readAll(t, "csv", out.String(), toyMeasurementOptions(t))
	if err != nil || len(got) != 2 || got[0].PCI != 0 || got[1].PCI != -1 {
		t.Errorf("read back %+v (%v), want PCI 0 and −1", got, err)
	}
}

// TestMeasurementGeoJSONMetricProperty: a GeoJSON level given as "rsrp" says 4G, as a CSV
// column of that name does: a 3G feature with it is refused, a 4G one read.
func TestMeasurementGeoJSONMetricProperty(t *testing.T) {
	feature := func(tech string) string {
		return `{"type":"Feature","geometry":{"type":"Point","coordinates":[106.27,9.9]},"properties":{"time":"2026-01-05T02:00:01Z","carrier":"viettel","tech":"` +
			tech + `","rsrp":-97}}`
	}
	got, _, err := readAll(t, "geojson", fc(feature("4G")), toyMeasurementOptions(t))
	if err != nil || len(got) != 1 || got[0].Tech != data.Tech4G || got[0].LevelDBm != -97 {
		t.Fatalf("4G feature: %+v, %v", got, err)
	}
	_, _, err = readAll(t, "geojson", fc(feature("3G")), toyMeasurementOptions(t))
	var pes data.ParseErrors
	if !errors.As(err, &pes) || len(pes) != 1 || pes[0].Feature != 1 || pes[0].Field != "tech" || !strings.Contains(pes[0].Msg, "is not 4G") {
		t.Errorf("3G feature with rsrp: %v, want feature 1: tech: is not 4G", err)
	}
}

// TestMeasurementCarrierFromToken: a carrier's upload (MeasurementOptions.Carrier) needs no
// carrier column, and an empty carrier cell is that carrier's; without a carrier to fall back
// on, an empty cell is a row's error.
func TestMeasurementCarrierFromToken(t *testing.T) {
	opts := toyMeasurementOptions(t)
	opts.Carrier = "452-04" // viettel, by its PLMN
	got, _, err := readAll(t, "csv", "time,lon,lat,tech,level_dbm\n2026-01-05T08:30:00Z,106.27,9.9,4G,-90\n", opts)
	if err != nil || len(got) != 1 || got[0].Carrier != "viettel" {
		t.Errorf("no carrier column: %+v, %v; want one viettel sample", got, err)
	}
	const withColumn = "time,lon,lat,carrier,tech,level_dbm\n2026-01-05T08:30:00Z,106.27,9.9,,4G,-90\n"
	got, _, err = readAll(t, "csv", withColumn, opts)
	if err != nil || len(got) != 1 || got[0].Carrier != "viettel" {
		t.Errorf("empty carrier cell: %+v, %v; want one viettel sample", got, err)
	}
	_, _, err = readAll(t, "csv", withColumn, toyMeasurementOptions(t))
	var pes data.ParseErrors
	if !errors.As(err, &pes) || len(pes) != 1 || pes[0].Line != 2 || pes[0].Field != "carrier" || pes[0].Msg != "missing value" {
		t.Errorf("empty carrier cell without a carrier: %v, want line 2: carrier: missing value", err)
	}
}

// TestFibreItemLimitCountsBoth: Limits.MaxFibreItems bounds routes and access points together.
func TestFibreItemLimitCountsBoth(t *testing.T) {
	point := func(id string) string {
		return `{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"` + id + `"}}`
	}
	route := func(id string) string {
		return `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.3,9.9],[106.31,9.9]]},"properties":{"route_id":"` + id + `","kind":"feeder"}}`
	}
	in := fc(route("R1"), point("A1"), route("R2"), point("A2"))
	opts := fibreOpts("viettel")
	opts.Limits.MaxFibreItems = 3
	_, err := ReadFibreGeoJSON(strings.NewReader(in), opts)
	var le *data.LimitError
	if !errors.As(err, &le) || le.What != "routes and access points" || le.Max != 3 || le.Feature != 4 {
		t.Errorf("error %v, want the limit of 3 routes and access points at feature 4", err)
	}
	opts.Limits.MaxFibreItems = 4
	if rep, err := ReadFibreGeoJSON(strings.NewReader(in), opts); err != nil || len(rep.Network.Routes)+len(rep.Network.AccessPoints) != 4 {
		t.Errorf("at the limit: %v", err)
	}
}

// TestOpenCellIDPCIZero: OpenCelliD's −1 is "not known", but PCI 0 is a PCI.
func TestOpenCellIDPCIZero(t *testing.T) {
	text := "mcc,net,area,cell,lon,lat,signal,measured,radio,pci\n" +
		"452,4,1,2,106.27,9.9,-90,1767578400,LTE,0\n" +
		"452,4,1,3,106.27,9.9,-90,1767578401,LTE,-1\n"
	got, _, err := readAll(t, "csv", text, toyMeasurementOptions(t))
	if err != nil || len(got) != 2 || got[0].PCI != 0 || got[1].PCI != -1 {
		t.Errorf("samples %+v (%v), want PCI 0 and −1 (unknown)", got, err)
	}
}

// TestFibrePortsAtMaximum: fibre.MaxPorts ports are allowed, one more is refused.
func TestFibrePortsAtMaximum(t *testing.T) {
	point := func(ports string) string {
		return fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"id":"A","ports":` + ports + `}}`)
	}
	rep, err := ReadFibreGeoJSON(strings.NewReader(point("100000")), fibreOpts("viettel"))
	if err != nil || len(rep.Network.AccessPoints) != 1 || rep.Network.AccessPoints[0].Ports != fibre.MaxPorts {
		t.Fatalf("100000 ports: %v", err)
	}
	_, err = ReadFibreGeoJSON(strings.NewReader(point("100001")), fibreOpts("viettel"))
	if err == nil || err.Error() != `data: feature 1: ports: "100001" is not a whole number in 0..100000` {
		t.Errorf("100001 ports: %v", err)
	}
}

// TestLoadFibreFile: the file's network as ReadFibreGeoJSON reads it; a wrong extension, a
// missing file and a bad file are errors, the last two naming the path.
func TestLoadFibreFile(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "net.GeoJSON"), filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(fc(lineOK, apOK)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(fc(`{"type":"Feature","geometry":null,"properties":{}}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := LoadFibreFile(good, fibreOpts("viettel"))
	if err != nil || len(rep.Network.Routes) != 1 || rep.Network.Routes[0].RouteID != "R1" || len(rep.Network.AccessPoints) != 1 ||
		rep.Network.AccessPoints[0].Ports != 16 {
		t.Fatalf("%s: %+v, %v", good, rep, err)
	}
	if _, err := LoadFibreFile(filepath.Join(dir, "net.csv"), fibreOpts("viettel")); !errors.Is(err, data.ErrInvalidInput) ||
		!strings.Contains(err.Error(), "unknown fibre file type") {
		t.Errorf("net.csv: %v", err)
	}
	missing := filepath.Join(dir, "missing.geojson")
	if _, err := LoadFibreFile(missing, fibreOpts("viettel")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadFibreFile(bad, fibreOpts("viettel")); !errors.Is(err, data.ErrInvalidInput) ||
		err.Error() != bad+": data: feature 1: geometry: missing" {
		t.Errorf("bad file: %v", err)
	}
}

// TestGeoTIFFWindowByHand: the window over an area is the pixels meeting the area padded by
// PopulationPadDeg, and one pixel more on each side. A 0.01° raster from (106.0, 10.0), each
// pixel holding 1000 × column + row; the area lon 106.355…106.405, lat 9.605…9.655 padded is
// lon 106.345…106.415 (columns 34.5…41.5), lat 9.595…9.665 (rows 33.5…40.5), so the window is
// columns 33…42 and rows 32…41: 10 × 10 pixels from (106.33, 9.68). An area that overlaps
// the raster in longitude or latitude only is refused.
func TestGeoTIFFWindowByHand(t *testing.T) {
	spec := GeoTIFFSpec{West: 106, North: 10, DLon: 0.01, DLat: 0.01, NX: 100, NY: 100, Sample: "float32", Compression: "none"}
	b, err := EncodeGeoTIFF(spec, func(x0, y0, nx, ny int, dst []float64) {
		for y := range ny {
			for x := range nx {
				dst[y*nx+x] = float64(1000*(x0+x) + y0 + y)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// An area beside the raster (its lon/lat box 106…107, 9…10), overlapping it in one
	// coordinate only, is refused.
	for _, far := range []orb.Bound{
		{Min: orb.Point{107.2, 9.4}, Max: orb.Point{107.3, 9.5}},
		{Min: orb.Point{106.4, 8.5}, Max: orb.Point{106.5, 8.6}},
	} {
		want := fmt.Sprintf("the raster (lon 106.0000…107.0000, lat 9.0000…10.0000) does not overlap the communes (lon %.4f…%.4f, lat %.4f…%.4f)",
			far.Min[0], far.Max[0], far.Min[1], far.Max[1])
		if r, _, err := ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), far); r != nil || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("area %v: %v, want %q", far, err, want)
		}
	}
	// A zero-width area (communes along one meridian) still has its padded window: columns
	// 37.5…39.5, so 36…40.
	if r, _, err := ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), orb.Bound{Min: orb.Point{106.385, 9.625}, Max: orb.Point{106.385, 9.635}}); err != nil ||
		r.NX != 5 || math.Abs(r.West-106.36) > 1e-9 {
		t.Errorf("zero-width area: %v", err)
	}
	area := orb.Bound{Min: orb.Point{106.355, 9.605}, Max: orb.Point{106.405, 9.655}}
	r, _, err := ReadPopulationGeoTIFF(bytes.NewReader(b), int64(len(b)), area)
	if err != nil {
		t.Fatal(err)
	}
	if r.NX != 10 || r.NY != 10 || math.Abs(r.West-106.33) > 1e-9 || math.Abs(r.North-9.68) > 1e-9 || r.DLon != 0.01 || r.DLat != 0.01 {
		t.Fatalf("window %d × %d from (%.10f, %.10f) of %g × %g°, want 10 × 10 from (106.33, 9.68) of 0.01°", r.NX, r.NY, r.West, r.North, r.DLon, r.DLat)
	}
	for j := range r.NY {
		for i := range r.NX {
			if got, want := r.People[j*r.NX+i], float32(1000*(33+i)+32+j); got != want {
				t.Fatalf("window pixel (%d, %d) = %v, want %v", i, j, got, want)
			}
		}
	}
}
