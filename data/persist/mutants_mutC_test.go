package persist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
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

// TestClaimsListedWithLease: a claimed job and a claimed partial are listed running (held) by
// their worker at their first attempt with the lease given, to the microsecond both backends
// keep; a queued one with none.
func TestClaimsListedWithLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 5, 23, 0, 0, 0, time.UTC)
		db.now = func() time.Time { return t0 }
		keys := testKeys("fp", 2)
		if _, err := db.EnqueueRegionJobs(ctx, "viettel=3", keys); err != nil {
			t.Fatal(err)
		}
		if err := db.QueueRegionPartials(ctx, keys); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ClaimRegionJob(ctx, "fp", "w1", 90*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ClaimRegionPartial(ctx, "fp", []string{keys[0].Inputs, keys[1].Inputs}, "w2", 45*time.Second); err != nil {
			t.Fatal(err)
		}
		jobs, err := db.RegionJobs(ctx, "fp", "viettel=3")
		want := []RegionJob{{RegionKey: keys[0], DataVersion: "viettel=3", State: JobRunning, Attempts: 1, Worker: "w1", LeaseUntil: t0.Add(90 * time.Second)},
			{RegionKey: keys[1], DataVersion: "viettel=3", State: JobQueued}}
		if err != nil || len(jobs) != 2 || !jobsEqual(jobs[0], want[0]) || !jobsEqual(jobs[1], want[1]) {
			t.Errorf("jobs %+v (%v), want %+v", jobs, err, want)
		}
		parts, err := db.RegionPartials(ctx, "fp")
		wantP := []PartialState{{RegionKey: keys[0], Worker: "w2", Attempts: 1, LeaseUntil: t0.Add(45 * time.Second)}, {RegionKey: keys[1]}}
		if err != nil || len(parts) != 2 || !partialsEqual(parts[0], wantP[0]) || !partialsEqual(parts[1], wantP[1]) {
			t.Errorf("partials %+v (%v), want %+v", parts, err, wantP)
		}
	})
}

// jobsEqual compares two jobs, their leases as instants.
func jobsEqual(a, b RegionJob) bool {
	eq := a.LeaseUntil.Equal(b.LeaseUntil)
	a.LeaseUntil, b.LeaseUntil = time.Time{}, time.Time{}
	return eq && a == b
}

// partialsEqual compares two partial states, their leases as instants.
func partialsEqual(a, b PartialState) bool {
	eq := a.LeaseUntil.Equal(b.LeaseUntil)
	a.LeaseUntil, b.LeaseUntil = time.Time{}, time.Time{}
	return eq && a == b
}

// TestReportsVersionValues: ReportsVersion is "<largest id>.<count>.<last review time>": "0.0."
// on an empty database, "2.2." after two reports, "2.1." once the older is deleted, then the
// time of the last review (RFC 3339, as each backend writes it).
func TestReportsVersionValues(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)}
		db.now = c.now
		version := func(want string, reviewed time.Time) {
			t.Helper()
			v, err := db.ReportsVersion(ctx)
			rest, ok := strings.CutPrefix(v, want)
			if err != nil || !ok {
				t.Fatalf("reports version %q (%v), want %q…", v, err, want)
			}
			if at, err := time.Parse(time.RFC3339Nano, rest); rest != "" && (err != nil || !at.Equal(reviewed)) || rest == "" && !reviewed.IsZero() {
				t.Errorf("reports version %q, want %q and the review time %v", v, want, reviewed)
			}
		}
		version("0.0.", time.Time{})
		r := SignalReport{Day: "2026-03-04", Carrier: "viettel", Tech: data.Tech4G, Outcome: OutcomeWeak, Cell: "1_1", Reporter: "x"}
		for range 2 {
			if _, err := db.AddReport(ctx, r, 10, 24*time.Hour); err != nil {
				t.Fatal(err)
			}
			c.t = c.t.Add(time.Hour)
		}
		version("2.2.", time.Time{})
		if n, err := db.DeleteReportsBefore(ctx, time.Date(2026, 3, 4, 1, 30, 0, 0, time.UTC)); err != nil || n != 1 {
			t.Fatalf("deleted %d, %v, want 1", n, err)
		}
		version("2.1.", time.Time{})
		_, admin, err := db.CreateToken(ctx, "", true, "")
		if err != nil {
			t.Fatal(err)
		}
		rv := Review{Carrier: "viettel", Tech: data.Tech4G, Cell: "1_1", State: ReviewOpen, TokenID: admin.ID}
		for _, state := range []string{ReviewOpen, ReviewResolved} {
			rv.State = state
			if _, err := db.SetReview(ctx, rv); err != nil {
				t.Fatal(err)
			}
			version("2.1.", c.t)
			c.t = c.t.Add(time.Minute)
		}
	})
}

// TestReporterKeyAtMaxAge: a key exactly maxAge old is kept (only one older than maxAge is
// replaced), one a nanosecond older is not.
func TestReporterKeyAtMaxAge(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const maxAge = 7 * 24 * time.Hour
		c := &clock{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
		db.now = c.now
		k1, err := db.ReporterKey(ctx, maxAge)
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(maxAge)
		if k2, err := db.ReporterKey(ctx, maxAge); err != nil || !bytes.Equal(k1, k2) {
			t.Errorf("a key exactly %v old was replaced (%v)", maxAge, err)
		}
		c.t = c.t.Add(time.Microsecond)
		if k3, err := db.ReporterKey(ctx, maxAge); err != nil || bytes.Equal(k1, k3) {
			t.Errorf("a key older than %v was kept (%v)", maxAge, err)
		}
	})
}

// TestImportEmptyMeasurementFile: a file without a row is an upload of 0 samples, stored (an id,
// no time span, warnings [] not null); an upload's warnings are returned and read back as given;
// a negative count of rows or of skipped rows is ErrInvalid.
func TestImportEmptyMeasurementFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u, err := importSamples(t, db, MeasurementUpload{Carrier: "viettel", Source: "csv", FileName: "empty.csv"}, nil)
		if err != nil || u.ID == 0 || u.Rows != 0 || u.Samples != 0 || u.Stored != 0 || u.From != nil || u.To != nil || u.Warnings == nil || len(u.Warnings) != 0 {
			t.Fatalf("an empty file: %+v, %v; want an upload of 0 samples", u, err)
		}
		warned := []data.Warning{{Line: 3, Field: "level_dbm", Message: "out of range, row skipped"}}
		w, err := importSamples(t, db, MeasurementUpload{Carrier: "viettel", Source: "csv", Skipped: 1, Warnings: warned}, []data.Measurement{sample("viettel", 1)})
		if err != nil || !reflect.DeepEqual(w.Warnings, warned) {
			t.Fatalf("warnings returned %+v (%v), want %+v", w.Warnings, err, warned)
		}
		for id, want := range map[int64][]data.Warning{u.ID: {}, w.ID: warned} {
			if back, err := db.MeasurementUploadByID(ctx, id); err != nil || !reflect.DeepEqual(back.Warnings, want) {
				t.Errorf("upload %d's warnings read back %#v (%v), want %#v", id, back.Warnings, err, want)
			}
		}
		for _, bad := range []MeasurementUpload{{Carrier: "viettel", Source: "csv", Rows: -1}, {Carrier: "viettel", Source: "csv", Skipped: -1}} {
			_, err := db.ImportMeasurements(context.Background(), func(func(*data.Measurement) error) (MeasurementUpload, error) { return bad, nil })
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("rows %d, skipped %d: %v, want ErrInvalid", bad.Rows, bad.Skipped, err)
			}
		}
	})
}

// TestRebindDigitBounds: the digits of a numbered placeholder run from 0 to 9 inclusive, so ?9
// and ?0 keep their numbers on PostgreSQL ("?N becomes $N") instead of turning into the next
// unnumbered $n followed by the digit.
func TestRebindDigitBounds(t *testing.T) {
	in, want := `a = ?9 OR b = ?0 OR c = ?90`, `a = $9 OR b = $0 OR c = $90`
	if got := Postgres.rebind(in); got != want {
		t.Errorf("rebind(%q) = %q, want %q", in, got, want)
	}
}

// TestIsUniqueSQLiteCodes: on SQLite a UNIQUE column's violation is a unique violation (not only
// a primary key's, which TestUniqueViolation checks) and a NOT NULL violation, another
// constraint, is not.
func TestIsUniqueSQLiteCodes(t *testing.T) {
	db := openBackend(t, SQLite)
	ctx := context.Background()
	c, err := db.w.db.Conn(ctx) // a temporary table lives on one connection
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `CREATE TEMP TABLE uq (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO uq VALUES (1, 'a')`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO uq VALUES (2, 'a')`); err == nil || !isUnique(err) {
		t.Errorf("a UNIQUE column's duplicate: %v, want a unique violation", err)
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO uq VALUES (3, NULL)`); err == nil || isUnique(err) {
		t.Errorf("a NOT NULL violation: %v, want an error that is not a unique violation", err)
	}
}

// TestRedact: a database URL is named with its password hidden (net/url's "xxxxx"), the rest
// kept; one that does not parse is not echoed.
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://phusong:s3cret@db.example:5432/phusong?sslmode=disable": "postgres://phusong:xxxxx@db.example:5432/phusong?sslmode=disable",
		"postgres://phusong@db.example/phusong":                             "postgres://phusong@db.example/phusong",
		"postgres://a:b@h/%zz":                                              "(a database URL that does not parse)",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
