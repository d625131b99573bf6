package persist

import (
	"context"
	"errors"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data/fibre"
)

// A fibre upload is one version of an operator's routes and access points, diffed, rolled
// back and kept apart from its site list and from other operators.
func TestFibreVersions(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		route := func(id string, lon float64) fibre.Item {
			return fibre.Item{Route: &fibre.Route{Operator: "tvcable", RouteID: id, Kind: fibre.Distribution,
				Line: orb.LineString{{lon, 9.9}, {lon + 0.01, 9.9}}}}
		}
		ap := fibre.Item{AccessPoint: &fibre.AccessPoint{Operator: "tvcable", ID: "A", Point: orb.Point{106.3, 9.9}, Ports: 8}}
		_, tvInfo, err := db.CreateToken(ctx, "tvcable", false, "cable operator")
		if err != nil {
			t.Fatal(err)
		}
		_, vtInfo, err := db.CreateToken(ctx, "viettel", false, "")
		if err != nil {
			t.Fatal(err)
		}
		store := db.Fibre()
		first, err := store.Apply(ctx, Upload{Carrier: "tvcable", TokenID: tvInfo.ID, Mode: ModeReplace, Rows: 3},
			[]fibre.Item{route("A", 106.3), route("B", 106.4), ap})
		if err != nil {
			t.Fatal(err)
		}
		if first.Kind != "fibre" || first.Added != 3 || first.Total != 3 {
			t.Fatalf("first upload %+v: want kind fibre, 3 added", first)
		}
		// Upsert: route A moves, AP A (same id as route A, another id space) stays.
		cur, _ := store.Current(ctx, "tvcable")
		next, diff, err := FibreKind().ApplyMode(cur, []fibre.Item{route("A", 106.35)}, ModeUpsert)
		if err != nil || len(diff.Changed) != 1 || diff.Changed[0].After.Key() != "route/A" || len(next) != 3 {
			t.Fatalf("upsert: %v, diff %+v, %d items", err, diff, len(next))
		}
		second, err := store.Apply(ctx, Upload{Carrier: "tvcable", TokenID: tvInfo.ID, Mode: ModeUpsert, Rows: 1}, next)
		if err != nil || second.Modified != 1 || second.Added != 0 || second.Removed != 0 {
			t.Fatalf("second upload %+v, %v", second, err)
		}
		// Another carrier's token cannot write the cable operator's fibre.
		if _, err := store.Apply(ctx, Upload{Carrier: "tvcable", TokenID: vtInfo.ID, Mode: ModeReplace, Rows: 1}, []fibre.Item{route("Z", 106.3)}); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("viettel token writing tvcable fibre: %v, want ErrUnauthorized", err)
		}
		// Rolling back to the first version restores route A's position.
		was, err := store.At(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(was) != 3 || was[1].Key() != "route/A" || was[1].Route.Line[0][0] != 106.3 {
			t.Fatalf("version %d: %+v", first.ID, was)
		}
		rb := first.ID
		back, err := store.Apply(ctx, Upload{Carrier: "tvcable", TokenID: tvInfo.ID, Mode: ModeRollback, Rows: 3, RollbackTo: &rb}, was)
		if err != nil || back.Modified != 1 {
			t.Fatalf("rollback %+v, %v", back, err)
		}
		if sites, _ := db.Sites().Current(ctx, "tvcable"); len(sites) != 0 {
			t.Errorf("fibre items leak into the site list: %d", len(sites))
		}
		ups, err := db.Uploads(ctx, UploadFilter{Kind: "fibre"})
		if err != nil || len(ups) != 3 {
			t.Errorf("fibre uploads: %d, %v", len(ups), err)
		}
	})
}
