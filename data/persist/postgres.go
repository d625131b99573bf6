package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresPoolSize is how many connections a DB opened by OpenURL keeps open at most.
const PostgresPoolSize = 8

// IsURL reports whether s names a PostgreSQL database (postgres:// or postgresql://), the
// form OpenURL takes, rather than a data directory.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// OpenURL opens the PostgreSQL database dbURL names (postgres://user:pass@host:port/db?…, any
// parameter pgx reads, e.g. sslmode, or host=/run/postgresql for a unix socket) and brings its
// schema up to date, creating the PostGIS extension in the first migration (which needs a role
// allowed to, or an extension the administrator created). The database must exist; phusong
// makes its tables in the connection's schema (search_path, e.g.
// ?options=-csearch_path%3Dphusong). It fails, naming the URL without its password, when the
// server cannot be reached, with a *SchemaError when the schema is newer than this binary's,
// and with ErrNotDatabase when the schema holds another program's tables. o.MaxBytes > 0 caps
// the database's size (pg_database_size, every schema and the PostGIS tables included): a write
// starting at or past it fails with ErrDiskFull (a soft cap: the write that crosses it is kept).
// Several processes may open one database: writes are serialised between them.
func OpenURL(ctx context.Context, dbURL string, o Options) (*DB, error) {
	if !IsURL(dbURL) {
		return nil, fmt.Errorf("%w: database URL %q: want postgres://user@host:port/database", ErrInvalid, redact(dbURL))
	}
	name := redact(dbURL)
	ms, err := migrations(Postgres)
	if err != nil {
		return nil, err
	}
	pool, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, fmt.Errorf("persist: %s: %w", name, err)
	}
	pool.SetMaxOpenConns(PostgresPoolSize)
	pool.SetMaxIdleConns(PostgresPoolSize)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	c := conn{db: pool, b: Postgres}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, openError(name, fmt.Errorf("cannot connect: %w", err))
	}
	if err := checkOursPG(ctx, c, name); err != nil {
		pool.Close()
		return nil, err
	}
	if err := migrate(ctx, c, name, ms); err != nil {
		pool.Close()
		return nil, err
	}
	c.maxBytes = o.MaxBytes
	return &DB{path: name, backend: Postgres, w: c, r: c, now: time.Now, compares: func() {}}, nil
}

// redact returns a database URL without its password.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a database URL that does not parse)"
	}
	return u.Redacted()
}

// postgisTables are the tables the PostGIS extension makes in the schema it is created in.
var postgisTables = []string{"spatial_ref_sys"}

// checkOursPG refuses, without changing it, a schema holding tables but no schema_version:
// another program's database.
func checkOursPG(ctx context.Context, c conn, name string) error {
	names, err := strings1(c.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`))
	if err != nil {
		return openError(name, err)
	}
	var tables []string
	for _, n := range names {
		if !slices.Contains(postgisTables, n) {
			tables = append(tables, n)
		}
	}
	if len(tables) > 0 && !slices.Contains(tables, "schema_version") {
		return fmt.Errorf("%w: %s holds another program's tables (%s), not phusong's: choose another database or schema",
			ErrNotDatabase, name, strings.Join(tables, ", "))
	}
	return nil
}

// pgReadOnly reports whether err is PostgreSQL refusing a write: a read-only transaction (a
// standby, default_transaction_read_only) or a role without the privilege.
func pgReadOnly(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == pgReadOnlyTx || pe.Code == pgInsufficientPriv)
}

// pgFull is full for PostgreSQL: a full disk (SQLSTATE 53100) is ErrDiskFull, a read-only
// transaction or a missing privilege ErrNotWritable, and other server errors carry their
// table, column, constraint and detail.
func (db *DB) pgFull(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Code == pgDiskFull:
		return fmt.Errorf("%w: the disk holding the PostgreSQL database %s is full: %w", ErrDiskFull, db.path, err)
	case pgReadOnly(err):
		return openError(db.path, err)
	}
	if d := pgDetail(err); d != "" {
		return fmt.Errorf("%w (%s)", err, d)
	}
	return err
}
