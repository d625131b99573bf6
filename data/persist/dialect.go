package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Backend names the database engine behind a DB.
type Backend string

// The backends: SQLite in a data directory (the embedded default) and PostgreSQL with PostGIS.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// The queries are written once, in the SQL both engines speak, with ? placeholders (?N for a
// numbered one); conn and txn rewrite them for the backend (PostgreSQL: $1, $2 …). What the
// engines do not share is kept out of the queries: ids come back by RETURNING (no
// LastInsertId), duplicates are ignored by ON CONFLICT DO NOTHING, flags are compared as
// booleans (NOT dry_run), times are written as RFC 3339 text (SQLite keeps the text,
// PostgreSQL parses it into timestamptz) and read into strings (database/sql formats a
// timestamptz as RFC 3339). The schemas differ and are kept in one migration set per backend
// (migrations/ and migrations/postgres/, numbered in step).

// rebind rewrites q's placeholders for b: on PostgreSQL each ? becomes $n (n counting from 1)
// and ?N becomes $N; quoted text ('…', "…") is left alone.
func (b Backend) rebind(q string) string {
	if b != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var out strings.Builder
	out.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			out.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			out.WriteByte(c)
		case c == '?':
			j := i + 1
			for j < len(q) && '0' <= q[j] && q[j] <= '9' {
				j++
			}
			out.WriteByte('$')
			if j > i+1 {
				out.WriteString(q[i+1 : j])
				i = j - 1
			} else {
				n++
				fmt.Fprint(&out, n)
			}
		default:
			out.WriteByte(c)
		}
	}
	return out.String()
}

// writeLockKey is the PostgreSQL advisory lock every write transaction takes first, so that
// writes from several phusong processes run one at a time, as SQLite's BEGIN IMMEDIATE makes
// them: a write's reads (the current list it diffs against) see every earlier commit.
const writeLockKey = 0x70687573 // "phus"

// conn is a *sql.DB speaking b's dialect.
type conn struct {
	db *sql.DB
	b  Backend
	// maxBytes > 0 (PostgreSQL, Options.MaxBytes): a write transaction refuses to start while the
	// database is that large or larger (see checkSize).
	maxBytes int64
}

// ExecContext is sql.DB.ExecContext with q rebound.
func (c conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, c.b.rebind(q), args...)
}

// QueryContext is sql.DB.QueryContext with q rebound.
func (c conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, c.b.rebind(q), args...)
}

// QueryRowContext is sql.DB.QueryRowContext with q rebound.
func (c conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, c.b.rebind(q), args...)
}

// BeginTx starts a write transaction (on PostgreSQL holding writeLockKey until it ends).
func (c conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if c.b == Postgres && (opts == nil || !opts.ReadOnly) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
			tx.Rollback()
			return nil, err
		}
		if err := c.checkSize(ctx, tx); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return &txn{tx: tx, b: c.b}, nil
}

// checkSize refuses a write on PostgreSQL while the database (pg_database_size) has reached
// c.maxBytes: ErrDiskFull, as SQLite's cap. PostgreSQL has no cap of its own, so this one is
// soft: a write that starts under the cap may end above it; the next write is refused.
func (c conn) checkSize(ctx context.Context, tx *sql.Tx) error {
	if c.b != Postgres || c.maxBytes <= 0 {
		return nil
	}
	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
		return err
	}
	if size >= c.maxBytes {
		return fmt.Errorf("%w: the PostgreSQL database is %d bytes, at or past its limit of %d (--max-db-bytes)", ErrDiskFull, size, c.maxBytes)
	}
	return nil
}

// txn is a *sql.Tx speaking b's dialect.
type txn struct {
	tx *sql.Tx
	b  Backend
}

// ExecContext is sql.Tx.ExecContext with q rebound.
func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.b.rebind(q), args...)
}

// QueryContext is sql.Tx.QueryContext with q rebound.
func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.b.rebind(q), args...)
}

// QueryRowContext is sql.Tx.QueryRowContext with q rebound.
func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.b.rebind(q), args...)
}

// PrepareContext is sql.Tx.PrepareContext with q rebound.
func (t *txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.b.rebind(q))
}

// Commit commits the transaction.
func (t *txn) Commit() error { return t.tx.Commit() }

// Rollback aborts the transaction (a no-op after Commit).
func (t *txn) Rollback() error { return t.tx.Rollback() }

// PostgreSQL error classes phusong tells apart (SQLSTATE codes).
const (
	pgUniqueViolation  = "23505"
	pgDiskFull         = "53100"
	pgReadOnlyTx       = "25006"
	pgInsufficientPriv = "42501"
)

// isUnique reports whether err is a unique-constraint violation, on either backend.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgUniqueViolation
}

// pgDetail is PostgreSQL's detail of err (which key, which column, which constraint), for
// messages that name the row and field as SQLite's do; "" for other errors.
func pgDetail(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return ""
	}
	var parts []string
	for _, p := range []struct{ name, v string }{{"table", pe.TableName}, {"column", pe.ColumnName},
		{"constraint", pe.ConstraintName}, {"detail", pe.Detail}} {
		if p.v != "" {
			parts = append(parts, p.name+" "+p.v)
		}
	}
	return strings.Join(parts, ", ")
}
