package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/testenv"
)

// TestPlanSuggestCLI: the demo at 400 m, three picks for mobifone as CSV: ranks 1..3 with
// non-increasing gains and a cumulative column that adds them up; --out writes a station
// list that reads back as planned mobifone sites; a candidates file restricts the picks to its
// rows; bad flags are refused.
func TestPlanSuggestCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "picks.csv")
	var stdout, stderr bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	err := run(context.Background(), []string{"plan", "suggest", "--carrier", "mobifone", "--count", "3", "--cell-m", "400",
		"--share-towers", "--format", "csv", "--out", out}, io)
	if err != nil {
		t.Fatal(err, stderr.String())
	}
	rows, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("%v: %q", err, stdout.String())
	}
	col := func(name string) int {
		for i, h := range rows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	sum, prev := 0.0, 1e18
	for i, r := range rows[1:] {
		g, _ := strconv.ParseFloat(r[col("people_gained")], 64)
		c, _ := strconv.ParseFloat(r[col("cumulative_people")], 64)
		sum += g
		if r[col("road_distance_m")] != "-1" {
			t.Errorf("row %v: road_distance_m without --roads, want -1", r)
		}
		if r[col("rank")] != strconv.Itoa(i+1) || g <= 0 || g > prev || c < sum-0.2 || c > sum+0.2 {
			t.Fatalf("row %v (gains so far %.1f)", r, sum)
		}
		prev = g
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := input.ReadSitesCSV(f, input.SiteOptions{Area: orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}})
	if err != nil || len(rep.Sites) != 3 {
		t.Fatalf("--out: %v, %d sites", err, len(rep.Sites))
	}
	for _, s := range rep.Sites {
		if s.Carrier != "mobifone" || s.Status != data.StatusPlanned || !strings.HasPrefix(s.SiteID, "PLAN-4G-") {
			t.Fatalf("written site %+v", s)
		}
	}
	if !strings.Contains(stderr.String(), "Synthetic demo") {
		t.Errorf("stderr does not say the demo is synthetic: %q", stderr.String())
	}

	cands := filepath.Join(dir, "cands.csv")
	os.WriteFile(cands, []byte("name,lon,lat\nonly,"+rows[1][col("lon")]+","+rows[1][col("lat")]+"\n"), 0o644)
	stdout.Reset()
	if err := run(context.Background(), []string{"plan", "suggest", "--carrier", "mobifone", "--count", "3", "--cell-m", "400",
		"--candidates", cands, "--format", "csv"}, io); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(stdout.String(), "\n"); got != 2 || !strings.Contains(stdout.String(), ",file,only,") {
		t.Fatalf("with one candidate: %q", stdout.String())
	}
	for _, args := range [][]string{
		{"plan", "suggest", "--tech", "4G"},
		{"plan", "suggest", "--carrier", "any", "--out", out},
		{"plan", "suggest", "--carrier", "any", "--tech", "6G"},
		{"plan", "suggest", "--carrier", "any", "--format", "xml"},
		{"plan", "suggest", "--carrier", "nobody", "--cell-m", "400"},
	} {
		if err := run(context.Background(), args, io); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestPlanSuggestRoads: with the real national roads of Trà Vinh (shared data) every pick has
// a road distance; a roads file without road lines, a missing one and a spacing under the
// cell size are refused.
func TestPlanSuggestRoads(t *testing.T) {
	testenv.Heavy(t, "suggestion over the national roads of the reference data; TestPlanSuggestCLI runs in a quick run")
	t.Parallel()
	roads := testenv.SharedFile(t, "travinh/national_roads.geojson")
	var stdout, stderr bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	args := []string{"plan", "suggest", "--carrier", "any", "--count", "5", "--cell-m", "400", "--format", "csv"}
	if err := run(context.Background(), append(args, "--roads", roads, "--road-spacing-m", "1000"), io); err != nil {
		t.Fatal(err, stderr.String())
	}
	rows, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(rows) != 6 || rows[0][len(rows[0])-1] != "road_distance_m" {
		t.Fatalf("%v: %q", err, stdout.String())
	}
	for _, r := range rows[1:] {
		d, err := strconv.ParseFloat(r[len(r)-1], 64)
		if err != nil || d < 0 || d > 50_000 {
			t.Errorf("row %v: road distance %v %v", r, d, err)
		}
	}
	water := filepath.Join(t.TempDir(), "water.geojson")
	os.WriteFile(water, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"water"},"geometry":{"type":"LineString","coordinates":[[106.3,9.9],[106.4,9.9]]}}]}`), 0o644)
	for _, bad := range [][]string{
		{"--roads", water},
		{"--roads", water + ".missing"},
		{"--roads", roads, "--road-spacing-m", "10"},
	} {
		if err := run(context.Background(), append(args, bad...), io); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestTokenCreatePlanner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, stderr, err := runTokenCLI("create", "--planner", "usf-team", "--data-dir", dir)
	if err != nil || tokenLine.FindString(out) == "" || !strings.Contains(stderr, "planner token for usf-team") {
		t.Fatalf("%v: %q %q", err, out, stderr)
	}
	if _, help, err := runTokenCLI("create", "--help"); err != nil || !strings.Contains(help, "Usage: phusong token create --carrier ID | --admin | --planner NAME [") {
		t.Errorf("token create --help: %v, the usage line does not offer --planner:\n%s", err, help)
	}
	if _, _, err := runTokenCLI("create", "--planner", "x", "--admin", "--data-dir", dir); err == nil {
		t.Fatal("--planner with --admin accepted")
	}
	list, _, err := runTokenCLI("list", "--data-dir", dir)
	if err != nil || !strings.Contains(list, "(planner usf-team)") {
		t.Fatalf("list: %v %q", err, list)
	}
}

// TestProgressBar: plan suggest's bar (drawn when stderr is a terminal) redraws one line per
// call — a carriage return, 30 columns filled in proportion, the percentage and the counts —
// and ends the line when every candidate is done.
func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	bar := progressBar(&b, time.Now())
	for _, c := range []struct {
		done, total int
		want        string
	}{
		{0, 0, "\r[                              ]   0% 0/0 candidates "},
		{0, 5000, "\r[                              ]   0% 0/5000 candidates "},
		{2100, 5000, "\r[############                  ]  42% 2100/5000 candidates "},
		{4999, 5000, "\r[############################# ]  99% 4999/5000 candidates "},
		{5000, 5000, "\r[##############################] 100% 5000/5000 candidates "},
	} {
		b.Reset()
		bar(c.done, c.total)
		got, secs, _ := strings.Cut(b.String(), "candidates ")
		got += "candidates "
		wantEnd := "s"
		if c.done == c.total {
			wantEnd = "s\n"
		}
		if got != c.want || !regexp.MustCompile(`^[0-9]+`+wantEnd+`$`).MatchString(secs) {
			t.Errorf("bar(%d, %d) = %q, want %q then the seconds and %q", c.done, c.total, b.String(), c.want, wantEnd)
		}
	}
}
