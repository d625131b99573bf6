package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"phusong/data/persist"
)

// dbFlags say where a command's database is: the SQLite file of --data-dir (the default), or
// the PostgreSQL database of --db (or $PHUSONG_DB), which wins: with --db the data directory
// holds only what is not the database (serve's upload spool).
type dbFlags struct {
	dataDir string
	url     string
}

// dbEnv is the environment variable that gives --db its default, so that a password need not
// appear on a command line (where ps shows it).
const dbEnv = "PHUSONG_DB"

// add registers --data-dir (described by dirUsage) and --db on fs.
func (d *dbFlags) add(fs *flag.FlagSet, dirUsage string) {
	fs.StringVar(&d.dataDir, "data-dir", defaultDataDir, dirUsage)
	fs.StringVar(&d.url, "db", "", "PostgreSQL (with PostGIS) instead of the data directory's SQLite file: "+
		"postgres://user@host:port/database (default $"+dbEnv+"); wins over --data-dir for the database")
}

// resolve takes --db from $PHUSONG_DB when the flag was not given, and refuses a --db that is
// not a PostgreSQL URL.
func (d *dbFlags) resolve(io stdio) error {
	if d.url == "" && io.Getenv != nil {
		d.url = io.Getenv(dbEnv)
	}
	if d.url != "" && !persist.IsURL(d.url) {
		return fmt.Errorf("--db (or $%s) must be a postgres:// or postgresql:// URL, not a path (a SQLite database is --data-dir DIR)", dbEnv)
	}
	return nil
}

// open opens the database (creating an empty one in a new data directory, or the schema in an
// empty PostgreSQL database).
func (d *dbFlags) open(ctx context.Context, io stdio, o persist.Options) (*persist.DB, error) {
	if err := d.resolve(io); err != nil {
		return nil, err
	}
	if d.url != "" {
		return persist.OpenURL(ctx, d.url, o)
	}
	return persist.OpenWith(d.dataDir, o)
}

// openExisting is open refusing to create a SQLite database (token list and revoke make no
// sense on a new, empty database: the directory is probably wrong). A PostgreSQL database
// exists by the time it can be connected to.
func (d *dbFlags) openExisting(ctx context.Context, io stdio) (*persist.DB, error) {
	if err := d.resolve(io); err != nil {
		return nil, err
	}
	if d.url == "" {
		p := filepath.Join(d.dataDir, persist.FileName)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no database at %s (pass --data-dir, the server's data directory, or --db): %w", p, err)
		}
	}
	return d.open(ctx, io, persist.Options{})
}
