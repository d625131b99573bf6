package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SeedFile returns the SHA-256 (hex) of the file kind's lists were seeded from
// (PutSeedFile); ok is false when none is recorded.
func (db *DB) SeedFile(ctx context.Context, kind string) (sha256 string, ok bool, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT sha256 FROM seed_files WHERE kind = ?`, kind).Scan(&sha256)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("persist: seed file of %s: %w", kind, err)
	}
	return sha256, true, nil
}

// SeedSource names the file a kind's seed was read from: its content's SHA-256 (hex) and its
// name. The zero SeedSource records nothing (SeedIfEmptyFrom).
type SeedSource struct {
	SHA256, File string
}

// check refuses a source without a kind or a hex SHA-256.
func (src SeedSource) check(kind string) error {
	if kind == "" || len(src.SHA256) != 64 {
		return fmt.Errorf("%w: seed file of %q: a kind and a hex SHA-256 needed", ErrInvalid, kind)
	}
	return nil
}

// PutSeedFile records that kind's lists were seeded from file, whose content has SHA-256
// sha256 (hex); a later record replaces it.
func (db *DB) PutSeedFile(ctx context.Context, kind, sha256, file string) error {
	src := SeedSource{SHA256: sha256, File: file}
	if err := src.check(kind); err != nil {
		return err
	}
	return db.full(db.putSeedFile(ctx, db.w, kind, src))
}

// putSeedFile is PutSeedFile in a transaction or on the writer.
func (db *DB) putSeedFile(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, kind string, src SeedSource) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO seed_files (kind, sha256, file, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind) DO UPDATE SET sha256 = excluded.sha256, file = excluded.file, created_at = excluded.created_at`,
		kind, src.SHA256, src.File, timeText(db.clock()))
	return err
}

// AnswerKey names a rendered layer of one result: the inputs fingerprint, the data version of
// the station lists, the rendering's format and the layer (the caller's canonical name).
type AnswerKey struct {
	Fingerprint, DataVersion, Format, Layer string
}

// LayerAnswer returns the body stored under k (PutLayerAnswer); ok is false when none is.
func (db *DB) LayerAnswer(ctx context.Context, k AnswerKey) (body []byte, ok bool, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT body FROM layer_answers WHERE fingerprint = ? AND data_version = ? AND format = ? AND layer = ?`,
		k.Fingerprint, k.DataVersion, k.Format, k.Layer).Scan(&body)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("persist: layer answer %s: %w", k.Layer, err)
	}
	return body, true, nil
}

// PutLayerAnswer stores body under k; one already stored is kept (the key names the result, so
// both are the same answer). The layer's answers of other data versions (same fingerprint and
// format) are removed in the same transaction: the table holds one version of each layer, the
// last stored, not one per upload ever served.
func (db *DB) PutLayerAnswer(ctx context.Context, k AnswerKey, body []byte) error {
	if k.Fingerprint == "" || k.Format == "" || k.Layer == "" || len(body) == 0 {
		return fmt.Errorf("%w: layer answer %+v: fingerprint, format, layer and a body needed", ErrInvalid, k)
	}
	tx, err := db.w.beginUnlocked(ctx)
	if err != nil {
		return fmt.Errorf("persist: layer answer: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM layer_answers WHERE fingerprint = ? AND format = ? AND layer = ? AND data_version <> ?`,
		k.Fingerprint, k.Format, k.Layer, k.DataVersion); err != nil {
		return db.full(fmt.Errorf("persist: layer answer: %w", err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO layer_answers (fingerprint, data_version, format, layer, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, k.Fingerprint, k.DataVersion, k.Format, k.Layer, body, timeText(db.clock())); err != nil {
		return db.full(fmt.Errorf("persist: layer answer: %w", err))
	}
	return db.full(tx.Commit())
}
