package coverage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/population"
	"phusong/data/store"
	"phusong/geo"
)

// synthProvince is a 3 × 3 block of 4 km square communes around the fixture origin, the
// middle column wards (urban), the others communes (suburban under the default definition).
func synthProvince() []data.Commune {
	const side = 4000.0
	lonM, latM := geo.MetresPerDegree(fixLat)
	var out []data.Commune
	for j := range 3 {
		for i := range 3 {
			ct := data.TypeCommune
			if i == 1 {
				ct = data.TypeWard
			}
			code := fmt.Sprintf("%05d", 10+3*j+i)
			out = append(out, squareCommune(code, ct, fixLon+float64(i-1)*side/lonM, fixLat+float64(j-1)*side/latM,
				side, 5000+1000*(3*j+i), 1200+300*(3*j+i)))
		}
	}
	return out
}

// randomSite invents a site of carrier within the synthetic province: 70 % three-sector
// 4G 1800 + 3G 2100, 20 % omni 3G 900, 10 % 4G-only panels; 15 % planned.
func randomSite(rng *rand.Rand, carrier, id string) data.Site {
	lonM, latM := geo.MetresPerDegree(fixLat)
	s := data.Site{Carrier: carrier, SiteID: id, Lon: fixLon + (rng.Float64()-0.5)*13000/lonM,
		Lat: fixLat + (rng.Float64()-0.5)*13000/latM, HeightM: float64(20 + rng.IntN(26)), Status: data.StatusActive}
	if rng.IntN(100) < 15 {
		s.Status = data.StatusPlanned
	}
	rot := 360 * rng.Float64()
	panel := func(tech data.Tech, band, pow, bw float64) {
		for k := range 3 {
			s.Sectors = append(s.Sectors, data.Sector{Tech: tech, BandMHz: band, AzimuthDeg: math.Mod(rot+120*float64(k), 360),
				BeamwidthDeg: 65, TiltDeg: float64(2 + rng.IntN(7)), PowerDBm: pow, BandwidthMHz: bw, GainDBi: 17, FeederLossDB: 2})
		}
	}
	switch p := rng.IntN(10); {
	case p < 7:
		panel(data.Tech4G, 1800, 43+float64(rng.IntN(4)), []float64{10, 15, 20}[rng.IntN(3)])
		panel(data.Tech3G, 2100, 33, 5)
	case p < 9:
		s.Sectors = append(s.Sectors, data.Sector{Tech: data.Tech3G, BandMHz: 900, Omni: true, PowerDBm: 30 + 3*rng.Float64(),
			BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 1})
	default:
		panel(data.Tech4G, 900, 43, 10)
	}
	return s
}

// sameResult fails t unless a and b hold bitwise-equal levels, equal serving sites and equal
// statistics, and, when fields is set, bitwise-equal fields (building them).
func sameResult(t *testing.T, step string, a, b *Result, fields bool) {
	t.Helper()
	if !slices.Equal(a.carriers, b.carriers) {
		t.Fatalf("%s: carriers %v vs %v", step, a.carriers, b.carriers)
	}
	l := a.eng.land
	for c, id := range a.carriers {
		for ti := range a.eng.rules {
			for tix := range l.Tiles {
				ca, cb := a.layers[c][ti][tix], b.layers[c][ti][tix]
				for o := range int(l.Tiles[tix].End - l.Tiles[tix].Start) {
					la, sa := cellOf(a.eng, ca, &l.Tiles[tix], ti, o)
					lb, sb := cellOf(b.eng, cb, &l.Tiles[tix], ti, o)
					if math.Float32bits(la) != math.Float32bits(lb) || sa != sb {
						k := l.Tiles[tix].Start + int32(o)
						t.Fatalf("%s: %s %s cell (%d, %d): level %v from %v vs %v from %v", step, id, a.eng.rules[ti].tech,
							l.CellI[k], l.CellJ[k], la, sa, lb, sb)
					}
				}
			}
		}
	}
	for _, rule := range a.eng.rules {
		if !fields {
			break
		}
		for _, id := range append(slices.Clone(a.carriers), AnyCarrier) {
			fa, fb := a.Field(id, rule.tech), b.Field(id, rule.tech)
			for k := range fa {
				if math.Float32bits(fa[k]) != math.Float32bits(fb[k]) {
					t.Fatalf("%s: field %s %s cell %d: %v vs %v", step, id, rule.tech, k, fa[k], fb[k])
				}
			}
		}
	}
	if !reflect.DeepEqual(a.counts, b.counts) {
		t.Fatalf("%s: commune counts (cells and people) differ", step)
	}
	if !reflect.DeepEqual(a.Communes(), b.Communes()) {
		t.Fatalf("%s: commune statistics differ", step)
	}
	for _, tech := range data.AnalysedTechs {
		if !reflect.DeepEqual(a.Province(tech), b.Province(tech)) {
			t.Fatalf("%s: province %s statistics differ:\n%+v\n%+v", step, tech, a.Province(tech), b.Province(tech))
		}
	}
}

// cellOf returns a chunk's level at compact offset o of tile t (NaN where no site serves it)
// and, at one cell offset in 997, the serving site's key (Engine.servingSite evaluates the cell
// again, ~45 µs: every cell would take minutes; TestServingSiteMatchesEvaluation checks it
// more densely); the other served cells get a placeholder key, "served".
func cellOf(e *Engine, c *chunk, t *land.Tile, ti, o int) (float32, data.SiteKey) {
	if c == nil || !c.serves(int32(o)) {
		return float32(math.NaN()), data.SiteKey{}
	}
	if o%997 != 0 {
		return c.level[o], data.SiteKey{SiteID: "served"}
	}
	return c.level[o], e.servingSite(c, t, ti, int32(o))
}

// randomPopulation is a seeded raster of ~90 m cells over communes: clusters of people (a
// village every few hundred metres), empty cells between, and nobody over the last commune (so
// that it falls back to uniform).
func randomPopulation(rng *rand.Rand, communes []data.Commune) *population.Source {
	b := data.AreaOf(communes)
	const cell = 3.0 / 3600
	r := &population.Raster{West: b.Min[0] - cell, North: b.Max[1] + cell, DLon: cell, DLat: cell}
	r.NX, r.NY = int((b.Max[0]-b.Min[0])/cell)+3, int((b.Max[1]-b.Min[1])/cell)+3
	r.People = make([]float32, r.NX*r.NY)
	last := communes[len(communes)-1].Geometry.Bound()
	for k := range r.People {
		lon, lat := r.West+(float64(k%r.NX)+0.5)*cell, r.North-(float64(k/r.NX)+0.5)*cell
		if last.Contains(orb.Point{lon, lat}) || rng.IntN(3) == 0 {
			continue
		}
		r.People[k] = float32(rng.ExpFloat64() * 20)
	}
	return &population.Source{Name: "random.tif", Format: "GeoTIFF", Raster: r}
}

// TestUpdateEqualsCompute applies seeded random edits (add, move, retune, delete, status
// change, replace a carrier's list, add and remove whole carriers) and checks after each that
// the chain of Updates equals a full Compute bit for bit, and that the previous result is left
// unchanged: with people spread uniformly, and with a population grid (census-reconciled, one
// commune uniform), whose people-weighted figures must be exact too. Updates run on one worker
// (UpdateWorkers, as a server recomputes an upload), full computes on three: the split of the
// work does not show in the result.
func TestUpdateEqualsCompute(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	t.Run("uniform", func(t *testing.T) { updateEqualsCompute(t, seed, Options{CellM: 100, Workers: 3, UpdateWorkers: 1}) })
	t.Run("population grid", func(t *testing.T) {
		src := randomPopulation(rand.New(rand.NewPCG(seed, 9)), synthProvince())
		updateEqualsCompute(t, seed, Options{CellM: 100, Workers: 3, UpdateWorkers: 1, Population: src})
	})
}

func updateEqualsCompute(t *testing.T, seed uint64, opts Options) {
	rng := rand.New(rand.NewPCG(seed, 2))
	e, err := New(synthProvince(), DefaultDefinition(), opts)
	if err != nil {
		t.Fatal(err)
	}
	carriers := []string{"viettel", "vinaphone", "mobifone"}
	var sites []data.Site
	for i := range 60 {
		sites = append(sites, randomSite(rng, carriers[i%3], fmt.Sprintf("S%03d", i)))
	}
	st := storeWith(t, e, sites)
	ctx := context.Background()
	cur, err := e.Compute(ctx, st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	next := 1000
	pick := func(carrier string) *data.Site {
		all := st.Snapshot().Sites(store.Filter{Carrier: carrier})
		if len(all) == 0 {
			return nil
		}
		s := *all[rng.IntN(len(all))]
		s.Sectors = slices.Clone(s.Sectors)
		return &s
	}
	for step := range 40 {
		carrier := carriers[rng.IntN(len(carriers))]
		var (
			ch   store.Change
			err  error
			what string
		)
		switch op := rng.IntN(9); {
		case op == 8:
			what = "batch"
			var batch []data.Site
			for range 1 + rng.IntN(6) {
				next++
				batch = append(batch, randomSite(rng, carriers[rng.IntN(len(carriers))], fmt.Sprintf("N%d", next)))
			}
			if s := pick(carrier); s != nil {
				s.HeightM += 5
				batch = append(batch, *s)
			}
			ch, err = st.Upsert(batch)
		case op == 0:
			what = "add"
			next++
			ch, err = st.Upsert([]data.Site{randomSite(rng, carrier, fmt.Sprintf("N%d", next))})
		case op == 1 && pick(carrier) != nil:
			what = "move"
			s := pick(carrier)
			s.Lon += (rng.Float64() - 0.5) * 0.01
			s.Lat += (rng.Float64() - 0.5) * 0.01
			ch, err = st.Upsert([]data.Site{*s})
		case op == 2 && pick(carrier) != nil:
			what = "retune"
			s := pick(carrier)
			s.Sectors[0].PowerDBm -= 3
			s.Sectors[0].TiltDeg += 2
			ch, err = st.Upsert([]data.Site{*s})
		case op == 3 && pick(carrier) != nil:
			what = "delete"
			ch, err = st.Delete([]data.SiteKey{pick(carrier).Key()})
		case op == 4 && pick(carrier) != nil:
			what = "status"
			s := pick(carrier)
			if s.Status == data.StatusActive {
				s.Status = data.StatusPlanned
			} else {
				s.Status = data.StatusActive
			}
			ch, err = st.Upsert([]data.Site{*s})
		case op == 5:
			what = "replace carrier"
			var list []data.Site
			for _, s := range st.Snapshot().Sites(store.Filter{Carrier: carrier}) {
				switch rng.IntN(4) {
				case 0: // dropped
				case 1:
					m := *s
					m.Lon += 0.002
					list = append(list, m)
				default:
					list = append(list, *s)
				}
			}
			for range rng.IntN(4) {
				next++
				list = append(list, randomSite(rng, carrier, fmt.Sprintf("N%d", next)))
			}
			ch, err = st.ReplaceCarrier(carrier, list)
		case op == 6:
			what = "new carrier"
			if !slices.Contains(carriers, "gmobile") {
				carriers = append(carriers, "gmobile")
			}
			next++
			ch, err = st.Upsert([]data.Site{randomSite(rng, "gmobile", fmt.Sprintf("N%d", next))})
		default:
			what = "remove carrier"
			ch, err = st.ReplaceCarrier(carrier, nil)
		}
		if err != nil {
			t.Fatalf("step %d %s: %v", step, what, err)
		}
		// Build some fields of cur, so that Update's result patches them (the others come
		// from older results or are built from scratch).
		for _, id := range append(slices.Clone(cur.carriers), AnyCarrier) {
			if rng.IntN(3) == 0 {
				cur.Field(id, data.AnalysedTechs[rng.IntN(2)])
			}
		}
		snap := st.Snapshot()
		before := cur.Communes()
		up, err := e.Update(ctx, cur, snap, ch)
		if err != nil {
			t.Fatalf("step %d %s: Update: %v", step, what, err)
		}
		if !reflect.DeepEqual(before, cur.Communes()) {
			t.Fatalf("step %d %s: Update modified the previous result", step, what)
		}
		full, err := e.Compute(ctx, snap)
		if err != nil {
			t.Fatal(err)
		}
		// Fields are compared every third step only, so that some results never build theirs
		// and the next ones patch fields of older results.
		sameResult(t, fmt.Sprintf("step %d %s (%d sites changed)", step, what, len(ch.Affected)), up, full, step%3 == 2)
		cur = up
	}
}

func TestUpdateErrors(t *testing.T) {
	ctx := context.Background()
	e, err := New(synthProvince(), DefaultDefinition(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(synthProvince(), DefaultDefinition(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := storeWith(t, e, nil)
	r0, err := e.Compute(ctx, st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ch, err := st.Upsert([]data.Site{randomSite(rng, "viettel", "A")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Update(ctx, r0, st.Snapshot(), ch); !errors.Is(err, ErrForeign) {
		t.Errorf("Update with another engine's result: %v, want ErrForeign", err)
	}
	r1, err := e.Update(ctx, r0, st.Snapshot(), ch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Update(ctx, r1, st.Snapshot(), ch); !errors.Is(err, ErrStale) {
		t.Errorf("Update replaying a change already applied: %v, want ErrStale", err)
	}
}

// TestComputeWrongReach: a store not built with Engine.Reach gives sites no reach, and
// Compute refuses it rather than miss them.
func TestComputeWrongReach(t *testing.T) {
	e, err := New(synthProvince(), DefaultDefinition(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(nil)
	s := randomSite(rand.New(rand.NewPCG(4, 4)), "viettel", "A")
	s.Status = data.StatusActive
	if _, err := st.Upsert([]data.Site{s}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Compute(context.Background(), st.Snapshot()); !errors.Is(err, ErrReach) {
		t.Errorf("Compute on a store without reach: %v, want ErrReach", err)
	}
}

// TestComputeProgress: Compute reports progress on Options.Progress, ending at 100 %.
func TestComputeProgress(t *testing.T) {
	var buf strings.Builder
	e, err := New(synthProvince(), DefaultDefinition(), Options{CellM: 200, Progress: &buf})
	if err != nil {
		t.Fatal(err)
	}
	st := storeWith(t, e, []data.Site{randomSite(rand.New(rand.NewPCG(5, 5)), "viettel", "A")})
	if _, err := e.Compute(context.Background(), st.Snapshot()); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.HasPrefix(out, "\rcoverage:") || !strings.HasSuffix(out, "100% of 4 tiles\n") {
		t.Errorf("progress %q, want \\r-separated lines ending at 100%% of 4 tiles", out)
	}
}

// TestComputeCancelled checks that a cancelled context stops Compute with its error.
func TestComputeCancelled(t *testing.T) {
	e, err := New(synthProvince(), DefaultDefinition(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	st := storeWith(t, e, []data.Site{randomSite(rng, "viettel", "A")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Compute(ctx, st.Snapshot()); err == nil || ctx.Err() == nil {
		t.Errorf("Compute after cancel: %v, want context.Canceled", err)
	}
}

// TestFieldsKeptBounded: a result keeps AnyCarrier's fields and at most keptCarrierFields of
// single carriers, dropping the least recently used; a dropped field asked again is the same.
func TestFieldsKeptBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	e, err := New(synthProvince(), DefaultDefinition(), Options{CellM: 200})
	if err != nil {
		t.Fatal(err)
	}
	carriers := []string{"viettel", "vinaphone", "mobifone", "vietnamobile"}
	var sites []data.Site
	for i := range 40 {
		sites = append(sites, randomSite(rng, carriers[i%4], fmt.Sprintf("S%03d", i)))
	}
	r, err := e.Compute(context.Background(), storeWith(t, e, sites).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	first := slices.Clone(r.Field("viettel", data.Tech4G))
	for _, c := range append([]string{AnyCarrier}, carriers...) {
		for _, tech := range data.AnalysedTechs {
			r.Field(c, tech)
		}
	}
	kept := 0
	for k := range r.fields {
		if k.carrier != AnyCarrier {
			kept++
		}
	}
	if kept != keptCarrierFields || r.fields[fieldKey{AnyCarrier, data.Tech4G}] == nil || r.fields[fieldKey{"viettel", data.Tech4G}] != nil {
		t.Fatalf("%d carrier fields kept (want %d, any kept, viettel 4G dropped): %v", kept, keptCarrierFields, slices.Collect(maps.Keys(r.fields)))
	}
	if again := r.Field("viettel", data.Tech4G); !slices.EqualFunc(first, again, func(a, b float32) bool { return a == b || (a != a && b != b) }) {
		t.Fatal("a dropped field was built again differently")
	}
}
