package input

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"phusong/data"
)

// toyMeasurementOptions reads on the toy communes (testdata/communes_toy.geojson: four boxes
// around a hole at lon 106.30..106.33, lat 9.90..9.95) with the locator's land test.
func toyMeasurementOptions(t testing.TB) MeasurementOptions {
	t.Helper()
	rep, err := LoadCommunesFile("testdata/communes_toy.geojson")
	if err != nil {
		t.Fatal(err)
	}
	loc := data.NewCommuneLocator(rep.Communes)
	return MeasurementOptions{Area: data.AreaOf(rep.Communes), Inside: func(lon, lat float64) bool { return loc.At(lon, lat) >= 0 },
		Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
}

// readAll reads measurements of format ("csv" or "geojson") into a slice.
func readAll(t testing.TB, format, text string, opts MeasurementOptions) ([]data.Measurement, *MeasurementReport, error) {
	t.Helper()
	var out []data.Measurement
	emit := func(m *data.Measurement) error { out = append(out, *m); return nil }
	read := ReadMeasurementsCSV
	if format == "geojson" {
		read = ReadMeasurementsGeoJSON
	}
	rep, err := read(strings.NewReader(text), opts, emit)
	return out, rep, err
}

func TestReadMeasurementsCSV(t *testing.T) {
	b, err := os.ReadFile("testdata/measurements_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	got, rep, err := readAll(t, "csv", string(b), toyMeasurementOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm.UTC() }
	want := []data.Measurement{
		{Time: at("2026-01-05T01:30:00Z"), Lon: 106.27, Lat: 9.90, Carrier: "viettel", Tech: data.Tech4G, LevelDBm: -87.5, CellID: "TV-VT-0001-4G1800-1", PCI: 101, AccuracyM: 4},
		{Time: at("2026-01-05T01:30:01Z"), Lon: 106.2701, Lat: 9.9001, Carrier: "viettel", Tech: data.Tech4G, LevelDBm: -88, CellID: "TV-VT-0001-4G1800-1", PCI: 101, AccuracyM: 4},
		{Time: at("2026-01-05T01:30:02Z"), Lon: 106.36, Lat: 9.97, Carrier: "vinaphone", Tech: data.Tech3G, LevelDBm: -95.25, PCI: -1},
		{Time: at("2026-01-05T02:00:03Z"), Lon: 106.37, Lat: 9.86, Carrier: "vinaphone", Tech: data.Tech3G, LevelDBm: -101, CellID: "P-77", PCI: 300, AccuracyM: 12.5},
		{Time: at("2026-01-05T02:00:04Z"), Lon: 106.32, Lat: 9.87, Carrier: "mobifone", Tech: data.Tech4G, LevelDBm: -120, PCI: -1},
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Time.Location() != time.UTC {
			t.Errorf("sample %d time %v, want %v UTC", i, got[i].Time, want[i].Time)
		}
		got[i].Time = want[i].Time
		if got[i] != want[i] {
			t.Errorf("sample %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if rep.Format != MeasurementCSV || rep.Rows != 5 || rep.Samples != 5 || !rep.From.Equal(want[0].Time) || !rep.To.Equal(want[4].Time) {
		t.Errorf("report %+v", rep)
	}
}

// Spreadsheet habits: BOM, semicolons, aliases (RSRP column, timestamp), local times.
func TestReadMeasurementsAliases(t *testing.T) {
	text := "\xEF\xBB\xBFTimestamp;Longitude;Latitude;Operator;RAT;RSRP dBm;ECI;PCI\r\n" +
		"2026-01-05 08:30:00;106.27;9.9;Viettel;LTE;-99;26881537;17\r\n"
	got, rep, err := readAll(t, "csv", text, toyMeasurementOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Time.Format(time.RFC3339) != "2026-01-05T01:30:00Z" || got[0].CellID != "26881537" || got[0].PCI != 17 {
		t.Fatalf("samples %+v", got)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "Vietnam time (UTC+7)") || rep.Warnings[0].Line != 2 {
		t.Errorf("warnings %v, want the one about local time on line 2", rep.Warnings)
	}
}

func TestReadMeasurementsOpenCellID(t *testing.T) {
	b, err := os.ReadFile("testdata/opencellid_measurements.csv")
	if err != nil {
		t.Fatal(err)
	}
	got, rep, err := readAll(t, "csv", string(b), toyMeasurementOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || rep.Format != MeasurementOpenCellID || rep.Rows != 5 || rep.Skipped != 3 {
		t.Fatalf("samples %+v, report %+v", got, rep)
	}
	lte, umts := got[0], got[1]
	if lte.Carrier != "viettel" || lte.Tech != data.Tech4G || lte.CellID != "26881537" || lte.LevelDBm != -91 || lte.PCI != 205 ||
		lte.AccuracyM != 8 || lte.Time.Format(time.RFC3339) != "2026-01-05T02:00:00Z" {
		t.Errorf("LTE row: %+v", lte)
	}
	if umts.Carrier != "vinaphone" || umts.Tech != data.Tech3G || umts.PCI != 312 || umts.Time.Format(time.RFC3339) != "2026-01-05T02:00:01Z" {
		t.Errorf("UMTS row (psc 312 as its pci, pci −1 unknown): %+v", umts)
	}
	var msgs []string
	for _, w := range rep.Warnings {
		msgs = append(msgs, w.Message)
	}
	for _, w := range []string{"1 rows of another radio", "1 rows without a signal", "1 rows with a positive signal"} {
		if !strings.Contains(strings.Join(msgs, "\n"), w) {
			t.Errorf("warnings %q lack %q", msgs, w)
		}
	}
}

func TestReadMeasurementsGeoJSON(t *testing.T) {
	text := fc(
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.27,9.9,3]},"properties":{"time":1767578400,"carrier":"452-04","tech":"4G","rsrp":-90.5,"cell_id":"C1"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.36,9.97]},"properties":{"time":"2026-01-05T02:00:01Z","carrier":"vinaphone","tech":"3G","rscp":"-97","lon":1}}`)
	got, rep, err := readAll(t, "geojson", text, toyMeasurementOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].LevelDBm != -90.5 || got[0].CellID != "C1" || got[1].Tech != data.Tech3G || got[1].Lon != 106.36 {
		t.Fatalf("samples %+v", got)
	}
	if rep.Format != MeasurementGeoJSON || rep.Rows != 2 || len(rep.Warnings) != 1 || rep.Warnings[0].Field != "lon" {
		t.Errorf("report %+v", rep)
	}
}

func TestReadMeasurementsErrors(t *testing.T) {
	const head = "time,lon,lat,carrier,tech,level_dbm,cell_id,pci,accuracy_m\n"
	const ok = "2026-01-05T08:30:00+07:00,106.27,9.9,viettel,4G,-90,,,\n"
	for _, c := range []struct {
		name, format, text string
		carrier            string
		line, feature      int
		field, msg         string
	}{
		{"missing level column", "csv", "time,lon,lat,carrier,tech\n", "", 1, 0, "level_dbm", "required column is missing"},
		{"missing carrier column", "csv", "time,lon,lat,tech,level_dbm\n", "", 1, 0, "carrier", "or upload with a carrier's token"},
		{"two level columns", "csv", "time,lon,lat,carrier,tech,rsrp,level\n", "", 1, 0, "level_dbm", "both give level_dbm"},
		{"level positive", "csv", head + ok + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,31,,,\n", "", 3, 0, "level_dbm", "ASU"},
		{"level too low", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-151,,,\n", "", 2, 0, "level_dbm", "outside -150..-30"},
		{"level not a number", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-9o,,,\n", "", 2, 0, "level_dbm", "is not a number"},
		{"level missing", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,,,,\n", "", 2, 0, "level_dbm", "missing value"},
		{"time garbage", "csv", head + "yesterday,106.27,9.9,viettel,4G,-90,,,\n", "", 2, 0, "time", "is not a time"},
		{"time 12 digits", "csv", head + "176757840000,106.27,9.9,viettel,4G,-90,,,\n", "", 2, 0, "time", "10 digits"},
		{"time future", "csv", head + "2027-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90,,,\n", "", 2, 0, "time", "future"},
		{"time 1970", "csv", head + "0000086400,106.27,9.9,viettel,4G,-90,,,\n", "", 2, 0, "time", "before 2000"},
		{"outside the area", "csv", head + "2026-01-05T08:30:00Z,105.8,21.0,viettel,4G,-90,,,\n", "", 2, 0, "lat", "outside the province area"},
		{"swapped", "csv", head + "2026-01-05T08:30:00Z,9.9,106.27,viettel,4G,-90,,,\n", "", 2, 0, "lon/lat", "swapped"},
		{"in the hole", "csv", head + "2026-01-05T08:30:00Z,106.315,9.925,viettel,4G,-90,,,\n", "", 2, 0, "lon/lat", "outside every commune"},
		{"2G", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,GSM,-90,,,\n", "", 2, 0, "tech", "phusong compares 3G (RSCP) and 4G (RSRP)"},
		{"unknown tech", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,wimax,-90,,,\n", "", 2, 0, "tech", "is not 3G"},
		{"rsrp on 3G", "csv", "time,lon,lat,carrier,tech,rsrp\n2026-01-05T08:30:00Z,106.27,9.9,viettel,3G,-90\n", "", 2, 0, "tech", "is not 4G"},
		{"unknown carrier", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,tmobile,4G,-90,,,\n", "", 2, 0, "carrier", "not a known carrier"},
		{"foreign PLMN", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,310-260,4G,-90,,,\n", "", 2, 0, "carrier", "not Vietnam's 452"},
		{"another carrier's row", "csv", head + ok + "2026-01-05T08:30:00Z,106.27,9.9,vinaphone,4G,-90,,,\n", "viettel", 3, 0, "carrier", "its own network"},
		{"pci range", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90,,504,\n", "", 2, 0, "pci", "0..503"},
		{"pci text", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90,,x,\n", "", 2, 0, "pci", "whole number"},
		{"accuracy", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90,,,-3\n", "", 2, 0, "accuracy_m", "outside 0..5000"},
		{"cell id spaces", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90, C1,,\n", "", 2, 0, "cell_id", "leading or trailing"},
		{"short row", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9\n", "", 2, 0, "", "row has 3 fields"},
		{"bad UTF-8", "csv", head + "2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90,\xff,,\n", "", 2, 0, "cell_id", "not valid UTF-8"},
		{"opencellid wrong mcc", "csv", "mcc,net,area,cell,lon,lat,signal,measured,radio\n310,4,1,2,106.27,9.9,-90,1767578400,LTE\n", "", 2, 0, "mcc", "not Vietnam's 452"},
		{"opencellid no radio column", "csv", "mcc,net,area,cell,lon,lat,signal,measured\n452,4,1,2,106.27,9.9,-90,1767578400\n", "", 1, 0, "tech", "required column"},
		{"geojson line", "geojson", fc(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.27,9.9],[106.28,9.9]]},"properties":{}}`), "", 0, 1, "geometry", "is not a Point"},
		{"geojson object value", "geojson", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.27,9.9]},"properties":{"time":"2026-01-05T02:00:01Z","carrier":"viettel","tech":"4G","level_dbm":{"v":1}}}`), "", 0, 1, "level_dbm", "not a number or text"},
		{"geojson missing time", "geojson", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.27,9.9]},"properties":{"carrier":"viettel","tech":"4G","level_dbm":-80}}`), "", 0, 1, "time", "missing value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := toyMeasurementOptions(t)
			opts.Carrier = c.carrier
			got, rep, err := readAll(t, c.format, c.text, opts)
			var pes data.ParseErrors
			if !errors.As(err, &pes) || rep != nil {
				t.Fatalf("read gave %v (report %v, %d samples), want ParseErrors", err, rep, len(got))
			}
			for _, e := range pes {
				if e.Line == c.line && e.Feature == c.feature && e.Field == c.field && strings.Contains(e.Msg, c.msg) {
					return
				}
			}
			t.Errorf("no error at line %d feature %d field %q with %q; got %v", c.line, c.feature, c.field, c.msg, err)
		})
	}
}

// All or nothing: after the first error nothing more is emitted, errors go on being collected.
func TestReadMeasurementsStopsEmitting(t *testing.T) {
	var b strings.Builder
	b.WriteString("time,lon,lat,carrier,tech,level_dbm\n")
	for i := range 10 {
		level := "-90"
		if i == 3 || i == 7 {
			level = "-10"
		}
		fmt.Fprintf(&b, "2026-01-05T08:30:%02d+07:00,106.27,9.9,viettel,4G,%s\n", i, level)
	}
	got, _, err := readAll(t, "csv", b.String(), toyMeasurementOptions(t))
	var pes data.ParseErrors
	if !errors.As(err, &pes) || len(pes) != 2 || pes[0].Line != 5 || pes[1].Line != 9 {
		t.Fatalf("errors %v, want lines 5 and 9", err)
	}
	if len(got) != 3 {
		t.Errorf("%d samples emitted, want the 3 before the first error", len(got))
	}
}

// The reader streams: a sample reaches emit before the input ends (once the first 4 KB, which
// the CSV opening sniffs, have arrived), and emit's error ends reading.
func TestReadMeasurementsStreams(t *testing.T) {
	pr, pw := io.Pipe()
	seen := make(chan data.Measurement, 1)
	stop := errors.New("stop")
	done := make(chan error, 1)
	go func() {
		_, err := ReadMeasurementsCSV(pr, toyMeasurementOptions(t), func(m *data.Measurement) error {
			seen <- *m
			return stop
		})
		done <- err
	}()
	go func() {
		io.WriteString(pw, "time,lon,lat,carrier,tech,level_dbm\n2026-01-05T08:30:00Z,106.27,9.9,viettel,4G,-90\n"+
			strings.Repeat("\n", 5000)) // blank lines, skipped
		// the writer keeps the input open until the reader gave up
	}()
	select {
	case m := <-seen:
		if m.LevelDBm != -90 {
			t.Errorf("sample %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no sample before the end of the input")
	}
	if err := <-done; !errors.Is(err, stop) {
		t.Errorf("emit's error: got %v", err)
	}
	pw.Close()
}

// What the writer writes, the reader reads back the same (positions on the 1e-7° lattice).
func TestMeasurementWriterRoundTrip(t *testing.T) {
	b, err := os.ReadFile("testdata/measurements_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	opts := toyMeasurementOptions(t)
	want, _, err := readAll(t, "csv", string(b), opts)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	w := NewMeasurementWriter(&out)
	for i := range want {
		if err := w.Write(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, rep, err := readAll(t, "csv", out.String(), opts)
	if err != nil || len(rep.Warnings) != 0 {
		t.Fatalf("reading back: %v, warnings %v\n%s", err, rep.Warnings, out.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sample %d: wrote %+v, read %+v", i, want[i], got[i])
		}
	}
	var empty strings.Builder
	if NewMeasurementWriter(&empty).Flush(); empty.String() != strings.Join(MeasurementCSVColumns(), ",")+"\n" {
		t.Errorf("no sample: %q", empty.String())
	}
}
