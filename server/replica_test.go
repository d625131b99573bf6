package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"phusong/data/persist"
	"phusong/data/persist/pgtest"
	"phusong/data/testenv"
)

// pg is the PostgreSQL server of this package's tests, started by the first test that needs
// it and stopped by TestMain, as is the browser tests' Chromium (chrome).
var pg = pgtest.New()

func TestMain(m *testing.M) {
	var err error
	if phusongDir, err = os.MkdirTemp("", "phusong-server-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Main(m, pg)
	chrome.stop()
	os.RemoveAll(phusongDir)
	os.Exit(code)
}

// replicaDeadline is how long a test waits for one replica to serve another's upload: far
// beyond the 1 s polling period, so that a loaded machine does not fail it; the delay itself is
// measured by BenchmarkReplicaPropagation.
const replicaDeadline = 60 * time.Second

// waitServes polls base until carrier's served ids are want (or, when alt is not nil, alt),
// failing t after replicaDeadline; it returns the ids served.
func waitServes(t *testing.T, base, carrier string, want, alt []string) []string {
	t.Helper()
	deadline := time.Now().Add(replicaDeadline)
	for {
		got, _ := siteIDsOf(t, base, carrier)
		if slices.Equal(got, want) || alt != nil && slices.Equal(got, alt) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still serves %d sites of %s (gens %v) after %v; want %d (gens %v)", base, len(got), carrier,
				gensOf(got), replicaDeadline, len(want), gensOf(want))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReplicas: two `phusong serve --db` processes on one PostgreSQL database, on loopback.
// An upload through either is served by the other (which notices the newer head and applies it
// incrementally); then uploads stream to replica A, which is SIGKILLed at a random moment: every
// acknowledged upload is in the database and replica B serves, for each carrier, the last
// acknowledged list (or the one in flight at the kill, had it committed), and takes uploads on.
func TestReplicas(t *testing.T) {
	testenv.Heavy(t, "two phusong processes on one PostgreSQL database")
	if testing.Short() {
		t.Skip("replica test skipped with -short")
	}
	url := pg.URL(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x7e91))
	tmp := t.TempDir()
	bin := buildPhusong(t)
	db, err := persist.OpenURL(t.Context(), url, persist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tokens := map[string]string{}
	for _, c := range crashCarriers {
		if tokens[c], _, err = db.CreateToken(t.Context(), c, false, "replica test"); err != nil {
			t.Fatal(err)
		}
	}
	a := startServer(t, bin, filepath.Join(tmp, "a"), "--db", url)
	aDead := false
	defer func() {
		if !aDead {
			a.kill()
		}
	}()
	b := startServer(t, bin, filepath.Join(tmp, "b"), "--db", url)
	defer func() { b.kill() }()

	upload := func(base, c string, gen int) (reply, error) {
		return tryCall(http.MethodPost, fmt.Sprintf("%s/api/v1/carriers/%s/sites?mode=replace", base, c), tokens[c],
			sitesCSV(t, genSites(c, gen, genSize(gen))), "Content-Type: text/csv")
	}
	gen := 0
	// 1. each way: A → B, then B → A
	for _, p := range []struct{ from, to *child }{{a, b}, {b, a}} {
		gen++
		c := crashCarriers[gen%len(crashCarriers)]
		r, err := upload(p.from.url, c, gen)
		if err != nil || r.status != http.StatusOK {
			t.Fatalf("upload %d: %v %d %s", gen, err, r.status, r.body)
		}
		start := time.Now()
		waitServes(t, p.to.url, c, idsOf(genSites(c, gen, genSize(gen))), nil)
		t.Logf("upload %d through %s served by %s after %v", gen, p.from.url, p.to.url, time.Since(start).Round(time.Millisecond))
	}
	// 2. uploads stream to A; A is killed at a random moment
	model := map[string][]string{}
	for _, c := range crashCarriers {
		model[c], _ = siteIDsOf(t, b.url, c)
	}
	var acked []int64
	var inFlight *crashUpload
	kill := time.AfterFunc(time.Duration(300+rng.IntN(1200))*time.Millisecond, func() { a.cmd.Process.Kill() })
	defer kill.Stop()
	for {
		gen++
		c := crashCarriers[gen%len(crashCarriers)]
		u := &crashUpload{carrier: c, mode: persist.ModeReplace, gen: gen, after: idsOf(genSites(c, gen, genSize(gen)))}
		r, err := upload(a.url, c, gen)
		if err != nil {
			inFlight = u
			break
		}
		if r.status != http.StatusOK {
			t.Fatalf("seed %d: upload %d: %d %s", seed, gen, r.status, r.body)
		}
		acked = append(acked, decode[uploadReply](t, r).Upload.ID)
		model[c] = u.after
	}
	<-a.done
	aDead = true
	if len(acked) == 0 {
		t.Logf("seed %d: A was killed before its first acknowledgement; the test checks the in-flight upload only", seed)
	}
	for _, c := range crashCarriers {
		var alt []string
		if inFlight != nil && inFlight.carrier == c {
			alt = inFlight.after
		}
		if got := waitServes(t, b.url, c, model[c], alt); alt != nil && slices.Equal(got, alt) {
			model[c] = got // committed before the kill, never acknowledged
		}
	}
	stored := map[int64]bool{}
	ups, err := db.Uploads(t.Context(), persist.UploadFilter{Kind: "sites"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		stored[u.ID] = !u.DryRun
	}
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("seed %d: acknowledged upload %d is not in the database", seed, id)
		}
	}
	// 3. B takes uploads on after A is gone
	gen++
	c := crashCarriers[gen%len(crashCarriers)]
	if r, err := upload(b.url, c, gen); err != nil || r.status != http.StatusOK {
		t.Fatalf("upload to B after A died: %v %d %s", err, r.status, r.body)
	}
	if got, _ := siteIDsOf(t, b.url, c); !slices.Equal(got, idsOf(genSites(c, gen, genSize(gen)))) {
		t.Errorf("B serves %d sites of %s after its own upload", len(got), c)
	}
	t.Logf("%d uploads acknowledged by A before the kill, all stored and served by B; in flight: %v",
		len(acked), inFlight != nil)
}

// BenchmarkReplicaPropagation measures, per op, the time from an upload's acknowledgement by
// one phusong process to the other process on the same PostgreSQL database serving it (both
// `serve --db --follow 1s`; PHUSONG_FOLLOW sets another period), alternating the direction;
// run it with -benchtime=20x. It reports the median and the largest delay too.
func BenchmarkReplicaPropagation(b *testing.B) {
	url := pg.URL(b)
	tmp := b.TempDir()
	bin := buildPhusong(b)
	db, err := persist.OpenURL(context.Background(), url, persist.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := crashCarriers[0]
	tok, _, err := db.CreateToken(context.Background(), c, false, "benchmark")
	if err != nil {
		b.Fatal(err)
	}
	follow := "1s"
	if v := os.Getenv("PHUSONG_FOLLOW"); v != "" {
		follow = v
	}
	x := startServer(b, bin, filepath.Join(tmp, "x"), "--db", url, "--follow", follow)
	defer x.kill()
	y := startServer(b, bin, filepath.Join(tmp, "y"), "--db", url, "--follow", follow)
	defer y.kill()
	var delays []time.Duration
	b.ResetTimer()
	for i := range b.N {
		from, to := x, y
		if i%2 == 1 {
			from, to = y, x
		}
		gen := i + 1
		r, err := tryCall(http.MethodPost, fmt.Sprintf("%s/api/v1/carriers/%s/sites?mode=replace", from.url, c), tok,
			sitesCSV(b, genSites(c, gen, genSize(gen))), "Content-Type: text/csv")
		if err != nil || r.status != http.StatusOK {
			b.Fatalf("upload %d: %v %d %s", gen, err, r.status, r.body)
		}
		acked := time.Now()
		want := idsOf(genSites(c, gen, genSize(gen)))
		for {
			got, _ := siteIDsOf(b, to.url, c)
			if slices.Equal(got, want) {
				break
			}
			if time.Since(acked) > replicaDeadline {
				b.Fatalf("upload %d not served by the other replica after %v", gen, replicaDeadline)
			}
			time.Sleep(10 * time.Millisecond)
		}
		delays = append(delays, time.Since(acked))
	}
	b.StopTimer()
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "median-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Milliseconds()), "max-ms")
}
