// Command mutate is phusong's mutation test (`make mutate`, not part of `make test`): it runs
// gremlins (github.com/go-gremlins/gremlins v0.6.0) on one package at a time, which changes the
// code one operator at a time (< into <=, + into -, a condition negated …) and runs that
// package's tests on each change. A change the tests notice is killed; one they do not notice
// lived. The efficacy, killed / (killed + lived), is the share of small bugs the tests catch.
//
//	go run ./bench/mutate [-workers 2] [-timeout-coefficient 10] [-min-timeout 1m] [-run REGEXP] [-out artifacts/mutate] [target …]
//
// Targets are named as in the table below (geo, stats, input, auth, persist, …; "core" for the
// five with the 85 % goal, "all" for every one); with none it runs the core. "geo:pathloss.go"
// measures one file of a target's folder, "geo:a.go,b.go" some. For each target it
// prints the counts, the efficacy and every mutant that lived, with its source line, and keeps
// gremlins' JSON and log in -out. Mutants that time out or do not compile are counted apart (they
// are in neither term of the efficacy); a mutant no test reaches is "not covered".
//
// Every mutant runs the whole test package (go test -failfast), so the time of one target is
// about (mutants × the package's test time) / workers: geo, input and persist take minutes each,
// the statistics (data/coverage's tests, ~35 s a run) about an hour on 2 cores. gremlins runs
// the tests of the folder and the folders below it once with coverage first, to find the
// reachable mutants; a mutant's run times out after the package's test time ×
// -timeout-coefficient, at least -min-timeout (a mutant that loops forever costs that much).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// target is a package, or some of its files, measured together.
type target struct {
	name  string
	dir   string   // package folder, from the module root; its subfolders are never included
	files []string // only these files of dir (nil: every non-test .go file)
	core  bool     // one of the five, with the 85 % goal
	note  string
}

// targets returns every measured set, core first (a function: no package-level state).
func targets() []target {
	return []target{
		{name: "geo", dir: "geo", core: true, note: "the maths"},
		{name: "stats", dir: "data/coverage", files: []string{"stats.go"}, core: true, note: "the coverage statistics"},
		{name: "input", dir: "data/input", core: true, note: "the input readers"},
		{name: "auth", dir: "server/app", files: []string{"app.go", "tokens.go"}, core: true, note: "token rules and token management"},
		{name: "persist", dir: "data/persist", core: true, note: "SQLite: tokens, versioned lists"},
		{name: "data", dir: "data", note: "domain types, validation, spacing"},
		{name: "store", dir: "data/store"},
		{name: "land", dir: "data/land"},
		{name: "contour", dir: "data/coverage/contour"},
		{name: "fibre", dir: "data/fibre"},
		{name: "render", dir: "data/render"},
		{name: "demo", dir: "data/demo"},
		{name: "app", dir: "server/app", note: "every use case"},
		{name: "coverage", dir: "data/coverage", note: "the whole engine (hours)"},
		{name: "server", dir: "server", note: "the HTTP transport (hours)"},
	}
}

func main() {
	workers := flag.Int("workers", 2, "mutants tested at once")
	coeff := flag.Int("timeout-coefficient", 10, "a mutant's test run times out after the package's test time × this")
	minTimeout := flag.Duration("min-timeout", time.Minute, "but may always take this long (a loaded machine links slowly)")
	out := flag.String("out", "artifacts/mutate", "folder for gremlins' JSON results and logs")
	gremlins := flag.String("gremlins", "", "gremlins binary (default: gremlins on PATH, else $(go env GOPATH)/bin/gremlins)")
	runTests := flag.String("run", "", "run only the package's tests matching this (go test -run): a lower bound of the efficacy, in a fraction of the time")
	flag.Parse()
	sel, err := selectTargets(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	bin, err := findGremlins(*gremlins)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
	var rows []string
	for _, t := range sel {
		s, err := run(bin, t, *workers, *coeff, *minTimeout, *out, *runTests)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mutate: %s: %v\n", t.name, err)
			os.Exit(1)
		}
		fmt.Println(s.report(t))
		rows = append(rows, s.row(t))
	}
	fmt.Println("| target | files | killed | lived | timed out | not viable | not covered | efficacy |")
	fmt.Println("|---|---|--:|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		fmt.Println(r)
	}
}

// selectTargets resolves the command line's names ("core", "all" or target names, each
// optionally followed by ":" and a comma-separated list of the files of its folder to measure).
func selectTargets(names []string) ([]target, error) {
	if len(names) == 0 {
		names = []string{"core"}
	}
	var sel []target
	add := func(t target) {
		if !slices.ContainsFunc(sel, func(s target) bool { return s.name == t.name }) {
			sel = append(sel, t)
		}
	}
	for _, n := range names {
		// "geo:pathloss.go,antenna.go" measures only those files of the target's folder (a
		// sample when the whole package takes too long on a loaded machine).
		n, only, sample := strings.Cut(n, ":")
		found := false
		for _, t := range targets() {
			if n == t.name || n == "all" || n == "core" && t.core {
				if sample {
					t.name += ":" + only
					t.files = strings.Split(only, ",")
				}
				add(t)
				found = true
			}
		}
		if !found {
			var known []string
			for _, t := range targets() {
				known = append(known, t.name)
			}
			return nil, fmt.Errorf("unknown target %q (known: core, all, %s)", n, strings.Join(known, ", "))
		}
	}
	return sel, nil
}

// findGremlins returns the gremlins binary to run: the flag's, else gremlins on PATH, else
// where go install puts it (GOBIN, or GOPATH/bin).
func findGremlins(flagPath string) (string, error) {
	if flagPath != "" {
		return flagPath, nil
	}
	if p, err := exec.LookPath("gremlins"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err == nil {
		lines := strings.Split(string(out), "\n")
		for _, dir := range []string{lines[0], filepath.Join(lines[min(1, len(lines)-1)], "bin")} {
			p := filepath.Join(strings.TrimSpace(dir), "gremlins")
			if st, err := os.Stat(p); err == nil && dir != "" && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", errors.New("gremlins not found: go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0")
}

// excludes returns gremlins' --exclude-files patterns (paths relative to t.dir) that leave
// only t's files: every subfolder, and the files of t.dir not listed.
func excludes(t target) ([]string, error) {
	ex := []string{"/"} // any path with a slash is in a subfolder
	if t.files == nil {
		return ex, nil
	}
	ents, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, err
	}
	for _, f := range t.files {
		if _, err := os.Stat(filepath.Join(t.dir, f)); err != nil {
			return nil, err
		}
	}
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !slices.Contains(t.files, n) {
			ex = append(ex, "^"+regexp.QuoteMeta(n)+"$")
		}
	}
	return ex, nil
}

// tempBesideShared makes the temporary folder gremlins copies the module into, with a "shared"
// link to the folder holding the reference data (shared/data, found above the working
// directory), so that the copies' tests find ../shared/data as the original's do. Without the
// reference data the folder is a plain one and those tests skip. The folder is opened to every
// user (MkdirTemp makes it 0700): persistence's tests run PostgreSQL's initdb as the postgres
// user inside the copy, which must be able to enter it.
func tempBesideShared() (string, error) {
	tmp, err := os.MkdirTemp("", "phusong-mutate-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return tmp, err
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		return tmp, err
	}
	for ; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(filepath.Join(dir, "shared", "data")); err == nil && st.IsDir() {
			return tmp, os.Symlink(filepath.Join(dir, "shared"), filepath.Join(tmp, "shared"))
		}
		if filepath.Dir(dir) == dir {
			fmt.Fprintln(os.Stderr, "mutate: no shared/data above the working directory: the tests that need it skip")
			return tmp, nil
		}
	}
}

// result is gremlins' JSON output (the fields used here).
type result struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// summary counts one target's mutants by status and keeps the ones that lived.
type summary struct {
	dir     string
	counts  map[string]int
	lived   []string // "file:line:col TYPE  source line"
	elapsed time.Duration
}

// run measures t with gremlins and summarises its JSON.
func run(bin string, t target, workers, coeff int, minTimeout time.Duration, out, runTests string) (summary, error) {
	ex, err := excludes(t)
	if err != nil {
		return summary{}, err
	}
	// gremlins times each mutant's run out at (its coverage run's time) × its coefficient, and
	// its coverage run tests the folder and every folder below it (data: all of data/...). The
	// timeout wanted is the package's own test time × coeff, at least minTimeout (a link on a
	// loaded machine): both times are measured here and the coefficient given is their ratio.
	// -count=1: the coverage run sets the timeouts, so it must not be a cached result. With
	// -run, every go test gremlins starts runs only those tests (GOFLAGS): a mutant they miss
	// counts as lived or not covered though another test of the package may kill it.
	goflags := []string{"-count=1"}
	if runTests != "" {
		goflags = append(goflags, "-run="+runTests)
	}
	start := time.Now()
	if out, err := exec.Command("go", append([]string{"test"}, append(goflags, "./"+t.dir)...)...).CombinedOutput(); err != nil {
		return summary{}, fmt.Errorf("the tests fail before any mutation: %v\n%s", err, out)
	}
	own := time.Since(start)
	// The coverage run is timed warm, as gremlins' own (the second build of the coverage binary
	// is cached): timed cold, it was 3× gremlins' run on a loaded machine, the coefficient a third
	// of what was wanted, and mutants taking their usual time were counted as timed out.
	var all time.Duration
	for range 2 {
		start = time.Now()
		if out, err := exec.Command("go", append([]string{"test", "-cover"}, append(goflags, "./"+t.dir+"/...")...)...).CombinedOutput(); err != nil {
			return summary{}, fmt.Errorf("the coverage run fails: %v\n%s", err, out)
		}
		all = time.Since(start)
	}
	want := max(minTimeout, time.Duration(coeff)*own)
	coeff = max(1, int((want+all-1)/all))
	fmt.Fprintf(os.Stderr, "mutate: %s: tests %v, coverage run %v: timeout about %v\n", t.name,
		own.Round(time.Millisecond), all.Round(time.Millisecond), (time.Duration(coeff) * all).Round(time.Second))
	jsonPath := filepath.Join(out, t.name+".json")
	args := []string{"unleash", "--workers", fmt.Sprint(workers), "--timeout-coefficient", fmt.Sprint(coeff), "-o", jsonPath}
	for _, e := range ex {
		args = append(args, "-E", e)
	}
	args = append(args, "./"+t.dir)
	logf, err := os.Create(filepath.Join(out, t.name+".log"))
	if err != nil {
		return summary{}, err
	}
	defer logf.Close()
	fmt.Fprintf(os.Stderr, "mutate: %s: %s %s\n", t.name, bin, strings.Join(args, " "))
	tmp, err := tempBesideShared()
	if err != nil {
		return summary{}, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.Join(goflags, " "), "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		return summary{}, fmt.Errorf("gremlins: %v (log: %s)", err, logf.Name())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return summary{}, err
	}
	var res result
	if err := json.Unmarshal(raw, &res); err != nil {
		return summary{}, fmt.Errorf("%s: %v", jsonPath, err)
	}
	s := summary{dir: t.dir, counts: map[string]int{}, elapsed: time.Since(start)}
	for _, f := range res.Files {
		src, _ := os.ReadFile(filepath.Join(t.dir, f.Name))
		lines := bytes.Split(src, []byte("\n"))
		for _, m := range f.Mutations {
			s.counts[m.Status]++
			if m.Status != "LIVED" {
				continue
			}
			text := ""
			if m.Line >= 1 && m.Line <= len(lines) {
				text = strings.TrimSpace(string(lines[m.Line-1]))
			}
			s.lived = append(s.lived, fmt.Sprintf("%s:%d:%d %s  %s", filepath.Join(t.dir, f.Name), m.Line, m.Column, m.Type, text))
		}
	}
	slices.SortFunc(s.lived, compareFileLine)
	return s, nil
}

// compareFileLine orders "file:line:col …" strings by file, then line and column as numbers.
func compareFileLine(a, b string) int {
	var fa, fb string
	var la, ca, lb, cb int
	parse := func(s string, f *string, l, c *int) {
		p := strings.SplitN(strings.Fields(s)[0], ":", 3)
		*f = p[0]
		fmt.Sscan(p[1], l)
		fmt.Sscan(p[2], c)
	}
	parse(a, &fa, &la, &ca)
	parse(b, &fb, &lb, &cb)
	switch {
	case fa != fb:
		return strings.Compare(fa, fb)
	case la != lb:
		return la - lb
	}
	return ca - cb
}

// efficacy is killed / (killed + lived) in percent, 0 when neither.
func (s summary) efficacy() float64 {
	k, l := s.counts["KILLED"], s.counts["LIVED"]
	if k+l == 0 {
		return 0
	}
	return 100 * float64(k) / float64(k+l)
}

// report is the text printed for one target: counts, efficacy, the mutants that lived.
func (s summary) report(t target) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== %s (%s): efficacy %.1f %% — killed %d, lived %d, timed out %d, not viable %d, not covered %d (%s)\n",
		t.name, files(t), s.efficacy(), s.counts["KILLED"], s.counts["LIVED"], s.counts["TIMED OUT"],
		s.counts["NOT VIABLE"], s.counts["NOT COVERED"], s.elapsed.Round(time.Second))
	for _, l := range s.lived {
		fmt.Fprintf(&b, "   lived %s\n", l)
	}
	return b.String()
}

// row is the target's line of the bench/README.md table.
func (s summary) row(t target) string {
	return fmt.Sprintf("| %s | %s | %d | %d | %d | %d | %d | %.1f %% |", t.name, files(t),
		s.counts["KILLED"], s.counts["LIVED"], s.counts["TIMED OUT"], s.counts["NOT VIABLE"], s.counts["NOT COVERED"], s.efficacy())
}

// files names what t measures: its folder, or its listed files.
func files(t target) string {
	if t.files == nil {
		return t.dir
	}
	var p []string
	for _, f := range t.files {
		p = append(p, filepath.Join(t.dir, f))
	}
	return strings.Join(p, ", ")
}
