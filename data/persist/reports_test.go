package persist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"phusong/data"
)

// clock is a settable time for a DB's now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestReportsCapAndRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC)}
		db.now = c.now
		rep := func(cell, day, who string) SignalReport {
			return SignalReport{Day: day, Carrier: "viettel", Tech: data.Tech4G, Outcome: OutcomeNoService, Lon: 106.3, Lat: 9.9, Cell: cell, Reporter: who}
		}
		const perCell, retention = 3, 30 * 24 * time.Hour
		for i := range 3 {
			if _, err := db.AddReport(ctx, rep("10_20", "2026-02-01", string(rune('a'+i))), perCell, retention); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AddReport(ctx, rep("10_20", "2026-02-01", "d"), perCell, retention); !errors.Is(err, ErrReportCap) {
			t.Fatalf("a fourth report in the cell that day: %v, want ErrReportCap", err)
		}
		if _, err := db.AddReport(ctx, rep("10_21", "2026-02-01", "d"), perCell, retention); err != nil {
			t.Fatalf("the next cell: %v", err)
		}
		c.t = c.t.Add(24 * time.Hour)
		if _, err := db.AddReport(ctx, rep("10_20", "2026-02-02", "d"), perCell, retention); err != nil {
			t.Fatalf("the next day: %v", err)
		}
		all, err := db.Reports(ctx, time.Time{})
		if err != nil || len(all) != 5 || all[0].Reporter != "a" {
			t.Fatalf("reports %+v, %v", all, err)
		}
		// 31 days on, a write purges the first day's reports (retention 30 days).
		c.t = time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)
		if _, err := db.AddReport(ctx, rep("10_22", "2026-03-04", "e"), perCell, retention); err != nil {
			t.Fatal(err)
		}
		all, _ = db.Reports(ctx, time.Time{})
		if len(all) != 2 || all[0].Day != "2026-02-02" {
			t.Fatalf("after the retention: %+v", all)
		}
		// Without a write, DeleteReportsBefore purges: only what was created before the cut goes.
		if n, err := db.DeleteReportsBefore(ctx, time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)); err != nil || n != 1 {
			t.Fatalf("delete before the last report: %d, %v, want 1", n, err)
		}
		if all, _ = db.Reports(ctx, time.Time{}); len(all) != 1 || all[0].Reporter != "e" {
			t.Fatalf("after deleting before the last report: %+v", all)
		}
		if n, err := db.DeleteReportsBefore(ctx, time.Date(2026, 3, 4, 3, 0, 0, 1000, time.UTC)); err != nil || n != 1 {
			t.Fatalf("delete after the last report: %d, %v, want 1", n, err)
		}
		if n, err := db.DeleteReportsBefore(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || n != 0 {
			t.Fatalf("delete from an empty table: %d, %v, want 0", n, err)
		}
		for _, bad := range []SignalReport{
			{Day: "2026-03-04", Carrier: "viettel", Tech: data.Tech4G, Outcome: "meh", Cell: "1_1", Reporter: "x"},
			{Day: "2026-03-04", Carrier: "", Tech: data.Tech4G, Outcome: OutcomeWeak, Cell: "1_1", Reporter: "x"},
			{Day: "4 March", Carrier: "viettel", Tech: data.Tech4G, Outcome: OutcomeWeak, Cell: "1_1", Reporter: "x"},
		} {
			if _, err := db.AddReport(ctx, bad, perCell, retention); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", bad, err)
			}
		}
	})
}

// The reporter key is kept while young and replaced, not kept, when older than its age.
func TestReporterKeyRotates(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
		db.now = c.now
		k1, err := db.ReporterKey(ctx, 7*24*time.Hour)
		if err != nil || len(k1) != 32 {
			t.Fatalf("key %x, %v", k1, err)
		}
		c.t = c.t.Add(6 * 24 * time.Hour)
		if k2, _ := db.ReporterKey(ctx, 7*24*time.Hour); !bytes.Equal(k1, k2) {
			t.Fatal("the key changed before its age")
		}
		c.t = c.t.Add(2 * 24 * time.Hour)
		k3, _ := db.ReporterKey(ctx, 7*24*time.Hour)
		if bytes.Equal(k1, k3) {
			t.Fatal("the key did not rotate")
		}
		var n int
		db.r.QueryRowContext(context.Background(), `SELECT count(*) FROM reporter_key`).Scan(&n)
		if n != 1 {
			t.Errorf("%d keys stored; the old one must be gone", n)
		}
	})
}

func TestReviews(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		_, viettel, _ := db.CreateToken(ctx, "viettel", false, "")
		_, admin, _ := db.CreateToken(ctx, "", true, "")
		rv := Review{Carrier: "viettel", Tech: data.Tech4G, Cell: "12_40", State: ReviewReviewed, Note: "drive test booked", TokenID: viettel.ID}
		if _, err := db.SetReview(ctx, rv); err != nil {
			t.Fatal(err)
		}
		rv.State, rv.Note, rv.TokenID = ReviewResolved, "new sector on air", admin.ID
		if _, err := db.SetReview(ctx, rv); err != nil {
			t.Fatal(err)
		}
		got, err := db.Reviews(ctx, "viettel")
		if err != nil || len(got) != 1 || got[0].State != ReviewResolved || got[0].Note != "new sector on air" || got[0].TokenID != admin.ID {
			t.Fatalf("reviews %+v, %v", got, err)
		}
		other := rv
		other.Carrier, other.TokenID = "mobifone", viettel.ID
		if _, err := db.SetReview(ctx, other); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("viettel's token reviewing mobifone: %v", err)
		}
		for _, bad := range []Review{{Carrier: "viettel", Cell: "1_1", State: "done"}, {Carrier: "viettel", Cell: "1_1", State: ReviewOpen,
			Note: strings.Repeat("x", MaxReviewNote+1)}} {
			if _, err := db.SetReview(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v", bad.State, err)
			}
		}
		if v1, _ := db.ReportsVersion(ctx); v1 == "0.0." {
			t.Errorf("reports version %q ignores the reviews", v1)
		}
	})
}

func TestCalibrations(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if id, err := db.ServedCalibration(ctx); err != nil || id != 0 {
			t.Fatalf("served before any: %d, %v", id, err)
		}
		refused, err := db.AddCalibration(ctx, CalibrationRecord{Report: json.RawMessage(`{"fits":[]}`)})
		if err != nil {
			t.Fatal(err)
		}
		cal, err := db.AddCalibration(ctx, CalibrationRecord{Version: "v cal", Definition: json.RawMessage(`{"version":"v cal"}`),
			Report: json.RawMessage(`{"fits":[1]}`)})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetServedCalibration(ctx, refused.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("serving a calibration without a definition: %v", err)
		}
		if err := db.SetServedCalibration(ctx, 99); !errors.Is(err, ErrNotFound) {
			t.Errorf("serving an unknown calibration: %v", err)
		}
		if err := db.SetServedCalibration(ctx, cal.ID); err != nil {
			t.Fatal(err)
		}
		if id, _ := db.ServedCalibration(ctx); id != cal.ID {
			t.Fatalf("served %d, want %d", id, cal.ID)
		}
		back, err := db.CalibrationByID(ctx, cal.ID)
		if err != nil || string(back.Definition) != `{"version":"v cal"}` || back.Version != "v cal" {
			t.Fatalf("calibration %+v, %v", back, err)
		}
		if list, _ := db.Calibrations(ctx); len(list) != 2 || list[0].ID != cal.ID || list[0].Definition != nil {
			t.Errorf("list %+v", list)
		}
		if err := db.SetServedCalibration(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if id, _ := db.ServedCalibration(ctx); id != 0 {
			t.Errorf("served %d after choosing the uncalibrated definition", id)
		}
		if _, err := db.AddCalibration(ctx, CalibrationRecord{Report: json.RawMessage(`{`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad JSON: %v", err)
		}
	})
}
