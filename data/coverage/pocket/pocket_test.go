package pocket

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/data/population"
	"phusong/data/store"
	"phusong/geo"
)

// Fixture: a 3 × 3 block of 3 km square communes near Trà Vinh (the middle column wards),
// omni 4G sites of three carriers placed at random, half with 3G too, and 400 villages.
const fixLon, fixLat, side = 106.34, 9.93, 3000.0

func communes() []data.Commune {
	lonM, latM := geo.MetresPerDegree(fixLat)
	var out []data.Commune
	for j := range 3 {
		for i := range 3 {
			lon, lat := fixLon+float64(i-1)*side/lonM, fixLat+float64(j-1)*side/latM
			dx, dy := side/2/lonM, side/2/latM
			ct := data.TypeCommune
			if i == 1 {
				ct = data.TypeWard
			}
			out = append(out, data.Commune{Code: fmt.Sprintf("%05d", 10+3*j+i), Name: fmt.Sprintf("Xã %d", 3*j+i), Type: ct,
				Geometry:   orb.MultiPolygon{{{{lon - dx, lat - dy}, {lon + dx, lat - dy}, {lon + dx, lat + dy}, {lon - dx, lat + dy}, {lon - dx, lat - dy}}}},
				Population: 4000 + 1000*(3*j+i), Households: 1000 + 250*(3*j+i)})
		}
	}
	return out
}

func site(rng *rand.Rand, carrier, id string) data.Site {
	lonM, latM := geo.MetresPerDegree(fixLat)
	s := data.Site{Carrier: carrier, SiteID: id, Lon: fixLon + (rng.Float64()-0.5)*8500/lonM, Lat: fixLat + (rng.Float64()-0.5)*8500/latM,
		HeightM: float64(15 + rng.IntN(20)), Status: data.StatusActive}
	if rng.IntN(5) == 0 {
		s.Status = data.StatusPlanned
	}
	s.Sectors = []data.Sector{{Tech: data.Tech4G, BandMHz: 1800, Omni: true, PowerDBm: 46, BandwidthMHz: 10, GainDBi: 14, FeederLossDB: 2}}
	if rng.IntN(2) == 0 {
		s.Sectors = append(s.Sectors, data.Sector{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 30, BandwidthMHz: 5, GainDBi: 8, FeederLossDB: 2})
	}
	return s
}

// villages puts 400 villages of up to a few hundred people at random over the communes.
func villages(rng *rand.Rand, cs []data.Commune) *population.Source {
	b := data.AreaOf(cs)
	src := &population.Source{Name: "villages.csv"}
	for range 400 {
		src.Points = append(src.Points, population.Point{Lon: b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]),
			Lat: b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1]), People: rng.ExpFloat64() * 100})
	}
	return src
}

// fixture returns the engine (with or without the population grid), its store and a result.
func fixture(t testing.TB, seed uint64, withPopulation bool) (*coverage.Engine, *store.Store, *coverage.Result, *rand.Rand) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1)) // the sites and later edits: the same with or without people
	cs := communes()
	opts := coverage.Options{CellM: 50}
	if withPopulation {
		opts.Population = villages(rand.New(rand.NewPCG(seed, 2)), cs)
	}
	e, err := coverage.New(cs, coverage.DefaultDefinition(), opts)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(e.Reach)
	var sites []data.Site
	for i := range 30 {
		sites = append(sites, site(rng, []string{"viettel", "vinaphone", "mobifone"}[i%3], fmt.Sprintf("S%02d", i)))
	}
	if _, err := st.Upsert(sites); err != nil {
		t.Fatal(err)
	}
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return e, st, r, rng
}

// TestPocketsAddUp: every pocket (no floor) together holds every uncovered land cell once and,
// per commune, exactly the commune's uncovered people (the statistics' figure), with a
// population grid and without; ranks follow people; the floor keeps the head of the ranking;
// polygons cover the cells' area.
func TestPocketsAddUp(t *testing.T) {
	for _, withPop := range []bool{true, false} {
		e, _, r, _ := fixture(t, 4, withPop)
		for _, tech := range data.AnalysedTechs {
			all, err := Find(r, tech, Options{})
			if err != nil {
				t.Fatal(err)
			}
			cells := map[string]int{}
			people := map[string]float64{}
			for i, p := range all.Pockets {
				if p.Rank != i+1 || i > 0 && p.People > all.Pockets[i-1].People {
					t.Fatalf("pocket %d has rank %d, %g people after %g", i, p.Rank, p.People, all.Pockets[i-1].People)
				}
				sum := 0.0
				for _, s := range p.Communes {
					cells[s.Code] += s.Cells
					people[s.Code] += s.People
					sum += s.People
				}
				if math.Abs(sum-p.People) > 1e-9*math.Max(1, p.People) || p.AreaM2 != float64(p.CellCount)*2500 {
					t.Fatalf("pocket %d: %g people, communes %g; %g m² for %d cells", p.Rank, p.People, sum, p.AreaM2, p.CellCount)
				}
				if a := geo.PlanarAreaM2(p.Polygons(e.Grid())); a != p.AreaM2 {
					t.Fatalf("pocket %d: polygons of %g m², cells %g m²", p.Rank, a, p.AreaM2)
				}
			}
			for _, s := range r.CommuneStatsFor(tech) {
				if wantCells := int(math.Round(s.WhiteAreaKM2 * 1e6 / 2500)); cells[s.Code] != wantCells {
					t.Errorf("population %v %s %s: %d pocket cells, %d uncovered", withPop, tech, s.Code, cells[s.Code], wantCells)
				}
				if math.Abs(people[s.Code]-s.UncoveredPopulation) > 1e-6 {
					t.Errorf("population %v %s %s: %.6f people in pockets, %.6f uncovered", withPop, tech, s.Code, people[s.Code], s.UncoveredPopulation)
				}
			}
			if len(all.Pockets) < 3 {
				t.Fatalf("population %v %s: %d pockets: the fixture wants several", withPop, tech, len(all.Pockets))
			}
			floor := all.Pockets[len(all.Pockets)/3].People
			kept, err := Find(r, tech, Options{MinPeople: floor})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(kept.Pockets); n == 0 || n != kept.Kept || kept.Total != len(all.Pockets) ||
				!reflect.DeepEqual(kept.Pockets, all.Pockets[:n]) || kept.Pockets[n-1].People < floor || all.Pockets[n].People >= floor {
				t.Errorf("%s floor %g: %d kept of %d", tech, floor, n, kept.Total)
			}
		}
	}
}

// TestPocketsUpdate: after seeded random edits applied with Engine.Update, the pockets (with
// distances) equal those of a full Compute of the same snapshot.
func TestPocketsUpdate(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	e, st, cur, rng := fixture(t, seed, true)
	ctx := context.Background()
	for step := range 12 {
		ch := randomEdit(t, st, rng, step)
		up, err := e.Update(ctx, cur, st.Snapshot(), ch)
		if err != nil {
			t.Fatal(err)
		}
		full, err := e.Compute(ctx, st.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		for _, tech := range data.AnalysedTechs {
			opts := Options{MinPeople: 10, Sites: st.Snapshot()}
			a, err := Find(up, tech, opts)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Find(full, tech, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("step %d %s: pockets after Update differ from a full Compute (%d vs %d)", step, tech, len(a.Pockets), len(b.Pockets))
			}
		}
		cur = up
	}
}

// randomEdit applies to st one seeded random edit of step: a new Viettel site, a site moved up to
// 500 m east or west, or a site removed.
func randomEdit(t *testing.T, st *store.Store, rng *rand.Rand, step int) store.Change {
	t.Helper()
	all := st.Snapshot().Sites(store.Filter{})
	var ch store.Change
	var err error
	switch rng.IntN(3) {
	case 0:
		ch, err = st.Upsert([]data.Site{site(rng, "viettel", fmt.Sprintf("N%02d", step))})
	case 1:
		s := *all[rng.IntN(len(all))]
		s.Lon += (rng.Float64() - 0.5) * 0.01
		ch, err = st.Upsert([]data.Site{s})
	default:
		ch, err = st.Delete([]data.SiteKey{all[rng.IntN(len(all))].Key()})
	}
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestPocketsRegional: the pockets of the fixture served region by region (coverage.ServeRegions,
// nine regions of 64 × 64 cells, one a commune) equal the whole engine's exactly (reflect.DeepEqual
// of every layer: cells, people, ranks, totals, distances), for every technology, floor and
// commune filter, at first and after seeded random edits (coverage.UpdateRegions against
// Engine.Update), and some pockets span several communes (so several regions).
func TestPocketsRegional(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	e, st, whole, rng := fixture(t, seed, false)
	ctx := context.Background()
	sitesOf := func(sn *store.Snapshot) []data.Site {
		var out []data.Site
		for _, s := range sn.Sites(store.Filter{}) {
			out = append(out, *s)
		}
		return out
	}
	regional, rep, err := coverage.ServeRegions(ctx, communes(), coverage.DefaultDefinition(), coverage.Options{CellM: 50},
		sitesOf(st.Snapshot()), 64*64)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Regions < 4 {
		t.Fatalf("%d regions, want several", rep.Regions)
	}
	spanning := 0
	for step := range 6 {
		for _, tech := range data.AnalysedTechs {
			for _, minPeople := range []float64{0, 50} {
				for _, code := range append([]string{""}, codes(e)...) {
					opts := Options{MinPeople: minPeople, Commune: code, Sites: st.Snapshot()}
					w, err := Find(whole, tech, opts)
					if err != nil {
						t.Fatal(err)
					}
					g, err := Find(regional, tech, opts)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(w, g) {
						t.Fatalf("step %d %s min %g commune %q: %d pockets of %d region by region, %d of %d whole",
							step, tech, minPeople, code, len(g.Pockets), g.Total, len(w.Pockets), w.Total)
					}
					for _, p := range g.Pockets {
						if len(p.Communes) > 1 {
							spanning++
						}
					}
				}
			}
		}
		ch := randomEdit(t, st, rng, step)
		if whole, err = e.Update(ctx, whole, st.Snapshot(), ch); err != nil {
			t.Fatal(err)
		}
		var changed []*data.Site
		for _, d := range ch.Affected {
			for _, s := range []*data.Site{d.Before, d.After} {
				if s != nil {
					changed = append(changed, s)
				}
			}
		}
		if regional, _, err = coverage.UpdateRegions(ctx, regional, sitesOf(st.Snapshot()), changed); err != nil {
			t.Fatal(err)
		}
	}
	if spanning == 0 {
		t.Error("no pocket spans several communes: the test would not see a wrong join between regions")
	}
}

// codes are the codes of e's communes.
func codes(e *coverage.Engine) []string {
	var out []string
	for _, c := range e.Communes() {
		out = append(out, c.Code)
	}
	return out
}

// TestPocketDistances: the nearest site per carrier and the nearest access point are those a
// brute-force geodesic search finds; the commune filter keeps the pockets with cells there.
func TestPocketDistances(t *testing.T) {
	_, st, r, _ := fixture(t, 5, true)
	lonM, _ := geo.MetresPerDegree(fixLat)
	net := &fibre.Network{AccessPoints: []fibre.AccessPoint{
		{Operator: "viettel", ID: "A1", Point: orb.Point{fixLon, fixLat}},
		{Operator: "vnpt", ID: "B7", Point: orb.Point{fixLon + 2500/lonM, fixLat}},
	}}
	l, err := Find(r, data.Tech4G, Options{Sites: st.Snapshot(), Fibre: net, Commune: "00012"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Pockets) == 0 {
		t.Fatal("no pocket in commune 00012")
	}
	for _, p := range l.Pockets {
		if !containsCode(p.Communes, "00012") {
			t.Errorf("pocket %d is not in 00012: %+v", p.Rank, p.Communes)
		}
		if len(p.NearestSites) != len(r.Carriers()) {
			t.Fatalf("pocket %d: %d nearest sites for %d carriers", p.Rank, len(p.NearestSites), len(r.Carriers()))
		}
		for _, ns := range p.NearestSites {
			best, id := math.Inf(1), ""
			for _, s := range st.Snapshot().Sites(store.Filter{Carrier: ns.Carrier, Status: data.StatusActive}) {
				if d := geo.DistanceM(p.Centre, orb.Point{s.Lon, s.Lat}); d < best {
					best, id = d, s.SiteID
				}
			}
			if ns.SiteID != id || math.Abs(ns.DistanceM-best) > 1e-6 {
				t.Errorf("pocket %d %s: nearest %s at %.3f m, brute force %s at %.3f m", p.Rank, ns.Carrier, ns.SiteID, ns.DistanceM, id, best)
			}
		}
		ap := p.NearestAccessPoint
		d0, d1 := geo.DistanceM(p.Centre, net.AccessPoints[0].Point), geo.DistanceM(p.Centre, net.AccessPoints[1].Point)
		if want := net.AccessPoints[map[bool]int{true: 0, false: 1}[d0 <= d1]]; ap == nil || ap.ID != want.ID || ap.DistanceM != min(d0, d1) {
			t.Errorf("pocket %d: access point %+v, want %s at %.1f m", p.Rank, ap, want.ID, min(d0, d1))
		}
	}
	if _, err := Find(r, "5G", Options{}); err == nil {
		t.Error("5G pockets")
	}
	if _, err := Find(r, data.Tech4G, Options{Commune: "99999"}); err == nil {
		t.Error("pockets of an unknown commune")
	}
}

func containsCode(ss []Share, code string) bool {
	for _, s := range ss {
		if s.Code == code {
			return true
		}
	}
	return false
}

// BenchmarkFindDemo finds the embedded demo's 4G pockets at 50 m cells (its synthetic population
// grid, the default floor, no distances): the labelling of the whole grid and the people of every
// pocket, as an upload's impact does twice per technology.
func BenchmarkFindDemo(b *testing.B) {
	communes, err := demo.Communes()
	if err != nil {
		b.Fatal(err)
	}
	sites, err := demo.Sites()
	if err != nil {
		b.Fatal(err)
	}
	src, err := demo.Population()
	if err != nil {
		b.Fatal(err)
	}
	e, err := coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{Population: src})
	if err != nil {
		b.Fatal(err)
	}
	st := store.New(e.Reach)
	if _, err := st.Upsert(sites); err != nil {
		b.Fatal(err)
	}
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		b.Fatal(err)
	}
	r.Field(coverage.AnyCarrier, data.Tech4G) // built once per result, as the map's layers do
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Find(r, data.Tech4G, Options{MinPeople: DefaultMinPeople}); err != nil {
			b.Fatal(err)
		}
	}
}
