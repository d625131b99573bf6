package app

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/store"
)

// TestRegionalUpload serves the demo region by region from a real database and applies a
// carrier's upload (one site moved 4 km) through App.Apply: it is accepted, only some regions
// are computed again, and the served statistics equal those of a state built region by region
// over the new list and those of a whole engine over it, and so are the pockets; what needs the
// whole land raster stays ErrRegional.
func TestRegionalUpload(t *testing.T) {
	st := mustDemo(t)
	db, err := persist.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	in := regionalInput(st)
	a, err := OpenDB(context.Background(), db, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() }) // before db.Close: the results stored in the background
	if a.State().Regions == nil || a.State().Regions.Regions < 10 {
		t.Fatalf("regions %+v: want at least 10", a.State().Regions)
	}
	_, tok, err := db.CreateToken(t.Context(), "viettel", false, "regional")
	if err != nil {
		t.Fatal(err)
	}
	site := *a.State().Snapshot.Sites(store.Filter{Carrier: "viettel"})[0]
	site.Lat += 0.036
	var csv bytes.Buffer
	if err := input.WriteSitesCSV(&csv, []data.Site{site}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(t.Context(), tok, Upload{Kind: "sites", Owner: "viettel", Mode: persist.ModeUpsert,
		Format: FormatCSV, Body: &csv}); err != nil {
		t.Fatal(err)
	}
	got := a.State()
	if n := got.Regions.Recomputed; n == 0 || n >= got.Regions.Regions {
		t.Errorf("%d of %d regions computed again: want some, not all", n, got.Regions.Regions)
	}
	next := sitesOf(got.Snapshot)
	in.Sites = next
	want, err := Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Build(context.Background(), Input{Communes: st.Communes, Sites: next, Coverage: in.Coverage}) // no population grid, as region by region
	if err != nil {
		t.Fatal(err)
	}
	for _, tech := range data.AnalysedTechs {
		g := got.Coverage.CommuneStatsFor(tech)
		if !reflect.DeepEqual(g, want.Coverage.CommuneStatsFor(tech)) {
			t.Errorf("%s: served statistics after the upload differ from computing every region again", tech)
		}
		if !reflect.DeepEqual(g, whole.Coverage.CommuneStatsFor(tech)) {
			t.Errorf("%s: served statistics after the upload differ from a whole engine's", tech)
		}
	}
	gp, err := got.Pockets(data.Tech4G, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	wp, err := whole.Pockets(data.Tech4G, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gp, wp) || len(gp.Pockets) == 0 {
		t.Errorf("pockets after the upload: %d of %g people served, %d of %g people whole", len(gp.Pockets), gp.People, len(wp.Pockets), wp.People)
	}
	if _, err := got.Density(); err != ErrRegional {
		t.Errorf("the density image of a regional state: %v, want ErrRegional", err)
	}
}
