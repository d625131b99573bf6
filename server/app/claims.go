package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"phusong/data/coverage"
	"phusong/data/persist"
)

// StartReport says how a start through the database filled its regions (openRegions).
type StartReport struct {
	Regions  int // in the plan
	Stored   int // complete results found at start
	Computed int // claimed and computed here
	Retaken  int // of Computed, claims another replica had held until their lease ran out
	Partial  int // taken from the partial results other replicas stored
	Later    int // complete results stored by others while this start filled its regions
}

// fillClaimed returns the fill of a start's regions that the database lacks (keys: every
// region's key; the regions already in f are stored): the missing regions are queued as claims
// (region_partials), this process claims one at a time (another replica starting together claims
// others: FOR UPDATE SKIP LOCKED on PostgreSQL), computes it for serving, holding its claim by
// renewing the lease, and stores its partial result for the others; meanwhile it takes the
// partial results the others stored, and any complete result stored since, and polls while every
// region left is claimed by a live replica. A claim whose replica died (its lease run out) is
// claimed again. Alone on its database (SQLite, or one replica) it computes every missing region,
// as ServeAssembled does, storing their partial results on the way.
func (r *Regions) fillClaimed(ctx context.Context, keys []persist.RegionKey, rep *StartReport) func(*coverage.RegionFill) error {
	return func(f *coverage.RegionFill) error {
		missing := f.Missing()
		if len(missing) == 0 {
			return nil
		}
		queued := make([]persist.RegionKey, len(missing))
		wanted := make([]string, len(keys)) // the inputs of each region still to fill ("" once filled)
		for n, ri := range missing {
			queued[n], wanted[ri] = keys[ri], keys[ri].Inputs
		}
		if err := r.db.QueueRegionPartials(ctx, queued); err != nil {
			return err
		}
		for {
			if err := r.takeOthers(ctx, f, keys, wanted, rep); err != nil {
				return err
			}
			if len(f.Missing()) == 0 {
				return nil
			}
			c, ok, err := r.db.ClaimRegionPartial(ctx, r.fp, wanted, r.worker, r.lease)
			if err != nil {
				return err
			}
			if !ok { // every region left is another live replica's: wait for its partial result
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(r.poll):
				}
				continue
			}
			if err := r.computeClaimed(ctx, f, c); err != nil {
				return err
			}
			wanted[c.Region] = ""
			rep.Computed++
			if c.Attempts > 1 {
				rep.Retaken++
			}
		}
	}
}

// computeClaimed computes claim c's region into f, renewing the claim's lease meanwhile, and
// stores its partial result. A claim lost meanwhile (its lease ran out and another replica took
// the region) does not stop the computation: both compute the same result, and the first stored
// is kept.
func (r *Regions) computeClaimed(ctx context.Context, f *coverage.RegionFill, c persist.RegionClaim) error {
	stop := r.renewing(ctx, func(ctx context.Context) error {
		var err error
		c, err = r.db.RenewRegionPartial(ctx, c, r.lease)
		return err
	}, func(err error) {
		r.log.Warn("a region's claim was lost while it was computed", slog.Int("region", c.Region), slog.String("err", err.Error()))
	})
	err := f.Compute(ctx, c.Region)
	stop()
	if err != nil {
		return err
	}
	b, err := f.Partial(c.Region)
	if err != nil {
		return err
	}
	return r.db.PutRegionPartial(context.WithoutCancel(ctx), c, b)
}

// takeOthers fills f with the regions other replicas stored since: partial results, and
// complete results (their partial rows then gone); wanted is updated as in fillClaimed.
func (r *Regions) takeOthers(ctx context.Context, f *coverage.RegionFill, keys []persist.RegionKey, wanted []string, rep *StartReport) error {
	rows, err := r.db.RegionPartials(ctx, r.fp)
	if err != nil {
		return err
	}
	done := map[persist.RegionKey]bool{} // present: a row; true: its partial result stored
	for _, p := range rows {
		done[p.RegionKey] = p.Done
	}
	var gone []persist.RegionKey
	for _, ri := range f.Missing() {
		isDone, present := done[keys[ri]]
		switch {
		case !present:
			gone = append(gone, keys[ri])
		case isDone:
			b, err := r.db.RegionPartial(ctx, keys[ri])
			if errors.Is(err, persist.ErrNotFound) {
				continue // its complete result replaced it just now: taken next time
			}
			if err == nil {
				err = f.AddPartial(ri, b)
			}
			if err != nil {
				return err
			}
			wanted[ri] = ""
			rep.Partial++
		}
	}
	if len(gone) == 0 {
		return nil
	}
	sums, _, err := r.stored(ctx, keys)
	if err != nil {
		return err
	}
	var lost []persist.RegionKey // neither a row nor a result: queued again
	for _, k := range gone {
		if sums[k.Region] == nil {
			lost = append(lost, k)
			continue
		}
		if err := f.AddSummary(k.Region, sums[k.Region]); err != nil {
			return err
		}
		wanted[k.Region] = ""
		rep.Later++
	}
	if len(lost) > 0 {
		return r.db.QueueRegionPartials(ctx, lost)
	}
	return nil
}

// renewing calls renew every third of the lease until stop is called or ctx is done; when renew
// fails (ctx not done), it calls lost with the error and stops renewing. stop waits for the
// renewals to end and returns renew's error, if it failed.
func (r *Regions) renewing(ctx context.Context, renew func(context.Context) error, lost func(error)) (stop func() error) {
	done, result := make(chan struct{}), make(chan error, 1)
	go func() {
		t := time.NewTicker(r.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				result <- nil
				return
			case <-ctx.Done():
				result <- nil
				return
			case <-t.C:
				if err := renew(ctx); err != nil && ctx.Err() == nil {
					lost(err)
					result <- err
					return
				}
			}
		}
	}()
	return func() error {
		close(done)
		return <-result
	}
}
