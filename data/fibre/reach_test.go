package fibre

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/population"
	"phusong/geo"
)

// The coverage engine is a Land.
var _ Land = (*coverage.Engine)(nil)

// testLand is a Land made by hand: a grid in a local TM frame and a commune raster.
type testLand struct {
	g        geo.Grid
	tm       geo.TransverseMercator
	communes []data.Commune
	raster   []int32
}

func (l *testLand) Grid() geo.Grid                     { return l.g }
func (l *testLand) Projection() geo.TransverseMercator { return l.tm }
func (l *testLand) Communes() []data.Commune           { return l.communes }
func (l *testLand) CommuneIndexRaster() []int32        { return l.raster }

// withBoundary adds the optional signed distance to a province boundary.
type withBoundary struct {
	*testLand
	sd []float32
}

func (l withBoundary) ProvinceSignedDistanceM() []float32 { return l.sd }

// squareLand is a w × h metre rectangle centred on the TM origin (106.3 E, 9.9 N) with cellM
// cells, owned by commune "A" (population 10,000, households 2,500) where west(x) is true and by
// "B" (population 4,000, households 1,000) elsewhere; west nil gives everything to A. Both
// communes' geometry is the whole rectangle: the raster assigns the cells, and the geometry
// only gives the area where fibre positions are valid (data.AreaOf).
func squareLand(w, h, cellM float64, west func(x float64) bool) *testLand {
	tm := geo.NewLocalTM(106.3, 9.9)
	box := orb.Bound{Min: orb.Point{-w / 2, -h / 2}, Max: orb.Point{w / 2, h / 2}}
	g := geo.NewGrid(box, cellM)
	shape := orb.MultiPolygon{{tm.InverseGeometry(box.ToRing()).(orb.Ring)}}
	l := &testLand{g: g, tm: tm, raster: make([]int32, g.Len()), communes: []data.Commune{
		{Code: "A", Name: "Xã A", Type: data.TypeCommune, Population: 10000, Households: 2500, Geometry: shape},
		{Code: "B", Name: "Phường B", Type: data.TypeWard, Population: 4000, Households: 1000, Geometry: shape},
	}}
	for j := range g.NY {
		for i := range g.NX {
			if west != nil && !west(g.Center(i, j)[0]) {
				l.raster[g.Index(i, j)] = 1
			}
		}
	}
	return l
}

// lonLat inverse-projects metre points of land l.
func (l *testLand) lonLat(ps ...orb.Point) orb.LineString {
	out := make(orb.LineString, len(ps))
	for i, p := range ps {
		out[i] = l.tm.Inverse(p)
	}
	return out
}

// stadiumAreaM2 is the area within d of a segment of length L: 2·d·L + π·d².
func stadiumAreaM2(L, d float64) float64 { return 2*d*L + math.Pi*d*d }

func within(t *testing.T, what string, got, want, relTol float64) {
	t.Helper()
	if math.Abs(got-want) > relTol*math.Abs(want) {
		t.Errorf("%s = %.1f, want %.1f ± %.2f %%", what, got, want, 100*relTol)
	}
}

// TestReachStadium: one straight distribution route of length L in a big square commune. The
// land in reach is the stadium around it, area 2·D·L + π·D² (closed form); the grid counts cell
// centres, so the count agrees within the grid's tolerance (an oblique line: edge errors of
// ±½ cell average out; 0.3 %), and the contour, exact along the straight sides, within 0.1 %.
//
//	 ╭───────────────────╮   D = 300 m
//	(  •━━━━━━━━━━━━━━━•  )  L = 5 km at 30°
//	 ╰───────────────────╯
func TestReachStadium(t *testing.T) {
	const L, D, cell = 5000.0, 300.0, 10.0
	land := squareLand(8000, 5000, cell, nil)
	dx, dy := L/2*math.Cos(math.Pi/6), L/2*math.Sin(math.Pi/6)
	route := Route{"viettel", "R", Distribution, land.lonLat(orb.Point{-dx, -dy}, orb.Point{dx, dy})}
	cases := []struct {
		name     string
		net      Network
		opts     Options
		wantArea float64
	}{
		{"distribution", Network{Routes: []Route{route}}, Options{}, stadiumAreaM2(L, D)},
		{"drop 100 m", Network{Routes: []Route{route}}, Options{DropM: 100}, stadiumAreaM2(L, 100)},
		{"backbone only", Network{Routes: []Route{{"viettel", "R", Backbone, route.Line}}}, Options{}, 0},
		{"feeder only", Network{Routes: []Route{{"viettel", "R", Feeder, route.Line}}}, Options{}, 0},
		{"feeder with FeederReach", Network{Routes: []Route{{"viettel", "R", Feeder, route.Line}}}, Options{FeederReach: true}, stadiumAreaM2(L, D)},
		{"access point", Network{AccessPoints: []AccessPoint{{"viettel", "A", land.tm.Inverse(orb.Point{13, -7}), 8}}}, Options{}, math.Pi * D * D},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(land, &c.net, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			p := r.Province()
			cellArea := float64(p.InReachCells) * cell * cell
			mp, err := r.Polygons("viettel")
			if err != nil {
				t.Fatal(err)
			}
			polyArea := geo.PlanarAreaM2(mp)
			if c.wantArea == 0 {
				if p.InReachCells != 0 || p.HouseholdsInReach != 0 || polyArea != 0 || len(p.Operators) != 0 {
					t.Errorf("cells %d, households %g, polygon %g m², operators %v; want none", p.InReachCells, p.HouseholdsInReach, polyArea, p.Operators)
				}
				return
			}
			within(t, "cell area m²", cellArea, c.wantArea, 0.003)
			within(t, "polygon area m²", polyArea, c.wantArea, 0.001)
			// Households spread uniformly: 2,500 × reach area / commune area.
			within(t, "households", p.HouseholdsInReach, 2500*c.wantArea/(8000*5000), 0.003)
			if len(mp) != 1 {
				t.Errorf("reach is %d polygons, want 1", len(mp))
			}
		})
	}
}

// TestReachClipped: a horizontal route from x = −2500 to 2500 m in a province ending at
// x = 1000 m. With the boundary distance the polygon is the stadium cut by the straight
// boundary, area 2·D·3500 + π·D²/2; the cell count is the same region sampled.
func TestReachClipped(t *testing.T) {
	const D, cell, edge = 300.0, 10.0, 1000.0
	land := squareLand(8000, 5000, cell, nil)
	sd := make([]float32, land.g.Len())
	for j := range land.g.NY {
		for i := range land.g.NX {
			x := land.g.Center(i, j)[0]
			sd[land.g.Index(i, j)] = float32(edge - x)
			if x >= edge {
				land.raster[land.g.Index(i, j)] = -1
			}
		}
	}
	net := Network{Routes: []Route{{"viettel", "R", Distribution, land.lonLat(orb.Point{-2500, 3}, orb.Point{2500, 3})}}}
	want := 2*D*(edge+2500) + math.Pi*D*D/2
	for _, c := range []struct {
		name string
		land Land
		tol  float64
	}{{"boundary distance", withBoundary{land, sd}, 0.001}, {"land cells only", land, 0.01}} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(c.land, &net, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mp, _ := r.Polygons(AnyOperator)
			within(t, "polygon area m²", geo.PlanarAreaM2(mp), want, c.tol)
			if b := mp.Bound(); b.Max[0] > edge+cell/2 {
				t.Errorf("polygon reaches x = %.1f m beyond the boundary at %g m", b.Max[0], edge)
			}
			within(t, "land cells in reach m²", float64(r.Province().InReachCells)*cell*cell, want, 0.01)
		})
	}
}

// TestReachMatchesBruteForce compares, on random networks (seed printed), every cell's
// distance and in-reach flag with the brute-force minimum over all elements, and checks the
// invariants: any ⊇ each operator per cell, in reach ≤ land per commune, totals reconcile.
func TestReachMatchesBruteForce(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	land := squareLand(3000, 2000, 25, func(x float64) bool { return x < 130 })
	for trial := range 5 {
		var net Network
		ops := []string{"viettel", "vinaphone", "tvcable"}
		rnd := func() orb.Point { return orb.Point{rng.Float64()*3400 - 1700, rng.Float64()*2400 - 1200} }
		for k := range 8 {
			pts := []orb.Point{rnd()}
			for range rng.IntN(4) + 1 {
				pts = append(pts, rnd())
			}
			net.Routes = append(net.Routes, Route{ops[k%3], "R" + string(rune('a'+k)), Kinds[rng.IntN(3)], land.lonLat(pts...)})
		}
		for k := range 5 {
			net.AccessPoints = append(net.AccessPoints, AccessPoint{ops[k%3], "A" + string(rune('a'+k)), land.tm.Inverse(rnd()), 0})
		}
		opts := Options{DropM: 50 + rng.Float64()*400, FeederReach: trial%2 == 1}
		r, err := Compute(land, &net, opts)
		if err != nil {
			t.Fatal(err)
		}
		g := land.g
		R := opts.DropM + 2*g.CellM
		for _, op := range append(r.Operators(), AnyOperator) {
			var segs []seg
			for _, o := range r.Operators() {
				if op == AnyOperator || o == op {
					segs = append(segs, r.segments(&net, o)...)
				}
			}
			for k := range g.Len() {
				c := g.Center(k%g.NX, k/g.NX)
				best := math.Inf(1)
				for _, s := range segs {
					best = min(best, planar.DistanceFromSegment(s.a, s.b, c))
				}
				if got := r.DistanceM(op, k); best <= R && math.Abs(got-best) > 1e-3 || best > R+1e-6 && !math.IsInf(got, 1) && got <= R-1e-3 {
					t.Fatalf("trial %d %s cell %d: distance %g, brute force %g", trial, op, k, got, best)
				}
				if r.InReach(op, k) != (best <= opts.DropM) && math.Abs(best-opts.DropM) > 1e-6 {
					t.Fatalf("trial %d %s cell %d: in reach %v at %g m (drop %g)", trial, op, k, r.InReach(op, k), best, opts.DropM)
				}
				if r.InReach(op, k) && !r.InReach(AnyOperator, k) {
					t.Fatalf("trial %d cell %d in reach of %s but not of any", trial, k, op)
				}
			}
		}
		checkReachInvariants(t, r)
	}
}

// checkReachInvariants checks r's per-commune figures: in reach ≤ land, any ≥ each operator,
// operators present agree with the counts, and Province is the sum of the communes.
func checkReachInvariants(t *testing.T, r *Reach) {
	t.Helper()
	rows := r.Communes()
	var land, in int
	var hh float64
	for _, c := range rows {
		if c.InReachCells > c.LandCells || c.HouseholdsInReach > float64(c.Households)+1e-9 || c.ReachPct > 100 {
			t.Fatalf("%s: %d of %d cells, %g of %d households in reach", c.Code, c.InReachCells, c.LandCells, c.HouseholdsInReach, c.Households)
		}
		present := 0
		for _, o := range c.PerOperator {
			if o.InReachCells > c.InReachCells || o.HouseholdsInReach > c.HouseholdsInReach+1e-9 {
				t.Fatalf("%s: %s has %d cells in reach, any %d", c.Code, o.Operator, o.InReachCells, c.InReachCells)
			}
			if o.InReachCells > 0 {
				present++
			}
		}
		if present != len(c.Operators) {
			t.Fatalf("%s: %d operators with cells, %v present", c.Code, present, c.Operators)
		}
		land += c.LandCells
		in += c.InReachCells
		hh += c.HouseholdsInReach
	}
	p := r.Province()
	if p.LandCells != land || p.InReachCells != in || math.Abs(p.HouseholdsInReach-hh) > 1e-6 {
		t.Fatalf("province %d/%d cells %g households; communes sum to %d/%d %g", p.InReachCells, p.LandCells, p.HouseholdsInReach, in, land, hh)
	}
	cells := 0
	for _, ci := range r.raster {
		if ci >= 0 {
			cells++
		}
	}
	if cells != land {
		t.Fatalf("communes hold %d land cells, the raster %d", land, cells)
	}
}

// TestReachTwoCommunes: a route along the shared edge x = 0 of two communes splits its stadium
// evenly; households follow each commune's own census figure.
func TestReachTwoCommunes(t *testing.T) {
	land := squareLand(4000, 4000, 10, func(x float64) bool { return x < 0 })
	net := Network{Routes: []Route{{"vinaphone", "R", Distribution, land.lonLat(orb.Point{0, -1000}, orb.Point{0, 1000})}}}
	r, err := Compute(land, &net, Options{})
	if err != nil {
		t.Fatal(err)
	}
	half := stadiumAreaM2(2000, 300) / 2
	rows := r.Communes()
	for i, c := range rows {
		within(t, c.Code+" area in reach m²", c.AreaInReachKM2*1e6, half, 0.003)
		within(t, c.Code+" households", c.HouseholdsInReach, float64(c.Households)*half/8e6, 0.003)
		if want := []string{"vinaphone"}; len(c.Operators) != 1 || c.Operators[0] != want[0] {
			t.Errorf("row %d operators %v", i, c.Operators)
		}
	}
	checkReachInvariants(t, r)
}

func TestComputeErrors(t *testing.T) {
	land := squareLand(1000, 1000, 50, nil)
	ok := Network{Routes: []Route{{"viettel", "R", Distribution, land.lonLat(orb.Point{0, 0}, orb.Point{100, 0})}}}
	bad := &testLand{g: land.g, tm: land.tm, communes: land.communes, raster: land.raster[:5]}
	cases := []struct {
		name string
		land Land
		net  Network
		opts Options
		want error
	}{
		{"negative drop", land, ok, Options{DropM: -1}, ErrOptions},
		{"huge drop", land, ok, Options{DropM: 6000}, ErrOptions},
		{"short raster", bad, ok, Options{}, ErrLand},
		{"invalid network", land, Network{Routes: []Route{{"fpt", "R", Distribution, ok.Routes[0].Line}}}, Options{}, data.ErrInvalidInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Compute(c.land, &c.net, c.opts); !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
	r, err := Compute(land, &ok, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Polygons("mobifone"); !errors.Is(err, ErrNoLayer) {
		t.Errorf("unknown layer: %v", err)
	}
	if r.InReach("mobifone", 0) || r.InReach("viettel", -1) || !math.IsInf(r.DistanceM("viettel", land.g.Len()), 1) {
		t.Errorf("out-of-range queries answered")
	}
}

// withPopulation adds the optional population grid.
type withPopulation struct {
	*testLand
	pop *population.Grid
}

func (l withPopulation) Population() *population.Grid { return l.pop }

// TestReachPeopleWeighted: commune A (west half, census 10,000 people, 2,500 households) has a
// village of 600 on a distribution route and one of 400 four kilometres away; commune B (east
// half) has nobody in the source and is spread uniformly. Census-reconciled, 6,000 of A's people
// (60 %: the village on the route) are in reach, whatever the land share, and 1,500
// households; B's reach is its land share; the province's share is of both communes' households.
func TestReachPeopleWeighted(t *testing.T) {
	base := squareLand(10000, 6000, 50, func(x float64) bool { return x < 0 })
	on, off := base.tm.Inverse(orb.Point{-4000, 100}), base.tm.Inverse(orb.Point{-4000, -2800})
	src := &population.Source{Name: "villages.geojson", Points: []population.Point{
		{Lon: on[0], Lat: on[1], People: 600}, {Lon: off[0], Lat: off[1], People: 400}}}
	pop, err := population.Place(population.Land{Grid: base.g, Projection: base.tm, Commune: base.raster, Communes: base.communes}, src, population.ModeCensus)
	if err != nil {
		t.Fatal(err)
	}
	route := Route{"viettel", "R", Distribution, base.lonLat(orb.Point{-4500, 0}, orb.Point{3000, 0})}
	r, err := Compute(withPopulation{base, pop}, &Network{Routes: []Route{route}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := r.Communes()
	a, b := rows[0], rows[1]
	if a.PopulationInReach != 6000 || a.HouseholdsInReach != 1500 || a.ReachPct != 60 || a.PerOperator[0].ReachPct != 60 {
		t.Errorf("A: %g people, %g households, %g %% in reach; want 6000, 1500, 60", a.PopulationInReach, a.HouseholdsInReach, a.ReachPct)
	}
	if land := 100 * float64(a.InReachCells) / float64(a.LandCells); land > 20 {
		t.Errorf("A: %.1f %% of the land in reach: the fixture wants a small land share", land)
	}
	share := float64(b.InReachCells) / float64(b.LandCells)
	within(t, "B households in reach", b.HouseholdsInReach, 1000*share, 1e-6)
	if !strings.HasPrefix(b.PopulationSpread, "uniform over commune land") || !strings.HasPrefix(a.PopulationSpread, "population grid") {
		t.Errorf("spreads %q, %q", a.PopulationSpread, b.PopulationSpread)
	}
	p := r.Province()
	within(t, "province reach %", p.ReachPct, 100*(1500+1000*share)/3500, 1e-6)
}
