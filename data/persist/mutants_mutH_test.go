package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Tests added for mutants gremlins found alive in persist.go's lines after 189, versions.go and
// dialect.go's PostgreSQL branches (bench/README.md, "Ninth pass, mutH"): each pins a behaviour
// the other tests of the package leave open.

// TestOpenWhileAnotherWrites: an up-to-date SQLite database opens at once while another
// connection holds the write lock (a long upload on a running server): Open only reads the
// schema version then, and never waits for the writer (before the fast path, it would wait
// BusyTimeout for a write transaction and fail).
func TestOpenWhileAnotherWrites(t *testing.T) {
	db := openTest(t)
	tx, err := db.w.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE: the file's write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	other, err := Open(filepath.Dir(db.Path()))
	if err != nil {
		t.Fatalf("Open while another connection writes: %v", err)
	}
	other.Close()
}

// TestCloseReleasesTheFile: Close closes the SQLite reader pool as well as the writer: no
// descriptor of this process is left on the database file (Linux's /proc/self/fd lists them).
func TestCloseReleasesTheFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("lists open files through Linux's /proc/self/fd")
	}
	db := openTest(t)
	if _, err := db.Uploads(context.Background(), UploadFilter{}); err != nil { // a read: the reader pool opens the file
		t.Fatal(err)
	}
	p := db.Path()
	open := func() (readers int) {
		t.Helper()
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatalf("listing this process's open files: %v", err)
		}
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == p {
				readers++
			}
		}
		return readers
	}
	if n := open(); n < 2 {
		t.Fatalf("%d descriptors on %s while open, want at least 2 (writer and reader)", n, p)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := open(); n != 0 {
		t.Errorf("%d descriptors on %s after Close, want 0", n, p)
	}
}

// TestNotWritableNames: the error names the path, what failed, the cause without Go's
// "open <path>:" prefix, the path's mode and this process's uid — also uid 0 (root).
func TestNotWritableNames(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	err := notWritable(dir, "cannot create files in the data directory",
		&fs.PathError{Op: "open", Path: filepath.Join(dir, "x"), Err: syscall.EACCES})
	want := notWritableText(t, dir, "cannot create files in the data directory", syscall.EACCES)
	if err.Error() != want || want != fmt.Sprintf("persist: not writable: %s: cannot create files in the data directory: "+
		"permission denied (mode drwx------; this process runs as uid %d); give this process write access, "+
		"or choose another --data-dir", dir, os.Getuid()) {
		t.Errorf("error\n%s, want\n%s", err, want)
	}
}

// notWritableText is ErrNotWritable's message for path (its mode read now), what failed and
// its cause, as the doc of notWritable describes it.
func notWritableText(t *testing.T, path, what string, cause error) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("persist: not writable: %s: %s: %v (mode %s; this process runs as uid %d); "+
		"give this process write access, or choose another --data-dir", path, what, cause, fi.Mode(), os.Getuid())
}

// TestOpenErrorKinds: openError makes SQLite's "unable to open" (CANTOPEN) and "readonly"
// (READONLY) ErrNotWritable naming the file's directory, leaves SQLite's other errors as they
// are (named with the path), and adds a PostgreSQL error's table, column, constraint and detail
// when it has any — nothing when it has none. The SQLite errors are the driver's own.
func TestOpenErrorKinds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "phusong.db")
	sqliteErr := func(dsn, q string) error {
		t.Helper()
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, q)
		if err == nil {
			t.Fatalf("%s on %s: no error", q, dsn)
		}
		return err
	}
	if _, err := Open(dir); err != nil { // a database to open read-only
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		err      error
		writable bool
	}{
		{"cannot open", sqliteErr("file:"+filepath.Join(dir, "missing", "x.db"), `CREATE TABLE t (x INTEGER)`), false},
		{"read-only", sqliteErr(dsn(p, "mode=ro"), `CREATE TABLE t (x INTEGER)`), false},
		{"syntax", sqliteErr(dsn(p), `CREATE TABLE`), true},
	} {
		err := openError(p, c.err)
		if c.writable {
			if want := fmt.Sprintf("persist: %s: %v", p, c.err); errors.Is(err, ErrNotWritable) || err.Error() != want {
				t.Errorf("%s: %v, want %s", c.name, err, want)
			}
			continue
		}
		if want := notWritableText(t, dir, "SQLite cannot open phusong.db", c.err); !errors.Is(err, ErrNotWritable) || err.Error() != want {
			t.Errorf("%s: %v, want ErrNotWritable: %s", c.name, err, want)
		}
	}
	const url = "postgres://phusong@db.example/phusong"
	bare := &pgconn.PgError{Severity: "ERROR", Code: "42P01", Message: `relation "schema_version" does not exist`}
	if got, want := openError(url, bare).Error(), "persist: "+url+": "+bare.Error(); got != want {
		t.Errorf("PostgreSQL error without details: %s, want %s", got, want)
	}
	detailed := &pgconn.PgError{Severity: "ERROR", Code: "23505", Message: "duplicate key value violates unique constraint",
		TableName: "schema_version", ConstraintName: "schema_version_pkey", Detail: "Key (version)=(3) already exists."}
	want := "persist: " + url + ": " + detailed.Error() +
		" (table schema_version, constraint schema_version_pkey, detail Key (version)=(3) already exists.)"
	if got := openError(url, detailed).Error(); got != want {
		t.Errorf("PostgreSQL error with details: %s, want %s", got, want)
	}
}

// TestPostgresMaxBytesAtTheCap: on PostgreSQL a write transaction is refused once the database
// is exactly Options.MaxBytes large ("at or past its limit"), and allowed one byte under it;
// reads go on.
func TestPostgresMaxBytesAtTheCap(t *testing.T) {
	url := pg.URL(t)
	ctx := context.Background()
	open := func(maxBytes int64) *DB {
		db, err := OpenURL(ctx, url, Options{MaxBytes: maxBytes})
		return closeAtEnd(t, db, err)
	}
	uncapped := open(0)
	_, tok, err := uncapped.CreateToken(ctx, "viettel", false, "")
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	if err := uncapped.r.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	up := Upload{Carrier: "viettel", TokenID: tok.ID, Mode: ModeReplace}
	atCap := open(size)
	want := fmt.Sprintf("persist: apply: persist: storage full: the PostgreSQL database is %d bytes, at or past its limit of %d (--max-db-bytes)", size, size)
	if _, err := atCap.Sites().Apply(ctx, up, nil); !errors.Is(err, ErrDiskFull) || err.Error() != want {
		t.Errorf("an upload at the cap: %v, want %s", err, want)
	}
	if ups, err := atCap.Uploads(ctx, UploadFilter{}); err != nil || len(ups) != 0 {
		t.Errorf("a read at the cap: %d uploads, %v", len(ups), err)
	}
	if _, err := open(size+1).Sites().Apply(ctx, up, nil); err != nil {
		t.Errorf("an upload 1 byte under the cap: %v", err)
	}
}

// TestDecodeItemsSplit: a stored list of 3,001 items is decoded by 3 goroutines (one per 1,000
// items, at most GOMAXPROCS, here 4), each its own share; every item comes back in its place,
// and a bad body is named.
func TestDecodeItemsSplit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const n = 3001
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = []byte(strconv.Itoa(i * 7))
	}
	got, err := decodeItems[int]("sites", bodies)
	if err != nil || len(got) != n {
		t.Fatalf("%d items, %v", len(got), err)
	}
	for i, v := range got {
		if v != i*7 {
			t.Fatalf("item %d decoded as %d, want %d", i, v, i*7)
		}
	}
	bodies[2500] = []byte(`"x"`)
	if _, err := decodeItems[int]("sites", bodies); err == nil || err.Error() != "persist: current sites: stored item: json: cannot unmarshal string into Go value of type int" {
		t.Errorf("a bad item: %v", err)
	}
}
