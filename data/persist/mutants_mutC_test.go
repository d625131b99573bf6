package persist

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"phusong/data"
)

// Tests added for mutants gremlins found alive in data/persist's files first measured in the
// eighth pass (bench/README.md, "Eighth pass, mutC"): each pins a boundary or a value the other
// tests of the package leave open.

// TestClaimNeedsWorkerAndLease: a claim of a job or of a region's partial with a zero lease (or
// none: negative) or without a worker name is ErrInvalid and takes nothing; the same claim with a
// 1 ns lease and a name takes the region.
func TestClaimNeedsWorkerAndLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		keys := testKeys("fp", 1)
		if _, err := db.EnqueueRegionJobs(ctx, "viettel=3", keys); err != nil {
			t.Fatal(err)
		}
		if err := db.QueueRegionPartials(ctx, keys); err != nil {
			t.Fatal(err)
		}
		inputs := []string{keys[0].Inputs}
		for _, c := range []struct {
			worker string
			lease  time.Duration
		}{{"w", 0}, {"w", -time.Second}, {"", time.Minute}} {
			if _, ok, err := db.ClaimRegionJob(ctx, "fp", c.worker, c.lease); ok || !errors.Is(err, ErrInvalid) {
				t.Errorf("job claim by %q for %v: %v %v, want ErrInvalid", c.worker, c.lease, ok, err)
			}
			if _, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, c.worker, c.lease); ok || !errors.Is(err, ErrInvalid) {
				t.Errorf("partial claim by %q for %v: %v %v, want ErrInvalid", c.worker, c.lease, ok, err)
			}
		}
		if job, ok, err := db.ClaimRegionJob(ctx, "fp", "w", time.Nanosecond); err != nil || !ok || job.Attempts != 1 {
			t.Errorf("job claim for 1 ns: %+v %v %v, want its first attempt", job, ok, err)
		}
		if c, ok, err := db.ClaimRegionPartial(ctx, "fp", inputs, "w", time.Nanosecond); err != nil || !ok || c.Attempts != 1 {
			t.Errorf("partial claim for 1 ns: %+v %v %v, want its first attempt", c, ok, err)
		}
	})
}

// TestScenarioNameAndReviewNoteAtLimit: a scenario name of exactly MaxScenarioNameLen bytes and a
// review note of exactly MaxReviewNote bytes are stored and read back whole (the limits are
// inclusive); one byte more is refused.
func TestScenarioNameAndReviewNoteAtLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		name := strings.Repeat("n", MaxScenarioNameLen)
		s, err := db.CreateScenario(ctx, Scenario{Name: name, OwnerKind: OwnerCarrier, Owner: "viettel", Edits: json.RawMessage(`[]`)})
		if err != nil {
			t.Fatalf("a %d-byte scenario name: %v", len(name), err)
		}
		if back, err := db.Scenario(ctx, s.ID); err != nil || back.Name != name {
			t.Errorf("scenario name read back %d bytes (%v), want %d", len(back.Name), err, len(name))
		}
		if _, err := db.CreateScenario(ctx, Scenario{Name: name + "n", OwnerKind: OwnerCarrier, Owner: "viettel", Edits: json.RawMessage(`[]`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a %d-byte scenario name: %v, want ErrInvalid", len(name)+1, err)
		}
		_, admin, err := db.CreateToken(ctx, "", true, "")
		if err != nil {
			t.Fatal(err)
		}
		note := strings.Repeat("r", MaxReviewNote)
		rv := Review{Carrier: "viettel", Tech: data.Tech4G, Cell: "12_40", State: ReviewOpen, Note: note, TokenID: admin.ID}
		if _, err := db.SetReview(ctx, rv); err != nil {
			t.Fatalf("a %d-byte review note: %v", len(note), err)
		}
		if got, err := db.Reviews(ctx, "viettel"); err != nil || len(got) != 1 || got[0].Note != note {
			t.Errorf("reviews read back %d (%v), want one with the %d-byte note", len(got), err, len(note))
		}
	})
}
