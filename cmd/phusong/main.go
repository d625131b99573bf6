// Command phusong maps mobile and fibre coverage for a province and shows where the gaps are.
//
// Usage: phusong <command> [flags]; run "phusong help" for the list.
package main

import (
	"context"
	"errors"
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
	"plan":      {"suggest new sites that cover the most uncovered people: plan suggest --carrier ID|any --tech 4G --count N", runPlan},
	"pathloss":  {"path loss for CSV rows on stdin (freq_mhz,tx_h_m,rx_h_m,dist_km)", runPathloss},
	"demo-data": {"regenerate the embedded schematic demo province (synthetic stations)", runDemoData},
	"export":    {"export layers, e.g. per-sector footprints: export footprints --tech 4G", runExport},
	"report":    {"per-commune 3G/4G coverage and gaps (table, csv, json; --out DIR for GeoJSON layers)", runReport},
	"serve":     {"HTTP API and web map", runServe},
	"token":     {"create, list or revoke upload tokens in the data dir's database", runToken},
	"upload":    {"send a carrier's station file (CSV/GeoJSON) to a phusong server", runUpload},
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

func run(ctx context.Context, args []string, io stdio) error {
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
	return c.run(ctx, io, args[1:])
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
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
