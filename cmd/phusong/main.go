// Command phusong maps mobile and fibre coverage for a province and shows where the gaps are.
//
// Usage: phusong <command> [flags]; run "phusong help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// stdio is what a command may touch of the outside world; tests pass buffers.
type stdio struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, io stdio, args []string) error
}

// commands is the whole command table.
var commands = map[string]command{
	"pathloss":     {"path loss for CSV rows on stdin (freq_mhz,tx_h_m,rx_h_m,dist_km)", runPathloss},
	"demo-data":    {"regenerate the embedded schematic demo province (synthetic stations)", runDemoData},
	"export":       {"export layers, e.g. per-sector footprints: export footprints --tech 4G", runExport},
	"report":       {"per-commune 3G/4G coverage and gaps (table, csv, json; --out DIR for GeoJSON layers)", runReport},
	"serve":        {"HTTP API and web map", runServe},
	"token":        {"create, list or revoke upload tokens in the data dir's database", runToken},
	"upload":       {"send a carrier's station file (CSV/GeoJSON) to a phusong server", runUpload},
	"uploads":      {"list, show, diff a server's uploads; rollback (restore as after upload N) or undo upload N", runUploads},
	"version":      {"print the version, VCS revision and build time stamped into this binary", runVersion},
	"measurements": {"import drive tests into the data dir, compare them with the predictions, make synthetic ones", runMeasurements},
	"calibrate":    {"fit the path-loss corrections on the stored measurements; --out FILE writes the definition", runCalibrate},
	"worker":       {"compute the regions a server queued (serve --regions) and store their results in the database", runWorker},
	"plan":         {"suggest new sites that cover the most uncovered people: plan suggest --carrier ID|any --tech 4G --count N", runPlan},
}

// errUsage marks an error whose message is already a usage text.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr, os.Getenv})
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "phusong:", err)
		}
		os.Exit(1)
	}
}

// run runs the command args name. A command's --help (flag.ErrHelp) prints its usage on
// io.Stderr and is a success.
func run(ctx context.Context, args []string, io stdio) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = []string{"version"}
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.Stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(io.Stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
	if err := c.run(ctx, io, args[1:]); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "phusong: mobile and fibre coverage for a province (default: schematic Trà Vinh demo, synthetic stations)")
	fmt.Fprintln(w, "\nUsage: phusong <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// runSubcommand runs the subcommand args[0] of command name from subs; without one, or with
// -h/--help/help, it prints usage on stderr (errUsage without arguments, success for help).
func runSubcommand(ctx context.Context, io stdio, args []string, name string, subs map[string]func(context.Context, stdio, []string) error, usage func(io.Writer)) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(io.Stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub := subs[args[0]]
	if sub == nil {
		usage(io.Stderr)
		return fmt.Errorf("%s: unknown subcommand %q", name, args[0])
	}
	return sub(ctx, io, args[1:])
}

// newFlags returns the flag set of `phusong <name>`: its messages go to stderr, and its help
// (-h, --help) is "Usage: phusong <synopsis>", the paragraph about (may be ""), then every flag.
func newFlags(stderr io.Writer, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: phusong %s\n", synopsis)
		if about != "" {
			fmt.Fprintf(stderr, "\n%s\n", about)
		}
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs, which allows no positional argument: flag.ErrHelp for -h,
// errUsage (the flag package has said why on stderr) for anything else wrong.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), pos[0])
		return errUsage
	}
	return nil
}
