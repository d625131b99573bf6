package persist

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"time"

	"phusong/data"
)

// MeasurementUpload is one file of measurements stored. Fields marked "set by the store" are
// ignored on input.
type MeasurementUpload struct {
	ID          int64          `json:"id"`      // set by the store
	Carrier     string         `json:"carrier"` // the one carrier the file could hold; "" = any
	TokenID     string         `json:"token_id"`
	Source      string         `json:"source"` // csv, opencellid, geojson
	FileName    string         `json:"file_name,omitempty"`
	CreatedAt   time.Time      `json:"created_at"` // set by the store
	DryRun      bool           `json:"dry_run"`    // counted, nothing kept
	Rows        int            `json:"rows"`
	Samples     int            `json:"samples"`    // set by the store: samples added
	Stored      int            `json:"stored"`     // set by the store: samples kept
	Duplicates  int            `json:"duplicates"` // set by the store: samples already stored
	Skipped     int            `json:"skipped"`
	From        *time.Time     `json:"from"` // set by the store: first and last sample
	To          *time.Time     `json:"to"`
	Warnings    []data.Warning `json:"warnings"`
	Note        string         `json:"note,omitempty"`
	WithdrawnAt *time.Time     `json:"withdrawn_at,omitempty"` // set by the store
}

// measurementBatch is how many samples one INSERT statement carries.
const measurementBatch = 200

// measurementCols are the columns of one inserted sample, in order.
const measurementCols = "(carrier, tech, time_ms, lon_e7, lat_e7, cell_id, upload_id, level_cdb, pci, accuracy_dm)"

// ImportMeasurements stores a file of measurements as one upload, in one write transaction
// that is on disk when it returns, or that leaves nothing when it fails: read is called with add,
// passes every sample to it (a streaming reader: memory does not grow with the file) and returns
// the upload's description (Carrier, TokenID, Source, FileName, Rows, Skipped, Warnings, Note,
// DryRun). An error from read or add rolls everything back and is returned. A sample whose
// (carrier, tech, time to the millisecond, position to 1e-7°, cell id) is already stored is a
// duplicate: counted, not stored again. A dry run counts (duplicates included) and rolls back.
// It returns the upload with the fields the store sets (ID 0 for a dry run).
func (db *DB) ImportMeasurements(ctx context.Context, read func(add func(*data.Measurement) error) (MeasurementUpload, error)) (MeasurementUpload, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: import measurements: %w", err)
	}
	defer tx.Rollback()
	now := db.clock()
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO measurement_uploads (carrier, source, created_at, rows, samples, stored,
		duplicates, skipped, warnings) VALUES ('', '', ?, 0, 0, 0, 0, 0, '[]') RETURNING id`, timeText(now)).Scan(&id); err != nil {
		return MeasurementUpload{}, db.full(fmt.Errorf("persist: import measurements: %w", err))
	}
	ins := &sampleInserter{ctx: ctx, tx: tx, uploadID: id}
	u, err := read(ins.add)
	if err == nil {
		err = ins.flush()
	}
	if err != nil {
		return MeasurementUpload{}, err
	}
	if err := checkMeasurementUpload(ctx, tx, u); err != nil {
		return MeasurementUpload{}, err
	}
	u.ID, u.CreatedAt, u.Samples, u.Stored, u.Duplicates = id, now, ins.n, ins.stored, ins.n-ins.stored
	if ins.n > 0 {
		from, to := time.UnixMilli(ins.minMS).UTC(), time.UnixMilli(ins.maxMS).UTC()
		u.From, u.To = &from, &to
	}
	if u.Warnings == nil {
		u.Warnings = []data.Warning{}
	}
	if u.DryRun {
		u.ID = 0
		return u, nil // the deferred Rollback undoes the samples and the record
	}
	ws, err := json.Marshal(u.Warnings)
	if err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: import measurements: %w", err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE measurement_uploads SET carrier = ?, token_id = ?, source = ?, file_name = ?,
		rows = ?, samples = ?, stored = ?, duplicates = ?, skipped = ?, first_time = ?, last_time = ?, warnings = ?, note = ?
		WHERE id = ?`, u.Carrier, nullString(u.TokenID), u.Source, u.FileName, u.Rows, u.Samples, u.Stored, u.Duplicates,
		u.Skipped, nullTime(u.From), nullTime(u.To), string(ws), u.Note, id)
	if err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: import measurements: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: import measurements: commit: %w", err)
	}
	return u, nil
}

// checkMeasurementUpload validates the caller-set fields of u: a valid carrier or "", a source,
// rows ≥ 0, a known token allowed to write that carrier (or any, for admin and planner tokens;
// "" for the command line).
func checkMeasurementUpload(ctx context.Context, tx *txn, u MeasurementUpload) error {
	switch {
	case u.Carrier != "" && !ValidCarrierID(u.Carrier):
		return fmt.Errorf("%w: carrier %q", ErrInvalid, u.Carrier)
	case u.Source == "":
		return fmt.Errorf("%w: a measurement upload needs its source format", ErrInvalid)
	case u.Rows < 0 || u.Skipped < 0:
		return fmt.Errorf("%w: rows %d, skipped %d", ErrInvalid, u.Rows, u.Skipped)
	}
	if u.TokenID != "" {
		var admin bool
		var role string
		err := tx.QueryRowContext(ctx, `SELECT admin, role FROM tokens WHERE id = ? AND revoked_at IS NULL`, u.TokenID).Scan(&admin, &role)
		switch {
		case err == nil && (admin || role == rolePlanner):
			return nil
		case u.Carrier == "":
			return fmt.Errorf("%w: token %s may not upload every carrier's measurements", ErrUnauthorized, u.TokenID)
		}
	}
	return checkTokenTx(ctx, tx, Upload{Carrier: u.Carrier, TokenID: u.TokenID})
}

// sampleInserter batches samples into multi-row INSERTs.
type sampleInserter struct {
	ctx          context.Context
	tx           *txn
	uploadID     int64
	args         []any
	rows         int
	n, stored    int
	minMS, maxMS int64
	stmt         *sql.Stmt // the full-batch statement, prepared once
}

func (s *sampleInserter) add(m *data.Measurement) error {
	ms := m.Time.UnixMilli()
	if s.n == 0 || ms < s.minMS {
		s.minMS = ms
	}
	if s.n == 0 || ms > s.maxMS {
		s.maxMS = ms
	}
	s.n++
	s.args = append(s.args, m.Carrier, string(m.Tech), ms, e7(m.Lon), e7(m.Lat), m.CellID, s.uploadID,
		int64(math.Round(m.LevelDBm*100)), m.PCI, int64(math.Round(m.AccuracyM*10)))
	if s.rows++; s.rows == measurementBatch {
		return s.flush()
	}
	return nil
}

// flush inserts the samples batched so far.
func (s *sampleInserter) flush() error {
	if s.rows == 0 {
		return nil
	}
	var err error
	stmt := s.stmt
	if s.rows != measurementBatch || stmt == nil {
		q := "INSERT INTO measurements " + measurementCols + " VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", s.rows), ", ") + " ON CONFLICT DO NOTHING"
		if stmt, err = s.tx.PrepareContext(s.ctx, q); err != nil {
			return fmt.Errorf("persist: import measurements: %w", err)
		}
		if s.rows == measurementBatch {
			s.stmt = stmt
		} else {
			defer stmt.Close()
		}
	}
	res, err := stmt.ExecContext(s.ctx, s.args...)
	if err != nil {
		return fmt.Errorf("persist: import measurements: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("persist: import measurements: %w", err)
	}
	s.stored += int(n)
	s.args, s.rows = s.args[:0], 0
	return nil
}

// e7 is a coordinate in 1e-7 degrees.
func e7(deg float64) int64 { return int64(math.Round(deg * 1e7)) }

// nullString stores "" as NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullTime stores nil as NULL, a time as timeText.
func nullTime(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: timeText(*t), Valid: true}
}

// MeasurementFilter selects stored samples: a carrier and a technology ("" = every one).
type MeasurementFilter struct {
	Carrier string
	Tech    data.Tech
}

// Measurements yields the stored samples f selects, streaming (one read transaction, so the
// samples are those of one moment), in (carrier, tech, time) order. An error ends the sequence
// with it as the second value.
func (db *DB) Measurements(ctx context.Context, f MeasurementFilter) iter.Seq2[data.Measurement, error] {
	return func(yield func(data.Measurement, error) bool) {
		q := `SELECT carrier, tech, time_ms, lon_e7, lat_e7, cell_id, level_cdb, pci, accuracy_dm FROM measurements
			WHERE (? = '' OR carrier = ?) AND (? = '' OR tech = ?) ORDER BY carrier, tech, time_ms`
		rows, err := db.r.QueryContext(ctx, q, f.Carrier, f.Carrier, string(f.Tech), string(f.Tech))
		if err != nil {
			yield(data.Measurement{}, fmt.Errorf("persist: measurements: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var m data.Measurement
			var tech string
			var ms, lon, lat, level, acc int64
			if err := rows.Scan(&m.Carrier, &tech, &ms, &lon, &lat, &m.CellID, &level, &m.PCI, &acc); err != nil {
				yield(data.Measurement{}, fmt.Errorf("persist: measurements: %w", err))
				return
			}
			m.Tech, m.Time = data.Tech(tech), time.UnixMilli(ms).UTC()
			m.Lon, m.Lat, m.LevelDBm, m.AccuracyM = float64(lon)/1e7, float64(lat)/1e7, float64(level)/100, float64(acc)/10
			if !yield(m, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(data.Measurement{}, fmt.Errorf("persist: measurements: %w", err))
		}
	}
}

// MeasurementsVersion identifies the stored samples: it changes with every import and
// withdrawal (the newest upload id and the number withdrawn), so a comparison computed for one
// version is still right while it holds.
func (db *DB) MeasurementsVersion(ctx context.Context) (string, error) {
	var maxID, withdrawn int64
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0), COUNT(withdrawn_at) FROM measurement_uploads`).
		Scan(&maxID, &withdrawn); err != nil {
		return "", fmt.Errorf("persist: measurements version: %w", err)
	}
	return fmt.Sprintf("%d.%d", maxID, withdrawn), nil
}

// MeasurementUploads lists the measurement uploads, newest first: those of carrier (uploads
// limited to it) or, with carrier "", every one; at most limit (≤ 0: all).
func (db *DB) MeasurementUploads(ctx context.Context, carrier string, limit int) ([]MeasurementUpload, error) {
	q := `SELECT id, carrier, COALESCE(token_id, ''), source, file_name, created_at, rows, samples, stored, duplicates,
		skipped, first_time, last_time, warnings, note, withdrawn_at FROM measurement_uploads
		WHERE (? = '' OR carrier = ?) ORDER BY id DESC`
	args := []any{carrier, carrier}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("persist: measurement uploads: %w", err)
	}
	defer rows.Close()
	out := []MeasurementUpload{}
	for rows.Next() {
		u, err := scanMeasurementUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: measurement uploads: %w", err)
	}
	return out, nil
}

// MeasurementUploadByID returns measurement upload id (ErrNotFound when there is none).
func (db *DB) MeasurementUploadByID(ctx context.Context, id int64) (MeasurementUpload, error) {
	row := db.r.QueryRowContext(ctx, `SELECT id, carrier, COALESCE(token_id, ''), source, file_name, created_at, rows,
		samples, stored, duplicates, skipped, first_time, last_time, warnings, note, withdrawn_at FROM measurement_uploads
		WHERE id = ?`, id)
	u, err := scanMeasurementUpload(row)
	if errors.Is(err, sql.ErrNoRows) {
		return MeasurementUpload{}, fmt.Errorf("%w: measurement upload %d", ErrNotFound, id)
	}
	return u, err
}

func scanMeasurementUpload(s interface{ Scan(...any) error }) (MeasurementUpload, error) {
	var u MeasurementUpload
	var created, warnings string
	var first, last, withdrawn sql.NullString
	if err := s.Scan(&u.ID, &u.Carrier, &u.TokenID, &u.Source, &u.FileName, &created, &u.Rows, &u.Samples, &u.Stored,
		&u.Duplicates, &u.Skipped, &first, &last, &warnings, &u.Note, &withdrawn); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, err
		}
		return u, fmt.Errorf("persist: read measurement upload: %w", err)
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return u, err
	}
	for _, p := range []struct {
		s   sql.NullString
		dst **time.Time
	}{{first, &u.From}, {last, &u.To}, {withdrawn, &u.WithdrawnAt}} {
		if p.s.Valid {
			t, err := parseTime(p.s.String)
			if err != nil {
				return u, err
			}
			*p.dst = &t
		}
	}
	if err := json.Unmarshal([]byte(warnings), &u.Warnings); err != nil {
		return u, fmt.Errorf("persist: measurement upload %d warnings: %w", u.ID, err)
	}
	return u, nil
}

// WithdrawMeasurements deletes the samples of upload id and marks it withdrawn, in one
// transaction; withdrawing twice is not an error. ErrNotFound for an unknown id.
func (db *DB) WithdrawMeasurements(ctx context.Context, id int64) (MeasurementUpload, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: withdraw measurements: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE measurement_uploads SET withdrawn_at = COALESCE(withdrawn_at, ?) WHERE id = ?`,
		timeText(db.clock()), id)
	if err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: withdraw measurements: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return MeasurementUpload{}, fmt.Errorf("%w: measurement upload %d", ErrNotFound, id)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM measurements WHERE upload_id = ?`, id); err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: withdraw measurements: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return MeasurementUpload{}, fmt.Errorf("persist: withdraw measurements: commit: %w", err)
	}
	return db.MeasurementUploadByID(ctx, id)
}
