package persist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRegionPartialClaims: queued regions are claimed lowest first, only those wanted (a row of
// another list's inputs for the same region, and a region not asked for, are passed over); a
// claim with a live lease is not taken again, one run out is (second attempt), and its first
// holder can no longer renew it but may still store the region's partial result (the same bytes
// whoever computes it); a stored partial is read back, listed done and never claimed; storing the
// region's complete result removes its row.
func TestRegionPartialClaims(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var clock atomic.Int64
		t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
		db.now = func() time.Time { return t0.Add(time.Duration(clock.Load())) }
		keys := testKeys("fp", 4)
		other := RegionKey{Fingerprint: "fp", Region: 1, Inputs: strings.Repeat("0", 64)} // sorts first
		if err := db.QueueRegionPartials(ctx, append(slices.Clone(keys), other)); err != nil {
			t.Fatal(err)
		}
		if err := db.QueueRegionPartials(ctx, keys); err != nil { // again: left as they are
			t.Fatal(err)
		}
		inputs := []string{keys[0].Inputs, keys[1].Inputs, keys[2].Inputs} // region 3 not wanted
		a, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, "a", 30*time.Second)
		if err != nil || !ok || a.RegionKey != keys[0] || a.Attempts != 1 {
			t.Fatalf("a's claim: %+v %v %v, want region 0", a, ok, err)
		}
		b, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, "b", 30*time.Second)
		if err != nil || !ok || b.RegionKey != keys[1] {
			t.Fatalf("b's claim: %+v %v %v, want region 1 with its wanted inputs", b, ok, err)
		}
		c, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, "c", 30*time.Second)
		if err != nil || !ok || c.RegionKey != keys[2] {
			t.Fatalf("c's claim: %+v %v %v, want region 2", c, ok, err)
		}
		if err := db.PutRegionPartial(ctx, c, []byte("partial 2")); err != nil {
			t.Fatal(err)
		}
		clock.Store(int64(20 * time.Second))
		if b, err = db.RenewRegionPartial(ctx, b, 30*time.Second); err != nil { // b's lease to 50 s
			t.Fatal(err)
		}
		clock.Store(int64(40 * time.Second))
		d, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, "d", 30*time.Second)
		if err != nil || !ok || d.RegionKey != keys[0] || d.Attempts != 2 {
			t.Fatalf("d's claim after a's lease ran out: %+v %v %v, want region 0 at its second attempt", d, ok, err)
		}
		if _, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, "e", 30*time.Second); ok || err != nil {
			t.Fatalf("a claim while every wanted region is held or done: %v %v", ok, err)
		}
		if _, err := db.RenewRegionPartial(ctx, a, 30*time.Second); !errors.Is(err, ErrJobLost) {
			t.Errorf("renewing a claim taken again: %v, want ErrJobLost", err)
		}
		if err := db.PutRegionPartial(ctx, a, []byte("partial 0")); err != nil {
			t.Fatal(err)
		}
		if err := db.PutRegionPartial(ctx, d, []byte("partial 0, again")); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RenewRegionPartial(ctx, d, 30*time.Second); !errors.Is(err, ErrJobLost) {
			t.Errorf("renewing a claim whose partial is stored: %v, want ErrJobLost", err)
		}
		if got, err := db.RegionPartial(ctx, keys[0]); err != nil || string(got) != "partial 0" {
			t.Errorf("region 0's partial: %q %v, want the first stored", got, err)
		}
		if _, err := db.RegionPartial(ctx, keys[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("region 1's partial before it is stored: %v, want ErrNotFound", err)
		}
		list, err := db.RegionPartials(ctx, "fp")
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, p := range list {
			states = append(states, fmt.Sprintf("%d %s %v %s %d", p.Region, p.Inputs[60:], p.Done, p.Worker, p.Attempts))
		}
		want := []string{"0 " + keys[0].Inputs[60:] + " true a 2", "1 0000 false  0", "1 " + keys[1].Inputs[60:] + " false b 1",
			"2 " + keys[2].Inputs[60:] + " true c 1", "3 " + keys[3].Inputs[60:] + " false  0"}
		if !slices.Equal(states, want) {
			t.Errorf("partials listed\n%q\nwant\n%q", states, want)
		}
		if err := db.PutRegionResult(ctx, testResult(keys[0], "w")); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RegionPartial(ctx, keys[0]); !errors.Is(err, ErrNotFound) {
			t.Errorf("region 0's partial after its complete result was stored: %v, want ErrNotFound (row gone)", err)
		}
		if list, _ := db.RegionPartials(ctx, "fp"); len(list) != 4 {
			t.Errorf("%d rows after region 0's result was stored, want 4", len(list))
		}
	})
}

// TestRegionPartialClaimsConcurrent: many replicas (goroutines on the pool: PostgreSQL claims
// at once, SQLite one at a time) claim and store the partials of 40 regions until none is left:
// every region is claimed exactly once.
func TestRegionPartialClaimsConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		keys := testKeys("fp", 40)
		inputs := make([]string, len(keys))
		for ri, k := range keys {
			inputs[ri] = k.Inputs
		}
		if err := db.QueueRegionPartials(ctx, keys); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		claimed := make([]int, len(keys))
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for {
					c, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, fmt.Sprint("w", w), time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					claimed[c.Region]++
					mu.Unlock()
					if err := db.PutRegionPartial(ctx, c, []byte{byte(c.Region)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for ri, n := range claimed {
			if n != 1 {
				t.Errorf("region %d claimed %d times, want once", ri, n)
			}
		}
	})
}
