package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/testenv"
)

// storedRegions returns how many regions of sites r's database holds a result for.
func storedRegions(t *testing.T, r *Regions, in Input) int {
	t.Helper()
	keys, err := r.keys(in.Sites)
	if err != nil {
		t.Fatal(err)
	}
	_, missing, err := r.stored(t.Context(), keys)
	if err != nil {
		t.Fatal(err)
	}
	return len(keys) - len(missing)
}

// regionGrid is the grid of the tests that serve the demo region by region from a database:
// regions of 48 × 48 cells of 200 m, or in a quick make test (data/testenv) 24 × 24 cells of
// 400 m — the same 9.6 km regions, as many, with a quarter of the cells to compute.
func regionGrid() (o coverage.Options, regionCells int) {
	side := testenv.Size(48, 24)
	return coverage.Options{CellM: 9600 / float64(side)}, side * side
}

// regionalInput is the demo's input served region by region (regionGrid).
func regionalInput(st *State) Input {
	in := Input{Communes: st.Communes, Carriers: st.Carriers, Sites: sitesOf(st.Snapshot)}
	in.Coverage, in.RegionCells = regionGrid()
	return in
}

// regionalWant is the state a single process builds from regionalInput, built once: the tests
// that compare a database's result with it only read it.
var regionalWant = sync.OnceValues(func() (*State, error) {
	st, err := demoState()
	if err != nil {
		return nil, err
	}
	return Build(context.Background(), regionalInput(st))
})

// regionalDemo returns regionalInput (a fresh copy of the sites) and regionalWant.
func regionalDemo(t *testing.T) (Input, *State) {
	t.Helper()
	in := regionalInput(mustDemo(t))
	want, err := regionalWant()
	if err != nil {
		t.Fatal(err)
	}
	return in, want
}

// seedVersion seeds db with in's sites unless it holds a list, and returns the data version of
// its lists.
func seedVersion(t *testing.T, db *persist.DB, in Input) string {
	t.Helper()
	if _, err := db.Sites().SeedIfEmpty(t.Context(), in.Sites, "synthetic"); err != nil {
		t.Fatal(err)
	}
	heads, err := db.Sites().Heads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return persist.DataVersion(heads)
}

// TestFirstStartServesBeforeStoring, on SQLite and on a real PostgreSQL (SQLite alone in a quick
// make test: regionBackends): a first start on a database computes what it serves (statistics
// and the map's first layers) without waiting for the regions' results to be stored. Every region job is held by another worker (a long lease),
// so nothing can be stored while the app opens: it still opens, serving the statistics and the
// layers of a single process's region-by-region computation, with no region stored. Once that
// worker is gone (its lease run out), the background storing takes the jobs and stores every
// region, and a start on the same database then computes nothing.
func TestFirstStartServesBeforeStoring(t *testing.T) {
	in, want := regionalDemo(t)
	for _, b := range regionBackends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := t.Context()
			db, _ := openTwice(t, b)
			version := seedVersion(t, db, in)
			holder, err := NewRegions(db, in, "holder", nil)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := holder.keys(in.Sites)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.EnqueueRegionJobs(ctx, version, keys); err != nil {
				t.Fatal(err)
			}
			var held []persist.RegionJob
			for range keys { // the holder takes every job and computes none
				job, ok, err := db.ClaimRegionJob(ctx, holder.Fingerprint(), "holder", time.Hour)
				if err != nil || !ok {
					t.Fatalf("claiming: %v, %v", ok, err)
				}
				held = append(held, job)
			}

			a, err := OpenDB(ctx, db, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := storedRegions(t, holder, in); n != 0 {
				t.Errorf("%d regions stored while another worker held every job", n)
			}
			sameResult(t, a.State().Coverage, want.Coverage)
			for _, job := range held { // the holder's leases end now
				if _, err := db.RenewRegionJob(ctx, job, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Close(); err != nil { // waits for the background storing, which takes the jobs now
				t.Fatal(err)
			}
			if n := storedRegions(t, holder, in); n != holder.Len() {
				t.Errorf("after the first start's background storing: %d of %d regions stored", n, holder.Len())
			}

			again, _, rep, err := holder.Assemble(ctx, version, in.Sites)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Stored != holder.Len() || rep.Computed != 0 {
				t.Errorf("a start after the first: %+v, want every region stored, none computed", rep)
			}
			sameResult(t, again, want.Coverage)
		})
	}
}

// TestStartStoppedWhileStoring: a first start, which begins storing once it gave the map's first
// layer, stopped (its context cancelled, as serve's on a signal) after it stored some regions' results in the background, not all, leaves a database
// the next start completes: that start computes only the missing regions for serving, serves the
// single process's result, and stores the rest; a third start finds every region stored.
func TestStartStoppedWhileStoring(t *testing.T) {
	in, want := regionalDemo(t)
	db, err := persist.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, stop := context.WithCancel(t.Context())
	a, err := OpenDB(ctx, db, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := a.regions
	// the storing starts once the map's first layer is given
	if _, _, err := a.State().Layer(LayerRequest{Kind: LayerCoverage, Carrier: coverage.AnyCarrier, Tech: "4G", Zoom: 9}); err != nil {
		t.Fatal(err)
	}
	for storedRegions(t, r, in) == 0 {
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	first := storedRegions(t, r, in)
	if first == 0 || first == r.Len() {
		t.Fatalf("the stopped start stored %d of %d regions: want some, not all", first, r.Len())
	}

	a, err = OpenDB(t.Context(), db, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := storedRegions(t, r, in); n < first {
		t.Errorf("the next start found %d regions stored, fewer than the %d stored before", n, first)
	}
	sameResult(t, a.State().Coverage, want.Coverage)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := storedRegions(t, r, in); n != r.Len() {
		t.Fatalf("after the next start: %d of %d regions stored", n, r.Len())
	}
	version := seedVersion(t, db, in)
	jobs, err := db.RegionJobs(t.Context(), r.Fingerprint(), version)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.State != persist.JobDone {
			t.Errorf("region %d: job %s after the next start, want done", j.Region, j.State)
		}
	}
	third, _, rep, err := r.Assemble(t.Context(), version, in.Sites)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != r.Len() || rep.Computed != 0 {
		t.Errorf("third start: %+v, want every region stored, none computed", rep)
	}
	sameResult(t, third, want.Coverage)
}
