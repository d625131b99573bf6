// Package persist is phusong's durable store: one SQLite file (<data dir>/phusong.db, through
// the pure-Go driver modernc.org/sqlite) holding the upload tokens and every carrier's
// versioned lists (sites now, fibre later: see Kind).
//
// Durability: the database runs in WAL mode with synchronous=FULL, and every write is one
// transaction, so a method that returned nil has its change on disk (fsynced) and a crash at
// any moment leaves either all of an upload or none of it. Several processes may share the
// file (the server and the `phusong token` command): writers take the lock at BEGIN
// (IMMEDIATE) and wait up to BusyTimeout for each other; readers never wait for writers.
//
// The schema is versioned by the numbered scripts in migrations/, applied in order by Open.
package persist

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file inside the data directory.
const FileName = "phusong.db"

// BusyTimeout is how long a write waits for another process's write to finish before it fails
// with "database is locked".
const BusyTimeout = 10 * time.Second

// Sentinel errors; the methods wrap them with %w.
var (
	// ErrNotFound: no token or upload with that id.
	ErrNotFound = errors.New("persist: not found")
	// ErrUnauthorized: a token that is malformed, unknown or revoked. It never says which.
	ErrUnauthorized = errors.New("persist: invalid or revoked token")
	// ErrInvalid: an argument the store refuses (an empty carrier, a list with another
	// carrier's item, a duplicate id, an unknown mode, a delete naming unknown ids …).
	ErrInvalid = errors.New("persist: invalid argument")
	// ErrDryRun: the upload was a dry run, which changed nothing and kept no diff.
	ErrDryRun = errors.New("persist: upload is a dry run")
	// ErrSchemaTooNew: the file was written by a newer phusong (see SchemaError).
	ErrSchemaTooNew = errors.New("persist: database schema is newer than this phusong")
)

// SchemaError reports a database whose schema version is newer than the migrations this
// binary embeds. It unwraps to ErrSchemaTooNew.
type SchemaError struct {
	Path  string // the database file
	Have  int    // version recorded in the file
	Known int    // newest version this binary knows
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("persist: %s has schema version %d; this phusong knows up to %d: upgrade phusong",
		e.Path, e.Have, e.Known)
}

// Unwrap returns ErrSchemaTooNew.
func (e *SchemaError) Unwrap() error { return ErrSchemaTooNew }

// DB is an open phusong.db. Its methods are safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // one connection: writes are serialised in-process, BEGIN IMMEDIATE across processes
	r    *sql.DB // read-only connections; in WAL mode they see the last commit and never block
	now  func() time.Time

	compares func() // test hook: called on every token hash comparison
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered script of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded scripts in version order. Names are NNNN_what.sql, numbered
// 1, 2, 3 … without gaps (a test checks this).
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(names))
	for _, n := range names { // fs.Glob sorts
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != len(out)+1 {
			return nil, fmt.Errorf("persist: migration %s: want %04d_name.sql", base, len(out)+1)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// SchemaVersion is the newest schema version this binary knows (its last migration).
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// Open opens (creating if needed) dataDir/phusong.db and brings its schema up to date. It fails
// with a *SchemaError when the file's schema is newer than this binary's.
func Open(dataDir string) (*DB, error) {
	if dataDir == "" {
		return nil, fmt.Errorf("%w: empty data directory", ErrInvalid)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("persist: %w", err)
	}
	p, err := filepath.Abs(filepath.Join(dataDir, FileName))
	if err != nil {
		return nil, fmt.Errorf("persist: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(p, "_journal_mode=WAL", "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("persist: %s: %w", p, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := migrate(context.Background(), w, p, ms); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(p, "_query_only=1"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("persist: %s: %w", p, err)
	}
	r.SetMaxOpenConns(4)
	return &DB{path: p, w: w, r: r, now: time.Now, compares: func() {}}, nil
}

// dsn is the driver's connection string for the file p: durable, foreign keys on, waiting
// BusyTimeout for locks, plus extra parameters.
func dsn(p string, extra ...string) string {
	q := []string{
		"_busy_timeout=" + strconv.FormatInt(BusyTimeout.Milliseconds(), 10),
		"_synchronous=FULL",
		"_foreign_keys=1",
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + strings.Join(append(q, extra...), "&")
}

// migrate applies the migrations newer than the file's version, each in its own transaction
// together with the new version number.
func migrate(ctx context.Context, w *sql.DB, p string, ms []migration) error {
	for {
		done, err := migrateOne(ctx, w, p, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration; done is true when none is left.
func migrateOne(ctx context.Context, w *sql.DB, p string, ms []migration) (done bool, err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("persist: %s: %w", p, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return false, fmt.Errorf("persist: %s: %w", p, err)
	}
	var have int
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&have); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return false, fmt.Errorf("persist: %s: %w", p, err)
		}
	case err != nil:
		return false, fmt.Errorf("persist: %s: %w", p, err)
	}
	if have > len(ms) {
		return false, &SchemaError{Path: p, Have: have, Known: len(ms)}
	}
	if have == len(ms) {
		return true, tx.Commit()
	}
	m := ms[have]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("persist: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, m.version); err != nil {
		return false, fmt.Errorf("persist: migration %s: %w", m.name, err)
	}
	return false, tx.Commit()
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database. Every committed change is already on disk.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// timeLayout is RFC 3339 with all nine fraction digits, so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// timeText is the stored form of t: UTC, timeLayout.
func timeText(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a stored time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("persist: stored time %q: %w", s, err)
	}
	return t, nil
}
