package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"phusong/data"
	"phusong/data/persist"
)

// defaultDataDir is the token command's --data-dir default, the same as serve's.
const defaultDataDir = "./phusong-data"

// runToken manages upload tokens in <data-dir>/phusong.db; it works while a server runs on the
// same data dir. Subcommands: create (prints the token once on stdout), list, revoke.
func runToken(ctx context.Context, io stdio, args []string) error {
	err := runSubcommand(ctx, io, args, "token", map[string]func(context.Context, stdio, []string) error{
		"create": runTokenCreate, "list": runTokenList, "revoke": runTokenRevoke,
	}, tokenUsage)
	if errors.Is(err, flag.ErrHelp) { // run does this for the whole command line; tests call runToken
		return nil
	}
	return err
}

func tokenUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage:
  phusong token create --carrier ID [--note TEXT] [--data-dir DIR | --db URL]   a token that may upload ID's data
  phusong token create --admin [--note TEXT] [--data-dir DIR | --db URL]        a token that manages carriers and tokens
  phusong token create --planner NAME [--note TEXT] [--data-dir DIR | --db URL] a token that reads everything and manages scenarios
  phusong token list [--json] [--data-dir DIR | --db URL]
  phusong token revoke [--data-dir DIR | --db URL] ID                           ID as listed (or phs_ID)

A new token is printed once, on stdout; only its hash is stored. Keep it secret; send it as
"Authorization: Bearer <token>" (phusong upload --token, or PHUSONG_TOKEN).`)
}

// parseArgs parses args with fs, accepting flags after positional arguments too
// ("revoke ID --data-dir d"), and returns the positional arguments. -h gives flag.ErrHelp,
// other flag errors (already printed by fs) errUsage.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// tokenFlags returns the flag set of subcommand name with its --data-dir and --db flags.
func tokenFlags(name, synopsis, about string, io stdio) (*flag.FlagSet, *dbFlags) {
	fs := newFlags(io.Stderr, "token "+name, "token "+name+" "+synopsis, about)
	d := &dbFlags{}
	d.add(fs, "the server's data directory")
	return fs, d
}

// tokenArgs parses args with fs and requires exactly npos positional arguments; -h gives
// flag.ErrHelp.
func tokenArgs(fs *flag.FlagSet, args []string, npos int) ([]string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != npos {
		fmt.Fprintf(fs.Output(), "%s: want %d arguments, got %d %q (see phusong token -h)\n", fs.Name(), npos, len(pos), pos)
		return nil, errUsage
	}
	return pos, nil
}

func runTokenCreate(ctx context.Context, io stdio, args []string) error {
	fs, where := tokenFlags("create", "--carrier ID | --admin | --planner NAME [--note TEXT] [--data-dir DIR | --db URL]",
		"Creates a token (a carrier's, which uploads that carrier's lists; an admin's; or a planner's, which reads\n"+
			"everything and manages scenarios) and prints it once on stdout; only its hash is stored.", io)
	carrier := fs.String("carrier", "", "carrier id the token may write, e.g. viettel")
	admin := fs.Bool("admin", false, "an admin token (manages carriers and tokens; no --carrier)")
	planner := fs.String("planner", "", "a planner token for planner NAME (reads everything, manages scenarios, publishes nothing)")
	note := fs.String("note", "", "free text kept with the token, e.g. who holds it")
	if _, err := tokenArgs(fs, args, 0); err != nil {
		return err
	}
	roles := 0
	for _, set := range []bool{*admin, *carrier != "", *planner != ""} {
		if set {
			roles++
		}
	}
	if roles != 1 {
		return errors.New("token create: give one of --carrier ID, --admin or --planner NAME")
	}
	if *carrier != "" && !slices.ContainsFunc(data.DefaultCarriers(), func(c data.Carrier) bool { return c.ID == *carrier }) {
		fmt.Fprintf(io.Stderr, "note: %q is not one of the default mobile carriers (fine for a fibre or cable operator)\n", *carrier)
	}
	db, err := where.open(ctx, io, persist.Options{})
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	defer db.Close()
	create := func() (string, persist.TokenInfo, error) { return db.CreateToken(ctx, *carrier, *admin, *note) }
	if *planner != "" {
		create = func() (string, persist.TokenInfo, error) { return db.CreatePlannerToken(ctx, *planner, *note) }
	}
	tok, info, err := create()
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	what := "carrier token for " + info.Carrier
	switch {
	case info.Admin:
		what = "admin token"
	case info.Planner != "":
		what = "planner token for " + info.Planner
	}
	fmt.Fprintf(io.Stderr, "created %s %s in %s; it is shown only this once:\n", what, info.Prefix(), db.Path())
	_, err = fmt.Fprintln(io.Stdout, tok)
	return err
}

func runTokenList(ctx context.Context, io stdio, args []string) error {
	fs, where := tokenFlags("list", "[--json] [--data-dir DIR | --db URL]", "Lists the tokens (never their secrets).", io)
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	if _, err := tokenArgs(fs, args, 0); err != nil {
		return err
	}
	db, err := where.openExisting(ctx, io)
	if err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	defer db.Close()
	tokens, err := db.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tokens)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tCARRIER\tCREATED\tREVOKED\tNOTE")
	for _, t := range tokens {
		carrier, revoked := t.Carrier, "-"
		switch {
		case t.Admin:
			carrier = "(admin)"
		case t.Planner != "":
			carrier = "(planner " + t.Planner + ")"
		}
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.Format(time.RFC3339)
		}
		note := t.Note
		if strings.ContainsFunc(note, unicode.IsControl) {
			note = strconv.Quote(note) // a tab or newline would break the table
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Prefix(), carrier, t.CreatedAt.Format(time.RFC3339), revoked, note)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, io stdio, args []string) error {
	fs, where := tokenFlags("revoke", "[--data-dir DIR | --db URL] ID", "Revokes token ID (as listed, or phs_ID); uploads with it stop at once.", io)
	pos, err := tokenArgs(fs, args, 1)
	if err != nil {
		return err
	}
	db, err := where.openExisting(ctx, io)
	if err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	defer db.Close()
	if err := db.RevokeToken(ctx, pos[0]); err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	_, err = fmt.Fprintf(io.Stdout, "revoked %s\n", pos[0])
	return err
}
