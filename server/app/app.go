// Package app holds phusong's use cases: the one layer both the HTTP transport (package server)
// and the command line (cmd/phusong) call, so that each use case is written once.
//
//   - Load reads the inputs (communes, station list, coverage definition, fibre network) from
//     files or the embedded demo; Build computes a State from them.
//   - Open opens a data directory (its database of carriers' versioned uploads and tokens),
//     seeds an empty one, and serves the State of its current lists; New serves a given State.
//   - App.State is the State served now. A change is made off to the side (State.WithSites,
//     State.WithFibre: a fork of the served state, computed incrementally) and swapped in by
//     Publish, so readers never see half of a change.
//   - App.Apply validates and applies a carrier's upload (or previews it, a dry run), App.Rollback
//     restores the list as it was right after an earlier upload, App.Undo as it was right before
//     the latest one; all are all-or-nothing and recorded as new uploads.
//   - State.Report and State.Layer give the per-commune report and the map's layers, in the one
//     schema package render writes as GeoJSON, CSV, KML or text.
//
// app knows nothing of HTTP: it returns data.ParseErrors for refused input (naming the line or
// feature and the field), ErrForbidden, ErrNotFound, ErrReadOnly and FormatError, which the
// transport maps to statuses.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"phusong/data/persist"
)

// App serves one State at a time and, with a database, applies carriers' uploads to it. It is
// safe for concurrent use: readers take State() without locking; writes are serialised.
type App struct {
	log   *slog.Logger
	db    *persist.DB // nil: read-only (no uploads, no tokens)
	ownDB bool        // Close closes db
	cur   atomic.Pointer[State]
	swaps atomic.Uint64 // states published, the first included
	mu    sync.Mutex    // held by every list write: read the list, prepare, commit, publish
	kinds map[string]listOps
	heads map[headsKey]int64 // the uploads the served state reflects, per kind and carrier (follow.go); under mu

	now      func() time.Time // the clock of reports and measurements (WithClock)
	measured measuredCache    // comparisons of the stored measurements (measurements.go)
	disputes disputeCache     // reports against predictions (reports.go)
	jobs     jobs             // suggestion runs on scenarios
	baseline baselineCache    // what scenario evaluations on the served result share
	roads    []orb.LineString // road lines of suggestion jobs (WithRoads); nil: none

	regions *Regions // the database's region results and jobs, when computing region by region (results.go)
	// calibration is the id of the database's served calibration the state reflects (0: the
	// uncalibrated definition; -1: a definition was given, which the database's choice does not
	// replace); Sync serves another replica's choice. Under mu.
	calibration int64
	storing     sync.WaitGroup // storeResults, the regions' storing and the reports' pruning in progress
	closing     chan struct{}  // closed by Close
	closeOnce   sync.Once
}

// WithRoads gives every suggestion job (StartSuggestion) the road lines roads, lon/lat
// (plan.Options.Roads: candidates along them and each pick's road distance); call it before
// serving.
func (a *App) WithRoads(roads []orb.LineString) { a.roads = roads }

// WithClock makes the app read the time from now (tests of retention, days and rotation);
// call it before serving.
func (a *App) WithClock(now func() time.Time) { a.now = now }

// New serves st. db (nil: read-only) holds the tokens and the versioned lists that uploads
// change; st must have been built from db's current lists (Open does both). log nil discards.
func New(st *State, db *persist.DB, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &App{log: log, db: db, now: time.Now, heads: map[headsKey]int64{}, closing: make(chan struct{})}
	a.kinds = map[string]listOps{siteKind.kind.Name: siteKind, fibreKind.kind.Name: fibreKind}
	if err := a.Publish(st); err != nil {
		return nil, err
	}
	return a, nil
}

// Open opens (or creates) the database in dataDir, seeds it with in's sites and fibre network
// when it holds no upload of that kind yet (one "seed" upload per carrier, keeping in's notes),
// and serves the State built from the database's current lists over in's communes and
// definition. Close the App to close the database.
func Open(ctx context.Context, dataDir string, in Input, log *slog.Logger) (*App, error) {
	db, err := persist.Open(dataDir)
	if err != nil {
		return nil, err
	}
	return OpenOwned(ctx, db, in, log)
}

// OpenOwned is OpenDB on a database the App then owns: Close closes it, and so does a failure
// of OpenOwned (the command line opens a data directory's SQLite file or a PostgreSQL
// database, persist.OpenURL, and hands it over).
func OpenOwned(ctx context.Context, db *persist.DB, in Input, log *slog.Logger) (*App, error) {
	a, err := OpenDB(ctx, db, in, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.ownDB = true
	return a, nil
}

// OpenDB is Open on a database the caller opened and closes (tests share one between apps).
// Region by region (in.RegionCells), the regions whose results the database lacks are computed
// for serving and their results stored in the background once the first whole-area coverage
// answer is given (the map's first layer: the storing takes the cores while it runs) or Close is
// called, until ctx is done (Close waits for that).
func OpenDB(ctx context.Context, db *persist.DB, in Input, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	heads := map[headsKey]int64{}
	if in.Sites, in.Note, err = seedSites(ctx, db, &in, heads, log); err != nil {
		return nil, err
	}
	if in.Fibre, in.FibreNote, err = seedFibre(ctx, db, in.Fibre, in.FibreNote, heads, log); err != nil {
		return nil, err
	}
	calibration, err := useServedDefinition(ctx, db, &in, log)
	if err != nil {
		return nil, err
	}
	var st *State
	var regions *Regions
	var pending *served
	if in.RegionCells > 0 {
		regions, st, pending, err = openRegions(ctx, db, in, heads, log)
	} else {
		st, err = Build(ctx, in)
	}
	if err != nil {
		return nil, err
	}
	a, err := New(st, db, log)
	if err != nil {
		return nil, err
	}
	a.heads = heads
	a.regions = regions
	a.calibration = calibration
	a.pruneReports(ctx) // then daily: reports past their retention go even when none is filed
	a.storing.Go(func() { a.pruneReportsEvery(ctx, reportsPruneEvery) })
	if regions != nil {
		version := st.answers.version
		a.storing.Go(func() { regions.storeStartStats(context.WithoutCancel(ctx), st, version) })
	}
	if pending != nil {
		a.storing.Go(func() {
			select { // the first map answer first: storing takes the cores while it runs
			case <-st.answers.given:
			case <-a.closing:
			case <-ctx.Done():
				return
			}
			regions.complete(ctx, pending)
		})
	}
	return a, nil
}

// useServedDefinition serves the calibration the database says was chosen (ServeCalibration),
// unless in names a definition (--config) or an engine, which win (then a chosen calibration is
// only logged as not served). It returns the id of the calibration served (0: none; -1: in's
// definition wins).
func useServedDefinition(ctx context.Context, db *persist.DB, in *Input, log *slog.Logger) (int64, error) {
	if in.Definition != nil || in.Engine != nil {
		if id, err := db.ServedCalibration(ctx); err == nil && id != 0 {
			log.Warn("a definition was given: the calibration chosen in the database is not served", slog.Int64("calibration_id", id))
		}
		return -1, nil
	}
	def, id, err := servedDefinition(ctx, db)
	if err != nil || def == nil {
		return 0, err
	}
	in.Definition = def
	log.Info("serving the calibrated definition chosen in the database", slog.Int64("calibration_id", id),
		slog.String("definition_version", def.Version), slog.String("calibration", def.CalibrationLabel()))
	return id, nil
}

// Close cancels the suggestion runs in progress, waits for the results being stored (see
// OpenDB) and closes the database Open opened (not one
// given to New or OpenDB).
func (a *App) Close() error {
	a.jobs.cancelAll()
	a.closeOnce.Do(func() { close(a.closing) })
	a.storing.Wait()
	if a.ownDB && a.db != nil {
		return a.db.Close()
	}
	return nil
}

// State returns the State served now. It never blocks.
func (a *App) State() *State { return a.cur.Load() }

// Publishes returns how many states have been published (the first one included).
func (a *App) Publishes() uint64 { return a.swaps.Load() }

// Writable reports whether the app has a database, so that uploads and tokens work.
func (a *App) Writable() bool { return a.db != nil }

// Publish swaps in st atomically: callers already holding the old State finish with it, the
// next State() returns st. Publishing outside an upload (a test, an admin reload) does not take
// the upload lock, so an upload in progress may publish over it.
func (a *App) Publish(st *State) error {
	if err := st.check(); err != nil {
		return err
	}
	a.cur.Store(st)
	a.swaps.Add(1)
	a.storeResults(st)
	a.log.Info("data loaded", slog.Uint64("data_version", st.Snapshot.Version()),
		slog.String("definition_version", st.Coverage.DefinitionVersion()),
		slog.Int("communes", len(st.Communes)), slog.Int("sites", st.Snapshot.Len()),
		slog.Bool("demo", st.Note != ""))
	return nil
}

// ErrNotFound: what a request names (an upload, a carrier to upload for) does not exist.
var ErrNotFound = errors.New("app: not found")

// ErrForbidden is wrapped by a *DeniedError: a valid token asking for what it may not do.
var ErrForbidden = errors.New("app: forbidden")

// ErrNoDatabase: the app runs without a database, so nothing can be written.
var ErrNoDatabase = fmt.Errorf("uploads are not enabled (the server runs without a data directory): %w", ErrNotFound)

// DeniedError says why a token may not do something; it unwraps to ErrForbidden.
type DeniedError struct{ Msg string }

func (e *DeniedError) Error() string { return e.Msg }

// Unwrap returns ErrForbidden.
func (e *DeniedError) Unwrap() error { return ErrForbidden }

func denied(format string, args ...any) error {
	return &DeniedError{Msg: fmt.Sprintf(format, args...)}
}

// FormatError is a body in a format the use case does not read (a fibre network as CSV).
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return e.Msg }

// Authenticate returns the token whose secret is plain: persist.ErrUnauthorized for an
// unknown or revoked one, ErrNoDatabase without a database.
func (a *App) Authenticate(ctx context.Context, plain string) (persist.TokenInfo, error) {
	if a.db == nil {
		return persist.TokenInfo{}, ErrNoDatabase
	}
	return a.db.Authenticate(ctx, plain)
}

// mayUpload checks that tok may upload carrier's lists: a carrier token of that carrier.
func mayUpload(tok persist.TokenInfo, carrier string) error {
	switch {
	case tok.Admin:
		return denied("token %s is an admin token: upload with a token of carrier %q", tok.Prefix(), carrier)
	case tok.Planner != "":
		return denied("token %s is a planner token: planners publish no list (export a scenario for carrier %q to upload)", tok.Prefix(), carrier)
	case tok.Carrier != carrier:
		return denied("token %s writes carrier %q, not %q", tok.Prefix(), tok.Carrier, carrier)
	}
	return nil
}

// mayRead checks that tok may see carrier's upload history: that carrier's token, an admin
// token or a planner token (planners read everything; they roll nothing back: see Rollback).
func mayRead(tok persist.TokenInfo, carrier string) error {
	if tok.Admin || tok.Planner != "" || tok.Carrier == carrier {
		return nil
	}
	return denied("token %s belongs to carrier %q, not %q", tok.Prefix(), tok.Carrier, carrier)
}

// MayAdmin checks that tok is an admin token.
func MayAdmin(tok persist.TokenInfo) error {
	if !tok.Admin {
		return denied("token %s is a carrier token: managing tokens needs an admin token", tok.Prefix())
	}
	return nil
}
