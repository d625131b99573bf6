package coverage

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
)

// RegionPlan is ServeRegions' cut of a country into regions, exported so that the regions can
// be computed apart — by several workers, in several processes, at several times — and their
// outputs stored and assembled into the Regional result ServeRegions gives (AssembleRegions).
// A plan depends only on the communes, the definition, the options and the region size: the
// same inputs give the same plan in every process.
type RegionPlan struct {
	communes    []data.Commune
	def         *Definition
	opts        Options
	regionCells int
	p           *regionPlan

	mu     sync.Mutex // guards last and uncovered
	last   *placedSites
	lastOf []data.Site // the list last was placed from (the same backing array and length)
	// uncovered are the pieces of uncovered land Compute found, per region, for the placed
	// sites they were found over: AssembleRegions over the same list takes them (a region
	// another process computed is labelled again when the pockets are first asked for).
	uncovered map[regionTech]keptPieces
}

// keptPieces are one region's pieces of one technology found over the placed sites ps.
type keptPieces struct {
	ps     *placedSites
	pieces *lazyValue[[]uncoveredPiece]
}

// placed returns sites placed (projected, reach measured), reusing the last placement when
// sites is the same list (a worker computes many regions of one list).
func (p *RegionPlan) placed(sites []data.Site) *placedSites {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != nil && len(sites) == len(p.lastOf) && (len(sites) == 0 || &sites[0] == &p.lastOf[0]) {
		return p.last
	}
	p.last, p.lastOf = p.p.placeParallel(sites, p.p.base.opts.Workers), sites
	return p.last
}

// placeParallel is place on workers goroutines (modelling 150 k sites for their reach takes
// seconds).
func (p *regionPlan) placeParallel(sites []data.Site, workers int) *placedSites {
	ps := &placedSites{sites: sites, xy: make([]orb.Point, len(sites)), reachM: make([]float64, len(sites)),
		reach: make(map[data.SiteKey]float64, len(sites))}
	eachChunk(len(sites), workers, func(i int) {
		s := &sites[i]
		ps.xy[i], ps.reachM[i] = p.base.tm.Forward(orb.Point{s.Lon, s.Lat}), p.base.Reach(s)
	})
	for i := range sites {
		ps.reach[sites[i].Key()] = ps.reachM[i]
	}
	return ps
}

// eachChunk calls f(i) for i in [0, n) on workers goroutines, each a contiguous chunk.
func eachChunk(n, workers int, f func(i int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// PlanRegions cuts communes into regions as ServeRegions does (regionCells ≤ 0 =
// DefaultRegionCells).
func PlanRegions(communes []data.Commune, def *Definition, opts Options, regionCells int) (*RegionPlan, error) {
	p, err := newRegionPlan(communes, def, opts, regionCells)
	if err != nil {
		return nil, err
	}
	return &RegionPlan{communes: communes, def: def, opts: opts, regionCells: regionCells, p: p}, nil
}

// Len returns the number of regions.
func (p *RegionPlan) Len() int { return len(p.p.regions) }

// Inputs returns, for each region, the SHA-256 (hex) of the sites its computation sees (those
// whose reach meets its window), each as its JSON encoding, in (carrier, site id) order: two
// site lists give a region the same output exactly when its inputs are equal (for one plan), so
// a stored output keyed by them is never stale.
func (p *RegionPlan) Inputs(sites []data.Site) ([]string, error) {
	plan := p.p
	ps := p.placed(sites)
	order := make([]int, len(sites))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(sites[a].Carrier, sites[b].Carrier), cmp.Compare(sites[a].SiteID, sites[b].SiteID))
	})
	enc := make([][]byte, len(sites))
	errs := make([]error, len(sites))
	eachChunk(len(sites), plan.base.opts.Workers, func(i int) { enc[i], errs[i] = json.Marshal(&sites[i]) })
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("coverage: encoding sites: %w", err)
	}
	hs := make([][]byte, len(plan.regions)) // the encodings each region sees, length-prefixed
	for _, i := range order {
		b := enc[i]
		for ri := range plan.regions {
			if plan.reaches(&plan.regions[ri], ps.xy[i], ps.reachM[i]) {
				hs[ri] = binary.LittleEndian.AppendUint32(hs[ri], uint32(len(b)))
				hs[ri] = append(hs[ri], b...)
			}
		}
	}
	out := make([]string, len(hs))
	for ri, b := range hs {
		sum := sha256.Sum256(b)
		out[ri] = hex.EncodeToString(sum[:])
	}
	return out, nil
}

// RegionOutput is what one region contributes to a Regional result: a summary (its own
// communes' integer counts and land cells, their gaps, the list of its layer pieces; opaque
// bytes) and its pieces of the coverage layers, each a MultiPolygon in the engine frame in the
// encoding the spill file uses.
type RegionOutput struct {
	Region  int
	Summary []byte
	Layers  []RegionLayer // one a layer with a piece in the region; tiers at the threshold's level are not repeated
}

// RegionLayer is one region's piece of one coverage layer.
type RegionLayer struct {
	Carrier  string // a carrier id or AnyCarrier
	Tech     data.Tech
	Tier     int
	Polygons []byte
}

// LayerSource reads back stored layer pieces: for the layer (carrier, tech, tier), the piece of
// each of regions, in that order (AssembleRegions asks only for pieces a summary lists).
type LayerSource func(carrier string, tech data.Tech, tier int, regions []int) ([][]byte, error)

// summaryFormat is the version of the summary encoding; a summary of another format is refused.
const summaryFormat = 1

// regionSummary is a RegionOutput's Summary before gob encoding.
type regionSummary struct {
	Format   int
	Region   int
	Carriers []string // the carriers Counts are numbered by
	Communes []int    // own communes (whole indexes)
	Cells    []int    // their land cells
	Counts   []countsWire
	Gaps     []gapWire
	Layers   []layerWire // every layer with a piece in the region (tiers at the threshold's level included)
}

// countsWire is communeCounts with exported fields, for gob.
type countsWire struct {
	Out, In         [][]int32
	AnyOut, AnyIn   []int32
	ByCount         [][4]int32
	ThreeGOnly      int32
	POut            [][]int64
	PAnyOut, PAnyIn []int64
	PByCount        [][4]int64
	PThreeGOnly     int64
}

type gapWire struct {
	Tech     data.Tech
	Commune  int
	Polygons []byte
}

type layerWire struct {
	Carrier string
	Tech    data.Tech
	Tier    int
}

// Compute computes region ri over sites (the whole list; the region keeps those within reach)
// with its layers and gaps: the output ServeRegions computes for it.
func (p *RegionPlan) Compute(ctx context.Context, ri int, sites []data.Site) (*RegionOutput, error) {
	plan := p.p
	if ri < 0 || ri >= len(plan.regions) {
		return nil, fmt.Errorf("%w: region %d of %d", ErrOptions, ri, len(plan.regions))
	}
	ps := p.placed(sites)
	tmp := plan.result(sites, 1)
	rp, err := newRegionPolygons(plan, ps)
	if err != nil {
		return nil, err
	}
	defer rp.spill.f.Close()
	tmp.regional = rp
	tmp.counts = make([]communeCounts, len(plan.base.communes))
	cells := make([]int, len(plan.base.communes))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	run, err := plan.regionResult(ctx, &plan.regions[ri], ps)
	if err != nil {
		return nil, err
	}
	// Kept, so that every layer and gap of the output is contoured from this one computation
	// (ServeRegions contours only the first layers and drops the region's levels).
	if _, err := rp.results.get(ri, func() (*regionRun, error) { return run, nil }); err != nil {
		return nil, err
	}
	if err := tmp.takeRegion(ctx, ri, run, cells); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.uncovered == nil {
		p.uncovered = map[regionTech]keptPieces{}
	}
	for k, v := range rp.uncoveredPieces {
		p.uncovered[k] = keptPieces{ps, v}
	}
	p.mu.Unlock()
	return tmp.regionOutput(ctx, ri, cells)
}

// RegionOutput returns region ri's output of a Regional result (ServeRegions, UpdateRegions or
// AssembleRegions): after an update, what to store for the regions it computed again. Every
// layer and gap of the region not contoured yet (ServeRegions contours the first layers only) is
// contoured first, the region's levels computed again once.
func (r *Result) RegionOutput(ri int) (*RegionOutput, error) {
	return r.RegionOutputContext(context.Background(), ri)
}

// RegionOutputContext is RegionOutput, stopping when ctx is done.
func (r *Result) RegionOutputContext(ctx context.Context, ri int) (*RegionOutput, error) {
	if r.regional == nil || r.plan == nil {
		return nil, ErrForeign
	}
	if ri < 0 || ri >= len(r.plan.regions) {
		return nil, fmt.Errorf("%w: region %d of %d", ErrOptions, ri, len(r.plan.regions))
	}
	return r.regionOutput(ctx, ri, r.eng.land.CommuneCells)
}

// regionOutput is RegionOutput with the land cells per commune given: every layer piece and gap
// of region ri not built yet is contoured (regionPolygons.piece, regionGaps) on the engine's
// workers.
func (r *Result) regionOutput(ctx context.Context, ri int, cells []int) (*RegionOutput, error) {
	rg := &r.plan.regions[ri]
	rp, e := r.regional, r.eng
	keys := r.layerKeys()
	var canon []layerKey // the pieces to build: tiers at the threshold's level share tier 0's
	for _, k := range keys {
		if c := e.canonical(k); !slices.Contains(canon, c) {
			canon = append(canon, c)
		}
	}
	spans := make([]span, len(canon))
	gaps := make([]map[int]orb.MultiPolygon, len(e.rules))
	errs := make([]error, len(canon)+len(gaps))
	eachParallel(ctx, e.opts.Workers, len(errs), func() func(int) {
		return func(n int) {
			if n < len(canon) {
				spans[n], errs[n] = rp.piece(ctx, ri, canon[n])
				return
			}
			gaps[n-len(canon)], errs[n] = rp.regionGaps(ctx, ri, e.rules[n-len(canon)].tech)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sum := regionSummary{Format: summaryFormat, Region: ri, Carriers: r.carriers}
	for _, ci := range rg.own {
		c := &r.counts[ci]
		sum.Communes = append(sum.Communes, ci)
		sum.Cells = append(sum.Cells, cells[ci])
		sum.Counts = append(sum.Counts, countsWire{c.out, c.in, c.anyOut, c.anyIn, c.byCount, c.threeGOnly,
			c.pOut, c.pAnyOut, c.pAnyIn, c.pByCount, c.pThreeGOnly})
		for t, tr := range e.rules {
			if mp := gaps[t][ci]; len(mp) > 0 {
				sum.Gaps = append(sum.Gaps, gapWire{tr.tech, ci, EncodeMultiPolygon(mp)})
			}
		}
	}
	out := &RegionOutput{Region: ri}
	slices.SortFunc(keys, compareLayerKeys)
	for _, k := range keys {
		c := e.canonical(k)
		sp := spans[slices.Index(canon, c)]
		if sp.empty() {
			continue
		}
		sum.Layers = append(sum.Layers, layerWire{k.carrier, k.tech, k.tier})
		if c != k {
			continue
		}
		b, err := rp.pieceBytes(k, ri, sp)
		if err != nil {
			return nil, err
		}
		out.Layers = append(out.Layers, RegionLayer{k.carrier, k.tech, k.tier, b})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&sum); err != nil {
		return nil, fmt.Errorf("coverage: region %d summary: %w", ri, err)
	}
	out.Summary = buf.Bytes()
	return out, nil
}

func compareLayerKeys(a, b layerKey) int {
	return cmp.Or(cmp.Compare(a.carrier, b.carrier), cmp.Compare(a.tech, b.tech), cmp.Compare(a.tier, b.tier))
}

// layerKeys returns every layer of r: per computed technology, each carrier of r then
// AnyCarrier, each tier (tiers at the threshold's level included).
func (r *Result) layerKeys() []layerKey {
	var out []layerKey
	for ti, tr := range r.eng.rules {
		if !r.eng.computes(ti) {
			continue
		}
		for _, c := range append(slices.Clone(r.carriers), AnyCarrier) {
			for tier := 0; tier <= len(tr.rule.TiersDBm); tier++ {
				out = append(out, layerKey{c, tr.tech, tier})
			}
		}
	}
	return out
}

// storedLayers reads the stored spans of a Regional result from its LayerSource.
type storedLayers struct {
	eng *Engine
	src LayerSource
	mu  sync.Mutex // serialises reads of the source
}

// read returns, per region of regions, its stored piece of layer k (nil when regions is empty).
func (sl *storedLayers) read(k layerKey, regions []int) (map[int][]byte, error) {
	if len(regions) == 0 {
		return nil, nil
	}
	c := sl.eng.canonical(k)
	pieces, err := sl.src(c.carrier, c.tech, c.tier, regions)
	if err != nil {
		return nil, fmt.Errorf("coverage: reading stored layer %s %s tier %d: %w", c.carrier, c.tech, c.tier, err)
	}
	if len(pieces) != len(regions) {
		return nil, fmt.Errorf("coverage: stored layer %s %s tier %d: %d pieces for %d regions", c.carrier, c.tech, c.tier,
			len(pieces), len(regions))
	}
	out := make(map[int][]byte, len(regions))
	for n, ri := range regions {
		out[ri] = pieces[n]
	}
	return out, nil
}

// AssembleRegions returns the Regional result of p over sites from every region's stored output:
// summaries[ri] is region ri's RegionOutput.Summary, and src reads the layer pieces when a layer
// is asked for (nothing of the layers is read before). The statistics, layers and gaps equal
// ServeRegions' over sites exactly when every summary was computed over the same sites (the
// caller keys them by Inputs); UpdateRegions takes the result as it takes ServeRegions'. A
// summary of another region, format or plan is refused, and so is a missing (nil) one
// (ServeAssembled computes those).
func (p *RegionPlan) AssembleRegions(sites []data.Site, summaries [][]byte, src LayerSource) (*Result, *RegionReport, error) {
	for ri, b := range summaries {
		if b == nil {
			return nil, nil, fmt.Errorf("%w: region %d has no summary", ErrOptions, ri)
		}
	}
	return p.ServeAssembled(context.Background(), sites, summaries, src)
}

// ServeAssembled is AssembleRegions where a region without a stored summary (nil) is computed
// here, as ServeRegions computes it: its statistics now, one region after another on ctx, and the
// map's first layers; its other layers and gaps when asked (nothing of them is read from src).
// The result equals ServeRegions' over sites exactly, whichever regions were stored; its
// RegionOutput of a computed region is what to store for it.
func (p *RegionPlan) ServeAssembled(ctx context.Context, sites []data.Site, summaries [][]byte, src LayerSource) (*Result, *RegionReport, error) {
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
	cells := make([]int, len(base.communes))
	rep := &RegionReport{Regions: len(plan.regions), GridCells: plan.whole.NX * plan.whole.NY}
	var missing []int
	for ri, b := range summaries {
		rep.MaxCells = max(rep.MaxCells, plan.regions[ri].grid.Len())
		if b == nil {
			missing = append(missing, ri)
		} else if err := merged.addSummary(ri, b, cells); err != nil {
			return nil, nil, err
		}
	}
	if err := merged.computeEach(ctx, missing, ps, cells); err != nil {
		return nil, nil, err
	}
	for _, n := range cells {
		rep.LandCells += n
	}
	base.land = &land.Land{Grid: plan.whole, CommuneCells: cells}
	merged.buildStats(everyCommune(len(base.communes)))
	return merged, rep, nil
}

// addSummary adds region ri's stored summary b to r (counts, cells, gaps, stored layer spans).
func (r *Result) addSummary(ri int, b []byte, cells []int) error {
	var sum regionSummary
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&sum); err != nil {
		return fmt.Errorf("coverage: region %d summary: %w", ri, err)
	}
	own := r.plan.regions[ri].own
	if sum.Format != summaryFormat || sum.Region != ri || !slices.Equal(sum.Communes, own) ||
		len(sum.Cells) != len(own) || len(sum.Counts) != len(own) {
		return fmt.Errorf("%w: region %d: the stored summary (format %d, region %d, %d communes) is not this plan's",
			ErrForeign, ri, sum.Format, sum.Region, len(sum.Communes))
	}
	ntech := len(r.eng.rules)
	// The summary numbers carriers by the list it was computed from; a carrier without counted
	// sites now (all of them removed elsewhere: the region's own sites, its key, are the same)
	// must have counted nothing here, and is dropped.
	remap := make([]int, len(sum.Carriers))
	for k, id := range sum.Carriers {
		remap[k] = slices.Index(r.carriers, id)
	}
	for n, ci := range own {
		w := &sum.Counts[n]
		c := communeCounts{out: w.Out, in: w.In, anyOut: w.AnyOut, anyIn: w.AnyIn, byCount: w.ByCount, threeGOnly: w.ThreeGOnly,
			pOut: w.POut, pAnyOut: w.PAnyOut, pAnyIn: w.PAnyIn, pByCount: w.PByCount, pThreeGOnly: w.PThreeGOnly}
		if len(c.out) != ntech || len(c.in) != ntech || len(c.pOut) != ntech || len(c.anyOut) != ntech || len(c.anyIn) != ntech ||
			len(c.pAnyOut) != ntech || len(c.pAnyIn) != ntech || len(c.byCount) != ntech || len(c.pByCount) != ntech {
			return fmt.Errorf("%w: region %d: stored counts of commune %d have the wrong shape", ErrForeign, ri, ci)
		}
		for t := range ntech {
			if len(c.out[t]) != len(sum.Carriers) || len(c.in[t]) != len(sum.Carriers) || len(c.pOut[t]) != len(sum.Carriers) {
				return fmt.Errorf("%w: region %d: stored counts of commune %d have the wrong shape", ErrForeign, ri, ci)
			}
		}
		kept, err := keepCarriers(&c, remap)
		if err != nil {
			return fmt.Errorf("%w: region %d, commune %d: %w", ErrForeign, ri, ci, err)
		}
		r.counts[ci].add(&kept.counts, kept.remap)
		cells[ci] = sum.Cells[n]
	}
	// The stored output holds every layer and gap of the region: a listed piece is read from the
	// store when asked, any other is empty; nothing of the region is computed again.
	rp := r.regional
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for _, k := range r.layerKeys() {
		rp.pieces[pieceKey{ri, r.eng.canonical(k)}] = doneValue(span{})
	}
	for _, l := range sum.Layers {
		rp.pieces[pieceKey{ri, r.eng.canonical(layerKey{l.Carrier, l.Tech, l.Tier})}] = doneValue(span{stored: true})
	}
	for _, tr := range r.eng.rules {
		gaps := map[int]orb.MultiPolygon{}
		for _, g := range sum.Gaps {
			if g.Tech == tr.tech {
				gaps[g.Commune] = decodeMultiPolygon(g.Polygons, nil)
			}
		}
		rp.gaps[regionTech{ri, tr.tech}] = doneValue(gaps)
	}
	return nil
}

// ReachOf returns Engine.Reach for a store of sites: for a site equal to one of sites, the
// reach measured when sites were placed (Inputs, Compute on that list); the engine's for any
// other site (a later upload's).
func (p *RegionPlan) ReachOf(sites []data.Site) func(*data.Site) float64 {
	ps := p.placed(sites)
	base := p.p.base
	idx := make(map[data.SiteKey]int, len(sites))
	for i := range sites {
		idx[sites[i].Key()] = i
	}
	return func(s *data.Site) float64 {
		if i, ok := idx[s.Key()]; ok && reflect.DeepEqual(*s, sites[i]) {
			return ps.reachM[i]
		}
		return base.Reach(s)
	}
}

// keptCounts are stored counts without the carriers that have no counted site now.
type keptCounts struct {
	counts communeCounts
	remap  []int // kept carrier → the result's
}

// keepCarriers returns c without its carriers k where remap[k] < 0 (no counted site in the
// result), which must have counted nothing; remap for the others.
func keepCarriers(c *communeCounts, remap []int) (keptCounts, error) {
	if !slices.Contains(remap, -1) {
		return keptCounts{*c, remap}, nil
	}
	out := keptCounts{counts: *c}
	var keep []int
	for k, to := range remap {
		if to >= 0 {
			keep = append(keep, k)
			out.remap = append(out.remap, to)
			continue
		}
		for t := range c.out {
			if c.out[t][k] != 0 || c.in[t][k] != 0 || c.pOut[t][k] != 0 {
				return out, fmt.Errorf("a carrier without counted sites now covers %d cells there", c.out[t][k])
			}
		}
	}
	pick32 := func(xs []int32) []int32 {
		o := make([]int32, len(keep))
		for n, k := range keep {
			o[n] = xs[k]
		}
		return o
	}
	out.counts.out, out.counts.in, out.counts.pOut = make([][]int32, len(c.out)), make([][]int32, len(c.in)), make([][]int64, len(c.pOut))
	for t := range c.out {
		out.counts.out[t], out.counts.in[t] = pick32(c.out[t]), pick32(c.in[t])
		out.counts.pOut[t] = make([]int64, len(keep))
		for n, k := range keep {
			out.counts.pOut[t][n] = c.pOut[t][k]
		}
	}
	return out, nil
}
