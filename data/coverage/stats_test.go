package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/demo"
	"phusong/data/population"
	"phusong/data/store"
	"phusong/geo"
)

// demoResult computes the embedded demo at cellM.
func demoResult(t testing.TB, cellM float64) (*Engine, *store.Store, *Result) {
	t.Helper()
	communes, sites := demoInputs(t)
	e, err := New(communes, DefaultDefinition(), Options{CellM: cellM})
	if err != nil {
		t.Fatal(err)
	}
	st := storeWith(t, e, sites)
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return e, st, r
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

// TestRealCommunes runs the engine on the real 2025 boundaries (shared/data, skipped when
// absent) with the demo's synthetic stations: the rasterised area matches the polygons'
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
