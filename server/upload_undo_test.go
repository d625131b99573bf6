package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"phusong/data/persist"
)

// TestUndoAndRollbackWording: POST /api/v1/uploads/:id/undo makes a carrier's list what it was
// right before its latest upload, as a new rollback upload noted "undo of upload :id"; undoing
// the undo brings the upload back; only the latest upload can be undone (409 naming the one
// that replaced it), never a carrier's first list or a dry run; a dry run previews. Every
// answer's summary says what was restored.
func TestUndoAndRollbackWording(t *testing.T) {
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	seedIDs, _ := siteIDsOf(t, e.ts.URL, "viettel")
	seeds := decode[uploadsBody](t, e.call(t, "GET", "/api/v1/uploads?carrier=viettel", e.tok["viettel"], nil)).Uploads
	seed := seeds[len(seeds)-1]
	undo := func(id int64, query string) reply {
		return e.call(t, "POST", fmt.Sprintf("/api/v1/uploads/%d/undo%s", id, query), e.tok["viettel"], nil)
	}

	// The seed is viettel's first list: nothing before it.
	if r := undo(seed.ID, ""); r.status != http.StatusConflict || !strings.Contains(decode[errorBody](t, r).Error, "first") {
		t.Fatalf("undo of the seed: %d %s", r.status, r.body)
	}

	// An upload, then its undo (previewed first).
	mine := genSites("viettel", 7, 5)
	up := decode[uploadReply](t, e.uploadCSV(t, "viettel", "replace", false, sitesCSV(t, mine)))
	if ids, _ := siteIDsOf(t, e.ts.URL, "viettel"); !slices.Equal(ids, idsOf(mine)) {
		t.Fatalf("after the upload: %d sites", len(ids))
	}
	dry := decode[uploadReply](t, undo(up.Upload.ID, "?dry_run=true"))
	if !dry.Upload.DryRun || !strings.HasPrefix(dry.Summary, "Preview, nothing changed") {
		t.Fatalf("dry undo: %+v %q", dry.Upload, dry.Summary)
	}
	if ids, _ := siteIDsOf(t, e.ts.URL, "viettel"); !slices.Equal(ids, idsOf(mine)) {
		t.Fatal("a dry-run undo changed the list")
	}
	r := undo(up.Upload.ID, "")
	if r.status != 200 {
		t.Fatalf("undo: %d %s", r.status, r.body)
	}
	un := decode[uploadReply](t, r)
	if un.Upload.Mode != persist.ModeRollback || un.Upload.RollbackTo == nil || *un.Upload.RollbackTo != seed.ID ||
		un.Upload.Note != fmt.Sprintf("undo of upload %d", up.Upload.ID) || un.Upload.Removed != len(mine) || un.Upload.Added != len(seedIDs) {
		t.Fatalf("undo record %+v", un.Upload)
	}
	wantSummary := fmt.Sprintf("Upload %d: undo upload %d: viettel's station list back as it was right before it, that is right after upload %d (",
		un.Upload.ID, up.Upload.ID, seed.ID)
	if !strings.HasPrefix(un.Summary, wantSummary) {
		t.Fatalf("undo summary %q, want it to start %q", un.Summary, wantSummary)
	}
	if ids, _ := siteIDsOf(t, e.ts.URL, "viettel"); !slices.Equal(ids, seedIDs) {
		t.Fatalf("after the undo: %d sites, want the seed's %d", len(ids), len(seedIDs))
	}

	// The upload is no longer the latest: 409 naming the undo.
	r = undo(up.Upload.ID, "")
	if eb := decode[errorBody](t, r); r.status != http.StatusConflict || !strings.Contains(eb.Error, fmt.Sprintf("upload %d replaced it", un.Upload.ID)) {
		t.Fatalf("second undo of %d: %d %+v", up.Upload.ID, r.status, eb)
	}
	// Undoing the undo brings the upload back.
	redo := decode[uploadReply](t, undo(un.Upload.ID, ""))
	if ids, _ := siteIDsOf(t, e.ts.URL, "viettel"); !slices.Equal(ids, idsOf(mine)) || *redo.Upload.RollbackTo != up.Upload.ID {
		t.Fatalf("after undoing the undo: %d sites, rollback_to %v", len(ids), redo.Upload.RollbackTo)
	}

	// Rollback says what it restores.
	rb := decode[uploadReply](t, e.call(t, "POST", fmt.Sprintf("/api/v1/uploads/%d/rollback", seed.ID), e.tok["viettel"], nil))
	if want := fmt.Sprintf("rollback: viettel's station list restored as it was right after upload %d", seed.ID); !strings.Contains(rb.Summary, want) {
		t.Fatalf("rollback summary %q lacks %q", rb.Summary, want)
	}

	// Refused: a dry run, another carrier's upload, an unknown one; an admin may undo.
	for _, c := range []struct {
		name   string
		id     int64
		token  string
		status int
	}{
		{"a dry run", dry.Upload.ID, e.tok["viettel"], http.StatusConflict},
		{"another carrier's token", rb.Upload.ID, e.tok["mobifone"], http.StatusNotFound}, // as an unknown upload
		{"unknown", 999999, e.tok["viettel"], http.StatusNotFound},
		{"no token", rb.Upload.ID, "", http.StatusUnauthorized},
		{"admin", rb.Upload.ID, e.tok["admin"], http.StatusOK},
	} {
		if r := e.call(t, "POST", fmt.Sprintf("/api/v1/uploads/%d/undo", c.id), c.token, nil); r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
		}
	}
	if ids, _ := siteIDsOf(t, e.ts.URL, "viettel"); !slices.Equal(ids, idsOf(mine)) {
		t.Fatalf("after the admin undid the rollback: %d sites, want the upload's %d", len(ids), len(mine))
	}
}
