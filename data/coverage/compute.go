package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"phusong/data"
)

// chunk is one (carrier, technology) layer over one tile: the best level and serving site of
// each of the tile's inside cells (compact order). A nil chunk means every cell is NaN.
// Chunks are immutable once their Result is returned and are shared between results.
type chunk struct {
	sites   []*data.Site // the tile's candidate sites of the carrier, by SiteID
	level   []float32    // dBm; NaN below the cutoff
	serving []uint16     // index into sites; noServer where level is NaN
}

// layer is one (carrier, technology) over the whole grid: one chunk per tile.
type layer []*chunk

// layerJob asks for one (carrier, technology) chunk of a tile to be recomputed over rect.
type layerJob struct {
	carrier, tech int
	rect          CellRect
}

// tileJob is the unit of parallel work: the layers to recompute in one tile.
type tileJob struct {
	tile   int32
	layers []layerJob
}

// run computes jobs with the engine's workers, writing chunks into out[carrier][tech][tile];
// prev, when not nil, holds the previous chunks (same carrier indexing as out). Each job owns
// its tile's slots, so no two goroutines write the same element.
func (e *Engine) run(ctx context.Context, snap *data.Snapshot, carriers []string, models map[*data.Site]*siteModel,
	jobs []tileJob, prev, out [][]layer, prog *progress) error {
	ch := make(chan tileJob)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	workers := min(e.opts.Workers, max(1, len(jobs)))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{e: e, snap: snap, carriers: carriers, models: models}
			for job := range ch {
				if ctx.Err() != nil {
					continue
				}
				if err := w.tile(job, prev, out); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
				prog.tick()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	prog.finish()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coverage: %w", err)
	}
	return firstErr
}

// worker holds one goroutine's scratch buffers.
type worker struct {
	e        *Engine
	snap     *data.Snapshot
	carriers []string
	models   map[*data.Site]*siteModel // read-only
	best     []float64
	serv     []uint16
	groups   []candGroup
}

// candGroup is a sector group of the candidate site sites[site].
type candGroup struct {
	site uint16
	g    *groupModel
}

// tile runs one job.
func (w *worker) tile(job tileJob, prev, out [][]layer) error {
	t := &w.e.land.tiles[job.tile]
	var cands []*data.Site
	last := -1
	for _, lj := range job.layers {
		if lj.carrier != last {
			cands = w.e.candidates(w.snap, t, w.carriers[lj.carrier])
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

// candidates returns the counted sites of carrier whose reach box meets the tile, by SiteID.
func (e *Engine) candidates(snap *data.Snapshot, t *tile, carrier string) []*data.Site {
	var out []*data.Site
	for _, s := range snap.Reaching(t.boundLL, data.Filter{Carrier: carrier}) {
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
func (w *worker) chunk(t *tile, cands []*data.Site, ti int, rect CellRect, old *chunk) (*chunk, error) {
	if len(cands) >= noServer {
		return nil, fmt.Errorf("coverage: %d candidate sites for one tile, more than %d", len(cands), noServer-1)
	}
	w.groups = w.groups[:0]
	for si, s := range cands {
		m, err := w.model(s)
		if err != nil {
			return nil, err
		}
		for k := range m.groups[ti] {
			w.groups = append(w.groups, candGroup{site: uint16(si), g: &m.groups[ti][k]})
		}
	}
	if len(w.groups) == 0 {
		return nil, nil
	}
	// Nearest masts first: they set high levels early, so that the bound skips more of the
	// far groups' cells. The result does not depend on the order (see evaluate).
	g := w.e.land.grid
	cx := g.X0M + float64(t.I0+t.I1)/2*g.CellM
	cy := g.Y0M + float64(t.J0+t.J1)/2*g.CellM
	slices.SortFunc(w.groups, func(a, b candGroup) int {
		da := (a.g.x-cx)*(a.g.x-cx) + (a.g.y-cy)*(a.g.y-cy)
		db := (b.g.x-cx)*(b.g.x-cx) + (b.g.y-cy)*(b.g.y-cy)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(a.site, b.site))
	})
	n := int(t.End - t.Start)
	c := &chunk{sites: cands, level: make([]float32, n), serving: make([]uint16, n)}
	whole := t.rect()
	rect = rect.Intersect(whole)
	if rect != whole && !c.inherit(old, t, rect, w.e.land) {
		rect = whole
	}
	if cap(w.best) < n {
		w.best, w.serv = make([]float64, n), make([]uint16, n)
	}
	best, serv := w.best[:n], w.serv[:n]
	w.e.eachCell(t, rect, func(k int32) {
		best[k-t.Start], serv[k-t.Start] = math.Inf(-1), noServer
	})
	w.evaluate(t, rect, best, serv)
	cutoff := w.e.rules[ti].cutoff
	w.e.eachCell(t, rect, func(k int32) {
		o := k - t.Start
		if best[o] >= cutoff {
			c.level[o], c.serving[o] = float32(best[o]), serv[o]
		} else {
			c.level[o], c.serving[o] = float32(math.NaN()), noServer
		}
	})
	return c, nil
}

// inherit fills c's cells outside rect from old (NaN when old is nil), re-indexing the serving
// sites into c.sites. It returns false when a serving site of old is not among c.sites (the
// caller then recomputes the whole tile).
func (c *chunk) inherit(old *chunk, t *tile, rect CellRect, l *land) bool {
	if old == nil {
		for o := range c.level {
			c.level[o], c.serving[o] = float32(math.NaN()), noServer
		}
		return true
	}
	remap := make([]uint16, len(old.sites))
	for i, s := range old.sites {
		remap[i] = noServer
		if j, ok := slices.BinarySearchFunc(c.sites, s.SiteID, func(x *data.Site, id string) int {
			return cmp.Compare(x.SiteID, id)
		}); ok {
			remap[i] = uint16(j)
		}
	}
	copy(c.level, old.level)
	for o, sv := range old.serving {
		if sv == noServer {
			c.serving[o] = noServer
			continue
		}
		c.serving[o] = remap[sv]
		if remap[sv] == noServer {
			k := t.Start + int32(o)
			i, j := int(l.cellI[k]), int(l.cellJ[k])
			if i < rect.I0 || i >= rect.I1 || j < rect.J0 || j >= rect.J1 {
				return false
			}
		}
	}
	return true
}

// eachCell calls f with the compact index of every inside cell of tile t within rect.
func (e *Engine) eachCell(t *tile, rect CellRect, f func(k int32)) {
	l := e.land
	for _, run := range t.rows {
		if run.J < rect.J0 || run.J >= rect.J1 {
			continue
		}
		for k := run.Start; k < run.End; k++ {
			if i := int(l.cellI[k]); i >= rect.I0 && i < rect.I1 {
				f(k)
			}
		}
	}
}

// evaluate runs every candidate sector over the inside cells of tile t within rect, keeping
// in best/serv (indexed by compact offset in the tile) the highest level and its site; on a
// tie the smallest site index (SiteID order) wins, so the result does not depend on the order
// of the groups. Per sector group, only rows and columns that may lie within its range are
// visited; the exact per-sector range test follows. The level arithmetic is that of
// sectorModel.levelDBm; boundDBm only skips sectors that cannot beat the best.
func (w *worker) evaluate(t *tile, rect CellRect, best []float64, serv []uint16) {
	l := w.e.land
	g := l.grid
	for _, cg := range w.groups {
		grp := cg.g
		r2 := grp.rM * grp.rM
		for _, run := range t.rows {
			if run.J < rect.J0 || run.J >= rect.J1 {
				continue
			}
			dy := g.Y0M + (float64(run.J)+0.5)*g.CellM - grp.y
			if dy*dy > r2 {
				continue
			}
			half := math.Sqrt(r2 - dy*dy)
			ia := max(rect.I0, int(math.Floor((grp.x-half-g.X0M)/g.CellM-0.5))-1)
			ib := min(rect.I1, int(math.Ceil((grp.x+half-g.X0M)/g.CellM-0.5))+2)
			for k := run.Start; k < run.End; k++ {
				i := int(l.cellI[k])
				if i < ia {
					continue
				}
				if i >= ib {
					break
				}
				dx := g.X0M + (float64(i)+0.5)*g.CellM - grp.x
				d2 := dx*dx + dy*dy
				cls := l.cellWard[k]
				o := k - t.Start
				if d2 > grp.r2[cls] || grp.ub[cls][int(d2*grp.ubInv[cls])] < best[o] {
					continue
				}
				d := math.Sqrt(d2)
				if d < nearExactM {
					for si := range grp.secs {
						s := &grp.secs[si]
						if d2 <= s.r2[cls] {
							if lv := s.exactDBm(dx, dy, d, cls); lv > best[o] || (lv == best[o] && cg.site < serv[o]) {
								best[o], serv[o] = lv, cg.site
							}
						}
					}
					continue
				}
				loss, attV := grp.dist[cls].at(d)
				invD := 1 / d
				for si := range grp.secs {
					s := &grp.secs[si]
					if d2 > s.r2[cls] || s.boundDBm(loss, attV) < best[o] {
						continue
					}
					if lv := s.farDBm(loss, attV, dx, dy, invD); lv > best[o] || (lv == best[o] && cg.site < serv[o]) {
						best[o], serv[o] = lv, cg.site
					}
				}
			}
		}
	}
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
