package app

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/store"
)

// Scenarios: what-if edits of the published station lists, persisted per owner (a planner by
// name, or a carrier), evaluated by forking the served state and applying the edits
// incrementally (State.WithSites per carrier touched): the published data never changes.
//
// Roles: a planner token manages its planner's scenarios, for any carrier; a carrier token its
// carrier's, editing only that carrier's sites (co-locating on another carrier's mast
// included). Anyone else asking for a scenario gets ErrNotFound, whether it exists or not.

// ScenarioInfo is a scenario as the API shows it.
type ScenarioInfo struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	OwnerKind  string    `json:"owner_kind"`
	Owner      string    `json:"owner"`
	BaseUpload int64     `json:"base_upload"` // the last station-list upload when based or rebased
	Revision   int64     `json:"revision"`
	Edits      []Edit    `json:"edits"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// MaxEdits is the most edits one scenario holds.
const MaxEdits = 500

// ConflictError is a scenario whose edits no longer apply to the published data (a moved site
// was deleted, an added id was taken meanwhile): each conflict names its edit. It unwraps to
// data.ErrInvalidInput (422).
type ConflictError struct {
	Scenario   int64
	BaseUpload int64 // the scenario's base
	DataUpload int64 // the published data's
	Conflicts  data.ParseErrors
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("scenario %d (based on upload %d) cannot be rebased onto upload %d: %v", e.Scenario, e.BaseUpload, e.DataUpload, e.Conflicts)
}

// Unwrap returns the conflicts (data.ParseErrors, which unwrap to data.ErrInvalidInput).
func (e *ConflictError) Unwrap() error { return e.Conflicts }

// scenarioOwner is who owns the scenarios who manages.
func scenarioOwner(who persist.TokenInfo) (kind, owner string, err error) {
	switch {
	case who.Planner != "":
		return persist.OwnerPlanner, who.Planner, nil
	case who.Admin:
		return "", "", denied("token %s is an admin token: scenarios are managed with a planner or carrier token", who.Prefix())
	}
	return persist.OwnerCarrier, who.Carrier, nil
}

// mayEditCarrier is the carriers who may put in a scenario's edits: any for a planner, its own
// for a carrier token.
func mayEditCarrier(who persist.TokenInfo) func(string) bool {
	if who.Planner != "" {
		return nil
	}
	return func(c string) bool { return c == who.Carrier }
}

// info decodes a stored scenario.
func scenarioInfo(s persist.Scenario) (ScenarioInfo, error) {
	out := ScenarioInfo{ID: s.ID, Name: s.Name, OwnerKind: s.OwnerKind, Owner: s.Owner, BaseUpload: s.BaseUpload,
		Revision: s.Revision, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Edits: []Edit{}}
	if err := json.Unmarshal(s.Edits, &out.Edits); err != nil {
		return ScenarioInfo{}, fmt.Errorf("app: scenario %d: stored edits: %w", s.ID, err)
	}
	return out, nil
}

// scenario reads scenario id if who owns it (ErrNotFound otherwise, without saying which).
func (a *App) scenario(ctx context.Context, who persist.TokenInfo, id int64) (persist.Scenario, ScenarioInfo, error) {
	if a.db == nil {
		return persist.Scenario{}, ScenarioInfo{}, ErrNoDatabase
	}
	kind, owner, err := scenarioOwner(who)
	if err != nil {
		return persist.Scenario{}, ScenarioInfo{}, err
	}
	s, err := a.db.Scenario(ctx, id)
	if errors.Is(err, persist.ErrNotFound) || err == nil && (s.OwnerKind != kind || s.Owner != owner) {
		return persist.Scenario{}, ScenarioInfo{}, fmt.Errorf("scenario %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return persist.Scenario{}, ScenarioInfo{}, err
	}
	info, err := scenarioInfo(s)
	return s, info, err
}

// CreateScenario makes an empty scenario named name for who's owner, based on the published
// data.
func (a *App) CreateScenario(ctx context.Context, who persist.TokenInfo, name string) (ScenarioInfo, error) {
	if a.db == nil {
		return ScenarioInfo{}, ErrNoDatabase
	}
	kind, owner, err := scenarioOwner(who)
	if err != nil {
		return ScenarioInfo{}, err
	}
	base, err := a.db.LastSiteUpload(ctx)
	if err != nil {
		return ScenarioInfo{}, err
	}
	if name == "" || len(name) > persist.MaxScenarioNameLen {
		return ScenarioInfo{}, data.ParseErrors{{Field: "name", Value: name, Msg: fmt.Sprintf("must be 1 to %d bytes", persist.MaxScenarioNameLen)}}
	}
	s, err := a.db.CreateScenario(ctx, persist.Scenario{Name: name, OwnerKind: kind, Owner: owner, CreatedBy: who.ID,
		BaseUpload: base, Edits: json.RawMessage(`[]`)})
	if err != nil {
		return ScenarioInfo{}, err
	}
	a.log.Info("scenario created", "scenario_id", s.ID, "owner_kind", kind, "owner", owner, "by", who.ID)
	return scenarioInfo(s)
}

// Scenarios lists who's owner's scenarios, oldest first.
func (a *App) Scenarios(ctx context.Context, who persist.TokenInfo) ([]ScenarioInfo, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	kind, owner, err := scenarioOwner(who)
	if err != nil {
		return nil, err
	}
	list, err := a.db.Scenarios(ctx, kind, owner)
	if err != nil {
		return nil, err
	}
	out := make([]ScenarioInfo, 0, len(list))
	for _, s := range list {
		info, err := scenarioInfo(s)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Scenario returns scenario id if who owns it.
func (a *App) Scenario(ctx context.Context, who persist.TokenInfo, id int64) (ScenarioInfo, error) {
	_, info, err := a.scenario(ctx, who, id)
	return info, err
}

// DeleteScenario deletes scenario id if who owns it.
func (a *App) DeleteScenario(ctx context.Context, who persist.TokenInfo, id int64) error {
	if _, _, err := a.scenario(ctx, who, id); err != nil {
		return err
	}
	return a.db.DeleteScenario(ctx, id)
}

// ScenarioUpdate changes a scenario: its name, edits appended, or its whole edit list.
type ScenarioUpdate struct {
	Name     string // "" keeps the name
	Append   []Edit // appended to the edits
	Replace  *[]Edit
	Revision int64 // > 0: the revision the caller read (a newer one is persist.ErrConflict)
}

// UpdateScenario applies u to scenario id if who owns it. The whole edit list is checked
// against the published data first (all-or-nothing: every problem is a data.ParseErrors
// naming its edit), and the scenario is then based on the published data (a rebase).
func (a *App) UpdateScenario(ctx context.Context, who persist.TokenInfo, id int64, u ScenarioUpdate) (ScenarioInfo, error) {
	s, info, err := a.scenario(ctx, who, id)
	if err != nil {
		return ScenarioInfo{}, err
	}
	if u.Revision > 0 && u.Revision != s.Revision {
		return ScenarioInfo{}, fmt.Errorf("%w: scenario %d is at revision %d, not %d", persist.ErrConflict, id, s.Revision, u.Revision)
	}
	edits := info.Edits
	if u.Replace != nil {
		edits = *u.Replace
	}
	edits = append(slices.Clone(edits), u.Append...)
	if len(edits) > MaxEdits {
		return ScenarioInfo{}, data.ParseErrors{{Field: "edits", Msg: fmt.Sprintf("%d edits: a scenario holds at most %d", len(edits), MaxEdits)}}
	}
	if u.Name != "" {
		if len(u.Name) > persist.MaxScenarioNameLen {
			return ScenarioInfo{}, data.ParseErrors{{Field: "name", Value: u.Name[:20] + "…", Msg: fmt.Sprintf("longer than %d bytes", persist.MaxScenarioNameLen)}}
		}
		s.Name = u.Name
	}
	st := a.State()
	if _, errs := st.applyEdits(edits, mayEditCarrier(who)); errs != nil {
		return ScenarioInfo{}, errs
	}
	if s.BaseUpload, err = a.db.LastSiteUpload(ctx); err != nil {
		return ScenarioInfo{}, err
	}
	if s.Edits, err = json.Marshal(edits); err != nil {
		return ScenarioInfo{}, err
	}
	if s, err = a.db.UpdateScenario(ctx, s); err != nil {
		return ScenarioInfo{}, err
	}
	return scenarioInfo(s)
}

// RebaseScenario bases scenario id on the published data: its edits are re-applied, and if
// any no longer applies (a site it moves was deleted …) nothing changes and the answer is a
// *ConflictError naming every such edit.
func (a *App) RebaseScenario(ctx context.Context, who persist.TokenInfo, id int64) (ScenarioInfo, error) {
	s, info, err := a.scenario(ctx, who, id)
	if err != nil {
		return ScenarioInfo{}, err
	}
	cur, err := a.db.LastSiteUpload(ctx)
	if err != nil {
		return ScenarioInfo{}, err
	}
	if _, errs := a.State().applyEdits(info.Edits, mayEditCarrier(who)); errs != nil {
		return ScenarioInfo{}, &ConflictError{Scenario: id, BaseUpload: s.BaseUpload, DataUpload: cur, Conflicts: errs}
	}
	if cur == s.BaseUpload {
		return info, nil
	}
	s.BaseUpload = cur
	if s, err = a.db.UpdateScenario(ctx, s); err != nil {
		return ScenarioInfo{}, err
	}
	return scenarioInfo(s)
}

// scenarioState applies scenario id's edits to a fork of the served state: the state the
// scenario describes, the served state it forks, and whether the published data moved on
// since the scenario's base (the edits were re-applied: a rebase in memory). Edits that no
// longer apply are a *ConflictError.
func (a *App) scenarioState(ctx context.Context, who persist.TokenInfo, id int64) (*State, *State, ScenarioInfo, bool, error) {
	s, info, err := a.scenario(ctx, who, id)
	if err != nil {
		return nil, nil, info, false, err
	}
	cur, err := a.db.LastSiteUpload(ctx)
	if err != nil {
		return nil, nil, info, false, err
	}
	base := a.State()
	ns, errs, err := base.withEdits(ctx, info.Edits, mayEditCarrier(who))
	if errs != nil {
		return nil, nil, info, false, &ConflictError{Scenario: id, BaseUpload: s.BaseUpload, DataUpload: cur, Conflicts: errs}
	}
	return ns, base, info, cur != s.BaseUpload, err
}

// withEdits returns st with edits applied, computed incrementally off to the side: st's
// store is forked, the sites the edits add or change are written in one Upsert and those they
// remove in one Delete, each followed by Engine.Update, so only the cells within reach of the
// edited sites are recomputed (and only their reach is modelled). st is not modified.
// Problems with the edits are errs.
func (st *State) withEdits(ctx context.Context, edits []Edit, mayEdit func(string) bool) (ns *State, errs data.ParseErrors, err error) {
	if st.Engine == nil || st.Store == nil {
		return nil, nil, st.readOnly()
	}
	ed, errs := st.applyEdits(edits, mayEdit)
	if errs != nil {
		return nil, errs, nil
	}
	var upsert []data.Site
	for _, c := range slices.Sorted(maps.Keys(ed.lists)) {
		for _, s := range ed.lists[c] {
			if ed.changed[s.Key()] {
				upsert = append(upsert, s)
			}
		}
	}
	removed := slices.SortedFunc(maps.Keys(ed.removed), func(a, b data.SiteKey) int {
		return cmp.Or(cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.SiteID, b.SiteID))
	})
	fork := st.Store.Fork()
	if fork.Version() != st.Snapshot.Version() {
		return nil, nil, fmt.Errorf("app: the state's store is at version %d, its snapshot at %d", fork.Version(), st.Snapshot.Version())
	}
	res := st.Coverage
	for _, write := range []func() (store.Change, error){
		func() (store.Change, error) { return fork.Upsert(upsert) },
		func() (store.Change, error) { return fork.Delete(removed) },
	} {
		ch, err := write()
		if err != nil {
			return nil, nil, siteProblem(err)
		}
		if res, err = st.Engine.Update(ctx, res, fork.Snapshot(), ch); err != nil {
			return nil, nil, siteProblem(err)
		}
	}
	out := *st
	out.Snapshot, out.Coverage, out.Store = fork.Snapshot(), res, fork
	return &out, nil, nil
}

// ExportScenario writes, as a station-list CSV (input.WriteSitesCSV), carrier's sites that
// scenario id adds or changes, every one with status planned: a list the carrier can upload
// (mode upsert). A carrier token exports only its own carrier.
func (a *App) ExportScenario(ctx context.Context, who persist.TokenInfo, id int64, carrier string) ([]byte, error) {
	_, info, err := a.scenario(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if may := mayEditCarrier(who); may != nil && !may(carrier) {
		return nil, fmt.Errorf("scenario %d has no sites of carrier %q for this token: %w", id, carrier, ErrNotFound)
	}
	ed, errs := a.State().applyEdits(info.Edits, nil)
	if errs != nil {
		return nil, &ConflictError{Scenario: id, BaseUpload: info.BaseUpload, Conflicts: errs}
	}
	var out []data.Site
	for _, s := range ed.lists[carrier] {
		if ed.changed[s.Key()] {
			s.Status = data.StatusPlanned
			out = append(out, s)
		}
	}
	var b bytes.Buffer
	if err := input.WriteSitesCSV(&b, out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
