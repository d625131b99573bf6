package plan

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/data/store"
)

// demoState is the embedded demo (synthetic stations, fibre and population) at cellM.
func demoState(t testing.TB, cellM float64) (*coverage.Engine, []data.Site, *store.Store, *coverage.Result, *fibre.Network) {
	t.Helper()
	communes, err := demo.Communes()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := demo.Sites()
	if err != nil {
		t.Fatal(err)
	}
	pop, err := demo.Population()
	if err != nil {
		t.Fatal(err)
	}
	net, err := demo.Fibre()
	if err != nil {
		t.Fatal(err)
	}
	e, err := coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{CellM: cellM, Population: pop})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(e.Reach)
	if _, err := st.Upsert(sites); err != nil {
		t.Fatal(err)
	}
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return e, sites, st, r, net
}

// uncovered is the people r leaves without carrier's (or any carrier's) tech outdoors.
func uncovered(r *coverage.Result, carrier string, tech data.Tech) float64 {
	p := r.Province(tech)
	if carrier == coverage.AnyCarrier {
		return p.UncoveredPopulation
	}
	for _, c := range p.PerCarrier {
		if c.Carrier == carrier {
			return p.GridPopulation - c.CoveredPopulation
		}
	}
	return p.GridPopulation
}

// TestSuggestGainsEqualRecompute: on the demo at 200 m, for one carrier and for any carrier,
// the picks' cumulative people gained equals what a full recompute with the picks on air
// finds newly covered (the footprints are the engine's own model); picks come from the
// candidates, gains are non-increasing, a second run gives the same picks, and a fibre limit
// keeps picks within it.
func TestSuggestGainsEqualRecompute(t *testing.T) {
	e, sites, base, r, net := demoState(t, 200)
	for _, c := range []struct {
		carrier string
		tech    data.Tech
		opts    Options
	}{
		{"vinaphone", data.Tech4G, Options{Count: 5, ShareTowers: true}},
		{coverage.AnyCarrier, data.Tech4G, Options{Count: 4}},
		{coverage.AnyCarrier, data.Tech3G, Options{Count: 3, MaxFibreM: 1000}},
	} {
		c.opts.Carrier, c.opts.Tech = c.carrier, c.tech
		opts := c.opts
		opts.Carrier, opts.Tech, opts.Workers = c.carrier, c.tech, 2
		var mu sync.Mutex
		calls := 0
		opts.Progress = func(done, total int) { mu.Lock(); calls++; mu.Unlock() }
		res, err := Suggest(context.Background(), r, base.Snapshot(), net, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Picks) == 0 || res.Candidates < len(res.Picks) || calls == 0 {
			t.Fatalf("%s %s: %d picks of %d candidates, %d progress calls", c.carrier, c.tech, len(res.Picks), res.Candidates, calls)
		}
		builder := c.carrier
		if builder == coverage.AnyCarrier {
			builder = "vietnamobile"
		}
		added := res.Sites(builder, "PLAN-")
		for i := range added {
			added[i].Status = data.StatusActive
			if i > 0 && res.Picks[i].PeopleGained > res.Picks[i-1].PeopleGained {
				t.Fatalf("gains not non-increasing: %+v", res.Picks)
			}
			if c.opts.MaxFibreM > 0 && res.Picks[i].FibreDistanceM > c.opts.MaxFibreM {
				t.Fatalf("pick %d is %g m from fibre, limit %g", i+1, res.Picks[i].FibreDistanceM, c.opts.MaxFibreM)
			}
		}
		st := store.New(e.Reach)
		if _, err := st.Upsert(append(slices.Clone(sites), added...)); err != nil {
			t.Fatal(err)
		}
		after, err := e.Compute(context.Background(), st.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		got := uncovered(r, c.carrier, c.tech) - uncovered(after, c.carrier, c.tech)
		cum := res.Picks[len(res.Picks)-1].CumPeople
		if math.Abs(got-cum) > 1e-6*max(1, cum) {
			t.Fatalf("%s %s: picks claim %.3f people, a recompute finds %.3f", c.carrier, c.tech, cum, got)
		}
		again, err := Suggest(context.Background(), r, base.Snapshot(), net, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(again.Picks, res.Picks, func(a, b Pick) bool { return a == b }) {
			t.Fatalf("%s %s: a second run picks differently", c.carrier, c.tech)
		}
		t.Logf("%s %s: %d candidates, %d useful, %d picks gain %.0f of %.0f people", c.carrier, c.tech, res.Candidates, res.Useful, len(res.Picks), cum, res.Target)
	}
}

func TestSuggestRefuses(t *testing.T) {
	_, _, base, r, _ := demoState(t, 400)
	for _, o := range []Options{
		{Carrier: "any", Tech: "5G"},
		{Carrier: "nobody", Tech: data.Tech4G},
		{Carrier: "any", Tech: data.Tech4G, Count: MaxCount + 1},
		{Carrier: "any", Tech: data.Tech4G, HeightM: 500},
		{Carrier: "any", Tech: data.Tech4G, MaxFibreM: -1},
		{Carrier: "any", Tech: data.Tech4G, RoadSpacingM: 10},
	} {
		if _, err := Suggest(context.Background(), r, base.Snapshot(), nil, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: %v, want ErrOptions", o, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Suggest(ctx, r, base.Snapshot(), nil, Options{Carrier: "any", Tech: data.Tech4G}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
