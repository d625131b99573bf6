package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A first start computes the regions its database lacks to serve them (their statistics and the
// map's first layers: a partial result) before their complete results are stored. Replicas
// starting together share that work region by region through region_partials: each queues the
// regions it lacks (QueueRegionPartials), claims one at a time (ClaimRegionPartial), computes it,
// stores its partial result (PutRegionPartial), and assembles the regions the others stored
// (RegionPartials, RegionPartial). A claim whose replica stops renewing it is taken again once
// its lease has run out.

// RegionClaim is one region a replica holds to compute its partial result.
type RegionClaim struct {
	RegionKey
	Worker     string
	Attempts   int // times taken
	LeaseUntil time.Time
}

// PartialState is one region_partials row as listed: done when its partial result is stored.
type PartialState struct {
	RegionKey
	Done       bool
	Worker     string
	Attempts   int
	LeaseUntil time.Time // zero when queued or done
}

// QueueRegionPartials queues keys (regions without a stored result) for claiming, in one
// transaction; a key already queued, claimed or done is left as it is.
func (db *DB) QueueRegionPartials(ctx context.Context, keys []RegionKey) error {
	for _, k := range keys {
		if err := checkRegionKey(k); err != nil {
			return err
		}
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return fmt.Errorf("persist: queue partials: %w", err)
	}
	defer tx.Rollback()
	now := timeText(db.clock())
	st, err := tx.PrepareContext(ctx, `INSERT INTO region_partials (fingerprint, region, inputs, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return db.full(fmt.Errorf("persist: queue partials: %w", err))
	}
	defer st.Close()
	for _, k := range keys {
		if _, err := st.ExecContext(ctx, k.Fingerprint, k.Region, k.Inputs, now, now); err != nil {
			return db.full(fmt.Errorf("persist: queue the partial of region %d: %w", k.Region, err))
		}
	}
	return db.full(tx.Commit())
}

// ClaimRegionPartial takes, for worker until now + lease, the lowest region of fingerprint whose
// partial result is not stored and that is queued or held by a lease run out, among those
// inputs names: inputs[ri] is the inputs of region ri wanted ("" or past the end: not wanted).
// ok is false when none is left to take. On PostgreSQL several replicas claim at once without
// waiting for each other (SELECT … FOR UPDATE SKIP LOCKED); on SQLite claims run one at a time.
func (db *DB) ClaimRegionPartial(ctx context.Context, fingerprint string, inputs []string, worker string, lease time.Duration) (c RegionClaim, ok bool, err error) {
	if worker == "" || lease <= 0 {
		return c, false, fmt.Errorf("%w: a claim needs a worker name and a lease > 0", ErrInvalid)
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return c, false, fmt.Errorf("persist: claim: %w", err)
	}
	defer tx.Rollback()
	now := db.clock()
	q := `SELECT region, inputs, attempts FROM region_partials
		WHERE fingerprint = ? AND (region > ? OR (region = ? AND inputs > ?)) AND summary IS NULL
		AND (lease_until IS NULL OR lease_until < ?) ORDER BY region, inputs LIMIT 1`
	if db.backend == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	// past a row of a region not wanted, or of another list's inputs (a region has a row of each)
	afterRegion, afterInputs := -1, ""
	for {
		err = tx.QueryRowContext(ctx, q, fingerprint, afterRegion, afterRegion, afterInputs, timeText(now)).Scan(&c.Region, &c.Inputs, &c.Attempts)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return c, false, nil
		case err != nil:
			return c, false, fmt.Errorf("persist: claim: %w", err)
		}
		if c.Region < len(inputs) && inputs[c.Region] == c.Inputs {
			break
		}
		afterRegion, afterInputs = c.Region, c.Inputs
	}
	c.Fingerprint, c.Worker, c.LeaseUntil, c.Attempts = fingerprint, worker, now.Add(lease), c.Attempts+1
	if _, err := tx.ExecContext(ctx, `UPDATE region_partials SET worker = ?, lease_until = ?, attempts = ?, updated_at = ?
		WHERE fingerprint = ? AND region = ? AND inputs = ?`, worker, timeText(c.LeaseUntil), c.Attempts, timeText(now),
		fingerprint, c.Region, c.Inputs); err != nil {
		return c, false, db.full(fmt.Errorf("persist: claim: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return c, false, db.full(fmt.Errorf("persist: claim: %w", err))
	}
	return c, true, nil
}

// RenewRegionPartial extends c's lease to now + lease while c.Worker holds it and its partial
// result is not stored; ErrJobLost when it does not any more.
func (db *DB) RenewRegionPartial(ctx context.Context, c RegionClaim, lease time.Duration) (RegionClaim, error) {
	now := db.clock()
	res, err := db.w.ExecContext(ctx, `UPDATE region_partials SET lease_until = ?, updated_at = ?
		WHERE fingerprint = ? AND region = ? AND inputs = ? AND worker = ? AND summary IS NULL`,
		timeText(now.Add(lease)), timeText(now), c.Fingerprint, c.Region, c.Inputs, c.Worker)
	if err != nil {
		return c, db.full(fmt.Errorf("persist: renew claim: %w", err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return c, fmt.Errorf("%w: the partial of region %d (worker %s)", ErrJobLost, c.Region, c.Worker)
	}
	c.LeaseUntil = now.Add(lease)
	return c, nil
}

// PutRegionPartial stores summary as the partial result of c's region, unless one is stored or
// the region's row is gone (its complete result stored since); c's claim need not be held any
// more: a region's partial result depends only on its key, so whichever replica stores it first
// stores the same bytes.
func (db *DB) PutRegionPartial(ctx context.Context, c RegionClaim, summary []byte) error {
	if err := checkRegionKey(c.RegionKey); err != nil {
		return err
	}
	if len(summary) == 0 {
		return fmt.Errorf("%w: region %d partial result without a summary", ErrInvalid, c.Region)
	}
	now := timeText(db.clock())
	_, err := db.w.ExecContext(ctx, `UPDATE region_partials SET summary = ?, worker = ?, lease_until = NULL, updated_at = ?
		WHERE fingerprint = ? AND region = ? AND inputs = ? AND summary IS NULL`, summary, c.Worker, now,
		c.Fingerprint, c.Region, c.Inputs)
	if err != nil {
		return db.full(fmt.Errorf("persist: the partial of region %d: %w", c.Region, err))
	}
	return nil
}

// RegionPartials lists the region_partials rows of fingerprint, by region and inputs (no
// summary: RegionPartial reads one).
func (db *DB) RegionPartials(ctx context.Context, fingerprint string) ([]PartialState, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT region, inputs, summary IS NOT NULL, worker, attempts, lease_until
		FROM region_partials WHERE fingerprint = ? ORDER BY region, inputs`, fingerprint)
	if err != nil {
		return nil, fmt.Errorf("persist: partials: %w", err)
	}
	defer rows.Close()
	var out []PartialState
	for rows.Next() {
		p := PartialState{RegionKey: RegionKey{Fingerprint: fingerprint}}
		var lease sql.NullString
		if err := rows.Scan(&p.Region, &p.Inputs, &p.Done, &p.Worker, &p.Attempts, &lease); err != nil {
			return nil, fmt.Errorf("persist: partials: %w", err)
		}
		if lease.Valid {
			if p.LeaseUntil, err = parseTime(lease.String); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RegionPartial returns the stored partial result of k; ErrNotFound when none is.
func (db *DB) RegionPartial(ctx context.Context, k RegionKey) ([]byte, error) {
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT summary FROM region_partials WHERE fingerprint = ? AND region = ? AND inputs = ?
		AND summary IS NOT NULL`, k.Fingerprint, k.Region, k.Inputs).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: the partial of region %d (inputs %.12s…)", ErrNotFound, k.Region, k.Inputs)
	}
	if err != nil {
		return nil, fmt.Errorf("persist: the partial of region %d: %w", k.Region, err)
	}
	return b, nil
}
