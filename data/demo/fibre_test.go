package demo

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/data/testenv"
)

var updateFibre = flag.Bool("update-fibre", false, "rewrite fibre.geojson from ../shared/data (until `phusong demo-data` writes it)")

// TestFibreDeterministic generates the demo fibre network twice from the embedded communes and
// compares the bytes with each other and with the committed fibre.geojson.
func TestFibreDeterministic(t *testing.T) {
	gens := generateTwice(t, func(shared string, communes []data.Commune) ([]byte, error) {
		f, err := GenerateFibre(shared, communes, FibreSeed)
		if err != nil {
			return nil, err
		}
		return f.GeoJSON, nil
	})
	if *updateFibre {
		if err := os.WriteFile(FibreFile, gens[0], outputFilePerms); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(gens[0], mustRead(t, FibreFile)) {
		t.Error("fibre.geojson differs from a fresh generation: regenerate it (go test ./data/demo -run TestFibreDeterministic -update-fibre)")
	}
	if !bytes.Equal(FibreGeoJSON(), mustRead(t, FibreFile)) {
		t.Error("embedded bytes differ from the file on disk")
	}
}

// TestFibreMarkedSynthetic checks the embedded file says it is invented: the top-level note
// and "synthetic": true on every feature.
func TestFibreMarkedSynthetic(t *testing.T) {
	var doc struct {
		Note     string `json:"phusong_note"`
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(FibreGeoJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Note != FibreNote || !strings.Contains(doc.Note, "Synthetic") {
		t.Errorf("phusong_note %q", doc.Note)
	}
	if len(doc.Features) == 0 {
		t.Fatal("no features")
	}
	for i, f := range doc.Features {
		if f.Properties["synthetic"] != true {
			t.Fatalf("feature %d not marked synthetic: %v", i+1, f.Properties)
		}
	}
}

// demoReach computes the reach of the embedded network on the coverage engine's land.
func demoReach(t testing.TB, net *fibre.Network) (*coverage.Engine, *fibre.Reach) {
	t.Helper()
	communes, err := Communes()
	if err != nil {
		t.Fatal(err)
	}
	e, err := coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := fibre.Compute(e, net, fibre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e, r
}

// TestFibreDemoReach checks the demo network's reach: household reach within the 70–85 % the
// demo is tuned for, every demo operator present, and the invariants: per cell, in reach of an
// operator ⇒ in reach of any; per commune, in reach ≤ land and any ≥ each operator; the
// province is the sum of the communes. The figures are logged (go test -v).
func TestFibreDemoReach(t *testing.T) {
	net, err := Fibre()
	if err != nil {
		t.Fatal(err)
	}
	e, r := demoReach(t, net)
	if got, want := r.Operators(), []string{"viettel", "vinaphone", "mobifone", "tvcable"}; !reflect.DeepEqual(got, want) {
		t.Errorf("operators %v, want %v", got, want)
	}
	g := r.Grid()
	for k := range g.Len() {
		for _, op := range r.Operators() {
			if r.InReach(op, k) && !r.InReach(fibre.AnyOperator, k) {
				t.Fatalf("cell %d in reach of %s, not of any", k, op)
			}
		}
	}
	rows := r.Communes()
	var hh, pop, households float64
	for _, c := range rows {
		if c.InReachCells > c.LandCells || c.HouseholdsInReach > float64(c.Households)+1e-9 {
			t.Errorf("%s: %d of %d cells in reach", c.Code, c.InReachCells, c.LandCells)
		}
		for _, o := range c.PerOperator {
			if o.InReachCells > c.InReachCells {
				t.Errorf("%s: %s %d cells > any %d", c.Code, o.Operator, o.InReachCells, c.InReachCells)
			}
		}
		hh += c.HouseholdsInReach
		pop += c.PopulationInReach
		households += float64(c.Households)
	}
	p := r.Province()
	if math.Abs(p.HouseholdsInReach-hh) > 1e-6 || math.Abs(p.PopulationInReach-pop) > 1e-6 || p.Households != 280222 {
		t.Errorf("province %g households %g people in reach of %d; communes sum to %g, %g", p.HouseholdsInReach, p.PopulationInReach, p.Households, hh, pop)
	}
	share := 100 * p.HouseholdsInReach / households
	if share < 70 || share > 85 {
		t.Errorf("household reach %.1f %%, want 70–85 %%", share)
	}
	t.Logf("province: %.0f of %d households (%.1f %%), %.0f of %d people (%.1f %%) in reach; land %.1f %%, cell %g m",
		p.HouseholdsInReach, p.Households, share, p.PopulationInReach, p.Population, 100*p.PopulationInReach/float64(p.Population), 100*p.AreaInReachKM2/p.AreaKM2, e.CellM())
	for _, o := range p.PerOperator {
		t.Logf("  %-10s %6.1f %% of households", o.Operator, 100*o.HouseholdsInReach/households)
	}
	slices.SortFunc(rows, func(a, b fibre.CommuneReach) int { return int(math.Copysign(1, a.ReachPct-b.ReachPct)) })
	for _, c := range append(rows[:3], rows[len(rows)-3:]...) {
		t.Logf("  %s %-16s %-7s %5.1f %% (%.0f of %d households) %v", c.Code, c.Name, c.Type, c.ReachPct, c.HouseholdsInReach, c.Households, c.Operators)
	}
}

// TestFibreDemoBackboneOnly: the demo's backbones and feeders alone give no reach.
func TestFibreDemoBackboneOnly(t *testing.T) {
	net, err := Fibre()
	if err != nil {
		t.Fatal(err)
	}
	trunk := &fibre.Network{}
	for _, rt := range net.Routes {
		if rt.Kind != fibre.Distribution {
			trunk.Routes = append(trunk.Routes, rt)
		}
	}
	if len(trunk.Routes) == 0 {
		t.Fatal("no backbone or feeder")
	}
	_, r := demoReach(t, trunk)
	if p := r.Province(); p.InReachCells != 0 || p.HouseholdsInReach != 0 {
		t.Errorf("%d cells, %g households in reach of backbones and feeders", p.InReachCells, p.HouseholdsInReach)
	}
}

func TestReadRoads(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.1,9.9],[106.2,9.9]]},"properties":{"ten":"Quốc lộ 53"}},
{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[106.1,9.8],[106.2,9.8]],[[106.3,9.8],[106.4,9.8]]]},"properties":{"ten":"Quốc lộ 91C"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[106.1,9.9]},"properties":{"ten":"km 0"}}]}`
	roads, err := ReadRoads(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roads {
		names = append(names, r.Name)
	}
	if want := []string{"QL53", "QL91C", "QL91C"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if _, err := ReadRoads(strings.NewReader(`{"type":"FeatureCollection","features":[]}`)); err == nil {
		t.Error("a file without roads was accepted")
	}
}

// TestTreePaths: the spanning tree of hand-placed nodes, cut into paths that use every tree
// edge once.
//
//	3 ─ 0 ─ 1 ─ 2      nodes on a line: 0 has two children (1, 3), 1 has 2
//	        │
//	        4          4 hangs below 1
func TestTreePaths(t *testing.T) {
	nodes := []orb.Point{{0, 0}, {10, 0}, {20, 0}, {-10, 0}, {10, -12}}
	got := treePaths(nodes)
	want := []orb.LineString{
		{{0, 0}, {10, 0}, {20, 0}},
		{{10, 0}, {10, -12}},
		{{0, 0}, {-10, 0}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths %v, want %v", got, want)
	}
	// Total length = MST length = 10 + 10 + 10 + 12.
	total := 0.0
	for _, p := range got {
		total += planar.Length(p)
	}
	if total != 42 {
		t.Errorf("length %g, want 42", total)
	}
	if treePaths(nodes[:1]) != nil {
		t.Error("one node gave paths")
	}
}

// generateTwice runs gen twice on the reference data and the embedded communes and fails t
// unless both runs give the same bytes; it returns them (twice, for the caller's checks).
func generateTwice(t *testing.T, gen func(shared string, communes []data.Commune) ([]byte, error)) [][]byte {
	t.Helper()
	shared := testenv.SharedData(t)
	var gens [][]byte
	for range 2 {
		communes, err := Communes()
		if err != nil {
			t.Fatal(err)
		}
		b, err := gen(shared, communes)
		if err != nil {
			t.Fatal(err)
		}
		gens = append(gens, b)
	}
	if !bytes.Equal(gens[0], gens[1]) {
		t.Fatal("two generations differ")
	}
	return gens
}
