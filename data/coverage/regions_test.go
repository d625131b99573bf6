package coverage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/demo"
	"phusong/data/testenv"
	"phusong/geo"
)

// TestComputeRegionsEqualsWhole cuts the demo province into regions of a few tiles (and into
// one region) and checks that every commune's and the province's statistics equal those of
// the whole engine exactly (reflect.DeepEqual on float64s), for both technologies and for
// 4G alone, and that the result refuses levels and polygons.
func TestComputeRegionsEqualsWhole(t *testing.T) {
	communes, sites := demoInputs(t)
	for _, tc := range []struct {
		name        string
		opts        Options
		regionCells int
		minRegions  int
		shared      bool // opts are demoShared's at 100 m: its whole engine is the one to compare with
	}{
		{"small regions", Options{CellM: 100}, 96 * 96, 8, true},
		{"one region", Options{CellM: 100}, 1 << 30, 1, true},
		{"4G only, planned too", Options{CellM: 100, Techs: []data.Tech{data.Tech4G}, IncludePlanned: true}, 64 * 64, 12, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *Engine
			var whole *Result
			if tc.shared {
				c := demoShared(t, 100)
				e, whole = c.e, c.r
			} else {
				var err error
				if e, err = New(communes, DefaultDefinition(), tc.opts); err != nil {
					t.Fatal(err)
				}
				if whole, err = e.Compute(context.Background(), storeWith(t, e, sites).Snapshot()); err != nil {
					t.Fatal(err)
				}
			}
			got, rep, err := ComputeRegions(context.Background(), communes, DefaultDefinition(), tc.opts, sites, tc.regionCells)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Regions < tc.minRegions {
				t.Errorf("%d regions, want at least %d", rep.Regions, tc.minRegions)
			}
			if rep.LandCells != len(e.land.CellI) {
				t.Errorf("regions counted %d land cells, the whole engine has %d", rep.LandCells, len(e.land.CellI))
			}
			if !reflect.DeepEqual(got.Carriers(), whole.Carriers()) {
				t.Fatalf("carriers %v, whole %v", got.Carriers(), whole.Carriers())
			}
			for _, tech := range data.AnalysedTechs {
				w, g := whole.CommuneStatsFor(tech), got.CommuneStatsFor(tech)
				for ci := range w {
					if !reflect.DeepEqual(w[ci], g[ci]) {
						t.Errorf("%s %s: regions\n%+v\nwhole\n%+v", tech, w[ci].Code, g[ci], w[ci])
					}
				}
				if wp, gp := whole.Province(tech), got.Province(tech); !reflect.DeepEqual(wp, gp) {
					t.Errorf("%s province: regions\n%+v\nwhole\n%+v", tech, gp, wp)
				}
				if tc.opts.Techs != nil && tech == data.Tech3G && whole.Province(tech).CoveredAreaKM2 != 0 {
					t.Errorf("3G computed although Techs = %v", tc.opts.Techs)
				}
			}
			if !got.StatsOnly() || whole.StatsOnly() {
				t.Errorf("StatsOnly: regions %v, whole %v", got.StatsOnly(), whole.StatsOnly())
			}
			if _, err := got.Layer(AnyCarrier, data.Tech4G, 0); !errors.Is(err, ErrStatsOnly) {
				t.Errorf("Layer of a statistics-only result: %v, want ErrStatsOnly", err)
			}
			if got.Field(AnyCarrier, data.Tech4G) != nil || got.At(whole.eng.tm.Inverse(e.Grid().Center(e.Grid().NX/2, e.Grid().NY/2))) != nil {
				t.Error("a statistics-only result gave levels")
			}
		})
	}
}

// TestServeRegions checks the polygons ServeRegions keeps against the whole engine's: cut into
// one region they are the whole engine's exactly; cut into 26 regions of 9.6 km, every layer's
// and every technology's gap area is at most 4 % under the whole engine's (the regions' contours
// follow the borders between regions, as a whole engine's do the province edge, and lose a
// strip of a few metres along them: up to 3.4 % on the strongest tiers' scattered pieces) and
// never more than 1 % over it (pieces of neighbouring regions do not overlap); the statistics
// are still the whole engine's exactly.
func TestServeRegions(t *testing.T) {
	testenv.Heavy(t, "the demo served region by region at 100 m against the whole engine; TestAssembleRegions and TestServeRegionsLazy compare ServeRegions in a quick run")
	communes, sites := demoInputs(t)
	opts := Options{CellM: 100}
	whole := demoShared(t, 100).r
	for _, tc := range []struct {
		name        string
		regionCells int
		exact       bool
	}{
		{"one region", 1 << 30, true},
		{"small regions", demoRegionCells, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *Result
			var rep *RegionReport
			var err error
			if tc.regionCells == demoRegionCells {
				got, rep = demoRegional(t)
			} else if got, rep, err = ServeRegions(context.Background(), communes, DefaultDefinition(), opts, sites, tc.regionCells); err != nil {
				t.Fatal(err)
			}
			if !got.Regional() || !got.StatsOnly() {
				t.Fatalf("Regional %v, StatsOnly %v: want both", got.Regional(), got.StatsOnly())
			}
			t.Logf("%d regions", rep.Regions)
			for _, tech := range data.AnalysedTechs {
				if !reflect.DeepEqual(whole.CommuneStatsFor(tech), got.CommuneStatsFor(tech)) {
					t.Errorf("%s: commune statistics differ from the whole engine's", tech)
				}
				for _, c := range append(whole.Carriers(), AnyCarrier) {
					for tier := 0; tier <= len(DefaultDefinition().Techs[tech].TiersDBm); tier++ {
						wl, err := whole.Layer(c, tech, tier)
						if err != nil {
							t.Fatal(err)
						}
						gl, err := got.Layer(c, tech, tier)
						if err != nil {
							t.Fatal(err)
						}
						compareAreas(t, fmt.Sprintf("%s %s tier %d", c, tech, tier), wl.Polygons, gl.Polygons, tc.exact)
					}
				}
				wg, err := whole.Gaps(tech, "", DefaultMinGapAreaM2)
				if err != nil {
					t.Fatal(err)
				}
				gg, err := got.Gaps(tech, "", DefaultMinGapAreaM2)
				if err != nil {
					t.Fatal(err)
				}
				var wmp, gmp orb.MultiPolygon
				for _, g := range wg.Gaps {
					wmp = append(wmp, g.Polygons...)
				}
				for _, g := range gg.Gaps {
					gmp = append(gmp, g.Polygons...)
				}
				compareAreas(t, fmt.Sprintf("%s gaps", tech), wmp, gmp, tc.exact)
				if _, err := got.Gaps(tech, "", 0); !errors.Is(err, ErrStatsOnly) {
					t.Errorf("%s gaps under the kept minimum: %v, want ErrStatsOnly", tech, err)
				}
			}
			if got.Field(AnyCarrier, data.Tech4G) != nil {
				t.Error("a regional result gave a field")
			}
		})
	}
}

// compareAreas checks got against want: equal when exact, else a planar area from 4 % under
// to 1 % over want's.
func compareAreas(t *testing.T, name string, want, got orb.MultiPolygon, exact bool) {
	t.Helper()
	if exact {
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: polygons differ from the whole engine's", name)
		}
		return
	}
	wa, ga := geo.PlanarAreaM2(want), geo.PlanarAreaM2(got)
	if ga > 1.01*wa+1 || ga < 0.96*wa-1 {
		t.Errorf("%s: %.0f m² region by region, %.0f m² whole", name, ga, wa)
	}
}

// TestUpdateRegions changes a few demo sites (one moved 3 km, one removed, one added: a copy
// of another moved 5 km) with seeded random picks and checks that UpdateRegions recomputes only
// some regions and gives exactly what ServeRegions gives over the new list (statistics, every
// layer's polygons, every gap), that the statistics are the whole engine's over the new list,
// and that the earlier result still answers as before (regions of ownRegions).
func TestUpdateRegions(t *testing.T) {
	communes, sites := demoInputs(t)
	opts, regionCells := ownRegions()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 17))
	prev, rep, err := ServeRegions(context.Background(), communes, DefaultDefinition(), opts, sites, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	before, err := prev.Layer(AnyCarrier, data.Tech4G, 0)
	if err != nil {
		t.Fatal(err)
	}
	next := slices.Clone(sites)
	moved := rng.IntN(len(next))
	old := next[moved]
	next[moved].Lat += 0.027 // 3 km north
	added := next[rng.IntN(len(next))]
	added.SiteID += "-NEW"
	added.Lon += 0.045
	removed := rng.IntN(len(next))
	for removed == moved {
		removed = rng.IntN(len(next))
	}
	gone := next[removed]
	next = slices.Delete(next, removed, removed+1)
	next = append(next, added)
	changed := []*data.Site{&old, &next[slices.IndexFunc(next, func(s data.Site) bool { return s.Key() == old.Key() })], &gone, &added}
	got, done, err := UpdateRegions(context.Background(), prev, next, changed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d regions computed again", len(done), rep.Regions)
	if len(done) == 0 || len(done) >= rep.Regions {
		t.Errorf("%d of %d regions computed again: want some, not all", len(done), rep.Regions)
	}
	want, _, err := ServeRegions(context.Background(), communes, DefaultDefinition(), opts, next, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	whole := wholeResult(t, communes, opts, next)
	for _, tech := range data.AnalysedTechs {
		if !reflect.DeepEqual(got.CommuneStatsFor(tech), want.CommuneStatsFor(tech)) || !reflect.DeepEqual(got.Province(tech), want.Province(tech)) {
			t.Errorf("%s: statistics differ from ServeRegions over the new list", tech)
		}
		if !reflect.DeepEqual(got.CommuneStatsFor(tech), whole.CommuneStatsFor(tech)) {
			t.Errorf("%s: statistics differ from the whole engine over the new list", tech)
		}
		for _, c := range append(want.Carriers(), AnyCarrier) {
			for tier := 0; tier <= len(DefaultDefinition().Techs[tech].TiersDBm); tier++ {
				wl, _ := want.Layer(c, tech, tier)
				gl, err := got.Layer(c, tech, tier)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(wl.Polygons, gl.Polygons) {
					t.Errorf("%s %s tier %d: %.0f m² in %d polygons updated, %.0f m² in %d computed afresh", c, tech, tier,
						geo.PlanarAreaM2(gl.Polygons), len(gl.Polygons), geo.PlanarAreaM2(wl.Polygons), len(wl.Polygons))
				}
			}
		}
		wg, _ := want.Gaps(tech, "", DefaultMinGapAreaM2)
		gg, _ := got.Gaps(tech, "", DefaultMinGapAreaM2)
		if !reflect.DeepEqual(wg, gg) {
			t.Errorf("%s: gaps differ from ServeRegions over the new list", tech)
		}
	}
	again, err := prev.Layer(AnyCarrier, data.Tech4G, 0)
	if err != nil || !reflect.DeepEqual(again, before) {
		t.Errorf("the earlier result changed (%v)", err)
	}
}

// TestRegionsFailure: a region that fails (a 4G sector of a bandwidth LTE does not define, whose
// reach is 0, so only the region holding the site sees it) stops ServeRegions with that site's
// sector error, and UpdateRegions too when the change brings the site in; a later computation
// over good sites is not disturbed by the collections left running (regions of ownRegions).
func TestRegionsFailure(t *testing.T) {
	communes, sites := demoInputs(t)
	opts, regionCells := ownRegions()
	ctx := context.Background()
	bad := slices.Clone(sites)
	k := slices.IndexFunc(bad, func(s data.Site) bool {
		return slices.ContainsFunc(s.Sectors, func(sec data.Sector) bool { return sec.Tech == data.Tech4G })
	})
	bad[k].Sectors = slices.Clone(bad[k].Sectors)
	for n := range bad[k].Sectors {
		if bad[k].Sectors[n].Tech == data.Tech4G {
			bad[k].Sectors[n].BandwidthMHz = 7
		}
	}
	var se *SectorError
	if _, _, err := ServeRegions(ctx, communes, DefaultDefinition(), opts, bad, regionCells); !errors.As(err, &se) || se.Site != bad[k].Key() {
		t.Errorf("ServeRegions: error %v, want the sector error of site %v", err, bad[k].Key())
	}
	prev, _, err := ServeRegions(ctx, communes, DefaultDefinition(), opts, sites, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := UpdateRegions(ctx, prev, bad, []*data.Site{&sites[k], &bad[k]}); !errors.As(err, &se) || se.Site != bad[k].Key() {
		t.Errorf("UpdateRegions: error %v, want the sector error of site %v", err, bad[k].Key())
	}
	again, _, err := ServeRegions(ctx, communes, DefaultDefinition(), opts, sites, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	sameRegional(t, "after the failures", again, prev)
}

// ownRegions is the cell size and region size of the tests that serve the demo region by region
// themselves (to count what they contour, update, store or assemble the result): regions of
// 9.6 km, 96 × 96 cells of 100 m, or 48 × 48 cells of 200 m in a quick make test (a quarter of
// the cells, as many regions; data/testenv).
func ownRegions() (Options, int) {
	side := testenv.Size(96, 48)
	return Options{CellM: 9600 / float64(side)}, side * side
}

// demoRegionCells is the region size of demoRegional: 96 × 96 cells of 100 m, 26 regions.
const demoRegionCells = 96 * 96

// demoRegionalOnce computes demoRegional's result once per test binary.
var demoRegionalOnce = sync.OnceValues(func() (regionalDemo, error) {
	communes, err := demo.Communes()
	if err != nil {
		return regionalDemo{}, err
	}
	sites, err := demo.Sites()
	if err != nil {
		return regionalDemo{}, err
	}
	r, rep, err := ServeRegions(context.Background(), communes, DefaultDefinition(), Options{CellM: 100}, sites, demoRegionCells)
	return regionalDemo{r, rep}, err
})

type regionalDemo struct {
	r   *Result
	rep *RegionReport
}

// demoRegional is the embedded demo served region by region (ServeRegions, 100 m cells,
// demoRegionCells a region), computed once per test binary for the tests that only read its
// values (statistics, layers, levels); a test that counts what was contoured or computed
// (TestRegionalWithin, TestServeRegionsLazy) or updates it makes its own.
func demoRegional(t testing.TB) (*Result, *RegionReport) {
	t.Helper()
	c, err := demoRegionalOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c.r, c.rep
}

// wholeResult is the coverage of sites by one whole engine over communes.
func wholeResult(t *testing.T, communes []data.Commune, opts Options, sites []data.Site) *Result {
	t.Helper()
	e, err := New(communes, DefaultDefinition(), opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Compute(context.Background(), storeWith(t, e, sites).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestServeRegionsLazy checks that ServeRegions contours only the map's first layers (the best
// level over all carriers at the coverage threshold, per technology) and no gaps, that other
// layers and gaps are contoured on first request, once, whatever the number of concurrent
// requests (the same polygons for all, and as many pieces as regions afterwards), and that a tier
// at the coverage threshold's level shares tier 0's pieces (regions of ownRegions).
func TestServeRegionsLazy(t *testing.T) {
	communes, sites := demoInputs(t)
	opts, regionCells := ownRegions()
	opts.Workers = 2
	got, rep, err := ServeRegions(context.Background(), communes, DefaultDefinition(), opts, sites, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	rp := got.regional
	built := func() map[layerKey]int {
		rp.mu.Lock()
		defer rp.mu.Unlock()
		n := map[layerKey]int{}
		for k, v := range rp.pieces {
			v.mu.Lock()
			if v.done {
				n[k.layer]++
			}
			v.mu.Unlock()
		}
		return n
	}
	first := map[layerKey]int{{AnyCarrier, data.Tech3G, 0}: rep.Regions, {AnyCarrier, data.Tech4G, 0}: rep.Regions}
	if b := built(); !reflect.DeepEqual(b, first) {
		t.Fatalf("built at start: %v, want %v", b, first)
	}
	if len(rp.gaps) != 0 {
		t.Errorf("%d regions' gaps built at start, want none", len(rp.gaps))
	}
	c := got.Carriers()[0]
	const readers = 4
	layers := make([]Layer, readers)
	var wg sync.WaitGroup
	for n := range layers {
		wg.Go(func() {
			var err error
			if layers[n], err = got.Layer(c, data.Tech4G, 2); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for n := 1; n < readers; n++ {
		if !reflect.DeepEqual(layers[n].Polygons, layers[0].Polygons) {
			t.Errorf("concurrent request %d got other polygons than request 0", n)
		}
	}
	if len(layers[0].Polygons) == 0 {
		t.Errorf("%s 4G tier 2 is empty", c)
	}
	want := maps.Clone(first)
	want[layerKey{c, data.Tech4G, 2}] = rep.Regions
	if b := built(); !reflect.DeepEqual(b, want) {
		t.Errorf("built after one layer: %v, want %v", b, want)
	}
	weakest := len(DefaultDefinition().Techs[data.Tech4G].TiersDBm) // at the coverage threshold
	w, err := got.Layer(AnyCarrier, data.Tech4G, weakest)
	if err != nil {
		t.Fatal(err)
	}
	t0, _ := got.Layer(AnyCarrier, data.Tech4G, 0)
	if !reflect.DeepEqual(w.Polygons, t0.Polygons) {
		t.Error("the weakest tier differs from tier 0")
	}
	if b := built(); !reflect.DeepEqual(b, want) {
		t.Errorf("built after the weakest tier: %v, want %v", b, want)
	}
	if _, err := got.Gaps(data.Tech4G, communes[0].Code, DefaultMinGapAreaM2); err != nil {
		t.Fatal(err)
	}
	if len(rp.gaps) != 1 {
		t.Errorf("one commune's gaps built %d regions' gaps, want 1", len(rp.gaps))
	}
}

// TestRegionalAt checks the levels at a point of a result computed region by region (the
// point's tile computed again) against the whole engine's, exactly (as printed: NaN where no site
// reaches), at seeded random points of the demo (and outside it: nil from both).
func TestRegionalAt(t *testing.T) {
	communes, _ := demoInputs(t)
	whole := demoShared(t, 100).r
	got, _ := demoRegional(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 19))
	b := communes[0].Geometry.Bound()
	for _, c := range communes[1:] {
		b = b.Union(c.Geometry.Bound())
	}
	var on int
	for range 60 {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		w, g := whole.At(p), got.At(p)
		if w != nil {
			on++
		}
		if ws, gs := fmt.Sprintf("%+v", w), fmt.Sprintf("%+v", g); ws != gs { // NaN levels: compare as printed
			t.Errorf("at %v: regions\n%s\nwhole\n%s", p, gs, ws)
		}
	}
	if on < 20 {
		t.Errorf("only %d of 60 points on land", on)
	}
	if g := got.At(orb.Point{b.Max[0] + 1, b.Max[1] + 1}); g != nil {
		t.Errorf("outside the grid: %v, want nil", g)
	}
}

// TestRegionalWithin checks a Within view of a regional result over the demo's west: it
// contours the layer in fewer regions than all, its polygons are the whole layer's (the same
// pieces), and it holds every polygon of the whole layer that meets the box (regions of
// ownRegions).
func TestRegionalWithin(t *testing.T) {
	communes, sites := demoInputs(t)
	opts, regionCells := ownRegions()
	got, rep, err := ServeRegions(context.Background(), communes, DefaultDefinition(), opts, sites, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	b := communes[0].Geometry.Bound()
	for _, c := range communes[1:] {
		b = b.Union(c.Geometry.Bound())
	}
	west := orb.Bound{Min: b.Min, Max: orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])/3, b.Max[1]}}
	c := got.Carriers()[1]
	wl, err := got.Within(west).Layer(c, data.Tech4G, 1)
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	for k, v := range got.regional.pieces {
		if k.layer == (layerKey{c, data.Tech4G, 1}) && v.done {
			built++
		}
	}
	if built == 0 || built >= rep.Regions {
		t.Errorf("the west's view contoured %d of %d regions: want some, not all", built, rep.Regions)
	}
	fl, err := got.Layer(c, data.Tech4G, 1)
	if err != nil {
		t.Fatal(err)
	}
	in := func(p orb.Polygon, mp orb.MultiPolygon) bool {
		return slices.ContainsFunc(mp, func(q orb.Polygon) bool { return reflect.DeepEqual(p, q) })
	}
	for _, p := range wl.Polygons {
		if !in(p, fl.Polygons) {
			t.Fatal("a polygon of the west's view is not in the whole layer")
		}
	}
	meets := 0
	for _, p := range fl.Polygons {
		pb := got.eng.tm.InverseGeometry(p.Bound().ToPolygon()).Bound()
		if pb.Intersects(west) {
			meets++
			if !in(p, wl.Polygons) {
				t.Errorf("a polygon meeting the west (%v) is missing from its view", pb)
			}
		}
	}
	if meets == 0 || len(wl.Polygons) >= len(fl.Polygons) {
		t.Errorf("%d polygons meet the west, the view has %d of %d", meets, len(wl.Polygons), len(fl.Polygons))
	}
}
