package persist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"phusong/data"
)

// sample is a synthetic measurement number i of carrier (made up for the tests), its position on
// the store's 1e-7° lattice.
func sample(carrier string, i int) data.Measurement {
	return data.Measurement{Time: time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Lon: float64(1_063_000_000+(i%1000)*1000) / 1e7, Lat: float64(99_000_000+(i/1000)*1000) / 1e7, Carrier: carrier, Tech: data.Tech4G,
		LevelDBm: -60 - float64(i%80) - 0.25, CellID: "C" + strconv.Itoa(i%7), PCI: i % 504, AccuracyM: float64(i%50) / 10}
}

// importSamples imports ms as one upload of meta.
func importSamples(t testing.TB, db *DB, meta MeasurementUpload, ms []data.Measurement) (MeasurementUpload, error) {
	t.Helper()
	return db.ImportMeasurements(context.Background(), func(add func(*data.Measurement) error) (MeasurementUpload, error) {
		for i := range ms {
			if err := add(&ms[i]); err != nil {
				return MeasurementUpload{}, err
			}
		}
		meta.Rows = len(ms)
		return meta, nil
	})
}

func readBack(t testing.TB, db *DB, f MeasurementFilter) []data.Measurement {
	t.Helper()
	var out []data.Measurement
	for m, err := range db.Measurements(context.Background(), f) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestImportMeasurements(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var ms []data.Measurement
		for i := range 1000 {
			ms = append(ms, sample("viettel", i))
		}
		ms = append(ms, ms[3], ms[7]) // duplicates within the file
		u, err := importSamples(t, db, MeasurementUpload{Carrier: "viettel", Source: "csv", FileName: "a.csv"}, ms)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.Samples != 1002 || u.Stored != 1000 || u.Duplicates != 2 || !u.From.Equal(ms[0].Time) || !u.To.Equal(ms[999].Time) {
			t.Fatalf("upload %+v", u)
		}
		got := readBack(t, db, MeasurementFilter{Carrier: "viettel"})
		if len(got) != 1000 {
			t.Fatalf("%d samples stored", len(got))
		}
		for i := range got { // (carrier, tech, time) order: the input order here
			if got[i] != ms[i] {
				t.Fatalf("sample %d read back as\n%+v, stored\n%+v", i, got[i], ms[i])
			}
		}
		// A second file overlapping the first: its overlap is duplicates; a dry run counts and keeps nothing.
		var more []data.Measurement
		for i := 900; i < 1100; i++ {
			more = append(more, sample("viettel", i))
		}
		v0, _ := db.MeasurementsVersion(ctx)
		dry, err := importSamples(t, db, MeasurementUpload{Carrier: "viettel", Source: "csv", DryRun: true}, more)
		if err != nil || dry.ID != 0 || dry.Stored != 100 || dry.Duplicates != 100 {
			t.Fatalf("dry run %+v, %v", dry, err)
		}
		if v, _ := db.MeasurementsVersion(ctx); v != v0 || len(readBack(t, db, MeasurementFilter{})) != 1000 {
			t.Fatalf("the dry run changed the store: version %s → %s", v0, v)
		}
		u2, err := importSamples(t, db, MeasurementUpload{Carrier: "viettel", Source: "geojson"}, more)
		if err != nil || u2.Stored != 100 || u2.Duplicates != 100 {
			t.Fatalf("second upload %+v, %v", u2, err)
		}
		if v, _ := db.MeasurementsVersion(ctx); v == v0 {
			t.Error("the version did not change with an import")
		}
		// A failing read rolls everything back.
		bad := errors.New("line 7: level_dbm: is not a number")
		_, err = db.ImportMeasurements(ctx, func(add func(*data.Measurement) error) (MeasurementUpload, error) {
			for i := 2000; i < 2500; i++ {
				m := sample("viettel", i)
				if err := add(&m); err != nil {
					return MeasurementUpload{}, err
				}
			}
			return MeasurementUpload{}, bad
		})
		if !errors.Is(err, bad) || len(readBack(t, db, MeasurementFilter{})) != 1100 {
			t.Fatalf("a failed import: %v, %d samples", err, len(readBack(t, db, MeasurementFilter{})))
		}
		ups, err := db.MeasurementUploads(ctx, "", 0)
		if err != nil || len(ups) != 2 || ups[0].ID != u2.ID || ups[1].FileName != "a.csv" || ups[1].Stored != 1000 {
			t.Fatalf("uploads %+v, %v", ups, err)
		}
		// Withdrawing deletes the upload's samples and only them.
		w, err := db.WithdrawMeasurements(ctx, u.ID)
		if err != nil || w.WithdrawnAt == nil {
			t.Fatalf("withdraw: %+v, %v", w, err)
		}
		if left := readBack(t, db, MeasurementFilter{}); len(left) != 100 {
			t.Fatalf("%d samples after withdrawing the first upload, want its second's 100", len(left))
		}
		if _, err := db.WithdrawMeasurements(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("withdrawing an unknown upload: %v", err)
		}
		if n := len(readBack(t, db, MeasurementFilter{Carrier: "viettel", Tech: data.Tech3G})); n != 0 {
			t.Errorf("3G filter: %d samples", n)
		}
	})
}

func TestImportMeasurementsRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		_, viettel, _ := db.CreateToken(ctx, "viettel", false, "")
		_, admin, _ := db.CreateToken(ctx, "", true, "")
		_, planner, _ := db.CreatePlannerToken(ctx, "alice", "")
		_, gone, _ := db.CreatePlannerToken(ctx, "bob", "")
		if err := db.RevokeToken(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		ms := []data.Measurement{sample("viettel", 1)}
		for _, c := range []struct {
			name string
			u    MeasurementUpload
			want error
		}{
			{"no source", MeasurementUpload{Carrier: "viettel"}, ErrInvalid},
			{"bad carrier", MeasurementUpload{Carrier: "Viettel!", Source: "csv"}, ErrInvalid},
			{"carrier token for another carrier", MeasurementUpload{Carrier: "mobifone", Source: "csv", TokenID: viettel.ID}, ErrUnauthorized},
			{"carrier token for every carrier", MeasurementUpload{Source: "csv", TokenID: viettel.ID}, ErrUnauthorized},
			{"revoked planner token for every carrier", MeasurementUpload{Source: "csv", TokenID: gone.ID}, ErrUnauthorized},
			{"revoked planner token for a carrier", MeasurementUpload{Carrier: "viettel", Source: "csv", TokenID: gone.ID}, ErrUnauthorized},
		} {
			if _, err := importSamples(t, db, c.u, ms); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if _, err := importSamples(t, db, MeasurementUpload{Source: "csv", TokenID: admin.ID}, ms); err != nil {
			t.Errorf("admin token, any carrier: %v", err)
		}
		if n := len(readBack(t, db, MeasurementFilter{})); n != 1 {
			t.Errorf("%d samples, want the admin's one", n)
		}
		// A planner token uploads any carrier's measurements (issue 14), all at once or one
		// carrier's.
		if u, err := importSamples(t, db, MeasurementUpload{Source: "csv", TokenID: planner.ID},
			[]data.Measurement{sample("viettel", 2), sample("mobifone", 3)}); err != nil || u.Stored != 2 {
			t.Errorf("planner token, any carrier: %+v, %v", u, err)
		}
		if u, err := importSamples(t, db, MeasurementUpload{Carrier: "mobifone", Source: "csv", TokenID: planner.ID},
			[]data.Measurement{sample("mobifone", 4)}); err != nil || u.Stored != 1 || u.Carrier != "mobifone" {
			t.Errorf("planner token, mobifone's: %+v, %v", u, err)
		}
		if n := len(readBack(t, db, MeasurementFilter{Carrier: "mobifone"})); n != 2 {
			t.Errorf("%d of mobifone's samples, want the planner's 2", n)
		}
	})
}

// Crash test of imports: a child imports files of random samples in a loop (printing "applying"
// before each and "committed <id> <stored>" after), killed at random; every upload in the file
// afterwards — reported or not — holds exactly the samples its record says, and every reported
// one is there. PHUSONG_CRASH_KILLS sets the kills (default 20, shared with TestCrashKill).
func TestMeasurementCrashChild(t *testing.T) {
	db, rng := crashChild(t, "TestMeasurementCrashKill", 3)
	for {
		start, n := rng.IntN(50_000), 500+rng.IntN(5000)
		ms := make([]data.Measurement, n)
		for i := range ms {
			ms[i] = sample([]string{crashCarrierA, crashCarrierB}[rng.IntN(2)], start+i)
		}
		fmt.Fprintln(os.Stdout, "applying")
		u, err := importSamples(t, db, MeasurementUpload{Carrier: "", Source: "csv"}, ms)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stdout, "committed %d %d\n", u.ID, u.Stored)
	}
}

func TestMeasurementCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	kills := crashKills()
	if s := os.Getenv(crashKillsEnv); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			kills = n
		}
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 4))
	dir := filepath.Join(t.TempDir(), "data")
	reported := map[int64]int{}
	torn := 0
	for k := range kills {
		delay := time.Duration(rng.IntN(60_000)) * time.Microsecond
		for _, l := range crashRoundOf(t, "TestMeasurementCrashChild", dir, seed+uint64(k), rng.IntN(3), delay) {
			var id int64
			var stored int
			if _, err := fmt.Sscanf(l, "committed %d %d", &id, &stored); err == nil {
				reported[id] = stored
			}
		}
		if _, cut := walTail(filepath.Join(dir, FileName+"-wal")); cut {
			torn++
		}
		db, err := Open(dir)
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", k, err)
		}
		var check string
		if err := db.r.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("kill %d: integrity_check %q, %v", k, check, err)
		}
		ups, err := db.MeasurementUploads(context.Background(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for _, u := range ups {
			have[u.ID] = true
			var n int
			if err := db.r.db.QueryRow(`SELECT count(*) FROM measurements WHERE upload_id = ?`, u.ID).Scan(&n); err != nil || n != u.Stored {
				t.Fatalf("kill %d: upload %d records %d samples, holds %d (%v): a partial import", k, u.ID, u.Stored, n, err)
			}
		}
		var orphans int
		db.r.db.QueryRow(`SELECT count(*) FROM measurements WHERE upload_id NOT IN (SELECT id FROM measurement_uploads)`).Scan(&orphans)
		if orphans > 0 {
			t.Fatalf("kill %d: %d samples of no upload", k, orphans)
		}
		for id, stored := range reported {
			if !have[id] {
				t.Fatalf("kill %d: reported upload %d (%d samples) is gone", k, id, stored)
			}
		}
		db.Close()
	}
	t.Logf("seed %d: %d kills, %d reported imports checked, %d kills left a torn WAL tail", seed, kills, len(reported), torn)
	if len(reported) == 0 {
		t.Error("the child never committed: the test checked nothing")
	}
}
