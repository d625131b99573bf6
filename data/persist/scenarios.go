package persist

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Scenario owner kinds: who may see and change a scenario.
const (
	OwnerPlanner = "planner" // Owner is a planner's name: planner tokens of that name
	OwnerCarrier = "carrier" // Owner is a carrier id: that carrier's tokens
)

// MaxScenarioNameLen is the longest scenario name, in bytes.
const MaxScenarioNameLen = 120

// Scenario is a stored what-if scenario: named edits of the published station lists. Edits
// is the JSON array of the edits (the app's type; persist keeps the bytes).
type Scenario struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	OwnerKind  string          `json:"owner_kind"` // OwnerPlanner or OwnerCarrier
	Owner      string          `json:"owner"`
	CreatedBy  string          `json:"created_by"`  // token id
	BaseUpload int64           `json:"base_upload"` // the last applied station-list upload when based
	Edits      json.RawMessage `json:"edits"`
	Revision   int64           `json:"revision"` // 1 when created, +1 per write
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// ErrConflict: a scenario write named a revision that is no longer the stored one.
var ErrConflict = errors.New("persist: the scenario changed since it was read")

// LastSiteUpload returns the id of the last applied (not dry-run) station-list upload, 0 when
// none: the data version scenarios are based on. It survives restarts, unlike store versions.
func (db *DB) LastSiteUpload(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT MAX(id) FROM uploads WHERE kind = ? AND NOT dry_run`, SiteKind().Name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("persist: last upload: %w", err)
	}
	return id.Int64, nil
}

// CreateScenario stores a new scenario (ID, Revision and times are set by the store).
func (db *DB) CreateScenario(ctx context.Context, s Scenario) (Scenario, error) {
	if err := checkScenario(s); err != nil {
		return Scenario{}, err
	}
	now := db.clock()
	s.CreatedAt, s.UpdatedAt, s.Revision = now, now, 1
	if err := db.w.QueryRowContext(ctx, `INSERT INTO scenarios (name, owner_kind, owner, created_by, base_upload, edits,
		revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`,
		s.Name, s.OwnerKind, s.Owner, nullString(s.CreatedBy), s.BaseUpload, string(s.Edits), timeText(now),
		timeText(now)).Scan(&s.ID); err != nil {
		return Scenario{}, db.full(fmt.Errorf("persist: create scenario: %w", err))
	}
	return s, nil
}

// checkScenario refuses a scenario the table would hold badly.
func checkScenario(s Scenario) error {
	switch {
	case s.Name == "" || len(s.Name) > MaxScenarioNameLen:
		return fmt.Errorf("%w: scenario name must be 1 to %d bytes", ErrInvalid, MaxScenarioNameLen)
	case s.OwnerKind != OwnerPlanner && s.OwnerKind != OwnerCarrier:
		return fmt.Errorf("%w: owner kind %q", ErrInvalid, s.OwnerKind)
	case s.Owner == "":
		return fmt.Errorf("%w: scenario without owner", ErrInvalid)
	case !json.Valid(s.Edits):
		return fmt.Errorf("%w: scenario edits are not JSON", ErrInvalid)
	}
	return nil
}

const scenarioColumns = `id, name, owner_kind, owner, COALESCE(created_by, ''), base_upload, edits, revision, created_at, updated_at`

// scanScenario reads scenarioColumns.
func scanScenario(r interface{ Scan(...any) error }) (Scenario, error) {
	var s Scenario
	var edits, created, updated string
	if err := r.Scan(&s.ID, &s.Name, &s.OwnerKind, &s.Owner, &s.CreatedBy, &s.BaseUpload, &edits, &s.Revision, &created, &updated); err != nil {
		return Scenario{}, err
	}
	s.Edits = json.RawMessage(edits)
	var err error
	if s.CreatedAt, err = parseTime(created); err != nil {
		return Scenario{}, err
	}
	if s.UpdatedAt, err = parseTime(updated); err != nil {
		return Scenario{}, err
	}
	return s, nil
}

// Scenario returns scenario id (ErrNotFound when it does not exist or was deleted).
func (db *DB) Scenario(ctx context.Context, id int64) (Scenario, error) {
	s, err := scanScenario(db.r.QueryRowContext(ctx,
		`SELECT `+scenarioColumns+` FROM scenarios WHERE id = ? AND deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Scenario{}, fmt.Errorf("%w: scenario %d", ErrNotFound, id)
	}
	if err != nil {
		return Scenario{}, fmt.Errorf("persist: scenario %d: %w", id, err)
	}
	return s, nil
}

// Scenarios lists the scenarios of one owner, oldest first.
func (db *DB) Scenarios(ctx context.Context, ownerKind, owner string) ([]Scenario, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+scenarioColumns+` FROM scenarios
		WHERE owner_kind = ? AND owner = ? AND deleted_at IS NULL ORDER BY id`, ownerKind, owner)
	if err != nil {
		return nil, fmt.Errorf("persist: scenarios: %w", err)
	}
	defer rows.Close()
	out := []Scenario{}
	for rows.Next() {
		s, err := scanScenario(rows)
		if err != nil {
			return nil, fmt.Errorf("persist: scenarios: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: scenarios: %w", err)
	}
	return out, nil
}

// UpdateScenario writes s's name, base and edits if the stored revision is still s.Revision,
// and returns it with the next revision; ErrConflict otherwise, ErrNotFound for a deleted or
// unknown scenario.
func (db *DB) UpdateScenario(ctx context.Context, s Scenario) (Scenario, error) {
	if err := checkScenario(s); err != nil {
		return Scenario{}, err
	}
	now := db.clock()
	res, err := db.w.ExecContext(ctx, `UPDATE scenarios SET name = ?, base_upload = ?, edits = ?, revision = revision + 1,
		updated_at = ? WHERE id = ? AND revision = ? AND deleted_at IS NULL`,
		s.Name, s.BaseUpload, string(s.Edits), timeText(now), s.ID, s.Revision)
	if err != nil {
		return Scenario{}, fmt.Errorf("persist: update scenario %d: %w", s.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		s.Revision++
		s.UpdatedAt = now
		return s, nil
	}
	if _, err := db.Scenario(ctx, s.ID); err != nil {
		return Scenario{}, err
	}
	return Scenario{}, fmt.Errorf("%w: scenario %d is no longer at revision %d", ErrConflict, s.ID, s.Revision)
}

// DeleteScenario marks scenario id deleted (kept for the audit); ErrNotFound when it is not
// there.
func (db *DB) DeleteScenario(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `UPDATE scenarios SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`,
		timeText(db.clock()), id)
	if err != nil {
		return fmt.Errorf("persist: delete scenario %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: scenario %d", ErrNotFound, id)
	}
	return nil
}
