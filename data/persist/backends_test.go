package persist

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/persist/pgtest"
)

// pg is the PostgreSQL server of this package's tests, started by the first test that needs
// it and stopped by TestMain.
var pg = pgtest.New()

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, pg)) }

// openBackend opens a fresh, empty database of backend b for t, closed when t ends: a new
// directory (SQLite) or a new database on the test server (PostgreSQL).
func openBackend(t testing.TB, b Backend) *DB {
	t.Helper()
	if b == SQLite {
		return openTest(t)
	}
	db, err := OpenURL(context.Background(), pg.URL(t), Options{})
	return closeAtEnd(t, db, err)
}

// backends are the engines every shared test runs on.
var backends = []Backend{SQLite, Postgres}

// eachBackend runs f as the subtests "sqlite" and "postgres", each on a fresh database: the
// same test suite for both backends.
func eachBackend(t *testing.T, f func(t *testing.T, db *DB)) {
	t.Helper()
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) { f(t, openBackend(t, b)) })
	}
}

// TestMigrationsInStep: both backends have the same migrations, by number and name, so that
// schema version N means the same tables on both.
func TestMigrationsInStep(t *testing.T) {
	lite, err := migrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pgm, err := migrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	name := func(m migration) string { return m.name }
	if a, b := mapNames(lite, name), mapNames(pgm, name); !slices.Equal(a, b) {
		t.Fatalf("SQLite migrations %v, PostgreSQL migrations %v: keep them numbered in step", a, b)
	}
}

func mapNames[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// TestPostGISStations: on PostgreSQL every stored station is a PostGIS point at its lon/lat
// (SRID 4326) that an analyst's spatial query finds through the GiST index.
func TestPostGISStations(t *testing.T) {
	db := openBackend(t, Postgres)
	ctx := context.Background()
	v := "viettel"
	a, b := site(v, "a", 30), site(v, "b", 30)
	a.Lon, a.Lat, b.Lon, b.Lat = 106.3421, 9.9347, 106.5012, 9.6011
	if _, err := db.Sites().Apply(ctx, Upload{Carrier: v, Mode: ModeReplace}, []data.Site{a, b}); err != nil {
		t.Fatal(err)
	}
	var lon, lat float64
	var srid int
	if err := db.r.QueryRowContext(ctx, `SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM items
		WHERE kind = 'sites' AND carrier = ? AND item_id = ?`, v, "a").Scan(&lon, &lat, &srid); err != nil {
		t.Fatal(err)
	}
	if lon != a.Lon || lat != a.Lat || srid != 4326 {
		t.Errorf("geom of a = (%v %v) SRID %d, want (%v %v) 4326", lon, lat, srid, a.Lon, a.Lat)
	}
	// within 1 km of a point 500 m east of a (geodesic, on the geography type): a only
	var near []string
	rows, err := db.r.QueryContext(ctx, `SELECT item_id FROM items WHERE kind = 'sites'
		AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, 1000) ORDER BY item_id`,
		a.Lon+0.00456, a.Lat)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		near = append(near, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(near, []string{"a"}) {
		t.Errorf("sites within 1 km = %v, want [a]", near)
	}
	// the planner uses the GiST index for a bounding-box search (sequential scans disallowed)
	tx, err := db.r.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	plan := ""
	prow, err := tx.QueryContext(ctx, `EXPLAIN SELECT item_id FROM items WHERE geom && ST_MakeEnvelope(106, 9.5, 106.4, 10, 4326)`)
	if err != nil {
		t.Fatal(err)
	}
	for prow.Next() {
		var line string
		prow.Scan(&line)
		plan += line + "\n"
	}
	prow.Close()
	if !strings.Contains(plan, "items_geom") {
		t.Errorf("bounding-box search does not use the GiST index items_geom:\n%s", plan)
	}
}

// TestUniqueViolation: a unique-key violation is recognised on both backends (isUnique), the
// token id collision CreateToken retries.
func TestUniqueViolation(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		_, info, err := db.CreateToken(ctx, "viettel", false, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.w.ExecContext(ctx, `INSERT INTO tokens (id, hash, carrier, admin, role, note, created_at)
			VALUES (?, ?, 'viettel', ?, '', '', ?)`, info.ID, []byte{1}, false, timeText(db.clock()))
		if err == nil || !isUnique(err) {
			t.Errorf("duplicate token id: %v, want a unique violation", err)
		}
		if isUnique(errors.New("UNIQUE constraint failed (a message, not the engine's error)")) {
			t.Error("isUnique trusts a message")
		}
	})
}

// TestPostgresRefusesForeignSchema: a PostgreSQL schema holding another program's tables is
// ErrNotDatabase, left untouched; a schema version newer than this binary's is a *SchemaError.
func TestPostgresRefusesForeignSchema(t *testing.T) {
	ctx := context.Background()
	url := pg.URL(t)
	other, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TABLE invoices (id int)`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenURL(ctx, url, Options{}); !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), "invoices") {
		t.Errorf("OpenURL on another program's tables = %v, want ErrNotDatabase naming them", err)
	}
	if _, err := other.Exec(`DROP TABLE invoices`); err != nil {
		t.Fatal(err)
	}
	db, err := OpenURL(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := other.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	var se *SchemaError
	if _, err := OpenURL(ctx, url, Options{}); !errors.As(err, &se) || se.Have != SchemaVersion()+1 || strings.Contains(err.Error(), "password") {
		t.Errorf("OpenURL on a newer schema = %v, want a *SchemaError", err)
	}
	if _, err := OpenURL(ctx, "postgres://nobody:secret@/nowhere?host=/nonexistent", Options{}); err == nil ||
		strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("OpenURL of an unreachable server = %v, want a connection error without the password", err)
	}
}

// TestExpectHead: Head is the carrier's latest applied upload of the kind (dry runs and other
// carriers aside), Heads lists every carrier's, and an upload computed at an older head is
// refused with ErrStale, storing nothing — on both backends.
func TestExpectHead(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		sites := db.Sites()
		v, m := "viettel", "mobifone"
		if h, err := sites.Head(ctx, v); err != nil || h != 0 {
			t.Fatalf("Head of an empty list = %d, %v; want 0", h, err)
		}
		zero := int64(0)
		u1, err := sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace, ExpectHead: &zero}, []data.Site{site(v, "a", 30)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sites.Apply(ctx, Upload{Carrier: m, Mode: ModeReplace}, []data.Site{site(m, "a", 30)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace, DryRun: true}, []data.Site{site(v, "z", 30)}); err != nil {
			t.Fatal(err)
		}
		if h, err := sites.Head(ctx, v); err != nil || h != u1.ID {
			t.Errorf("Head = %d, %v; want %d (the dry run and mobifone's upload do not count)", h, err, u1.ID)
		}
		_, err = sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace, ExpectHead: &zero}, []data.Site{site(v, "b", 30)})
		if !errors.Is(err, ErrStale) {
			t.Fatalf("Apply at a stale head = %v, want ErrStale", err)
		}
		if cur, _ := sites.Current(ctx, v); ids(cur) != "a:30" {
			t.Errorf("after the stale Apply the list is %s, want a:30", ids(cur))
		}
		u3, err := sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace, ExpectHead: &u1.ID}, []data.Site{site(v, "b", 30)})
		if err != nil {
			t.Fatal(err)
		}
		heads, err := sites.Heads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(heads) != 2 || heads[v] != u3.ID || heads[m] != u1.ID+1 {
			t.Errorf("Heads = %v, want viettel %d, mobifone %d", heads, u3.ID, u1.ID+1)
		}
	})
}

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`kind = ?1 AND c = ?2 AND id < ?3 OR k = ?1`, `kind = $1 AND c = $2 AND id < $3 OR k = $1`},
		{`note = '?' AND x = ? AND "we?ird" = ?`, `note = '?' AND x = $1 AND "we?ird" = $2`},
		{`s = 'it''s?' AND t = ?`, `s = 'it''s?' AND t = $1`},
	} {
		if got := Postgres.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := SQLite.rebind(c.in); got != c.in {
			t.Errorf("SQLite rebind changed %q to %q", c.in, got)
		}
	}
}

// TestPostgresNotWritable: a role that may only read opens the database (its schema is up to
// date: nothing is written) and gets ErrNotWritable naming the database on its first write, as
// does a read-only session (a standby).
func TestPostgresNotWritable(t *testing.T) {
	ctx := context.Background()
	url := pg.URL(t)
	db, err := OpenURL(ctx, url, Options{})
	closeAtEnd(t, db, err)
	for _, q := range []string{`CREATE ROLE reader LOGIN`, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader`} {
		if _, err := db.w.db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
	}
	for name, u := range map[string]string{
		"reader":    strings.Replace(url, "postgres://postgres@", "postgres://reader@", 1),
		"read-only": url + "&options=-cdefault_transaction_read_only%3Don",
	} {
		ro, err := OpenURL(ctx, u, Options{})
		closeAtEnd(t, ro, err)
		if list, err := ro.ListTokens(ctx); err != nil || len(list) != 0 {
			t.Errorf("%s: ListTokens = %v, %v", name, list, err)
		}
		_, _, err = ro.CreateToken(ctx, "viettel", false, "")
		if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), redact(u)) {
			t.Errorf("%s: CreateToken = %v, want ErrNotWritable naming the database", name, err)
		}
	}
}
