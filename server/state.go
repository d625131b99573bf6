package server

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/data/store"
)

// Input is what Build needs to compute a first State.
type Input struct {
	Communes   []data.Commune
	Sites      []data.Site
	Definition *coverage.Definition // nil = data.DefaultDefinition()
	Carriers   []data.Carrier       // display list; nil = data.DefaultCarriers()
	Note       string               // non-empty for synthetic demo stations (shown on the map)
	Coverage   coverage.Options     // grid cell, workers, progress

	Fibre        *fibre.Network // operators' fibre routes and access points; nil = none
	FibreNote    string         // non-empty for a synthetic fibre network
	FibreOptions fibre.Options  // drop distance, feeder reach
}

// Build makes the engine over in.Communes, loads in.Sites into a new store (one
// ReplaceCarrier per carrier), computes the full coverage of that snapshot and the reach of
// in.Fibre on the engine's land (State.WithFibre). The returned State keeps the engine and the
// store, so a later change can be applied and recomputed incrementally (Engine.Update) and
// swapped in with Server.SetState.
func Build(ctx context.Context, in Input) (*State, error) {
	def := in.Definition
	if def == nil {
		def = coverage.DefaultDefinition()
	}
	carriers := in.Carriers
	if carriers == nil {
		carriers = data.DefaultCarriers()
	}
	eng, err := coverage.New(in.Communes, def, in.Coverage)
	if err != nil {
		return nil, fmt.Errorf("server: coverage engine: %w", err)
	}
	sites := store.New(eng.Reach)
	byCarrier := map[string][]data.Site{}
	for _, s := range in.Sites {
		byCarrier[s.Carrier] = append(byCarrier[s.Carrier], s)
	}
	ids := make([]string, 0, len(byCarrier))
	for id := range byCarrier {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, cmp.Compare)
	for _, id := range ids {
		if _, err := sites.ReplaceCarrier(id, byCarrier[id]); err != nil {
			return nil, fmt.Errorf("server: loading %s sites: %w", id, err)
		}
	}
	snap := sites.Snapshot()
	res, err := eng.Compute(ctx, snap)
	if err != nil {
		return nil, fmt.Errorf("server: computing coverage: %w", err)
	}
	st := &State{
		Snapshot: snap, Coverage: res, Communes: eng.Communes(), Carriers: carriers,
		Definition: def, Note: in.Note, Engine: eng, Store: sites,
	}
	return st.WithFibre(in.Fibre, in.FibreNote, in.FibreOptions)
}
