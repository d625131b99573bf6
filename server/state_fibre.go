package server

import (
	"context"
	"fmt"
	"log/slog"

	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/data/persist"
)

// The fibre half of a State: the operators' networks (State.Fibre), their reach on the
// coverage engine's land (State.FibreReach, computed with State.FibreOptions) and the note
// shown when the network is synthetic demo data. The reach depends only on the network and
// the engine's land, so site uploads keep it as it is and fibre uploads recompute it.

// fibreReach computes the reach of net (nil: no fibre) on eng's land. It returns the network
// it measured (never nil).
func fibreReach(eng *coverage.Engine, net *fibre.Network, opts fibre.Options) (*fibre.Network, *fibre.Reach, error) {
	if net == nil {
		net = &fibre.Network{Routes: []fibre.Route{}, AccessPoints: []fibre.AccessPoint{}}
	}
	r, err := fibre.Compute(eng, net, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("server: fibre reach: %w", err)
	}
	return net, r, nil
}

// WithFibre returns a copy of st serving net (nil: no fibre) with reach computed on
// st.Engine's land with opts; note is non-empty for a synthetic network. st is not modified.
func (st *State) WithFibre(net *fibre.Network, note string, opts fibre.Options) (*State, error) {
	if st.Engine == nil {
		return nil, fmt.Errorf("server: fibre reach needs the coverage engine's land: %w", errNoState)
	}
	net, r, err := fibreReach(st.Engine, net, opts)
	if err != nil {
		return nil, err
	}
	ns := *st
	ns.Fibre, ns.FibreReach, ns.FibreNote, ns.FibreOptions = net, r, note, opts
	return &ns, nil
}

// LoadFibre returns the fibre network to serve from db: the current routes and access points
// of every operator. An empty database (no fibre upload ever) is first seeded with seed (nil:
// nothing), one "seed" upload per operator keeping seedNote (the demo's FibreNote for the
// synthetic network, "" for a real one). note is the seed's note as stored, so a database
// seeded from the demo keeps saying so. log (nil: none) hears whether the seed was used.
func LoadFibre(ctx context.Context, db *persist.DB, seed *fibre.Network, seedNote string, log *slog.Logger) (net *fibre.Network, note string, err error) {
	var items []fibre.Item
	if seed != nil {
		items = fibre.Items(seed)
	}
	cur, note, seeded, uploads, err := loadList(ctx, db, persist.FibreKind(), items, seedNote)
	if err != nil {
		return nil, "", err
	}
	net = fibre.FromItems(cur)
	if log != nil {
		if seeded {
			log.Info("database seeded with fibre", slog.String("db", db.Path()), slog.Int("routes", len(net.Routes)),
				slog.Int("access_points", len(net.AccessPoints)), slog.Bool("demo", seedNote != ""))
		} else {
			log.Info("fibre loaded from the database (the seed is used only when no fibre was ever uploaded)",
				slog.String("db", db.Path()), slog.Int("routes", len(net.Routes)),
				slog.Int("access_points", len(net.AccessPoints)), slog.Int("uploads", uploads))
		}
	}
	return net, note, nil
}

// loadList returns the current items of kind in db (every carrier's), first seeding a kind
// never uploaded with seed (one "seed" upload per carrier keeping seedNote); note is the note
// of the seed uploads as stored, and uploads the number of uploads of the kind.
func loadList[T any](ctx context.Context, db *persist.DB, kind persist.Kind[T], seed []T, seedNote string) (items []T, note string, seeded bool, uploads int, err error) {
	store := persist.For(db, kind)
	if seeded, err = store.SeedIfEmpty(ctx, seed, seedNote); err != nil {
		return nil, "", false, 0, fmt.Errorf("server: seeding %s with %s: %w", db.Path(), kind.Name, err)
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

// reloadFibre sets ns's fibre to the database's current networks, recomputing the reach (the
// way back to a consistent state after a failed publish; see rebuildFromDB).
func (s *Server) reloadFibre(ctx context.Context, ns *State) error {
	items, err := s.up.db.Fibre().Current(ctx, "")
	if err != nil {
		return err
	}
	net, r, err := fibreReach(ns.Engine, fibre.FromItems(items), ns.FibreOptions)
	if err != nil {
		return err
	}
	ns.Fibre, ns.FibreReach = net, r
	return nil
}
