package plan

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/testenv"
)

// TestRoadCandidatesStraightRoad: a straight 2,000 m east–west road through the middle of the
// demo province (in the engine's frame) gets candidates at 0, 500, …, 2,000 m with the default
// spacing, and a point's distance to it is the hand value.
func TestRoadCandidatesStraightRoad(t *testing.T) {
	e, _, base, r, _ := demoState(t, 100)
	tm, g := e.Projection(), e.Grid()
	c := g.Center(g.NX/2, g.NY/2)
	if _, _, ok := g.CellOf(c); !ok || e.CommuneIndexRaster()[g.Index(g.NX/2, g.NY/2)] < 0 {
		t.Fatal("the grid's centre is outside the communes: pick another test road")
	}
	x0, y0 := c[0]-1000, c[1]
	road := orb.LineString{tm.Inverse(orb.Point{x0, y0}), tm.Inverse(orb.Point{x0 + 2000, y0})}
	got := roadCandidates(e, projectLines(e, []orb.LineString{road}), DefaultRoadSpacingM)
	if len(got) != 5 {
		t.Fatalf("%d candidates, want 5 (0, 500, 1000, 1500, 2000 m)", len(got))
	}
	for k, cand := range got {
		p := tm.Forward(orb.Point{cand.Lon, cand.Lat})
		if math.Abs(p[0]-(x0+500*float64(k))) > 0.01 || math.Abs(p[1]-y0) > 0.01 || cand.Source != SourceRoad {
			t.Errorf("candidate %d at (%.3f, %.3f) %s, want (%.3f, %.3f) road", k, p[0], p[1], cand.Source, x0+500*float64(k), y0)
		}
	}
	if n := len(roadCandidates(e, projectLines(e, []orb.LineString{road}), 300)); n != 7 {
		t.Errorf("spacing 300 m: %d candidates, want 7 (0 … 1800 m)", n)
	}
	idx := newLineIndex(projectLines(e, []orb.LineString{road}), nil)
	for _, c := range []struct {
		p     orb.Point
		wantM float64
	}{
		{orb.Point{x0 + 700, y0 + 300}, 300},  // beside the road
		{orb.Point{x0 - 400, y0 + 300}, 500},  // beyond its west end: 3-4-5
		{orb.Point{x0 + 2000, y0 - 120}, 120}, // below its east end
	} {
		if d := idx.distanceM(c.p); math.Abs(d-c.wantM) > 0.1 {
			t.Errorf("distance of %v = %.3f m, want %g", c.p, d, c.wantM)
		}
	}
	if d := newLineIndex(nil, nil).distanceM(orb.Point{x0, y0}); d != -1 {
		t.Errorf("no roads: distance %g, want -1", d)
	}

	// Through Suggest: the best generated candidate, given alone with a road 300 m south of
	// it, reports 300 m; without roads −1.
	first, err := Suggest(context.Background(), r, base.Snapshot(), nil, Options{Carrier: "any", Tech: data.Tech4G, Count: 1})
	if err != nil || len(first.Picks) != 1 {
		t.Fatalf("%v, %v", first, err)
	}
	user := []Candidate{first.Picks[0].Candidate}
	pm := tm.Forward(orb.Point{user[0].Lon, user[0].Lat})
	south := orb.LineString{tm.Inverse(orb.Point{pm[0] - 1000, pm[1] - 300}), tm.Inverse(orb.Point{pm[0] + 1000, pm[1] - 300})}
	for _, c := range []struct {
		roads []orb.LineString
		wantM float64
	}{{[]orb.LineString{south}, 300}, {nil, -1}} {
		res, err := Suggest(context.Background(), r, base.Snapshot(), nil, Options{Carrier: "any", Tech: data.Tech4G, Count: 1, Candidates: user, Roads: c.roads})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Picks) != 1 {
			t.Fatalf("%d picks, want the one candidate", len(res.Picks))
		}
		if math.Abs(res.Picks[0].RoadDistanceM-c.wantM) > 0.1 {
			t.Errorf("roads %d: pick's road distance %.3f m, want %g", len(c.roads), res.Picks[0].RoadDistanceM, c.wantM)
		}
	}
}

// TestSuggestNationalRoads runs a suggestion over the demo with the real national roads of Trà
// Vinh (shared data): road candidates exist, picks on a road are on it, and every pick's
// distance equals a brute-force scan of every segment (the bounding-box pruning loses nothing).
func TestSuggestNationalRoads(t *testing.T) {
	fc, err := input.LoadContextFile(testenv.SharedFile(t, "travinh/national_roads.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	roads := RoadLines(fc)
	if len(roads) == 0 {
		t.Fatal("no road lines read")
	}
	e, _, base, r, net := demoState(t, 400)
	res, err := Suggest(context.Background(), r, base.Snapshot(), net, Options{Carrier: "any", Tech: data.Tech4G, Count: 20, Roads: roads})
	if err != nil {
		t.Fatal(err)
	}
	without, err := Suggest(context.Background(), r, base.Snapshot(), net, Options{Carrier: "any", Tech: data.Tech4G, Count: 20})
	if err != nil {
		t.Fatal(err)
	}
	nRoad := len(roadCandidates(e, projectLines(e, roads), DefaultRoadSpacingM))
	if nRoad == 0 || res.Candidates != without.Candidates+nRoad {
		t.Errorf("%d candidates with roads, %d without, %d road candidates", res.Candidates, without.Candidates, nRoad)
	}
	lines := projectLines(e, roads)
	for _, p := range res.Picks {
		pm := e.Projection().Forward(orb.Point{p.Lon, p.Lat})
		brute := math.Inf(1)
		for _, ls := range lines {
			for i := 1; i < len(ls); i++ {
				brute = min(brute, segmentDistance(pm, ls[i-1], ls[i]))
			}
		}
		if math.Abs(p.RoadDistanceM-brute) > 1e-6 {
			t.Errorf("pick %d: road distance %.3f m, brute force %.3f", p.Rank, p.RoadDistanceM, brute)
		}
		if p.Source == SourceRoad && p.RoadDistanceM > 0.01 {
			t.Errorf("pick %d is a road candidate %.3f m from the road", p.Rank, p.RoadDistanceM)
		}
	}
	t.Logf("%d road candidates; %d picks, %.0f people", nRoad, len(res.Picks), res.Picks[len(res.Picks)-1].CumPeople)
}
