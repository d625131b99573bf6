package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"phusong/data/persist"
	"phusong/data/testenv"
)

// The crash test: the real phusong binary serves a data directory on loopback while one
// client streams uploads (CSV, replace or upsert, two carriers); the server process is
// SIGKILLed at random moments and restarted each time. After every restart each carrier's
// served list must be exactly the last acknowledged version or, when an upload was in flight
// at the kill, that upload's version (never anything partial), and at the end every
// acknowledged (2xx) upload must be in GET /api/v1/uploads. PHUSONG_CRASH_KILLS sets the
// number of kills (default 8; e.g. PHUSONG_CRASH_KILLS=200 go test ./server -run TestCrash
// -timeout 30m for a long run).

// crashCarriers upload in turn.
var crashCarriers = []string{"viettel", "vinaphone"}

// phusongDir is the folder TestMain makes for the phusong binary (phusongBinary) and removes
// at the end.
var phusongDir string

// phusongBinary builds ./cmd/phusong into phusongDir once per test binary: TestCrashUploads,
// TestReplicas and BenchmarkReplicaPropagation run it as a child process, read only.
var phusongBinary = sync.OnceValues(func() (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("module root not found above server/: %w", err)
	}
	if phusongDir == "" {
		return "", fmt.Errorf("no folder for the phusong binary (TestMain makes it)")
	}
	bin := filepath.Join(phusongDir, "phusong")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "build", "-o", bin, "./cmd/phusong")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/phusong: %w\n%s", err, out)
	}
	return bin, nil
})

// buildPhusong returns the path of the phusong binary (phusongBinary), built by the first
// caller.
func buildPhusong(t testing.TB) string {
	t.Helper()
	bin, err := phusongBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// syncBuffer is a bytes.Buffer for a child's stderr, safe to read while it is written.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// child is one running server process.
type child struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	stderr *syncBuffer
	done   chan error
}

// startServer runs `phusong serve` on a free loopback port over dataDir (with extra flags) and
// waits until it prints its URL (it listens from then on).
func startServer(t testing.TB, bin, dataDir string, extra ...string) *child {
	t.Helper()
	c := &child{stderr: &syncBuffer{}, done: make(chan error, 1)}
	c.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--cell-m", "250",
		"--log-level", "warn"}, extra...)...)
	c.cmd.Stderr = c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(out)
		line, _ := br.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, br)
		c.done <- c.cmd.Wait()
	}()
	select {
	case line := <-lines:
		i := strings.Index(line, "http://")
		if i < 0 {
			c.kill()
			t.Fatalf("server printed %q, no URL; stderr:\n%s", line, c.stderr.String())
		}
		c.url = strings.TrimSuffix(strings.Fields(line[i:])[0], "/")
	case <-time.After(60 * time.Second):
		c.kill()
		t.Fatalf("server did not start in 60 s; stderr:\n%s", c.stderr.String())
	}
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.done
}

// crashUpload is one upload the client sent.
type crashUpload struct {
	carrier, mode string
	gen           int
	after         []string // the carrier's ids if it is applied
}

func TestCrashUploads(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("crash test skipped with -short")
	}
	kills := testenv.Size(8, 2) // 2 in a quick make test (data/testenv)
	if v := os.Getenv("PHUSONG_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PHUSONG_CRASH_KILLS=%q: want a positive count", v)
		}
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d kills", seed, kills)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	start := time.Now()
	tmp := t.TempDir()
	bin := buildPhusong(t)
	t.Logf("built phusong in %v", time.Since(start).Round(time.Millisecond))

	dataDir := filepath.Join(tmp, "data")
	db, err := persist.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, c := range append([]string{""}, crashCarriers...) {
		if tokens[c], _, err = db.CreateToken(t.Context(), c, c == "", "crash test"); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	srv := startServer(t, bin, dataDir)
	defer func() { srv.kill() }()
	model := map[string][]string{} // acknowledged state per carrier
	for _, c := range crashCarriers {
		model[c], _ = siteIDsOf(t, srv.url, c)
	}
	var acked []int64
	gen, applied, inDoubt, committedInDoubt := 0, 0, 0, 0
	for round := range kills + 1 {
		var timer *time.Timer
		if round < kills {
			delay := time.Duration(rng.IntN(900)) * time.Millisecond
			s := srv
			timer = time.AfterFunc(delay, func() { s.cmd.Process.Kill() })
		}
		var inFlight *crashUpload
		for k := 0; ; k++ {
			if round == kills && k == 20 { // the last round has no kill: a few uploads, then stop
				break
			}
			gen++
			c := crashCarriers[gen%len(crashCarriers)]
			u := &crashUpload{carrier: c, mode: persist.ModeReplace, gen: gen}
			if rng.IntN(3) == 0 {
				u.mode = persist.ModeUpsert
			}
			ids := idsOf(genSites(c, gen, genSize(gen)))
			u.after = ids
			if u.mode == persist.ModeUpsert {
				u.after = slices.Compact(sortedIDs(append(slices.Clone(model[c]), ids...)))
			}
			body := sitesCSV(t, genSites(c, gen, genSize(gen)))
			r, err := tryCall(http.MethodPost, fmt.Sprintf("%s/api/v1/carriers/%s/sites?mode=%s", srv.url, c, u.mode),
				tokens[c], body, "Content-Type: text/csv")
			for err == nil && r.status == http.StatusTooManyRequests {
				time.Sleep(time.Second)
				r, err = tryCall(http.MethodPost, fmt.Sprintf("%s/api/v1/carriers/%s/sites?mode=%s", srv.url, c, u.mode),
					tokens[c], body, "Content-Type: text/csv")
			}
			if err != nil { // the server died under this request: it may or may not be committed
				inFlight = u
				break
			}
			if r.status != http.StatusOK {
				t.Fatalf("seed %d: upload %d (%s %s): %d %s", seed, gen, c, u.mode, r.status, r.body)
			}
			acked = append(acked, decode[uploadReply](t, r).Upload.ID)
			model[c] = u.after
			applied++
		}
		if round == kills {
			break
		}
		timer.Stop()
		<-srv.done // killed (if the kill came between two uploads, the next one failed to connect)
		srv = startServer(t, bin, dataDir)
		for _, c := range crashCarriers {
			got, _ := siteIDsOf(t, srv.url, c)
			switch {
			case slices.Equal(got, model[c]):
				if inFlight != nil && inFlight.carrier == c {
					inDoubt++
				}
			case inFlight != nil && inFlight.carrier == c && slices.Equal(got, inFlight.after):
				model[c] = got // committed before the kill, not acknowledged
				inDoubt++
				committedInDoubt++
			default:
				t.Fatalf("seed %d, after kill %d: %s serves %d sites (gens %v) — neither the acknowledged version (%d sites) nor the one in flight",
					seed, round+1, c, len(got), gensOf(got), len(model[c]))
			}
		}
	}
	// Every acknowledged upload is in the audit trail.
	listed := map[int64]bool{}
	for before := int64(0); ; {
		url := srv.url + "/api/v1/uploads?limit=1000&kind=sites"
		if before > 0 {
			url += "&before=" + strconv.FormatInt(before, 10)
		}
		page := decode[uploadsBody](t, callURL(t, http.MethodGet, url, tokens[""], nil))
		for _, u := range page.Uploads {
			listed[u.ID] = !u.DryRun
		}
		if before = page.NextBefore; before == 0 {
			break
		}
	}
	for _, id := range acked {
		if !listed[id] {
			t.Fatalf("seed %d: acknowledged upload %d is not in /api/v1/uploads", seed, id)
		}
	}
	for _, c := range crashCarriers {
		if got, _ := siteIDsOf(t, srv.url, c); !slices.Equal(got, model[c]) {
			t.Fatalf("seed %d: %s serves %d sites at the end, %d acknowledged", seed, c, len(got), len(model[c]))
		}
	}
	t.Logf("%d kills, %d acknowledged uploads all present; %d uploads in flight at a kill (%d of them committed); %v in all",
		kills, applied, inDoubt, committedInDoubt, time.Since(start).Round(time.Millisecond))
	if len(acked) == 0 {
		t.Fatal("no upload was acknowledged: the test proved nothing")
	}
}

// gensOf returns the distinct generations of ids (-1 for the demo's), for messages.
func gensOf(ids []string) []int {
	var out []int
	for _, id := range ids {
		out = append(out, generationOf(id))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
