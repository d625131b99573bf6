package persist

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"phusong/data"
)

// Kind describes one type of carrier-owned, versioned list: the name it is stored under and
// how to read an item's carrier and id. Items are stored as their JSON encoding, and two items
// with the same id are equal when their encodings are. Sites are SiteKind; fibre routes will
// be another Kind over the same tables and code.
type Kind[T any] struct {
	Name    string          // stored in uploads.kind and items.kind, e.g. "sites"
	Carrier func(*T) string // the owning carrier's id
	ID      func(*T) string // the item's id, unique per carrier
}

// SiteKind is the Kind of data.Site lists: name "sites", keyed by (Carrier, SiteID).
func SiteKind() Kind[data.Site] {
	return Kind[data.Site]{
		Name:    "sites",
		Carrier: func(s *data.Site) string { return s.Carrier },
		ID:      func(s *data.Site) string { return s.SiteID },
	}
}

// Upload modes. Replace, upsert and delete come from carriers (see Kind.ApplyMode); rollback
// restores an earlier version; seed is the first list of an empty database.
const (
	ModeReplace  = "replace"
	ModeUpsert   = "upsert"
	ModeDelete   = "delete"
	ModeRollback = "rollback"
	ModeSeed     = "seed"
)

var knownModes = []string{ModeReplace, ModeUpsert, ModeDelete, ModeRollback, ModeSeed}

// Upload is one upload of a carrier's list: a version of it, or, when DryRun, an audit entry
// that changed nothing. Fields marked "set by the store" are ignored on input.
type Upload struct {
	ID         int64          `json:"id"`   // set by the store; increasing, never reused
	Kind       string         `json:"kind"` // set by the store: the Kind's Name
	Carrier    string         `json:"carrier"`
	TokenID    string         `json:"token_id"`   // "" for seeding
	Mode       string         `json:"mode"`       // one of the Mode constants
	CreatedAt  time.Time      `json:"created_at"` // set by the store, UTC
	DryRun     bool           `json:"dry_run"`
	Rows       int            `json:"rows"`     // input rows (CSV lines or features), as counted by the caller
	Added      int            `json:"added"`    // set by the store: items new in the list
	Modified   int            `json:"modified"` // set by the store: items whose content changed
	Removed    int            `json:"removed"`  // set by the store: items gone from the list
	Total      int            `json:"total"`    // set by the store: items in the list afterwards
	Warnings   []data.Warning `json:"warnings"` // the validator's notes, kept for the audit
	Note       string         `json:"note,omitempty"`
	RollbackTo *int64         `json:"rollback_to,omitempty"` // mode rollback: the version restored
	// ExpectHead, when set, is the carrier's latest applied upload of this kind (0: none) the
	// list was computed from (see Head): Apply refuses with ErrStale when another writer (a
	// replica) applied one since, so that no upload is computed from a list that is gone.
	ExpectHead *int64 `json:"-"`
}

// ErrStale: an upload was computed from a list another writer has replaced since (see
// Upload.ExpectHead); read the list again and recompute.
var ErrStale = errors.New("persist: the list changed since it was read")

// Change is one item present before and after an upload with a different content.
type Change[T any] struct {
	Before T `json:"before"`
	After  T `json:"after"`
}

// Diff is what an upload changed in a carrier's list, each part in item id order.
type Diff[T any] struct {
	Added   []T         `json:"added"`
	Changed []Change[T] `json:"changed"`
	Removed []T         `json:"removed"`
}

// encoded is an item as stored: its id and JSON body.
type encoded struct {
	id   string
	body []byte
}

// change is one stored difference; before nil = added, after nil = removed.
type change struct {
	id            string
	before, after []byte
}

// encode returns items as stored, sorted by id. Every item must belong to carrier (unless
// carrier is "") and ids must be non-empty and unique; the error names the offenders.
func (k Kind[T]) encode(items []T, carrier string) ([]encoded, error) {
	out := make([]encoded, len(items))
	for i := range items {
		it := &items[i]
		if c := k.Carrier(it); carrier != "" && c != carrier {
			return nil, fmt.Errorf("%w: %s %q belongs to carrier %q, not %q", ErrInvalid, k.Name, k.ID(it), c, carrier)
		}
		body, err := json.Marshal(it)
		if err != nil {
			return nil, fmt.Errorf("persist: encode %s %q: %w", k.Name, k.ID(it), err)
		}
		out[i] = encoded{k.ID(it), body}
	}
	slices.SortStableFunc(out, func(a, b encoded) int { return strings.Compare(a.id, b.id) })
	var dup []string
	for i := range out {
		if out[i].id == "" {
			return nil, fmt.Errorf("%w: an item of the %s list has an empty id", ErrInvalid, k.Name)
		}
		if i > 0 && out[i].id == out[i-1].id && (len(dup) == 0 || dup[len(dup)-1] != out[i].id) {
			dup = append(dup, out[i].id)
		}
	}
	if len(dup) > 0 {
		return nil, fmt.Errorf("%w: duplicate ids in the %s list: %s", ErrInvalid, k.Name, listIDs(dup))
	}
	return out, nil
}

// listIDs renders ids for an error message, at most 10 of them and the count.
func listIDs(ids []string) string {
	const show = 10
	q := make([]string, 0, show)
	for _, id := range ids[:min(len(ids), show)] {
		q = append(q, fmt.Sprintf("%q", id))
	}
	s := strings.Join(q, ", ")
	if len(ids) > show {
		s += fmt.Sprintf(" … (%d in all)", len(ids))
	}
	return s
}

// diffEncoded compares two id-sorted lists and returns the changes in id order.
func diffEncoded(cur, next []encoded) []change {
	var out []change
	i, j := 0, 0
	for i < len(cur) || j < len(next) {
		switch {
		case j == len(next) || i < len(cur) && cur[i].id < next[j].id:
			out = append(out, change{id: cur[i].id, before: cur[i].body})
			i++
		case i == len(cur) || next[j].id < cur[i].id:
			out = append(out, change{id: next[j].id, after: next[j].body})
			j++
		default:
			if !bytes.Equal(cur[i].body, next[j].body) {
				out = append(out, change{id: cur[i].id, before: cur[i].body, after: next[j].body})
			}
			i++
			j++
		}
	}
	return out
}

// counts returns the added, modified and removed counts of cs.
func counts(cs []change) (added, modified, removed int) {
	for _, c := range cs {
		switch {
		case c.before == nil:
			added++
		case c.after == nil:
			removed++
		default:
			modified++
		}
	}
	return added, modified, removed
}

// ApplyMode computes a carrier's next list from its current one and an incoming list:
//
//   - replace: the incoming list is the next list;
//   - upsert: incoming items replace the current ones with the same id, new ids are added,
//     the others stay;
//   - delete: the items with the incoming ids are removed (only ids are read); an id not in
//     the current list is an error naming it.
//
// next is sorted by id; diff compares the encodings (an identical item is no change). Duplicate
// ids in either list are an error. ApplyMode does not check carriers: DB writes do.
func (k Kind[T]) ApplyMode(current, incoming []T, mode string) (next []T, diff Diff[T], err error) {
	cur, err := k.encode(current, "")
	if err != nil {
		return nil, Diff[T]{}, err
	}
	in, err := k.encode(incoming, "")
	if err != nil {
		return nil, Diff[T]{}, err
	}
	var nextEnc []encoded
	switch mode {
	case ModeReplace:
		nextEnc = in
	case ModeUpsert:
		nextEnc = mergeEncoded(cur, in)
	case ModeDelete:
		if nextEnc, err = k.deleteEncoded(cur, in); err != nil {
			return nil, Diff[T]{}, err
		}
	default:
		return nil, Diff[T]{}, fmt.Errorf("%w: mode %q: want replace, upsert or delete", ErrInvalid, mode)
	}
	curByID, inByID := k.index(current), k.index(incoming)
	pick := func(id string) *T { // the next list's item with id
		if p, ok := inByID[id]; ok && mode != ModeDelete {
			return p
		}
		return curByID[id]
	}
	next = make([]T, len(nextEnc))
	for i, e := range nextEnc {
		next[i] = *pick(e.id)
	}
	return next, k.diffOf(diffEncoded(cur, nextEnc), func(c change) (before, after *T) {
		if c.before != nil {
			before = curByID[c.id]
		}
		if c.after != nil {
			after = pick(c.id)
		}
		return before, after
	}), nil
}

// index maps the ids of list to its items.
func (k Kind[T]) index(list []T) map[string]*T {
	m := make(map[string]*T, len(list))
	for i := range list {
		m[k.ID(&list[i])] = &list[i]
	}
	return m
}

// mergeEncoded returns cur with in's items replacing or added, sorted by id.
func mergeEncoded(cur, in []encoded) []encoded {
	out := make([]encoded, 0, len(cur)+len(in))
	i, j := 0, 0
	for i < len(cur) || j < len(in) {
		switch {
		case j == len(in) || i < len(cur) && cur[i].id < in[j].id:
			out = append(out, cur[i])
			i++
		case i == len(cur) || in[j].id < cur[i].id:
			out = append(out, in[j])
			j++
		default:
			out = append(out, in[j])
			i++
			j++
		}
	}
	return out
}

// deleteEncoded returns cur without the ids of del, or an error naming del's ids not in cur.
func (k Kind[T]) deleteEncoded(cur, del []encoded) ([]encoded, error) {
	drop := make(map[string]bool, len(del))
	for _, d := range del {
		drop[d.id] = true
	}
	out := make([]encoded, 0, len(cur))
	for _, c := range cur {
		if drop[c.id] {
			delete(drop, c.id)
			continue
		}
		out = append(out, c)
	}
	if len(drop) > 0 {
		unknown := make([]string, 0, len(drop))
		for _, d := range del { // sorted by id: the error lists them in id order
			if drop[d.id] {
				unknown = append(unknown, d.id)
			}
		}
		return nil, fmt.Errorf("%w: delete: %d ids not in the current %s list: %s", ErrInvalid, len(unknown), k.Name, listIDs(unknown))
	}
	return out, nil
}

// diffOf builds a Diff from stored changes; items returns a change's before and after values.
func (k Kind[T]) diffOf(cs []change, items func(change) (before, after *T)) Diff[T] {
	d := Diff[T]{Added: []T{}, Changed: []Change[T]{}, Removed: []T{}}
	for _, c := range cs {
		b, a := items(c)
		switch {
		case b == nil:
			d.Added = append(d.Added, *a)
		case a == nil:
			d.Removed = append(d.Removed, *b)
		default:
			d.Changed = append(d.Changed, Change[T]{Before: *b, After: *a})
		}
	}
	return d
}

// Versioned is the durable, versioned store of one Kind in a DB.
type Versioned[T any] struct {
	db   *DB
	kind Kind[T]
}

// For returns the store of kind k in db.
func For[T any](db *DB, k Kind[T]) Versioned[T] { return Versioned[T]{db: db, kind: k} }

// Sites returns the store of the carriers' site lists.
func (db *DB) Sites() Versioned[data.Site] { return For(db, SiteKind()) }

// Head returns the id of carrier's latest applied (not dry-run) upload of this kind, 0 when
// there is none: the version of its current list. Read it before the list (Current) and pass
// it as Upload.ExpectHead: a list read after it is at least that new.
func (v Versioned[T]) Head(ctx context.Context, carrier string) (int64, error) {
	id, err := v.head(ctx, v.db.r, carrier)
	if err != nil {
		return 0, fmt.Errorf("persist: head of %s %q: %w", v.kind.Name, carrier, err)
	}
	return id, nil
}

// head is Head read through q.
func (v Versioned[T]) head(ctx context.Context, q querier, carrier string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM uploads WHERE kind = ? AND carrier = ? AND NOT dry_run`,
		v.kind.Name, carrier).Scan(&id)
	return id, err
}

// Heads returns every carrier's Head of this kind (carriers without an applied upload are
// absent): what a replica compares with the versions it serves to notice another's uploads.
func (v Versioned[T]) Heads(ctx context.Context) (map[string]int64, error) {
	rows, err := v.db.r.QueryContext(ctx, `SELECT carrier, MAX(id) FROM uploads WHERE kind = ? AND NOT dry_run GROUP BY carrier`,
		v.kind.Name)
	if err != nil {
		return nil, fmt.Errorf("persist: heads of %s: %w", v.kind.Name, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var c string
		var id int64
		if err := rows.Scan(&c, &id); err != nil {
			return nil, fmt.Errorf("persist: heads of %s: %w", v.kind.Name, err)
		}
		out[c] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: heads of %s: %w", v.kind.Name, err)
	}
	return out, nil
}

// Current returns the current list of carrier, or of every carrier when carrier is "", sorted
// by (carrier, id). An unknown carrier has an empty list.
func (v Versioned[T]) Current(ctx context.Context, carrier string) ([]T, error) {
	q := `SELECT body FROM items WHERE kind = ? ORDER BY carrier, item_id`
	args := []any{v.kind.Name}
	if carrier != "" {
		q = `SELECT body FROM items WHERE kind = ? AND carrier = ? ORDER BY item_id`
		args = append(args, carrier)
	}
	rows, err := v.db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("persist: current %s: %w", v.kind.Name, err)
	}
	defer rows.Close()
	var bodies [][]byte
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("persist: current %s: %w", v.kind.Name, err)
		}
		bodies = append(bodies, body)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: current %s: %w", v.kind.Name, err)
	}
	return decodeItems[T](v.kind.Name, bodies)
}

// decodeItems decodes the stored JSON bodies of kind's items on every core (a national list
// is 150,000 sites: decoding them is most of a start's reading).
func decodeItems[T any](kind string, bodies [][]byte) ([]T, error) {
	out := make([]T, len(bodies))
	errs := make([]error, len(bodies))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(bodies)/1000))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * len(bodies) / workers; i < (w+1)*len(bodies)/workers; i++ {
				if err := json.Unmarshal(bodies[i], &out[i]); err != nil {
					errs[i] = fmt.Errorf("persist: current %s: stored item: %w", kind, err)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first
		}
	}
	return out, nil
}

// Apply stores next as the complete new list of u.Carrier (computed by the caller, e.g. with
// Kind.ApplyMode, or At for a rollback) together with the upload record and its diff, in one
// transaction that is on disk when Apply returns. The diff and counts are computed against the
// stored list inside the transaction. A dry run records the upload and its counts but changes
// nothing and keeps no diff. It returns u with the fields the store sets.
//
// Apply refuses (ErrInvalid) an unknown mode, an item of another carrier, duplicate or empty
// ids, and a rollback whose RollbackTo is not an applied upload of the same kind and carrier;
// and (ErrUnauthorized) a TokenID that is revoked or belongs to another carrier (admin tokens
// may write any carrier). Callers must serialise the compute-and-Apply of one carrier (the
// store checks nothing about which list next was computed from).
func (v Versioned[T]) Apply(ctx context.Context, u Upload, next []T) (Upload, error) {
	if err := checkUpload(u); err != nil {
		return Upload{}, err
	}
	enc, err := v.kind.encode(next, u.Carrier)
	if err != nil {
		return Upload{}, err
	}
	tx, err := v.db.w.BeginTx(ctx, nil)
	if err != nil {
		return Upload{}, v.db.full(fmt.Errorf("persist: apply: %w", err))
	}
	defer tx.Rollback()
	if u, err = v.applyTx(ctx, tx, u, enc); err != nil {
		return Upload{}, v.db.full(err)
	}
	if err := tx.Commit(); err != nil {
		return Upload{}, v.db.full(fmt.Errorf("persist: apply: commit: %w", err))
	}
	return u, nil
}

// checkUpload validates the caller-set fields of u.
func checkUpload(u Upload) error {
	switch {
	case !ValidCarrierID(u.Carrier):
		return fmt.Errorf("%w: carrier %q", ErrInvalid, u.Carrier)
	case !slices.Contains(knownModes, u.Mode):
		return fmt.Errorf("%w: mode %q: want one of %s", ErrInvalid, u.Mode, strings.Join(knownModes, ", "))
	case (u.Mode == ModeRollback) != (u.RollbackTo != nil):
		return fmt.Errorf("%w: mode %q with rollback_to %v: a rollback, and only a rollback, names the version it restores",
			ErrInvalid, u.Mode, u.RollbackTo != nil)
	case u.Rows < 0:
		return fmt.Errorf("%w: rows %d", ErrInvalid, u.Rows)
	}
	return nil
}

// applyTx writes upload u with the list enc inside tx and returns u as stored.
func (v Versioned[T]) applyTx(ctx context.Context, tx *txn, u Upload, enc []encoded) (Upload, error) {
	if err := checkTokenTx(ctx, tx, u); err != nil {
		return Upload{}, err
	}
	if u.ExpectHead != nil {
		head, err := v.head(ctx, tx, u.Carrier)
		if err != nil {
			return Upload{}, fmt.Errorf("persist: apply: %w", err)
		}
		if head != *u.ExpectHead {
			return Upload{}, fmt.Errorf("%w: the %s list of %q is at upload %d, not %d", ErrStale, v.kind.Name, u.Carrier, head, *u.ExpectHead)
		}
	}
	if u.RollbackTo != nil {
		t, err := uploadBy(ctx, tx, *u.RollbackTo)
		if err != nil {
			return Upload{}, err
		}
		if t.Kind != v.kind.Name || t.Carrier != u.Carrier || t.DryRun {
			return Upload{}, fmt.Errorf("%w: rollback to upload %d: it is a %s%s upload of %q, not an applied %s upload of %q",
				ErrInvalid, t.ID, dryRunWord(t.DryRun), t.Kind, t.Carrier, v.kind.Name, u.Carrier)
		}
	}
	cur, err := v.storedTx(ctx, tx, u.Carrier)
	if err != nil {
		return Upload{}, err
	}
	cs := diffEncoded(cur, enc)
	u.ID, u.Kind, u.CreatedAt, u.Total = 0, v.kind.Name, v.db.clock(), len(enc)
	u.Added, u.Modified, u.Removed = counts(cs)
	if u.Warnings == nil {
		u.Warnings = []data.Warning{}
	}
	warnings, err := json.Marshal(u.Warnings)
	if err != nil {
		return Upload{}, fmt.Errorf("persist: apply: warnings: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO uploads (kind, carrier, token_id, mode, created_at, dry_run, rows,
		added, modified, removed, total, warnings, note, rollback_to) VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`, u.Kind, u.Carrier, u.TokenID, u.Mode, timeText(u.CreatedAt), u.DryRun, u.Rows,
		u.Added, u.Modified, u.Removed, u.Total, warnings, u.Note, u.RollbackTo).Scan(&u.ID)
	if err != nil {
		return Upload{}, fmt.Errorf("persist: apply: %w", err)
	}
	if u.DryRun {
		return u, nil
	}
	return u, v.writeChangesTx(ctx, tx, u, cs)
}

func dryRunWord(dry bool) string {
	if dry {
		return "dry-run "
	}
	return ""
}

// checkTokenTx refuses an upload by a revoked token or by a carrier token of another carrier.
func checkTokenTx(ctx context.Context, tx *txn, u Upload) error {
	if u.TokenID == "" {
		return nil
	}
	var carrier, role string
	var admin, revoked bool
	err := tx.QueryRowContext(ctx, `SELECT carrier, admin, role, revoked_at IS NOT NULL FROM tokens WHERE id = ?`,
		u.TokenID).Scan(&carrier, &admin, &role, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && revoked:
		return fmt.Errorf("%w (token %s)", ErrUnauthorized, u.TokenID)
	case err != nil:
		return fmt.Errorf("persist: apply: %w", err)
	case role == rolePlanner:
		return fmt.Errorf("%w: token %s is a planner token, which publishes no list", ErrUnauthorized, u.TokenID)
	case !admin && carrier != u.Carrier:
		return fmt.Errorf("%w: token %s writes carrier %q, not %q", ErrUnauthorized, u.TokenID, carrier, u.Carrier)
	}
	return nil
}

// storedTx returns the stored list of carrier, sorted by id.
func (v Versioned[T]) storedTx(ctx context.Context, tx *txn, carrier string) ([]encoded, error) {
	rows, err := tx.QueryContext(ctx, `SELECT item_id, body FROM items WHERE kind = ? AND carrier = ? ORDER BY item_id`,
		v.kind.Name, carrier)
	if err != nil {
		return nil, fmt.Errorf("persist: apply: %w", err)
	}
	defer rows.Close()
	var out []encoded
	for rows.Next() {
		var e encoded
		if err := rows.Scan(&e.id, &e.body); err != nil {
			return nil, fmt.Errorf("persist: apply: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// writeChangesTx updates items with cs and records cs as upload u's diff.
func (v Versioned[T]) writeChangesTx(ctx context.Context, tx *txn, u Upload, cs []change) error {
	put, err := tx.PrepareContext(ctx, `INSERT INTO items (kind, carrier, item_id, body) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, carrier, item_id) DO UPDATE SET body = excluded.body`)
	if err != nil {
		return fmt.Errorf("persist: apply: %w", err)
	}
	defer put.Close()
	del, err := tx.PrepareContext(ctx, `DELETE FROM items WHERE kind = ? AND carrier = ? AND item_id = ?`)
	if err != nil {
		return fmt.Errorf("persist: apply: %w", err)
	}
	defer del.Close()
	rec, err := tx.PrepareContext(ctx, `INSERT INTO changes (upload_id, item_id, before, after) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("persist: apply: %w", err)
	}
	defer rec.Close()
	for _, c := range cs {
		if c.after == nil {
			_, err = del.ExecContext(ctx, u.Kind, u.Carrier, c.id)
		} else {
			_, err = put.ExecContext(ctx, u.Kind, u.Carrier, c.id, c.after)
		}
		if err == nil {
			_, err = rec.ExecContext(ctx, u.ID, c.id, nullText(c.before), nullText(c.after))
		}
		if err != nil {
			return fmt.Errorf("persist: apply: %s %q: %w", u.Kind, c.id, err)
		}
	}
	return nil
}

// nullText stores b as TEXT, nil as NULL.
func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// SeedIfEmpty stores items (of any carriers) as one "seed" upload per carrier, in carrier
// order, when no upload of this kind was ever made; seeded is false (and nothing written) when
// one was, or when items is empty. note is kept on each upload (e.g. "embedded demo").
func (v Versioned[T]) SeedIfEmpty(ctx context.Context, items []T, note string) (seeded bool, err error) {
	return v.SeedIfEmptyFrom(ctx, items, note, SeedSource{})
}

// SeedIfEmptyFrom is SeedIfEmpty recording, in the seed's own transaction, the file the items
// were read from (SeedFile; nothing for the zero SeedSource): an instance that finds the kind
// seeded by another one sees the seed and its source together, never the one without the other.
func (v Versioned[T]) SeedIfEmptyFrom(ctx context.Context, items []T, note string, from SeedSource) (seeded bool, err error) {
	if from != (SeedSource{}) {
		if err := from.check(v.kind.Name); err != nil {
			return false, err
		}
	}
	byCarrier := map[string][]T{}
	for i := range items {
		c := v.kind.Carrier(&items[i])
		byCarrier[c] = append(byCarrier[c], items[i])
	}
	type seed struct {
		u   Upload
		enc []encoded
	}
	seeds := make([]seed, 0, len(byCarrier))
	for c, list := range byCarrier {
		s := seed{u: Upload{Carrier: c, Mode: ModeSeed, Rows: len(list), Note: note}}
		if err := checkUpload(s.u); err != nil {
			return false, err
		}
		if s.enc, err = v.kind.encode(list, c); err != nil {
			return false, err
		}
		seeds = append(seeds, s)
	}
	if len(seeds) == 0 {
		return false, nil
	}
	slices.SortFunc(seeds, func(a, b seed) int { return strings.Compare(a.u.Carrier, b.u.Carrier) })
	tx, err := v.db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("persist: seed: %w", err)
	}
	defer tx.Rollback()
	var uploaded bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM uploads WHERE kind = ?)`, v.kind.Name).Scan(&uploaded); err != nil {
		return false, fmt.Errorf("persist: seed: %w", err)
	}
	if uploaded {
		return false, nil
	}
	for _, s := range seeds {
		if _, err := v.applyTx(ctx, tx, s.u, s.enc); err != nil {
			return false, v.db.full(err)
		}
	}
	if from != (SeedSource{}) {
		if err := v.db.putSeedFile(ctx, tx, v.kind.Name, from); err != nil {
			return false, v.db.full(fmt.Errorf("persist: seed: its file: %w", err))
		}
	}
	if err := tx.Commit(); err != nil {
		return false, v.db.full(fmt.Errorf("persist: seed: commit: %w", err))
	}
	return true, nil
}

// uploadColumns are the columns scanUpload reads, in order.
const uploadColumns = `id, kind, carrier, COALESCE(token_id, ''), mode, created_at, dry_run, rows,
	added, modified, removed, total, warnings, note, rollback_to`

// scanUpload reads uploadColumns.
func scanUpload(s interface{ Scan(...any) error }) (Upload, error) {
	var u Upload
	var created string
	var warnings []byte
	var rb sql.NullInt64
	if err := s.Scan(&u.ID, &u.Kind, &u.Carrier, &u.TokenID, &u.Mode, &created, &u.DryRun, &u.Rows,
		&u.Added, &u.Modified, &u.Removed, &u.Total, &warnings, &u.Note, &rb); err != nil {
		return Upload{}, err
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return Upload{}, err
	}
	if err := json.Unmarshal(warnings, &u.Warnings); err != nil {
		return Upload{}, fmt.Errorf("persist: upload %d: warnings: %w", u.ID, err)
	}
	if rb.Valid {
		u.RollbackTo = &rb.Int64
	}
	return u, nil
}

// querier is what *sql.DB and *txn share for reading one row.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// uploadBy reads upload id; ErrNotFound when there is none.
func uploadBy(ctx context.Context, q querier, id int64) (Upload, error) {
	u, err := scanUpload(q.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Upload{}, fmt.Errorf("%w: upload %d", ErrNotFound, id)
	case err != nil:
		return Upload{}, fmt.Errorf("persist: upload %d: %w", id, err)
	}
	return u, nil
}

// Upload returns the upload with id, of any kind; ErrNotFound when there is none.
func (db *DB) Upload(ctx context.Context, id int64) (Upload, error) {
	return uploadBy(ctx, db.r, id)
}

// UploadFilter selects uploads for DB.Uploads; zero fields select everything.
type UploadFilter struct {
	Kind     string // e.g. "sites"
	Carrier  string
	BeforeID int64 // only uploads with a smaller id (the next page after a list ending at BeforeID)
	Limit    int   // at most this many
}

// Uploads returns the uploads matching f, dry runs included, newest first.
func (db *DB) Uploads(ctx context.Context, f UploadFilter) ([]Upload, error) {
	q := `SELECT ` + uploadColumns + ` FROM uploads WHERE (? = '' OR kind = ?) AND (? = '' OR carrier = ?)
		AND (? <= 0 OR id < ?) ORDER BY id DESC`
	args := []any{f.Kind, f.Kind, f.Carrier, f.Carrier, f.BeforeID, f.BeforeID}
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("persist: uploads: %w", err)
	}
	defer rows.Close()
	out := []Upload{}
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("persist: uploads: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: uploads: %w", err)
	}
	return out, nil
}

// applied returns upload id if it is an applied (not dry-run) upload of v's kind.
func (v Versioned[T]) applied(ctx context.Context, id int64) (Upload, error) {
	u, err := uploadBy(ctx, v.db.r, id)
	switch {
	case err != nil:
		return Upload{}, err
	case u.Kind != v.kind.Name:
		return Upload{}, fmt.Errorf("%w: upload %d is not a %s upload", ErrNotFound, id, v.kind.Name)
	case u.DryRun:
		return Upload{}, fmt.Errorf("%w: upload %d", ErrDryRun, id)
	}
	return u, nil
}

// Diff returns what applied upload id changed, each part in id order. ErrNotFound when there
// is no such upload of this kind, ErrDryRun for a dry run.
func (v Versioned[T]) Diff(ctx context.Context, id int64) (Diff[T], error) {
	if _, err := v.applied(ctx, id); err != nil {
		return Diff[T]{}, err
	}
	rows, err := v.db.r.QueryContext(ctx,
		`SELECT item_id, before, after FROM changes WHERE upload_id = ? ORDER BY item_id`, id)
	if err != nil {
		return Diff[T]{}, fmt.Errorf("persist: diff %d: %w", id, err)
	}
	defer rows.Close()
	var cs []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.id, &c.before, &c.after); err != nil {
			return Diff[T]{}, fmt.Errorf("persist: diff %d: %w", id, err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return Diff[T]{}, fmt.Errorf("persist: diff %d: %w", id, err)
	}
	var decodeErr error
	d := v.kind.diffOf(cs, func(c change) (before, after *T) {
		before, after = decodeOrNil[T](c.before, &decodeErr), decodeOrNil[T](c.after, &decodeErr)
		return before, after
	})
	if decodeErr != nil {
		return Diff[T]{}, fmt.Errorf("persist: diff %d: stored item: %w", id, decodeErr)
	}
	return d, nil
}

// decodeOrNil decodes b into a new T, or returns nil for nil b; the first error goes to *errp.
func decodeOrNil[T any](b []byte, errp *error) *T {
	if b == nil {
		return nil
	}
	t := new(T)
	if err := json.Unmarshal(b, t); err != nil && *errp == nil {
		*errp = err
	}
	return t
}

// Neighbours returns the applied uploads of the same kind and carrier as applied upload id
// that come right before and right after it: prev is the version its list was made from (0
// when id is the carrier's first list), next the version that replaced it (0 when id is the
// current list). ErrNotFound when there is no such upload of this kind, ErrDryRun for a dry run.
func (v Versioned[T]) Neighbours(ctx context.Context, id int64) (prev, next int64, err error) {
	u, err := v.applied(ctx, id)
	if err != nil {
		return 0, 0, err
	}
	err = v.db.r.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT MAX(id) FROM uploads WHERE kind = ?1 AND carrier = ?2 AND NOT dry_run AND id < ?3), 0),
		COALESCE((SELECT MIN(id) FROM uploads WHERE kind = ?1 AND carrier = ?2 AND NOT dry_run AND id > ?3), 0)`,
		u.Kind, u.Carrier, id).Scan(&prev, &next)
	if err != nil {
		return 0, 0, fmt.Errorf("persist: neighbours of upload %d: %w", id, err)
	}
	return prev, next, nil
}

// At returns the carrier's list as it was right after applied upload id, sorted by id, rebuilt
// by replaying the stored diffs of that carrier from the first upload (independently of the
// current list). ErrNotFound when there is no such upload of this kind, ErrDryRun for a dry
// run. A rollback applies this list as a new upload with mode rollback.
func (v Versioned[T]) At(ctx context.Context, id int64) ([]T, error) {
	u, err := v.applied(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := v.db.r.QueryContext(ctx, `SELECT c.item_id, c.after FROM changes c JOIN uploads u ON u.id = c.upload_id
		WHERE u.kind = ? AND u.carrier = ? AND u.id <= ? ORDER BY u.id`, u.Kind, u.Carrier, id)
	if err != nil {
		return nil, fmt.Errorf("persist: version %d: %w", id, err)
	}
	defer rows.Close()
	list := map[string][]byte{}
	for rows.Next() {
		var itemID string
		var after []byte
		if err := rows.Scan(&itemID, &after); err != nil {
			return nil, fmt.Errorf("persist: version %d: %w", id, err)
		}
		if after == nil {
			delete(list, itemID)
		} else {
			list[itemID] = after
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: version %d: %w", id, err)
	}
	ids := make([]string, 0, len(list))
	for k := range list {
		ids = append(ids, k)
	}
	slices.SortFunc(ids, cmp.Compare)
	out := make([]T, len(ids))
	for i, k := range ids {
		if err := json.Unmarshal(list[k], &out[i]); err != nil {
			return nil, fmt.Errorf("persist: version %d: stored %s %q: %w", id, v.kind.Name, k, err)
		}
	}
	return out, nil
}
