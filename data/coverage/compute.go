package coverage

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/store"
	"phusong/geo"
)

// chunk is one (carrier, technology) layer over one tile: the best level and serving site of
// each of the tile's inside cells (compact order). A nil chunk means no candidate has a sector
// of the technology (every level NaN). Chunks are immutable once their Result is returned and
// are shared between results.
//
// level keeps the best level even below the technology's cutoff, NaN only where no sector has
// the cell within its range: the contours need the exact level just beyond a coverage edge
// (polygons_level.go). Everything else reads a level below the cutoff as none: serving is
// not served there, and the fields and statistics skip it.
//
// The serving site is not stored (it was 2 bytes a cell, a third of a chunk): served holds one
// bit a cell, and Result.At finds the site again by evaluating that one cell
// (Engine.servingIndex), which gives the index the tile's evaluation found.
type chunk struct {
	sites  []*data.Site // the tile's candidate sites of the carrier, by SiteID
	level  []float32    // dBm; NaN where no sector reaches the cell
	served []uint64     // bit o: the best level at offset o reaches the cutoff (a site serves it)
}

// newChunk returns a chunk of n cells for sites, levels zero and no cell served.
func newChunk(sites []*data.Site, n int) *chunk {
	return &chunk{sites: sites, level: make([]float32, n), served: make([]uint64, (n+63)/64)}
}

// serves reports whether a site serves the cell at offset o (its level reaches the cutoff).
func (c *chunk) serves(o int32) bool { return c.served[o>>6]&(1<<(uint(o)&63)) != 0 }

// setServed records whether a site serves the cell at offset o.
func (c *chunk) setServed(o int32, on bool) {
	if on {
		c.served[o>>6] |= 1 << (uint(o) & 63)
	} else {
		c.served[o>>6] &^= 1 << (uint(o) & 63)
	}
}

// layer is one (carrier, technology) over the whole grid: one chunk per tile.
type layer []*chunk

// layerJob asks for one (carrier, technology) chunk of a tile to be recomputed over rect.
type layerJob struct {
	carrier, tech int
	rect          land.CellRect
}

// tileJob is the unit of parallel work: the layers to recompute in one tile.
type tileJob struct {
	tile   int32
	layers []layerJob
}

// run computes jobs on workers goroutines, writing chunks into out[carrier][tech][tile];
// prev, when not nil, holds the previous chunks (same carrier indexing as out). Each job owns
// its tile's slots, so no two goroutines write the same element.
func (e *Engine) run(ctx context.Context, workers int, snap *store.Snapshot, carriers []string, models map[*data.Site]*siteModel,
	jobs []tileJob, prev, out [][]layer, prog *progress) error {
	var (
		mu       sync.Mutex
		firstErr error
	)
	eachParallel(ctx, workers, len(jobs), func() func(int) {
		w := worker{e: e, snap: snap, carriers: carriers, models: models}
		return func(n int) {
			if err := w.tile(jobs[n], prev, out); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
			prog.tick()
		}
	})
	prog.finish()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	return firstErr
}

// eachParallel calls, on min(workers, n) goroutines, newWorker once per goroutine and the
// function it returns with indexes of [0, n), each index once, the goroutines taking the next
// index from a shared counter: no hand-off through a channel, so a goroutine keeps its core and
// its caches (with an unbuffered channel the demo's grid evaluation took 10 % more CPU). It
// stops handing out indexes once ctx is cancelled, and returns when every goroutine is done.
func eachParallel(ctx context.Context, workers, n int, newWorker func() func(i int)) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := newWorker()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// worker holds one goroutine's scratch buffers.
type worker struct {
	e        *Engine
	snap     *store.Snapshot
	carriers []string
	models   map[*data.Site]*siteModel // read-only
	best     []float64
	serv     []uint16
	groups   []candGroup
	blocks   [tileBlocks * tileBlocks]block
	split    struct { // the tile and rectangle blocks holds
		t    *land.Tile
		rect land.CellRect
	}
	cands   [tileBlocks * tileBlocks][]blockCand // per block, in candBuf
	candBuf []blockCand
	secs    []secBound // the sectors of the group evaluateBlock runs: see horzBounds
}

// candGroup is a sector group of the candidate site sites[site].
type candGroup struct {
	site     uint16
	g        *groupModel
	centreM2 float64 // squared distance from the mast to the tile's centre
}

// tile runs one job.
func (w *worker) tile(job tileJob, prev, out [][]layer) error {
	t := &w.e.land.Tiles[job.tile]
	var cands []*data.Site
	last := -1
	for _, lj := range job.layers {
		if lj.carrier != last {
			cands = w.e.candidates(w.snap, int(job.tile), w.carriers[lj.carrier])
			last = lj.carrier
		}
		var old *chunk
		if prev != nil && prev[lj.carrier] != nil {
			old = prev[lj.carrier][lj.tech][job.tile]
		}
		c, err := w.chunk(t, cands, lj.tech, lj.rect, old)
		if err != nil {
			return err
		}
		out[lj.carrier][lj.tech][job.tile] = c
	}
	return nil
}

// candidates returns the counted sites of carrier whose reach box meets tile tix, by SiteID.
func (e *Engine) candidates(snap *store.Snapshot, tix int, carrier string) []*data.Site {
	var out []*data.Site
	for _, s := range snap.Reaching(e.tileBound[tix], store.Filter{Carrier: carrier}) {
		if s.Carrier == carrier && e.counts(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *data.Site) int { return cmp.Compare(a.SiteID, b.SiteID) })
	return out
}

// model returns s's model from the shared map, or builds it (not cached) if missing.
func (w *worker) model(s *data.Site) (*siteModel, error) {
	if m, ok := w.models[s]; ok {
		return m, nil
	}
	return w.e.modelSite(s)
}

// chunk computes the chunk of technology ti over tile t from the candidate sites: the cells in
// rect are evaluated, the others copied from old (nil: NaN). It returns nil when no candidate
// has a sector of the technology (every cell NaN).
func (w *worker) chunk(t *land.Tile, cands []*data.Site, ti int, rect land.CellRect, old *chunk) (*chunk, error) {
	if some, err := w.candGroups(t, cands, ti); err != nil || !some {
		return nil, err
	}
	n := int(t.End - t.Start)
	c := newChunk(cands, n)
	whole := t.Rect()
	rect = rect.Intersect(whole)
	if rect != whole && !c.inherit(old) {
		rect = whole
	}
	if cap(w.best) < n {
		w.best, w.serv = make([]float64, n), make([]uint16, n)
	}
	best, serv := w.best[:n], w.serv[:n]
	w.splitBlocks(t, rect)
	for o0, o1 := range w.spans(t, rect) {
		for o := o0; o < o1; o++ {
			best[o], serv[o] = math.Inf(-1), noServer
		}
	}
	w.evaluate(t, rect, best, serv)
	cutoff := w.e.rules[ti].cutoff
	for o0, o1 := range w.spans(t, rect) {
		c.keep(o0, best[o0:o1], cutoff)
	}
	return c, nil
}

// spans returns the ranges [o0, o1) of compact offsets in tile t of the cells within rect:
// the whole tile when rect covers it, else the row segments of the blocks splitBlocks made
// for (t, rect).
func (w *worker) spans(t *land.Tile, rect land.CellRect) iter.Seq2[int32, int32] {
	return func(yield func(int32, int32) bool) {
		if rect == t.Rect() {
			yield(0, t.End-t.Start)
			return
		}
		for bi := range w.blocks {
			for _, sg := range w.blocks[bi].segs() {
				if !yield(sg.k0-t.Start, sg.k1-t.Start) {
					return
				}
			}
		}
	}
}

// keep stores best, the levels of the cells from offset o0 on, into level (NaN where it is
// −Inf: no sector in range) and marks the cells where best reaches cutoff served.
func (c *chunk) keep(o0 int32, best []float64, cutoff float64) {
	level := c.level[o0 : int(o0)+len(best)]
	for q, v := range best {
		level[q] = float32(v)
		if v == math.Inf(-1) {
			level[q] = float32(math.NaN())
		}
		c.setServed(o0+int32(q), v >= cutoff)
	}
}

// candGroups fills w.groups with the sector groups of technology ti of the candidate sites
// that reach tile t, nearest mast to the tile's centre first: then each block's candidates,
// ordered by their bound, come nearly sorted. The result does not depend on the order (see
// evaluate). It reports whether the candidates have any group of the technology, reaching
// the tile or not.
func (w *worker) candGroups(t *land.Tile, cands []*data.Site, ti int) (bool, error) {
	if len(cands) >= noServer {
		return false, fmt.Errorf("coverage: %d candidate sites for one tile, more than %d", len(cands), noServer-1)
	}
	g := w.e.land.Grid
	x0, x1 := g.X0M+(float64(t.I0)+0.5)*g.CellM, g.X0M+(float64(t.I1-1)+0.5)*g.CellM
	y0, y1 := g.Y0M+(float64(t.J0)+0.5)*g.CellM, g.Y0M+(float64(t.J1-1)+0.5)*g.CellM
	cx, cy := (x0+x1)/2, (y0+y1)/2
	w.groups = w.groups[:0]
	some := false
	for si, s := range cands {
		m, err := w.model(s)
		if err != nil {
			return false, err
		}
		some = some || len(m.groups[ti]) > 0
		for k := range m.groups[ti] {
			grp := &m.groups[ti][k]
			dx, dy := nearest(x0-grp.x, x1-grp.x), nearest(y0-grp.y, y1-grp.y)
			if dx*dx+dy*dy > max(grp.r2[0], grp.r2[1]) {
				continue // no cell of the tile is within range (evaluateBlock's first test)
			}
			cdx, cdy := grp.x-cx, grp.y-cy
			w.groups = append(w.groups, candGroup{site: uint16(si), g: grp, centreM2: cdx*cdx + cdy*cdy})
		}
	}
	slices.SortFunc(w.groups, func(a, b candGroup) int {
		return cmp.Or(cmp.Compare(a.centreM2, b.centreM2), cmp.Compare(a.site, b.site))
	})
	return some, nil
}

// inherit fills c's cells outside rect from old (NaN when old is nil). It returns false when
// a site of old is not among c.sites (the caller then recomputes the whole tile): such a site
// may have served cells outside rect, and which cells a site serves is not stored.
func (c *chunk) inherit(old *chunk) bool {
	if old == nil {
		for o := range c.level {
			c.level[o] = float32(math.NaN())
		}
		return true
	}
	for _, s := range old.sites {
		if _, ok := slices.BinarySearchFunc(c.sites, s.SiteID, func(x *data.Site, id string) int {
			return cmp.Compare(x.SiteID, id)
		}); !ok {
			return false
		}
	}
	copy(c.level, old.level)
	copy(c.served, old.served)
	return true
}

// Evaluation blocks: evaluate prunes the candidate groups per square block of
// 1<<blockShift cells before it visits cells.
const (
	blockShift = 3
	blockSide  = 1 << blockShift
	tileBlocks = (land.TileCells + blockSide - 1) / blockSide // blocks along a tile's side
)

// cellSeg is the compact cells [k0, k1) of grid row j within one block.
type cellSeg struct{ j, k0, k1 int32 }

// block is the inside cells of one evaluation block of a tile within the evaluated rectangle.
type block struct {
	seg            [blockSide]cellSeg // one per row holding cells: seg[:nseg]
	nseg           int
	i0, i1, j0, j1 int     // least and greatest column and row of its cells
	x0, x1, y0, y1 float64 // their centres' bounding box, projected metres
	classes        uint8   // bit cls set when the block holds a cell of land class cls
}

// segs returns the block's row segments.
func (b *block) segs() []cellSeg { return b.seg[:b.nseg] }

// blockCand is a candidate group of a block with its level bound over the block.
type blockCand struct {
	cg   candGroup
	ubDB float64
}

// splitBlocks fills w.blocks with the inside cells of tile t within rect, unless they hold
// them already (the layers of a tile share them).
func (w *worker) splitBlocks(t *land.Tile, rect land.CellRect) {
	if w.split.t == t && w.split.rect == rect {
		return
	}
	w.split.t, w.split.rect = t, rect
	l := w.e.land
	for b := range w.blocks {
		w.blocks[b] = block{i0: math.MaxInt, j0: math.MaxInt, i1: -1, j1: -1}
	}
	for _, run := range t.Rows {
		if run.J < rect.J0 || run.J >= rect.J1 {
			continue
		}
		row := (run.J - t.J0) >> blockShift * tileBlocks
		for k := run.Start; k < run.End; {
			i := int(l.CellI[k])
			if i < rect.I0 {
				k++
				continue
			}
			if i >= rect.I1 {
				break
			}
			bx := (i - t.I0) >> blockShift
			b := &w.blocks[row+bx]
			end := min(rect.I1, t.I0+(bx+1)<<blockShift)
			k0 := k
			for ; k < run.End && int(l.CellI[k]) < end; k++ {
				b.classes |= 1 << l.CellWard[k]
			}
			b.seg[b.nseg] = cellSeg{j: int32(run.J), k0: k0, k1: k}
			b.nseg++
			b.i0, b.i1 = min(b.i0, i), max(b.i1, int(l.CellI[k-1]))
			b.j0, b.j1 = min(b.j0, run.J), max(b.j1, run.J)
		}
	}
	g := l.Grid
	for bi := range w.blocks {
		b := &w.blocks[bi]
		b.x0 = g.X0M + (float64(b.i0)+0.5)*g.CellM
		b.x1 = g.X0M + (float64(b.i1)+0.5)*g.CellM
		b.y0 = g.Y0M + (float64(b.j0)+0.5)*g.CellM
		b.y1 = g.Y0M + (float64(b.j1)+0.5)*g.CellM
	}
}

// evaluate runs every candidate sector over the inside cells of tile t within rect, keeping
// in best/serv (indexed by compact offset in the tile) the highest level and its site; on a
// tie the smallest site index (SiteID order) wins, so the result does not depend on the order
// of the groups. The tile is cut into blocks; per block, the groups within range are ordered by
// an upper bound of their level over the block (the bucket bound at the block's nearest cell,
// groupModel.ubFrom) and visited until the bound falls below the least best level of the
// block's cells: such a group is strictly below every cell's best, so skipping it changes
// nothing. Within a block (evaluateBlock), the per-cell range and bucket bound tests follow,
// then the level arithmetic of sectorModel.levelDBm; boundHorzDB, with the sector's
// horizontal attenuation bounded over the block (horzBounds), only skips sectors that cannot
// beat the best.
func (w *worker) evaluate(t *land.Tile, rect land.CellRect, best []float64, serv []uint16) {
	w.splitBlocks(t, rect)
	w.candBuf = slices.Grow(w.candBuf[:0], len(w.blocks)*len(w.groups))
	for bi := range w.cands {
		w.cands[bi] = w.candBuf[bi*len(w.groups) : bi*len(w.groups) : (bi+1)*len(w.groups)]
	}
	for _, cg := range w.groups {
		grp := cg.g
		for bi := range w.blocks {
			b := &w.blocks[bi]
			if b.nseg == 0 {
				continue
			}
			dx, dy := nearest(b.x0-grp.x, b.x1-grp.x), nearest(b.y0-grp.y, b.y1-grp.y)
			d2 := dx*dx + dy*dy
			ub, in := math.Inf(-1), false
			for cls := range 2 {
				if b.classes&(1<<cls) != 0 && d2 <= grp.r2[cls] {
					ub, in = max(ub, grp.ubFrom[cls][int(d2*grp.ubInv[cls])]), true
				}
			}
			if in {
				w.cands[bi] = append(w.cands[bi], blockCand{cg: cg, ubDB: ub})
			}
		}
	}
	for bi := range w.blocks {
		b := &w.blocks[bi]
		cands := w.cands[bi]
		// insertion sort, highest bound first (few candidates)
		for a := 1; a < len(cands); a++ {
			for c := a; c > 0 && cands[c].ubDB > cands[c-1].ubDB; c-- {
				cands[c], cands[c-1] = cands[c-1], cands[c]
			}
		}
		lo := math.Inf(-1) // a lower bound of the block's best levels; chunk resets them to -Inf
		for _, bc := range cands {
			if bc.ubDB < lo {
				break // so are the next ones
			}
			w.horzBounds(b, bc.cg.g)
			lo = w.evaluateBlock(t, b, bc.cg, best, serv)
		}
	}
}

// nearest returns the value of [lo, hi] nearest to 0.
func nearest(lo, hi float64) float64 {
	switch {
	case lo > 0:
		return lo
	case hi < 0:
		return -hi
	}
	return 0
}

// Padding of the angular bound of horzBounds: relative on the block's radius, absolute on the
// cosine (both far above the rounding of the cells' own direction cosines).
const (
	blockPadRel = 1e-9
	cosPad      = 1e-9
)

// secBound is a sector of a group with bounds of its horizontal attenuation over a block
// (see horzBounds).
type secBound struct {
	s              *sectorModel
	hMinDB, hMaxDB float64
}

// horzBounds fills w.secs with the sectors of grp that may set a level over block b and, per
// sector, a lower and an upper bound of its horizontal attenuation over the cells of b
// (sectorModel.minHorzDB at the largest cosine of the angle between the boresight and a
// cell's direction, maxHorzDB at the least), highest constDBm − lower bound first, so that
// the sector facing the block tends to set the level that lets boundHorzDB skip the others.
// The cells' centres lie within ρ of the centre of their bounding box, so their directions
// from a mast at distance D > 2ρ from it are within δ = asin(ρ/D) of the centre's direction
// φc off boresight: cos(min(π, φc + δ)) ≤ cos φ ≤ cos(max(0, φc − δ)). Nearer, the bounds are
// the table's extremes, minHorzDB(1) (a hair below 0: horzAt extrapolates past boresight)
// and maxHorzDB(−1).
//
// Dominance: w.secs leaves out every sector s for which another sector f of the group, kept,
// has constDBm_f ≥ constDBm_s, hMaxDB_f ≤ hMinDB_s, the same amDB and r2_f ≥ r2_s on both
// land classes (the last two follow from the first, one engine's Am and one range search
// over one table, but cost little to test). At a cell of b beyond nearExactM (the only cells
// evaluateBlock runs w.secs on) both read the group's loss and attV, and farDBm computes
// att = attV + h (attV alone for omni, h = 0), capped at amDB, then (constDBm − loss) − att:
// h_f ≤ hMaxDB_f ≤ hMinDB_s ≤ h_s, and float addition, the cap and subtraction are
// monotonic in each operand, so level_f ≥ level_s bit for bit, and f is within range
// wherever s is. Both belong to the same site, so a cell's best and serving site after the
// group depend only on the group's greatest level there (a tie with the best already held
// resolves the same whichever sector gives it): leaving s out changes no bit. Dominance is
// transitive, so testing s against the kept sectors before it suffices: a sector
// dominating s has constDBm − hMinDB at least s's and sorts ahead of it, ties of that key
// aside (s then merely stays).
func (w *worker) horzBounds(b *block, grp *groupModel) {
	wx, wy := b.x1-b.x0, b.y1-b.y0
	rho := math.Sqrt(wx*wx+wy*wy) / 2 * (1 + blockPadRel)
	ux, uy := (b.x0+b.x1)/2-grp.x, (b.y0+b.y1)/2-grp.y
	dist := math.Sqrt(ux*ux + uy*uy)
	secs := w.secs[:0]
	far := dist > 2*rho
	sinD := rho / dist
	cosD := math.Sqrt(1 - sinD*sinD)
	for si := range grp.secs {
		s := &grp.secs[si]
		cMin, cMax := -1.0, 1.0
		if far {
			c := (ux*s.sinAz + uy*s.cosAz) / dist
			sinC := math.Sqrt(max(0, 1-c*c))
			if c < cosD {
				cMax = c*cosD + sinC*sinD + cosPad
			}
			if c > -cosD {
				cMin = c*cosD - sinC*sinD - cosPad
			}
		}
		secs = append(secs, secBound{s: s, hMinDB: s.minHorzDB(cMax), hMaxDB: s.maxHorzDB(cMin)})
		for a := len(secs) - 1; a > 0 && secs[a].s.constDBm-secs[a].hMinDB > secs[a-1].s.constDBm-secs[a-1].hMinDB; a-- {
			secs[a], secs[a-1] = secs[a-1], secs[a]
		}
	}
	n := 0
	for _, sb := range secs {
		if !dominated(sb, secs[:n]) {
			secs[n] = sb
			n++
		}
	}
	w.secs = secs[:n]
}

// dominated reports whether a sector of kept dominates sb over the block (see horzBounds).
func dominated(sb secBound, kept []secBound) bool {
	s := sb.s
	for _, f := range kept {
		if f.s.constDBm >= s.constDBm && f.hMaxDB <= sb.hMinDB && f.s.amDB == s.amDB &&
			f.s.r2[0] >= s.r2[0] && f.s.r2[1] >= s.r2[1] {
			return true
		}
	}
	return false
}

// evaluateBlock runs group cg over the cells of block b (see evaluate) and returns the least
// best level of the block's cells. Within nearExactM of the mast it computes the loss, the
// bearing, the depression and the vertical attenuation once for the group and the rest per
// sector (sectorModel.nearDBm: exactDBm's bits); beyond, it reads the distance tables once
// and runs the sectors horzBounds kept.
func (w *worker) evaluateBlock(t *land.Tile, b *block, cg candGroup, best []float64, serv []uint16) float64 {
	l := w.e.land
	g := l.Grid
	grp := cg.g
	secs := w.secs
	lo := math.Inf(1)
	for _, sg := range b.segs() {
		dy := g.Y0M + (float64(sg.j)+0.5)*g.CellM - grp.y
		for k := sg.k0; k < sg.k1; k++ {
			i := int(l.CellI[k])
			dx := g.X0M + (float64(i)+0.5)*g.CellM - grp.x
			d2 := dx*dx + dy*dy
			cls := l.CellWard[k]
			o := k - t.Start
			if !(d2 > grp.r2[cls] || grp.ub[cls][int(d2*grp.ubInv[cls])] < best[o]) {
				if d := math.Sqrt(d2); d < nearExactM {
					s0 := &grp.secs[0]
					loss := s0.curve[cls].LossDB(d / 1000)
					bearing, dep := geo.BearingDeg(dx, dy), geo.DepressionDeg(s0.hbM, s0.hmM, d)
					attV := s0.ant.VerticalDB(dep)
					nan := math.IsNaN(bearing) || math.IsNaN(dep) // every exactDBm is NaN: it beats no best
					for si := range grp.secs {
						s := &grp.secs[si]
						if d2 <= s.r2[cls] && !nan {
							if lv := s.nearDBm(loss, bearing, attV); lv > best[o] || (lv == best[o] && cg.site < serv[o]) {
								best[o], serv[o] = lv, cg.site
							}
						}
					}
				} else {
					loss, attV := grp.dist[cls].at(d)
					invD := 1 / d
					for _, sb := range secs {
						s := sb.s
						if d2 > s.r2[cls] || s.boundHorzDB(loss, attV, sb.hMinDB) < best[o] {
							continue
						}
						if lv := s.farDBm(loss, attV, dx, dy, invD); lv > best[o] || (lv == best[o] && cg.site < serv[o]) {
							best[o], serv[o] = lv, cg.site
						}
					}
				}
			}
			if best[o] < lo {
				lo = best[o]
			}
		}
	}
	return lo
}

// progress writes "\rcoverage: 37% of 1444 tiles" to a writer as jobs finish.
type progress struct {
	mu          sync.Mutex
	w           interface{ Write([]byte) (int, error) }
	total, done int
	pct         int
}

// newProgress returns nil (silent) when w is nil.
func newProgress(w interface{ Write([]byte) (int, error) }, total int) *progress {
	if w == nil || total == 0 {
		return nil
	}
	return &progress{w: w, total: total, pct: -1}
}

func (p *progress) tick() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.doneN(p.done + 1)
}

func (p *progress) doneN(n int) {
	p.done = n
	if pct := 100 * p.done / p.total; pct != p.pct {
		p.pct = pct
		fmt.Fprintf(p.w, "\rcoverage: %3d%% of %d tiles", pct, p.total)
	}
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w)
}

// servingSite returns the key of the site serving the cell at offset o of tile t in chunk c of
// technology ti (c.serves(o) must hold): the cell is evaluated again alone, with the chunk's
// candidate sites and worker.chunk's groups, bounds and tie rule (the lowest site index among
// equal levels), which find the same site as the evaluation of the whole tile did.
// TestServingSiteMatchesEvaluation checks it cell by cell against whole-tile evaluations.
func (e *Engine) servingSite(c *chunk, t *land.Tile, ti int, o int32) data.SiteKey {
	w := &worker{e: e, models: make(map[*data.Site]*siteModel, len(c.sites))}
	for _, s := range c.sites {
		m, err := e.model(s)
		if err != nil { // cannot happen: the chunk's evaluation modelled the same sites
			return data.SiteKey{}
		}
		w.models[s] = m
	}
	if some, err := w.candGroups(t, c.sites, ti); err != nil || !some {
		return data.SiteKey{}
	}
	k := t.Start + o
	i, j := int(e.land.CellI[k]), int(e.land.CellJ[k])
	n := int(t.End - t.Start)
	best, serv := make([]float64, n), make([]uint16, n)
	best[o], serv[o] = math.Inf(-1), noServer
	w.evaluate(t, land.CellRect{I0: i, J0: j, I1: i + 1, J1: j + 1}, best, serv)
	if serv[o] == noServer {
		return data.SiteKey{}
	}
	return c.sites[serv[o]].Key()
}
