package persist

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Token format: "phs_" + 12 hex digits of id + "_" + 64 hex digits of secret (32 random bytes).
// The id is public (listed, logged); only SHA-256(secret) is stored. A 256-bit random secret
// needs no slow hash: the digest cannot be inverted or guessed.
const (
	tokenPrefix    = "phs_"
	tokenIDBytes   = 6
	tokenSecretLen = 32
	// MaxNoteLen is the longest token note CreateToken accepts, in bytes.
	MaxNoteLen = 200
)

// TokenInfo describes a token without its secret.
type TokenInfo struct {
	ID      string `json:"id"`      // 12 hex digits; the token starts "phs_<ID>_"
	Carrier string `json:"carrier"` // the carrier it may write; "" for admin tokens
	Admin   bool   `json:"admin"`   // may manage carriers and tokens, writes no carrier's data
	// Planner is the planner's name for a planner token ("" otherwise): it reads everything
	// and manages its own scenarios, writes no carrier's data and manages no token.
	Planner   string     `json:"planner,omitempty"`
	Note      string     `json:"note"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"` // nil while the token is valid
}

// Prefix is the printable public start of the token, "phs_<ID>", for lists and logs.
func (t TokenInfo) Prefix() string { return tokenPrefix + t.ID }

// carrierSlug is what a carrier id may look like: lower-case ASCII letters, digits and
// hyphens, 1–32 characters, starting with a letter or digit.
var carrierSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ValidCarrierID reports whether id may name a carrier (a slug like "viettel").
func ValidCarrierID(id string) bool { return carrierSlug.MatchString(id) }

// CreateToken makes a new random token and stores its hash. A carrier token (admin false) needs
// a valid carrier id; an admin token needs carrier "". The plaintext is returned once and
// cannot be recovered later; it must not be logged.
func (db *DB) CreateToken(ctx context.Context, carrier string, admin bool, note string) (plaintext string, info TokenInfo, err error) {
	switch {
	case admin && carrier != "":
		return "", TokenInfo{}, fmt.Errorf("%w: an admin token belongs to no carrier (got %q)", ErrInvalid, carrier)
	case !admin && !ValidCarrierID(carrier):
		return "", TokenInfo{}, fmt.Errorf("%w: carrier %q: want a slug like \"viettel\" (a-z, 0-9, -)", ErrInvalid, carrier)
	}
	return db.createToken(ctx, carrier, admin, "", note)
}

// createToken stores a new token; for a planner token (role rolePlanner) carrier is the
// planner's name.
func (db *DB) createToken(ctx context.Context, carrier string, admin bool, role, note string) (plaintext string, info TokenInfo, err error) {
	if len(note) > MaxNoteLen {
		return "", TokenInfo{}, fmt.Errorf("%w: note is %d bytes, the limit is %d", ErrInvalid, len(note), MaxNoteLen)
	}
	info = TokenInfo{Carrier: carrier, Admin: admin, Note: note, CreatedAt: db.clock()}
	if role == rolePlanner {
		info.Carrier, info.Planner = "", carrier
	}
	for range 3 { // an id collision (2^-48 per pair) is retried with new random bytes
		var id [tokenIDBytes]byte
		var secret [tokenSecretLen]byte
		rand.Read(id[:])
		rand.Read(secret[:])
		info.ID = hex.EncodeToString(id[:])
		secretHex := hex.EncodeToString(secret[:])
		sum := sha256.Sum256([]byte(secretHex))
		_, err = db.w.ExecContext(ctx,
			`INSERT INTO tokens (id, hash, carrier, admin, role, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			info.ID, sum[:], carrier, admin, role, note, timeText(info.CreatedAt))
		if err == nil {
			return tokenPrefix + info.ID + "_" + secretHex, info, nil
		}
		if !isUnique(err) {
			break
		}
	}
	return "", TokenInfo{}, db.full(fmt.Errorf("persist: create token: %w", err))
}

// CreatePlannerToken makes a planner token for the planner name (a slug like a carrier id:
// "usf-team"). Like CreateToken, the plaintext is returned once.
func (db *DB) CreatePlannerToken(ctx context.Context, name, note string) (plaintext string, info TokenInfo, err error) {
	if !ValidCarrierID(name) {
		return "", TokenInfo{}, fmt.Errorf("%w: planner name %q: want a slug like \"usf-team\" (a-z, 0-9, -)", ErrInvalid, name)
	}
	return db.createToken(ctx, name, false, rolePlanner, note)
}

// rolePlanner is the tokens.role of planner tokens ("" for carrier and admin tokens).
const rolePlanner = "planner"

// ListTokens returns every token ever created (revoked ones too), oldest first.
func (db *DB) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	rows, err := db.r.QueryContext(ctx,
		`SELECT id, carrier, admin, role, note, created_at, revoked_at FROM tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("persist: list tokens: %w", err)
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persist: list tokens: %w", err)
	}
	return out, nil
}

// scanToken reads the columns id, carrier, admin, role, note, created_at, revoked_at.
func scanToken(s interface{ Scan(...any) error }) (TokenInfo, error) {
	var t TokenInfo
	var created, role string
	var revoked sql.NullString
	if err := s.Scan(&t.ID, &t.Carrier, &t.Admin, &role, &t.Note, &created, &revoked); err != nil {
		return TokenInfo{}, fmt.Errorf("persist: read token: %w", err)
	}
	if role == rolePlanner {
		t.Carrier, t.Planner = "", t.Carrier
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return TokenInfo{}, err
	}
	if revoked.Valid {
		r, err := parseTime(revoked.String)
		if err != nil {
			return TokenInfo{}, err
		}
		t.RevokedAt = &r
	}
	return t, nil
}

// RevokeToken revokes the token with the given id (or its "phs_<id>" prefix) for good.
// Revoking a revoked token is a no-op; an unknown id gives ErrNotFound.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	id = strings.TrimPrefix(id, tokenPrefix)
	res, err := db.w.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		timeText(db.clock()), id)
	if err != nil {
		return db.full(fmt.Errorf("persist: revoke token %s: %w", id, err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var one int
	switch err := db.r.QueryRowContext(ctx, `SELECT 1 FROM tokens WHERE id = ?`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: token %q", ErrNotFound, id)
	case err != nil:
		return fmt.Errorf("persist: revoke token %s: %w", id, err)
	}
	return nil
}

// noHash stands in for the stored hash when the token is malformed or its id unknown, so that
// every failure goes through the same constant-time comparison.
var noHash = make([]byte, sha256.Size)

// Authenticate returns the valid token whose plaintext is given (surrounding spaces ignored).
// A malformed, unknown or revoked token gives ErrUnauthorized, whichever it is; other errors
// are database failures. The secret is compared as a SHA-256 digest in constant time.
func (db *DB) Authenticate(ctx context.Context, plaintext string) (TokenInfo, error) {
	id, secret, wellFormed := parseToken(strings.TrimSpace(plaintext))
	stored := noHash
	var info TokenInfo
	found := false
	if wellFormed {
		row := db.r.QueryRowContext(ctx,
			`SELECT hash, id, carrier, admin, role, note, created_at, revoked_at FROM tokens WHERE id = ?`, id)
		var h []byte
		t, err := scanToken(prepend{row, &h})
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return TokenInfo{}, err
		default:
			info, found, stored = t, t.RevokedAt == nil, h
		}
	}
	sum := sha256.Sum256([]byte(secret))
	db.compares()
	match := subtle.ConstantTimeCompare(sum[:], stored) == 1
	if !wellFormed || !found || !match {
		return TokenInfo{}, ErrUnauthorized
	}
	return info, nil
}

// prepend scans its own destinations before the caller's.
type prepend struct {
	row  interface{ Scan(...any) error }
	dest any
}

func (p prepend) Scan(dest ...any) error { return p.row.Scan(append([]any{p.dest}, dest...)...) }

// parseToken splits "phs_<12 hex>_<64 hex>" into id and secret; ok is false for anything else.
func parseToken(s string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 2*tokenIDBytes || len(secret) != 2*tokenSecretLen || !isLowerHex(id) || !isLowerHex(secret) {
		return "", "", false
	}
	return id, secret, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
