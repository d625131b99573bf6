package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/render"
	"phusong/data/testenv"
)

// runReportCLI runs "phusong report args..." and returns stdout, stderr and the error.
func runReportCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := runReport(context.Background(), io, args)
	return out.String(), errb.String(), err
}

// reportJSON is the part of the JSON document the tests read.
type reportJSON struct {
	DefinitionVersion string           `json:"definition_version"`
	DataNote          string           `json:"data_note"`
	CellM             float64          `json:"cell_m"`
	AreaBasis         string           `json:"area_basis"`
	PopulationBasis   string           `json:"population_basis"`
	Carriers          []string         `json:"carriers"`
	Communes          []map[string]any `json:"communes"`
	Province          []map[string]any `json:"province"`
	Priority          map[string][]string
}

// The required keys of every commune object.
var reportKeys = []string{"code", "name", "tech", "area_km2", "covered_area_km2", "covered_area_pct", "population",
	"covered_population", "households", "covered_households", "carriers_present", "per_carrier",
	"white_area_km2", "single_carrier_area_km2", "competitive_area_km2", "three_g_only_area_km2", "definition_version"}

// Coarse cells keep these runs short; the figures checked do not depend on the cell size.
const testCellM = "200"

func TestReportDemoJSON(t *testing.T) {
	out, stderr, err := runReportCLI(t, "--format", "json", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stderr, demo.Note) {
		t.Errorf("stderr does not carry the demo note: %q", stderr)
	}
	var doc reportJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.DefinitionVersion != coverage.DefaultDefinition().Version || doc.DataNote != demo.Note+" "+demo.PopulationNote || doc.CellM != 200 ||
		doc.AreaBasis == "" || doc.PopulationBasis == "" {
		t.Errorf("metadata: version %q, note %q, cell %g, bases %q / %q", doc.DefinitionVersion, doc.DataNote, doc.CellM,
			doc.AreaBasis, doc.PopulationBasis)
	}
	if len(doc.Communes) != 41*2 || len(doc.Province) != 2 {
		t.Fatalf("%d commune rows and %d province rows, want 82 and 2", len(doc.Communes), len(doc.Province))
	}
	pop := map[string]float64{}
	for _, c := range doc.Communes {
		for _, k := range reportKeys {
			if _, ok := c[k]; !ok {
				t.Fatalf("commune %v has no %q", c["code"], k)
			}
		}
		if pc := c["per_carrier"].([]any); len(pc) != len(doc.Carriers) {
			t.Fatalf("commune %v: %d per_carrier entries for %d carriers", c["code"], len(pc), len(doc.Carriers))
		}
		pop[c["tech"].(string)] += c["population"].(float64)
	}
	for _, p := range doc.Province {
		tech := p["tech"].(string)
		// demo.Population2019 is the census total of the facts table, not computed here.
		if pop[tech] != demo.Population2019 || p["population"].(float64) != demo.Population2019 {
			t.Errorf("%s: population sum %v, province %v, want %d", tech, pop[tech], p["population"], demo.Population2019)
		}
	}
	for tech, codes := range doc.Priority {
		if len(codes) != 41 {
			t.Errorf("priority %s lists %d communes", tech, len(codes))
		}
		uncovered := map[string]float64{}
		for _, c := range doc.Communes {
			if c["tech"] == tech {
				uncovered[c["code"].(string)] = c["uncovered_population"].(float64)
			}
		}
		for i := 1; i < len(codes); i++ {
			if uncovered[codes[i]] > uncovered[codes[i-1]] {
				t.Errorf("priority %s: %s (%.0f uncovered) after %s (%.0f)", tech, codes[i], uncovered[codes[i]],
					codes[i-1], uncovered[codes[i-1]])
			}
		}
	}
}

func TestReportCSV(t *testing.T) {
	out, stderr, err := runReportCLI(t, "--format", "csv", "--tech", "3G", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stderr, demo.Note) {
		t.Error("stderr does not carry the demo note")
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+41+1 {
		t.Fatalf("%d rows, want header + 41 communes + 1 province", len(rows))
	}
	head := rows[0]
	col := func(name string) int {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("no column %q", name)
		}
		return i
	}
	tech, ver, level, rank := col("tech"), col("definition_version"), col("level"), col("priority")
	for i, r := range rows[1:] {
		if r[tech] != "3G" || r[ver] != coverage.DefaultDefinition().Version {
			t.Errorf("row %d: tech %q, definition %q", i+2, r[tech], r[ver])
		}
		want := "commune"
		if i == 41 {
			want = "province"
		}
		if r[level] != want {
			t.Errorf("row %d: level %q, want %q", i+2, r[level], want)
		}
		if want == "commune" && r[rank] != strconv.Itoa(i+1) {
			t.Errorf("row %d: priority %q, want %d", i+2, r[rank], i+1)
		}
	}
}

func TestReportTable(t *testing.T) {
	out, _, err := runReportCLI(t, "--tech", "4G", "--cell-m", testCellM)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Trà Vinh", "Đông Hải", "TOTAL (41 communes)", coverage.DefaultDefinition().Version, "4G"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	// The table lines (header, 41 communes, total) are padded to the same width.
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	total := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "TOTAL (41 communes)") })
	table := lines[total-42 : total+1]
	for _, l := range table {
		if render.TextWidth(l) != render.TextWidth(table[0]) {
			t.Fatalf("misaligned line (%d wide, header %d):\n%s\n%s", render.TextWidth(l), render.TextWidth(table[0]), table[0], l)
		}
	}
}

// TestReportRealCommunes runs the report on the real 2025 boundaries with the demo's
// synthetic stations (../shared/data: see testenv.SharedData).
func TestReportRealCommunes(t *testing.T) {
	t.Parallel()
	out, stderr, err := runReportCLI(t, "--format", "json", "--cell-m", "100",
		"--communes", testenv.SharedFile(t, "travinh/wards_2025.geojson"))
	if err != nil {
		t.Fatal(err, stderr)
	}
	var doc reportJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Communes) != 82 || doc.DataNote != demo.Note {
		t.Fatalf("%d rows, note %q", len(doc.Communes), doc.DataNote)
	}
	for _, p := range doc.Province {
		// SOURCES.md: 993,555 people, 280,222 households, 2,250 km².
		area := p["area_km2"].(float64)
		if p["population"].(float64) != 993555 || p["households"].(float64) != 280222 || math.Abs(area-2250) > 0.01*2250 {
			t.Errorf("%s province: population %v, households %v, area %.1f km²", p["tech"], p["population"], p["households"], area)
		}
		if c, a := p["covered_area_km2"].(float64), area; !(c > 0 && c <= a) {
			t.Errorf("%s province: covered %.1f of %.1f km²", p["tech"], c, a)
		}
	}
}

// TestReportFiles runs on files only: a 6 km square commune, one omni site and a definition
// with free space, as in the coverage package's disc fixture: the 3G disc of radius 1429.54 m
// covers π r² = 6.4201 km² (± 0.33 km² at 50 m cells: π((r + c/√2)² − r²) = 0.3215).
func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	const lon, lat = 106.34, 9.93
	dlon, dlat := 3000/109710.0, 3000/110590.0 // ≈ metres per degree at 9.93° N
	communes := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1","name":"Xã Thử",` +
		`"type":"xa","population":1000,"households":250},"geometry":{"type":"Polygon","coordinates":[[` +
		jsonPoint(lon-dlon, lat-dlat) + "," + jsonPoint(lon+dlon, lat-dlat) + "," + jsonPoint(lon+dlon, lat+dlat) + "," +
		jsonPoint(lon-dlon, lat+dlat) + "," + jsonPoint(lon-dlon, lat-dlat) + `]]}}]}`
	sites := "carrier,site_id,lon,lat,height_m,status,cell_id,tech,band_mhz,azimuth_deg,beamwidth_deg,tilt_deg,power_dbm,bandwidth_mhz,gain_dbi,feeder_loss_db\n" +
		"viettel,S1,106.34,9.93,10,active,S1-O,3G,2100,omni,360,0,33,5,11,2\n"
	def := coverage.DefaultDefinition()
	def.Version = "test-def/7"
	def.RxHeightM = 10 // equal to the mast height: the slant range is the horizontal one
	r := def.Techs[data.Tech3G]
	r.Model, r.ThresholdDBm, r.TiersDBm = "fspl", -60, []float64{-60}
	def.Techs[data.Tech3G] = r
	defJSON, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, stderr, err := runReportCLI(t, "--format", "json", "--tech", "3G",
		"--communes", write("c.geojson", communes), "--sites", write("s.csv", sites), "--config", write("d.json", string(defJSON)))
	if err != nil {
		t.Fatal(err, stderr)
	}
	var doc reportJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.DataNote != "" || doc.DefinitionVersion != "test-def/7" || strings.Contains(stderr, "note:") {
		t.Errorf("note %q (stderr %q), version %q: want no note, test-def/7", doc.DataNote, stderr, doc.DefinitionVersion)
	}
	got := doc.Province[0]["covered_area_km2"].(float64)
	if want := math.Pi * 1.42954 * 1.42954; math.Abs(got-want) > 0.33 {
		t.Errorf("covered %.4f km², want π r² = %.4f ± 0.33", got, want)
	}
}

func jsonPoint(lon, lat float64) string {
	return "[" + strconv.FormatFloat(lon, 'f', 6, 64) + "," + strconv.FormatFloat(lat, 'f', 6, 64) + "]"
}

func TestReportErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // in the error or on stderr
	}{
		{"format", []string{"--format", "xml"}, "--format"},
		{"tech", []string{"--tech", "5G"}, "--tech"},
		{"argument", []string{"extra"}, "unexpected argument"},
		{"missing communes", []string{"--communes", "/nonexistent/c.geojson"}, "nonexistent"},
		{"missing sites", []string{"--sites", "/nonexistent/s.csv"}, "nonexistent"},
		{"cell", []string{"--cell-m", "1"}, "cell size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, err := runReportCLI(t, c.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error()+stderr, c.want) && !errors.Is(err, errUsage) {
				t.Errorf("error %v, stderr %q: want %q", err, stderr, c.want)
			}
		})
	}
}
