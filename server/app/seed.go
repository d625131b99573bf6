package app

import (
	"context"
	"fmt"
	"log/slog"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/persist"
)

// seedSites returns the sites to serve from db: the current list of every carrier. A database
// with no site upload ever is first seeded with seed, one "seed" upload per carrier, keeping
// seedNote on each (the demo's note for synthetic stations, "" for real ones). note is the
// seed's note as stored, so a database seeded from the demo keeps saying so on every start,
// whatever seed is given then.
//
// in says where seed came from: a file's SeedHash (in.SitesSHA256) is recorded when it seeds the
// database, so that a later start given the same file does not read it (SeededFrom); a file that
// differs from the recorded one is logged as not served.
func seedSites(ctx context.Context, db *persist.DB, in *Input, heads map[headsKey]int64, log *slog.Logger) (sites []data.Site, note string, err error) {
	seed := in.Sites
	var from persist.SeedSource
	if in.SitesSHA256 != "" {
		from = persist.SeedSource{SHA256: in.SitesSHA256, File: in.SitesFile}
	}
	sites, note, seeded, uploads, err := loadList(ctx, db, persist.SiteKind(), seed, in.Note, from, heads)
	if err != nil {
		return nil, "", err
	}
	switch {
	case seeded:
		log.Info("database seeded", slog.String("db", db.Path()), slog.Int("sites", len(seed)), slog.Bool("demo", in.Note != ""))
	case in.SitesSeeded:
		log.Info("sites loaded from the database, which was seeded from this --sites file (not read again)",
			slog.String("db", db.Path()), slog.String("file", in.SitesFile), slog.Int("sites", len(sites)), slog.Int("uploads", uploads))
	case in.SitesSHA256 != "" && SeededFrom(ctx, db)(siteKind.kind.Name, in.SitesSHA256):
		// another instance seeded the database from this same file after this one read it
		// (replicas starting together on an empty database)
		log.Info("sites loaded from the database, which another instance seeded from this --sites file meanwhile",
			slog.String("db", db.Path()), slog.String("file", in.SitesFile), slog.Int("sites", len(sites)), slog.Int("uploads", uploads))
	default:
		log.Info("sites loaded from the database (the seed is used only for an empty database)",
			slog.String("db", db.Path()), slog.Int("sites", len(sites)), slog.Int("uploads", uploads))
		if in.SitesSHA256 != "" {
			log.Warn("the --sites file is not the one the database was seeded from: the database's lists are served (upload to change them)",
				slog.String("file", in.SitesFile), slog.String("sha256", in.SitesSHA256[:12]))
		}
	}
	return sites, note, nil
}

// SeededFrom returns the Sources.Seeded of db: true for a kind whose lists db holds (an upload
// at least) and were seeded from a file of that SeedHash.
func SeededFrom(ctx context.Context, db *persist.DB) func(kind, sha256 string) bool {
	return func(kind, sha256 string) bool {
		if kind != siteKind.kind.Name {
			return false
		}
		h, ok, err := db.SeedFile(ctx, kind)
		if err != nil || !ok || h != sha256 {
			return false
		}
		heads, err := db.Sites().Heads(ctx)
		return err == nil && len(heads) > 0
	}
}

// seedFibre returns the fibre network to serve from db, seeding a database with no fibre
// upload ever with seed (nil: nothing) as seedSites does with sites.
func seedFibre(ctx context.Context, db *persist.DB, seed *fibre.Network, seedNote string, heads map[headsKey]int64, log *slog.Logger) (net *fibre.Network, note string, err error) {
	var items []fibre.Item
	if seed != nil {
		items = fibre.Items(seed)
	}
	cur, note, seeded, uploads, err := loadList(ctx, db, persist.FibreKind(), items, seedNote, persist.SeedSource{}, heads)
	if err != nil {
		return nil, "", err
	}
	net = fibre.FromItems(cur)
	if seeded {
		log.Info("database seeded with fibre", slog.String("db", db.Path()), slog.Int("routes", len(net.Routes)),
			slog.Int("access_points", len(net.AccessPoints)), slog.Bool("demo", seedNote != ""))
	} else {
		log.Info("fibre loaded from the database (the seed is used only when no fibre was ever uploaded)",
			slog.String("db", db.Path()), slog.Int("routes", len(net.Routes)),
			slog.Int("access_points", len(net.AccessPoints)), slog.Int("uploads", uploads))
	}
	return net, note, nil
}

// loadList returns the current items of kind in db (every carrier's), first seeding a kind
// never uploaded with seed (one "seed" upload per carrier keeping seedNote, recording from, the
// file seed was read from, in the same transaction); note is the note of the seed uploads as
// stored, and uploads the number of uploads of the kind. The kind's heads
// (persist.Versioned.Heads), read before the items, go into heads (see follow.go).
func loadList[T any](ctx context.Context, db *persist.DB, kind persist.Kind[T], seed []T, seedNote string, from persist.SeedSource, heads map[headsKey]int64) (items []T, note string, seeded bool, uploads int, err error) {
	store := persist.For(db, kind)
	if seeded, err = store.SeedIfEmptyFrom(ctx, seed, seedNote, from); err != nil {
		return nil, "", false, 0, fmt.Errorf("app: seeding %s with %s: %w", db.Path(), kind.Name, err)
	}
	hs, err := store.Heads(ctx)
	if err != nil {
		return nil, "", false, 0, err
	}
	for c, id := range hs {
		heads[headsKey{kind.Name, c}] = id
	}
	if items, err = store.Current(ctx, ""); err != nil {
		return nil, "", false, 0, err
	}
	ups, err := db.Uploads(ctx, persist.UploadFilter{Kind: kind.Name})
	if err != nil {
		return nil, "", false, 0, err
	}
	for _, u := range ups {
		if u.Mode == persist.ModeSeed && u.Note != "" {
			note = u.Note
		}
	}
	return items, note, seeded, len(ups), nil
}

// rebuild replaces the served state with one computed in full from the database's current
// lists, sites and fibre (same engine, communes and definition): the way back to a consistent
// state should an applied upload fail to be served. Called with a.mu held.
func (a *App) rebuild(ctx context.Context) error {
	st := a.State()
	if st.Engine == nil {
		return fmt.Errorf("app: rebuild: %w", st.readOnly())
	}
	sites, err := a.db.Sites().Current(ctx, "")
	if err != nil {
		return err
	}
	fork := st.Store.Fork() // versions keep increasing
	if _, err := fork.Upsert(nil); err != nil {
		return fmt.Errorf("app: rebuild: %w", err)
	}
	ns, err := st.replaceAll(ctx, fork, sites)
	if err != nil {
		return fmt.Errorf("app: rebuild: %w", err)
	}
	items, err := a.db.Fibre().Current(ctx, "")
	if err != nil {
		return err
	}
	if ns, err = ns.WithFibre(fibre.FromItems(items), st.FibreNote, st.FibreOptions); err != nil {
		return fmt.Errorf("app: rebuild: %w", err)
	}
	return a.Publish(ns)
}
