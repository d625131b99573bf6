package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/store"
)

// AnyCarrier is the carrier name of the best level over all carriers (Field, At, Changed).
const AnyCarrier = "any"

// Result is the coverage of one store snapshot: per (carrier, technology) layers and the
// per-commune statistics. It is immutable and safe for concurrent readers; Update returns a
// new Result that shares untouched tiles with its input.
type Result struct {
	eng      *Engine
	version  uint64
	carriers []string  // carriers with at least one counted site, display order
	layers   [][]layer // [carrier][tech]
	counts   []communeCounts
	commune  [][]CommuneStats    // [tech][commune]
	province []CommuneStats      // [tech]
	changed  [][][]land.CellRect // [carrier][tech]: rectangles recomputed by Update; nil after Compute

	fieldMu   sync.Mutex
	fields    map[fieldKey]*fieldEntry // fields asked for (built or being built), see keptCarrierFields
	bases     map[fieldKey]fieldBase   // fields of an earlier result and the rectangles changed since
	fieldTick uint64                   // Field calls so far, for the recency of fields

	polys polygonCache // its polygons, built on first use (polygons.go)

	statsOnly bool            // statistics only, no layers (ComputeRegions)
	regional  *regionPolygons // the map's polygons of a statistics-only result (ServeRegions); nil otherwise
	within    []bool          // of a Regional result's Within view: the regions it answers (nil: all)
	plan      *regionPlan     // the regions of a statistics-only result; nil otherwise
}

// fieldEntry is one field of a result, built once; fields are built concurrently (fieldMu is
// not held while building).
type fieldEntry struct {
	once  sync.Once
	base  fieldBase // what to patch, when hasBase
	f     []float32
	ready bool   // f is built (guarded by fieldMu)
	used  uint64 // the result's fieldTick at its last Field call (guarded by fieldMu)

	hasBase bool
}

// keptCarrierFields is how many fields of single carriers (AnyCarrier's are always kept) a
// Result keeps, the least recently used dropped past it: a field is a float32 per grid cell
// (6.8 MB for Trà Vinh at 50 m), and a client asking every carrier's layers would otherwise
// make a result hold them all. A dropped field is built again when asked (6–25 ms on the
// demo, against ~180 ms to contour one of its layers). One is kept: a layer's contouring asks
// its field several times, and the builds run at most one per core.
const keptCarrierFields = 1

// fieldBase is a field of an earlier result: Field copies it and recomputes only rects.
type fieldBase struct {
	field []float32
	rects []land.CellRect
}

// maxBaseRects bounds the rectangles a fieldBase accumulates over updates whose results never
// build that field; beyond it the field is built from scratch.
const maxBaseRects = 512

type fieldKey struct {
	carrier string
	tech    data.Tech
}

// Compute predicts the coverage of every counted site of snap over the whole grid. snap must
// come from a store whose ReachFunc is e.Reach (or returns at least as much). It is
// cancellable through ctx and writes progress to Options.Progress.
func (e *Engine) Compute(ctx context.Context, snap *store.Snapshot) (*Result, error) {
	sites := e.countedSites(snap)
	models, err := e.modelAll(sites)
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		if err := e.checkReach(snap, s, models[s]); err != nil {
			return nil, err
		}
	}
	r := e.newResult(snap, carrierOrder(sites))
	var jobs []tileJob
	for tix := range e.land.Tiles {
		t := &e.land.Tiles[tix]
		if t.End == t.Start {
			continue
		}
		job := tileJob{tile: int32(tix)}
		for c := range r.carriers {
			for ti := range e.rules {
				if !e.computes(ti) {
					continue
				}
				job.layers = append(job.layers, layerJob{carrier: c, tech: ti, rect: t.Rect()})
			}
		}
		jobs = append(jobs, job)
	}
	for c := range r.carriers {
		for ti := range e.rules {
			r.layers[c][ti] = make(layer, len(e.land.Tiles))
		}
	}
	if err := e.run(ctx, e.opts.Workers, snap, r.carriers, models, jobs, nil, r.layers, newProgress(e.opts.Progress, len(jobs))); err != nil {
		return nil, err
	}
	all := make([]bool, len(e.communes))
	for ci := range all {
		all[ci] = true
	}
	r.counts = make([]communeCounts, len(e.communes))
	r.count(all, e.opts.Workers)
	r.buildStats(all)
	return r, nil
}

// Update returns the coverage of snap, the store state right after the change ch applied to
// the state prev reflects, recomputing only the cells within reach of the sites ch touched
// (before and after), for their carriers only, and the statistics of the communes holding
// those cells. The result equals Compute(ctx, snap) exactly; prev is not modified and stays
// valid. The store bumps its version by one per write, so ch must be the write that made
// version prev.Version()+1 and snap the snapshot at that version; otherwise Update fails with
// ErrStale (apply the writes one by one, or call Compute). It fails with ErrForeign if prev
// comes from another engine.
func (e *Engine) Update(ctx context.Context, prev *Result, snap *store.Snapshot, ch store.Change) (*Result, error) {
	if prev == nil || prev.eng != e {
		return nil, ErrForeign
	}
	if ch.Version != snap.Version() || prev.version+1 != ch.Version {
		return nil, fmt.Errorf("%w: result at version %d, change to %d, snapshot at %d", ErrStale, prev.version, ch.Version, snap.Version())
	}
	sites := e.countedSites(snap)
	r := e.newResult(snap, carrierOrder(sites))
	for _, d := range ch.Affected {
		if d.After != nil && e.counts(d.After) {
			if err := e.checkReach(snap, d.After, nil); err != nil {
				return nil, err
			}
		}
	}
	dirty, err := e.dirtyRects(ch, r.carriers)
	if err != nil {
		return nil, err
	}
	prevLayers := make([][]layer, len(r.carriers))
	for c, id := range r.carriers {
		if pc := slices.Index(prev.carriers, id); pc >= 0 {
			prevLayers[c] = prev.layers[pc]
		}
		for ti := range e.rules {
			switch {
			case len(dirty[c][ti]) == 0 && prevLayers[c] != nil:
				r.layers[c][ti] = prevLayers[c][ti]
			case prevLayers[c] != nil:
				r.layers[c][ti] = slices.Clone(prevLayers[c][ti])
			default:
				r.layers[c][ti] = make(layer, len(e.land.Tiles))
			}
		}
	}
	r.changed = dirty
	jobs := e.dirtyJobs(dirty)
	models, err := e.modelNear(snap, jobs, r.carriers)
	if err != nil {
		return nil, err
	}
	if err := e.run(ctx, e.opts.UpdateWorkers, snap, r.carriers, models, jobs, prevLayers, r.layers, nil); err != nil {
		return nil, err
	}
	redo := make([]bool, len(e.communes))
	if slices.Equal(prev.carriers, r.carriers) {
		r.inheritFields(prev)
		rects := map[int32]land.CellRect{}
		for _, j := range jobs {
			for _, lj := range j.layers {
				rects[j.tile] = rects[j.tile].Union(lj.rect)
			}
		}
		r.counts = slices.Clone(prev.counts)
		r.recount(prev, rects, redo)
		r.commune = make([][]CommuneStats, len(e.rules))
		for ti := range e.rules {
			r.commune[ti] = slices.Clone(prev.commune[ti])
		}
	} else { // the per-carrier statistics change shape: count everything again
		r.changed = nil
		for ci := range redo {
			redo[ci] = true
		}
		r.counts = make([]communeCounts, len(e.communes))
		r.count(redo, e.opts.UpdateWorkers)
	}
	r.buildStats(redo)
	return r, nil
}

// checkReach fails with ErrReach when the store gave s less reach than its sectors have
// (the store was not built with e.Reach), since Snapshot.Reaching would then miss it. m may
// be nil.
func (e *Engine) checkReach(snap *store.Snapshot, s *data.Site, m *siteModel) error {
	if m == nil {
		var err error
		if m, err = e.modelSite(s); err != nil {
			return err
		}
	}
	need := slices.Max(m.rangeM)
	if got := snap.ReachM(s.Key()); got < need {
		return fmt.Errorf("%w: site %s/%s has reach %.0f m in the store, its sectors reach %.0f m",
			ErrReach, s.Carrier, s.SiteID, got, need)
	}
	return nil
}

// newResult returns an empty result for snap with the given carriers.
func (e *Engine) newResult(snap *store.Snapshot, carriers []string) *Result {
	r := &Result{eng: e, version: snap.Version(), carriers: carriers, layers: make([][]layer, len(carriers)),
		fields: map[fieldKey]*fieldEntry{}, bases: map[fieldKey]fieldBase{}}
	for c := range carriers {
		r.layers[c] = make([]layer, len(e.rules))
	}
	return r
}

// countedSites returns the snapshot's sites that the engine evaluates.
func (e *Engine) countedSites(snap *store.Snapshot) []*data.Site {
	var out []*data.Site
	for _, s := range snap.Sites(store.Filter{}) {
		if e.counts(s) {
			out = append(out, s)
		}
	}
	return out
}

// carrierOrder lists the carriers of sites: data.DefaultCarriers order first, then the others
// alphabetically.
func carrierOrder(sites []*data.Site) []string {
	seen := map[string]bool{}
	for _, s := range sites {
		seen[s.Carrier] = true
	}
	var out []string
	for _, c := range data.DefaultCarriers() {
		if seen[c.ID] {
			out = append(out, c.ID)
			delete(seen, c.ID)
		}
	}
	rest := make([]string, 0, len(seen))
	for id := range seen {
		rest = append(rest, id)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// modelAll models every site; the first failure is returned.
func (e *Engine) modelAll(sites []*data.Site) (map[*data.Site]*siteModel, error) {
	out := make(map[*data.Site]*siteModel, len(sites))
	for _, s := range sites {
		m, err := e.model(s)
		if err != nil {
			return nil, err
		}
		out[s] = m
	}
	return out, nil
}

// modelEntry is a site's model or the error modelling it gave.
type modelEntry struct {
	m   *siteModel
	err error
}

// model returns s's model (modelSite), cached per engine for as long as s is alive: a store
// shares unchanged *data.Site values between snapshots, so a recompute models only the sites
// that changed.
func (e *Engine) model(s *data.Site) (*siteModel, error) {
	en := e.siteModels.get(s, func() *modelEntry {
		m, err := e.modelSite(s)
		return &modelEntry{m, err}
	})
	return en.m, en.err
}

// modelNear models the counted sites that may reach the tiles of jobs, per carrier of jobs.
func (e *Engine) modelNear(snap *store.Snapshot, jobs []tileJob, carriers []string) (map[*data.Site]*siteModel, error) {
	bounds := make([]orb.Bound, len(carriers))
	used := make([]bool, len(carriers))
	for _, j := range jobs {
		b := e.tileBound[j.tile]
		for _, lj := range j.layers {
			if !used[lj.carrier] {
				bounds[lj.carrier], used[lj.carrier] = b, true
			} else {
				bounds[lj.carrier] = bounds[lj.carrier].Union(b)
			}
		}
	}
	var sites []*data.Site
	for c, id := range carriers {
		if !used[c] {
			continue
		}
		for _, s := range snap.Reaching(bounds[c], store.Filter{Carrier: id}) {
			if s.Carrier == id && e.counts(s) {
				sites = append(sites, s)
			}
		}
	}
	return e.modelAll(sites)
}

// dirtyRects returns, per carrier (index into carriers) and technology, the cell rectangles
// within reach of the sites of ch, before and after the change.
func (e *Engine) dirtyRects(ch store.Change, carriers []string) ([][][]land.CellRect, error) {
	out := make([][][]land.CellRect, len(carriers))
	for c := range out {
		out[c] = make([][]land.CellRect, len(e.rules))
	}
	g := e.land.Grid
	for _, d := range ch.Affected {
		for _, s := range []*data.Site{d.Before, d.After} {
			if s == nil {
				continue
			}
			c := slices.Index(carriers, s.Carrier)
			if c < 0 {
				continue // the carrier has no counted site left: its layers are gone
			}
			m, err := e.modelSite(s)
			if err != nil {
				if d.After == s {
					return nil, err
				}
				continue // a site that could not be modelled contributed nothing before
			}
			for ti, rM := range m.rangeM {
				if rM == 0 || !e.computes(ti) {
					continue
				}
				p := m.sectors[ti][0]
				i0, i1 := land.CentresIn(g.X0M, g.CellM, p.x-rM, p.x+rM, g.NX)
				j0, j1 := land.CentresIn(g.Y0M, g.CellM, p.y-rM, p.y+rM, g.NY)
				rect := land.CellRect{I0: i0 - scanPadCells, J0: j0 - scanPadCells, I1: i1 + scanPadCells, J1: j1 + scanPadCells}
				rect = rect.Intersect(land.CellRect{I0: 0, J0: 0, I1: g.NX, J1: g.NY})
				if !rect.Empty() {
					out[c][ti] = append(out[c][ti], rect)
				}
			}
		}
	}
	return out, nil
}

// dirtyJobs turns dirty rectangles into tile jobs: one per tile, with per layer the bounding
// box of the layer's dirty parts in that tile.
func (e *Engine) dirtyJobs(dirty [][][]land.CellRect) []tileJob {
	l := e.land
	jobs := map[int32]*tileJob{}
	for c := range dirty {
		for ti, rects := range dirty[c] {
			perTile := map[int32]land.CellRect{}
			for _, rc := range rects {
				for tj := rc.J0 / land.TileCells; tj <= (rc.J1-1)/land.TileCells; tj++ {
					for tx := rc.I0 / land.TileCells; tx <= (rc.I1-1)/land.TileCells; tx++ {
						tix := int32(tj*l.NTX + tx)
						t := &l.Tiles[tix]
						if in := rc.Intersect(t.Rect()); !in.Empty() && t.End > t.Start {
							perTile[tix] = perTile[tix].Union(in)
						}
					}
				}
			}
			for tix, rect := range perTile {
				j := jobs[tix]
				if j == nil {
					j = &tileJob{tile: tix}
					jobs[tix] = j
				}
				j.layers = append(j.layers, layerJob{carrier: c, tech: ti, rect: rect})
			}
		}
	}
	out := make([]tileJob, 0, len(jobs))
	for _, j := range jobs {
		slices.SortFunc(j.layers, func(a, b layerJob) int {
			return cmp.Or(cmp.Compare(a.carrier, b.carrier), cmp.Compare(a.tech, b.tech))
		})
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b tileJob) int { return cmp.Compare(a.tile, b.tile) })
	return out
}

// Version returns the store version the result reflects.
func (r *Result) Version() uint64 { return r.version }

// DefinitionVersion returns the version of the coverage definition used.
func (r *Result) DefinitionVersion() string { return r.eng.def.Version }

// Calibration returns the definition's Definition.CalibrationLabel: "uncalibrated" or
// "calibrated with N samples (FROM..TO)".
func (r *Result) Calibration() string { return r.eng.def.CalibrationLabel() }

// Engine returns the engine that computed r.
func (r *Result) Engine() *Engine { return r.eng }

// Carriers returns the carriers with at least one counted site (active, or planned too under
// Options.IncludePlanned), in data.DefaultCarriers order then the others alphabetically. The
// slice is fresh.
func (r *Result) Carriers() []string { return slices.Clone(r.carriers) }

// CommuneIndexRaster is Engine.CommuneIndexRaster: -1 outside, else the index into
// Engine.Communes (code order). It must not be modified.
func (r *Result) CommuneIndexRaster() []int32 { return r.eng.land.Commune }

// Changed returns the cell rectangles whose levels of (carrier, tech) Update recomputed to
// make r (carrier may be AnyCarrier: the rectangles of every carrier), and all = true when
// every cell may have changed: after Compute, or when the set of carriers changed. Cells
// outside the rectangles are equal to those of the previous result.
func (r *Result) Changed(carrier string, t data.Tech) (rects []land.CellRect, all bool) {
	ti := techIndex(t)
	if r.changed == nil || ti < 0 {
		return nil, true
	}
	for c, id := range r.carriers {
		if carrier == AnyCarrier || carrier == id {
			rects = append(rects, r.changed[c][ti]...)
		}
	}
	return rects, false
}

// Field returns the best level in dBm of carrier (an ID of Carriers, or AnyCarrier: the best
// over all carriers) for technology t on every grid cell (row-major, len Grid().Len()): NaN
// outside the province, and where no site reaches the technology's cutoff. It returns nil for
// an unknown carrier or technology, and for a statistics-only result (StatsOnly). The raster is built on first use and cached; it must not
// be modified.
func (r *Result) Field(carrier string, t data.Tech) []float32 {
	ti := techIndex(t)
	if ti < 0 || r.statsOnly || (carrier != AnyCarrier && !slices.Contains(r.carriers, carrier)) {
		return nil
	}
	k := fieldKey{carrier, t}
	r.fieldMu.Lock()
	en := r.fields[k]
	if en == nil {
		en = &fieldEntry{}
		en.base, en.hasBase = r.bases[k]
		delete(r.bases, k)
		r.fields[k] = en
	}
	r.fieldTick++
	en.used = r.fieldTick
	r.fieldMu.Unlock()
	en.once.Do(func() {
		var f []float32
		if en.hasBase {
			f = r.patchField(en.base, carrier, ti)
		} else {
			f = r.buildField(carrier, ti)
		}
		r.fieldMu.Lock()
		en.f, en.ready, en.base = f, true, fieldBase{}
		r.dropFields()
		r.fieldMu.Unlock()
	})
	return en.f
}

// dropFields forgets the least recently used built fields of single carriers past
// keptCarrierFields (callers holding one keep using it). Called with fieldMu held.
func (r *Result) dropFields() {
	for {
		var oldest fieldKey
		n, found := 0, false
		for k, en := range r.fields {
			if k.carrier == AnyCarrier || !en.ready {
				continue
			}
			if n++; !found || en.used < r.fields[oldest].used {
				oldest, found = k, true
			}
		}
		if n <= keptCarrierFields {
			return
		}
		delete(r.fields, oldest)
	}
}

// buildField builds the field of carrier (or AnyCarrier) for technology index ti: the kept
// levels of the carrier's chunks written into the grid, or for AnyCarrier those of every
// carrier folded with maxLevel in carrier order. It goes tile by tile, so that the chunks of a
// tile are read together: the first chunk of a tile writes its spans, the next ones fold in.
func (r *Result) buildField(carrier string, ti int) []float32 {
	l := r.eng.land
	f := make([]float32, l.Grid.Len())
	nan := float32(math.NaN())
	for i := range f {
		f[i] = nan
	}
	chunks := make([]*chunk, 0, len(r.carriers))
	for tix := range l.Tiles {
		chunks = chunks[:0]
		for c, id := range r.carriers {
			if ch := r.layers[c][ti][tix]; ch != nil && (carrier == AnyCarrier || carrier == id) {
				chunks = append(chunks, ch)
			}
		}
		for n, ch := range chunks {
			for _, sp := range l.Tiles[tix].Spans {
				dst, lv := f[sp.GK:sp.GK+int(sp.N)], ch.level[sp.O:sp.O+sp.N]
				if n == 0 { // dst is NaN: maxLevel(NaN, v) is v
					for q := range dst {
						if ch.serves(sp.O + int32(q)) {
							dst[q] = lv[q]
						}
					}
					continue
				}
				for q := range dst {
					if ch.serves(sp.O + int32(q)) {
						dst[q] = maxLevel(dst[q], lv[q])
					}
				}
			}
		}
	}
	return f
}

// patchField copies b's field and recomputes its cells in b's rectangles, carrier by carrier
// in the same order as buildField, so that the result is bitwise the same.
func (r *Result) patchField(b fieldBase, carrier string, ti int) []float32 {
	l := r.eng.land
	f := slices.Clone(b.field)
	nan := float32(math.NaN())
	for _, rc := range b.rects {
		for tj := rc.J0 / land.TileCells; tj <= (rc.J1-1)/land.TileCells; tj++ {
			for tx := rc.I0 / land.TileCells; tx <= (rc.I1-1)/land.TileCells; tx++ {
				tix := tj*l.NTX + tx
				t := &l.Tiles[tix]
				r.eng.land.EachCell(t, rc, func(k int32) {
					v := nan
					for c, id := range r.carriers {
						if ch := r.layers[c][ti][tix]; ch != nil && (carrier == AnyCarrier || carrier == id) && ch.serves(k-t.Start) {
							v = maxLevel(v, ch.level[k-t.Start])
						}
					}
					f[l.Grid.Index(int(l.CellI[k]), int(l.CellJ[k]))] = v
				})
			}
		}
	}
	return f
}

// maxLevel is the larger of two levels, NaN meaning none.
func maxLevel(cur, v float32) float32 {
	if v > cur || (cur != cur && v == v) {
		return v
	}
	return cur
}

// inheritFields records, for every field prev built or inherited, the base r.Field patches:
// prev's field and the rectangles Update recomputed (with the carriers unchanged).
func (r *Result) inheritFields(prev *Result) {
	prev.fieldMu.Lock()
	defer prev.fieldMu.Unlock()
	add := func(k fieldKey, field []float32, rects []land.CellRect) {
		more, _ := r.Changed(k.carrier, k.tech)
		if len(rects)+len(more) <= maxBaseRects {
			r.bases[k] = fieldBase{field: field, rects: append(slices.Clip(rects), more...)}
		}
	}
	for k, en := range prev.fields {
		switch {
		case en.ready:
			add(k, en.f, nil)
		case en.hasBase: // still being patched: its base is as good
			add(k, en.base.field, en.base.rects)
		}
	}
	for k, b := range prev.bases {
		if k.carrier == AnyCarrier { // a single carrier's field not built since: dropped (keptCarrierFields)
			add(k, b.field, b.rects)
		}
	}
}

// PointLevel is the prediction at one point for one carrier (or AnyCarrier) and technology.
type PointLevel struct {
	Carrier            string       `json:"carrier"`
	Tech               data.Tech    `json:"tech"`
	LevelDBm           float64      `json:"level_dbm"`       // NaN when no site reaches the cutoff or the point is outside the province
	Serving            data.SiteKey `json:"serving"`         // the best site; zero when LevelDBm is NaN
	CoveredOutdoor     bool         `json:"covered_outdoor"` // LevelDBm ≥ RequiredOutdoorDBm
	CoveredIndoor      bool         `json:"covered_indoor"`  // LevelDBm ≥ RequiredIndoorDBm
	RequiredOutdoorDBm float64      `json:"required_outdoor_dbm"`
	RequiredIndoorDBm  float64      `json:"required_indoor_dbm"`
}

// At returns the prediction of the grid cell holding p (lon, lat degrees) for every carrier of
// the result then AnyCarrier, each for every analysed technology. Outside the province (or the
// grid), and for a statistics-only result (StatsOnly), it returns nil. For AnyCarrier, Serving is the best carrier's site.
func (r *Result) At(p orb.Point) []PointLevel { return r.at(p, true) }

// LevelsAt is At without the serving sites (every Serving zero): the levels and coverage flags
// alone, for callers asking many points (the hexagon summary). At evaluates the serving site
// of each carrier's cell again (the chunks keep one bit a cell, not the site); LevelsAt does not.
func (r *Result) LevelsAt(p orb.Point) []PointLevel { return r.at(p, false) }

// at is At, with the serving sites when serving is set.
func (r *Result) at(p orb.Point, serving bool) []PointLevel {
	if r.regional != nil {
		out, _ := r.regional.at(context.Background(), r, p) // no error without a context to cancel
		return out
	}
	if r.statsOnly {
		return nil
	}
	l := r.eng.land
	i, j, ok := l.Grid.CellOf(r.eng.tm.Forward(p))
	if !ok {
		return nil
	}
	return r.atCell(i, j, serving)
}

// atCell is At at cell (i, j) of the engine grid (with the serving sites when serving is set):
// nil off the land.
func (r *Result) atCell(i, j int, serving bool) []PointLevel {
	l := r.eng.land
	if i < 0 || j < 0 || i >= l.Grid.NX || j >= l.Grid.NY || l.Commune[l.Grid.Index(i, j)] < 0 {
		return nil
	}
	tix, k, ok := l.Compact(i, j)
	if !ok {
		return nil
	}
	t := &r.eng.land.Tiles[tix]
	o := k - t.Start
	var out []PointLevel
	anyStart := len(r.carriers) * len(r.eng.rules)
	out = make([]PointLevel, anyStart+len(r.eng.rules))
	for ti, rule := range r.eng.rules {
		best := PointLevel{Carrier: AnyCarrier, Tech: rule.tech, LevelDBm: math.NaN()}
		for c, id := range r.carriers {
			pl := PointLevel{Carrier: id, Tech: rule.tech, LevelDBm: math.NaN()}
			if ch := r.layers[c][ti][tix]; ch != nil && ch.serves(o) {
				pl.LevelDBm = float64(ch.level[o])
				if serving {
					pl.Serving = r.eng.servingSite(ch, t, ti, o)
				}
				if pl.LevelDBm > best.LevelDBm || math.IsNaN(best.LevelDBm) {
					best.LevelDBm, best.Serving = pl.LevelDBm, pl.Serving
				}
			}
			out[c*len(r.eng.rules)+ti] = rule.point(pl)
		}
		out[anyStart+ti] = rule.point(best)
	}
	return out
}

// point fills the required levels and coverage flags of pl.
func (tr *techRule) point(pl PointLevel) PointLevel {
	pl.RequiredOutdoorDBm, pl.RequiredIndoorDBm = tr.requiredOut, tr.requiredIn
	pl.CoveredOutdoor = pl.LevelDBm >= tr.requiredOut
	pl.CoveredIndoor = pl.LevelDBm >= tr.requiredIn
	return pl
}
