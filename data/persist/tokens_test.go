package persist

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var tokenPattern = regexp.MustCompile(`^phs_[0-9a-f]{12}_[0-9a-f]{64}$`)

func TestCreateAndAuthenticate(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 8, 30, 0, 123456789, time.FixedZone("ICT", 7*3600))
		db.now = func() time.Time { return at }

		cases := []struct {
			name    string
			carrier string
			admin   bool
			note    string
		}{
			{"carrier", "viettel", false, "ops team"},
			{"admin", "", true, ""},
			{"hyphen-digits", "cable-tv-2", false, "fibre operator"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tok, info, err := db.CreateToken(ctx, c.carrier, c.admin, c.note)
				if err != nil {
					t.Fatal(err)
				}
				if !tokenPattern.MatchString(tok) {
					t.Fatalf("token %q does not look like phs_<12 hex>_<64 hex>", tok)
				}
				if !strings.HasPrefix(tok, info.Prefix()+"_") {
					t.Errorf("token does not start with its prefix %q", info.Prefix())
				}
				want := TokenInfo{ID: info.ID, Carrier: c.carrier, Admin: c.admin, Note: c.note, CreatedAt: at.UTC().Truncate(time.Microsecond)} // times are kept to the µs
				got, err := db.Authenticate(ctx, " "+tok+"\n")
				if err != nil {
					t.Fatal(err)
				}
				if !got.CreatedAt.Equal(want.CreatedAt) || got.RevokedAt != nil {
					t.Errorf("times %v %v, want %v", got.CreatedAt, got.RevokedAt, want.CreatedAt)
				}
				got.CreatedAt = want.CreatedAt
				if got != want || info != want {
					t.Errorf("Authenticate = %+v, CreateToken info %+v, want %+v", got, info, want)
				}
			})
		}
		list, err := db.ListTokens(ctx)
		if err != nil || len(list) != len(cases) {
			t.Fatalf("ListTokens = %d tokens, %v", len(list), err)
		}
	})
}

func TestCreateTokenRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		cases := []struct {
			name    string
			carrier string
			admin   bool
			note    string
		}{
			{"admin-with-carrier", "viettel", true, ""},
			{"no-carrier", "", false, ""},
			{"capitals", "Viettel", false, ""},
			{"space", "viet tel", false, ""},
			{"leading-hyphen", "-viettel", false, ""},
			{"too-long", strings.Repeat("a", 33), false, ""},
			{"long-note", "viettel", false, strings.Repeat("n", MaxNoteLen+1)},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tok, _, err := db.CreateToken(context.Background(), c.carrier, c.admin, c.note)
				if !errors.Is(err, ErrInvalid) || tok != "" {
					t.Errorf("CreateToken = %q, %v; want ErrInvalid", tok, err)
				}
			})
		}
		if list, _ := db.ListTokens(context.Background()); len(list) != 0 {
			t.Errorf("%d tokens stored after refusals", len(list))
		}
	})
}

// TestAuthenticateRejects checks every kind of bad token fails with the same error and goes
// through the one constant-time comparison (the hook counts comparisons).
func TestAuthenticateRejects(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var compares int
		db.compares = func() { compares++ }
		good, info, err := db.CreateToken(ctx, "mobifone", false, "")
		if err != nil {
			t.Fatal(err)
		}
		revoked, rinfo, err := db.CreateToken(ctx, "mobifone", false, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(ctx, rinfo.ID); err != nil {
			t.Fatal(err)
		}
		secret := good[len("phs_")+12+1:]
		flip := func(s string, i int) string {
			b := []byte(s)
			if b[i] == '0' {
				b[i] = '1'
			} else {
				b[i] = '0'
			}
			return string(b)
		}
		otherID := "phs_" + strings.Repeat("0", 12) + "_" + secret
		if otherID == good {
			otherID = "phs_" + strings.Repeat("1", 12) + "_" + secret
		}
		cases := []struct{ name, token string }{
			{"empty", ""},
			{"bearer-word", "Bearer " + good},
			{"no-prefix", strings.TrimPrefix(good, "phs_")},
			{"uppercase", "phs_" + strings.ToUpper(good[4:])},
			{"first-secret-char", flip(good, len(good)-64)},
			{"last-secret-char", flip(good, len(good)-1)},
			{"truncated", good[:len(good)-1]},
			{"extended", good + "0"},
			{"unknown-id", otherID},
			{"secret-of-other-id", "phs_" + rinfo.ID + "_" + secret},
			{"revoked", revoked},
			{"prefix-only", info.Prefix()},
			{"inner-space", good[:20] + " " + good[21:]},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := compares
				got, err := db.Authenticate(ctx, c.token)
				if !errors.Is(err, ErrUnauthorized) || got != (TokenInfo{}) {
					t.Errorf("Authenticate = %+v, %v; want ErrUnauthorized", got, err)
				}
				if compares != before+1 {
					t.Errorf("%d hash comparisons, want 1", compares-before)
				}
			})
		}
		if _, err := db.Authenticate(ctx, good); err != nil {
			t.Errorf("the good token no longer works: %v", err)
		}
	})
}

func TestRevokeToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		db.now = func() time.Time { return at }
		tok, info, err := db.CreateToken(ctx, "viettel", false, "")
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			id   string
			want error
		}{
			{"by-id", info.ID, nil},
			{"again-is-noop", info.ID, nil},
			{"by-prefix", info.Prefix(), nil},
			{"unknown", "000000000000", ErrNotFound},
			{"empty", "", ErrNotFound},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				at = at.Add(time.Hour)
				if err := db.RevokeToken(ctx, c.id); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
					t.Errorf("RevokeToken(%q) = %v, want %v", c.id, err, c.want)
				}
			})
		}
		if _, err := db.Authenticate(ctx, tok); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("revoked token authenticates: %v", err)
		}
		list, err := db.ListTokens(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListTokens = %v, %v", list, err)
		}
		// The first revocation time stays: revoking again changes nothing.
		if r := list[0].RevokedAt; r == nil || !r.Equal(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)) {
			t.Errorf("RevokedAt = %v, want 01:00", r)
		}
	})
}

// TestSecretNotStored: neither the token nor its secret appears anywhere in the database files.
func TestSecretNotStored(t *testing.T) {
	db := openTest(t) // SQLite: the files; PostgreSQL keeps the same columns
	tok, _, err := db.CreateToken(context.Background(), "viettel", false, "")
	if err != nil {
		t.Fatal(err)
	}
	secret := tok[len(tok)-64:]
	files, _ := filepath.Glob(db.Path() + "*") // phusong.db, -wal, -shm
	if len(files) < 2 {
		t.Fatalf("database files %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[:32])) {
			t.Errorf("%s contains the secret", filepath.Base(f))
		}
	}
}

// TestParseToken: the shape of a token, "phs_" + 12 lowercase hex digits + "_" + 64 of them,
// is checked before any lookup; uppercase or other letters anywhere refuse it.
func TestParseToken(t *testing.T) {
	id, secret := "0123456789ab", strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"good", "phs_" + id + "_" + secret, true},
		{"uppercase id", "phs_" + strings.ToUpper(id) + "_" + secret, false},
		{"g in the id", "phs_" + id[:11] + "g_" + secret, false},
		{"uppercase secret", "phs_" + id + "_" + strings.ToUpper(secret), false},
		{"space in the secret", "phs_" + id + "_" + secret[:63] + " ", false},
		{"short id", "phs_" + id[:11] + "_" + secret, false},
		{"no separator", "phs_" + id + secret, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotID, gotSecret, ok := parseToken(c.in)
			if ok != c.ok || ok && (gotID != id || gotSecret != secret) {
				t.Errorf("parseToken = %q, %q, %v; want ok %v", gotID, gotSecret, ok, c.ok)
			}
		})
	}
}
