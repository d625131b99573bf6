package coverage

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"slices"

	"phusong/data"
	"phusong/data/land"
)

// RegionFill is a Regional result being assembled (ServeFilled): the regions with a stored
// summary are in it, and the others are filled one at a time — computed here (Compute), or
// taken from another process's partial result (AddPartial: what Partial returns for a region
// computed there) or from a complete result stored meanwhile (AddSummary). Its methods are not
// safe for concurrent use, nor for use once ServeFilled has returned.
type RegionFill struct {
	r      *Result
	ps     *placedSites
	cells  []int // land cells per whole commune index
	filled []bool
	gc     regionCollector // asked after each region computed here
}

// partialFormat is the version of the partial result encoding; another is refused.
const partialFormat = 1

// partialResult is what Partial encodes: a region's summary without its gaps or layer list, and
// its pieces of the first layers (firstLayers, each listed, empty ones with no polygons).
type partialResult struct {
	Format  int
	Summary regionSummary
	First   []RegionLayer
}

// ServeFilled is ServeAssembled where the regions without a stored summary (nil) are filled by
// fill, called once on this goroutine: when it returns nil, every region must be filled. The
// result equals ServeRegions' over sites exactly, whichever regions were stored, computed here or
// by another process over the same sites (the caller keys partial results by Inputs, as stored
// summaries).
func (p *RegionPlan) ServeFilled(ctx context.Context, sites []data.Site, summaries [][]byte, src LayerSource, fill func(*RegionFill) error) (*Result, *RegionReport, error) {
	if len(summaries) != len(p.p.regions) {
		return nil, nil, fmt.Errorf("%w: %d region summaries for %d regions", ErrOptions, len(summaries), len(p.p.regions))
	}
	plan, err := newRegionPlan(p.communes, p.def, p.opts, p.regionCells) // its own engine: the result sets its land
	if err != nil {
		return nil, nil, err
	}
	base := plan.base
	merged := plan.result(sites, 1)
	carriers := merged.carriers
	ps := p.placed(sites)
	rp, err := newRegionPolygons(plan, ps) // a piece not stored is contoured when asked
	if err != nil {
		return nil, nil, err
	}
	rp.stored = &storedLayers{eng: base, src: src}
	p.mu.Lock()
	for k, v := range p.uncovered { // taken: found over these sites, or stale
		if v.ps == rp.ps {
			rp.uncoveredPieces[k] = v.pieces
		}
		delete(p.uncovered, k)
	}
	p.mu.Unlock()
	merged.regional = rp
	merged.counts = make([]communeCounts, len(base.communes))
	for ci := range merged.counts {
		merged.counts[ci] = newCounts(len(base.rules), len(carriers))
	}
	f := &RegionFill{r: merged, ps: ps, cells: make([]int, len(base.communes)), filled: make([]bool, len(plan.regions)), gc: newRegionCollector()}
	defer f.gc.stop()
	rep := &RegionReport{Regions: len(plan.regions), GridCells: plan.whole.NX * plan.whole.NY}
	for ri, b := range summaries {
		rep.MaxCells = max(rep.MaxCells, plan.regions[ri].grid.Len())
		if b != nil {
			if err := f.AddSummary(ri, b); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := fill(f); err != nil {
		return nil, nil, err
	}
	if m := f.Missing(); len(m) > 0 {
		return nil, nil, fmt.Errorf("%w: regions %v were not filled", ErrOptions, m)
	}
	for _, n := range f.cells {
		rep.LandCells += n
	}
	base.land = &land.Land{Grid: plan.whole, CommuneCells: f.cells}
	merged.buildStats(everyCommune(len(base.communes)))
	return merged, rep, nil
}

// Missing returns the regions not filled yet, in order.
func (f *RegionFill) Missing() []int {
	var out []int
	for ri, ok := range f.filled {
		if !ok {
			out = append(out, ri)
		}
	}
	return out
}

// fill marks region ri filled by add, refusing a region out of range or filled already.
func (f *RegionFill) fill(ri int, add func() error) error {
	if ri < 0 || ri >= len(f.filled) {
		return fmt.Errorf("%w: region %d of %d", ErrOptions, ri, len(f.filled))
	}
	if f.filled[ri] {
		return fmt.Errorf("%w: region %d is filled already", ErrOptions, ri)
	}
	if err := add(); err != nil {
		return err
	}
	f.filled[ri] = true
	return nil
}

// Compute computes region ri here as ServeRegions does: its statistics and the map's first
// layers now, its other layers and gaps when asked.
func (f *RegionFill) Compute(ctx context.Context, ri int) error {
	if err := f.fill(ri, func() error { return f.r.computeRegion(ctx, ri, f.ps, f.cells) }); err != nil {
		return err
	}
	f.gc.ask()
	return nil
}

// AddSummary adds region ri from its stored summary (RegionOutput.Summary over the same sites).
func (f *RegionFill) AddSummary(ri int, b []byte) error {
	return f.fill(ri, func() error { return f.r.addSummary(ri, b, f.cells) })
}

// Partial returns the partial result of region ri, filled already (computed here, typically):
// its own communes' counts and land cells and its pieces of the map's first layers, what another
// process assembling the same sites adds instead of computing it (AddPartial).
func (f *RegionFill) Partial(ri int) ([]byte, error) {
	if ri < 0 || ri >= len(f.filled) || !f.filled[ri] {
		return nil, fmt.Errorf("%w: region %d is not filled", ErrOptions, ri)
	}
	r := f.r
	pr := partialResult{Format: partialFormat, Summary: r.countsSummary(ri, f.cells)}
	for _, k := range r.eng.firstLayers() {
		notHere := fmt.Errorf("%w: region %d was not computed here (no first layer %s %s)", ErrOptions, ri, k.carrier, k.tech)
		r.regional.mu.Lock()
		en := r.regional.pieces[pieceKey{ri, k}]
		r.regional.mu.Unlock()
		if en == nil {
			return nil, notHere
		}
		sp, err := en.get(func() (span, error) { return span{}, notHere })
		if err != nil {
			return nil, err
		}
		l := RegionLayer{Carrier: k.carrier, Tech: k.tech, Tier: k.tier}
		if !sp.empty() {
			b, err := r.regional.pieceBytes(k, ri, sp)
			if err != nil {
				return nil, err
			}
			l.Polygons = b
		}
		pr.First = append(pr.First, l)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&pr); err != nil {
		return nil, fmt.Errorf("coverage: region %d partial result: %w", ri, err)
	}
	return buf.Bytes(), nil
}

// AddPartial adds region ri from b, its partial result computed by another process over the same
// sites (Partial): its statistics and first layers as if computed here, its other layers and
// gaps computed here when asked. A partial result of another region, format or plan is refused.
func (f *RegionFill) AddPartial(ri int, b []byte) error {
	return f.fill(ri, func() error {
		var pr partialResult
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&pr); err != nil {
			return fmt.Errorf("coverage: region %d partial result: %w", ri, err)
		}
		if pr.Format != partialFormat {
			return fmt.Errorf("%w: region %d: partial result of format %d", ErrForeign, ri, pr.Format)
		}
		r := f.r
		first := r.eng.firstLayers()
		spans := make([]span, len(first))
		for n, k := range first {
			at := slices.IndexFunc(pr.First, func(l RegionLayer) bool { return l.Carrier == k.carrier && l.Tech == k.tech && l.Tier == k.tier })
			if at < 0 {
				return fmt.Errorf("%w: region %d: the partial result lacks the first layer %s %s", ErrForeign, ri, k.carrier, k.tech)
			}
			var err error
			if spans[n], err = r.regional.writeBytes(pr.First[at].Polygons); err != nil {
				return err
			}
		}
		if err := r.addCounts(ri, &pr.Summary, f.cells); err != nil {
			return err
		}
		r.regional.mu.Lock()
		defer r.regional.mu.Unlock()
		for n, k := range first {
			r.regional.pieces[pieceKey{ri, k}] = doneValue(spans[n])
		}
		return nil
	})
}
