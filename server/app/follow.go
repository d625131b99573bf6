package app

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"phusong/data/persist"
)

// Replicas: several phusong servers on one PostgreSQL database (persist.OpenURL), behind a
// load balancer. Each serves the state of the lists as of the uploads it has seen, tracked as
// one head per (kind, carrier): the id of the carrier's latest applied upload the served state
// reflects. Sync compares them with the database's heads and brings in another replica's
// uploads through the same incremental path as an upload of one's own (listKind.prepare, then
// Publish); Follow calls Sync every period. A write first Syncs, then computes from the list
// read after its head and commits only if that head is still the carrier's latest
// (persist.Upload.ExpectHead), reading and computing again when another replica won the race:
// no upload is computed from a list that is gone, and an acknowledged upload is committed in
// the database whichever replica serves next.

// headsKey is the key of a.heads: kind and carrier.
type headsKey struct{ kind, carrier string }

// maxStaleRetries is how many times a write recomputes after another writer changed its
// carrier's list between the read and the commit.
const maxStaleRetries = 5

// Follow calls Sync every period until ctx is done, logging its failures (the next period
// tries again); a replica on a shared database runs it to serve the others' uploads.
func (a *App) Follow(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := a.Sync(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("following the database's uploads", slog.String("err", err.Error()))
		} else if n > 0 {
			a.log.Info("served the uploads of another replica", slog.Int("lists", n),
				slog.Uint64("data_version", a.State().Snapshot.Version()))
		}
	}
}

// Sync serves every list whose head in the database is not the one the served state reflects
// (an upload by another process on the same database), through the incremental path uploads
// take, and returns how many lists it brought in. Without a database it does nothing.
func (a *App) Sync(ctx context.Context) (int, error) {
	if a.db == nil {
		return 0, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.syncLocked(ctx)
}

// syncLocked is Sync with a.mu held.
func (a *App) syncLocked(ctx context.Context) (int, error) {
	n := 0
	for _, name := range slices.Sorted(maps.Keys(a.kinds)) {
		k := a.kinds[name]
		heads, err := k.heads(ctx, a.db)
		if err != nil {
			return n, err
		}
		for _, carrier := range slices.Sorted(maps.Keys(heads)) {
			key := headsKey{name, carrier}
			if a.heads[key] == heads[carrier] {
				continue
			}
			if err := k.refresh(ctx, a, carrier); err != nil {
				return n, fmt.Errorf("app: serving the %s of %q at upload %d: %w", name, carrier, heads[carrier], err)
			}
			a.heads[key] = heads[carrier]
			n++
		}
	}
	synced, err := a.syncCalibration(ctx)
	if synced {
		n++
	}
	return n, err
}

// syncCalibration serves the calibration the database says is chosen (another replica's
// ServeCalibration) when the state reflects another one; a.mu is held. A state computed region
// by region keeps its definition (logged once: it has no engine to recompute with; restart it).
func (a *App) syncCalibration(ctx context.Context) (bool, error) {
	if a.calibration < 0 {
		return false, nil
	}
	id, err := a.db.ServedCalibration(ctx)
	if err != nil || id == a.calibration {
		return false, err
	}
	if a.State().Regions != nil {
		a.log.Warn("another replica chose a calibration; a server computing region by region serves it after a restart",
			slog.Int64("calibration_id", id))
		a.calibration = id
		return false, nil
	}
	ns, def, err := a.withCalibration(ctx, id)
	if err != nil {
		return false, fmt.Errorf("app: serving calibration %d chosen by another replica: %w", id, err)
	}
	if err := a.Publish(ns); err != nil {
		return false, err
	}
	a.calibration = id
	a.log.Info("served the calibration another replica chose", slog.Int64("calibration_id", id),
		slog.String("definition_version", def.Version))
	return true, nil
}

// heads implements listOps.
func (k *listKind[T]) heads(ctx context.Context, db *persist.DB) (map[string]int64, error) {
	return persist.For(db, k.kind).Heads(ctx)
}

// refresh implements listOps: it serves owner's current list from the database (read after
// its head, so at least as new), computed incrementally from the served state.
func (k *listKind[T]) refresh(ctx context.Context, a *App, owner string) error {
	list, err := persist.For(a.db, k.kind).Current(ctx, owner)
	if err != nil {
		return err
	}
	ns, _, err := k.prepare(ctx, a.State(), owner, list)
	if err != nil {
		return err
	}
	return a.Publish(ns)
}

// readHeads returns the database's heads of every kind, for a state about to be built from
// lists read after them.
func readHeads(ctx context.Context, db *persist.DB, kinds map[string]listOps) (map[headsKey]int64, error) {
	out := map[headsKey]int64{}
	for name, k := range kinds {
		heads, err := k.heads(ctx, db)
		if err != nil {
			return nil, err
		}
		for c, id := range heads {
			out[headsKey{name, c}] = id
		}
	}
	return out, nil
}
