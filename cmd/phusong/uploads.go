package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"phusong/data/persist"
)

// runUploads reads a server's audit trail of uploads and restores earlier lists, over HTTP with
// a token (a carrier's sees its own carrier's uploads, an admin's everyone's):
//
//	phusong uploads list [--carrier ID] [--kind sites|fibre] [--limit N] [--before ID] [--json]
//	phusong uploads show [--json] ID
//	phusong uploads diff [--json] ID
//	phusong uploads rollback [--dry-run] [--json] ID   restore the list as it was right after upload ID
//	phusong uploads undo [--dry-run] [--json] ID       restore the list as it was right before upload ID
func runUploads(ctx context.Context, io stdio, args []string) error {
	return runSubcommand(ctx, io, args, "uploads", map[string]func(context.Context, stdio, []string) error{
		"list": runUploadsList, "show": runUploadsShow, "diff": runUploadsDiff,
		"rollback": runUploadsRollback, "undo": runUploadsUndo,
	}, uploadsUsage)
}

func uploadsUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage:
  phusong uploads list [--carrier ID] [--kind sites|fibre] [--limit N] [--before ID] [--json]
  phusong uploads show [--json] ID       one upload: who, when, mode, counts, warnings
  phusong uploads diff [--json] ID       what an applied upload added, changed and removed
  phusong uploads rollback [--dry-run] ID
        restore the list as it was right after upload ID (recorded as a new upload)
  phusong uploads undo [--dry-run] ID
        restore the list as it was right before upload ID, the carrier's latest

Each talks to --server (default $PHUSONG_SERVER or http://localhost:8080) with --token (default
$PHUSONG_TOKEN): a carrier's token sees and restores its own carrier's lists, an admin token
everyone's. Run "phusong uploads <subcommand> --help" for the flags.`)
}

// uploadsFlags returns the flag set of `phusong uploads <name>` with the remote flags and
// --json.
func uploadsFlags(io stdio, name, synopsis, about string) (*flag.FlagSet, *remote, *bool) {
	r := &remote{cmd: "uploads " + name}
	fs := newFlags(io.Stderr, "uploads "+name, "uploads "+name+" "+synopsis, about)
	r.addFlags(fs, io, time.Minute)
	return fs, r, fs.Bool("json", false, "print the server's JSON answer instead of text")
}

// uploadsArgs parses args and requires exactly npos positional arguments; then checks the
// remote.
func uploadsArgs(fs *flag.FlagSet, io stdio, r *remote, args []string, npos int) ([]string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != npos {
		fmt.Fprintf(io.Stderr, "%s: want %d arguments, got %d %q (see phusong %s --help)\n", fs.Name(), npos, len(pos), pos, fs.Name())
		return nil, errUsage
	}
	return pos, r.check(io)
}

// uploadsID parses the arguments of show, diff, rollback and undo (flags and one upload id),
// checks the remote and returns the id.
func uploadsID(fs *flag.FlagSet, io stdio, r *remote, args []string) (string, error) {
	pos, err := uploadsArgs(fs, io, r, args, 1)
	if err != nil {
		return "", err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("%s: upload id %q: want a positive number, as `phusong uploads list` shows", fs.Name(), pos[0])
	}
	return strconv.FormatInt(id, 10), nil
}

// uploadsPage is GET /api/v1/uploads.
type uploadsPage struct {
	Uploads    []persist.Upload `json:"uploads"`
	NextBefore int64            `json:"next_before"`
}

func runUploadsList(ctx context.Context, io stdio, args []string) error {
	fs, r, asJSON := uploadsFlags(io, "list", "[--carrier ID] [--kind sites|fibre] [--limit N] [--before ID] [--json]",
		"Lists uploads, newest first: dry runs, rollbacks and undos included.")
	carrier := fs.String("carrier", "", "only this carrier's (or fibre operator's) uploads (an admin token sees every carrier's)")
	kind := fs.String("kind", "", "sites (station lists) or fibre (fibre networks); default both")
	limit := fs.Int("limit", 20, "at most this many (1–1000)")
	before := fs.Int64("before", 0, "only uploads older than this id (the next page)")
	if _, err := uploadsArgs(fs, io, r, args, 0); err != nil {
		return err
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	for k, v := range map[string]string{"carrier": *carrier, "kind": *kind} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *before > 0 {
		q.Set("before", strconv.FormatInt(*before, 10))
	}
	body, err := r.call(ctx, io.Stderr, http.MethodGet, "api/v1/uploads", q)
	if err != nil || *asJSON {
		return jsonOr(io.Stdout, body, err)
	}
	var page uploadsPage
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("uploads list: the server's answer: %w", err)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED (UTC)\tKIND\tCARRIER\tWHAT\tADDED\tCHANGED\tREMOVED\tTOTAL")
	for _, u := range page.Uploads {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", u.ID, u.CreatedAt.UTC().Format("2006-01-02 15:04:05"), u.Kind, u.Carrier,
			uploadWhat(u), u.Added, u.Modified, u.Removed, u.Total)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.NextBefore > 0 {
		fmt.Fprintf(io.Stderr, "more: phusong uploads list --before %d\n", page.NextBefore)
	}
	return nil
}

// undoNote reads the note of an undo ("undo of upload 12").
var undoNote = regexp.MustCompile(`^undo of upload (\d+)$`)

// uploadWhat says what an upload did: its mode, what a rollback restored, what an undo undid.
func uploadWhat(u persist.Upload) string {
	s := u.Mode
	if u.Mode == persist.ModeRollback && u.RollbackTo != nil {
		s = fmt.Sprintf("restore as after %d", *u.RollbackTo)
		if m := undoNote.FindStringSubmatch(u.Note); m != nil {
			s = fmt.Sprintf("undo of %s (restore as after %d)", m[1], *u.RollbackTo)
		}
	}
	if u.DryRun {
		s += " (dry run)"
	}
	return s
}

func runUploadsShow(ctx context.Context, io stdio, args []string) error {
	fs, r, asJSON := uploadsFlags(io, "show", "[--json] ID", "Shows one upload: who, when, mode, counts and the validator's warnings.")
	id, err := uploadsID(fs, io, r, args)
	if err != nil {
		return err
	}
	body, err := r.call(ctx, io.Stderr, http.MethodGet, "api/v1/uploads/"+id, nil)
	if err != nil || *asJSON {
		return jsonOr(io.Stdout, body, err)
	}
	var u persist.Upload
	if err := json.Unmarshal(body, &u); err != nil {
		return fmt.Errorf("uploads show: the server's answer: %w", err)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 0, 2, ' ', 0)
	token := u.TokenID
	if token == "" {
		token = "(none: seeded by the server)"
	}
	for _, kv := range [][2]string{
		{"upload", strconv.FormatInt(u.ID, 10)},
		{"kind", u.Kind}, {"carrier", u.Carrier},
		{"what", uploadWhat(u)},
		{"created", u.CreatedAt.UTC().Format(time.RFC3339)},
		{"token", token},
		{"rows sent", strconv.Itoa(u.Rows)},
		{"added / changed / removed", fmt.Sprintf("%d / %d / %d", u.Added, u.Modified, u.Removed)},
		{"in the list afterwards", strconv.Itoa(u.Total)},
		{"note", u.Note},
		{"warnings", strconv.Itoa(len(u.Warnings))},
	} {
		if kv[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, w := range u.Warnings {
		fmt.Fprintf(io.Stdout, "  %s\n", w)
	}
	return nil
}

func runUploadsDiff(ctx context.Context, io stdio, args []string) error {
	fs, r, asJSON := uploadsFlags(io, "diff", "[--json] ID",
		"Shows what an applied upload changed: + added, ~ changed (each field old → new), - removed.")
	id, err := uploadsID(fs, io, r, args)
	if err != nil {
		return err
	}
	body, err := r.call(ctx, io.Stderr, http.MethodGet, "api/v1/uploads/"+id+"/diff", nil)
	if err != nil || *asJSON {
		return jsonOr(io.Stdout, body, err)
	}
	rec, err := r.call(ctx, io.Stderr, http.MethodGet, "api/v1/uploads/"+id, nil)
	if err != nil {
		return err
	}
	var u persist.Upload
	if err := json.Unmarshal(rec, &u); err != nil {
		return fmt.Errorf("uploads diff: the server's answer: %w", err)
	}
	switch u.Kind {
	case persist.FibreKind().Name:
		return printDiff(io.Stdout, body, persist.FibreKind())
	case persist.SiteKind().Name:
		return printDiff(io.Stdout, body, persist.SiteKind())
	}
	return jsonOr(io.Stdout, body, nil) // a kind this client does not know: as the server says it
}

// printDiff writes a diff of kind k (the JSON of persist.Diff[T]) one item a line.
func printDiff[T any](w io.Writer, body []byte, k persist.Kind[T]) error {
	var d persist.Diff[T]
	if err := json.Unmarshal(body, &d); err != nil {
		return fmt.Errorf("uploads diff: the server's answer: %w", err)
	}
	for i := range d.Added {
		fmt.Fprintf(w, "+ %s\n", k.ID(&d.Added[i]))
	}
	for i := range d.Changed {
		c := &d.Changed[i]
		fmt.Fprintf(w, "~ %s  %s\n", k.ID(&c.After), strings.Join(fieldChanges(c.Before, c.After), "; "))
	}
	for i := range d.Removed {
		fmt.Fprintf(w, "- %s\n", k.ID(&d.Removed[i]))
	}
	_, err := fmt.Fprintf(w, "%d added, %d changed, %d removed\n", len(d.Added), len(d.Changed), len(d.Removed))
	return err
}

// fieldChanges lists the JSON fields that differ between before and after, as
// "path old → new" in path order ("height_m 30 → 35", "sectors.1.tilt_deg 4 → 6").
func fieldChanges(before, after any) []string {
	b, a := flatJSON(before), flatJSON(after)
	var paths []string
	for p := range b {
		paths = append(paths, p)
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []string
	for _, p := range paths {
		if b[p] != a[p] {
			out = append(out, fmt.Sprintf("%s %s → %s", p, orNone(b[p]), orNone(a[p])))
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// flatJSON flattens v's JSON form into dotted paths → JSON scalars.
func flatJSON(v any) map[string]string {
	raw, err := json.Marshal(v)
	out := map[string]string{}
	if err != nil {
		return out
	}
	var tree any
	if json.Unmarshal(raw, &tree) != nil {
		return out
	}
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "." + k
		}
		switch x := x.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(k), e)
			}
		case []any:
			for i, e := range x {
				walk(join(strconv.Itoa(i)), e)
			}
		default:
			b, _ := json.Marshal(x)
			out[prefix] = string(b)
		}
	}
	walk("", tree)
	return out
}

func runUploadsRollback(ctx context.Context, io stdio, args []string) error {
	return restoreUpload(ctx, io, args, "rollback", "[--dry-run] [--json] ID",
		"Restores the list as it was right after upload ID: it becomes the carrier's current list again,\n"+
			"recorded as a new upload (mode rollback); nothing is deleted from the history.")
}

func runUploadsUndo(ctx context.Context, io stdio, args []string) error {
	return restoreUpload(ctx, io, args, "undo", "[--dry-run] [--json] ID",
		"Undoes upload ID, the carrier's latest: the list becomes what it was right before it (right\n"+
			"after the carrier's previous upload), recorded as a new upload noted \"undo of upload ID\". To go\n"+
			"further back, use rollback.")
}

// restoreUpload runs `uploads rollback` or `uploads undo`: POST /api/v1/uploads/ID/<name>; it
// prints the server's one-line summary (or its JSON report) on stdout.
func restoreUpload(ctx context.Context, io stdio, args []string, name, synopsis, about string) error {
	fs, r, asJSON := uploadsFlags(io, name, synopsis, about)
	dryRun := fs.Bool("dry-run", false, "preview: report what would change, change nothing (recorded for the audit)")
	id, err := uploadsID(fs, io, r, args)
	if err != nil {
		return err
	}
	body, err := r.call(ctx, io.Stderr, http.MethodPost, "api/v1/uploads/"+id+"/"+name, url.Values{"dry_run": {strconv.FormatBool(*dryRun)}})
	if err != nil || *asJSON {
		return jsonOr(io.Stdout, body, err)
	}
	var rep struct {
		Summary string `json:"summary"`
	}
	if err := json.Unmarshal(body, &rep); err != nil || rep.Summary == "" {
		return writeJSONIndented(io.Stdout, body)
	}
	_, err = fmt.Fprintln(io.Stdout, rep.Summary)
	return err
}

// jsonOr writes body indented when err is nil, and returns err.
func jsonOr(w io.Writer, body []byte, err error) error {
	if err != nil {
		return err
	}
	return writeJSONIndented(w, body)
}
