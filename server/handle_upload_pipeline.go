package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"phusong/data"
	"phusong/data/persist"
)

// The upload pipeline, shared by every kind of carrier-owned list (sites now; fibre routes
// can reuse it with their own listKind):
//
//	read the body → (lock) current list from the database → Kind.ApplyMode → prepare the
//	next served state off to the side (nothing visible yet) → commit the version in one
//	fsynced transaction (a dry run records only an audit entry) → swap the served state
//	(unlock).
//
// A failure before the commit changes nothing; after it, only the swap is left, and if that
// fails the served state is rebuilt from the database.

// parsed is a validated upload: the items, the loader's warnings and the input rows.
type parsed[T any] struct {
	items    []T
	warnings []data.Warning
	rows     int
}

// listKind is what the pipeline needs to know about one kind of list.
type listKind[T any] struct {
	kind persist.Kind[T]
	// read parses a body of format (formatCSV or formatGeoJSON) as carrier's items; with
	// idsOnly (mode delete) only their ids. Bad content is a *ValidationError.
	read func(r io.Reader, format, carrier string, idsOnly bool) (parsed[T], error)
	// prepare computes the served state with carrier's list replaced by next, without
	// publishing it: impact is what the change does (the dry-run preview), publish swaps the
	// new state in. Called with the upload lock held.
	prepare func(ctx context.Context, carrier string, next []T) (impact any, publish func() error, err error)
}

// listOps is a listKind with its item type hidden, for the routes that find the kind from a
// stored upload (diff, rollback).
type listOps interface {
	// diff returns what applied upload id changed (a persist.Diff of the kind's items).
	diff(ctx context.Context, db *persist.DB, id int64) (any, error)
	// rollback applies the list as it was after upload u as a new upload of mode rollback
	// (or previews it, with dryRun).
	rollback(ctx context.Context, s *Server, u persist.Upload, tokenID string, dryRun bool) (*uploadReport, error)
}

// listRequest is one write: the parsed upload, or for a rollback the version's list.
type listRequest[T any] struct {
	carrier    string
	tokenID    string
	mode       string // persist.ModeReplace, ModeUpsert, ModeDelete or ModeRollback
	dryRun     bool
	in         parsed[T]
	rollbackTo *int64
}

// uploadReport is the answer to an upload or rollback, dry or not.
type uploadReport struct {
	Upload      persist.Upload `json:"upload"`       // the stored record (id, counts, warnings …)
	DataVersion uint64         `json:"data_version"` // of the served data after the request
	Changes     changedIDs     `json:"changes"`      // item ids, each list in id order
	Impact      any            `json:"impact"`       // the kind's impact (siteImpact for sites)
	Timings     timings        `json:"timings_ms"`
}

// timings are how long the phases of an upload took on the server, milliseconds.
type timings struct {
	Read    float64 `json:"read"`    // receive, decode and validate the body
	Prepare float64 `json:"prepare"` // next list, store copy and coverage recompute
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

// changedIDs are the ids a write adds, changes and removes.
type changedIDs struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// runUpload performs req on k's lists (see the pipeline above).
func runUpload[T any](ctx context.Context, s *Server, k *listKind[T], req listRequest[T]) (*uploadReport, error) {
	s.up.mu.Lock()
	defer s.up.mu.Unlock()
	store := persist.For(s.up.db, k.kind)
	cur, err := store.Current(ctx, req.carrier)
	if err != nil {
		return nil, err
	}
	var tm timings
	clock := time.Now()
	mode := req.mode
	if mode == persist.ModeRollback {
		mode = persist.ModeReplace
	}
	next, diff, err := k.kind.ApplyMode(cur, req.in.items, mode)
	if errors.Is(err, persist.ErrInvalid) {
		return nil, invalid("%s", strings.TrimPrefix(err.Error(), "persist: invalid argument: "))
	}
	if err != nil {
		return nil, err
	}
	impact, publish, err := k.prepare(ctx, req.carrier, next)
	if err != nil {
		return nil, err
	}
	tm.Prepare = since(&clock)
	u, err := store.Apply(ctx, persist.Upload{
		Carrier: req.carrier, TokenID: req.tokenID, Mode: req.mode, DryRun: req.dryRun,
		Rows: req.in.rows, Warnings: req.in.warnings, RollbackTo: req.rollbackTo,
	}, next)
	if err != nil {
		return nil, err
	}
	tm.Commit = since(&clock)
	if !req.dryRun {
		if err := publish(); err != nil {
			s.log.Error("serving a committed upload failed; rebuilding from the database",
				slog.Int64("upload_id", u.ID), slog.String("err", err.Error()))
			if err := s.rebuildFromDB(context.WithoutCancel(ctx)); err != nil {
				return nil, fmt.Errorf("upload %d is committed, but the served data could not be updated: %w", u.ID, err)
			}
		}
	}
	if !req.dryRun {
		tm.Publish = since(&clock)
	}
	rep := &uploadReport{Upload: u, DataVersion: s.State().Snapshot.Version(), Impact: impact, Timings: tm}
	rep.Changes = changedIDs{Added: []string{}, Changed: []string{}, Removed: []string{}}
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

// rollback implements listOps: the list after upload u, applied as mode rollback.
func (k *listKind[T]) rollback(ctx context.Context, s *Server, u persist.Upload, tokenID string, dryRun bool) (*uploadReport, error) {
	list, err := persist.For(s.up.db, k.kind).At(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	id := u.ID
	return runUpload(ctx, s, k, listRequest[T]{
		carrier: u.Carrier, tokenID: tokenID, mode: persist.ModeRollback, dryRun: dryRun,
		in: parsed[T]{items: list, rows: len(list)}, rollbackTo: &id,
	})
}
