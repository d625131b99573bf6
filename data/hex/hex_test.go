package hex

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/store"
	"phusong/geo"
)

func needH3(t *testing.T) {
	t.Helper()
	if !Available {
		t.Skip("built without cgo: no H3")
	}
}

// TestCellOfKnownValues checks the indexing against values published in H3's documentation
// and the FCC's hexagon sizes: the San Francisco example cell, and a Trà Vinh point's cell at
// resolutions 8 and 9 whose parent relation shows in the digits.
func TestCellOfKnownValues(t *testing.T) {
	needH3(t)
	c, err := CellOf(orb.Point{-122.41795063018799, 37.775938728915946}, 9)
	if err != nil || c.String() != "8928308280fffff" || c.Resolution() != 9 {
		t.Fatalf("San Francisco: %v %v, want 8928308280fffff (h3geo.org's example)", c, err)
	}
	if _, err := CellOf(orb.Point{106.3, 9.9}, 16); err == nil {
		t.Error("resolution 16 accepted")
	}
	// The ring around a centre: six vertices, closed, counter-clockwise, holding the centre.
	r := c.Boundary()
	if len(r) != 7 || r[0] != r[6] || planar.Area(orb.Polygon{r}) <= 0 || !planar.RingContains(r, c.Centre()) {
		t.Errorf("boundary %v: want a closed counter-clockwise hexagon around %v", r, c.Centre())
	}
}

// TestSummarise checks the demo's hexagons at both FCC resolutions against what must hold
// whatever the coverage: every land cell's people are in exactly one hexagon (the sum is the
// census total), each hexagon's centre indexes back to it, "any" covers a centre exactly when
// some carrier does, the hexagons' area covers the land, and the share of people in covered
// hexagons is close to the engine's own covered share of the population (two samplings of one
// field: the FCC's centre rule and the engine's cells). H3's aperture is 7: a resolution-8
// hexagon here is seven times a resolution-9 one (H3's areas vary over the globe, so their
// global means do not apply here).
func TestSummarise(t *testing.T) {
	needH3(t)
	communes, sites, _ := demoInputs(t)
	r := demoResult(t, communes, sites, coverage.Options{CellM: 200})
	e := r.Engine()
	census, landM2 := 0, 0.0
	for _, c := range communes {
		census += c.Population
	}
	for _, ci := range e.CommuneIndexRaster() {
		if ci >= 0 {
			landM2 += e.CellM() * e.CellM()
		}
	}
	meanM2 := map[int]float64{}
	for _, tc := range []struct{ res int }{{8}, {9}} {
		s, err := Summarise(t.Context(), r, data.Tech4G, tc.res)
		if err != nil {
			t.Fatal(err)
		}
		var people, hexM2 float64
		for _, h := range s.Hexes {
			people += h.People
			if c, _ := CellOf(h.Centre, tc.res); c != h.Cell {
				t.Fatalf("res %d: centre of %s indexes to %s", tc.res, h.Cell, c)
			}
			some := false
			for _, id := range r.Carriers() {
				some = some || h.Covered[id]
			}
			if some != h.Covered[coverage.AnyCarrier] {
				t.Fatalf("%s: any %v, some carrier %v", h.Cell, h.Covered[coverage.AnyCarrier], some)
			}
			if h.Covered[coverage.AnyCarrier] && !h.OnLand {
				t.Fatalf("%s covered with its centre off the land", h.Cell)
			}
			hexM2 += geo.PlanarAreaM2(orb.MultiPolygon{{projectRing(e.Projection(), h.Boundary)}})
		}
		if math.Abs(people-float64(census)) > 1e-6*float64(census) {
			t.Errorf("res %d: hexagons hold %.3f people, the census %d", tc.res, people, census)
		}
		meanM2[tc.res] = hexM2 / float64(len(s.Hexes))
		if hexM2 < landM2 || hexM2 > 1.1*landM2 {
			t.Errorf("res %d: %d hexagons, %.1f km² for %.1f km² of land", tc.res, len(s.Hexes), hexM2/1e6, landM2/1e6)
		}
		engine := r.Province(data.Tech4G).CoveredPopulation / float64(census)
		fcc := s.People(coverage.AnyCarrier) / float64(census)
		if math.Abs(fcc-engine) > 0.03 {
			t.Errorf("res %d: %.1f %% of people in covered hexagons, the engine covers %.1f %%", tc.res, 100*fcc, 100*engine)
		}
		t.Logf("res %d: %d hexagons, %.1f %% of people in 4G-covered hexagons (engine: %.1f %%)", tc.res, len(s.Hexes), 100*fcc, 100*engine)
	}
	if ratio := meanM2[8] / meanM2[9]; math.Abs(ratio-7) > 0.01 {
		t.Errorf("resolution 8 hexagons are %.4f × resolution 9 ones, want 7", ratio)
	}
	if _, err := Summarise(t.Context(), r, data.Tech2G, 8); err == nil {
		t.Error("2G accepted")
	}
}

// projectRing is r in tm's metres.
func projectRing(tm geo.TransverseMercator, r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = tm.Forward(p)
	}
	return out
}

// TestSummarisePopulationGrid: with the demo's synthetic population grid the hexagons carry the
// grid's people (not the census spread uniformly): they add up to the census of the province to
// the millionth of a person, the share of people in covered hexagons is close to the engine's
// people-weighted coverage, and the people are as uneven as the grid (the fullest hexagon holds
// far more than under a uniform spread). Summed by the hexagon's commune column, the people are
// each commune's census up to the hexagons straddling its borders (logged).
func TestSummarisePopulationGrid(t *testing.T) {
	needH3(t)
	communes, sites, src := demoInputs(t)
	r := demoResult(t, communes, sites, coverage.Options{CellM: 200, Population: src})
	if r.Engine().Population() == nil {
		t.Fatal("the engine placed no population grid")
	}
	uniform := demoResult(t, communes, sites, coverage.Options{CellM: 200})
	census := map[string]int{}
	total := 0
	for _, c := range communes {
		census[c.Code] = c.Population
		total += c.Population
	}
	s, err := Summarise(t.Context(), r, data.Tech4G, 8)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Summarise(t.Context(), uniform, data.Tech4G, 8)
	if err != nil {
		t.Fatal(err)
	}
	people, fullest, fullestUniform := 0.0, 0.0, 0.0
	byCommune := map[string]float64{}
	for _, h := range s.Hexes {
		people += h.People
		fullest = max(fullest, h.People)
		byCommune[h.Commune] += h.People
		if h.Households < 0 || h.People > 0 && h.Households == 0 {
			t.Fatalf("%s: %.1f people, %.1f households", h.Cell, h.People, h.Households)
		}
	}
	for _, h := range u.Hexes {
		fullestUniform = max(fullestUniform, h.People)
	}
	if math.Abs(people-float64(total)) > 1e-3 {
		t.Errorf("hexagons hold %.6f people, the census %d", people, total)
	}
	if fullest < 1.5*fullestUniform {
		t.Errorf("fullest hexagon %.0f people with the grid, %.0f spread uniformly: the grid's people are not used", fullest, fullestUniform)
	}
	engine := r.Province(data.Tech4G).CoveredPopulation / float64(total)
	fcc := s.People(coverage.AnyCarrier) / float64(total)
	if math.Abs(fcc-engine) > 0.03 {
		t.Errorf("%.1f %% of people in covered hexagons, the engine covers %.1f %%", 100*fcc, 100*engine)
	}
	worst, worstCode := 0.0, ""
	for code, n := range census {
		if d := math.Abs(byCommune[code]-float64(n)) / float64(n); d > worst {
			worst, worstCode = d, code
		}
	}
	t.Logf("res 8: %d hexagons, %.0f people (census %d); fullest %.0f people (uniform spread: %.0f); %.1f %% in covered hexagons (engine %.1f %%); "+
		"by the commune column the worst commune (%s) is %.1f %% off its census", len(s.Hexes), people, total, fullest, fullestUniform,
		100*fcc, 100*engine, worstCode, 100*worst)
}

// demoResult is the coverage of sites over communes on an engine with o.
func demoResult(t *testing.T, communes []data.Commune, sites []data.Site, o coverage.Options) *coverage.Result {
	t.Helper()
	e, err := coverage.New(communes, coverage.DefaultDefinition(), o)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(e.Reach)
	byCarrier := map[string][]data.Site{}
	for _, s := range sites {
		byCarrier[s.Carrier] = append(byCarrier[s.Carrier], s)
	}
	for id, list := range byCarrier {
		if _, err := st.ReplaceCarrier(id, list); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return r
}
