package server

import (
	"context"
	"fmt"
	"log/slog"

	"phusong/data"
	"phusong/data/persist"
)

// LoadSites returns the sites to serve from db: the current list of every carrier. An empty
// database (no site upload ever) is first seeded with seed, one "seed" upload per carrier,
// keeping seedNote on each (give the demo's note for synthetic stations, "" for real ones).
// note is the seed's note as stored, so a database seeded from the demo keeps saying so on
// every start, whatever seed is given then. log (nil: none) hears whether the seed was used.
func LoadSites(ctx context.Context, db *persist.DB, seed []data.Site, seedNote string, log *slog.Logger) (sites []data.Site, note string, err error) {
	sites, note, seeded, uploads, err := loadList(ctx, db, persist.SiteKind(), seed, seedNote)
	if err != nil {
		return nil, "", err
	}
	if log != nil {
		if seeded {
			log.Info("database seeded", slog.String("db", db.Path()), slog.Int("sites", len(seed)), slog.Bool("demo", seedNote != ""))
		} else {
			log.Info("sites loaded from the database (the seed is used only for an empty database)",
				slog.String("db", db.Path()), slog.Int("sites", len(sites)), slog.Int("uploads", uploads))
		}
	}
	return sites, note, nil
}

// rebuildFromDB replaces the served state with one computed in full from the database's
// current lists, sites and fibre (same engine, communes and definition): the way back to a
// consistent state should an applied upload fail to be served. Called with the upload lock held.
func (s *Server) rebuildFromDB(ctx context.Context) error {
	st := s.State()
	if st.Engine == nil {
		return fmt.Errorf("server: rebuild: the served state has no engine")
	}
	sites, err := s.up.db.Sites().Current(ctx, "")
	if err != nil {
		return err
	}
	store, err := storeAt(st.Engine, sites, st.Snapshot.Version()+1) // versions keep increasing
	if err != nil {
		return err
	}
	res, err := st.Engine.Compute(ctx, store.Snapshot())
	if err != nil {
		return fmt.Errorf("server: rebuild: %w", err)
	}
	ns := *st
	ns.Snapshot, ns.Coverage, ns.Store = store.Snapshot(), res, store
	if err := s.reloadFibre(ctx, &ns); err != nil {
		return fmt.Errorf("server: rebuild: %w", err)
	}
	return s.SetState(&ns)
}
