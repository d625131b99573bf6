package app

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/store"
)

// demoState is the embedded demo at 200 m cells (fast under -race), built once.
var demoState = sync.OnceValues(func() (*State, error) {
	in, _, err := Load(Sources{NoFibre: true})
	if err != nil {
		return nil, err
	}
	in.Coverage = coverage.Options{CellM: 200}
	return Build(context.Background(), in)
})

func mustDemo(t *testing.T) *State {
	t.Helper()
	st, err := demoState()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestNewRefusesIncompleteState(t *testing.T) {
	st := mustDemo(t)
	cases := []struct {
		name string
		st   *State
	}{
		{"nil", nil},
		{"no snapshot", &State{Coverage: st.Coverage, Communes: st.Communes}},
		{"no coverage", &State{Snapshot: st.Snapshot, Communes: st.Communes}},
		{"no communes", &State{Snapshot: st.Snapshot, Coverage: st.Coverage}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.st, nil, nil); !errors.Is(err, ErrNoState) {
				t.Fatalf("New: %v, want ErrNoState", err)
			}
		})
	}
}

// TestLoadNotes: the demo's notes say what is synthetic, and only then.
func TestLoadNotes(t *testing.T) {
	in, _, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Note != demo.Note || in.FibreNote != demo.FibreNote || in.Fibre == nil || len(in.Sites) == 0 || len(in.Communes) == 0 {
		t.Fatalf("demo: note %q, fibre note %q, fibre %v, %d sites, %d communes", in.Note, in.FibreNote, in.Fibre != nil, len(in.Sites), len(in.Communes))
	}
	if in, _, err = Load(Sources{NoFibre: true}); err != nil || in.Fibre != nil || in.FibreNote != "" {
		t.Fatalf("NoFibre: %v, fibre %v, note %q", err, in.Fibre, in.FibreNote)
	}
}

// TestWithSitesIsForkedAndIncremental: a change made with WithSites leaves the original state
// as it was (its store, snapshot and coverage), and its coverage equals a full computation of
// the edited list on a fresh store, commune by commune.
func TestWithSitesIsForkedAndIncremental(t *testing.T) {
	st := mustDemo(t)
	before := st.Snapshot.Len()
	viettel := st.Snapshot.Sites(store.Filter{Carrier: "viettel"})
	if len(viettel) < 10 {
		t.Fatalf("%d viettel sites", len(viettel))
	}
	next := make([]data.Site, 0, len(viettel))
	for i, s := range viettel {
		if i%3 == 0 { // drop a third of the sites
			continue
		}
		c := *s
		if i%3 == 1 {
			c.HeightM += 15
		}
		next = append(next, c)
	}
	ns, err := st.WithSites(context.Background(), "viettel", next)
	if err != nil {
		t.Fatal(err)
	}
	if st.Snapshot.Len() != before || st.Store.Version() != st.Snapshot.Version() {
		t.Fatalf("the original state changed: %d sites (was %d), store v%d, snapshot v%d", st.Snapshot.Len(), before, st.Store.Version(), st.Snapshot.Version())
	}
	if ns.Snapshot.Version() <= st.Snapshot.Version() || ns.Snapshot.Len() != before-len(viettel)+len(next) {
		t.Fatalf("new state v%d (old v%d) with %d sites", ns.Snapshot.Version(), st.Snapshot.Version(), ns.Snapshot.Len())
	}
	var all []data.Site
	for _, s := range ns.Snapshot.Sites(store.Filter{}) {
		all = append(all, *s)
	}
	full, err := Build(context.Background(), Input{Engine: st.Engine, Sites: all})
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, tech := range data.AnalysedTechs {
		got, want := ns.Coverage.CommuneStatsFor(tech), full.Coverage.CommuneStatsFor(tech)
		old := st.Coverage.CommuneStatsFor(tech)
		for i := range want {
			if got[i].CoveredAreaKM2 != want[i].CoveredAreaKM2 || got[i].CoveredPopulation != want[i].CoveredPopulation ||
				!slices.Equal(got[i].AreaByCarrierCountKM2[:], want[i].AreaByCarrierCountKM2[:]) {
				t.Fatalf("%s %s: incremental %+v, full %+v", tech, want[i].Code, got[i], want[i])
			}
			if old[i].CoveredAreaKM2 != got[i].CoveredAreaKM2 {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Fatal("the change moved no commune's coverage: the test compares nothing")
	}
}

// TestLayerArguments: unknown communes and carriers are argument errors naming the argument;
// a listed carrier without sites is ErrNoSites.
func TestLayerArguments(t *testing.T) {
	st := mustDemo(t)
	var ae *ArgError
	if _, _, err := st.Layer(LayerRequest{Kind: LayerGaps, Tech: data.Tech4G, Commune: "nope"}); !errors.As(err, &ae) || ae.Name != "commune" {
		t.Errorf("unknown commune: %v", err)
	}
	if _, _, err := st.Layer(LayerRequest{Kind: LayerCoverage, Tech: data.Tech4G, Carrier: "acme"}); !errors.As(err, &ae) || ae.Name != "carrier" {
		t.Errorf("unknown carrier: %v", err)
	}
	if _, _, err := st.Layer(LayerRequest{Kind: "roads"}); !errors.As(err, &ae) || ae.Name != "layer" {
		t.Errorf("unknown layer: %v", err)
	}
	listed := *st
	listed.Carriers = append(slices.Clone(st.Carriers), data.Carrier{ID: "listed-only", Name: "Listed only"})
	if _, _, err := listed.Layer(LayerRequest{Kind: LayerCoverage, Tech: data.Tech4G, Carrier: "listed-only"}); !errors.Is(err, ErrNoSites) {
		t.Errorf("listed carrier without sites: %v", err)
	}
	fc, l, err := st.Layer(LayerRequest{Kind: LayerGaps, Tech: data.Tech4G, Commune: st.Communes[0].Code, MinGapAreaM2: 0})
	if err != nil || len(fc.Features) == 0 || l.ID == "" {
		t.Fatalf("gaps of %s: %v, %d features, layer %q", st.Communes[0].Code, err, len(fc.Features), l.ID)
	}
	for _, f := range fc.Features {
		if f.Properties["synthetic"] != true {
			t.Fatalf("a demo feature without the synthetic flag: %v", f.Properties)
		}
	}
}
