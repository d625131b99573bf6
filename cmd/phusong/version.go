package main

import (
	"context"
	"encoding/json"
	"fmt"

	"phusong/server/app"
)

// runVersion prints the build stamped into the binary: one line, or with --json the fields
// /healthz and /api/v1/info answer under "build".
func runVersion(_ context.Context, io stdio, args []string) error {
	fs := newFlags(io.Stderr, "version", "version [--json]",
		"Prints the module version, the VCS revision and commit time, whether the work tree was modified\n"+
			"(a dirty build) and the Go version, as go build stamped them (runtime/debug.ReadBuildInfo).")
	asJSON := fs.Bool("json", false, "print a JSON object instead of a line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b := app.ReadBuildInfo()
	if *asJSON {
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	_, err := fmt.Fprintln(io.Stdout, b)
	return err
}
