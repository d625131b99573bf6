package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"phusong/data/persist"
	"phusong/data/testenv"
)

// TestReplicasStartTogether, on a real PostgreSQL and on SQLite: two Apps (two replicas, two
// database handles) start together on one empty database, region by region. They share the
// regions — each computes some (none twice: no claim went stale) and assembles the other's
// partial results — and both serve the statistics and layers of a single process exactly. Once
// both are closed (their background storing done), a start on the same database computes nothing.
func TestReplicasStartTogether(t *testing.T) {
	in, want := regionalDemo(t)
	for _, b := range []persist.Backend{persist.Postgres, persist.SQLite} {
		t.Run(string(b), func(t *testing.T) {
			ctx := t.Context()
			db1, db2 := openTwice(t, b)
			seedVersion(t, db1, in)
			apps := make([]*App, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for n, db := range []*persist.DB{db1, db2} {
				wg.Go(func() { apps[n], errs[n] = OpenDB(ctx, db, in, nil) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			n := apps[0].regions.Len()
			total := 0
			for k, a := range apps {
				rep := a.regions.start
				t.Logf("replica %d: %+v", k, rep)
				if rep.Computed == 0 || rep.Retaken != 0 || rep.Stored != 0 || rep.Computed+rep.Partial+rep.Later != n {
					t.Errorf("replica %d: %+v, want a share of the %d regions computed, the rest from the other", k, rep, n)
				}
				total += rep.Computed
				sameResult(t, a.State().Coverage, want.Coverage)
			}
			if total != n {
				t.Errorf("%d regions computed in all, want %d (each once)", total, n)
			}
			for _, a := range apps {
				if err := a.Close(); err != nil {
					t.Fatal(err)
				}
			}
			again, err := OpenDB(ctx, db2, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if rep := again.regions.start; rep.Stored != n || rep.Computed != 0 {
				t.Errorf("a start after both: %+v, want every region stored, none computed", rep)
			}
			sameResult(t, again.State().Coverage, want.Coverage)
		})
	}
}

// TestReplicaKilledMidClaim, on a real PostgreSQL and on SQLite: a replica starting on an empty
// database is killed (its context cancelled) while it holds a region's claim. Another replica
// then starts, computes every region not claimed, takes the partial results the killed one
// stored, and waits for the claimed region; once that claim's lease has run out (ended by the
// test, not waited for), it claims the region again and computes it. Nothing is lost: it serves
// a single process's result exactly, and after its background storing a start computes nothing.
func TestReplicaKilledMidClaim(t *testing.T) {
	testenv.Heavy(t, "two starts of the demo region by region on two databases; TestReplicasStartTogether runs in a quick run")
	in, want := regionalDemo(t)
	for _, b := range []persist.Backend{persist.Postgres, persist.SQLite} {
		t.Run(string(b), func(t *testing.T) {
			ctx := t.Context()
			db1, db2 := openTwice(t, b)
			seedVersion(t, db1, in)
			probe, err := NewRegions(db1, in, "probe", nil)
			if err != nil {
				t.Fatal(err)
			}
			fp, n := probe.Fingerprint(), probe.Len()
			claimed := func() (held []persist.PartialState, done int) {
				rows, err := db1.RegionPartials(ctx, fp)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range rows {
					switch {
					case p.Done:
						done++
					case p.Worker != "":
						held = append(held, p)
					}
				}
				return held, done
			}

			kctx, kill := context.WithCancel(ctx)
			killed := make(chan error, 1)
			go func() {
				a, err := OpenDB(kctx, db1, in, nil)
				if a != nil {
					a.Close()
				}
				killed <- err
			}()
			for held, _ := claimed(); len(held) == 0; held, _ = claimed() {
				time.Sleep(time.Millisecond)
			}
			kill()
			if err := <-killed; !errors.Is(err, context.Canceled) {
				t.Fatalf("the killed replica's start returned %v, want context.Canceled", err)
			}
			held, stored := claimed()
			if len(held) == 0 { // it stored its region's partial result as it was killed: hold one as it would
				wanted := make([]string, n)
				keys, _ := probe.keys(in.Sites)
				for ri, k := range keys {
					wanted[ri] = k.Inputs
				}
				if _, ok, err := db1.ClaimRegionPartial(ctx, fp, wanted, "killed", time.Hour); err != nil || !ok {
					t.Fatalf("holding a claim: %v %v", ok, err)
				}
				held, stored = claimed()
			}
			t.Logf("the killed replica stored %d partial results and held %d claims", stored, len(held))

			started := make(chan error, 1)
			var a *App
			go func() {
				var err error
				a, err = OpenDB(ctx, db2, in, nil)
				started <- err
			}()
			for _, done := claimed(); done < n-len(held); _, done = claimed() { // every other region
				time.Sleep(10 * time.Millisecond)
			}
			select {
			case err := <-started:
				t.Fatalf("the start finished (%v) while a region was claimed by the killed replica", err)
			default:
			}
			for _, p := range held { // the killed replica's leases end now
				c := persist.RegionClaim{RegionKey: p.RegionKey, Worker: p.Worker}
				if _, err := db2.RenewRegionPartial(ctx, c, 0); errors.Is(err, persist.ErrJobLost) {
					// a loaded machine: the lease (DefaultJobLease) ran out on the real clock
					// first, and the region was claimed again already
					t.Logf("region %d: claimed again before the test ended its lease", p.Region)
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if err := <-started; err != nil {
				t.Fatal(err)
			}
			rep := a.regions.start
			t.Logf("the second replica: %+v", rep)
			if rep.Retaken != len(held) || rep.Partial != stored || rep.Computed != n-stored {
				t.Errorf("the second replica: %+v, want %d regions computed (%d claimed again), %d taken from the killed one",
					rep, n-stored, len(held), stored)
			}
			sameResult(t, a.State().Coverage, want.Coverage)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if n := storedRegions(t, probe, in); n != probe.Len() {
				t.Errorf("after the second replica's background storing: %d of %d regions stored", n, probe.Len())
			}
			if rows, _ := db1.RegionPartials(ctx, fp); len(rows) != 0 {
				t.Errorf("%d partial results left once every complete result is stored", len(rows))
			}
		})
	}
}

// TestStartTakesResultsStoredMeanwhile, on a real PostgreSQL and on SQLite: a start finds every
// region but the last claimed by another replica that stays alive (long leases) and computes
// the last one itself; a worker then computes every region's complete result (region_jobs), and
// the start, polling, takes those of the claimed regions (their partial rows gone) instead of
// waiting for the claims: it serves a single process's result exactly.
func TestStartTakesResultsStoredMeanwhile(t *testing.T) {
	testenv.Heavy(t, "a start and a worker of the demo region by region on two databases; TestReplicasStartTogether runs in a quick run")
	in, want := regionalDemo(t)
	for _, b := range []persist.Backend{persist.Postgres, persist.SQLite} {
		t.Run(string(b), func(t *testing.T) {
			ctx := t.Context()
			db1, db2 := openTwice(t, b)
			version := seedVersion(t, db1, in)
			worker, err := NewRegions(db1, in, "worker", nil)
			if err != nil {
				t.Fatal(err)
			}
			fp, n := worker.Fingerprint(), worker.Len()
			keys, err := worker.keys(in.Sites)
			if err != nil {
				t.Fatal(err)
			}
			if err := db1.QueueRegionPartials(ctx, keys); err != nil {
				t.Fatal(err)
			}
			wanted := make([]string, n)
			for ri, k := range keys[:n-1] {
				wanted[ri] = k.Inputs
			}
			for range n - 1 {
				if _, ok, err := db1.ClaimRegionPartial(ctx, fp, wanted, "holder", time.Hour); err != nil || !ok {
					t.Fatalf("holding a claim: %v %v", ok, err)
				}
			}
			started := make(chan error, 1)
			var a *App
			go func() {
				var err error
				a, err = OpenDB(ctx, db2, in, nil)
				started <- err
			}()
			for { // the start computed the last region: it is filling
				if p, err := db1.RegionPartial(ctx, keys[n-1]); err == nil && p != nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := worker.Enqueue(ctx, version, in.Sites); err != nil {
				t.Fatal(err)
			}
			if _, err := worker.Work(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-started; err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if rep := a.regions.start; rep.Computed != 1 || rep.Later != n-1 || rep.Partial != 0 {
				t.Errorf("the start: %+v, want the last region computed and the others' complete results taken", rep)
			}
			sameResult(t, a.State().Coverage, want.Coverage)
		})
	}
}
