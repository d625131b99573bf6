package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/data/population"
	"phusong/data/store"

	"github.com/paulmach/orb"
)

// Input is what Build needs to compute a first State.
type Input struct {
	Communes   []data.Commune
	Sites      []data.Site
	Definition *coverage.Definition // nil = coverage.DefaultDefinition()
	Carriers   []data.Carrier       // display list; nil = data.DefaultCarriers()
	Note       string               // non-empty for synthetic demo stations or schematic communes (shown on the map)
	Coverage   coverage.Options     // grid cell, workers, progress
	// Engine, when not nil, is an engine already built over Communes with Definition and
	// Coverage (whose fields are then not used): Build reuses it instead of making one.
	Engine *coverage.Engine
	// Computed, when not nil, is a State already built with Engine (a replica or a restart
	// on the same inputs): Build serves its coverage instead of computing it again when the new
	// store holds exactly Computed's sites at its version, and computes it otherwise (see reuse).
	Computed *State

	Fibre        *fibre.Network // operators' fibre routes and access points; nil = none
	FibreNote    string         // non-empty for a synthetic fibre network
	FibreOptions fibre.Options  // drop distance, feeder reach

	// MinVersion, when the state replaces a served one (another definition), is that state's
	// data version: the new store's versions start above it, so versions keep increasing.
	MinVersion uint64
	// Population places people on the land (nil: each commune's census spread uniformly) with
	// PopulationMode; Build passes them to the engine it makes (coverage.Options.Population).
	Population     *population.Source
	PopulationMode population.Mode
	// RegionCells > 0 computes the coverage region by region, at most that many grid cells a
	// region (coverage.ServeRegions): a country in bounded memory. The State then serves the
	// statistics and the map's polygons but no levels (see Build).
	RegionCells int

	// SitesFile is the station-list file Sites were read from ("" = none, the demo's);
	// SitesSHA256 its SeedHash when Load was given Sources.Seeded (recorded when the file seeds
	// an empty database), and SitesSeeded says the file was not read because the database was
	// seeded from it (Sites is then nil: the database's lists are served).
	SitesFile, SitesSHA256 string
	SitesSeeded            bool
}

// State is one consistent dataset: a site snapshot, the coverage computed from it, the
// communes, the fibre network and its reach. A State is never modified once built: a change
// makes a new one (WithSites, WithFibre) and App.Publish swaps it in.
type State struct {
	Snapshot   *store.Snapshot  // the sites
	Coverage   *coverage.Result // computed from Snapshot with Definition over Communes
	Communes   []data.Commune
	Area       orb.Bound      // where station and fibre positions may lie: data.AreaOf(Communes)
	Carriers   []data.Carrier // carriers to list, in display order
	Definition *coverage.Definition
	Note       string // non-empty when the data is synthetic or schematic demo data; shown on the map

	// Engine and Store produced Coverage and Snapshot; WithSites forks Store, applies a change
	// and recomputes incrementally with Engine.Update. Either may be nil for a read-only state.
	Engine *coverage.Engine
	Store  *store.Store
	// Regions says how the coverage was cut when it was computed region by region
	// (Input.RegionCells); nil for a whole engine.
	Regions *coverage.RegionReport

	// Fibre is the operators' fibre network and FibreReach its reach on Engine's land, computed
	// with FibreOptions; FibreNote is non-empty when the network is synthetic demo data. A nil
	// FibreReach serves no fibre (empty layers, zero figures).
	Fibre        *fibre.Network
	FibreReach   *fibre.Reach
	FibreNote    string
	FibreOptions fibre.Options

	answers *storedAnswers // rendered coverage layers of Coverage in the database (answers.go); nil: none
}

// PopulationNote is the note of the population grid the state's people come from when it is
// synthetic (the demo's), "" otherwise.
func (st *State) PopulationNote() string {
	if st.Engine == nil || st.Engine.Population() == nil {
		return ""
	}
	return st.Engine.Population().Note
}

// PeopleNote is the note of outputs whose figures count people (the report, the communes,
// gaps and pockets): the state's note and, when the population grid is synthetic, its note
// (each once); "" on real data.
func (st *State) PeopleNote() string {
	pn := st.PopulationNote()
	switch {
	case pn == "" || strings.Contains(st.Note, pn):
		return st.Note
	case st.Note == "":
		return pn
	}
	return st.Note + " " + pn
}

// ErrNoState: a State without sites, coverage or communes was given to serve.
var ErrNoState = errors.New("app: state needs a Snapshot, a Coverage result and communes")

// ErrReadOnly: the served state has no engine or store, so it cannot be changed.
var ErrReadOnly = errors.New("app: the served data is read-only (no engine or store)")

// check reports a State that cannot be served.
func (st *State) check() error {
	if st == nil || st.Snapshot == nil || st.Coverage == nil || len(st.Communes) == 0 {
		return ErrNoState
	}
	return nil
}

// Build makes the engine over in.Communes, loads in.Sites into a new store (one
// ReplaceCarrier per carrier, in carrier id order), computes the full coverage of that
// snapshot and, when in.Fibre is not nil, the reach of in.Fibre on the engine's land.
//
// With in.RegionCells > 0 the coverage is computed region by region (coverage.ServeRegions):
// the State has a store and snapshot of the sites, the statistics and the map's polygons
// (contoured region by region on first request), answers the levels at a point, finds the
// dead-zone pockets region by region (the whole engine's, pocket.Find), measures in.Fibre's
// reach region by region (WithFibre: the whole engine's figures), sums the H3 hexagons region by
// region (hex.Summarise) and predicts at points for the signal reports and the measurements
// (Coverage.LevelsAtPoints, Coverage.NewPredictor: the whole engine's levels), but has no
// Engine, so the population image, scenarios and serving a calibration answer ErrRegional;
// WithSites recomputes the regions a change touches. in.Engine and a population grid are
// refused then (ErrRegions).
func Build(ctx context.Context, in Input) (*State, error) {
	def, carriers := in.defaults()
	if in.RegionCells > 0 {
		return buildRegional(ctx, in, def, carriers)
	}
	eng := in.Engine
	if eng == nil {
		opts := in.Coverage
		opts.Population, opts.PopulationMode = in.Population, in.PopulationMode
		var err error
		if eng, err = coverage.New(in.Communes, def, opts); err != nil {
			return nil, fmt.Errorf("app: coverage engine: %w", err)
		}
	} else {
		def = eng.Definition()
	}
	sites, err := openStore(eng.Reach, in.Sites, in.MinVersion)
	if err != nil {
		return nil, err
	}
	snap := sites.Snapshot()
	res := in.Computed.reuse(eng, snap)
	if res == nil {
		res, err = eng.Compute(ctx, snap)
	}
	if err != nil {
		return nil, fmt.Errorf("app: computing coverage: %w", err)
	}
	st := &State{
		Snapshot: snap, Coverage: res, Communes: eng.Communes(), Area: data.AreaOf(eng.Communes()), Carriers: carriers,
		Definition: def, Note: in.Note, Engine: eng, Store: sites,
	}
	return st.withInputFibre(in)
}

// defaults returns in's definition and carriers, the defaults for those not given.
func (in Input) defaults() (*coverage.Definition, []data.Carrier) {
	def, carriers := in.Definition, in.Carriers
	if def == nil {
		def = coverage.DefaultDefinition()
	}
	if carriers == nil {
		carriers = data.DefaultCarriers()
	}
	return def, carriers
}

// openStore returns a new store over reach holding sites, at a version above minVersion.
func openStore(reach store.ReachFunc, sites []data.Site, minVersion uint64) (*store.Store, error) {
	st := store.New(reach)
	if err := replaceCarriers(st, byCarrier(sites, nil)); err != nil {
		return nil, err
	}
	for st.Version() <= minVersion && minVersion > 0 {
		if _, err := st.Upsert(nil); err != nil { // an empty write: the next version
			return nil, fmt.Errorf("app: store version: %w", err)
		}
	}
	return st, nil
}

// buildRegional is Build for in.RegionCells > 0: the coverage of in.Sites region by region.
func buildRegional(ctx context.Context, in Input, def *coverage.Definition, carriers []data.Carrier) (*State, error) {
	if in.Engine != nil || in.Population != nil {
		return nil, ErrRegions
	}
	res, rep, err := coverage.ServeRegions(ctx, in.Communes, def, in.Coverage, in.Sites, in.RegionCells)
	if err != nil {
		return nil, fmt.Errorf("app: computing coverage: %w", err)
	}
	sites, err := openStore(res.Engine().Reach, in.Sites, in.MinVersion)
	if err != nil {
		return nil, err
	}
	st := &State{Snapshot: sites.Snapshot(), Coverage: res, Communes: res.Engine().Communes(), Area: data.AreaOf(in.Communes),
		Carriers: carriers, Definition: def, Note: in.Note, Store: sites, Regions: rep}
	return st.withInputFibre(in)
}

// withInputFibre returns st serving in's fibre network with its reach (WithFibre); st itself
// when in has none.
func (st *State) withInputFibre(in Input) (*State, error) {
	if in.Fibre == nil {
		return st, nil
	}
	return st.WithFibre(in.Fibre, in.FibreNote, in.FibreOptions)
}

// ErrRegional: the served coverage was computed region by region (Input.RegionCells), which
// keeps the statistics, contours the map's layers, answers the levels at a point, finds the
// pockets, measures fibre reach, sums the H3 hexagons and predicts at the signal reports' and
// measurements' points region by region, but holds no land raster of the whole area nor an
// engine to re-evaluate: the population image (and any population grid), planning scenarios,
// and calibration against or serving of a calibrated definition need a server computing the
// whole area at once (serve --regions off), within its memory. Station-list, fibre and
// measurement uploads and signal reports work.
var ErrRegional = fmt.Errorf("the coverage is served region by region (statistics, map layers, pockets, hexagons, the signal at a point, "+
	"signal reports, measurements, fibre reach and uploads): the population image, scenarios and calibrated definitions need the whole engine "+
	"(serve --regions off): %w", ErrReadOnly)

// byCarrier groups sites by carrier into lists (a new map when nil).
func byCarrier(sites []data.Site, lists map[string][]data.Site) map[string][]data.Site {
	if lists == nil {
		lists = map[string][]data.Site{}
	}
	for _, s := range sites {
		lists[s.Carrier] = append(lists[s.Carrier], s)
	}
	return lists
}

// replaceCarriers writes each carrier's list of lists to st (one ReplaceCarrier a carrier, in
// carrier id order, so that versions are reproducible).
func replaceCarriers(st *store.Store, lists map[string][]data.Site) error {
	for _, id := range slices.Sorted(maps.Keys(lists)) {
		if _, err := st.ReplaceCarrier(id, lists[id]); err != nil {
			return fmt.Errorf("app: loading %s sites: %w", id, err)
		}
	}
	return nil
}

// WithSites returns the state with carrier's sites replaced by next, computed off to the side:
// st's store is forked (st is not modified, and the fork keeps st's version so that the
// coverage is updated incrementally: only the cells within reach of the changed sites are
// recomputed, Engine.Update). A site the store or the engine refuses is a data.ParseErrors
// naming it.
//
// On a state computed region by region (Regions), the regions whose sites the change touches are
// computed again (coverage.UpdateRegions): the same statistics and polygons as computing every
// region over the new list.
func (st *State) WithSites(ctx context.Context, carrier string, next []data.Site) (*State, error) {
	if st.Regions != nil && st.Store != nil {
		return st.withSitesRegional(ctx, carrier, next)
	}
	if st.Engine == nil || st.Store == nil {
		return nil, st.readOnly()
	}
	fork := st.Store.Fork()
	if fork.Version() != st.Snapshot.Version() {
		return nil, fmt.Errorf("app: the state's store is at version %d, its snapshot at %d", fork.Version(), st.Snapshot.Version())
	}
	ch, err := fork.ReplaceCarrier(carrier, next)
	if err != nil {
		return nil, siteProblem(err)
	}
	snap := fork.Snapshot()
	res, err := st.Engine.Update(ctx, st.Coverage, snap, ch)
	if err != nil {
		return nil, siteProblem(err)
	}
	ns := *st
	ns.Snapshot, ns.Coverage, ns.Store = snap, res, fork
	return &ns, nil
}

// withSitesRegional is WithSites on a state computed region by region.
func (st *State) withSitesRegional(ctx context.Context, carrier string, next []data.Site) (*State, error) {
	fork := st.Store.Fork()
	ch, err := fork.ReplaceCarrier(carrier, next)
	if err != nil {
		return nil, siteProblem(err)
	}
	snap := fork.Snapshot()
	var changed []*data.Site
	for _, d := range ch.Affected {
		for _, s := range []*data.Site{d.Before, d.After} {
			if s != nil {
				changed = append(changed, s)
			}
		}
	}
	res, done, err := coverage.UpdateRegions(ctx, st.Coverage, sitesOf(snap), changed)
	if err != nil {
		return nil, siteProblem(err)
	}
	rep := *st.Regions
	rep.Recomputed = len(done)
	ns := *st
	ns.Snapshot, ns.Coverage, ns.Store, ns.Regions = snap, res, fork, &rep
	return &ns, nil
}

// siteProblem reports a site the store or the engine refuses (which validation should have
// caught) as data.ParseErrors naming it; other errors are returned as they are.
func siteProblem(err error) error {
	var se *store.SiteError
	var sec *coverage.SectorError
	switch {
	case errors.As(err, &se):
		return data.ParseErrors{{Field: se.Field, Value: se.Key.SiteID, Msg: strings.TrimPrefix(se.Err.Error(), "data: ")}}
	case errors.As(err, &sec):
		return data.ParseErrors{{Field: fmt.Sprintf("sectors[%d]", sec.Sector), Value: sec.Site.SiteID,
			Msg: "cannot be modelled: " + sec.Err.Error()}}
	}
	return err
}

// WithFibre returns a copy of st serving net (nil: no fibre) with its reach computed on
// st.Engine's land with opts; note is non-empty for a synthetic network. st is not modified.
// A network fibre.Check refuses is a data.ParseErrors.
//
// On a state computed region by region (Regions) the reach is measured region by region
// (regionalReach): the same figures as a whole engine's, and polygons clipped to each region.
func (st *State) WithFibre(net *fibre.Network, note string, opts fibre.Options) (*State, error) {
	if st.Engine == nil && st.Regions == nil {
		return nil, fmt.Errorf("app: fibre reach needs the coverage engine's land: %w", st.readOnly())
	}
	if net == nil {
		net = &fibre.Network{Routes: []fibre.Route{}, AccessPoints: []fibre.AccessPoint{}}
	}
	var r *fibre.Reach
	var err error
	if st.Regions != nil {
		r, err = regionalReach(context.Background(), st.Coverage, net, opts)
	} else {
		r, err = fibre.Compute(st.Engine, net, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("app: fibre reach: %w", err)
	}
	ns := *st
	ns.Fibre, ns.FibreReach, ns.FibreNote, ns.FibreOptions = net, r, note, opts
	return &ns, nil
}

// withFibreOf returns st with operator's routes and access points replaced by next.
func (st *State) withFibreOf(operator string, next []fibre.Item) (*State, error) {
	cur := st.Fibre
	if cur == nil {
		cur = &fibre.Network{}
	}
	return st.WithFibre(cur.Replace(operator, fibre.FromItems(next)), st.FibreNote, st.FibreOptions)
}

// replaceAll returns the state serving exactly sites from fork (a fork of st.Store): every
// carrier's list is replaced, and the coverage computed in full.
func (st *State) replaceAll(ctx context.Context, fork *store.Store, sites []data.Site) (*State, error) {
	lists := map[string][]data.Site{}
	for _, s := range st.Snapshot.Sites(store.Filter{}) {
		lists[s.Carrier] = nil // a carrier without sites any more is emptied
	}
	if err := replaceCarriers(fork, byCarrier(sites, lists)); err != nil {
		return nil, siteProblem(err)
	}
	snap := fork.Snapshot()
	res, err := st.Engine.Compute(ctx, snap)
	if err != nil {
		return nil, err
	}
	ns := *st
	ns.Snapshot, ns.Coverage, ns.Store = snap, res, fork
	return &ns, nil
}

// BuildRegions computes the coverage statistics of in region by region
// (coverage.ComputeRegions with at most regionCells grid cells a region; ≤ 0 = the default),
// holding one region's levels at a time: a report of a whole country in bounded memory. The
// State is read-only and holds statistics only (Coverage.StatsOnly): no engine, store,
// snapshot or fibre, so it can be reported but not served or changed. in.Engine, in.Fibre
// and a population grid are not supported (ErrRegions).
func BuildRegions(ctx context.Context, in Input, regionCells int) (*State, *coverage.RegionReport, error) {
	if in.Engine != nil || in.Fibre != nil || in.Population != nil {
		return nil, nil, ErrRegions
	}
	def, carriers := in.defaults()
	res, rep, err := coverage.ComputeRegions(ctx, in.Communes, def, in.Coverage, in.Sites, regionCells)
	if err != nil {
		return nil, nil, fmt.Errorf("app: computing coverage: %w", err)
	}
	return &State{Coverage: res, Communes: res.Engine().Communes(), Area: data.AreaOf(in.Communes), Carriers: carriers,
		Definition: def, Note: in.Note}, rep, nil
}

// ErrRegions: BuildRegions was given an engine, a fibre network or a population grid.
var ErrRegions = errors.New("app: region by region computes coverage statistics only (no engine, fibre or population grid)")

// predicts reports whether st predicts levels at points (the signal reports, the measurements'
// comparison): a whole engine's state or one computed region by region.
func (st *State) predicts() bool { return st.Engine != nil || st.Coverage.Regional() }

// readOnly is the error of a change, or of a use case needing levels, on st without an engine:
// ErrRegional when st was computed region by region, ErrReadOnly otherwise.
func (st *State) readOnly() error {
	if st.Regions != nil {
		return ErrRegional
	}
	return ErrReadOnly
}
