// Package pgtest starts a real, throwaway PostgreSQL 15 server with PostGIS for tests: Debian's
// /usr/lib/postgresql/15/bin/initdb and postgres on a temporary directory, listening on a unix
// socket of its own only (no TCP port), trust authentication, fsync off (nothing outlives the
// test run). As root both programs run as the Debian "postgres" user (initdb refuses root); as
// another user they run as that user. One server serves a test package (start it lazily from
// the tests, stop it in TestMain); each test gets a fresh database cloned from a template that
// already holds the PostGIS extension.
//
// Without the binaries (apt-get install postgresql-15-postgis-3) a test is skipped, and fails
// under CI=true (data/testenv).
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"phusong/data/testenv"
)

// BinDir holds Debian's PostgreSQL 15 programs.
const BinDir = "/usr/lib/postgresql/15/bin"

// Package is the Debian package that provides the server and PostGIS.
const Package = "postgresql-15-postgis-3"

// template is the database every test's database is cloned from (PostGIS created once).
const template = "phusong_template"

// errMissing marks a server that cannot start for lack of the Debian packages.
var errMissing = errors.New("pgtest: PostgreSQL 15 with PostGIS is not installed")

// Server is one throwaway PostgreSQL server. The zero value is not usable: use New.
type Server struct {
	once   sync.Once
	err    error // why the server did not start
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	admin  *sql.DB // the "postgres" database, as superuser

	mu sync.Mutex // serialises CREATE DATABASE … TEMPLATE
	n  int        // databases made
}

// New returns a server that starts on first use (URL) and stops with Stop.
func New() *Server { return &Server{} }

// URL starts the server if it is not running yet, creates a fresh, empty database (with the
// PostGIS extension) for t, dropped when t ends, and returns its postgres:// URL. Without the
// PostgreSQL binaries t stops by testenv.Missing; another failure to start fails t.
func (s *Server) URL(t testing.TB) string {
	t.Helper()
	s.once.Do(func() { s.err = s.start() })
	if errors.Is(s.err, errMissing) {
		testenv.Missing(t, "%v (apt-get install %s)", s.err, Package)
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n)
	_, err := s.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + template)
	s.mu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.urlOf(name)
}

// urlOf is the URL of database name on the server's socket, as the superuser "postgres".
func (s *Server) urlOf(name string) string {
	q := url.Values{"host": {s.dir}, "sslmode": {"disable"}}
	return "postgres://postgres@/" + name + "?" + q.Encode()
}

// waitReady waits until the server answers, it exits (an error with its log), or limit passes.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := s.admin.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgtest: postgres exited: %s", s.log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after %v: %v\n%s", limit, err, s.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// makeTemplate creates the template database with PostGIS.
func (s *Server) makeTemplate() error {
	if _, err := s.admin.Exec(`CREATE DATABASE ` + template); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	db, err := sql.Open("pgx", s.urlOf(template))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE EXTENSION postgis`); err != nil {
		return fmt.Errorf("%w: CREATE EXTENSION postgis: %v", errMissing, err)
	}
	return nil
}

// log is the tail of the server's log, for errors.
func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return strings.TrimSpace(string(b))
}

// Stop shuts the server down (if it was started) and removes its directory. Call it once, in
// TestMain after m.Run.
func (s *Server) Stop() error {
	var errs []error
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt) // SIGINT, fast shutdown: ends the sessions, exits
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			errs = append(errs, errors.New("pgtest: postgres did not stop within 20 s: killed"))
		}
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// Main runs m with s stopped afterwards, for TestMain: os.Exit(pgtest.Main(m, pg)).
func Main(m *testing.M, s *Server) int {
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
