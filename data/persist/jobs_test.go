package persist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testKeys are n region keys of one fingerprint.
func testKeys(fp string, n int) []RegionKey {
	keys := make([]RegionKey, n)
	for ri := range keys {
		keys[ri] = RegionKey{Fingerprint: fp, Region: ri, Inputs: fmt.Sprintf("%064x", ri*7919+1)}
	}
	return keys
}

// testResult is a made-up result of k with two layer pieces.
func testResult(k RegionKey, worker string) RegionResult {
	return RegionResult{RegionKey: k, DataVersion: "viettel=3", Worker: worker, Summary: []byte(fmt.Sprintf("summary %d", k.Region)),
		Layers: []LayerPiece{{"any", "4G", 0, []byte{byte(k.Region), 1, 2}}, {"viettel", "4G", 0, []byte{byte(k.Region), 3}}}}
}

// TestRegionResults: results are stored and read back by key (a missing region reads as nil, a
// missing layer piece as ErrNotFound), storing one twice keeps the first, the per-commune
// statistics of a version round-trip, and DataVersion names heads canonically.
func TestRegionResults(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		keys := testKeys("fp1", 3)
		for _, k := range keys[:2] {
			if err := db.PutRegionResult(ctx, testResult(k, "w1")); err != nil {
				t.Fatal(err)
			}
		}
		again := testResult(keys[0], "w2")
		again.Summary = []byte("another")
		if err := db.PutRegionResult(ctx, again); err != nil {
			t.Fatalf("storing a result twice: %v", err)
		}
		inputs := []string{keys[0].Inputs, keys[1].Inputs, keys[2].Inputs}
		sums, err := db.RegionSummaries(ctx, "fp1", inputs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sums[0], []byte("summary 0")) || !bytes.Equal(sums[1], []byte("summary 1")) || sums[2] != nil {
			t.Errorf("summaries %q, want summary 0, summary 1 and none", sums)
		}
		if other, _ := db.RegionSummaries(ctx, "fp2", inputs); other[0] != nil {
			t.Errorf("another fingerprint reads %q", other[0])
		}
		inputs[1] = keys[2].Inputs
		if moved, _ := db.RegionSummaries(ctx, "fp1", inputs); moved[1] != nil {
			t.Errorf("region 1 with other inputs reads %q", moved[1])
		}
		got, err := db.RegionLayer(ctx, "viettel", "4G", 0, keys[:2])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, [][]byte{{0, 3}, {1, 3}}) {
			t.Errorf("layer pieces %v", got)
		}
		if _, err := db.RegionLayer(ctx, "viettel", "4G", 0, keys); !errors.Is(err, ErrNotFound) {
			t.Errorf("a region without its piece: %v, want ErrNotFound", err)
		}
		if err := db.PutRegionResult(ctx, RegionResult{RegionKey: RegionKey{Fingerprint: "fp1", Region: 0}, Summary: []byte{1}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a key without inputs: %v, want ErrInvalid", err)
		}

		rows := []CommuneResult{{"4G", "", json.RawMessage(`{"covered":1}`)}, {"4G", "84001", json.RawMessage(`{"covered":0.5}`)}}
		if err := db.PutCommuneResults(ctx, "fp1", "viettel=3", rows); err != nil {
			t.Fatal(err)
		}
		if err := db.PutCommuneResults(ctx, "fp1", "viettel=3", rows[1:]); err != nil {
			t.Fatal(err)
		}
		if has, err := db.HasCommuneResults(ctx, "fp1", "viettel=3"); !has || err != nil {
			t.Errorf("HasCommuneResults = %v, %v after storing them", has, err)
		}
		if has, err := db.HasCommuneResults(ctx, "fp1", "viettel=4"); has || err != nil {
			t.Errorf("HasCommuneResults of another version = %v, %v", has, err)
		}
		back, err := db.CommuneResults(ctx, "fp1", "viettel=3")
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != 1 || back[0].Code != "84001" || string(back[0].Stats) != `{"covered":0.5}` {
			t.Errorf("commune results %+v, want the second write's only", back)
		}
		if err := db.PutCommuneResults(ctx, "fp1", "v", []CommuneResult{{"4G", "x", json.RawMessage(`{`)}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("statistics that are not JSON: %v, want ErrInvalid", err)
		}
	})
	v := DataVersion(map[string]int64{"vinaphone": 12, "mobifone": 3})
	if v != "mobifone=3,vinaphone=12" {
		t.Errorf("DataVersion = %q", v)
	}
	heads, err := ParseDataVersion(v)
	if err != nil || !reflect.DeepEqual(heads, map[string]int64{"vinaphone": 12, "mobifone": 3}) {
		t.Errorf("ParseDataVersion(%q) = %v, %v", v, heads, err)
	}
	for _, bad := range []string{"viettel", "viettel=x", "=3", "viettel=0"} {
		if _, err := ParseDataVersion(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDataVersion(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

// TestRegionJobsTwoWorkers: two workers (goroutines with their own names) on one database take
// jobs until none is left: every region is done exactly once (one attempt, one result each),
// and queueing the same version again adds nothing.
func TestRegionJobsTwoWorkers(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		keys := testKeys("fp", 40)
		if n, err := db.EnqueueRegionJobs(ctx, "viettel=3", keys); err != nil || n != len(keys) {
			t.Fatalf("enqueued %d, %v", n, err)
		}
		var mu sync.Mutex
		doneBy := map[int][]string{}
		var wg sync.WaitGroup
		for _, w := range []string{"w1", "w2"} {
			wg.Go(func() {
				for {
					job, ok, err := db.ClaimRegionJob(ctx, "fp", w, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					if err := db.FinishRegionJob(ctx, job, testResult(job.RegionKey, w)); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					doneBy[job.Region] = append(doneBy[job.Region], w)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		by := map[string]int{}
		for _, k := range keys {
			if len(doneBy[k.Region]) != 1 {
				t.Errorf("region %d done by %v, want exactly one worker", k.Region, doneBy[k.Region])
				continue
			}
			by[doneBy[k.Region][0]]++
		}
		t.Logf("regions per worker: %v", by)
		jobs, err := db.RegionJobs(ctx, "fp", "viettel=3")
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.State != JobDone || j.Attempts != 1 {
				t.Errorf("job %d: %s after %d attempts, want done after 1", j.Region, j.State, j.Attempts)
			}
		}
		inputs := make([]string, len(keys))
		for ri, k := range keys {
			inputs[ri] = k.Inputs
		}
		sums, err := db.RegionSummaries(ctx, "fp", inputs)
		if err != nil {
			t.Fatal(err)
		}
		for ri, s := range sums {
			if !bytes.Equal(s, testResult(keys[ri], "").Summary) {
				t.Errorf("region %d: summary %q", ri, s)
			}
		}
		if n, err := db.EnqueueRegionJobs(ctx, "viettel=3", keys); err != nil || n != 0 {
			t.Errorf("queueing again added %d (%v), want 0", n, err)
		}
		if _, ok, _ := db.ClaimRegionJob(ctx, "fp", "w3", time.Minute); ok {
			t.Errorf("a job was claimed after all were done")
		}
	})
}

// TestRegionJobLease: a job whose worker stops renewing is taken by another once its lease has
// run out (never before); the first worker can then neither renew nor finish it (ErrJobLost,
// nothing stored), and the second finishes it.
func TestRegionJobLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		var clock atomic.Int64
		t0 := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
		db.now = func() time.Time { return t0.Add(time.Duration(clock.Load())) }
		keys := testKeys("fp", 1)
		if _, err := db.EnqueueRegionJobs(ctx, "v=1", keys); err != nil {
			t.Fatal(err)
		}
		a, ok, err := db.ClaimRegionJob(ctx, "fp", "a", 30*time.Second)
		if err != nil || !ok {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		clock.Store(int64(20 * time.Second))
		if a, err = db.RenewRegionJob(ctx, a, 30*time.Second); err != nil { // lease to 50 s
			t.Fatal(err)
		}
		clock.Store(int64(45 * time.Second))
		if _, ok, _ := db.ClaimRegionJob(ctx, "fp", "b", 30*time.Second); ok {
			t.Fatalf("a job with a live lease was taken")
		}
		clock.Store(int64(51 * time.Second))
		b, ok, err := db.ClaimRegionJob(ctx, "fp", "b", 30*time.Second)
		if err != nil || !ok || b.Region != a.Region || b.Attempts != 2 {
			t.Fatalf("claim after the lease: %+v %v %v, want region %d at its second attempt", b, ok, err, a.Region)
		}
		if _, err := db.RenewRegionJob(ctx, a, 30*time.Second); !errors.Is(err, ErrJobLost) {
			t.Errorf("renewing a retaken job: %v, want ErrJobLost", err)
		}
		if err := db.FinishRegionJob(ctx, a, testResult(a.RegionKey, "a")); !errors.Is(err, ErrJobLost) {
			t.Errorf("finishing a retaken job: %v, want ErrJobLost", err)
		}
		if sums, _ := db.RegionSummaries(ctx, "fp", []string{keys[0].Inputs}); sums[0] != nil {
			t.Errorf("the lost worker's result was stored")
		}
		if err := db.FinishRegionJob(ctx, b, testResult(b.RegionKey, "b")); err != nil {
			t.Fatal(err)
		}
		jobs, _ := db.RegionJobs(ctx, "fp", "v=1")
		if len(jobs) != 1 || jobs[0].State != JobDone || jobs[0].Worker != "b" {
			t.Errorf("jobs %+v, want one done by b", jobs)
		}
	})
}

// TestPostgresMaxBytes: on PostgreSQL, Options.MaxBytes caps the database's size softly: writes
// work under it; once a write has taken the database past it, the next write (a list, a region
// result) fails with ErrDiskFull and stores nothing, while reads go on.
func TestPostgresMaxBytes(t *testing.T) {
	url := pg.URL(t)
	ctx := context.Background()
	probe, err := OpenURL(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	if err := probe.r.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	probe.Close()
	db, err := OpenURL(ctx, url, Options{MaxBytes: size + 256<<10})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, tok, err := db.CreateToken(ctx, "viettel", false, "")
	if err != nil {
		t.Fatalf("a write under the cap: %v", err)
	}
	big := make([]byte, 4<<20) // random: PostgreSQL compresses large values
	rand.NewChaCha8([32]byte{17}).Read(big)
	for i := range 64 {
		r := testResult(RegionKey{Fingerprint: "fp", Region: i, Inputs: "x"}, "w")
		r.Layers[0].Polygons = big[i*(64<<10) : (i+1)*(64<<10)]
		err = db.PutRegionResult(ctx, r)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("writing 4 MB past a cap 256 KB above the size: %v, want ErrDiskFull", err)
	}
	if _, err := db.Sites().Apply(ctx, Upload{Carrier: "viettel", TokenID: tok.ID, Mode: ModeReplace}, nil); !errors.Is(err, ErrDiskFull) {
		t.Errorf("an upload past the cap: %v, want ErrDiskFull", err)
	}
	if ups, err := db.Uploads(ctx, UploadFilter{}); err != nil || len(ups) != 0 {
		t.Errorf("after the refused upload: %d uploads, %v", len(ups), err)
	}
	if _, err := db.RegionLayer(ctx, "any", "4G", 0, []RegionKey{{Fingerprint: "fp", Region: 0, Inputs: "x"}}); err != nil {
		t.Errorf("a read past the cap: %v", err)
	}
}

// TestRegionJobOtherInputs: a region's job is keyed by its inputs too. A done job of the region
// with other inputs (same data version) does not stop this one from being queued and taken — under
// the old key it did, and a start waited for ever for a result nobody computed — and a done job
// whose result is missing is queued again, while one whose result is stored is not.
func TestRegionJobOtherInputs(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		old := testKeys("fp", 1)[0]
		cur := old
		cur.Inputs = fmt.Sprintf("%064x", 42)
		finish := func(k RegionKey, result bool) {
			t.Helper()
			if n, err := db.EnqueueRegionJobs(ctx, "v=1", []RegionKey{k}); err != nil || n != 1 {
				t.Fatalf("enqueue %s: %d, %v, want 1 added", k.Inputs[56:], n, err)
			}
			job, ok, err := db.ClaimRegionJob(ctx, "fp", "w", time.Minute)
			if err != nil || !ok || job.RegionKey != k {
				t.Fatalf("claim: %+v %v %v, want the job of %s", job.RegionKey, ok, err, k.Inputs[56:])
			}
			r := testResult(k, "w")
			if !result { // done without a stored result: as if the result were removed since
				if _, err := db.w.ExecContext(ctx, `UPDATE region_jobs SET state = 'done' WHERE inputs = ?`, k.Inputs); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := db.FinishRegionJob(ctx, job, r); err != nil {
				t.Fatal(err)
			}
		}
		finish(old, true)
		finish(cur, false) // queued and taken although region 0 of v=1 has a done job
		if n, err := db.EnqueueRegionJobs(ctx, "v=1", []RegionKey{old, cur}); err != nil || n != 1 {
			t.Fatalf("enqueue both again: %d, %v, want 1 (the one without a result)", n, err)
		}
		job, ok, err := db.ClaimRegionJob(ctx, "fp", "w2", time.Minute)
		if err != nil || !ok || job.RegionKey != cur || job.Attempts != 2 {
			t.Fatalf("claim: %+v %v %v, want cur's job at its second attempt", job, ok, err)
		}
		if err := db.FinishRegionJob(ctx, job, testResult(cur, "w2")); err != nil {
			t.Fatal(err)
		}
		jobs, err := db.RegionJobs(ctx, "fp", "v=1")
		if err != nil || len(jobs) != 2 || jobs[0].State != JobDone || jobs[1].State != JobDone {
			t.Errorf("jobs %+v (%v), want two done", jobs, err)
		}
	})
}

// TestCommuneResultsConcurrent: two instances storing the same version's statistics at once
// (replicas that computed the same regions) both succeed, and the version reads as one copy.
// On PostgreSQL both transactions' DELETEs see no row, so two plain INSERTs collided on the
// primary key.
func TestCommuneResultsConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rows := []CommuneResult{{"4G", "", json.RawMessage(`{"covered":1}`)}, {"4G", "84001", json.RawMessage(`{"covered":0.5}`)}}
		for round := range 20 {
			version := fmt.Sprintf("viettel=%d", round+1)
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for w := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[w] = db.PutCommuneResults(ctx, "fp1", version, rows)
				}()
			}
			close(start)
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			back, err := db.CommuneResults(ctx, "fp1", version)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, rows) {
				t.Fatalf("round %d: read back %+v, want %+v", round, back, rows)
			}
		}
	})
}
