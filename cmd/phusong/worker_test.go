package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/server/app"
)

// TestWorker: regions queued on a data directory's database (as serve queues them) are computed
// by `phusong worker` given the same inputs (the demo's communes, --cell-m, --region-cells),
// which then finds none left; a server's assembly afterwards finds every region stored.
func TestWorker(t *testing.T) {
	dir := t.TempDir()
	db, err := persist.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	in, _, err := app.Load(app.Sources{Population: app.PopulationNone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Sites().SeedIfEmpty(ctx, in.Sites, in.Note); err != nil {
		t.Fatal(err)
	}
	heads, err := db.Sites().Heads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	version := persist.DataVersion(heads)
	in.Coverage, in.RegionCells = coverage.Options{CellM: 200}, 48*48
	r, err := app.NewRegions(db, in, "server", nil)
	if err != nil {
		t.Fatal(err)
	}
	queued, err := r.Enqueue(ctx, version, in.Sites)
	if err != nil || queued != r.Len() {
		t.Fatalf("queued %d (%v), want %d", queued, err, r.Len())
	}
	args := []string{"worker", "--data-dir", dir, "--cell-m", "200", "--region-cells", "2304", "--name", "w", "--log-level", "warn"}
	io, out, errb := demoStdio()
	if err := run(ctx, args, io); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, errb)
	}
	if want := fmt.Sprintf("phusong worker: %d regions computed", r.Len()); !strings.Contains(out.String(), want) {
		t.Errorf("stdout %q, want %q", out, want)
	}
	io, out, _ = demoStdio()
	if err := run(ctx, args, io); err != nil || !strings.Contains(out.String(), "0 regions computed") {
		t.Errorf("again: %v, %q: want 0 regions computed", err, out)
	}
	_, _, rep, err := r.Assemble(ctx, version, in.Sites)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stored != r.Len() || rep.Computed != 0 {
		t.Errorf("assembling after the worker: %+v, want every region stored", rep)
	}
}
