package persist

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"phusong/data"
)

// TestPlannerToken: a planner token authenticates as the planner, lists as one, and the store
// refuses an upload made with it even for a carrier spelled like the planner's name.
func TestPlannerToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		plain, info, err := db.CreatePlannerToken(ctx, "viettel", "a planner whose name is a carrier's")
		if err != nil {
			t.Fatal(err)
		}
		if info.Planner != "viettel" || info.Carrier != "" || info.Admin {
			t.Fatalf("created %+v", info)
		}
		got, err := db.Authenticate(ctx, plain)
		if err != nil || got.Planner != "viettel" || got.Carrier != "" {
			t.Fatalf("authenticated %+v, %v", got, err)
		}
		list, err := db.ListTokens(ctx)
		if err != nil || len(list) != 1 || list[0].Planner != "viettel" {
			t.Fatalf("listed %+v, %v", list, err)
		}
		_, err = db.Sites().Apply(ctx, Upload{Carrier: "viettel", TokenID: info.ID, Mode: ModeReplace, Rows: 1},
			[]data.Site{site("viettel", "A1", 30)})
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("upload with a planner token: %v, want ErrUnauthorized", err)
		}
		if _, _, err := db.CreatePlannerToken(ctx, "Bad Name", ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad planner name: %v", err)
		}
	})
}

func TestScenarioStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, err := db.LastSiteUpload(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Sites().Apply(ctx, Upload{Carrier: "viettel", Mode: ModeReplace, Rows: 1}, []data.Site{site("viettel", "A1", 30)}); err != nil {
			t.Fatal(err)
		}
		base, err := db.LastSiteUpload(ctx)
		if err != nil || base == 0 {
			t.Fatalf("last upload %d, %v", base, err)
		}
		s, err := db.CreateScenario(ctx, Scenario{Name: "north", OwnerKind: OwnerCarrier, Owner: "viettel", BaseUpload: base, Edits: json.RawMessage(`[]`)})
		if err != nil || s.ID == 0 || s.Revision != 1 {
			t.Fatalf("created %+v, %v", s, err)
		}
		s.Edits = json.RawMessage(`[{"op":"remove"}]`)
		s2, err := db.UpdateScenario(ctx, s)
		if err != nil || s2.Revision != 2 {
			t.Fatalf("updated %+v, %v", s2, err)
		}
		if _, err := db.UpdateScenario(ctx, s); !errors.Is(err, ErrConflict) {
			t.Fatalf("stale revision: %v, want ErrConflict", err)
		}
		got, err := db.Scenario(ctx, s.ID)
		if err != nil || string(got.Edits) != `[{"op":"remove"}]` || got.Revision != 2 {
			t.Fatalf("read %+v, %v", got, err)
		}
		list, err := db.Scenarios(ctx, OwnerCarrier, "viettel")
		if err != nil || len(list) != 1 {
			t.Fatalf("list %+v, %v", list, err)
		}
		if other, _ := db.Scenarios(ctx, OwnerPlanner, "viettel"); len(other) != 0 {
			t.Fatalf("a planner of the same name sees %+v", other)
		}
		if err := db.DeleteScenario(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Scenario(ctx, s.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted scenario: %v", err)
		}
		if _, err := db.CreateScenario(ctx, Scenario{Name: "", OwnerKind: OwnerCarrier, Owner: "x", Edits: json.RawMessage(`[]`)}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("empty name: %v", err)
		}
	})
}
