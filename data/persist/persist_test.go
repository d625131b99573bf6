package persist

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data"
)

// openTest opens a fresh database in a temporary directory, closed at the end of the test.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.TempDir())
	return closeAtEnd(t, db, err)
}

// closeAtEnd fails t on err, and closes db when t ends.
func closeAtEnd(t testing.TB, db *DB, err error) *DB {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// rawVersion reads schema_version straight from the file at p.
func rawVersion(t *testing.T, p string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v int
	if err := raw.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != len(ms) {
		t.Fatalf("%d migrations, SchemaVersion %d", len(ms), SchemaVersion())
	}
	for i, m := range ms {
		if m.version != i+1 || !strings.HasPrefix(m.name, fmt.Sprintf("%04d_", i+1)) {
			t.Errorf("migration %d is %s (version %d)", i, m.name, m.version)
		}
	}
}

func TestOpenSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if want := filepath.Join(dir, FileName); db.Path() != want {
		t.Errorf("Path %q, want %q", db.Path(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	// The writer connection is the one whose settings matter for durability.
	cases := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, c := range cases {
		var got string
		if err := db.w.db.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	var qo string
	if err := db.r.db.QueryRow("PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
		t.Errorf("reader query_only = %q, %v", qo, err)
	}
	if _, err := db.r.db.Exec(`INSERT INTO schema_version VALUES (7)`); err == nil {
		t.Error("the read pool accepted a write")
	}
	if v := rawVersion(t, db.Path()); v != SchemaVersion() {
		t.Errorf("schema version %d, want %d", v, SchemaVersion())
	}
}

func TestOpenEmptyDir(t *testing.T) {
	if _, err := Open(""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open(\"\") = %v, want ErrInvalid", err)
	}
}

// TestMigrateForwardThenRefuse runs a pretend migration 2 on a version-1 file, then opens the
// file with this binary (which knows only the real migrations) and expects the upgrade message.
func TestMigrateForwardThenRefuse(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := migrations(SQLite)
	future := append(ms, migration{version: len(ms) + 1, name: "0099_future.sql",
		sql: "CREATE TABLE future (x INTEGER); INSERT INTO future VALUES (42);"})
	if err := migrate(context.Background(), db.w, db.Path(), future); err != nil {
		t.Fatal(err)
	}
	var x int
	if err := db.w.db.QueryRow(`SELECT x FROM future`).Scan(&x); err != nil || x != 42 {
		t.Fatalf("future table: %d, %v", x, err)
	}
	p := db.Path()
	db.Close()
	if v := rawVersion(t, p); v != len(ms)+1 {
		t.Fatalf("version %d after the pretend migration", v)
	}

	_, err = Open(dir)
	var se *SchemaError
	if !errors.Is(err, ErrSchemaTooNew) || !errors.As(err, &se) {
		t.Fatalf("Open = %v, want a *SchemaError", err)
	}
	if se.Have != len(ms)+1 || se.Known != len(ms) || se.Path != p {
		t.Errorf("SchemaError %+v", se)
	}
	want := fmt.Sprintf("persist: %s has schema version %d; this phusong knows up to %d: upgrade phusong", p, len(ms)+1, len(ms))
	if err.Error() != want {
		t.Errorf("message\n%q, want\n%q", err.Error(), want)
	}
}

// TestMigrationFailureRollsBack: a script failing half-way leaves neither its first statement
// nor a new version behind.
func TestMigrationFailureRollsBack(t *testing.T) {
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) {
			db := openBackend(t, b)
			ms, _ := migrations(b)
			bad := append(ms, migration{version: len(ms) + 1, name: "0002_bad.sql",
				sql: "CREATE TABLE half (x INTEGER); CREATE TABLE (;"})
			err := migrate(context.Background(), db.w, db.Path(), bad)
			if err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
				t.Fatalf("migrate = %v, want an error naming 0002_bad.sql", err)
			}
			half := `SELECT count(*) FROM sqlite_schema WHERE name = 'half'`
			if b == Postgres {
				half = `SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'`
			}
			var n, v int
			if err := db.r.QueryRowContext(context.Background(), half).Scan(&n); err != nil || n != 0 {
				t.Errorf("table half exists (%d, %v)", n, err)
			}
			if err := db.r.QueryRowContext(context.Background(), `SELECT version FROM schema_version`).Scan(&v); err != nil || v != len(ms) {
				t.Errorf("version %d (%v), want %d", v, err, len(ms))
			}
		})
	}
}

// TestTwoOpenersShareTheFile is the server and `phusong token create` on one data dir: writes
// from either are seen by the other.
func TestTwoOpenersShareTheFile(t *testing.T) {
	dir := t.TempDir()
	server, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	cli, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, _, err := cli.CreateToken(ctx, "viettel", false, "from the CLI")
	if err != nil {
		t.Fatal(err)
	}
	cli.Close()
	info, err := server.Authenticate(ctx, tok)
	if err != nil || info.Carrier != "viettel" {
		t.Fatalf("Authenticate = %+v, %v", info, err)
	}
}

// TestOpenRefusesNonDatabase: an existing phusong.db that is empty, not SQLite or another
// program's database is an error naming it; Open never starts a new database over it (before,
// an empty file was taken for a new database and seeded with the demo, losing tokens and
// history).
func TestOpenRefusesNonDatabase(t *testing.T) {
	foreign := func(t *testing.T, p string) {
		raw, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`CREATE TABLE customers (id INTEGER)`); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		make func(t *testing.T, p string)
		want string
	}{
		{"empty", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) }, "is empty (0 bytes)"},
		{"text", func(t *testing.T, p string) { os.WriteFile(p, []byte("carrier,site_id\n"), 0o600) }, `is not a SQLite database (it starts with "carrier,site_id\n")`},
		{"short", func(t *testing.T, p string) { os.WriteFile(p, []byte("SQL"), 0o600) }, "is not a SQLite database"},
		{"another program's", foreign, "is another program's SQLite database (tables customers)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, FileName)
			c.make(t, p)
			before, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want ErrNotDatabase naming %s and %q", err, p, c.want)
			}
			if after, _ := os.ReadFile(p); string(after) != string(before) {
				t.Errorf("the file was changed")
			}
		})
	}
}

// readOnlyDir returns a directory this process cannot write: a read-only tmpfs when running as
// root (permissions do not stop root), else a directory with mode 0555. It skips the test when
// neither is possible.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Getuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return dir
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("running as root and cannot mount a read-only tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestOpenNotWritable: a data directory the process cannot write gives ErrNotWritable naming the
// directory, the cause and its mode (before: "unable to open database file (14)").
func TestOpenNotWritable(t *testing.T) {
	dir := readOnlyDir(t)
	_, err := Open(dir)
	if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), dir+": cannot create files in the data directory") ||
		!(strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "read-only file system")) ||
		!strings.Contains(err.Error(), "mode d") {
		t.Fatalf("error %v", err)
	}
	_, err = Open(filepath.Join(dir, "sub"))
	if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), "cannot create the data directory") {
		t.Fatalf("nested: error %v", err)
	}
}

// TestDiskFull: a write that does not fit (the MaxBytes cap, which SQLite enforces as it would
// a full disk) fails with ErrDiskFull naming the database, stores nothing, and the database
// keeps working for reads and for writes that fit.
func TestDiskFull(t *testing.T) {
	db, err := OpenWith(t.TempDir(), Options{MaxBytes: 1 << 20}) // the schema takes ≈ 600 KB on 16 KB pages
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	plain, tok, big := fillUp(t, db, 3000)
	if ups, err := db.Uploads(ctx, UploadFilter{}); err != nil || len(ups) != 0 {
		t.Fatalf("after the failed write: %d uploads, %v", len(ups), err)
	}
	if _, err := db.Authenticate(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Sites().Apply(ctx, Upload{Carrier: "viettel", TokenID: tok.ID, Mode: ModeReplace}, big[:3]); err != nil {
		t.Fatalf("a write that fits: %v", err)
	}
}

// TestRealDiskFull is TestDiskFull on a real full file system: a 1 MB tmpfs (when this process
// may mount one).
func TestRealDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillUp(t, db, 20000)
}

// fillUp makes a viettel token and applies a list of n sites, which must fail with ErrDiskFull
// naming the database; it returns the token and the list.
func fillUp(t *testing.T, db *DB, n int) (plain string, tok TokenInfo, list []data.Site) {
	t.Helper()
	ctx := context.Background()
	plain, tok, err := db.CreateToken(ctx, "viettel", false, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		list = append(list, site("viettel", fmt.Sprintf("S%05d", i), 30))
	}
	_, err = db.Sites().Apply(ctx, Upload{Carrier: "viettel", TokenID: tok.ID, Mode: ModeReplace}, list)
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), db.Path()) {
		t.Fatalf("error %v, want ErrDiskFull naming the file", err)
	}
	return plain, tok, list
}

// TestWriteNotWritable: a write that SQLite refuses because the file cannot be written (here
// through a read-only connection; on a server, a data directory made read-only while it runs)
// is ErrNotWritable naming the directory, not a bare SQLite error.
func TestWriteNotWritable(t *testing.T) {
	db := openTest(t)
	ro, err := sql.Open("sqlite", dsn(db.path, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	w := db.w
	db.w = conn{db: ro, b: SQLite}
	defer func() { ro.Close(); db.w = w }()
	_, _, err = db.CreateToken(context.Background(), "viettel", false, "")
	if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), filepath.Dir(db.path)) {
		t.Fatalf("error %v, want ErrNotWritable naming the directory", err)
	}
}

// TestPageSize: a new database file is made with 16 KB pages, on which a stored site (≈ 1.5 KB
// of JSON) stays on its b-tree page; a file made with 4 KB pages keeps them; Options.MaxBytes
// counts in the file's own pages either way.
func TestPageSize(t *testing.T) {
	pragma := func(db *DB, name string) int64 {
		t.Helper()
		var v int64
		if err := db.w.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	const maxBytes = 1 << 20
	db, err := OpenWith(t.TempDir(), Options{MaxBytes: maxBytes})
	db = closeAtEnd(t, db, err)
	if got := pragma(db, "page_size"); got != 16384 {
		t.Errorf("new file: page_size %d, want 16384", got)
	}
	if got := pragma(db, "max_page_count"); got != maxBytes/16384 {
		t.Errorf("new file: max_page_count %d, want %d", got, maxBytes/16384)
	}

	dir := t.TempDir() // an older phusong's file: 4 KB pages (SQLite's default)
	old, err := sql.Open("sqlite", filepath.Join(dir, FileName)+"?_pragma=page_size(4096)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec("CREATE TABLE t (x); DROP TABLE t"); err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err = OpenWith(dir, Options{MaxBytes: maxBytes})
	db = closeAtEnd(t, db, err)
	if got := pragma(db, "page_size"); got != 4096 {
		t.Errorf("4 KB file: page_size %d, want 4096", got)
	}
	if got := pragma(db, "max_page_count"); got != maxBytes/4096 {
		t.Errorf("4 KB file: max_page_count %d, want %d", got, maxBytes/4096)
	}
	st, err := db.Sites().SeedIfEmpty(context.Background(), []data.Site{{Carrier: "viettel", SiteID: "A1"}}, "")
	if err != nil || !st {
		t.Fatalf("seeding the 4 KB file: %v %v", st, err)
	}
}
