package persist

import (
	"context"
	"strings"
	"testing"
)

// Tests added for mutants gremlins found alive in data/persist (bench/README.md, "Mutation
// testing"): each pins a boundary or a value the other tests of the package leave open. They
// live in their own file so that they merge beside other work on the package's files.

// A note of exactly MaxNoteLen bytes is kept whole (the limit is inclusive); one byte more is
// refused (TestCreateTokenRefuses).
func TestTokenNoteAtLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		note := strings.Repeat("é", MaxNoteLen/2) // 2 bytes a rune: MaxNoteLen bytes
		plain, info, err := db.CreateToken(context.Background(), "viettel", false, note)
		if err != nil {
			t.Fatalf("a %d-byte note: %v", len(note), err)
		}
		got, err := db.Authenticate(context.Background(), plain)
		if err != nil || got.Note != note || info.Note != note {
			t.Fatalf("note read back %q (%v), want the %d bytes given", got.Note, err, len(note))
		}
	})
}
