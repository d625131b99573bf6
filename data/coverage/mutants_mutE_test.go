package coverage

import (
	"context"
	"math"
	"testing"

	"phusong/data"
	"phusong/data/population"
	"phusong/geo"
)

// nearRel reports whether got is want within 1e-9 relative (absolute near 0); NaN is never near.
func nearRel(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*max(1, math.Abs(want))
}

// TestStatsPeopleByCarrierCount: the hand fixture's people split by carrier count (people are
// spread uniformly, so a square of commune 00001 holds 1,000 of its 5,000 people and commune
// 00002's one square all 1,000): white, single-carrier and competitive people, the uncovered
// households, and a province factor of 0 where no population grid was read (not 0/0).
func TestStatsPeopleByCarrierCount(t *testing.T) {
	e, sites := handFixture(t)
	r, err := e.Compute(context.Background(), storeWith(t, e, sites).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		byCount             [4]float64 // people in cells of 0, 1, 2, 3+ carriers
		uncoveredHouseholds float64
	}
	// Commune 00001 by square: A0 white, A1 one carrier, A2 two, A3 four, A4 (3G only) one
	// carrier in 3G and none in 4G; 00002's square one carrier. Households covered: 1,200 × the
	// covered share (4/5 in 3G, 3/5 in 4G), 300 in 00002.
	cases := map[data.Tech][3]want{
		data.Tech3G: {{[4]float64{1000, 2000, 1000, 1000}, 240}, {[4]float64{0, 1000, 0, 0}, 0}, {[4]float64{1000, 3000, 1000, 1000}, 240}},
		data.Tech4G: {{[4]float64{2000, 1000, 1000, 1000}, 480}, {[4]float64{0, 1000, 0, 0}, 0}, {[4]float64{2000, 2000, 1000, 1000}, 480}},
	}
	for tech, ws := range cases {
		cs := r.CommuneStatsFor(tech)
		for i, s := range []CommuneStats{cs[0], cs[1], r.Province(tech)} {
			w := ws[i]
			got := []float64{s.PopulationByCarrierCount[0], s.PopulationByCarrierCount[1], s.PopulationByCarrierCount[2],
				s.PopulationByCarrierCount[3], s.WhitePopulation, s.SingleCarrierPopulation, s.CompetitivePopulation, s.UncoveredHouseholds}
			exp := []float64{w.byCount[0], w.byCount[1], w.byCount[2], w.byCount[3], w.byCount[0], w.byCount[1],
				w.byCount[2] + w.byCount[3], w.uncoveredHouseholds}
			for k := range got {
				if !nearRel(got[k], exp[k]) {
					t.Errorf("%s row %d %q: people by count 0–3, white, single, competitive, uncovered households\n%v\nwant\n%v",
						tech, i, s.Code, got, exp)
					break
				}
			}
		}
		if p := r.Province(tech); p.PopulationFactor != 0 || p.RasterPopulation != 0 {
			t.Errorf("%s province without a population grid: factor %g, raster people %g; want 0, 0", tech, p.PopulationFactor, p.RasterPopulation)
		}
	}
}

// TestStatsRasterHouseholdsAndFactor: three 6 km communes in a row, one 3G omni site at the
// centre of the first (it covers a disc of about 1.4 km, TestPeopleWeighted), in raster mode:
//
//	00001  census 10,000 people, 2,500 households; the source's one village, 700 people, at the mast
//	00002  census  2,000 people,   500 households; no people in the source: spread uniformly
//	00003  census      0 people,     0 households; no people in the source either
//
// Hand values: 00001 counts the village's 700 people and 700 × 2,500/10,000 = 175 households,
// all covered; 00002 its census 2,000 people and 500 households, none covered; 00003 nothing,
// with every share 0 (not 0/0). The province: 2,700 people, 675 households, 700 raster people,
// factor 700/700 = 1 (only the reconciled commune's people over the raster's), 500 households
// uncovered. Priority: 00002 (2,000 uncovered) before 00001 and 00003 (0 each, by code). Without
// the population grid the census-0 commune still has shares of 0 and the province a factor of 0.
func TestStatsRasterHouseholdsAndFactor(t *testing.T) {
	const sideM = 6000.0
	lonM, _ := geo.MetresPerDegree(fixLat)
	communes := []data.Commune{
		squareCommune("00001", data.TypeCommune, fixLon, fixLat, sideM, 10000, 2500),
		squareCommune("00002", data.TypeCommune, fixLon+sideM/lonM, fixLat, sideM, 2000, 500),
		squareCommune("00003", data.TypeCommune, fixLon+2*sideM/lonM, fixLat, sideM, 0, 0),
	}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 1.5, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 2}}}
	src := &population.Source{Name: "villages.csv", Points: []population.Point{{Lon: fixLon, Lat: fixLat, People: 700}}}
	compute := func(opts Options) *Result {
		t.Helper()
		opts.CellM = 50
		e, err := New(communes, fixtureDefinition(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Compute(context.Background(), storeWith(t, e, []data.Site{site}).Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// row: grid people and households, raster people, factor, covered people and households,
	// uncovered people and households, covered people %, white and single-carrier people.
	row := func(s CommuneStats) []float64 {
		return []float64{s.GridPopulation, s.GridHouseholds, s.RasterPopulation, s.PopulationFactor, s.CoveredPopulation,
			s.CoveredHouseholds, s.UncoveredPopulation, s.UncoveredHouseholds, s.CoveredPopulationPct, s.WhitePopulation,
			s.SingleCarrierPopulation}
	}
	check := func(where string, s CommuneStats, want []float64) {
		t.Helper()
		got := row(s)
		for k := range got {
			if !nearRel(got[k], want[k]) {
				t.Errorf("%s: grid people, households, raster people, factor, covered people, households, uncovered people, households, covered %%, white, single\n%v\nwant\n%v",
					where, got, want)
				return
			}
		}
	}
	r := compute(Options{Population: src, PopulationMode: population.ModeRaster})
	cs := r.CommuneStatsFor(data.Tech3G)
	check("raster 00001", cs[0], []float64{700, 175, 700, 1, 700, 175, 0, 0, 100, 0, 700})
	check("raster 00002", cs[1], []float64{2000, 500, 0, 0, 0, 0, 2000, 500, 0, 2000, 0})
	check("raster 00003", cs[2], []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	check("raster province", r.Province(data.Tech3G), []float64{2700, 675, 700, 1, 700, 175, 2000, 500, 100 * 700.0 / 2700, 2000, 700})
	for _, tech := range data.AnalysedTechs {
		var got []string
		for _, s := range r.Priority(tech) {
			got = append(got, s.Code)
		}
		if len(got) != 3 || got[0] != "00002" || got[1] != "00001" || got[2] != "00003" {
			t.Errorf("%s priority %v, want [00002 00001 00003] (uncovered 2000, then 0 and 0 by code)", tech, got)
		}
	}

	r = compute(Options{})
	c := r.CommuneStatsFor(data.Tech3G)[2]
	if c.CoveredPopulationPct != 0 || c.CoveredHouseholds != 0 || c.UncoveredHouseholds != 0 || c.CoveredPopulation != 0 {
		t.Errorf("census 00003 (no people): covered %g %% of people, %g households, %g uncovered; want 0, 0, 0",
			c.CoveredPopulationPct, c.CoveredHouseholds, c.UncoveredHouseholds)
	}
	if p := r.Province(data.Tech3G); p.PopulationFactor != 0 || p.GridHouseholds != 3000 {
		t.Errorf("census province: factor %g, households %g; want 0, 3000", p.PopulationFactor, p.GridHouseholds)
	}
}
