package app

import (
	"context"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/store"
)

// BenchmarkScenarioEdit re-evaluates a scenario of one edit (a viettel site moved 300 m east)
// on the demo at 50 m with its synthetic population grid, through App.EvaluateScenario: the
// scenario read from a real database, the served state forked and updated incrementally, and
// the deltas (province and communes, pockets closed). Sub-benchmarks time the parts.
//
//	go test ./server/app -run '^$' -bench ScenarioEdit -benchtime 20x
func BenchmarkScenarioEdit(b *testing.B) {
	ctx := context.Background()
	in, _, err := Load(Sources{NoFibre: true})
	if err != nil {
		b.Fatal(err)
	}
	in.Coverage = coverage.Options{CellM: 50}
	db, err := persist.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a, err := OpenDB(ctx, db, in, nil)
	if err != nil {
		b.Fatal(err)
	}
	_, who, err := db.CreatePlannerToken(ctx, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	st := a.State()
	s := st.Snapshot.Sites(store.Filter{Carrier: "viettel"})[40]
	edits := []Edit{{Op: EditMove, Carrier: "viettel", SiteID: s.SiteID, Lon: ptr(s.Lon + 0.00274), Lat: ptr(s.Lat)}}
	sc, err := a.CreateScenario(ctx, who, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.UpdateScenario(ctx, who, sc.ID, ScenarioUpdate{Append: edits}); err != nil {
		b.Fatal(err)
	}
	b.Run("evaluate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.EvaluateScenario(ctx, who, sc.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fork+update", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, errs, err := st.withEdits(ctx, edits, nil); errs != nil || err != nil {
				b.Fatal(errs, err)
			}
		}
	})
	ns, _, _ := st.withEdits(ctx, edits, nil)
	base := a.baseline.of(st.Coverage)
	b.Run("deltas", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := scenarioDeltas(base, ns.Coverage); len(r.Province) != len(data.AnalysedTechs) {
				b.Fatal(r)
			}
		}
	})
}
