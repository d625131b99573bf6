package input

import (
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
)

// checkMeasurements checks, with code other than the reader's, every rule on what a measurement
// reader accepted: each sample valid by data.CheckMeasurement, its position in the area and on
// land, a known carrier (the options' one when set), a UTC time; the report's counts and time
// range those of the samples. A failed read must give no report and ParseErrors naming where
// (checkLoadError); samples emitted before the failure are allowed (the caller discards them).
func checkMeasurements(t *testing.T, opts MeasurementOptions, got []data.Measurement, rep *MeasurementReport, err error) {
	t.Helper()
	if err != nil {
		checkLoadError(t, err, rep != nil)
		return
	}
	if rep.Samples != len(got) || rep.Rows < rep.Samples+rep.Skipped {
		t.Fatalf("report %+v for %d samples", rep, len(got))
	}
	var from, to time.Time
	for i, m := range got {
		if errs := data.CheckMeasurement(&m, opts.Now); errs != nil {
			t.Fatalf("sample %d %+v invalid: %v", i, m, errs)
		}
		if !opts.Area.Contains(orb.Point{m.Lon, m.Lat}) || !opts.Inside(m.Lon, m.Lat) || math.IsNaN(m.Lon+m.Lat) {
			t.Fatalf("sample %d at %v,%v: off the land", i, m.Lon, m.Lat)
		}
		if _, ok := data.ResolveCarrier(m.Carrier); !ok || (opts.Carrier != "" && m.Carrier != opts.Carrier) {
			t.Fatalf("sample %d carrier %q", i, m.Carrier)
		}
		if m.Time.Location() != time.UTC {
			t.Fatalf("sample %d time %v not UTC", i, m.Time)
		}
		if i == 0 || m.Time.Before(from) {
			from = m.Time
		}
		if i == 0 || m.Time.After(to) {
			to = m.Time
		}
	}
	if !rep.From.Equal(from) || !rep.To.Equal(to) {
		t.Fatalf("report range %v..%v, samples %v..%v", rep.From, rep.To, from, to)
	}
}

func fuzzMeasurements(f *testing.F, format string) {
	toy := toyMeasurementOptions(f) // once: reading the communes for every input would be most of the work
	f.Fuzz(func(t *testing.T, b []byte, carrierScope bool) {
		opts := toy
		if carrierScope {
			opts.Carrier = "viettel"
		}
		got, rep, err := readAll(t, format, string(b), opts)
		if err != nil && !errors.Is(err, data.ErrInvalidInput) {
			t.Fatalf("not an input error: %v", err)
		}
		checkMeasurements(t, opts, got, rep, err)
	})
}

func FuzzReadMeasurementsCSV(f *testing.F) {
	for _, n := range []string{"measurements_small.csv", "opencellid_measurements.csv"} {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("time;lon;lat;carrier;tech;rsrp\n2026-01-05 08:30;106,27;9,9;4;LTE;-90\n"), false)
	f.Add([]byte("time,lon,lat,carrier,tech,level_dbm\n1767578400,106.27,9.9,452-04,4G,-90\n1767578400,106.27,9.9,452-04,4G,-90\n"), true)
	fuzzMeasurements(f, "csv")
}

func FuzzReadMeasurementsGeoJSON(f *testing.F) {
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.27,9.9]},"properties":{"time":1767578400,"carrier":"viettel","tech":"4G","level_dbm":-90}}`)), false)
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":[106.36,9.97]},"properties":{"time":"2026-01-05T02:00:01Z","carrier":"452-02","tech":"UMTS","rscp":"-97","pci":3}}`)), true)
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`), false)
	fuzzMeasurements(f, "geojson")
}
