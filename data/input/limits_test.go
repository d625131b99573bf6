package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"phusong/data"
)

// endless is an input that never ends: head, then row(0), row(1) … It counts the bytes read,
// so a test can check that a reader stopped early instead of reading it all.
type endless struct {
	head string
	row  func(i int) string
	i    int
	buf  []byte
	read int
}

func (e *endless) Read(p []byte) (int, error) {
	for len(e.buf) < len(p) {
		if e.head != "" {
			e.buf, e.head = append(e.buf, e.head...), ""
			continue
		}
		e.buf = append(e.buf, e.row(e.i)...)
		e.i++
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	e.read += n
	return n, nil
}

// gridRow is a full 4G sector row of site i/3 (3 sectors a site), sites 40 m apart.
func gridRow(i int) string {
	s := i / 3
	return fmt.Sprintf("S%06d,%.6f,%.6f,30,active,C%d,4G,1800,%d,65,4,43,10,17,1\n",
		s, 106.05+0.0004*float64(s%500), 9.65+0.0004*float64(s/500), i%3, 120*(i%3))
}

const gridHeader = "site_id,lon,lat,height_m,status,cell_id,tech,band_mhz,azimuth_deg,beamwidth_deg,tilt_deg,power_dbm,bandwidth_mhz,gain_dbi,feeder_loss_db\n"

// gridFeature is site i as a GeoJSON feature of one sector (with its comma).
func gridFeature(i int) string {
	return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},`+
		`"properties":{"site_id":"S%06d","tech":"4G","azimuth_deg":0,"height_m":30,"status":"active"}},`,
		106.05+0.0004*float64(i%500), 9.65+0.0004*float64(i/500), i)
}

// readWith is a station-list reader of viettel's sites in Trà Vinh under lim, reduced to its error.
func readWith(read func(io.Reader, SiteOptions) (*SiteLoadReport, error), lim Limits) func(io.Reader) error {
	return func(r io.Reader) error {
		_, err := read(r, SiteOptions{Area: travinh(), Carrier: "viettel", Limits: lim})
		return err
	}
}

// TestLimitsStopEarly: every reader given limits stops at the first count over one with a
// LimitError naming where, having read a bounded part of an endless input.
func TestLimitsStopEarly(t *testing.T) {
	fcHead := `{"type":"FeatureCollection","features":[`
	route := func(i int) string {
		return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.1,9.8],[106.2,%.4f]]},"properties":{"route_id":"R%d","kind":"feeder"}},`,
			9.8+0.0001*float64(i+1), i)
	}
	cases := []struct {
		name  string
		in    *endless
		read  func(io.Reader) error
		want  data.LimitError
		bound int // bytes the reader may take at most
	}{
		{"csv rows", &endless{head: gridHeader, row: gridRow},
			readWith(ReadSitesCSV, Limits{MaxRows: 1000}),
			data.LimitError{What: "rows", Max: 1000, Line: 1002}, 200 << 10},
		{"csv sites", &endless{head: gridHeader, row: gridRow},
			readWith(ReadSitesCSV, Limits{MaxSites: 500}),
			data.LimitError{What: "sites", Max: 500, Line: 1502}, 200 << 10},
		{"geojson features", &endless{head: fcHead, row: gridFeature},
			readWith(ReadSitesGeoJSON, Limits{MaxRows: 1000}),
			data.LimitError{What: "features", Max: 1000, Feature: 1001}, 300 << 10},
		{"geojson sites", &endless{head: fcHead, row: gridFeature},
			readWith(ReadSitesGeoJSON, Limits{MaxSites: 700}),
			data.LimitError{What: "sites", Max: 700, Feature: 701}, 300 << 10},
		{"geojson one endless feature", &endless{head: fcHead + `{"type":"Feature","properties":{"sectors":[`, row: func(int) string { return `{"tech":"4G"},` }},
			readWith(ReadSitesGeoJSON, Limits{MaxFeatureBytes: 64 << 10}),
			data.LimitError{What: "bytes in one JSON value", Max: 64 << 10, Feature: 1}, 200 << 10},
		{"geojson endless other member", &endless{head: `{"type":"FeatureCollection","bbox":"`, row: func(int) string { return "xxxxxxxx" }},
			readWith(ReadSitesGeoJSON, Limits{MaxFeatureBytes: 64 << 10}),
			data.LimitError{What: "bytes in one JSON value", Max: 64 << 10}, 200 << 10},
		{"site ids csv", &endless{head: "site_id\n", row: func(i int) string { return fmt.Sprintf("S%d\nS%d\n", i, i) }},
			func(r io.Reader) error { _, err := ReadSiteIDsCSV(r, "viettel", Limits{MaxSites: 300}); return err },
			data.LimitError{What: "sites", Max: 300, Line: 602}, 100 << 10},
		{"site ids geojson rows", &endless{head: fcHead, row: gridFeature},
			func(r io.Reader) error { _, err := ReadSiteIDsGeoJSON(r, "viettel", Limits{MaxRows: 50}); return err },
			data.LimitError{What: "features", Max: 50, Feature: 51}, 100 << 10},
		{"fibre features", &endless{head: fcHead, row: route},
			func(r io.Reader) error {
				_, err := ReadFibreGeoJSON(r, FibreOptions{Area: travinh(), Operator: "viettel", Limits: Limits{MaxRows: 80}})
				return err
			},
			data.LimitError{What: "features", Max: 80, Feature: 81}, 100 << 10},
		{"fibre items", &endless{head: fcHead, row: route},
			func(r io.Reader) error {
				_, err := ReadFibreGeoJSON(r, FibreOptions{Area: travinh(), Operator: "viettel", Limits: Limits{MaxFibreItems: 40}})
				return err
			},
			data.LimitError{What: "routes and access points", Max: 40, Feature: 41}, 100 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.read(c.in)
			var le *data.LimitError
			if !errors.As(err, &le) || !errors.Is(err, data.ErrTooLarge) {
				t.Fatalf("error %v, want a LimitError", err)
			}
			if *le != c.want {
				t.Errorf("got %+v (%v), want %+v", *le, le, c.want)
			}
			if c.in.read > c.bound {
				t.Errorf("read %d bytes of the endless input, want at most %d", c.in.read, c.bound)
			}
		})
	}
}

// TestLimitErrorText: where reading stopped, the count and the limit.
func TestLimitErrorText(t *testing.T) {
	e := &data.LimitError{What: "sites", Max: 20000, Line: 60002}
	if got, want := e.Error(), "data: line 60002: more than 20000 sites (the limit)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestSectorsPerSite: a site with more sectors than the limit is one error naming it at the
// first row over the limit, in CSV and GeoJSON.
func TestSectorsPerSite(t *testing.T) {
	var csv strings.Builder
	csv.WriteString(gridHeader)
	for i := range 40 {
		fmt.Fprintf(&csv, "BIG,106.3,9.9,30,active,C%02d,4G,1800,%d,65,4,43,10,17,1\n", i, i*9)
	}
	_, err := ReadSitesCSV(strings.NewReader(csv.String()), SiteOptions{Area: travinh(), Carrier: "viettel", Limits: Limits{MaxSectorsPerSite: 32}})
	var pes data.ParseErrors
	if !errors.As(err, &pes) || len(pes) != 1 {
		t.Fatalf("error %v, want one ParseError", err)
	}
	if want := `line 34: site_id: "BIG" has more than 32 sectors (the limit per site; first row line 2)`; pes[0].Error() != want {
		t.Errorf("got  %s\nwant %s", pes[0], want)
	}
	var sectors []string
	for i := range 33 {
		sectors = append(sectors, fmt.Sprintf(`{"cell_id":"C%d","tech":"4G","azimuth_deg":%d}`, i, i*10))
	}
	gj := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},` +
		`"properties":{"site_id":"BIG","sectors":[` + strings.Join(sectors, ",") + `]}}]}`
	_, err = ReadSitesGeoJSON(strings.NewReader(gj), SiteOptions{Area: travinh(), Carrier: "viettel", Limits: Limits{MaxSectorsPerSite: 32}})
	if !errors.As(err, &pes) || len(pes) != 1 || pes[0].Feature != 1 || pes[0].Field != "site_id" || !strings.Contains(pes[0].Msg, "more than 32 sectors") {
		t.Fatalf("error %v, want one ParseError on feature 1", err)
	}
}

// TestWarningsCapped: a file where every row draws a warning keeps MaxWarnings of them, the
// last counting the rest.
func TestWarningsCapped(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("site_id,lon,lat,tech,azimuth_deg\n")
	const n = 1500
	for i := range n {
		fmt.Fprintf(&csv, "S%d,%.6f,%.6f,4G,0\n", i, 106.05+0.0004*float64(i%500), 9.65+0.0004*float64(i/500))
	}
	rep, err := ReadSitesCSV(strings.NewReader(csv.String()), siteOpts("viettel"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != MaxWarnings {
		t.Fatalf("%d warnings, want %d", len(rep.Warnings), MaxWarnings)
	}
	// Each row misses 7 RF values (band to feeder loss), each site its height and status: 9 a site.
	if last, want := rep.Warnings[MaxWarnings-1].Message, fmt.Sprintf("… and %d more warnings", 9*n-(MaxWarnings-1)); last != want {
		t.Errorf("last warning %q, want %q", last, want)
	}
}

// TestWithContext: a cancelled context stops every reader at its next read, with the context's
// error.
func TestWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	in := &endless{head: gridHeader, row: gridRow}
	r := WithContext(ctx, in)
	buf := make([]byte, 1000)
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	for name, read := range map[string]func(io.Reader) error{
		"csv":     func(r io.Reader) error { _, err := ReadSitesCSV(r, siteOpts("viettel")); return err },
		"geojson": func(r io.Reader) error { _, err := ReadSitesGeoJSON(r, siteOpts("viettel")); return err },
	} {
		if err := read(WithContext(ctx, &endless{head: gridHeader, row: gridRow})); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
	}
}

// TestFeaturesTwice: a collection with two features arrays is refused (before, the last one
// was read and the first silently dropped).
func TestFeaturesTwice(t *testing.T) {
	in := "{\"type\":\"FeatureCollection\",\"features\":[],\n\"features\":[]}"
	want := "data: line 2: features: is given twice (one collection holds one features array)"
	checkReaders(t, geoJSONReaders(), []struct{ name, in, want string }{{"twice", in, want}})
}

// TestFeatureBytesExact: a feature of exactly MaxFeatureBytes is read, one byte more is not,
// however the input arrives (the cap is on the feature's bytes, not on a read).
func TestFeatureBytesExact(t *testing.T) {
	f := `{"type":"Feature","geometry":{"type":"Point","coordinates":[106.3,9.9]},"properties":{"site_id":"A","tech":"4G","azimuth_deg":0,"note":"`
	tail := `"}}`
	for _, extra := range []int{0, 1} {
		const size = 4000
		feature := f + strings.Repeat("x", size-len(f)-len(tail)+extra) + tail
		in := `{"type":"FeatureCollection","features":[` + feature + `]}`
		_, err := ReadSitesGeoJSON(strings.NewReader(in), SiteOptions{Area: travinh(), Carrier: "viettel", Limits: Limits{MaxFeatureBytes: size}})
		if gotLimit := errors.Is(err, data.ErrTooLarge); gotLimit != (extra > 0) {
			t.Errorf("feature of %d bytes under a cap of %d: %v", len(feature), size, err)
		}
	}
}
