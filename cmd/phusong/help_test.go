package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"phusong/server/app"
)

// helpLines are the command lines whose --help must print a full usage and succeed: every
// command of the table and every subcommand.
var helpLines = [][]string{
	{"demo-data"}, {"pathloss"}, {"report"}, {"serve"}, {"upload"}, {"version"},
	{"export"}, {"export", "footprints"}, {"export", "gaps"}, {"export", "coverage"}, {"export", "communes"}, {"export", "pockets"}, {"export", "h3"},
	{"measurements"}, {"measurements", "import"}, {"measurements", "stats"}, {"measurements", "synth"}, {"calibrate"},
	{"plan"}, {"plan", "suggest"}, {"worker"},
	{"token"}, {"token", "create"}, {"token", "list"}, {"token", "revoke"},
	{"uploads"}, {"uploads", "list"}, {"uploads", "show"}, {"uploads", "diff"}, {"uploads", "rollback"}, {"uploads", "undo"},
}

// TestHelp: `phusong <command> --help` (and -h) prints "Usage: phusong <command>" and, for a
// command with flags, every flag with its meaning, on stderr, and exits 0 (run returns nil).
func TestHelp(t *testing.T) {
	covered := map[string]bool{}
	for _, line := range helpLines {
		covered[line[0]] = true
		for _, flag := range []string{"--help", "-h"} {
			name := strings.Join(line, " ") + " " + flag
			t.Run(name, func(t *testing.T) {
				io, out, errb := demoStdio()
				if err := run(context.Background(), append(append([]string{}, line...), flag), io); err != nil {
					t.Fatalf("phusong %s: %v, want success; stderr:\n%s", name, err, errb)
				}
				usage := errb.String()
				if !strings.Contains(usage, "Usage:") || !strings.Contains(usage, "phusong "+strings.Join(line, " ")) {
					t.Errorf("phusong %s printed no usage line naming the command:\n%s", name, usage)
				}
				if len(line) == 2 || !map[string]bool{"export": true, "token": true, "uploads": true, "measurements": true, "plan": true}[line[0]] {
					if !strings.Contains(usage, "Flags:\n  -") {
						t.Errorf("phusong %s lists no flags:\n%s", name, usage)
					}
				}
				if strings.Contains(usage, "Usage of ") {
					t.Errorf("phusong %s printed the flag package's bare %q:\n%s", name, "Usage of", usage)
				}
				if out.Len() > 0 {
					t.Errorf("phusong %s wrote %q on stdout", name, out)
				}
			})
		}
	}
	for name := range commands {
		if !covered[name] {
			t.Errorf("command %s is not in helpLines", name)
		}
	}
}

// TestBinary builds the command as a user would (go build, VCS stamping on) and runs it:
// `serve --help` and `report --help` exit 0, a bad flag exits 1; `version --json` says what
// `go version -m` reads from the binary (module version, vcs.revision, vcs.time,
// vcs.modified), and a running server's /healthz carries the same build.
func TestBinary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "phusong")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"serve", "--help"}, 0},
		{[]string{"report", "--help"}, 0},
		{[]string{"version"}, 0},
		{[]string{"--version"}, 0},
		{[]string{"serve", "--no-such-flag"}, 1},
		{[]string{"no-such-command"}, 1},
	} {
		err := exec.Command(bin, c.args...).Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code {
			t.Errorf("phusong %s exited %d, want %d", strings.Join(c.args, " "), code, c.code)
		}
	}

	// The oracle: go version -m lists "mod <path> <version>" and "build vcs.*=" lines.
	mv, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := app.BuildInfo{Version: "(devel)"}
	for _, line := range strings.Split(string(mv), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			want.Module, want.Version = f[1], f[2]
		case len(f) == 2 && f[0] == "build":
			k, v, _ := strings.Cut(f[1], "=")
			switch k {
			case "vcs.revision":
				want.Revision = v
			case "vcs.time":
				want.Time = v
			case "vcs.modified":
				want.Modified = v == "true"
			}
		}
		if strings.HasPrefix(line, bin+": ") {
			want.GoVersion = strings.TrimPrefix(line, bin+": ")
		}
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got app.BuildInfo
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	if got != want {
		t.Fatalf("version --json = %+v; go version -m says %+v", got, want)
	}
	t.Logf("built %s (VCS stamped: %v)", got, got.Revision != "")

	// The server says the same.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--cell-m", "400", "--data-dir", t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url := servingURL.FindString(line)
	if url == "" {
		t.Fatalf("serve printed %q (%v); stderr:\n%s", line, err, stderr.String())
	}
	resp, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct{ Build app.BuildInfo }
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h.Build != want {
		t.Fatalf("/healthz build %+v (%v), want %+v", h.Build, err, want)
	}
}
