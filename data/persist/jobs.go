package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Job states of region_jobs.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
)

// ErrJobLost: a worker renewed or finished a job it no longer holds (its lease ran out and
// another worker took the job, or the job is done).
var ErrJobLost = errors.New("persist: the job is no longer this worker's")

// RegionJob is one region of one data version to compute.
type RegionJob struct {
	RegionKey
	DataVersion string
	State       string // JobQueued, JobRunning, JobDone
	Attempts    int    // times taken
	Worker      string // the last worker that took it
	LeaseUntil  time.Time
}

// EnqueueRegionJobs queues, for data version version, the regions of keys (each its
// fingerprint, region and inputs), in one transaction; a job of that version and key already
// queued or running is left as it is, and so is a done one whose result is stored; a done one
// whose result is not (removed since) is queued again. Jobs of the same region with other inputs
// are other jobs. It returns how many jobs were added or queued again.
func (db *DB) EnqueueRegionJobs(ctx context.Context, version string, keys []RegionKey) (int, error) {
	for _, k := range keys {
		if err := checkRegionKey(k); err != nil {
			return 0, err
		}
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return 0, fmt.Errorf("persist: enqueue: %w", err)
	}
	defer tx.Rollback()
	now := timeText(db.clock())
	st, err := tx.PrepareContext(ctx, `INSERT INTO region_jobs (fingerprint, data_version, region, inputs, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (fingerprint, data_version, region, inputs)
		DO UPDATE SET state = 'queued', worker = '', lease_until = NULL, updated_at = excluded.updated_at
		WHERE region_jobs.state = 'done' AND NOT EXISTS (SELECT 1 FROM region_results r
			WHERE r.fingerprint = excluded.fingerprint AND r.region = excluded.region AND r.inputs = excluded.inputs)`)
	if err != nil {
		return 0, db.full(fmt.Errorf("persist: enqueue: %w", err))
	}
	defer st.Close()
	added := 0
	for _, k := range keys {
		res, err := st.ExecContext(ctx, k.Fingerprint, version, k.Region, k.Inputs, now, now)
		if err != nil {
			return 0, db.full(fmt.Errorf("persist: enqueue region %d: %w", k.Region, err))
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, db.full(tx.Commit())
}

// ClaimRegionJob takes the oldest job of fingerprint that is queued, or running with its lease
// run out (its worker died or stopped renewing), for worker until now + lease; ok is false when
// none is left. On PostgreSQL several workers claim at once without waiting for each other
// (SELECT … FOR UPDATE SKIP LOCKED); on SQLite claims run one at a time (BEGIN IMMEDIATE).
func (db *DB) ClaimRegionJob(ctx context.Context, fingerprint, worker string, lease time.Duration) (job RegionJob, ok bool, err error) {
	if worker == "" || lease <= 0 {
		return job, false, fmt.Errorf("%w: a job needs a worker name and a lease > 0", ErrInvalid)
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return job, false, fmt.Errorf("persist: claim: %w", err)
	}
	defer tx.Rollback()
	now := db.clock()
	q := `SELECT fingerprint, data_version, region, inputs, attempts FROM region_jobs
		WHERE fingerprint = ? AND (state = 'queued' OR (state = 'running' AND lease_until < ?))
		ORDER BY created_at, region LIMIT 1`
	if db.backend == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	err = tx.QueryRowContext(ctx, q, fingerprint, timeText(now)).Scan(&job.Fingerprint, &job.DataVersion, &job.Region,
		&job.Inputs, &job.Attempts)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return job, false, nil
	case err != nil:
		return job, false, fmt.Errorf("persist: claim: %w", err)
	}
	job.State, job.Worker, job.LeaseUntil, job.Attempts = JobRunning, worker, now.Add(lease), job.Attempts+1
	if _, err := tx.ExecContext(ctx, `UPDATE region_jobs SET state = 'running', worker = ?, lease_until = ?, attempts = ?,
		updated_at = ? WHERE fingerprint = ? AND data_version = ? AND region = ? AND inputs = ?`, worker, timeText(job.LeaseUntil), job.Attempts,
		timeText(now), job.Fingerprint, job.DataVersion, job.Region, job.Inputs); err != nil {
		return job, false, db.full(fmt.Errorf("persist: claim: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return job, false, db.full(fmt.Errorf("persist: claim: %w", err))
	}
	return job, true, nil
}

// RenewRegionJob extends job's lease to now + lease while job.Worker holds it; ErrJobLost when
// it does not any more.
func (db *DB) RenewRegionJob(ctx context.Context, job RegionJob, lease time.Duration) (RegionJob, error) {
	now := db.clock()
	res, err := db.w.ExecContext(ctx, `UPDATE region_jobs SET lease_until = ?, updated_at = ?
		WHERE fingerprint = ? AND data_version = ? AND region = ? AND inputs = ? AND state = 'running' AND worker = ?`,
		timeText(now.Add(lease)), timeText(now), job.Fingerprint, job.DataVersion, job.Region, job.Inputs, job.Worker)
	if err != nil {
		return job, db.full(fmt.Errorf("persist: renew job: %w", err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return job, fmt.Errorf("%w: region %d of %s (worker %s)", ErrJobLost, job.Region, job.DataVersion, job.Worker)
	}
	job.LeaseUntil = now.Add(lease)
	return job, nil
}

// FinishRegionJob stores r (job's result) and marks job done, in one transaction, while
// job.Worker holds it; ErrJobLost (nothing stored) when it does not any more.
func (db *DB) FinishRegionJob(ctx context.Context, job RegionJob, r RegionResult) error {
	if r.RegionKey != job.RegionKey {
		return fmt.Errorf("%w: the result of region %d is not job %d's", ErrInvalid, r.Region, job.Region)
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return fmt.Errorf("persist: finish job: %w", err)
	}
	defer tx.Rollback()
	now := db.clock()
	res, err := tx.ExecContext(ctx, `UPDATE region_jobs SET state = 'done', lease_until = NULL, updated_at = ?
		WHERE fingerprint = ? AND data_version = ? AND region = ? AND inputs = ? AND state = 'running' AND worker = ?`,
		timeText(now), job.Fingerprint, job.DataVersion, job.Region, job.Inputs, job.Worker)
	if err != nil {
		return db.full(fmt.Errorf("persist: finish job: %w", err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("%w: region %d of %s (worker %s)", ErrJobLost, job.Region, job.DataVersion, job.Worker)
	}
	if err := putRegionResultTx(ctx, tx, r, now); err != nil {
		return db.full(err)
	}
	return db.full(tx.Commit())
}

// RegionJobs returns the jobs of fingerprint and data version version, by region (a region
// queued with several inputs has a job for each).
func (db *DB) RegionJobs(ctx context.Context, fingerprint, version string) ([]RegionJob, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT fingerprint, data_version, region, inputs, state, attempts, worker, lease_until
		FROM region_jobs WHERE fingerprint = ? AND data_version = ? ORDER BY region, created_at, inputs`, fingerprint, version)
	if err != nil {
		return nil, fmt.Errorf("persist: jobs: %w", err)
	}
	defer rows.Close()
	var out []RegionJob
	for rows.Next() {
		var j RegionJob
		var lease sql.NullString
		if err := rows.Scan(&j.Fingerprint, &j.DataVersion, &j.Region, &j.Inputs, &j.State, &j.Attempts, &j.Worker, &lease); err != nil {
			return nil, fmt.Errorf("persist: jobs: %w", err)
		}
		if lease.Valid {
			if j.LeaseUntil, err = parseTime(lease.String); err != nil {
				return nil, err
			}
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
