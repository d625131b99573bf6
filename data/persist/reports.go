package persist

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"phusong/data"
)

// SignalReport is one "no signal here" report as stored: no account, no address; the position is
// already rounded and Reporter is a keyed hash (ReporterKey) of the device's random id.
type SignalReport struct {
	ID        int64     `json:"id"`         // set by the store
	CreatedAt time.Time `json:"created_at"` // set by the store
	Day       string    `json:"day"`        // YYYY-MM-DD, the reporter's (Vietnam) day
	Carrier   string    `json:"carrier"`
	Tech      data.Tech `json:"tech"`
	Outcome   string    `json:"outcome"` // no_service, weak, drops or fine
	Lon       float64   `json:"lon"`
	Lat       float64   `json:"lat"`
	Cell      string    `json:"cell"` // the aggregation grid cell
	Reporter  string    `json:"-"`
}

// Report outcomes.
const (
	OutcomeNoService = "no_service"
	OutcomeWeak      = "weak"
	OutcomeDrops     = "drops"
	OutcomeFine      = "fine"
)

// ErrReportCap: the place (an aggregation cell) has had as many reports today as it takes.
var ErrReportCap = errors.New("persist: enough reports for this place today")

// AddReport stores r unless its cell already has perCellPerDay reports on r.Day (ErrReportCap),
// after deleting every report created before now − retention (the retention limit is enforced
// on every write, not by a timer). It returns r with the fields the store sets.
func (db *DB) AddReport(ctx context.Context, r SignalReport, perCellPerDay int, retention time.Duration) (SignalReport, error) {
	switch r.Outcome {
	case OutcomeNoService, OutcomeWeak, OutcomeDrops, OutcomeFine:
	default:
		return SignalReport{}, fmt.Errorf("%w: outcome %q", ErrInvalid, r.Outcome)
	}
	if !ValidCarrierID(r.Carrier) || r.Cell == "" || r.Reporter == "" || len(r.Day) != len("2006-01-02") {
		return SignalReport{}, fmt.Errorf("%w: report of carrier %q, cell %q, day %q", ErrInvalid, r.Carrier, r.Cell, r.Day)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return SignalReport{}, fmt.Errorf("persist: add report: %w", err)
	}
	defer tx.Rollback()
	now := db.clock()
	if _, err := deleteReportsBefore(ctx, tx, now.Add(-retention)); err != nil {
		return SignalReport{}, fmt.Errorf("persist: add report: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signal_reports WHERE cell = ? AND day = ?`, r.Cell, r.Day).Scan(&n); err != nil {
		return SignalReport{}, fmt.Errorf("persist: add report: %w", err)
	}
	if n >= perCellPerDay {
		return SignalReport{}, fmt.Errorf("%w (%d)", ErrReportCap, perCellPerDay)
	}
	r.CreatedAt = now
	if err := tx.QueryRowContext(ctx, `INSERT INTO signal_reports (created_at, day, carrier, tech, outcome, lon, lat, cell, reporter)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, timeText(now), r.Day, r.Carrier, string(r.Tech), r.Outcome, r.Lon, r.Lat,
		r.Cell, r.Reporter).Scan(&r.ID); err != nil {
		return SignalReport{}, db.full(fmt.Errorf("persist: add report: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return SignalReport{}, fmt.Errorf("persist: add report: commit: %w", err)
	}
	return r, nil
}

// DeleteReportsBefore deletes every report created before before and returns how many went:
// the retention limit for a server that takes no new report (AddReport purges on each write).
func (db *DB) DeleteReportsBefore(ctx context.Context, before time.Time) (int64, error) {
	n, err := deleteReportsBefore(ctx, db.w, before)
	if err != nil {
		return 0, fmt.Errorf("persist: delete reports: %w", err)
	}
	return n, nil
}

// deleteReportsBefore is DeleteReportsBefore in a transaction or on the writer.
func deleteReportsBefore(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, before time.Time) (int64, error) {
	res, err := ex.ExecContext(ctx, `DELETE FROM signal_reports WHERE created_at < ?`, timeText(before.UTC()))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Reports returns every stored report created at or after since, oldest first.
func (db *DB) Reports(ctx context.Context, since time.Time) ([]SignalReport, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, created_at, day, carrier, tech, outcome, lon, lat, cell, reporter
		FROM signal_reports WHERE created_at >= ? ORDER BY id`, timeText(since.UTC()))
	if err != nil {
		return nil, fmt.Errorf("persist: reports: %w", err)
	}
	defer rows.Close()
	out := []SignalReport{}
	for rows.Next() {
		var r SignalReport
		var created, tech string
		if err := rows.Scan(&r.ID, &created, &r.Day, &r.Carrier, &tech, &r.Outcome, &r.Lon, &r.Lat, &r.Cell, &r.Reporter); err != nil {
			return nil, fmt.Errorf("persist: reports: %w", err)
		}
		r.Tech = data.Tech(tech)
		if r.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: reports: %w", err)
	}
	return out, nil
}

// ReportsVersion changes whenever a report is added or deleted, or a review set: a view of the
// reports computed for one version is right while it holds.
func (db *DB) ReportsVersion(ctx context.Context) (string, error) {
	var maxID, n int64
	var reviewed sql.NullString
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0), count(*), (SELECT MAX(updated_at) FROM report_reviews)
		FROM signal_reports`).Scan(&maxID, &n, &reviewed); err != nil {
		return "", fmt.Errorf("persist: reports version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%s", maxID, n, reviewed.String), nil
}

// reporterKeyBytes is the size of the reporters' hash key.
const reporterKeyBytes = 32

// ReporterKey returns the secret key of the reporters' keyed hash, making a new random one when
// there is none or the stored one is older than maxAge (the old one is overwritten, so reports
// hashed with it can no longer be linked to new ones).
func (db *DB) ReporterKey(ctx context.Context, maxAge time.Duration) ([]byte, error) {
	now := db.clock()
	var secret []byte
	var created string
	err := db.r.QueryRowContext(ctx, `SELECT secret, created_at FROM reporter_key WHERE id = 1`).Scan(&secret, &created)
	switch {
	case err == nil:
		t, err := parseTime(created)
		if err != nil {
			return nil, err
		}
		if now.Sub(t) < maxAge {
			return secret, nil
		}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("persist: reporter key: %w", err)
	}
	secret = make([]byte, reporterKeyBytes)
	rand.Read(secret)
	// Another writer may have rotated meanwhile: keep whichever key is newest.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO reporter_key (id, secret, created_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
		WHERE reporter_key.created_at < ?`, secret, timeText(now), timeText(now.Add(-maxAge))); err != nil {
		return nil, fmt.Errorf("persist: reporter key: %w", err)
	}
	if err := db.w.QueryRowContext(ctx, `SELECT secret FROM reporter_key WHERE id = 1`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("persist: reporter key: %w", err)
	}
	return secret, nil
}

// Review is a carrier's review of one cell where reports dispute its coverage.
type Review struct {
	Carrier   string    `json:"carrier"`
	Tech      data.Tech `json:"tech"`
	Cell      string    `json:"cell"`
	State     string    `json:"state"` // open, reviewed or resolved
	Note      string    `json:"note"`
	TokenID   string    `json:"token_id"`
	UpdatedAt time.Time `json:"updated_at"` // set by the store
}

// Review states.
const (
	ReviewOpen     = "open"
	ReviewReviewed = "reviewed"
	ReviewResolved = "resolved"
)

// MaxReviewNote is the longest review note SetReview takes, in bytes.
const MaxReviewNote = 1000

// SetReview records rv (replacing the cell's earlier review), if rv.TokenID may write
// rv.Carrier (its token or an admin token); it returns rv as stored.
func (db *DB) SetReview(ctx context.Context, rv Review) (Review, error) {
	switch {
	case rv.State != ReviewOpen && rv.State != ReviewReviewed && rv.State != ReviewResolved:
		return Review{}, fmt.Errorf("%w: review state %q: want open, reviewed or resolved", ErrInvalid, rv.State)
	case len(rv.Note) > MaxReviewNote:
		return Review{}, fmt.Errorf("%w: note is %d bytes, the limit is %d", ErrInvalid, len(rv.Note), MaxReviewNote)
	case !ValidCarrierID(rv.Carrier) || rv.Cell == "":
		return Review{}, fmt.Errorf("%w: review of carrier %q, cell %q", ErrInvalid, rv.Carrier, rv.Cell)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Review{}, fmt.Errorf("persist: review: %w", err)
	}
	defer tx.Rollback()
	if err := checkTokenTx(ctx, tx, Upload{Carrier: rv.Carrier, TokenID: rv.TokenID}); err != nil {
		return Review{}, err
	}
	rv.UpdatedAt = db.clock()
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_reviews (carrier, tech, cell, state, note, token_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (carrier, tech, cell) DO UPDATE SET state = excluded.state,
		note = excluded.note, token_id = excluded.token_id, updated_at = excluded.updated_at`,
		rv.Carrier, string(rv.Tech), rv.Cell, rv.State, rv.Note, nullString(rv.TokenID), timeText(rv.UpdatedAt)); err != nil {
		return Review{}, fmt.Errorf("persist: review: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Review{}, fmt.Errorf("persist: review: commit: %w", err)
	}
	return rv, nil
}

// Reviews returns the reviews of carrier ("" = every carrier), by carrier, tech and cell.
func (db *DB) Reviews(ctx context.Context, carrier string) ([]Review, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT carrier, tech, cell, state, note, COALESCE(token_id, ''), updated_at
		FROM report_reviews WHERE (? = '' OR carrier = ?) ORDER BY carrier, tech, cell`, carrier, carrier)
	if err != nil {
		return nil, fmt.Errorf("persist: reviews: %w", err)
	}
	defer rows.Close()
	out := []Review{}
	for rows.Next() {
		var rv Review
		var tech, updated string
		if err := rows.Scan(&rv.Carrier, &tech, &rv.Cell, &rv.State, &rv.Note, &rv.TokenID, &updated); err != nil {
			return nil, fmt.Errorf("persist: reviews: %w", err)
		}
		rv.Tech = data.Tech(tech)
		if rv.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		out = append(out, rv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: reviews: %w", err)
	}
	return out, nil
}
