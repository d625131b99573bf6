package persist

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RegionKey names one region's computed result: the fingerprint of every input besides the
// station lists (communes, definition and calibration, engine options, region size; the
// caller's), the region's index in its plan and the SHA-256 of the sites the region sees.
type RegionKey struct {
	Fingerprint string
	Region      int
	Inputs      string
}

// RegionResult is one region's computed result as stored: an opaque summary and its pieces of
// the coverage layers.
type RegionResult struct {
	RegionKey
	DataVersion string    // the data version it was computed for (DataVersion)
	Worker      string    // who computed it
	CreatedAt   time.Time // set by the store
	Summary     []byte
	Layers      []LayerPiece
}

// LayerPiece is a region's piece of one coverage layer (opaque polygons).
type LayerPiece struct {
	Carrier  string // a carrier id or "any"
	Tech     string
	Tier     int
	Polygons []byte
}

// DataVersion is the canonical name of a version of the station lists: every carrier's head
// (Versioned.Heads), "carrier=upload id" in carrier order, joined by ","; "" when no list was
// ever uploaded. Two processes reading the same heads name the same version.
func DataVersion(heads map[string]int64) string {
	parts := make([]string, 0, len(heads))
	for _, c := range slices.Sorted(maps.Keys(heads)) {
		parts = append(parts, c+"="+strconv.FormatInt(heads[c], 10))
	}
	return strings.Join(parts, ",")
}

// ParseDataVersion reads a DataVersion back into the carriers' heads.
func ParseDataVersion(v string) (map[string]int64, error) {
	heads := map[string]int64{}
	if v == "" {
		return heads, nil
	}
	for _, p := range strings.Split(v, ",") {
		c, id, ok := strings.Cut(p, "=")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || c == "" || err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: data version %q: want carrier=upload id, … (at %q)", ErrInvalid, v, p)
		}
		heads[c] = n
	}
	return heads, nil
}

// checkRegionKey refuses an incomplete key.
func checkRegionKey(k RegionKey) error {
	if k.Fingerprint == "" || k.Inputs == "" || k.Region < 0 {
		return fmt.Errorf("%w: region result key %+v: fingerprint, inputs and a region ≥ 0 needed", ErrInvalid, k)
	}
	return nil
}

// PutRegionResult stores r in one transaction. A result already stored under its key is kept
// (the key names its inputs, so both are the same result): storing twice is harmless, which lets
// a worker whose job was retaken finish anyway.
func (db *DB) PutRegionResult(ctx context.Context, r RegionResult) error {
	if err := checkRegionKey(r.RegionKey); err != nil {
		return err
	}
	if len(r.Summary) == 0 {
		return fmt.Errorf("%w: region %d result without a summary", ErrInvalid, r.Region)
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return fmt.Errorf("persist: region result: %w", err)
	}
	defer tx.Rollback()
	if err := putRegionResultTx(ctx, tx, r, db.clock()); err != nil {
		return db.full(err)
	}
	return db.full(tx.Commit())
}

// putRegionResultTx writes r in tx.
func putRegionResultTx(ctx context.Context, tx *txn, r RegionResult, now time.Time) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO region_results (fingerprint, region, inputs, data_version, worker, created_at, summary)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.Fingerprint, r.Region, r.Inputs, r.DataVersion, r.Worker,
		timeText(now), r.Summary)
	if err != nil {
		return fmt.Errorf("persist: region %d result: %w", r.Region, err)
	}
	// the region's partial result (a first start's, region_partials) is not needed any more
	if _, err := tx.ExecContext(ctx, `DELETE FROM region_partials WHERE fingerprint = ? AND region = ? AND inputs = ?`,
		r.Fingerprint, r.Region, r.Inputs); err != nil {
		return fmt.Errorf("persist: region %d partial: %w", r.Region, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // already stored, with its layers
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO region_layers (fingerprint, carrier, tech, tier, region, inputs, polygons)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("persist: region %d layers: %w", r.Region, err)
	}
	defer st.Close()
	for _, l := range r.Layers {
		if _, err := st.ExecContext(ctx, r.Fingerprint, l.Carrier, l.Tech, l.Tier, r.Region, r.Inputs, l.Polygons); err != nil {
			return fmt.Errorf("persist: region %d layer %s %s tier %d: %w", r.Region, l.Carrier, l.Tech, l.Tier, err)
		}
	}
	return nil
}

// RegionSummaries returns the stored summary of each region ri under (fingerprint, ri,
// inputs[ri]), nil where none is stored.
func (db *DB) RegionSummaries(ctx context.Context, fingerprint string, inputs []string) ([][]byte, error) {
	tx, err := db.r.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("persist: region summaries: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, db.r.b.rebind(`SELECT summary FROM region_results WHERE fingerprint = ? AND region = ? AND inputs = ?`))
	if err != nil {
		return nil, fmt.Errorf("persist: region summaries: %w", err)
	}
	defer st.Close()
	out := make([][]byte, len(inputs))
	for ri, in := range inputs {
		switch err := st.QueryRowContext(ctx, fingerprint, ri, in).Scan(&out[ri]); {
		case errors.Is(err, sql.ErrNoRows):
			out[ri] = nil
		case err != nil:
			return nil, fmt.Errorf("persist: region %d summary: %w", ri, err)
		}
	}
	return out, nil
}

// RegionLayer returns the stored pieces of one layer (carrier, tech, tier) of the regions
// keys name, in their order; ErrNotFound names a region without its piece.
func (db *DB) RegionLayer(ctx context.Context, carrier, tech string, tier int, keys []RegionKey) ([][]byte, error) {
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	tx, err := db.r.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("persist: region layer: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, db.r.b.rebind(`SELECT polygons FROM region_layers
		WHERE fingerprint = ? AND carrier = ? AND tech = ? AND tier = ? AND region = ? AND inputs = ?`))
	if err != nil {
		return nil, fmt.Errorf("persist: region layer: %w", err)
	}
	defer st.Close()
	for n, k := range keys {
		switch err := st.QueryRowContext(ctx, k.Fingerprint, carrier, tech, tier, k.Region, k.Inputs).Scan(&out[n]); {
		case errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("%w: layer %s %s tier %d of region %d (inputs %.12s…)", ErrNotFound, carrier, tech, tier, k.Region, k.Inputs)
		case err != nil:
			return nil, fmt.Errorf("persist: layer %s %s tier %d of region %d: %w", carrier, tech, tier, k.Region, err)
		}
	}
	return out, nil
}

// CommuneResult is one commune's statistics for one technology, as the report gives them
// (JSON, opaque here); Code "" is the whole area.
type CommuneResult struct {
	Tech  string
	Code  string
	Stats json.RawMessage
}

// PutCommuneResults stores the per-commune statistics of a data version under fingerprint in one
// transaction, replacing what was stored for them. Two instances may store the same version at
// once: both succeed.
func (db *DB) PutCommuneResults(ctx context.Context, fingerprint, version string, rows []CommuneResult) error {
	if fingerprint == "" {
		return fmt.Errorf("%w: commune results without a fingerprint", ErrInvalid)
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return fmt.Errorf("persist: commune results: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM commune_results WHERE fingerprint = ? AND data_version = ?`, fingerprint, version); err != nil {
		return db.full(fmt.Errorf("persist: commune results: %w", err))
	}
	// ON CONFLICT: another instance storing the same version at once (replicas that computed the
	// same regions) inserts rows this transaction's DELETE could not see yet; its rows are the
	// same statistics, so the later write's stand, as the DELETE would have had them.
	st, err := tx.PrepareContext(ctx, `INSERT INTO commune_results (fingerprint, data_version, tech, code, stats) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint, data_version, tech, code) DO UPDATE SET stats = excluded.stats`)
	if err != nil {
		return db.full(fmt.Errorf("persist: commune results: %w", err))
	}
	defer st.Close()
	for _, r := range rows {
		if !json.Valid(r.Stats) {
			return fmt.Errorf("%w: statistics of %q (%s) are not JSON", ErrInvalid, r.Code, r.Tech)
		}
		if _, err := st.ExecContext(ctx, fingerprint, version, r.Tech, r.Code, string(r.Stats)); err != nil {
			return db.full(fmt.Errorf("persist: commune results of %q (%s): %w", r.Code, r.Tech, err))
		}
	}
	return db.full(tx.Commit())
}

// HasCommuneResults reports whether statistics of version under fingerprint are stored.
func (db *DB) HasCommuneResults(ctx context.Context, fingerprint, version string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM commune_results WHERE fingerprint = ? AND data_version = ? LIMIT 1) AS one`,
		fingerprint, version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("persist: commune results: %w", err)
	}
	return n > 0, nil
}

// CommuneResults returns the stored statistics of a data version under fingerprint, by
// technology and code.
func (db *DB) CommuneResults(ctx context.Context, fingerprint, version string) ([]CommuneResult, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT tech, code, stats FROM commune_results WHERE fingerprint = ? AND data_version = ?
		ORDER BY tech, code`, fingerprint, version)
	if err != nil {
		return nil, fmt.Errorf("persist: commune results: %w", err)
	}
	defer rows.Close()
	var out []CommuneResult
	for rows.Next() {
		var r CommuneResult
		var s string
		if err := rows.Scan(&r.Tech, &r.Code, &s); err != nil {
			return nil, fmt.Errorf("persist: commune results: %w", err)
		}
		r.Stats = json.RawMessage(s)
		out = append(out, r)
	}
	return out, rows.Err()
}

// beginUnlocked starts a write transaction that does not take the PostgreSQL write lock
// (writeLockKey): writes of computed results and jobs need no order with the lists' uploads, and
// a region's layers should not hold uploads back. On SQLite it is BEGIN IMMEDIATE as every write.
func (c conn) beginUnlocked(ctx context.Context) (*txn, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := c.checkSize(ctx, tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return &txn{tx: tx, b: c.b}, nil
}
