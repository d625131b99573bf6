// Package testenv gives phusong's tests what they need from outside the module — the
// reference data in ../shared/data, Debian's python3 with shapely, GDAL's programs, Chromium —
// and decides what a missing one means: the test is skipped on a developer's machine, and fails
// under CI=true, where .ci/run installs every package and the reference data must be present.
// It is imported by tests only and imports nothing of phusong: geo's tests use it too, and
// cmd/phusong/imports_test.go ranks it with geo, at the bottom of the one-way imports.
//
// It also splits the suite in two by cost. The heaviest tests under -race (those whose point is
// their size: concurrency, crashes, the whole demo end to end, national data) run under
// CI=true — so `.ci/run`, which runs `make test` with CI=true, still runs every test — or with
// PHUSONG_HEAVY=1 (`make test-all`); a plain `make test` skips them with a message saying so
// (Heavy), or runs a smaller variant of the same test where its point allows (Full, Size).
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SharedMarker is the file, relative to shared/data, whose presence identifies the reference
// data (a shared/data folder without it is passed over).
const SharedMarker = "travinh/wards_2025_facts.csv"

// Python3 is Debian's interpreter: Debian's python3-shapely imports only under it, not under a
// pyenv or virtualenv python3 found first on PATH.
const Python3 = "/usr/bin/python3"

// CI reports whether the tests run under continuous integration (CI=true, as .ci/run sets it),
// where a missing tool or the missing reference data fails a test instead of skipping it.
func CI() bool { return os.Getenv("CI") == "true" }

// HeavyEnv is the environment variable that runs the heavy tests outside CI: PHUSONG_HEAVY=1,
// as `make test-all` sets it.
const HeavyEnv = "PHUSONG_HEAVY"

// Full reports whether the whole suite runs, heavy tests included: under CI=true or with
// PHUSONG_HEAVY=1. A test that has a smaller variant for the quick run (fewer uploads, one
// carrier, a cut of the demo) takes its full size when Full is true.
func Full() bool { return CI() || os.Getenv(HeavyEnv) == "1" }

// Heavy skips t unless Full, saying why the test is heavy and how to run it. Call it first in a
// test whose point is its size, so that a quick run spends nothing on it.
func Heavy(t testing.TB, why string) {
	t.Helper()
	if !Full() {
		t.Skipf("heavy test (%s): runs under CI=true or %s=1 (make test-all)", why, HeavyEnv)
	}
}

// Size returns full when the whole suite runs (Full) and quick otherwise: the size (uploads,
// readers, kills, resolution) of a test whose quick variant is a smaller run of the same checks.
func Size(full, quick int) int {
	if Full() {
		return full
	}
	return quick
}

// Missing stops t for lack of what the message names: a skip, or a failure under CI=true. The
// message should say how to get it (a Debian package, the reference data beside the repository).
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("CI=true and %s (.ci/run installs the Debian packages; the reference data must be beside the clone)", msg)
	}
	t.Skipf("skipped: %s (required under CI=true)", msg)
}

// FindSharedData walks up from dir (inclusive) to the first folder holding shared/data with
// SharedMarker in it and returns that shared/data path; ok is false when no ancestor has one
// (a checkout without the reference data).
func FindSharedData(dir string) (path string, ok bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(filepath.Join(p, SharedMarker)); err == nil && st.Mode().IsRegular() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// SharedData returns the reference data folder (../shared/data from the repository root, found
// by FindSharedData from the test's working directory, its package folder), or stops t by
// Missing.
func SharedData(t testing.TB) string {
	t.Helper()
	p, ok := FindSharedData(".")
	if !ok {
		Missing(t, "the reference data shared/data (with %s) is not above %s", SharedMarker, workingDir())
	}
	return p
}

// SharedFile returns the file rel (e.g. "travinh/wards_2025.geojson") of the reference data.
// Without the reference data t stops by Missing; a reference data folder that lacks rel fails t
// everywhere (the test names a file the data does not have).
func SharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(SharedData(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("reference data: %v", err)
	}
	return p
}

// PythonModule returns Python3 after checking that it imports module (e.g. "shapely"), or
// stops t by Missing, naming debianPackage (e.g. "python3-shapely").
func PythonModule(t testing.TB, module, debianPackage string) string {
	t.Helper()
	if out, err := exec.Command(Python3, "-c", "import "+module).CombinedOutput(); err != nil {
		Missing(t, "%s cannot import %s (apt-get install %s): %v %s", Python3, module, debianPackage, err, out)
	}
	return Python3
}

// Program returns the path of the program name on PATH (e.g. ogr2ogr), or stops t by Missing,
// naming the Debian package that provides it.
func Program(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed (apt-get install %s)", name, debianPackage)
	}
	return p
}

// File returns path after checking that it exists (a script a package installs, such as GDAL's
// GeoPackage validator), or stops t by Missing, naming the Debian package that provides it.
func File(t testing.TB, path, debianPackage string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s is missing (apt-get install %s): %v", path, debianPackage, err)
	}
	return path
}

// workingDir is the current directory, for messages.
func workingDir() string {
	d, err := os.Getwd()
	if err != nil {
		return "the working directory"
	}
	return d
}
