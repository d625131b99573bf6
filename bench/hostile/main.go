// Command hostile replays the adversarial run of issue 16 against two phusong binaries, side by
// side, and prints the figures the issue quotes: memory of huge gzip uploads, fairness between
// carriers, a slow uplink, anonymous cache filling and readers during uploads.
//
//	go run ./bench/hostile -before BIN -after BIN [-reps 3] [-only memory,fair,slow,cache,cacheall,cachelimit,readers]
//
// bench/hostile/run.sh builds the two binaries (a git ref and the working tree) and runs this.
// Every scenario starts a fresh `serve` on a new data directory (the embedded demo, 50 m
// cells) on 127.0.0.1, with carrier tokens made by `phusong token create`, and stops it at the
// end; the two binaries alternate, reps times, and the table gives medians (and the spread).
// Clients bind to their own loopback addresses (127.0.0.0/8), so that each one is a distinct
// client address to the server, as separate people would be. Nothing leaves the machine.
//
// Figures: RSS is the server process's resident set from /proc (peak: VmHWM), heap is its
// go_memstats_heap_alloc_bytes from /metrics (allocated, garbage not yet collected included),
// live heap the heap the runtime marked live at a GC (GODEBUG=gctrace=1, on stderr); times are
// wall clock on the client.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

// scenario is one attack: it gets a running server and returns its figures.
type scenario struct {
	name  string
	about string
	run   func(ctx context.Context, s *server) ([]figure, error)
	// flags are extra serve flags, given only to a binary whose `serve -h` lists them.
	flags []string
}

// gcTrace matches the heap figures of a GODEBUG=gctrace=1 line: heap at the start of the GC,
// at its end, and marked live (MB).
var gcTrace = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB`)

// figure is one measured number.
type figure struct {
	name  string
	unit  string
	value float64
}

var scenarios = []scenario{
	{"memory", "one, then three parallel 10⁶-row gzip CSV uploads (one carrier token each)", memoryScenario, nil},
	{"fair", "viettel holds slow upload bodies; vinaphone's dry runs, retrying on 503 per Retry-After", fairScenario, nil},
	{"slow", "a valid 1.3 MB station list at 40 KB/s (weak 3G uplink), dry run", slowScenario, nil},
	{"cache", "one anonymous address asks distinct coverage/gaps/export URLs for 51 s", cacheScenario, nil},
	// The same URLs, every one of them, without the per-address limit: the memory the caches
	// keep once every answer has been asked.
	{"cacheall", "every distinct coverage/gaps/export URL once, per-address limit lifted", cacheAllScenario, []string{"--anon-rate-per-minute", "-1"}},
	// The same attack under a set soft memory limit (serve's default on the demo: ~370–390 MB
	// at d8af810, 314 MB since): what the allocated heap does when the collector is asked to
	// stay under 320 MB.
	{"cachelimit", "as cache, with --memory-limit 320000000 (320 MB) on both sides", cacheScenario, []string{"--memory-limit", "320000000"}},
	// The readers are 32 people, each at its own address, asking without pause: the
	// anonymous per-address limit (sized for people) is lifted so that no answer is a 429.
	{"readers", "32 readers for 20 s alone, then 30 s with 4 carriers uploading", readersScenario, []string{"--anon-rate-per-minute", "-1"}},
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hostile", flag.ContinueOnError)
	before := fs.String("before", "", "phusong binary before the change")
	after := fs.String("after", "", "phusong binary after the change")
	reps := fs.Int("reps", 3, "repetitions of each scenario per binary (alternated)")
	only := fs.String("only", "", "comma-separated scenarios (default all): memory, fair, slow, cache, cacheall, cachelimit, readers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *before == "" {
		return errors.New("give -before and -after binaries (bench/hostile/run.sh builds them)")
	}
	bins := []string{*before, *after}
	if *after == "" { // one binary only: a smoke run of the scenarios
		bins = bins[:1]
	}
	fmt.Fprintf(stdout, "hostile: %d core(s), %d repetition(s), binaries alternated\n  before %s\n  after  %s\n",
		runtime.NumCPU(), *reps, *before, *after)
	ctx := context.Background()
	for _, sc := range scenarios {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), sc.name) {
			continue
		}
		fmt.Fprintf(stdout, "\n== %s: %s\n", sc.name, sc.about)
		got := make([][][]figure, len(bins))
		for r := range *reps {
			for i, bin := range bins {
				figs, err := runScenario(ctx, bin, sc)
				if err != nil {
					return fmt.Errorf("%s (%s, rep %d): %w", sc.name, bin, r+1, err)
				}
				got[i] = append(got[i], figs)
				fmt.Fprintf(stdout, "  rep %d %-6s %s\n", r+1, []string{"before", "after"}[i], oneLine(figs))
			}
		}
		printTable(stdout, got)
	}
	return nil
}

// runScenario starts bin, runs sc and stops the server.
func runScenario(ctx context.Context, bin string, sc scenario) ([]figure, error) {
	s, err := startServer(bin, sc.flags)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	figs, err := sc.run(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("%w\nserver stderr (tail):\n%s", err, tail(s.stderr.String(), 1500))
	}
	return figs, nil
}

func oneLine(figs []figure) string {
	var b strings.Builder
	for _, f := range figs {
		fmt.Fprintf(&b, "%s=%s%s  ", f.name, num(f.value), f.unit)
	}
	return b.String()
}

// printTable prints each figure's median per binary, with min–max.
func printTable(w io.Writer, got [][][]figure) {
	if len(got) < 2 || len(got[0]) == 0 {
		return
	}
	fmt.Fprintf(w, "  %-34s %24s %24s\n", "median (min–max)", "before", "after")
	for k, f := range got[0][0] {
		cell := func(side int) string {
			var vs []float64
			for _, figs := range got[side] {
				if k < len(figs) {
					vs = append(vs, figs[k].value)
				}
			}
			slices.Sort(vs)
			return fmt.Sprintf("%s (%s–%s)", num(vs[len(vs)/2]), num(vs[0]), num(vs[len(vs)-1]))
		}
		fmt.Fprintf(w, "  %-34s %24s %24s\n", f.name+" ["+f.unit+"]", cell(0), cell(1))
	}
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// ---- the server under test ----

// carriers get a token each before the server starts.
var carriers = []string{"viettel", "vinaphone", "mobifone", "vietnamobile"}

// server is one `phusong serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string
	dir    string
	tokens map[string]string
	stderr *lockedBuffer
	done   chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer makes a data directory with one token per carrier and serves it with bin.
func startServer(bin string, extra []string) (*server, error) {
	dir, err := os.MkdirTemp("", "phusong-hostile-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, tokens: map[string]string{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	for _, c := range carriers {
		out, err := exec.Command(bin, "token", "create", "--carrier", c, "--data-dir", dir).Output()
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("token create %s: %w", c, err)
		}
		s.tokens[c] = strings.TrimSpace(string(out))
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "warn"}
	if len(extra) > 0 && supports(bin, extra[0]) {
		args = append(args, extra...)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stderr = s.stderr
	s.cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1") // the runtime's own live-heap figures (liveMB)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(out)
		line, _ := br.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, br)
		s.cmd.Wait()
		close(s.done)
	}()
	select {
	case line := <-lines:
		i := strings.Index(line, "http://")
		if i < 0 {
			s.stop()
			return nil, fmt.Errorf("serve printed %q; stderr:\n%s", line, s.stderr.String())
		}
		s.url = strings.TrimSuffix(strings.Fields(line[i:])[0], "/")
	case <-time.After(3 * time.Minute):
		s.stop()
		return nil, errors.New("serve did not start in 3 minutes")
	}
	// Warm-up as a first visitor would (the server warms the first load in the background).
	c := clientFrom("127.0.0.254", 0)
	for _, p := range []string{"/api/v1/communes", "/api/v1/coverage?tech=4G&carrier=any&zoom=9", "/api/v1/sites"} {
		if _, _, err := get(context.Background(), c, s.url+p); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

// supports reports whether bin's `serve -h` lists flag.
func supports(bin, flag string) bool {
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	return bytes.Contains(out, []byte(strings.TrimLeft(flag, "-")+" "))
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// rssMB returns the server's current and peak resident set, MB.
func (s *server) rssMB() (cur, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return math.NaN(), math.NaN()
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}

// liveMB returns the largest live heap the runtime marked (GODEBUG=gctrace=1) in the GCs
// logged after offset bytes of stderr, and the last one, MB.
func (s *server) liveMB(offset int) (maxMB, lastMB float64) {
	text := s.stderr.String()
	maxMB, lastMB = math.NaN(), math.NaN()
	for _, m := range gcTrace.FindAllStringSubmatch(text[min(offset, len(text)):], -1) {
		v, _ := strconv.ParseFloat(m[3], 64)
		if math.IsNaN(maxMB) || v > maxMB {
			maxMB = v
		}
		lastMB = v
	}
	return maxMB, lastMB
}

// heapMB reads go_memstats_heap_alloc_bytes from /metrics, in MB.
func (s *server) heapMB(ctx context.Context) float64 {
	return s.metric(ctx, "go_memstats_heap_alloc_bytes") / (1 << 20)
}

// metric reads one unlabelled series from /metrics.
func (s *server) metric(ctx context.Context, name string) float64 {
	_, b, err := get(ctx, clientFrom("127.0.0.253", 0), s.url+"/metrics")
	if err != nil {
		return math.NaN()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return math.NaN()
}

// clientFrom is an HTTP client whose connections leave from ip (a 127.x.y.z address).
func clientFrom(ip string, timeout time.Duration) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext: d.DialContext, DisableCompression: true, MaxIdleConnsPerHost: 16,
	}}
}

func get(ctx context.Context, c *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" && err == nil {
		zr, zerr := gzip.NewReader(bytes.NewReader(b))
		if zerr == nil {
			b, err = io.ReadAll(zr)
		}
	}
	return resp.StatusCode, b, err
}

// post sends body (with the given length, or chunked when length < 0) and returns the status,
// the Retry-After seconds, the reply and the time taken.
func (s *server) post(ctx context.Context, c *http.Client, path, carrier, ctype, enc string, body io.Reader, length int64) (status, retry int, reply []byte, took time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+path, body)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+s.tokens[carrier])
	req.Header.Set("Content-Type", ctype)
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, nil, time.Since(start), err
	}
	defer resp.Body.Close()
	reply, err = io.ReadAll(resp.Body)
	retry, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
	return resp.StatusCode, retry, reply, time.Since(start), err
}

// ---- station lists ----

// gridCSV writes n sites of 3 sectors each (one row per sector, all columns given) on a grid of
// cols columns stepM metres apart from (106.05, 9.65), inside Trà Vinh. rows sets the number of
// rows (sectors) to write: the last site may be cut short.
func gridCSV(rows, cols int, stepM float64, prefix string) []byte {
	var b bytes.Buffer
	b.WriteString("site_id,lon,lat,height_m,status,tech,band_mhz,azimuth_deg,beamwidth_deg,tilt_deg,power_dbm,bandwidth_mhz,gain_dbi,feeder_loss_db\n")
	stepLon, stepLat := stepM/109_600, stepM/110_600
	for r := range rows {
		i := r / 3
		lon, lat := 106.05+stepLon*float64(i%cols), 9.65+stepLat*float64(i/cols)
		fmt.Fprintf(&b, "%s%07d,%.6f,%.6f,30,active,4G,1800,%d,65,4,43,10,17,1\n", prefix, i, lon, lat, 120*(r%3))
	}
	return b.Bytes()
}

func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// ---- scenarios ----

// memoryScenario: 10⁶ rows (333,334 sites 40 m apart: all valid), gzip. One upload, then
// three at once from three carriers; the server's RSS is sampled every 50 ms.
func memoryScenario(ctx context.Context, s *server) ([]figure, error) {
	raw := gridCSV(1_000_000, 800, 40, "M")
	gz := gzipBytes(raw)
	base, _ := s.rssMB()
	upload := func(carrier string) (int, time.Duration) {
		c := clientFrom("127.0.0.2", 3*time.Minute)
		st, _, _, took, err := s.post(ctx, c, "/api/v1/carriers/"+carrier+"/sites?mode=replace", carrier, "text/csv", "gzip",
			bytes.NewReader(gz), int64(len(gz)))
		if err != nil {
			st = 0 // connection reset or empty reply
		}
		return st, took
	}
	st1, took1 := upload("viettel")
	_, peak1 := s.rssMB()
	var wg sync.WaitGroup
	sts := make([]int, 3)
	tooks := make([]time.Duration, 3)
	for i, c := range []string{"vinaphone", "mobifone", "vietnamobile"} {
		wg.Go(func() { sts[i], tooks[i] = upload(c) })
	}
	wg.Wait()
	_, peak3 := s.rssMB()
	slices.Sort(tooks)
	ok := 0
	for _, st := range sts {
		if st >= 400 && st < 500 {
			ok++
		}
	}
	return []figure{
		{"decompressed body", " MB", float64(len(raw)) / 1e6},
		{"gzip body", " MB", float64(len(gz)) / 1e6},
		{"RSS idle", " MB", base},
		{"one upload: status (0 = no reply)", "", float64(st1)},
		{"one upload: reply after", " s", took1.Seconds()},
		{"one upload: peak RSS", " MB", peak1},
		{"three parallel: refused with 4xx", "", float64(ok)},
		{"three parallel: last reply after", " s", tooks[2].Seconds()},
		{"three parallel: peak RSS", " MB", peak3},
	}, nil
}

// slowBody sends a header then one byte a second, forever: a client holding an upload open.
type slowBody struct {
	ctx  context.Context
	head []byte
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	select {
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	case <-time.After(time.Second):
	}
	p[0] = '\n'
	return 1, nil
}

// fairScenario: viettel keeps 8 slow upload bodies open (each reopened as soon as the server
// drops it) while vinaphone, every 6 s, sends a one-site delete as a dry run and retries on
// 503 after Retry-After; the figure is how long vinaphone waits for its 200.
func fairScenario(ctx context.Context, s *server) ([]figure, error) {
	ids, err := siteIDs(ctx, s, "vinaphone", 1)
	if err != nil {
		return nil, err
	}
	del := []byte("site_id\n" + ids[0] + "\n")

	actx, stopAttack := context.WithCancel(ctx)
	defer stopAttack()
	var attackWG sync.WaitGroup
	var attackerAnswers atomic.Int64
	for i := range 8 {
		attackWG.Go(func() {
			c := clientFrom(fmt.Sprintf("127.0.1.%d", i+1), 0)
			for actx.Err() == nil {
				body := &slowBody{ctx: actx, head: []byte("site_id,lon,lat,tech\n")}
				s.post(actx, c, "/api/v1/carriers/viettel/sites?mode=replace", "viettel", "text/csv", "", body, 1<<20)
				attackerAnswers.Add(1)
				select {
				case <-actx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	time.Sleep(3 * time.Second) // the attack takes its slots
	var waits []float64
	var refusals int
	c := clientFrom("127.0.0.6", time.Minute)
	for range 4 {
		start := time.Now()
		for {
			st, retry, reply, _, err := s.post(ctx, c, "/api/v1/carriers/vinaphone/sites?mode=delete&dry_run=true", "vinaphone",
				"text/csv", "", bytes.NewReader(del), int64(len(del)))
			if err == nil && st == http.StatusOK {
				break
			}
			if err != nil || st != http.StatusServiceUnavailable {
				return nil, fmt.Errorf("vinaphone's upload: %d %v %s", st, err, tail(string(reply), 300))
			}
			refusals++
			if time.Since(start) > 90*time.Second {
				break
			}
			time.Sleep(time.Duration(max(retry, 1)) * time.Second)
		}
		waits = append(waits, time.Since(start).Seconds())
		time.Sleep(6 * time.Second)
	}
	stopAttack()
	attackWG.Wait()
	slices.Sort(waits)
	return []figure{
		{"vinaphone wait for 200, median", " s", waits[len(waits)/2]},
		{"vinaphone wait for 200, worst", " s", waits[len(waits)-1]},
		{"vinaphone 503s (4 uploads)", "", float64(refusals)},
		{"viettel slow bodies answered", "", float64(attackerAnswers.Load())},
	}, nil
}

// throttled reads src at bytesPerS, in 100 ms steps.
type throttled struct {
	src       *bytes.Reader
	bytesPerS int
	next      time.Time
}

func (t *throttled) Read(p []byte) (int, error) {
	if t.next.IsZero() {
		t.next = time.Now()
	}
	time.Sleep(time.Until(t.next))
	t.next = t.next.Add(100 * time.Millisecond)
	return t.src.Read(p[:min(len(p), t.bytesPerS/10)])
}

// slowScenario: 1.3 MB of valid CSV (6,434 sites 300 m apart) at 40 KB/s as a dry run.
func slowScenario(ctx context.Context, s *server) ([]figure, error) {
	csv := gridCSV(19_300, 75, 300, "SL")
	body := &throttled{src: bytes.NewReader(csv), bytesPerS: 40_000}
	st, _, reply, took, err := s.post(ctx, clientFrom("127.0.0.7", 5*time.Minute),
		"/api/v1/carriers/vietnamobile/sites?mode=replace&dry_run=true", "vietnamobile", "text/csv", "", body, int64(len(csv)))
	if err != nil {
		st = 0
	} else if st != http.StatusOK {
		fmt.Fprintf(os.Stderr, "  slow upload: %d %s\n", st, tail(string(reply), 300))
	}
	return []figure{
		{"body", " MB", float64(len(csv)) / 1e6},
		{"status (0 = connection reset)", "", float64(st)},
		{"answer after", " s", took.Seconds()},
	}, nil
}

// communeCodes reads the commune codes from the report CSV (rows of level "commune").
func communeCodes(ctx context.Context, s *server) ([]string, error) {
	_, b, err := get(ctx, clientFrom("127.0.0.11", time.Minute), s.url+"/api/v1/report.csv?tech=4G")
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("report.csv: %v", err)
	}
	col := slices.Index(rows[0], "code")
	var codes []string
	for _, r := range rows[1:] {
		if col >= 0 && r[0] == "commune" {
			codes = append(codes, r[col])
		}
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("report.csv: no commune code (header %v)", rows[0])
	}
	return codes, nil
}

// cacheURLs lists distinct valid map and export URLs.
func cacheURLs(ctx context.Context, s *server) ([]string, error) {
	c := clientFrom("127.0.0.8", time.Minute)
	_, b, err := get(ctx, c, s.url+"/api/v1/carriers")
	if err != nil {
		return nil, err
	}
	var cs struct {
		Carriers []struct {
			ID string `json:"id"`
		} `json:"carriers"`
	}
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, err
	}
	codes, err := communeCodes(ctx, s)
	if err != nil {
		return nil, err
	}
	ids := []string{"any"}
	for _, cr := range cs.Carriers {
		ids = append(ids, cr.ID)
	}
	formats := []string{"", "&format=kml", "&format=csv", "&format=csv&geometry=ewkb"}
	var urls []string
	for _, id := range ids {
		for _, t := range []string{"3G", "4G"} {
			for tier := range 5 {
				for z := 7; z <= 15; z++ {
					for _, f := range formats {
						urls = append(urls, fmt.Sprintf("/api/v1/coverage?carrier=%s&tech=%s&tier=%d&zoom=%d%s", id, t, tier, z, f))
					}
				}
			}
		}
	}
	for _, code := range append(codes, "") {
		for _, t := range []string{"3G", "4G"} {
			for _, f := range formats {
				urls = append(urls, fmt.Sprintf("/api/v1/gaps?tech=%s&commune=%s%s", t, code, f))
			}
		}
	}
	return urls, nil
}

// cacheScenario: 8 connections from one address ask distinct URLs for 51 s.
func cacheScenario(ctx context.Context, s *server) ([]figure, error) {
	return cacheFill(ctx, s, 51*time.Second)
}

// cacheAllScenario: 8 connections ask every distinct URL once, however long it takes.
func cacheAllScenario(ctx context.Context, s *server) ([]figure, error) {
	return cacheFill(ctx, s, 9*time.Minute)
}

// cacheFill: 8 connections from one address ask distinct URLs, in random order, until all are
// asked or d has passed.
func cacheFill(ctx context.Context, s *server, d time.Duration) ([]figure, error) {
	urls, err := cacheURLs(ctx, s)
	if err != nil {
		return nil, err
	}
	rand.Shuffle(len(urls), func(i, j int) { urls[i], urls[j] = urls[j], urls[i] })
	heap0 := s.heapMB(ctx)
	_, live0 := s.liveMB(0)
	trace0 := len(s.stderr.String())
	_, peak0 := s.rssMB()
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	var ok, limited, other atomic.Int64
	var peakHeap atomic.Uint64
	var wg sync.WaitGroup
	c := clientFrom("127.0.0.9", time.Minute)
	for range 8 {
		wg.Go(func() {
			for actx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(urls) {
					return
				}
				st, _, err := get(actx, c, s.url+urls[i])
				switch {
				case err != nil:
				case st == http.StatusOK:
					ok.Add(1)
				case st == http.StatusTooManyRequests:
					limited.Add(1)
					time.Sleep(100 * time.Millisecond)
				default:
					if other.Add(1) == 1 {
						fmt.Fprintf(os.Stderr, "  cache: %d for %s\n", st, urls[i])
					}
				}
			}
		})
	}
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for actx.Err() == nil {
			h := s.heapMB(ctx)
			if !math.IsNaN(h) && uint64(h) > peakHeap.Load() {
				peakHeap.Store(uint64(h))
			}
			select {
			case <-actx.Done():
			case <-done:
				return
			case <-time.After(time.Second):
			}
		}
	})
	wg.Wait()
	took := time.Since(start)
	close(done)
	sampler.Wait()
	heap1 := s.heapMB(ctx)
	liveMax, live1 := s.liveMB(trace0)
	_, peak1 := s.rssMB()
	return []figure{
		{"distinct URLs asked", "", float64(min(int(next.Load()), len(urls)))},
		{"in", " s", took.Seconds()},
		{"answered 200", "", float64(ok.Load())},
		{"answered 429", "", float64(limited.Load())},
		{"answered other", "", float64(other.Load())},
		{"heap before", " MB", heap0},
		{"heap peak (1 s samples)", " MB", float64(peakHeap.Load())},
		{"heap after", " MB", heap1},
		{"live heap before (last GC)", " MB", live0},
		{"live heap, most during attack", " MB", liveMax},
		{"live heap after (last GC)", " MB", live1},
		{"peak RSS before", " MB", peak0},
		{"peak RSS after", " MB", peak1},
	}, nil
}

// readerPaths are what a map user asks, with the weight of each.
func readerPaths(codes []string) func(r *rand.Rand) (string, string) {
	return func(r *rand.Rand) (string, string) {
		switch n := r.IntN(20); {
		case n < 4:
			return "coverage", fmt.Sprintf("/api/v1/coverage?tech=4G&carrier=any&zoom=%d", 9+r.IntN(3))
		case n < 6:
			return "coverage", fmt.Sprintf("/api/v1/coverage?tech=%s&carrier=%s&zoom=10", []string{"3G", "4G"}[r.IntN(2)], carriers[r.IntN(len(carriers))])
		case n < 9:
			return "gaps", "/api/v1/gaps?tech=4G"
		case n < 11:
			return "communes", "/api/v1/communes"
		case n < 13:
			return "sites", "/api/v1/sites"
		case n < 17:
			return "signal", fmt.Sprintf("/api/v1/signal?lon=%.5f&lat=%.5f", 106.05+0.4*r.Float64(), 9.65+0.35*r.Float64())
		case n < 19:
			return "commune", "/api/v1/communes/" + codes[r.IntN(len(codes))]
		}
		return "carriers", "/api/v1/carriers"
	}
}

// siteIDs returns the ids of carrier's first n sites.
func siteIDs(ctx context.Context, s *server, carrier string, n int) ([]string, error) {
	_, b, err := get(ctx, clientFrom("127.0.0.10", time.Minute), fmt.Sprintf("%s/api/v1/sites?carrier=%s&limit=%d", s.url, carrier, n))
	if err != nil {
		return nil, err
	}
	var list struct {
		Features []struct {
			Properties struct {
				SiteID string `json:"site_id"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &list); err != nil || len(list.Features) == 0 {
		return nil, fmt.Errorf("%s's sites: %v %s", carrier, err, tail(string(b), 200))
	}
	var ids []string
	for _, f := range list.Features {
		ids = append(ids, f.Properties.SiteID)
	}
	return ids, nil
}

// siteFeatures fetches n full site features of carrier (as /api/v1/sites/{carrier}/{id} gives them).
func siteFeatures(ctx context.Context, s *server, carrier string, n int) ([]map[string]any, error) {
	c := clientFrom("127.0.0.10", time.Minute)
	ids, err := siteIDs(ctx, s, carrier, n)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, id := range ids {
		_, b, err := get(ctx, c, s.url+"/api/v1/sites/"+carrier+"/"+id)
		if err != nil {
			return nil, err
		}
		var feat map[string]any
		if err := json.Unmarshal(b, &feat); err != nil {
			return nil, err
		}
		props := feat["properties"].(map[string]any)
		for _, k := range []string{"technologies", "synthetic", "note"} {
			delete(props, k)
		}
		out = append(out, feat)
	}
	return out, nil
}

// readersScenario: 32 readers at their own addresses; 20 s alone, then 30 s while 4 carriers
// upsert 3 of their sites (height ±1 m) in a loop.
func readersScenario(ctx context.Context, s *server) ([]figure, error) {
	codes, err := communeCodes(ctx, s)
	if err != nil {
		return nil, err
	}
	pick := readerPaths(codes)
	type sample struct {
		what   string
		d      time.Duration
		upload bool
	}
	var mu sync.Mutex
	var samples []sample
	var failures atomic.Int64
	var uploading atomic.Bool
	rctx, stopReaders := context.WithCancel(ctx)
	defer stopReaders()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 16))
			c := clientFrom(fmt.Sprintf("127.0.2.%d", i+1), time.Minute)
			for rctx.Err() == nil {
				what, path := pick(r)
				up := uploading.Load()
				start := time.Now()
				st, _, err := get(rctx, c, s.url+path)
				d := time.Since(start)
				if rctx.Err() != nil {
					return
				}
				if err != nil || st != http.StatusOK {
					if failures.Add(1) == 1 {
						fmt.Fprintf(os.Stderr, "  read %s: %d %v\n", path, st, err)
					}
					continue
				}
				mu.Lock()
				samples = append(samples, sample{what, d, up && uploading.Load()})
				mu.Unlock()
			}
		})
	}
	feats := map[string][]map[string]any{}
	for _, c := range carriers {
		if feats[c], err = siteFeatures(ctx, s, c, 3); err != nil {
			return nil, err
		}
	}
	time.Sleep(20 * time.Second)
	misses0 := s.metric(ctx, "phusong_response_cache_misses_total")
	trace0 := len(s.stderr.String())
	uploading.Store(true)
	uctx, stopUploads := context.WithTimeout(ctx, 30*time.Second)
	defer stopUploads()
	var uploads, uploadErrs atomic.Int64
	var uwg sync.WaitGroup
	for k, carrier := range carriers {
		uwg.Go(func() {
			c := clientFrom(fmt.Sprintf("127.0.3.%d", k+1), 2*time.Minute)
			for n := 0; uctx.Err() == nil; n++ {
				for _, f := range feats[carrier] {
					p := f["properties"].(map[string]any)
					h, _ := p["height_m"].(float64)
					p["height_m"] = h + float64(1-2*(n%2))
				}
				body, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats[carrier]})
				st, retry, reply, _, err := s.post(uctx, c, "/api/v1/carriers/"+carrier+"/sites?mode=upsert", carrier,
					"application/geo+json", "", bytes.NewReader(body), int64(len(body)))
				switch {
				case uctx.Err() != nil:
				case err == nil && st == http.StatusOK:
					uploads.Add(1)
				case err == nil && st == http.StatusServiceUnavailable:
					time.Sleep(time.Duration(max(retry, 1)) * time.Second)
				default:
					uploadErrs.Add(1)
					if uploadErrs.Load() == 1 {
						fmt.Fprintf(os.Stderr, "  upload %s: %d %v %s\n", carrier, st, err, tail(string(reply), 300))
					}
				}
			}
		})
	}
	uwg.Wait()
	uploading.Store(false)
	misses := s.metric(ctx, "phusong_response_cache_misses_total") - misses0
	liveMax, _ := s.liveMB(trace0)
	_, peakRSS := s.rssMB()
	stopReaders()
	wg.Wait()
	q := func(upload bool, what string, p float64) float64 {
		var ds []time.Duration
		for _, s := range samples {
			if s.upload == upload && (what == "" || s.what == what) {
				ds = append(ds, s.d)
			}
		}
		if len(ds) == 0 {
			return math.NaN()
		}
		slices.Sort(ds)
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	count := func(upload bool) float64 {
		n := 0
		for _, s := range samples {
			if s.upload == upload {
				n++
			}
		}
		return float64(n)
	}
	return []figure{
		{"alone: reads", "", count(false)},
		{"alone: p50", " ms", q(false, "", 0.5)},
		{"alone: p99", " ms", q(false, "", 0.99)},
		{"uploading: reads", "", count(true)},
		{"uploading: p50", " ms", q(true, "", 0.5)},
		{"uploading: p99", " ms", q(true, "", 0.99)},
		{"uploading: gaps p99", " ms", q(true, "gaps", 0.99)},
		{"uploading: coverage p99", " ms", q(true, "coverage", 0.99)},
		{"uploads done in 30 s", "", float64(uploads.Load())},
		{"cache misses while uploading", "", misses},
		{"live heap, most while uploading", " MB", liveMax},
		{"peak RSS", " MB", peakRSS},
		{"upload errors", "", float64(uploadErrs.Load())},
		{"read errors", "", float64(failures.Load())},
	}, nil
}
