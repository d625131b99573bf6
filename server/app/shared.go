package app

import (
	"reflect"
	"slices"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/store"
)

// reuse returns st's coverage when it is the coverage eng would compute for snap: st was
// computed with eng (not region by region) at snap's version over exactly snap's sites. A
// coverage.Result depends on nothing else and is never changed once made (WithSites makes a new
// one), so any number of States may serve it, each over a store of its own. It returns nil when
// st is nil or differs: the caller computes.
func (st *State) reuse(eng *coverage.Engine, snap *store.Snapshot) *coverage.Result {
	if st == nil || st.Engine != eng || st.Regions != nil || st.Coverage == nil || st.Snapshot == nil ||
		st.Coverage.Version() != snap.Version() || st.Snapshot.Version() != snap.Version() {
		return nil
	}
	same := func(a, b *data.Site) bool { return reflect.DeepEqual(*a, *b) } // every field, sectors too
	if !slices.EqualFunc(st.Snapshot.Sites(store.Filter{}), snap.Sites(store.Filter{}), same) {
		return nil
	}
	return st.Coverage
}
