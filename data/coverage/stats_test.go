package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/demo"
	"phusong/data/population"
	"phusong/data/store"
	"phusong/geo"
)

// demoResult computes the embedded demo at cellM (people spread uniformly).
func demoResult(t testing.TB, cellM float64) (*Engine, *store.Store, *Result) {
	t.Helper()
	return demoResultWith(t, Options{CellM: cellM})
}

// demoResultWith computes the embedded demo with opts.
func demoResultWith(t testing.TB, opts Options) (*Engine, *store.Store, *Result) {
	t.Helper()
	e, st, r, err := computeDemo(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, st, r
}

// computeDemo computes the embedded demo (its communes and synthetic sites) with opts.
func computeDemo(opts Options) (*Engine, *store.Store, *Result, error) {
	communes, err := demo.Communes()
	if err != nil {
		return nil, nil, nil, err
	}
	sites, err := demo.Sites()
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := New(communes, DefaultDefinition(), opts)
	if err != nil {
		return nil, nil, nil, err
	}
	st := store.New(e.Reach)
	if _, err := st.Upsert(sites); err != nil {
		return nil, nil, nil, err
	}
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		return nil, nil, nil, err
	}
	return e, st, r, nil
}

// demoInputs returns the embedded demo's communes and (synthetic) sites.
func demoInputs(t testing.TB) ([]data.Commune, []data.Site) {
	t.Helper()
	communes, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	return communes, sites
}

// checkInvariants checks r against properties that hold whatever the sites:
//   - per cell: the "any" level is the largest carrier level (NaN only where every carrier is);
//   - per commune and technology: covered ≤ total for areas, population and households, each
//     carrier ≤ any, the carrier-count areas add up to the land area, the 3G-only area is at most
//     the 3G-covered area;
//   - the province equals the sum over communes (1e-9 relative).
func checkInvariants(t *testing.T, r *Result) {
	t.Helper()
	e := r.eng
	for _, rule := range e.rules {
		tech := rule.tech
		anyF := r.Field(AnyCarrier, tech)
		fields := make([][]float32, len(r.carriers))
		for c, id := range r.carriers {
			fields[c] = r.Field(id, tech)
		}
		for k, a := range anyF {
			best := float32(math.NaN())
			for c := range fields {
				if v := fields[c][k]; v > best || (best != best && v == v) {
					best = v
				}
			}
			if math.Float32bits(a) != math.Float32bits(best) {
				t.Fatalf("%s cell %d: any %v, best carrier %v", tech, k, a, best)
			}
			if e.land.Commune[k] < 0 && a == a {
				t.Fatalf("%s cell %d outside the province has level %v", tech, k, a)
			}
		}
	}
	const rel = 1e-9
	near := func(a, b float64) bool { return math.Abs(a-b) <= rel*math.Max(1, math.Abs(b)) }
	for _, tech := range data.AnalysedTechs {
		var sum CommuneStats
		sumCarrier := make([]float64, len(r.carriers))
		for _, s := range r.CommuneStatsFor(tech) {
			name := fmt.Sprintf("%s %s", s.Code, tech)
			if s.CoveredAreaKM2 > s.AreaKM2 || s.CoveredIndoorAreaKM2 > s.CoveredAreaKM2 ||
				s.CoveredPopulation > s.GridPopulation || s.CoveredHouseholds > s.GridHouseholds*(1+1e-12) ||
				s.CoveredIndoorPopulation > s.CoveredPopulation || s.UncoveredPopulation < 0 {
				t.Errorf("%s: covered exceeds total: %+v", name, s)
			}
			p := s.PopulationByCarrierCount
			if !near(p[0]+p[1]+p[2]+p[3], s.GridPopulation) || !near(s.GridPopulation-p[0], s.CoveredPopulation) ||
				!near(s.WhitePopulation, s.UncoveredPopulation) {
				t.Errorf("%s: carrier-count people %v do not add up to %g (covered %g, uncovered %g)", name, p, s.GridPopulation,
					s.CoveredPopulation, s.UncoveredPopulation)
			}
			if pop := e.Population(); pop == nil && s.GridPopulation != float64(s.Population) ||
				pop != nil && pop.Mode == population.ModeCensus && s.GridPopulation != float64(s.Population) {
				t.Errorf("%s: grid population %.6f, census %d", name, s.GridPopulation, s.Population)
			}
			for k, pc := range s.PerCarrier {
				if pc.CoveredAreaKM2 > s.CoveredAreaKM2 || pc.CoveredPopulation > s.CoveredPopulation+1e-9 {
					t.Errorf("%s: %s covers more than any carrier", name, pc.Carrier)
				}
				sumCarrier[k] += pc.CoveredAreaKM2
			}
			a := s.AreaByCarrierCountKM2
			if !near(a[0]+a[1]+a[2]+a[3], s.AreaKM2) || !near(s.AreaKM2-a[0], s.CoveredAreaKM2) {
				t.Errorf("%s: carrier-count areas %v do not add up to %g (covered %g)", name, a, s.AreaKM2, s.CoveredAreaKM2)
			}
			if three := r.commune[techIndex(data.Tech3G)][e.communeIndex(s.Code)]; s.ThreeGOnlyAreaKM2 > three.CoveredAreaKM2 ||
				s.ThreeGOnlyPopulation > three.CoveredPopulation {
				t.Errorf("%s: 3G-only %g km², %g people > 3G covered %g km², %g people", name, s.ThreeGOnlyAreaKM2,
					s.ThreeGOnlyPopulation, three.CoveredAreaKM2, three.CoveredPopulation)
			}
			sum.AreaKM2 += s.AreaKM2
			sum.CoveredAreaKM2 += s.CoveredAreaKM2
			sum.CoveredIndoorAreaKM2 += s.CoveredIndoorAreaKM2
			sum.Population += s.Population
			sum.CoveredPopulation += s.CoveredPopulation
			sum.CoveredHouseholds += s.CoveredHouseholds
			sum.GridPopulation += s.GridPopulation
			sum.WhitePopulation += s.WhitePopulation
			sum.ThreeGOnlyPopulation += s.ThreeGOnlyPopulation
			sum.WhiteAreaKM2 += s.WhiteAreaKM2
			sum.ThreeGOnlyAreaKM2 += s.ThreeGOnlyAreaKM2
		}
		p := r.Province(tech)
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"area", p.AreaKM2, sum.AreaKM2},
			{"covered area", p.CoveredAreaKM2, sum.CoveredAreaKM2},
			{"covered indoor area", p.CoveredIndoorAreaKM2, sum.CoveredIndoorAreaKM2},
			{"population", float64(p.Population), float64(sum.Population)},
			{"covered population", p.CoveredPopulation, sum.CoveredPopulation},
			{"covered households", p.CoveredHouseholds, sum.CoveredHouseholds},
			{"grid population", p.GridPopulation, sum.GridPopulation},
			{"white population", p.WhitePopulation, sum.WhitePopulation},
			{"3G-only population", p.ThreeGOnlyPopulation, sum.ThreeGOnlyPopulation},
			{"white area", p.WhiteAreaKM2, sum.WhiteAreaKM2},
			{"3G-only area", p.ThreeGOnlyAreaKM2, sum.ThreeGOnlyAreaKM2},
		} {
			if !near(c.got, c.want) {
				t.Errorf("%s province %s %.12g, sum over communes %.12g", tech, c.name, c.got, c.want)
			}
		}
		for k, pc := range p.PerCarrier {
			if !near(pc.CoveredAreaKM2, sumCarrier[k]) {
				t.Errorf("%s province %s area %.12g, sum %.12g", tech, pc.Carrier, pc.CoveredAreaKM2, sumCarrier[k])
			}
		}
	}
}

// communeIndex returns the index of the commune with code, or -1.
func (e *Engine) communeIndex(code string) int {
	for i := range e.communes {
		if e.communes[i].Code == code {
			return i
		}
	}
	return -1
}

// TestDemoInvariants checks the invariants on the embedded demo, then applies a few seeded
// random edits and checks each incremental update against a full recompute.
func TestDemoInvariants(t *testing.T) {
	e, st, r := demoResult(t, 200)
	checkInvariants(t, r)
	if got := r.Province(data.Tech4G).Population; got != demo.Population2019 {
		t.Errorf("province population %d, want %d (census total)", got, demo.Population2019)
	}
	if testing.Short() {
		return
	}
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	ctx := context.Background()
	for step := range 4 {
		all := st.Snapshot().Sites(store.Filter{})
		s := *all[rng.IntN(len(all))]
		var ch store.Change
		var err error
		switch step % 2 {
		case 0:
			s.Lon += 0.01 * (rng.Float64() - 0.5)
			s.Status = data.StatusActive
			ch, err = st.Upsert([]data.Site{s})
		default:
			ch, err = st.Delete([]data.SiteKey{s.Key()})
		}
		if err != nil {
			t.Fatal(err)
		}
		if r, err = e.Update(ctx, r, st.Snapshot(), ch); err != nil {
			t.Fatal(err)
		}
		full, err := e.Compute(ctx, st.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, fmt.Sprintf("demo step %d", step), r, full, true)
	}
	checkInvariants(t, r)
}

// TestRealCommunes runs the engine on the real 2025 boundaries (shared/data: see
// testenv.SharedData) with the demo's synthetic stations: the rasterised area matches the polygons'
// (SOURCES.md: 2,250 km², tiling without gaps or overlaps) and the census totals carry over.
func TestRealCommunes(t *testing.T) {
	r := sharedResult(t, "wards_2025.geojson", 100)
	e := r.eng
	checkInvariants(t, r)
	p := r.Province(data.Tech4G)
	if len(e.Communes()) != 41 || p.Population != 993555 || p.Households != 280222 {
		t.Errorf("%d communes, population %d, households %d: want 41, 993555, 280222", len(e.Communes()), p.Population, p.Households)
	}
	if math.Abs(p.AreaKM2-2250) > 0.005*2250 || math.Abs(p.AreaKM2-p.PolygonAreaKM2) > 0.002*p.PolygonAreaKM2 {
		t.Errorf("raster area %.2f km², polygon area %.2f km²: want both 2250 ± 0.5 %%, within 0.2 %% of each other",
			p.AreaKM2, p.PolygonAreaKM2)
	}
	for _, s := range r.CommuneStatsFor(data.Tech4G) {
		if s.LandCells == 0 {
			t.Errorf("commune %s has no land cell", s.Code)
		}
	}
}

// TestPeopleWeighted: one omni site at the centre of a 6 km commune covers a disc of about
// 1.4 km radius (TestOmniSiteCoversDisc), under 20 % of the land. With all of the commune's
// people in one village at the mast, every person is covered; with the village in a corner,
// nobody is, whatever the area share; in raster mode the village's own 700 people count, and
// their households follow the census ratio; a second commune the source puts nobody on is
// spread uniformly and says so.
func TestPeopleWeighted(t *testing.T) {
	const sideM = 6000.0
	def := fixtureDefinition(t)
	a := squareCommune("00001", data.TypeCommune, fixLon, fixLat, sideM, 10000, 2500)
	lonM, _ := geo.MetresPerDegree(fixLat)
	b := squareCommune("00002", data.TypeCommune, fixLon+sideM/lonM, fixLat, sideM, 4000, 1000)
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 1.5, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 2}}}
	corner := orb.Point{fixLon - 2500/lonM, fixLat}
	for _, c := range []struct {
		name    string
		village orb.Point
		mode    population.Mode
		covered float64
	}{
		{"village at the mast", orb.Point{fixLon, fixLat}, population.ModeCensus, 10000},
		{"village in a corner", corner, population.ModeCensus, 0},
		{"raster mode", orb.Point{fixLon, fixLat}, population.ModeRaster, 700},
	} {
		src := &population.Source{Name: "villages.csv", Points: []population.Point{{Lon: c.village[0], Lat: c.village[1], People: 700}}}
		e, err := New([]data.Commune{a, b}, def, Options{CellM: 50, Population: src, PopulationMode: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Compute(context.Background(), storeWith(t, e, []data.Site{site}).Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		s := r.CommuneStatsFor(data.Tech3G)[0]
		if s.CoveredAreaPct > 20 || s.CoveredPopulation != c.covered || s.PerCarrier[0].CoveredPopulation != c.covered ||
			s.CoveredHouseholds != c.covered*0.25 {
			t.Errorf("%s: %.1f %% of the area, %g people and %g households covered; want %g people", c.name,
				s.CoveredAreaPct, s.CoveredPopulation, s.CoveredHouseholds, c.covered)
		}
		if s.RasterPopulation != 700 || s.PopulationSpread == PopulationSpread {
			t.Errorf("%s: raster population %g, spread %q", c.name, s.RasterPopulation, s.PopulationSpread)
		}
		o := r.CommuneStatsFor(data.Tech3G)[1]
		if o.PopulationFactor != 0 || !strings.HasPrefix(o.PopulationSpread, "uniform over commune land (villages.csv has no people here)") ||
			o.GridPopulation != 4000 || o.CoveredPopulation != 0 {
			t.Errorf("%s: the commune without people: %+v", c.name, o)
		}
		checkInvariants(t, r)
		// The engine of another definition (a calibration) keeps the people where they were.
		e2, err := e.WithDefinition(def)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := e2.Compute(context.Background(), storeWith(t, e2, []data.Site{site}).Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if s2 := r2.CommuneStatsFor(data.Tech3G)[0]; s2.CoveredPopulation != s.CoveredPopulation || s2.PopulationSpread != s.PopulationSpread {
			t.Errorf("%s: after WithDefinition %g people covered (%q), before %g (%q)", c.name,
				s2.CoveredPopulation, s2.PopulationSpread, s.CoveredPopulation, s.PopulationSpread)
		}
	}
}

// The hand-valued statistics fixture: six 1 km squares on one meridian, 40 km apart, drawn in
// the engine's own frame (so that each holds exactly 20 × 20 cells of 50 m), with masts at
// their centres. Commune 00001 (xã, 5,000 people, 1,200 households) is the five squares A0–A4,
// commune 00002 (phường, 1,000 people, 300 households) the sixth, B:
//
//	y = +100 km   B   gmobile weak (3G and 4G)    outdoors only: indoors reaches no cell centre
//	y =  +60 km   A4  vinaphone 3G only           3G-only land
//	y =  +20 km   A3  viettel, mobifone, vinaphone, vietnamobile (3G and 4G): "3 or more"
//	y =  −20 km   A2  viettel, mobifone (3G and 4G)
//	y =  −60 km   A1  viettel (3G and 4G)
//	y = −100 km   A0  no site: white
//
// Free space for both technologies, masts 5 m, handsets 1.5 m, building-entry loss 30 dB, median
// rule (no margin). Strong 3G: CPICH 33 + 10 − 2 = 41 dBm against −87 dBm: outdoors to
// 10^((41 + 87 − 98.89439)/20) = 28.5 km, indoors (−57 dBm) to 0.90 km; strong 4G: RS
// 46 − 10 lg 72 + 15 = 42.43 dBm against −86 dBm: 34.9 km, indoors 1.10 km. Weak 3G: 10 dBm:
// 0.80 km outdoors, 25 m indoors; weak 4G: 28 − 10 lg 72 = 9.43 dBm: 0.78 km, 25 m. A square's
// farthest cell centre is 672 m from its mast, the nearest 35 m, the next square's nearest
// 39.5 km: every square is covered whole (indoors too for the strong sites), or not at all.
const (
	handSpacingM = 40000.0
	handSideM    = 1000.0
	handCellM    = 50.0
)

// handPart is one square of the fixture: its centre's y in the engine frame (x = 0), its
// commune's index and the sites at its centre.
type handPart struct {
	yM      float64
	commune int
	sites   []handSite
}

// handSite is a mast of the fixture: strong (indoors and out) or weak (outdoors only), with a 3G
// sector, a 4G sector or both.
type handSite struct {
	carrier      string
	strong       bool
	has3G, has4G bool
}

// handParts is the fixture's layout (see above).
func handParts() []handPart {
	both := func(carrier string) handSite { return handSite{carrier, true, true, true} }
	return []handPart{
		{-100e3, 0, nil},
		{-60e3, 0, []handSite{both("viettel")}},
		{-20e3, 0, []handSite{both("viettel"), both("mobifone")}},
		{20e3, 0, []handSite{both("viettel"), both("mobifone"), both("vinaphone"), both("vietnamobile")}},
		{60e3, 0, []handSite{{"vinaphone", true, true, false}}},
		{100e3, 1, []handSite{{"gmobile", false, true, true}}},
	}
}

// handDefinition is the fixture's definition: free space, −87/−86 dBm, 30 dB indoors, median.
func handDefinition(t testing.TB) *Definition {
	t.Helper()
	rule := func(metric string, thresholdDBm float64) TechRule {
		return TechRule{Metric: metric, ThresholdDBm: thresholdDBm, Reliability: 0.5, IndoorLossDB: 30,
			Model: geo.ModelFreeSpace, WardEnv: geo.EnvOpen, CommuneEnv: geo.EnvOpen, TiersDBm: []float64{thresholdDBm}}
	}
	d := &Definition{Version: "hand/1", RxHeightM: 1.5, Techs: map[data.Tech]TechRule{
		data.Tech3G: rule("RSCP", -87), data.Tech4G: rule("RSRP", -86)}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

// handFixture builds the engine and the sites of the fixture. The squares are drawn in
// geo.NewLocalTM(fixLon, fixLat), which is the engine's frame up to the rounding of the data's
// centre (checked: each square then holds exactly 400 cells).
func handFixture(t *testing.T) (*Engine, []data.Site) {
	t.Helper()
	tm := geo.NewLocalTM(fixLon, fixLat)
	square := func(yM float64) orb.Polygon {
		h := handSideM / 2
		ring := orb.Ring{{-h, yM - h}, {h, yM - h}, {h, yM + h}, {-h, yM + h}, {-h, yM - h}}
		for i := range ring {
			ring[i] = tm.Inverse(ring[i])
		}
		return orb.Polygon{ring}
	}
	communes := []data.Commune{
		{Code: "00001", Name: "Xã Một", NameEN: "Commune One", Type: data.TypeCommune, Population: 5000, Households: 1200},
		{Code: "00002", Name: "Phường Hai", NameEN: "Ward Two", Type: data.TypeWard, Population: 1000, Households: 300},
	}
	var sites []data.Site
	for i, p := range handParts() {
		communes[p.commune].Geometry = append(communes[p.commune].Geometry, square(p.yM))
		centre := tm.Inverse(orb.Point{0, p.yM})
		for _, h := range p.sites {
			s := data.Site{Carrier: h.carrier, SiteID: fmt.Sprintf("P%d", i), Lon: centre[0], Lat: centre[1], HeightM: 5, Status: data.StatusActive}
			p3, g3, l3, p4, g4 := 10.0, 0.0, 0.0, 28.0, 0.0
			if h.strong {
				p3, g3, l3, p4, g4 = 33, 10, 2, 46, 15
			}
			if h.has3G {
				s.Sectors = append(s.Sectors, data.Sector{Tech: data.Tech3G, BandMHz: 2100, Omni: true, BeamwidthDeg: 360, PowerDBm: p3, BandwidthMHz: 5, GainDBi: g3, FeederLossDB: l3})
			}
			if h.has4G {
				s.Sectors = append(s.Sectors, data.Sector{Tech: data.Tech4G, BandMHz: 1800, Omni: true, BeamwidthDeg: 360, PowerDBm: p4, BandwidthMHz: 1.4, GainDBi: g4})
			}
			if err := data.CheckSite(&s, data.WholeEarth()); err != nil {
				t.Fatalf("fixture site %s/%s: %v", s.Carrier, s.SiteID, err)
			}
			sites = append(sites, s)
		}
	}
	e, err := New(communes, handDefinition(t), Options{CellM: handCellM})
	if err != nil {
		t.Fatal(err)
	}
	return e, sites
}

// handStats is what a statistics row must hold, in km² of land (1 km² = one square = 400
// cells) and people; per carrier: outdoor and indoor area.
type handStats struct {
	land, covered, indoor float64
	byCount               [4]float64
	threeGOnly            float64
	population, hh        int
	coveredPop, coveredHH float64
	carriers              map[string][2]float64 // carrier → outdoor, indoor km²; absent: 0, 0
	// carrierPeople: carrier → covered population, households, when they are not the row's
	// people × the carrier's share of its land: on the province, they are sums over communes.
	carrierPeople map[string][2]float64
}

// checkHandStats compares s with w: every area, share and head count, derived ones included.
func checkHandStats(t *testing.T, where string, s CommuneStats, w handStats, allCarriers []string) {
	t.Helper()
	eq := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
			t.Errorf("%s: %s = %.12g, want %g", where, name, got, want)
		}
	}
	pct := func(a float64) float64 { return 100 * a / w.land }
	eq("land cells", float64(s.LandCells), 400*w.land)
	eq("area", s.AreaKM2, w.land)
	eq("covered area", s.CoveredAreaKM2, w.covered)
	eq("covered %", s.CoveredAreaPct, pct(w.covered))
	eq("covered indoor area", s.CoveredIndoorAreaKM2, w.indoor)
	eq("covered indoor %", s.CoveredIndoorAreaPct, pct(w.indoor))
	eq("population", float64(s.Population), float64(w.population))
	eq("households", float64(s.Households), float64(w.hh))
	eq("covered population", s.CoveredPopulation, w.coveredPop)
	eq("uncovered population", s.UncoveredPopulation, float64(w.population)-w.coveredPop)
	eq("covered population %", s.CoveredPopulationPct, 100*w.coveredPop/float64(w.population))
	eq("covered households", s.CoveredHouseholds, w.coveredHH)
	for n := range 4 {
		eq(fmt.Sprintf("area covered by %d carriers", n), s.AreaByCarrierCountKM2[n], w.byCount[n])
	}
	eq("white area", s.WhiteAreaKM2, w.byCount[0])
	eq("single-carrier area", s.SingleCarrierAreaKM2, w.byCount[1])
	eq("competitive area", s.CompetitiveAreaKM2, w.byCount[2]+w.byCount[3])
	eq("3G-only area", s.ThreeGOnlyAreaKM2, w.threeGOnly)
	if math.Abs(s.PolygonAreaKM2-w.land) > 1e-3*w.land {
		t.Errorf("%s: polygon area %.6f km², want %g ± 0.1 %%", where, s.PolygonAreaKM2, w.land)
	}
	var present []string
	if len(s.PerCarrier) != len(allCarriers) {
		t.Fatalf("%s: %d carriers, want %d (%v)", where, len(s.PerCarrier), len(allCarriers), allCarriers)
	}
	for k, pc := range s.PerCarrier {
		if pc.Carrier != allCarriers[k] {
			t.Fatalf("%s: carrier %d is %q, want %q", where, k, pc.Carrier, allCarriers[k])
		}
		a := w.carriers[pc.Carrier]
		share := a[0] / w.land
		eq(pc.Carrier+" area", pc.CoveredAreaKM2, a[0])
		eq(pc.Carrier+" %", pc.CoveredAreaPct, pct(a[0]))
		eq(pc.Carrier+" indoor area", pc.CoveredIndoorAreaKM2, a[1])
		eq(pc.Carrier+" indoor %", pc.CoveredIndoorAreaPct, pct(a[1]))
		people := [2]float64{float64(w.population) * share, float64(w.hh) * share}
		if w.carrierPeople != nil {
			people = w.carrierPeople[pc.Carrier]
		}
		eq(pc.Carrier+" population", pc.CoveredPopulation, people[0])
		eq(pc.Carrier+" households", pc.CoveredHouseholds, people[1])
		if a[0] > 0 {
			present = append(present, pc.Carrier)
		}
	}
	if s.CarriersPresent != len(present) || !slices.Equal(s.CarriersPresentIDs, present) {
		t.Errorf("%s: carriers present %d %v, want %d %v", where, s.CarriersPresent, s.CarriersPresentIDs, len(present), present)
	}
}

// TestStatsHandValues checks every statistic of the fixture above against hand values, after a
// full computation and after incremental updates (which count cell by cell, Compute tile by
// tile), for both communes, both technologies and the province.
func TestStatsHandValues(t *testing.T) {
	e, sites := handFixture(t)
	st := storeWith(t, e, sites)
	ctx := context.Background()
	r, err := e.Compute(ctx, st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	carriers := []string{"viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile"} // data.DefaultCarriers order
	if !slices.Equal(r.Carriers(), carriers) {
		t.Fatalf("carriers %v, want %v", r.Carriers(), carriers)
	}
	type want struct{ a, b, province handStats }
	check := func(step string, w map[data.Tech]want) {
		t.Helper()
		for _, tech := range data.AnalysedTechs {
			cs := r.CommuneStatsFor(tech)
			if len(cs) != 2 || cs[0].Code != "00001" || cs[1].Code != "00002" || cs[0].Type != data.TypeCommune ||
				cs[1].Name != "Phường Hai" || cs[0].NameEN != "Commune One" || cs[0].Tech != tech || cs[0].DefinitionVersion != "hand/1" {
				t.Fatalf("%s %s: communes %+v", step, tech, cs)
			}
			checkHandStats(t, fmt.Sprintf("%s %s 00001", step, tech), cs[0], w[tech].a, carriers)
			checkHandStats(t, fmt.Sprintf("%s %s 00002", step, tech), cs[1], w[tech].b, carriers)
			p := r.Province(tech)
			if p.Code != "" || p.Name != "" || p.Tech != tech {
				t.Errorf("%s %s province: code %q name %q tech %s", step, tech, p.Code, p.Name, p.Tech)
			}
			checkHandStats(t, fmt.Sprintf("%s %s province", step, tech), p, w[tech].province, carriers)
			// Priority: the commune with more people uncovered first.
			pr := r.Priority(tech)
			if pr[0].Code != "00001" || pr[1].Code != "00002" {
				t.Errorf("%s %s: priority %s, %s; want 00001 (uncovered %g) first", step, tech, pr[0].Code, pr[1].Code, pr[0].UncoveredPopulation)
			}
		}
		if all := r.Communes(); len(all) != 4 || all[0].Tech != data.AnalysedTechs[0] || all[1].Code != "00001" || all[2].Code != "00002" {
			t.Errorf("%s: Communes() order %v", step, all)
		}
	}
	b := handStats{land: 1, covered: 1, byCount: [4]float64{0, 1, 0, 0}, population: 1000, hh: 300,
		coveredPop: 1000, coveredHH: 300, carriers: map[string][2]float64{"gmobile": {1, 0}}}
	check("compute", map[data.Tech]want{
		data.Tech3G: {
			a: handStats{land: 5, covered: 4, indoor: 4, byCount: [4]float64{1, 2, 1, 1}, threeGOnly: 1, population: 5000, hh: 1200,
				coveredPop: 4000, coveredHH: 960, carriers: map[string][2]float64{"viettel": {3, 3}, "mobifone": {2, 2}, "vinaphone": {2, 2}, "vietnamobile": {1, 1}}},
			b: b,
			province: handStats{land: 6, covered: 5, indoor: 4, byCount: [4]float64{1, 3, 1, 1}, threeGOnly: 1, population: 6000, hh: 1500,
				coveredPop: 5000, coveredHH: 1260, carriers: map[string][2]float64{"viettel": {3, 3}, "mobifone": {2, 2}, "vinaphone": {2, 2}, "vietnamobile": {1, 1}, "gmobile": {1, 0}},
				carrierPeople: map[string][2]float64{"viettel": {3000, 720}, "mobifone": {2000, 480}, "vinaphone": {2000, 480}, "vietnamobile": {1000, 240}, "gmobile": {1000, 300}}},
		},
		data.Tech4G: {
			a: handStats{land: 5, covered: 3, indoor: 3, byCount: [4]float64{2, 1, 1, 1}, threeGOnly: 1, population: 5000, hh: 1200,
				coveredPop: 3000, coveredHH: 720, carriers: map[string][2]float64{"viettel": {3, 3}, "mobifone": {2, 2}, "vinaphone": {1, 1}, "vietnamobile": {1, 1}}},
			b: b,
			province: handStats{land: 6, covered: 4, indoor: 3, byCount: [4]float64{2, 2, 1, 1}, threeGOnly: 1, population: 6000, hh: 1500,
				coveredPop: 4000, coveredHH: 1020, carriers: map[string][2]float64{"viettel": {3, 3}, "mobifone": {2, 2}, "vinaphone": {1, 1}, "vietnamobile": {1, 1}, "gmobile": {1, 0}},
				carrierPeople: map[string][2]float64{"viettel": {3000, 720}, "mobifone": {2000, 480}, "vinaphone": {1000, 240}, "vietnamobile": {1000, 240}, "gmobile": {1000, 300}}},
		},
	})

	// Incremental: mobifone leaves A2 (2 carriers → 1); then, in one change, vinaphone adds 4G
	// at A4 (no longer 3G-only: single-carrier in both technologies) and mobifone and vinaphone
	// join viettel at A1 (1 → 3).
	update := func(ch store.Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if r, err = e.Update(ctx, r, st.Snapshot(), ch); err != nil {
			t.Fatal(err)
		}
	}
	update(st.Delete([]data.SiteKey{{Carrier: "mobifone", SiteID: "P2"}}))
	var a4, a1 data.Site
	for _, s := range sites {
		switch {
		case s.Carrier == "vinaphone" && s.SiteID == "P4":
			a4 = s
		case s.Carrier == "viettel" && s.SiteID == "P1":
			a1 = s
		}
	}
	a4.Sectors = append(slices.Clone(a4.Sectors), a1.Sectors[1]) // a strong 4G sector
	a1m, a1v := a1, a1
	a1m.Carrier, a1v.Carrier = "mobifone", "vinaphone"
	update(st.Upsert([]data.Site{a4, a1m, a1v}))
	same := func() want {
		return want{
			a: handStats{land: 5, covered: 4, indoor: 4, byCount: [4]float64{1, 2, 0, 2}, population: 5000, hh: 1200,
				coveredPop: 4000, coveredHH: 960, carriers: map[string][2]float64{"viettel": {3, 3}, "mobifone": {2, 2}, "vinaphone": {3, 3}, "vietnamobile": {1, 1}}},
			b: b,
			province: handStats{land: 6, covered: 5, indoor: 4, byCount: [4]float64{1, 3, 0, 2}, population: 6000, hh: 1500,
				coveredPop: 5000, coveredHH: 1260, carriers: map[string][2]float64{"viettel": {3, 3}, "mobifone": {2, 2}, "vinaphone": {3, 3}, "vietnamobile": {1, 1}, "gmobile": {1, 0}},
				carrierPeople: map[string][2]float64{"viettel": {3000, 720}, "mobifone": {2000, 480}, "vinaphone": {3000, 720}, "vietnamobile": {1000, 240}, "gmobile": {1000, 300}}},
		}
	}
	check("update", map[data.Tech]want{data.Tech3G: same(), data.Tech4G: same()})
}

// recountFromFields counts, cell by cell from the level fields (Field, CommuneIndexRaster), what
// the statistics of commune ci for technology index ti must say: cells covered outdoors and
// indoors per carrier and by any, by carrier count, 3G-only. A cell is covered when its level
// reaches the required level (>=).
func recountFromFields(r *Result) []communeCounts {
	e := r.eng
	counts := make([]communeCounts, len(e.communes))
	for ci := range counts {
		counts[ci] = newCounts(len(e.rules), len(r.carriers))
	}
	owner := r.CommuneIndexRaster()
	fields := make([][][]float32, len(e.rules)) // [tech][carrier]
	for ti, rule := range e.rules {
		for _, id := range r.carriers {
			fields[ti] = append(fields[ti], r.Field(id, rule.tech))
		}
	}
	i3, i4 := techIndex(data.Tech3G), techIndex(data.Tech4G)
	for k, ci := range owner {
		if ci < 0 {
			continue
		}
		cc := &counts[ci]
		var covered [2]bool
		for ti, rule := range e.rules {
			n, in := 0, false
			for c := range r.carriers {
				lv := float64(fields[ti][c][k])
				if lv >= rule.requiredOut {
					cc.out[ti][c]++
					n++
				}
				if lv >= rule.requiredIn {
					cc.in[ti][c]++
					in = true
				}
			}
			if n > 0 {
				cc.anyOut[ti]++
			}
			if in {
				cc.anyIn[ti]++
			}
			cc.byCount[ti][min(n, 3)]++
			covered[ti] = n > 0
		}
		if covered[i3] && !covered[i4] {
			cc.threeGOnly++
		}
	}
	return counts
}

// checkStatsMatchFields compares every commune's and the province's statistics with counts
// recounted from the fields: each area in cells (area / cell area, rounded) exactly.
func checkStatsMatchFields(t *testing.T, where string, r *Result) {
	t.Helper()
	counts := recountFromFields(r)
	cellKM2 := r.eng.land.Grid.CellM * r.eng.land.Grid.CellM / 1e6
	cells := func(areaKM2 float64) float64 { return math.Round(areaKM2 / cellKM2) }
	num := func(c int32) float64 { return float64(c) }
	for ti, rule := range r.eng.rules {
		var total communeCounts = newCounts(len(r.eng.rules), len(r.carriers))
		rows := r.CommuneStatsFor(rule.tech)
		for ci := range counts {
			total.add(&counts[ci], nil)
		}
		for ci, s := range append(rows, r.Province(rule.tech)) {
			cc := &total
			if ci < len(rows) {
				cc = &counts[ci]
			}
			got := []float64{cells(s.CoveredAreaKM2), cells(s.CoveredIndoorAreaKM2), cells(s.ThreeGOnlyAreaKM2)}
			want := []float64{num(cc.anyOut[ti]), num(cc.anyIn[ti]), num(cc.threeGOnly)}
			for n := range 4 {
				got, want = append(got, cells(s.AreaByCarrierCountKM2[n])), append(want, num(cc.byCount[ti][n]))
			}
			for c, pc := range s.PerCarrier {
				got, want = append(got, cells(pc.CoveredAreaKM2), cells(pc.CoveredIndoorAreaKM2)), append(want, num(cc.out[ti][c]), num(cc.in[ti][c]))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s %s %s: statistics in cells (any out, in, 3G-only, by count 0–3, per carrier out, in)\n%v\nrecounted from the fields\n%v",
					where, rule.tech, s.Code, got, want)
			}
		}
	}
}

// TestStatsMatchFields recounts the statistics from the level fields on the demo at 200 m, with
// the definition's required levels set to levels that cells have (so that cells lie exactly on
// them, and must count as covered), after Compute and after a seeded series of Updates.
func TestStatsMatchFields(t *testing.T) {
	communes, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	_, _, r0 := demoResult(t, 200)
	// Thresholds on levels cells have: the median of the any-carrier levels on land outdoors,
	// the upper quartile indoors (IndoorLossDB = the difference; a median rule adds no margin).
	def := DefaultDefinition()
	def.Version = "exact-levels/1"
	owner := r0.CommuneIndexRaster()
	for _, tech := range data.AnalysedTechs {
		var levels []float32
		for k, v := range r0.Field(AnyCarrier, tech) {
			if owner[k] >= 0 && v == v {
				levels = append(levels, v)
			}
		}
		slices.Sort(levels)
		levels = slices.Compact(levels)
		out, in := float64(levels[len(levels)/2]), float64(levels[3*len(levels)/4])
		rule := def.Techs[tech]
		rule.ThresholdDBm, rule.IndoorLossDB, rule.Reliability = out, in-out, 0.5
		def.Techs[tech] = rule
	}
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	e, err := New(communes, def, Options{CellM: 200})
	if err != nil {
		t.Fatal(err)
	}
	st := storeWith(t, e, sites)
	ctx := context.Background()
	r, err := e.Compute(ctx, st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	// The levels do not depend on the thresholds: cells sit exactly on the required levels.
	// The sites serving one such cell per (technology, level) are deleted by the first update,
	// so that cells leave a required level too (the incremental count subtracts them).
	g := e.Grid()
	var onLevel []data.SiteKey
	for _, rule := range e.rules {
		for _, req := range []float64{rule.requiredOut, rule.requiredIn} {
			ties := 0
			for k, v := range r.Field(AnyCarrier, rule.tech) {
				if owner[k] < 0 || float64(v) != req {
					continue
				}
				if ties++; ties == 1 {
					at := r.At(e.Projection().Inverse(g.Center(k%g.NX, k/g.NX)))
					any := at[len(at)-len(e.rules)+techIndex(rule.tech)]
					if any.Carrier != AnyCarrier || any.LevelDBm != req {
						t.Fatalf("At the cell on the level: %+v", any)
					}
					onLevel = append(onLevel, any.Serving)
				}
			}
			if ties == 0 {
				t.Fatalf("%s: no cell exactly at the required level %v", rule.tech, req)
			}
		}
	}
	checkStatsMatchFields(t, "compute", r)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 6))
	for step := range 4 {
		all := st.Snapshot().Sites(store.Filter{})
		var ch store.Change
		switch step {
		case 0:
			ch, err = st.Delete(uniqueKeys(onLevel))
		case 2:
			var keys []data.SiteKey
			for range 20 {
				keys = append(keys, all[rng.IntN(len(all))].Key())
			}
			slices.SortFunc(keys, func(a, b data.SiteKey) int {
				return cmp.Or(cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.SiteID, b.SiteID))
			})
			ch, err = st.Delete(slices.Compact(keys))
		default:
			s := *all[rng.IntN(len(all))]
			s.Lon += 0.02 * (rng.Float64() - 0.5)
			s.Lat += 0.02 * (rng.Float64() - 0.5)
			ch, err = st.Upsert([]data.Site{s})
		}
		if err != nil {
			t.Fatal(err)
		}
		if r, err = e.Update(ctx, r, st.Snapshot(), ch); err != nil {
			t.Fatal(err)
		}
		checkStatsMatchFields(t, fmt.Sprintf("update %d", step), r)
	}
}

// uniqueKeys returns keys sorted, without repeats.
func uniqueKeys(keys []data.SiteKey) []data.SiteKey {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b data.SiteKey) int {
		return cmp.Or(cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.SiteID, b.SiteID))
	})
	return slices.Compact(keys)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
