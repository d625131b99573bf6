package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/demo"
)

// runExportCLI runs "phusong export args..." and returns stdout, stderr and the error.
func runExportCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := runExport(context.Background(), io, args)
	return out.String(), errb.String(), err
}

// On the demo, viettel's 4G footprints: one feature per active 4G sector that covers land (at
// most the number of such sectors in the demo's sites), all marked synthetic, with valid
// properties and lon/lat MultiPolygons inside the province's bounding box.
func TestExportFootprintsDemo(t *testing.T) {
	t.Parallel()
	out, stderr, err := runExportCLI(t, "footprints", "--tech", "4g", "--carrier", "viettel", "--cell-m", "200")
	if err != nil {
		t.Fatal(err, stderr)
	}
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	sites, _ := demo.Sites()
	communes, _ := demo.Communes()
	var box orb.Bound
	for i, c := range communes {
		if i == 0 {
			box = c.Geometry.Bound()
		}
		box = box.Union(c.Geometry.Bound())
	}
	sectors := 0
	for _, s := range sites {
		if s.Carrier == "viettel" && s.Status == data.StatusActive {
			for _, sec := range s.Sectors {
				if sec.Tech == data.Tech4G {
					sectors++
				}
			}
		}
	}
	if n := len(fc.Features); n == 0 || n > sectors || n < sectors*9/10 {
		t.Fatalf("%d footprints for %d active viettel 4G sectors", n, sectors)
	}
	for _, f := range fc.Features {
		p := f.Properties
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok || len(mp) == 0 || !box.Pad(1e-6).Contains(mp.Bound().Min) || !box.Pad(1e-6).Contains(mp.Bound().Max) {
			t.Fatalf("feature %v: geometry %T outside the province box", p, f.Geometry)
		}
		if p["carrier"] != "viettel" || p["tech"] != "4G" || p["site_id"] == "" || p["threshold_dbm"] != -105.0 ||
			p["synthetic"] != true || p["note"] != demo.Note || !(p.MustFloat64("area_km2", 0) > 0) {
			t.Fatalf("feature properties %v", p)
		}
	}
	if !strings.Contains(stderr, demo.Note) {
		t.Errorf("stderr lacks the demo note: %q", stderr)
	}
}

func TestExportErrors(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		usage   bool
		message string
	}{
		{"no export named", nil, true, ""},
		{"unknown export", []string{"sites"}, false, "unknown export"},
		{"bad tech", []string{"footprints", "--tech", "2G"}, false, "must be 3G or 4G"},
		{"bad flag", []string{"footprints", "--nope"}, true, ""},
		{"extra argument", []string{"footprints", "x"}, true, ""},
		{"missing file", []string{"footprints", "--sites", "/nonexistent/sites.csv"}, false, "nonexistent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runExportCLI(t, c.args...)
			if err == nil || errors.Is(err, errUsage) != c.usage || !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %v, want usage %v containing %q", err, c.usage, c.message)
			}
		})
	}
}
