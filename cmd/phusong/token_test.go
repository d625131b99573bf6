package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"phusong/data/persist"
)

// runTokenCLI runs "phusong token args..." and returns stdout, stderr and the error.
func runTokenCLI(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	io := stdio{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := runToken(context.Background(), io, args)
	return out.String(), errb.String(), err
}

var tokenLine = regexp.MustCompile(`^phs_([0-9a-f]{12})_[0-9a-f]{64}\n$`)

func TestTokenCreateListRevoke(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, stderr, err := runTokenCLI("create", "--carrier", "viettel", "--note", "ops\tteam", "--data-dir", dir)
	if err != nil {
		t.Fatal(err, stderr)
	}
	m := tokenLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout %q is not one token line", out)
	}
	tok, id := strings.TrimSpace(out), m[1]
	if !strings.Contains(stderr, "phs_"+id) || strings.Contains(stderr, tok) {
		t.Errorf("stderr %q: want the prefix, not the token", stderr)
	}
	adminOut, _, err := runTokenCLI("create", "--admin", "--data-dir", dir)
	if err != nil || tokenLine.FindStringSubmatch(adminOut) == nil {
		t.Fatalf("admin create: %q, %v", adminOut, err)
	}

	// The printed token works against the database.
	db, err := persist.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := db.Authenticate(context.Background(), tok)
	db.Close()
	if err != nil || info.Carrier != "viettel" || info.Note != "ops\tteam" {
		t.Fatalf("Authenticate = %+v, %v", info, err)
	}

	list, _, err := runTokenCLI("list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], id+"  phs_"+id+"  viettel") ||
		!strings.Contains(lines[1], `"ops\tteam"`) || !strings.Contains(lines[2], "(admin)") || strings.Contains(list, tok) {
		t.Errorf("list:\n%s", list)
	}

	// Flags after the id are accepted.
	if out, _, err := runTokenCLI("revoke", id, "--data-dir", dir); err != nil || out != "revoked "+id+"\n" {
		t.Fatalf("revoke = %q, %v", out, err)
	}
	js, _, err := runTokenCLI("list", "--json", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var infos []persist.TokenInfo
	if err := json.Unmarshal([]byte(js), &infos); err != nil || len(infos) != 2 {
		t.Fatalf("list --json: %v\n%s", err, js)
	}
	if infos[0].ID != id || infos[0].RevokedAt == nil || infos[1].RevokedAt != nil || !infos[1].Admin {
		t.Errorf("after revoke: %+v", infos)
	}
}

func TestTokenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nowhere")
	cases := []struct {
		name string
		args []string
		want string // substring of the error; "usage" for errUsage
	}{
		{"no-subcommand", nil, "usage"},
		{"unknown-subcommand", []string{"rotate"}, `unknown subcommand "rotate"`},
		{"create-neither", []string{"create", "--data-dir", dir}, "give one of --carrier ID, --admin or --planner NAME"},
		{"create-both", []string{"create", "--admin", "--carrier", "viettel", "--data-dir", dir}, "give one of --carrier ID, --admin or --planner NAME"},
		{"create-bad-carrier", []string{"create", "--carrier", "Viettel", "--data-dir", dir}, "invalid argument"},
		{"create-extra-arg", []string{"create", "--carrier", "viettel", "x", "--data-dir", dir}, "usage"},
		{"create-bad-flag", []string{"create", "--carier", "viettel"}, "usage"},
		{"list-no-database", []string{"list", "--data-dir", missing}, "no database at " + filepath.Join(missing, "phusong.db")},
		{"revoke-no-id", []string{"revoke", "--data-dir", dir}, "usage"},
		{"revoke-no-database", []string{"revoke", "--data-dir", missing, "abc"}, "no database at"},
		{"revoke-unknown", []string{"revoke", "--data-dir", dir, "000000000000"}, "not found"},
	}
	// A database for the cases that need one.
	if _, _, err := runTokenCLI("create", "--admin", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := runTokenCLI(c.args...)
			switch {
			case c.want == "usage" && !errors.Is(err, errUsage):
				t.Errorf("err = %v, want errUsage", err)
			case c.want != "usage" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
		})
	}
	if m, _ := filepath.Glob(missing); len(m) != 0 {
		t.Errorf("list/revoke created %s", missing)
	}
}
