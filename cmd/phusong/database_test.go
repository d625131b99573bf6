package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data/persist/pgtest"
)

// pg is the PostgreSQL server of this package's tests, started by the first test that needs
// it and stopped by TestMain.
var pg = pgtest.New()

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, pg)) }

// TestTokenOnPostgres: the token commands work on --db, and on $PHUSONG_DB without the flag;
// --db wins over --data-dir (no SQLite file is made); a --db that is not a postgres:// URL is
// refused, naming the flag.
func TestTokenOnPostgres(t *testing.T) {
	url := pg.URL(t)
	dir := filepath.Join(t.TempDir(), "data")
	out, stderr, err := runTokenCLI("create", "--carrier", "viettel", "--db", url, "--data-dir", dir)
	if err != nil {
		t.Fatalf("token create --db: %v\n%s", err, stderr)
	}
	m := tokenLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("token create printed %q", out)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("--db with --data-dir made %s: the database must be PostgreSQL's only", dir)
	}
	var lout, lerr bytes.Buffer
	env := func(k string) string {
		if k == dbEnv {
			return url
		}
		return ""
	}
	io := stdio{Stdin: strings.NewReader(""), Stdout: &lout, Stderr: &lerr, Getenv: env}
	if err := runToken(context.Background(), io, []string{"list"}); err != nil {
		t.Fatalf("token list with $%s: %v\n%s", dbEnv, err, lerr.String())
	}
	if !strings.Contains(lout.String(), m[1]) || !strings.Contains(lout.String(), "viettel") {
		t.Errorf("token list on $%s does not list %s:\n%s", dbEnv, m[1], lout.String())
	}
	_, _, err = runTokenCLI("list", "--db", filepath.Join(dir, "phusong.db"))
	if err == nil || !strings.Contains(err.Error(), "--db") {
		t.Errorf("token list --db PATH = %v, want an error naming --db", err)
	}
}
