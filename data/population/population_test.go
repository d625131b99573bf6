package population

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// testLand is a 40 × 40 grid of 50 m cells centred on the frame's origin near Trà Vinh:
//
//	row 39 ┌────────────────────┐
//	       │ ring of −1 (2 cells)│
//	       │  "A"  │    "B"     │   A: columns 2..19, B: columns 20..37, rows 2..37
//	row 0  └────────────────────┘
//
// A has 10 000 people and 2 500 households, B 3 000 people and 900 households.
func testLand() Land {
	g := geo.Grid{X0M: -1000, Y0M: -1000, CellM: 50, NX: 40, NY: 40}
	l := Land{Grid: g, Projection: geo.NewLocalTM(106.3, 9.9), Commune: make([]int32, g.Len()),
		Communes: []data.Commune{{Code: "A", Population: 10000, Households: 2500}, {Code: "B", Population: 3000, Households: 900}}}
	for j := range g.NY {
		for i := range g.NX {
			ci := int32(-1)
			if i >= 2 && i < 38 && j >= 2 && j < 38 {
				ci = 0
				if i >= 20 {
					ci = 1
				}
			}
			l.Commune[g.Index(i, j)] = ci
		}
	}
	return l
}

// lonLatBound is the lon/lat bound of the land's grid.
func lonLatBound(l Land) orb.Bound {
	b := l.Grid.Bound()
	out := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, p := range []orb.Point{b.Min, b.Max, {b.Min[0], b.Max[1]}, {b.Max[0], b.Min[1]}} {
		out = out.Extend(l.Projection.Inverse(p))
	}
	return out
}

// randomRaster is a raster of cellDeg cells over b padded by two cells, with seeded random people
// (a quarter of the cells empty, some NaN).
func randomRaster(rng *rand.Rand, b orb.Bound, cellDeg float64) *Raster {
	r := &Raster{West: b.Min[0] - 2*cellDeg, North: b.Max[1] + 2*cellDeg, DLon: cellDeg, DLat: cellDeg}
	r.NX = int(math.Ceil((b.Max[0]-b.Min[0])/cellDeg)) + 4
	r.NY = int(math.Ceil((b.Max[1]-b.Min[1])/cellDeg)) + 4
	r.People = make([]float32, r.NX*r.NY)
	for k := range r.People {
		switch rng.IntN(8) {
		case 0, 1:
		case 2:
			r.People[k] = float32(math.NaN())
		default:
			r.People[k] = float32(rng.Float64() * 40)
		}
	}
	return r
}

// rasterTotal sums a raster's people (NaN as none).
func rasterTotal(r *Raster) float64 {
	s := 0.0
	for _, v := range r.People {
		if v > 0 {
			s += float64(v)
		}
	}
	return s
}

// TestPlaceKeepsTotals: in raster mode every person of the raster is either on a commune's land
// or counted outside (to the 1/Scale rounding per cell), and each commune's People and Units
// agree with the cells; in census mode each commune's units add up to its census exactly.
func TestPlaceKeepsTotals(t *testing.T) {
	const seed = 12
	rng := rand.New(rand.NewPCG(seed, 1))
	l := testLand()
	for _, cellDeg := range []float64{3.0 / 3600, 1.0 / 3600, 10.0 / 3600} {
		r := randomRaster(rng, lonLatBound(l), cellDeg)
		src := &Source{Name: "t.tif", Format: "GeoTIFF", Raster: r}
		g, err := Place(l, src, ModeRaster)
		if err != nil {
			t.Fatal(err)
		}
		var units int64
		for k, u := range g.People {
			if u < 0 || (u > 0 && l.Commune[k] < 0) {
				t.Fatalf("cell %d (commune %d) holds %d units", k, l.Commune[k], u)
			}
			units += u
		}
		onLand := float64(units) / Scale
		if d := math.Abs(onLand + g.OutsidePeople - rasterTotal(r)); d > 1e-6*float64(l.Grid.Len())+1e-9*rasterTotal(r) {
			t.Errorf("%g°: %.6f on land + %.6f outside ≠ %.6f in the raster", cellDeg, onLand, g.OutsidePeople, rasterTotal(r))
		}
		for ci, c := range g.Communes {
			var u int64
			for k, own := range l.Commune {
				if own == int32(ci) {
					u += g.People[k]
				}
			}
			if u != c.Units || c.People != float64(u)/Scale || c.Factor != 1 || math.Abs(c.People-c.RasterPeople) > 1e-6*float64(c.LandCells) {
				t.Errorf("%g° commune %s: units %d (row %d), people %g, raster %g, factor %g", cellDeg, c.Code, u, c.Units, c.People, c.RasterPeople, c.Factor)
			}
		}
		g, err = Place(l, src, ModeCensus)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range g.Communes {
			if c.Units != int64(c.Census)*Scale || c.Uniform || math.Abs(c.Factor*c.RasterPeople-float64(c.Census)) > 1e-9*float64(c.Census) {
				t.Errorf("%g° commune %s: %d units for a census of %d (factor %g × raster %g)", cellDeg, c.Code, c.Units, c.Census, c.Factor, c.RasterPeople)
			}
		}
	}
}

// TestPlaceMatchesClipping: the people Place puts in each grid cell match an independent
// area weighting: each raster cell's projected corners (each projected, none interpolated) as a
// ring, every grid cell's square clipped to it by geo.ClipToConvex, people × clipped area /
// ring area; within 0.1 % plus 1e-4 person (the corners Place interpolates move by a
// centimetre or so).
func TestPlaceMatchesClipping(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	l := testLand()
	for _, cellDeg := range []float64{3.0 / 3600, 1.0 / 3600} { // 92 m and 31 m cells onto 50 m cells
		r := randomRaster(rng, lonLatBound(l), cellDeg)
		g, err := Place(l, &Source{Name: "t", Raster: r}, ModeRaster)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, l.Grid.Len())
		for j := range r.NY {
			for i := range r.NX {
				v := r.People[j*r.NX+i]
				if !(v > 0) {
					continue
				}
				ring := orb.Ring{}
				for _, c := range [][2]int{{0, 1}, {1, 1}, {1, 0}, {0, 0}, {0, 1}} {
					ring = append(ring, l.Projection.Forward(orb.Point{r.West + float64(i+c[0])*r.DLon, r.North - float64(j+c[1])*r.DLat}))
				}
				whole := geo.PlanarAreaM2(orb.Polygon{ring})
				for k := range want {
					if l.Commune[k] < 0 {
						continue
					}
					c := l.Grid.Center(k%l.Grid.NX, k/l.Grid.NX)
					h := l.Grid.CellM / 2
					sq := orb.MultiPolygon{{{{c[0] - h, c[1] - h}, {c[0] + h, c[1] - h}, {c[0] + h, c[1] + h}, {c[0] - h, c[1] + h}, {c[0] - h, c[1] - h}}}}
					if a := geo.PlanarAreaM2(geo.ClipToConvex(sq, ring)); a > 0 {
						want[k] += float64(v) * a / whole
					}
				}
			}
		}
		for k, w := range want {
			if got := float64(g.People[k]) / Scale; math.Abs(got-w) > 1e-3*w+1e-4 {
				t.Errorf("%g° cell %d: %.6f people, clipping %.6f", cellDeg, k, got, w)
			}
		}
	}
}

// TestPlacePoints: points go to the cell holding them; a commune with none falls back to
// uniform and says so; households follow the census ratio.
func TestPlacePoints(t *testing.T) {
	l := testLand()
	in := l.Projection.Inverse(l.Grid.Center(5, 7)) // in A
	out := l.Projection.Inverse(l.Grid.Center(0, 0))
	src := &Source{Name: "hrsl.csv", Format: "CSV points", Points: []Point{{in[0], in[1], 12.5}, {in[0], in[1], 2.5}, {out[0], out[1], 4}}}
	g, err := Place(l, src, ModeRaster)
	if err != nil {
		t.Fatal(err)
	}
	if u := g.People[l.Grid.Index(5, 7)]; u != 15*Scale || g.OutsidePeople != 4 {
		t.Errorf("cell (5, 7) holds %d units, %g people outside: want %d, 4", u, g.OutsidePeople, 15*Scale)
	}
	a, b := g.Communes[0], g.Communes[1]
	if a.Uniform || !b.Uniform || b.Units != 3000*Scale || b.Factor != 0 || b.RasterPeople != 0 {
		t.Errorf("A %+v, B %+v: want B uniform with its census", a, b)
	}
	if s := g.Spread(1); s != "uniform over commune land (hrsl.csv has no people here)" {
		t.Errorf("spread of B %q", s)
	}
	if s := g.Spread(0); s != "population grid (hrsl.csv, raster totals)" {
		t.Errorf("spread of A %q", s)
	}
	// B's cells each hold 3000/648 people, to one unit.
	lo, hi := int64(math.MaxInt64), int64(0)
	for k, ci := range l.Commune {
		if ci == 1 {
			lo, hi = min(lo, g.People[k]), max(hi, g.People[k])
		}
	}
	if hi-lo > 1 || b.LandCells != 18*36 {
		t.Errorf("uniform B: cells between %d and %d units over %d cells", lo, hi, b.LandCells)
	}
	if hh := b.HouseholdsPerPerson(); hh != 0.3 {
		t.Errorf("households per person %g, want 0.3", hh)
	}
	census, raster, people, uniform := g.Totals()
	if census != 13000 || raster != 15 || people != 3015 || uniform != 1 {
		t.Errorf("totals %d %g %g %d", census, raster, people, uniform)
	}
}

// TestPlaceErrors: malformed sources and a source with no people on the communes are refused.
func TestPlaceErrors(t *testing.T) {
	l := testLand()
	far := &Source{Name: "far", Points: []Point{{0, 0, 10}}}
	nan := float32(math.NaN())
	for _, c := range []struct {
		name string
		src  *Source
		mode Mode
		want error
	}{
		{"nil", nil, ModeCensus, ErrSource},
		{"mode", &Source{Points: []Point{{106.3, 9.9, 1}}}, "people", ErrSource},
		{"both", &Source{Raster: &Raster{NX: 1, NY: 1, DLon: 1, DLat: 1, People: []float32{1}}, Points: []Point{{1, 1, 1}}}, ModeCensus, ErrSource},
		{"size", &Source{Raster: &Raster{NX: 2, NY: 1, DLon: 1, DLat: 1, People: []float32{1}}}, ModeCensus, ErrSource},
		{"negative cell", &Source{Raster: &Raster{NX: 1, NY: 1, DLon: 1, DLat: 1, People: []float32{-1}}}, ModeCensus, ErrSource},
		{"negative point", &Source{Points: []Point{{106.3, 9.9, -2}}}, ModeCensus, ErrSource},
		{"bad lat", &Source{Points: []Point{{106.3, 99, 2}}}, ModeCensus, ErrSource},
		{"far away", far, ModeCensus, ErrEmpty},
		{"all nodata", &Source{Raster: &Raster{West: 106, North: 10, NX: 1, NY: 1, DLon: 1, DLat: 1, People: []float32{nan}}}, ModeRaster, ErrEmpty},
	} {
		if _, err := Place(l, c.src, c.mode); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	bad := testLand()
	bad.Commune = bad.Commune[1:]
	if _, err := Place(bad, far, ModeCensus); !errors.Is(err, ErrLand) {
		t.Errorf("short land: %v", err)
	}
}

// TestApportion: seeded random weights and totals (spread over every other cell); the parts add
// up to the total exactly and each is within one unit of its proportional share; all-zero
// weights split evenly.
func TestApportion(t *testing.T) {
	if got := Apportion(7, []float64{0, 0, 0}); got[0] != 3 || got[1] != 2 || got[2] != 2 {
		t.Errorf("7 over three zero weights: %v, want [3 2 2]", got)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		n := 1 + rng.IntN(50)
		cells := make([]int32, n)
		w := make([]float64, n)
		sum := 0.0
		for i := range cells {
			cells[i] = int32(2 * i)
			if rng.IntN(3) > 0 {
				w[i] = rng.Float64() * math.Pow(10, float64(rng.IntN(8)-4))
			}
			sum += w[i]
		}
		if sum == 0 {
			w[0], sum = 1, 1
		}
		total := rng.Int64N(1e12)
		people := make([]int64, 2*n)
		spread(people, cells, total, func(k int32) float64 { return w[k/2] })
		var got int64
		for i, k := range cells {
			got += people[k]
			if share := float64(total) * w[i] / sum; math.Abs(float64(people[k])-share) > 1+1e-6*share {
				t.Fatalf("cell %d: %d units for a share of %g", i, people[k], share)
			}
		}
		if got != total {
			t.Fatalf("%d cells add up to %d, want %d", n, got, total)
		}
	}
}

// TestParseMode names the modes.
func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"": ModeCensus, "census": ModeCensus, "raster": ModeRaster, "Census": ""} {
		if got, ok := ParseMode(s); got != want || ok != (want != "") {
			t.Errorf("ParseMode(%q) = %q, %v", s, got, ok)
		}
	}
}
