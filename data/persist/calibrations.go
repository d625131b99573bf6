package persist

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CalibrationRecord is one calibration run as stored: the calibrated coverage definition (JSON;
// nil when every group was refused) and the fits (JSON), opaque to the store.
type CalibrationRecord struct {
	ID         int64           `json:"id"`         // set by the store
	CreatedAt  time.Time       `json:"created_at"` // set by the store
	TokenID    string          `json:"token_id"`   // "" from the command line
	Version    string          `json:"version"`    // the definition's version ("" without one)
	Definition json.RawMessage `json:"definition"`
	Report     json.RawMessage `json:"report"`
}

// AddCalibration stores rec and returns it with the fields the store sets.
func (db *DB) AddCalibration(ctx context.Context, rec CalibrationRecord) (CalibrationRecord, error) {
	if len(rec.Report) == 0 || !json.Valid(rec.Report) || (rec.Definition != nil && !json.Valid(rec.Definition)) {
		return CalibrationRecord{}, fmt.Errorf("%w: a calibration needs its report and, when there is one, its definition as JSON", ErrInvalid)
	}
	rec.CreatedAt = db.clock()
	var def sql.NullString
	if rec.Definition != nil {
		def = sql.NullString{String: string(rec.Definition), Valid: true}
	}
	if err := db.w.QueryRowContext(ctx, `INSERT INTO calibrations (created_at, token_id, version, definition, report)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, timeText(rec.CreatedAt), nullString(rec.TokenID), rec.Version, def,
		string(rec.Report)).Scan(&rec.ID); err != nil {
		return CalibrationRecord{}, db.full(fmt.Errorf("persist: add calibration: %w", err))
	}
	return rec, nil
}

// CalibrationByID returns calibration id with its definition and report (ErrNotFound when none).
func (db *DB) CalibrationByID(ctx context.Context, id int64) (CalibrationRecord, error) {
	var rec CalibrationRecord
	var created string
	var def sql.NullString
	var report string
	err := db.r.QueryRowContext(ctx, `SELECT id, created_at, COALESCE(token_id, ''), version, definition, report
		FROM calibrations WHERE id = ?`, id).Scan(&rec.ID, &created, &rec.TokenID, &rec.Version, &def, &report)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return rec, fmt.Errorf("%w: calibration %d", ErrNotFound, id)
	case err != nil:
		return rec, fmt.Errorf("persist: calibration: %w", err)
	}
	if rec.CreatedAt, err = parseTime(created); err != nil {
		return rec, err
	}
	if def.Valid {
		rec.Definition = json.RawMessage(def.String)
	}
	rec.Report = json.RawMessage(report)
	return rec, nil
}

// Calibrations lists the calibration runs, newest first, without their definitions and reports.
func (db *DB) Calibrations(ctx context.Context) ([]CalibrationRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, created_at, COALESCE(token_id, ''), version FROM calibrations ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("persist: calibrations: %w", err)
	}
	defer rows.Close()
	out := []CalibrationRecord{}
	for rows.Next() {
		var rec CalibrationRecord
		var created string
		if err := rows.Scan(&rec.ID, &created, &rec.TokenID, &rec.Version); err != nil {
			return nil, fmt.Errorf("persist: calibrations: %w", err)
		}
		if rec.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: calibrations: %w", err)
	}
	return out, nil
}

// ServedCalibration returns the id of the calibration to serve, 0 for the uncalibrated
// definition (also when none was ever chosen).
func (db *DB) ServedCalibration(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT calibration_id FROM served_definition WHERE id = 1`).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("persist: served calibration: %w", err)
	}
	return id.Int64, nil
}

// SetServedCalibration records which calibration to serve (0: the uncalibrated definition). A
// calibration without a definition (every group refused) cannot be served (ErrInvalid).
func (db *DB) SetServedCalibration(ctx context.Context, id int64) error {
	var cal sql.NullInt64
	if id != 0 {
		var hasDef bool
		err := db.w.QueryRowContext(ctx, `SELECT definition IS NOT NULL FROM calibrations WHERE id = ?`, id).Scan(&hasDef)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%w: calibration %d", ErrNotFound, id)
		case err != nil:
			return fmt.Errorf("persist: serve calibration: %w", err)
		case !hasDef:
			return fmt.Errorf("%w: calibration %d calibrated nothing: there is no definition to serve", ErrInvalid, id)
		}
		cal = sql.NullInt64{Int64: id, Valid: true}
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO served_definition (id, calibration_id, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET calibration_id = excluded.calibration_id, updated_at = excluded.updated_at`,
		cal, timeText(db.clock())); err != nil {
		return fmt.Errorf("persist: serve calibration: %w", err)
	}
	return nil
}
