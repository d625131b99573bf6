package app

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
)

// TestRegionJobs, on SQLite and on a real PostgreSQL: a worker is killed (its context
// cancelled) in the middle of a region job; two workers (two database handles, as two
// processes) then take the jobs until none is left; the killed worker's job is taken again once
// its lease has run out (by one of them, or by Assemble, which waits for it). Every region is done exactly once
// (one attempt, the killed one two), and the assembled result equals a single process's
// region-by-region computation exactly: per-commune and whole-area statistics (DeepEqual), the
// any-carrier and a carrier's layers. A second start on the same database computes nothing.
func TestRegionJobs(t *testing.T) {
	in, want := regionalDemo(t)
	sites := in.Sites
	for _, b := range []persist.Backend{persist.SQLite, persist.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			ctx := t.Context()
			db1, db2 := openTwice(t, b)
			if _, err := db1.Sites().SeedIfEmpty(ctx, sites, "synthetic"); err != nil {
				t.Fatal(err)
			}
			heads, err := db1.Sites().Heads(ctx)
			if err != nil {
				t.Fatal(err)
			}
			version := persist.DataVersion(heads)
			r0, err := NewRegions(db1, in, "killed", nil)
			if err != nil {
				t.Fatal(err)
			}
			r0.WithLease(time.Second)
			// the live workers hold their jobs long: on a loaded machine (-race, load 25) a
			// renewal every 10 s of the default lease was once late and a job was taken twice
			r1, _ := NewRegions(db1, in, "w1", nil)
			r2, _ := NewRegions(db2, in, "w2", nil)
			r1.WithLease(5 * time.Minute)
			r2.WithLease(5 * time.Minute)
			if r1.Fingerprint() != r0.Fingerprint() || r2.Fingerprint() != r0.Fingerprint() {
				t.Fatal("the same inputs give different fingerprints")
			}
			n := r0.Len()
			if n < 10 {
				t.Fatalf("%d regions: want at least 10", n)
			}
			keys, err := r0.keys(sites)
			if err != nil {
				t.Fatal(err)
			}
			if q, err := db1.EnqueueRegionJobs(ctx, version, keys); err != nil || q != n {
				t.Fatalf("queued %d (%v), want %d", q, err, n)
			}

			// the killed worker: cancelled once it holds a job
			kctx, kill := context.WithCancel(ctx)
			killed := make(chan error, 1)
			go func() { _, err := r0.Work(kctx); killed <- err }()
			var taken int
			for taken = -1; taken < 0; {
				jobs, err := db1.RegionJobs(ctx, r0.Fingerprint(), version)
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range jobs {
					if j.Worker == "killed" && j.State == persist.JobRunning {
						taken = j.Region
					}
				}
				time.Sleep(time.Millisecond)
			}
			kill()
			if err := <-killed; !errors.Is(err, context.Canceled) {
				t.Fatalf("the killed worker returned %v, want context.Canceled", err)
			}

			var wg sync.WaitGroup
			for _, r := range []*Regions{r1, r2} {
				wg.Go(func() {
					if _, err := r.Work(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got, _, rep, err := r1.Assemble(ctx, version, sites) // waits for the killed job's lease, then takes it
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := db1.RegionJobs(ctx, r0.Fingerprint(), version)
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]int{}
			for _, j := range jobs {
				attempts := 1
				if j.Region == taken {
					attempts = 2
				}
				if j.State != persist.JobDone || j.Attempts != attempts || (j.Worker != "w1" && j.Worker != "w2") {
					t.Errorf("region %d: %s by %s after %d attempts, want done by w1 or w2 after %d", j.Region, j.State, j.Worker, j.Attempts, attempts)
				}
				by[j.Worker]++
			}
			if len(jobs) != n {
				t.Errorf("%d jobs, want %d", len(jobs), n)
			}
			t.Logf("regions by worker %v; the killed worker's region %d; assembling computed %d", by, taken, rep.Computed)
			sameResult(t, got, want.Coverage)

			again, _, rep, err := r2.Assemble(ctx, version, sites)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Stored != n || rep.Computed != 0 || rep.Queued != 0 {
				t.Errorf("second start: %+v, want every region stored, none computed", rep)
			}
			sameResult(t, again, want.Coverage)
		})
	}
}

// sameResult fails t unless got's statistics equal want's exactly and its any-carrier and
// first carrier's coverage layers are the same polygons.
func sameResult(t *testing.T, got, want *coverage.Result) {
	t.Helper()
	for _, tech := range data.AnalysedTechs {
		if !reflect.DeepEqual(got.CommuneStatsFor(tech), want.CommuneStatsFor(tech)) || !reflect.DeepEqual(got.Province(tech), want.Province(tech)) {
			t.Errorf("%s: statistics differ from the single process's", tech)
		}
		for _, c := range []string{coverage.AnyCarrier, want.Carriers()[0]} {
			wl, err := want.Layer(c, tech, 0)
			if err != nil {
				t.Fatal(err)
			}
			gl, err := got.Layer(c, tech, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gl.Polygons, wl.Polygons) {
				t.Errorf("%s %s: layer differs from the single process's", c, tech)
			}
		}
	}
}
