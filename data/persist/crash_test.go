package persist

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/testenv"
)

// Crash test: a child process (this test binary, re-executed) applies uploads in a loop,
// printing "applying" before each Apply and "committed <id> <carrier> <sha256 of the list>"
// after it returns; the parent SIGKILLs it at a random moment near an Apply, reopens the
// database and checks that every reported upload is there with exactly its list and that each
// carrier's current list is exactly its newest version. At the end of each database, every
// reported commit is checked again.
// PHUSONG_CRASH_KILLS sets the number of kills (default 20; 5 in a quick make test, without
// CI=true or PHUSONG_HEAVY=1: data/testenv):
//
//	PHUSONG_CRASH_KILLS=500 go test ./data/persist/ -run TestCrashKill -v
const (
	crashKillsEnv   = "PHUSONG_CRASH_KILLS"
	crashChildEnv   = "PHUSONG_CRASH_CHILD_DIR" // set only in the child
	crashSeedEnv    = "PHUSONG_CRASH_SEED"
	crashKillsDflt  = 20
	crashKillsQuick = 5  // in a quick make test
	crashKillsPerDB = 25 // a fresh database after this many kills keeps long runs linear
	crashCarrierA   = "viettel"
	crashCarrierB   = "mobifone"
	crashMaxSkip    = 5  // the kill comes after 0–5 uploads …
	crashMaxDelayMS = 40 // … and 0–40 ms into the next one (an Apply takes a few ms, the loop ~10)
)

// listHash is the hex SHA-256 of the JSON of sites (sorted by id, as the store returns them).
func listHash(sites []data.Site) string {
	b, err := json.Marshal(sites)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestCrashChild is the child's loop; it runs only when the parent sets crashChildEnv.
func TestCrashChild(t *testing.T) {
	db, rng := crashChild(t, "TestCrashKill", 1)
	ctx := context.Background()
	sites := db.Sites()
	for {
		c := []string{crashCarrierA, crashCarrierB}[rng.IntN(2)]
		cur, err := sites.Current(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		u := Upload{Carrier: c, Mode: []string{ModeReplace, ModeUpsert, ModeDelete, ModeRollback}[rng.IntN(4)],
			DryRun: rng.IntN(10) == 0}
		var incoming []data.Site
		switch u.Mode {
		case ModeDelete:
			for _, s := range cur {
				if rng.IntN(4) == 0 {
					incoming = append(incoming, s)
				}
			}
		case ModeRollback:
			past, err := db.Uploads(ctx, UploadFilter{Kind: "sites", Carrier: c, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			var applied []Upload
			for _, p := range past {
				if !p.DryRun {
					applied = append(applied, p)
				}
			}
			if len(applied) == 0 {
				u.Mode, incoming = ModeReplace, randomSites(rng, c, 20+rng.IntN(200))
				break
			}
			target := applied[rng.IntN(len(applied))]
			if incoming, err = sites.At(ctx, target.ID); err != nil {
				t.Fatal(err)
			}
			u.RollbackTo = &target.ID
		default:
			incoming = randomSites(rng, c, 20+rng.IntN(200))
		}
		mode := u.Mode
		if mode == ModeRollback {
			mode = ModeReplace
		}
		next, _, err := SiteKind().ApplyMode(cur, incoming, mode)
		if err != nil {
			t.Fatal(err)
		}
		u.Rows = len(incoming)
		fmt.Fprintln(os.Stdout, "applying")
		got, err := sites.Apply(ctx, u, next)
		if err != nil {
			t.Fatal(err)
		}
		if !got.DryRun {
			fmt.Fprintf(os.Stdout, "committed %d %s %s\n", got.ID, c, listHash(next))
		}
	}
}

// crashChild starts a crash test's child (skipping the test unless the parent, the test named
// parent, set crashChildEnv): the database in the parent's directory, a random source seeded by
// the parent (stream tells children apart), and "ready" printed.
func crashChild(t *testing.T, parent string, stream uint64) (*DB, *rand.Rand) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the crash test's child process; run " + parent)
	}
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(os.Stdout, "ready")
	return db, rand.New(rand.NewPCG(seed, stream))
}

// walTail reports whether the WAL file at p ends in frames of a transaction that never
// committed (the kill landed while SQLite was writing it): it walks the frames of the current
// WAL generation (matching salts) and looks at the last one's commit field.
func walTail(p string) (frames int, torn bool) {
	b, err := os.ReadFile(p)
	if err != nil || len(b) < 32 {
		return 0, false
	}
	pageSize := int(binary.BigEndian.Uint32(b[8:12]))
	salt := b[16:24]
	var lastCommit uint32 = 1
	for off := 32; off+24+pageSize <= len(b); off += 24 + pageSize {
		h := b[off : off+24]
		if string(h[8:16]) != string(salt) {
			break
		}
		frames++
		lastCommit = binary.BigEndian.Uint32(h[4:8])
	}
	return frames, frames > 0 && lastCommit == 0
}

// crashRound runs one child until it is killed, delay after it announced its (skip+1)-th
// Apply, and returns the lines it printed.
func crashRound(t *testing.T, dir string, seed uint64, skip int, delay time.Duration) []string {
	t.Helper()
	return crashRoundOf(t, "TestCrashChild", dir, seed, skip, delay)
}

// crashRoundOf is crashRound with the child test named: it runs until killed, delay after its
// (skip+1)-th "applying" line.
func crashRoundOf(t *testing.T, child, dir string, seed uint64, skip int, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start: %q %v", sc.Text(), sc.Err())
	}
	var lines []string
	for sc.Scan() { // until the kill closes the pipe
		lines = append(lines, sc.Text())
		if sc.Text() != "applying" {
			continue
		}
		if skip--; skip == -1 {
			timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
			defer timer.Stop()
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended by itself (%v), not by SIGKILL; output %q", err, lines)
	}
	return lines
}

// commit is what the child reported of one upload.
type commit struct{ carrier, hash string }

// checkReported checks that every reported upload is in db with exactly its list.
func checkReported(t *testing.T, db *DB, reported map[int64]commit, when string) {
	t.Helper()
	for id, c := range reported {
		at, err := db.Sites().At(context.Background(), id)
		if err != nil {
			t.Fatalf("%s: reported upload %d: %v", when, id, err)
		}
		if h := listHash(at); h != c.hash {
			t.Fatalf("%s: upload %d (%s): list hash %s, child committed %s", when, id, c.carrier, h, c.hash)
		}
	}
}

// replayAll rebuilds the list after every applied site upload in one pass over the changes.
func replayAll(t *testing.T, db *DB) map[int64][]data.Site {
	t.Helper()
	rows, err := db.r.db.Query(`SELECT u.id, u.carrier, c.item_id, c.after FROM uploads u
		LEFT JOIN changes c ON c.upload_id = u.id WHERE u.kind = 'sites' AND NOT u.dry_run ORDER BY u.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	lists := map[string]map[string][]byte{}
	out := map[int64][]data.Site{}
	var prev int64
	var prevCarrier string
	flush := func() {
		if prev == 0 {
			return
		}
		list := []data.Site{}
		for _, body := range lists[prevCarrier] {
			var s data.Site
			if err := json.Unmarshal(body, &s); err != nil {
				t.Fatal(err)
			}
			list = append(list, s)
		}
		slices.SortFunc(list, func(a, b data.Site) int { return strings.Compare(a.SiteID, b.SiteID) })
		out[prev] = list
	}
	for rows.Next() {
		var id int64
		var carrier string
		var item sql.NullString
		var after []byte
		if err := rows.Scan(&id, &carrier, &item, &after); err != nil {
			t.Fatal(err)
		}
		if id != prev {
			flush()
			prev, prevCarrier = id, carrier
		}
		if lists[carrier] == nil {
			lists[carrier] = map[string][]byte{}
		}
		switch {
		case !item.Valid: // an upload that changed nothing
		case after == nil:
			delete(lists[carrier], item.String)
		default:
			lists[carrier][item.String] = after
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	flush()
	return out
}

// crashKills is the number of kills without PHUSONG_CRASH_KILLS: crashKillsDflt, or
// crashKillsQuick in a quick make test.
func crashKills() int { return testenv.Size(crashKillsDflt, crashKillsQuick) }

func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	kills := crashKills()
	if s := os.Getenv(crashKillsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive count", crashKillsEnv, s)
		}
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d kills", seed, kills)
	rng := rand.New(rand.NewPCG(seed, 2))
	var st crashStats
	for k := 0; k < kills; k += crashKillsPerDB {
		dir := filepath.Join(t.TempDir(), "data")
		crashDatabase(t, dir, seed+uint64(k), min(crashKillsPerDB, kills-k), rng, &st)
	}
	t.Logf("%d kills, %d reported commits checked, %d kills left a torn WAL tail (transaction cut mid-write), "+
		"%d carrier heads committed but unreported", kills, st.commits, st.torn, st.unreported)
	if st.commits == 0 {
		t.Error("the child never committed: the test checked nothing")
	}
}

// crashStats counts what the crash test saw.
type crashStats struct {
	commits    int // reported by the children, all checked
	torn       int // kills that left uncommitted frames at the end of the WAL
	unreported int // carrier heads committed after the child's last line
}

// crashDatabase runs kills rounds of child-and-kill on one database in dir, checking after
// each kill, then checks every reported commit again at the end.
func crashDatabase(t *testing.T, dir string, seed uint64, kills int, rng *rand.Rand, st *crashStats) {
	t.Helper()
	ctx := context.Background()
	reported := map[int64]commit{}
	for k := range kills {
		delay := time.Duration(rng.IntN(crashMaxDelayMS*1000)) * time.Microsecond
		lines := crashRound(t, dir, seed+uint64(k), rng.IntN(crashMaxSkip+1), delay)
		last := map[string]int64{}
		fresh := map[int64]commit{}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 4 || f[0] != "committed" {
				continue // "applying", a line cut by the kill, or test framework output
			}
			id, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("child line %q", l)
			}
			reported[id] = commit{f[2], f[3]}
			fresh[id] = reported[id]
			last[f[2]] = id
		}
		if _, cut := walTail(filepath.Join(dir, FileName+"-wal")); cut {
			st.torn++
		}
		db, err := Open(dir)
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", k, err)
		}
		var check string
		if err := db.r.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("kill %d: integrity_check %q, %v", k, check, err)
		}
		checkReported(t, db, fresh, fmt.Sprintf("kill %d", k))
		for _, c := range []string{crashCarrierA, crashCarrierB} {
			head := headVersion(t, db, c)
			if head < last[c] {
				t.Fatalf("kill %d: %s's newest version is %d, but the child reported %d", k, c, head, last[c])
			}
			if head == 0 {
				continue
			}
			if _, ok := reported[head]; !ok {
				st.unreported++
			}
			cur, _ := db.Sites().Current(ctx, c)
			at, _ := db.Sites().At(ctx, head)
			if listHash(cur) != listHash(at) {
				t.Fatalf("kill %d: %s's current list (%d sites) is not its version %d (%d sites): a partial upload",
					k, c, len(cur), head, len(at))
			}
		}
		db.Close()
	}
	// Every commit is still there after all the later kills: one replay of the stored changes
	// in upload order gives every version's list.
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	versions := replayAll(t, db)
	for id, c := range reported {
		if h := listHash(versions[id]); h != c.hash {
			t.Errorf("at the end: upload %d (%s): list hash %s, child committed %s", id, c.carrier, h, c.hash)
		}
	}
	st.commits += len(reported)
}

// headVersion returns the id of carrier's newest applied upload, 0 if none.
func headVersion(t *testing.T, db *DB, carrier string) int64 {
	t.Helper()
	ups, err := db.Uploads(context.Background(), UploadFilter{Kind: "sites", Carrier: carrier})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if !u.DryRun {
			return u.ID
		}
	}
	return 0
}
