package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFindSharedData(t *testing.T) {
	root := t.TempDir()
	marker := filepath.Join(root, "shared", "data", SharedMarker)
	deep := filepath.Join(root, "repo", "data", "demo")
	for _, d := range []string{filepath.Dir(marker), deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(marker, []byte("code,name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		start string
		want  string
	}{
		{"from a deep folder", deep, filepath.Join(root, "shared", "data")},
		{"from the root itself", root, filepath.Join(root, "shared", "data")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FindSharedData(tc.start)
			if got != tc.want || !ok {
				t.Fatalf("FindSharedData(%q) = %q, %v; want %q, true", tc.start, got, ok, tc.want)
			}
		})
	}
	// A shared/data folder without the marker is passed over (what lies above the temp folder
	// is the machine's business, so only the wrong answer is ruled out), as is a marker that is
	// a folder.
	bare := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bare, "shared", "data", SharedMarker), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := FindSharedData(bare); got == filepath.Join(bare, "shared", "data") {
		t.Fatalf("FindSharedData took %q, which has no marker file", got)
	}
}

// recorder is a testing.TB that records Skipf and Fatalf and stops the calling goroutine as
// they do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record runs f with a recorder on its own goroutine and returns what it recorded.
func record(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// TestMissing: a skip on a developer's machine, a failure under CI=true, for every helper that
// looks for something outside the module.
func TestMissing(t *testing.T) {
	elsewhere := t.TempDir() // no shared/data above it (a temp folder's ancestors are checked below)
	if _, ok := FindSharedData(elsewhere); ok {
		t.Skip("the temporary folder has shared/data above it: cannot test its absence here")
	}
	cases := []struct {
		name string
		dir  string // working directory, if not the package's
		call func(tb testing.TB)
		want string
	}{
		{"message", "", func(tb testing.TB) { Missing(tb, "%s is gone", "X") }, "X is gone"},
		{"program", "", func(tb testing.TB) { Program(tb, "phusong-no-such-program", "phusong-pkg") }, "apt-get install phusong-pkg"},
		{"python module", "", func(tb testing.TB) { PythonModule(tb, "phusong_no_such_module", "python3-nothing") }, "apt-get install python3-nothing"},
		{"shared data", elsewhere, func(tb testing.TB) { SharedData(tb) }, SharedMarker},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dir != "" {
				t.Chdir(tc.dir)
			}
			t.Setenv("CI", "")
			if r := record(t, tc.call); r.failed != "" || !strings.Contains(r.skipped, tc.want) {
				t.Errorf("CI unset: skipped %q, failed %q; want a skip naming %q", r.skipped, r.failed, tc.want)
			}
			t.Setenv("CI", "true")
			if r := record(t, tc.call); r.skipped != "" || !strings.Contains(r.failed, tc.want) {
				t.Errorf("CI=true: skipped %q, failed %q; want a failure naming %q", r.skipped, r.failed, tc.want)
			}
		})
	}
}

// TestFound: what is there is returned without a skip or a failure.
func TestFound(t *testing.T) {
	t.Setenv("CI", "true")
	if r := record(t, func(tb testing.TB) { Program(tb, "go", "golang") }); r.failed != "" || r.skipped != "" {
		t.Errorf("Program(go): %+v", r)
	}
	root := t.TempDir()
	marker := filepath.Join(root, "shared", "data", SharedMarker)
	if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	var got string
	if r := record(t, func(tb testing.TB) { got = SharedFile(tb, SharedMarker) }); r.failed != "" || r.skipped != "" || got != marker {
		t.Errorf("SharedFile = %q (%+v), want %q", got, r, marker)
	}
	if r := record(t, func(tb testing.TB) { SharedFile(tb, "travinh/none.geojson") }); !strings.Contains(r.failed, "none.geojson") {
		t.Errorf("SharedFile of a file the data lacks: %+v, want a failure", r)
	}
}

// TestHeavy: a heavy test runs under CI=true or PHUSONG_HEAVY=1 and is skipped otherwise, with
// a message saying how to run it; a test with a quick variant takes its full size in the same
// cases.
func TestHeavy(t *testing.T) {
	cases := []struct {
		name, ci, heavy string
		full            bool
	}{
		{"quick run", "", "", false},
		{"CI", "true", "", true},
		{"make test-all", "", "1", true},
		{"both", "true", "1", true},
		{"CI not true", "1", "", false},
		{"heavy not 1", "", "yes", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			t.Setenv(HeavyEnv, tc.heavy)
			if got := Full(); got != tc.full {
				t.Errorf("Full() = %v, want %v", got, tc.full)
			}
			if got, want := Size(8, 2), map[bool]int{true: 8, false: 2}[tc.full]; got != want {
				t.Errorf("Size(8, 2) = %d, want %d", got, want)
			}
			r := record(t, func(tb testing.TB) { Heavy(tb, "a thousand uploads") })
			if r.failed != "" {
				t.Errorf("Heavy failed the test: %q", r.failed)
			}
			if tc.full && r.skipped != "" {
				t.Errorf("Heavy skipped a full run: %q", r.skipped)
			}
			if !tc.full {
				for _, want := range []string{"a thousand uploads", "CI=true", HeavyEnv + "=1", "make test-all"} {
					if !strings.Contains(r.skipped, want) {
						t.Errorf("Heavy's skip %q does not name %q", r.skipped, want)
					}
				}
			}
		})
	}
}
