package app

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/persist"
)

// TestSeedByAnotherInstance: replicas starting together on an empty database each read the
// --sites file (it was not yet the one the database was seeded from); the one that finds the
// database seeded from that same file meanwhile says so, and does not warn that its file is not
// served — a different file still gets the warning.
func TestSeedByAnotherInstance(t *testing.T) {
	db, err := persist.Open(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	sites := []data.Site{{Carrier: "viettel", SiteID: "A1", Lon: 106.3, Lat: 9.9, HeightM: 30, Status: data.StatusActive}}
	// seed runs seedSites as a start that read a file of hash h before the database was seeded
	// (Input.SitesSeeded false) and returns its log
	seed := func(h string) string {
		var logs bytes.Buffer
		in := &Input{Sites: sites, SitesSHA256: h, SitesFile: "sites.csv"}
		if _, _, err := seedSites(ctx, db, in, map[headsKey]int64{}, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
			t.Fatal(err)
		}
		return logs.String()
	}
	const warning = "is not the one the database was seeded from"
	same, other := strings.Repeat("a", 64), strings.Repeat("b", 64)
	if first := seed(same); !strings.Contains(first, "database seeded") {
		t.Fatalf("the first start did not seed: %s", first)
	}
	if second := seed(same); strings.Contains(second, warning) || !strings.Contains(second, "another instance seeded") {
		t.Errorf("a start with the file the database was seeded from meanwhile logged:\n%s", second)
	}
	if third := seed(other); !strings.Contains(third, warning) {
		t.Errorf("a start with another file did not warn:\n%s", third)
	}
}
