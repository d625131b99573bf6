package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/store"
	"phusong/server"
	"phusong/server/app"
)

// cli runs `phusong args…` with env and returns stdout, stderr and the error.
func cli(env map[string]string, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	err := run(context.Background(), args, io)
	return out.String(), errb.String(), err
}

// TestUploadsCLI runs the carrier's whole round against a real server (the demo on a coarse
// grid, a database in a temporary data dir, HTTP on loopback): a token from `phusong token
// create`, an upload with `phusong upload`, then `phusong uploads list`, `show`, `diff`,
// `undo` (previewed, then done), `rollback`, and the refusals, each checked against the
// server's own record.
func TestUploadsCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	in, _, err := app.Load(app.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	in.Coverage = coverage.Options{CellM: 400}
	a, err := app.Open(ctx, dir, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, err := server.New(a, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	token := func(args ...string) string {
		out, stderr, err := cli(nil, append([]string{"token", "create", "--data-dir", dir}, args...)...)
		if err != nil {
			t.Fatalf("token create: %v %s", err, stderr)
		}
		return strings.TrimSpace(out)
	}
	env := map[string]string{"PHUSONG_SERVER": ts.URL, "PHUSONG_TOKEN": token("--carrier", "gmobile")}
	other := token("--carrier", "itelecom")

	// Two new gmobile sites, moved copies of one of its demo sites.
	var mine []data.Site
	s := a.State().Snapshot.Sites(store.Filter{Carrier: "gmobile"})[0]
	for i := range 2 {
		c := *s
		c.SiteID, c.Lat = fmt.Sprintf("TV-GM-CLI-%d", i), s.Lat+0.01*float64(i+1)
		mine = append(mine, c)
	}
	var csv bytes.Buffer
	if err := input.WriteSitesCSV(&csv, mine); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "gmobile.csv", csv.Bytes())
	out, stderr, err := cli(env, "upload", "--carrier", "gmobile", "--mode", "upsert", file)
	if err != nil {
		t.Fatalf("upload: %v %s", err, stderr)
	}
	var up struct {
		Summary string
		Upload  persist.Upload
	}
	if err := json.Unmarshal([]byte(out), &up); err != nil || up.Upload.Added != 2 {
		t.Fatalf("upload answered %s (%v)", out, err)
	}
	id := fmt.Sprint(up.Upload.ID)

	// list: a table with the upload first, then the seed.
	out, _, err = cli(env, "uploads", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	row := regexp.MustCompile(`^` + id + `\s+\S+ \S+\s+sites\s+gmobile\s+upsert\s+2\s+0\s+0\s+\d+$`)
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !row.MatchString(lines[1]) || !strings.Contains(lines[2], "seed") {
		t.Fatalf("uploads list:\n%s", out)
	}
	jsonList, _, _ := cli(env, "uploads", "list", "--json", "--limit", "1")
	var page uploadsPage
	if err := json.Unmarshal([]byte(jsonList), &page); err != nil || len(page.Uploads) != 1 || page.NextBefore != up.Upload.ID {
		t.Fatalf("uploads list --json --limit 1: %s (%v)", jsonList, err)
	}

	// show and diff.
	out, _, err = cli(env, "uploads", "show", id)
	if err != nil || !strings.Contains(out, "added / changed / removed:  2 / 0 / 0") || !strings.Contains(out, "what:") {
		t.Fatalf("uploads show: %v\n%s", err, out)
	}
	out, _, err = cli(env, "uploads", "diff", id)
	if err != nil || out != "+ TV-GM-CLI-0\n+ TV-GM-CLI-1\n2 added, 0 changed, 0 removed\n" {
		t.Fatalf("uploads diff: %v\n%q", err, out)
	}

	// undo, previewed then done: the sites are gone, the answer says what was restored.
	all, _, _ := cli(env, "uploads", "list", "--json")
	if err := json.Unmarshal([]byte(all), &page); err != nil {
		t.Fatal(err)
	}
	seed := page.Uploads[len(page.Uploads)-1].ID
	out, _, err = cli(env, "uploads", "undo", "--dry-run", id)
	if err != nil || !strings.HasPrefix(out, "Preview, nothing changed") || countOf(a, "gmobile", "TV-GM-CLI-0") != 1 {
		t.Fatalf("undo --dry-run: %v %q", err, out)
	}
	out, _, err = cli(env, "uploads", "undo", id)
	want := fmt.Sprintf("undo upload %s: gmobile's station list back as it was right before it, that is right after upload %d (0 added, 0 changed, 2 removed", id, seed)
	if err != nil || !strings.Contains(out, want) || countOf(a, "gmobile", "TV-GM-CLI-0") != 0 {
		t.Fatalf("undo: %v\n%q\nwant %q", err, out, want)
	}
	out, _, _ = cli(env, "uploads", "list", "--limit", "2")
	if !strings.Contains(out, "undo of "+id+" (restore as after "+fmt.Sprint(seed)+")") {
		t.Fatalf("the list does not say what the undo did:\n%s", out)
	}

	// rollback to the upload: its sites are back.
	t.Logf("phusong uploads list --limit 2:\n%s", out)
	out, _, err = cli(env, "uploads", "rollback", id)
	if err != nil || !strings.Contains(out, "rollback: gmobile's station list restored as it was right after upload "+id) || countOf(a, "gmobile", "TV-GM-CLI-1") != 1 {
		t.Fatalf("rollback: %v %q", err, out)
	}

	// Refusals carry the server's message and exit non-zero.
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"undo of an upload that is no longer the latest", env, []string{"uploads", "undo", id}, "409 Conflict: upload " + id + " is no longer gmobile's latest"},
		// Another carrier's upload is not found, as an unknown one is: a 403 would tell a rival
		// which carrier uploaded when.
		{"another carrier's upload", map[string]string{"PHUSONG_SERVER": ts.URL, "PHUSONG_TOKEN": other}, []string{"uploads", "show", id}, "404 Not Found: persist: not found: upload " + id},
		{"unknown upload", env, []string{"uploads", "diff", "999999"}, "404 Not Found"},
		{"bad id", env, []string{"uploads", "show", "x"}, `upload id "x"`},
		{"no token", map[string]string{"PHUSONG_SERVER": ts.URL}, []string{"uploads", "list"}, "no token"},
		{"bad token", map[string]string{"PHUSONG_SERVER": ts.URL, "PHUSONG_TOKEN": "phs_bad"}, []string{"uploads", "list"}, "401 Unauthorized"},
	} {
		if _, _, err := cli(c.env, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
	if _, _, err := cli(env, "uploads", "show"); err != errUsage {
		t.Errorf("uploads show without an id: %v, want errUsage", err)
	}
}

// countOf is 1 when the served state has carrier's site id, else 0.
func countOf(a *app.App, carrier, id string) int {
	if _, ok := a.State().Snapshot.Site(data.SiteKey{Carrier: carrier, SiteID: id}); ok {
		return 1
	}
	return 0
}
