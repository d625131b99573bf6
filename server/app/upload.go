package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/persist"

	"github.com/paulmach/orb"
)

// The upload pipeline, shared by every kind of carrier-owned list (station lists, fibre
// networks):
//
//	read the body → (lock) current list from the database → Kind.ApplyMode → prepare the
//	next served state off to the side (a fork: nothing visible yet) → commit the version in
//	one fsynced transaction (a dry run records only an audit entry) → publish the state
//	(unlock).
//
// A failure before the commit changes nothing; after it, only the publish is left, and if that
// fails the served state is rebuilt from the database.

// Upload formats.
const (
	FormatCSV     = "csv"
	FormatGeoJSON = "geojson"
)

// Upload is one list upload: a carrier's station list or an operator's fibre network.
type Upload struct {
	Kind   string    // persist.SiteKind().Name ("sites") or persist.FibreKind().Name ("fibre")
	Owner  string    // the carrier (or fibre operator) whose list it is
	Mode   string    // persist.ModeReplace, ModeUpsert or ModeDelete
	DryRun bool      // preview only: validate, compute the impact, record an audit entry
	Format string    // FormatCSV or FormatGeoJSON
	Body   io.Reader // the file; errors reading it are returned as they are (wrapped)
	// Limits cap what is read of Body (rows, sites, sectors per site, fibre items, feature
	// bytes) and the list that results (MaxSites, MaxFibreItems: an upsert cannot grow a list
	// past them); over one, Apply fails with a *data.LimitError. Zero fields: no limit.
	Limits input.Limits
}

// UploadReport is the answer to an upload, rollback or undo, dry or not.
type UploadReport struct {
	Summary     string         `json:"summary"`      // what was done, in one sentence (English)
	Upload      persist.Upload `json:"upload"`       // the stored record (id, counts, warnings …)
	DataVersion uint64         `json:"data_version"` // of the served data after the request
	Changes     ChangedIDs     `json:"changes"`      // item ids, each list in id order
	Impact      any            `json:"impact"`       // the kind's impact (*SiteImpact, *FibreImpact)
	Timings     Timings        `json:"timings_ms"`
}

// Timings are how long the phases of an upload took, milliseconds.
type Timings struct {
	Read    float64 `json:"read"`    // receive, decode and validate the body
	Prepare float64 `json:"prepare"` // next list, store fork and coverage recompute
	Commit  float64 `json:"commit"`  // the database transaction, fsynced
	Publish float64 `json:"publish"` // swap the served state (0 for a dry run)
}

// since returns the milliseconds since *t and resets *t to now.
func since(t *time.Time) float64 {
	now := time.Now()
	ms := float64(now.Sub(*t).Microseconds()) / 1000
	*t = now
	return ms
}

// ChangedIDs are the ids a write adds, changes and removes.
type ChangedIDs struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// parsed is a validated upload: the items, the reader's warnings and the input rows.
type parsed[T any] struct {
	items    []T
	warnings []data.Warning
	rows     int
}

// listKind is what the pipeline needs to know about one kind of list.
type listKind[T any] struct {
	kind persist.Kind[T]
	// known reports whether owner may have a list of this kind in st (a listed carrier, a
	// fibre operator).
	known func(st *State, owner string) bool
	// read parses a body of format as owner's items, positions inside area, within lim; with
	// idsOnly (mode delete) only their ids. Bad content is a data.ParseErrors, content over a
	// limit a *data.LimitError.
	read func(r io.Reader, format, owner string, area orb.Bound, idsOnly bool, lim input.Limits) (parsed[T], error)
	// maxItems is the most items a list of this kind may hold under lim (0: no limit), and
	// what they are called.
	maxItems func(lim input.Limits) (int, string)
	// prepare computes, off to the side, the state st with owner's list replaced by next, and
	// the impact of the change (the dry-run preview).
	prepare func(ctx context.Context, st *State, owner string, next []T) (ns *State, impact any, err error)
}

// listOps is a listKind with its item type hidden, for the uses that find the kind from a
// stored upload or by name.
type listOps interface {
	mayUpload(st *State, who persist.TokenInfo, owner string) error
	apply(ctx context.Context, a *App, who persist.TokenInfo, u Upload) (*UploadReport, error)
	diff(ctx context.Context, db *persist.DB, id int64) (any, error)
	neighbours(ctx context.Context, db *persist.DB, id int64) (prev, next int64, err error)
	rollback(ctx context.Context, a *App, u persist.Upload, tokenID string, dryRun bool, undoOf int64) (*UploadReport, error)
	heads(ctx context.Context, db *persist.DB) (map[string]int64, error)
	refresh(ctx context.Context, a *App, owner string) error
}

// listRequest is one write: the parsed upload, or for a rollback the version's list.
type listRequest[T any] struct {
	owner      string
	tokenID    string
	mode       string // persist.ModeReplace, ModeUpsert, ModeDelete or ModeRollback
	dryRun     bool
	in         parsed[T]
	rollbackTo *int64
	undoOf     int64 // > 0: an undo of this upload, which must still be the owner's latest
	readMS     float64
	maxItems   int    // > 0: the most items the list may hold after the write
	items      string // what the items are called, for the limit's error
}

// Apply checks that who may write u.Owner's list of u.Kind, reads and validates u.Body
// all-or-nothing, and either previews the change (u.DryRun: recorded for the audit, nothing
// changed) or commits it as a new version and publishes the state that serves it.
func (a *App) Apply(ctx context.Context, who persist.TokenInfo, u Upload) (*UploadReport, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	k, ok := a.kinds[u.Kind]
	if !ok {
		return nil, fmt.Errorf("upload kind %q: %w", u.Kind, ErrNotFound)
	}
	return k.apply(ctx, a, who, u)
}

// MayUpload checks, before the body is read, that who may write owner's list of kind:
// ErrForbidden (a *DeniedError) for a token of another carrier or an admin token, ErrNotFound
// for an owner the served state does not list.
func (a *App) MayUpload(who persist.TokenInfo, kind, owner string) error {
	if a.db == nil {
		return ErrNoDatabase
	}
	k, ok := a.kinds[kind]
	if !ok {
		return fmt.Errorf("upload kind %q: %w", kind, ErrNotFound)
	}
	return k.mayUpload(a.State(), who, owner)
}

// mayUpload implements listOps.
func (k *listKind[T]) mayUpload(st *State, who persist.TokenInfo, owner string) error {
	if err := mayUpload(who, owner); err != nil {
		return err
	}
	if !k.known(st, owner) {
		return fmt.Errorf("%s %q: %w", k.ownerName(), owner, ErrNotFound)
	}
	return nil
}

// apply implements listOps.
func (k *listKind[T]) apply(ctx context.Context, a *App, who persist.TokenInfo, u Upload) (*UploadReport, error) {
	if err := k.mayUpload(a.State(), who, u.Owner); err != nil {
		return nil, err
	}
	switch u.Mode {
	case persist.ModeReplace, persist.ModeUpsert, persist.ModeDelete:
	default:
		return nil, fmt.Errorf("mode %q: must be replace, upsert or delete: %w", u.Mode, persist.ErrInvalid)
	}
	clock := time.Now()
	in, err := k.read(input.WithContext(ctx, u.Body), u.Format, u.Owner, a.State().Area, u.Mode == persist.ModeDelete, u.Limits)
	if err != nil {
		return nil, err
	}
	maxItems, items := k.maxItems(u.Limits)
	rep, err := write(ctx, a, k, listRequest[T]{owner: u.Owner, tokenID: who.ID, mode: u.Mode, dryRun: u.DryRun, in: in,
		readMS: since(&clock), maxItems: maxItems, items: items})
	if err != nil {
		return nil, err
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "upload", slog.Int64("upload_id", rep.Upload.ID),
		slog.String("kind", rep.Upload.Kind), slog.String("carrier", u.Owner), slog.String("token_id", who.ID),
		slog.String("mode", u.Mode), slog.Bool("dry_run", u.DryRun), slog.Int("rows", in.rows),
		slog.Int("added", rep.Upload.Added), slog.Int("modified", rep.Upload.Modified), slog.Int("removed", rep.Upload.Removed),
		slog.Any("timings_ms", rep.Timings))
	return rep, nil
}

// ownerName is what the kind calls the owner of a list, in messages.
func (k *listKind[T]) ownerName() string {
	if k.kind.Name == persist.FibreKind().Name {
		return "operator"
	}
	return "carrier"
}

// write performs req on k's lists (see the pipeline above).
func write[T any](ctx context.Context, a *App, k *listKind[T], req listRequest[T]) (*UploadReport, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range maxStaleRetries {
		rep, err := writeLocked(ctx, a, k, req)
		if !errors.Is(err, persist.ErrStale) {
			return rep, err
		}
		a.log.Info("another writer changed the list meanwhile: reading it again", slog.String("kind", k.kind.Name),
			slog.String("carrier", req.owner), slog.String("err", err.Error()))
	}
	return nil, fmt.Errorf("the %s of %q kept changing under this upload (%d tries): %w", k.listName(), req.owner,
		maxStaleRetries, persist.ErrStale)
}

// writeLocked is one try of write, with a.mu held: serve what other writers committed
// (syncLocked), read the owner's head and list, compute, commit if the head is still the
// latest (persist.ErrStale otherwise), publish.
func writeLocked[T any](ctx context.Context, a *App, k *listKind[T], req listRequest[T]) (*UploadReport, error) {
	if _, err := a.syncLocked(ctx); err != nil {
		return nil, err
	}
	store := persist.For(a.db, k.kind)
	note := ""
	if req.undoOf > 0 { // checked under the lock: no upload may slip in between
		if _, next, err := store.Neighbours(ctx, req.undoOf); err != nil {
			return nil, err
		} else if next != 0 {
			return nil, notLatest(req.undoOf, next, req.owner, k.kind.Name)
		}
		note = fmt.Sprintf("undo of upload %d", req.undoOf)
	}
	head, err := store.Head(ctx, req.owner)
	if err != nil {
		return nil, err
	}
	cur, err := store.Current(ctx, req.owner) // read after the head: at least that new
	if err != nil {
		return nil, err
	}
	tm := Timings{Read: req.readMS}
	clock := time.Now()
	mode := req.mode
	if mode == persist.ModeRollback {
		mode = persist.ModeReplace
	}
	next, diff, err := k.kind.ApplyMode(cur, req.in.items, mode)
	if errors.Is(err, persist.ErrInvalid) {
		return nil, data.ParseErrors{{Msg: strings.TrimPrefix(err.Error(), "persist: invalid argument: ")}}
	}
	if err != nil {
		return nil, err
	}
	if req.maxItems > 0 && len(next) > req.maxItems {
		return nil, &data.LimitError{What: req.items + " in the list after this upload", Max: int64(req.maxItems)}
	}
	st := a.State()
	ns, impact, err := k.prepare(ctx, st, req.owner, next)
	if err != nil {
		return nil, err
	}
	tm.Prepare = since(&clock)
	u, err := store.Apply(ctx, persist.Upload{
		Carrier: req.owner, TokenID: req.tokenID, Mode: req.mode, DryRun: req.dryRun,
		Rows: req.in.rows, Warnings: req.in.warnings, RollbackTo: req.rollbackTo, Note: note, ExpectHead: &head,
	}, next)
	if err != nil {
		return nil, err
	}
	tm.Commit = since(&clock)
	if !req.dryRun {
		a.heads[headsKey{k.kind.Name, req.owner}] = u.ID
		if err := a.Publish(ns); err != nil {
			a.log.Error("serving a committed upload failed; rebuilding from the database",
				slog.Int64("upload_id", u.ID), slog.String("err", err.Error()))
			if err := a.rebuild(context.WithoutCancel(ctx)); err != nil {
				return nil, fmt.Errorf("upload %d is committed, but the served data could not be updated: %w", u.ID, err)
			}
		}
		tm.Publish = since(&clock)
	}
	rep := &UploadReport{Upload: u, DataVersion: a.State().Snapshot.Version(), Impact: impact, Timings: tm}
	rep.Summary = summary(u, k.listName(), req.undoOf)
	rep.Changes = ChangedIDs{Added: []string{}, Changed: []string{}, Removed: []string{}}
	for i := range diff.Added {
		rep.Changes.Added = append(rep.Changes.Added, k.kind.ID(&diff.Added[i]))
	}
	for i := range diff.Changed {
		rep.Changes.Changed = append(rep.Changes.Changed, k.kind.ID(&diff.Changed[i].After))
	}
	for i := range diff.Removed {
		rep.Changes.Removed = append(rep.Changes.Removed, k.kind.ID(&diff.Removed[i]))
	}
	return rep, nil
}

// diff implements listOps.
func (k *listKind[T]) diff(ctx context.Context, db *persist.DB, id int64) (any, error) {
	return persist.For(db, k.kind).Diff(ctx, id)
}

// neighbours implements listOps.
func (k *listKind[T]) neighbours(ctx context.Context, db *persist.DB, id int64) (prev, next int64, err error) {
	return persist.For(db, k.kind).Neighbours(ctx, id)
}

// rollback implements listOps: the list after upload u, applied as mode rollback (for an undo
// of upload undoOf when > 0).
func (k *listKind[T]) rollback(ctx context.Context, a *App, u persist.Upload, tokenID string, dryRun bool, undoOf int64) (*UploadReport, error) {
	list, err := persist.For(a.db, k.kind).At(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	id := u.ID
	return write(ctx, a, k, listRequest[T]{
		owner: u.Carrier, tokenID: tokenID, mode: persist.ModeRollback, dryRun: dryRun,
		in: parsed[T]{items: list, rows: len(list)}, rollbackTo: &id, undoOf: undoOf,
	})
}

// listName is what the kind's list is called in sentences: "station list", "fibre network".
func (k *listKind[T]) listName() string {
	if k.kind.Name == persist.FibreKind().Name {
		return "fibre network"
	}
	return "station list"
}

// UploadRecord returns upload id, if who may see it: persist.ErrNotFound for an unknown id and,
// with the very same error, for another carrier's (a 403 would tell a rival which carrier
// uploaded when).
func (a *App) UploadRecord(ctx context.Context, who persist.TokenInfo, id int64) (persist.Upload, error) {
	if a.db == nil {
		return persist.Upload{}, ErrNoDatabase
	}
	u, err := a.db.Upload(ctx, id)
	if err != nil {
		return persist.Upload{}, err
	}
	if mayRead(who, u.Carrier) != nil {
		return persist.Upload{}, fmt.Errorf("%w: upload %d", persist.ErrNotFound, id)
	}
	return u, nil
}

// UploadFilter selects uploads for Uploads.
type UploadFilter struct {
	Kind     string // "" (every kind), "sites" or "fibre"
	Carrier  string // "" (every carrier the token may see) or one carrier
	BeforeID int64  // > 0: only uploads with a smaller id
	Limit    int    // the most returned
}

// Uploads lists the uploads who may see, newest first: a carrier token its own carrier's, an
// admin token everyone's (f.Carrier narrows). more is true when there are more past the limit.
func (a *App) Uploads(ctx context.Context, who persist.TokenInfo, f UploadFilter) (list []persist.Upload, more bool, err error) {
	if a.db == nil {
		return nil, false, ErrNoDatabase
	}
	if !who.Admin && who.Planner == "" {
		if f.Carrier != "" && f.Carrier != who.Carrier {
			return nil, false, mayRead(who, f.Carrier)
		}
		f.Carrier = who.Carrier
	}
	if _, ok := a.kinds[f.Kind]; f.Kind != "" && !ok {
		return nil, false, data.ParseErrors{{Field: "kind", Value: f.Kind, Msg: "must be sites or fibre"}}
	}
	list, err = a.db.Uploads(ctx, persist.UploadFilter{Kind: f.Kind, Carrier: f.Carrier, BeforeID: f.BeforeID, Limit: f.Limit + 1})
	if err != nil {
		return nil, false, err
	}
	if len(list) > f.Limit {
		return list[:f.Limit], true, nil
	}
	return list, false, nil
}

// kindOf returns the list kind of a stored upload.
func (a *App) kindOf(u persist.Upload) (listOps, error) {
	k, ok := a.kinds[u.Kind]
	if !ok {
		return nil, fmt.Errorf("upload %d is of kind %q, which this server does not handle: %w", u.ID, u.Kind, ErrNotFound)
	}
	return k, nil
}

// Diff returns what applied upload id changed (a persist.Diff of its kind's items), if who may
// see it; persist.ErrDryRun for a dry run (it changed nothing).
func (a *App) Diff(ctx context.Context, who persist.TokenInfo, id int64) (any, error) {
	u, err := a.UploadRecord(ctx, who, id)
	if err != nil {
		return nil, err
	}
	k, err := a.kindOf(u)
	if err != nil {
		return nil, err
	}
	return k.diff(ctx, a.db, u.ID)
}

// Rollback makes the list as it was right after upload id the carrier's current list again,
// as a new upload of mode rollback (dryRun previews it). The carrier's token or an admin token
// may do it. It returns the upload rolled back to as well.
func (a *App) Rollback(ctx context.Context, who persist.TokenInfo, id int64, dryRun bool) (*UploadReport, persist.Upload, error) {
	if who.Planner != "" {
		return nil, persist.Upload{}, denied("token %s is a planner token: planners publish nothing (make a scenario)", who.Prefix())
	}
	u, err := a.UploadRecord(ctx, who, id)
	if err != nil {
		return nil, u, err
	}
	k, err := a.kindOf(u)
	if err != nil {
		return nil, u, err
	}
	rep, err := k.rollback(ctx, a, u, who.ID, dryRun, 0)
	if err != nil {
		return nil, u, err
	}
	a.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "rollback",
		slog.Int64("upload_id", rep.Upload.ID), slog.Int64("rollback_to", u.ID), slog.String("carrier", u.Carrier),
		slog.String("token_id", who.ID), slog.Bool("dry_run", dryRun))
	return rep, u, nil
}

// ErrConflict: the request does not fit the lists as they are now (an undo of an upload that is
// no longer the latest, or of a carrier's first list).
var ErrConflict = errors.New("app: conflict")

// notLatest is the error of an undo of upload id of owner's list of kind when next replaced it.
func notLatest(id, next int64, owner, kind string) error {
	return fmt.Errorf("upload %d is no longer %s's latest %s list (upload %d replaced it): undo %d first, "+
		"or restore any earlier list with rollback: %w", id, owner, kind, next, next, ErrConflict)
}

// Undo undoes upload id: the list of its carrier (and kind) becomes what it was right before
// it, that is right after the carrier's previous applied upload, as a new upload of mode
// rollback (noted "undo of upload id"; dryRun previews it). Only the carrier's latest applied
// upload can be undone (ErrConflict otherwise, and for its first list, which has nothing
// before it); persist.ErrDryRun for a dry run. The carrier's token or an admin token may do
// it. It returns the upload whose list was restored as well.
func (a *App) Undo(ctx context.Context, who persist.TokenInfo, id int64, dryRun bool) (*UploadReport, persist.Upload, error) {
	u, err := a.UploadRecord(ctx, who, id)
	if err != nil {
		return nil, persist.Upload{}, err
	}
	k, err := a.kindOf(u)
	if err != nil {
		return nil, persist.Upload{}, err
	}
	prev, next, err := k.neighbours(ctx, a.db, id)
	switch {
	case err != nil:
		return nil, persist.Upload{}, err
	case next != 0:
		return nil, persist.Upload{}, notLatest(id, next, u.Carrier, u.Kind)
	case prev == 0:
		return nil, persist.Upload{}, fmt.Errorf("upload %d is %s's first %s list: there is no earlier list to go back to: %w", id, u.Carrier, u.Kind, ErrConflict)
	}
	to, err := a.db.Upload(ctx, prev)
	if err != nil {
		return nil, persist.Upload{}, err
	}
	rep, err := k.rollback(ctx, a, to, who.ID, dryRun, id)
	if err != nil {
		return nil, to, err
	}
	a.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, "undo",
		slog.Int64("upload_id", rep.Upload.ID), slog.Int64("undone", id), slog.Int64("rollback_to", prev),
		slog.String("carrier", u.Carrier), slog.String("token_id", who.ID), slog.Bool("dry_run", dryRun))
	return rep, to, nil
}

// summary says in one sentence what upload u did (or, for a dry run, would do) to owner's
// list called name; undoOf > 0 for an undo.
func summary(u persist.Upload, name string, undoOf int64) string {
	counts := fmt.Sprintf("%d added, %d changed, %d removed; %d in the list", u.Added, u.Modified, u.Removed, u.Total)
	var what string
	switch {
	case undoOf > 0:
		what = fmt.Sprintf("undo upload %d: %s's %s back as it was right before it, that is right after upload %d", undoOf, u.Carrier, name, *u.RollbackTo)
	case u.Mode == persist.ModeRollback:
		what = fmt.Sprintf("rollback: %s's %s restored as it was right after upload %d", u.Carrier, name, *u.RollbackTo)
	default:
		what = fmt.Sprintf("%s of %s's %s", u.Mode, u.Carrier, name)
	}
	if u.DryRun {
		return fmt.Sprintf("Preview, nothing changed (dry run %d): %s would give %s.", u.ID, what, counts)
	}
	return fmt.Sprintf("Upload %d: %s (%s).", u.ID, what, counts)
}
