package coverage

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/store"
)

// randomDemoPoints returns n seeded random points over the demo communes' bound (some off the
// land, some off the grid's land cells) and one outside it.
func randomDemoPoints(t *testing.T, n int, stream uint64) []orb.Point {
	communes, _ := demoInputs(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, stream))
	b := communes[0].Geometry.Bound()
	for _, c := range communes[1:] {
		b = b.Union(c.Geometry.Bound())
	}
	pts := make([]orb.Point, n, n+1)
	for k := range pts {
		pts[k] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	}
	return append(pts, orb.Point{b.Max[0] + 1, b.Max[1] + 1})
}

// TestRegionalLevelsAtPoints checks LevelsAtPoints of a result computed region by region (each
// region holding a point computed again once) against the whole engine's LevelsAt at seeded
// random points of the demo, exactly (as printed: NaN where no site reaches); off the land both
// are nil.
func TestRegionalLevelsAtPoints(t *testing.T) {
	whole := demoShared(t, 100).r
	got, _ := demoRegional(t)
	pts := randomDemoPoints(t, 400, 23)
	levels, err := got.LevelsAtPoints(t.Context(), pts)
	if err != nil {
		t.Fatal(err)
	}
	wholeLevels, err := whole.LevelsAtPoints(t.Context(), pts)
	if err != nil {
		t.Fatal(err)
	}
	var on int
	for n, p := range pts {
		w := whole.LevelsAt(p)
		if w != nil {
			on++
		}
		ws, gs := fmt.Sprintf("%+v", w), fmt.Sprintf("%+v", levels[n]) // NaN levels: compare as printed
		if ws != gs || fmt.Sprintf("%+v", wholeLevels[n]) != ws {
			t.Errorf("at %v: regions\n%s\nwhole\n%s", p, gs, ws)
		}
	}
	if on < 100 {
		t.Errorf("only %d of %d points on land", on, len(pts))
	}
}

// TestRegionalPredictor checks that a predictor of a result computed region by region
// (Result.NewPredictor: the commune of a cell read from its region's land) locates every cell
// of the whole engine's grid in the same commune as the whole engine's raster, and predicts at
// seeded random points, for every carrier and technology, with a cell id named or not, exactly
// what the whole engine's predictor does.
func TestRegionalPredictor(t *testing.T) {
	c := demoShared(t, 100)
	got, _ := demoRegional(t)
	_, sites := demoInputs(t)
	snap := store.New(got.Engine().Reach)
	if _, err := snap.Upsert(sites); err != nil {
		t.Fatal(err)
	}
	rp, wp := got.NewPredictor(snap.Snapshot()), c.r.NewPredictor(c.snap)
	g, raster := c.e.Grid(), c.e.CommuneIndexRaster()
	if got.Engine().Grid() != g {
		t.Fatalf("grids %+v region by region, %+v whole", got.Engine().Grid(), g)
	}
	var land, wrong int
	for j := range g.NY {
		for i := range g.NX {
			if raster[g.Index(i, j)] >= 0 {
				land++
			}
			if w, r := raster[g.Index(i, j)], rp.communeAt(i, j); w != r && wrong < 10 {
				wrong++
				t.Errorf("cell %d,%d: commune %d region by region, %d whole", i, j, r, w)
			}
		}
	}
	if land == 0 {
		t.Fatal("no land cell")
	}
	cellIDs := map[string]string{}
	for _, s := range sites {
		for _, sec := range s.Sectors {
			if sec.CellID != "" {
				cellIDs[s.Carrier+string(sec.Tech)] = sec.CellID
			}
		}
	}
	for n, p := range randomDemoPoints(t, 200, 29) {
		for _, carrier := range []string{"viettel", "vinaphone", "mobifone"} {
			for _, tech := range data.AnalysedTechs {
				cellID := ""
				if n%3 == 0 {
					cellID = cellIDs[carrier+string(tech)]
				}
				w, r := wp.Predict(carrier, tech, p[0], p[1], cellID), rp.Predict(carrier, tech, p[0], p[1], cellID)
				if fmt.Sprintf("%+v", w) != fmt.Sprintf("%+v", r) {
					t.Errorf("%s %s at %v (cell %q): region by region %+v, whole %+v", carrier, tech, p, cellID, r, w)
				}
			}
		}
	}
}
