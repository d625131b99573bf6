package app

import (
	"context"
	"slices"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
)

// TestBuildReusesComputed: Build serves a computed State's coverage when the new store holds
// exactly its sites at its version, over a store of its own; a site that differs in any field
// (a sector's power, a missing site), another version or another engine computes again.
func TestBuildReusesComputed(t *testing.T) {
	st := mustDemo(t)
	sites := sitesOf(st.Snapshot)
	re, err := Build(context.Background(), Input{Engine: st.Engine, Sites: sites, Computed: st})
	if err != nil {
		t.Fatal(err)
	}
	if re.Coverage != st.Coverage || re.Snapshot.Version() != st.Snapshot.Version() || re.Snapshot.Len() != st.Snapshot.Len() {
		t.Fatalf("identical sites: coverage reused %v, version %d (want %d), %d sites (want %d)",
			re.Coverage == st.Coverage, re.Snapshot.Version(), st.Snapshot.Version(), re.Snapshot.Len(), st.Snapshot.Len())
	}
	if re.Store == st.Store {
		t.Fatal("the reusing state writes to the computed state's store")
	}
	if _, err := re.Store.ReplaceCarrier("viettel", nil); err != nil {
		t.Fatal(err)
	}
	if st.Store.Version() != re.Snapshot.Version() || st.Snapshot.Len() != re.Snapshot.Len() {
		t.Fatalf("a write to the reusing state's store shows in the computed state: store v%d, %d sites", st.Store.Version(), st.Snapshot.Len())
	}

	weaker := slices.Clone(sites)
	mid := &weaker[len(weaker)/2]
	*mid = cloneSite(mid) // its own sectors: sites share them with st's store
	mid.Sectors[0].PowerDBm -= 3
	cases := []struct {
		name  string
		eng   *coverage.Engine
		sites []data.Site
		minV  uint64
		reuse bool
	}{
		{"identical", st.Engine, sites, 0, true},
		{"a sector's power", st.Engine, weaker, 0, false},
		{"a site fewer", st.Engine, sites[1:], 0, false},
		{"a later version", st.Engine, sites, st.Snapshot.Version() + 1, false},
		{"another engine", new(coverage.Engine), sites, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := openStore(st.Engine.Reach, tc.sites, tc.minV)
			if err != nil {
				t.Fatal(err)
			}
			got := st.reuse(tc.eng, s.Snapshot())
			if (got != nil) != tc.reuse || (got != nil && got != st.Coverage) {
				t.Fatalf("reuse: %v, want reused %v", got != nil, tc.reuse)
			}
			if (*State)(nil).reuse(tc.eng, s.Snapshot()) != nil {
				t.Fatal("a nil state reused")
			}
		})
	}
}
