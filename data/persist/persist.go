// Package persist is phusong's durable store: one SQLite file (<data dir>/phusong.db, through
// the pure-Go driver modernc.org/sqlite), or a PostgreSQL database with PostGIS (OpenURL,
// through pgx's database/sql driver), holding the upload tokens and every carrier's versioned
// lists (sites, fibre: see Kind), measurements, reports, calibrations and scenarios. The same
// methods and queries serve both backends (dialect.go says what differs).
//
// Durability: the database runs in WAL mode with synchronous=FULL, and every write is one
// transaction, so a method that returned nil has its change on disk (fsynced) and a crash at
// any moment leaves either all of an upload or none of it. Several processes may share the
// file (the server and the `phusong token` command): writers take the lock at BEGIN
// (IMMEDIATE) and wait up to BusyTimeout for each other; readers never wait for writers.
//
// On PostgreSQL every write transaction first takes one advisory lock, so writes from several
// phusong processes (replicas behind a load balancer) run one at a time as on SQLite; readers
// never wait. Station positions are also PostGIS points (items.geom, SRID 4326, GiST-indexed)
// for analysts' queries.
//
// The schema is versioned by the numbered scripts in migrations/ (SQLite) and
// migrations/postgres/ (PostgreSQL), numbered in step, applied in order by Open and OpenURL.
package persist

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
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
	// ErrNotDatabase: the database file exists but is not a phusong database: empty (a
	// truncated or placeholder file), not SQLite, or another program's SQLite file. Open
	// refuses it rather than start a new database over it.
	ErrNotDatabase = errors.New("persist: not a phusong database")
	// ErrNotWritable: the data directory or the database file cannot be written by this
	// process (permissions, a read-only file system).
	ErrNotWritable = errors.New("persist: not writable")
	// ErrDiskFull: a write failed because the disk holding the database is full, or the
	// database reached Options.MaxBytes. Nothing of the write was stored.
	ErrDiskFull = errors.New("persist: storage full")
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
	path    string  // SQLite: the file; PostgreSQL: the URL without its password
	backend Backend // SQLite or Postgres
	// SQLite: one connection, writes serialised in-process and by BEGIN IMMEDIATE across
	// processes. PostgreSQL: a pool, write transactions serialised by an advisory lock.
	w conn
	// SQLite: read-only connections that in WAL mode see the last commit and never block.
	// PostgreSQL: the same pool as w.
	r   conn
	now func() time.Time

	compares func() // test hook: called on every token hash comparison
}

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migration is one numbered script of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded scripts of backend b in version order. Names are
// NNNN_what.sql, numbered 1, 2, 3 … without gaps, the same names for both backends (a test
// checks this).
func migrations(b Backend) ([]migration, error) {
	dir := "migrations"
	if b == Postgres {
		dir = "migrations/postgres"
	}
	names, err := fs.Glob(migrationFS, dir+"/*.sql")
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
	ms, err := migrations(SQLite)
	if err != nil {
		return 0
	}
	return len(ms)
}

// Options tune Open.
type Options struct {
	// MaxBytes caps the database file (SQLite's max_page_count); a write that would grow it
	// further fails with ErrDiskFull, as on a full disk. 0: no cap. On PostgreSQL it caps
	// pg_database_size softly: a write starting at or past it fails with ErrDiskFull (see
	// OpenURL); a full disk is ErrDiskFull there too.
	MaxBytes int64
}

// Open opens (creating if needed) dataDir/phusong.db and brings its schema up to date, with
// default Options. See OpenWith.
func Open(dataDir string) (*DB, error) { return OpenWith(dataDir, Options{}) }

// OpenWith opens (creating if needed) dataDir/phusong.db and brings its schema up to date. It
// fails, naming the path, with a *SchemaError when the file's schema is newer than this
// binary's; ErrNotDatabase when the file exists but is empty, not SQLite or another program's
// database (a new database is made only where no file is); ErrNotWritable when the directory
// or the file cannot be written (the message gives the permissions).
func OpenWith(dataDir string, o Options) (*DB, error) {
	if dataDir == "" {
		return nil, fmt.Errorf("%w: empty data directory", ErrInvalid)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, notWritable(dataDir, "cannot create the data directory", err)
	}
	p, err := filepath.Abs(filepath.Join(dataDir, FileName))
	if err != nil {
		return nil, fmt.Errorf("persist: %w", err)
	}
	existed, err := checkFile(p)
	if err != nil {
		return nil, err
	}
	if existed {
		if err := checkOurs(p); err != nil {
			return nil, err
		}
	}
	ms, err := migrations(SQLite)
	if err != nil {
		return nil, err
	}
	page := int64(newPageBytes) // a new file's; an existing file keeps the page size it was made with
	if existed {
		if page, err = filePageBytes(p); err != nil {
			return nil, err
		}
	}
	extra := []string{"_journal_mode=WAL", "_txlock=immediate", fmt.Sprintf("_pragma=page_size(%d)", newPageBytes)}
	if o.MaxBytes > 0 {
		extra = append(extra, fmt.Sprintf("_pragma=max_page_count(%d)", max(1, o.MaxBytes/page)))
	}
	w, err := sql.Open("sqlite", dsn(p, extra...))
	if err != nil {
		return nil, fmt.Errorf("persist: %s: %w", p, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := migrate(context.Background(), conn{db: w, b: SQLite}, p, ms); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(p, "_query_only=1"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("persist: %s: %w", p, err)
	}
	r.SetMaxOpenConns(4)
	return &DB{path: p, backend: SQLite, w: conn{db: w, b: SQLite}, r: conn{db: r, b: SQLite}, now: time.Now, compares: func() {}}, nil
}

// clock is the time the store records: db.now in UTC, to the microsecond (PostgreSQL's
// resolution: a time a method returns equals the one read back, on either backend).
func (db *DB) clock() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

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
func migrate(ctx context.Context, w conn, p string, ms []migration) error {
	// An up-to-date schema is only read, so that a role that may not write (an analyst's, a
	// standby) opens the database; its writes are ErrNotWritable.
	var have int
	if err := w.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&have); err == nil && have >= len(ms) {
		if have > len(ms) {
			return &SchemaError{Path: p, Have: have, Known: len(ms)}
		}
		return nil
	}
	for {
		done, err := migrateOne(ctx, w, p, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration; done is true when none is left.
func migrateOne(ctx context.Context, w conn, p string, ms []migration) (done bool, err error) {
	tx, err := w.BeginTx(ctx, nil) // on PostgreSQL the write lock: replicas starting together migrate once
	if err != nil {
		return false, openError(p, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return false, openError(p, err)
	}
	var have int
	switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&have); {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return false, openError(p, err)
		}
	case err != nil:
		return false, openError(p, err)
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

// Path returns the absolute path of the database file (SQLite) or the database's URL without
// its password (PostgreSQL).
func (db *DB) Path() string { return db.path }

// Backend returns the engine behind db.
func (db *DB) Backend() Backend { return db.backend }

// Close closes the database. Every committed change is already on disk.
func (db *DB) Close() error {
	if db.r.db == db.w.db {
		return db.w.db.Close()
	}
	return errors.Join(db.r.db.Close(), db.w.db.Close())
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
	return t.UTC(), nil
}

// newPageBytes is the page size of a database file Open creates (SQLite's default is 4096). A
// stored site is 1.5 KB of JSON, larger than what a WITHOUT ROWID table keeps on a 4 KB page
// (≈ 1 KB): every row of items and changes took a page of its own besides, so a national list
// (150,000 sites) made a 1.27 GB file, all of it written twice (WAL, then the file) when seeded.
// On 16 KB pages a row up to ≈ 4 KB stays on its page. An existing file keeps its page size
// (changing it takes a VACUUM out of WAL mode).
const newPageBytes = 16384

// filePageBytes reads the page size of the SQLite file p from its header (the unit of
// Options.MaxBytes' max_page_count).
func filePageBytes(p string) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, openError(p, err)
	}
	defer f.Close()
	var head [18]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return 0, fmt.Errorf("persist: reading %s: %w", p, err)
	}
	switch size := int64(binary.BigEndian.Uint16(head[16:])); size {
	case 1: // the header's way of writing 65536
		return 65536, nil
	case 0: // not made yet (a file another connection is creating)
		return newPageBytes, nil
	default:
		return size, nil
	}
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkFile refuses an existing database file that is empty or not SQLite, and one this
// process may not write; existed tells whether there is a file (a missing one is fine: Open
// creates it).
func checkFile(p string) (existed bool, err error) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, checkDirWritable(filepath.Dir(p))
	case err != nil:
		return true, notWritable(p, "cannot open the database file for writing", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && (err == io.EOF):
		return true, fmt.Errorf("%w: %s is empty (0 bytes): truncated, or not made by phusong; restore it from a backup, "+
			"or remove it to start a new database (seeded from the demo or --sites)", ErrNotDatabase, p)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return true, fmt.Errorf("persist: reading %s: %w", p, err)
	case string(head[:n]) != sqliteMagic:
		return true, fmt.Errorf("%w: %s is not a SQLite database (it starts with %q): restore it from a backup, or remove it "+
			"to start a new database", ErrNotDatabase, p, head[:n])
	}
	return true, checkDirWritable(filepath.Dir(p))
}

// checkOurs refuses, without changing it, an existing SQLite file holding tables but no
// schema_version: another program's database.
func checkOurs(p string) error {
	r, err := sql.Open("sqlite", dsn(p, "mode=ro"))
	if err != nil {
		return openError(p, err)
	}
	defer r.Close()
	tables, err := strings1(r.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`))
	if err != nil {
		return openError(p, err)
	}
	if len(tables) > 0 && !slices.Contains(tables, "schema_version") {
		return fmt.Errorf("%w: %s is another program's SQLite database (tables %s), not phusong's: choose another --data-dir",
			ErrNotDatabase, p, strings.Join(tables, ", "))
	}
	return nil
}

// strings1 reads the one text column of rows (closing them), as the result of a Query.
func strings1(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// checkDirWritable makes and removes a file in dir: SQLite needs to create its journal (-wal,
// -shm) beside the database.
func checkDirWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".phusong-write-check-*")
	if err != nil {
		return notWritable(dir, "cannot create files in the data directory", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// notWritable is ErrNotWritable for path with what failed, the cause (permission denied,
// read-only file system …) and path's permissions.
func notWritable(path, what string, err error) error {
	perm := ""
	if fi, serr := os.Stat(path); serr == nil {
		perm = fmt.Sprintf(" (mode %s", fi.Mode())
		if uid := os.Getuid(); uid >= 0 {
			perm += fmt.Sprintf("; this process runs as uid %d", uid)
		}
		perm += ")"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%w: %s: %s: %v%s; give this process write access, or choose another --data-dir",
		ErrNotWritable, path, what, err, perm)
}

// openError names p in an error of opening or migrating the database; SQLite's "unable to open
// database file" and "attempt to write a readonly database" (a directory or file that is not
// writable) become ErrNotWritable with the directory's permissions.
func openError(p string, err error) error {
	if pgReadOnly(err) {
		return fmt.Errorf("%w: %s: PostgreSQL refused a write: %w; give this role write access, or connect to the primary",
			ErrNotWritable, p, err)
	}
	if d := pgDetail(err); d != "" {
		return fmt.Errorf("persist: %s: %w (%s)", p, err, d)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_CANTOPEN || se.Code()&0xff == sqlite3.SQLITE_READONLY) {
		return notWritable(filepath.Dir(p), "SQLite cannot open "+filepath.Base(p), err)
	}
	return fmt.Errorf("persist: %s: %w", p, err)
}

// full marks a write error caused by a full disk (or the MaxBytes cap) as ErrDiskFull, and
// one caused by a file or directory that became unwritable as ErrNotWritable, naming the
// database; other errors are returned as they are.
func (db *DB) full(err error) error {
	if db.backend == Postgres {
		return db.pgFull(err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: the disk holding %s is full, or the database reached its size limit: %w", ErrDiskFull, db.path, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return notWritable(filepath.Dir(db.path), "SQLite cannot write "+filepath.Base(db.path), err)
	}
	return err
}
