package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"phusong/data"
	"phusong/geo"
)

// UncoveredSet is one connected set of the uncovered land of a technology in a Regional result:
// land cells (of the whole grid, Engine.Grid) where no carrier's level (Field of AnyCarrier)
// reaches the technology's required outdoor level, meeting at a side or a corner — the cells a
// whole engine's statistics count as uncovered, grouped as package pocket groups them, though
// the levels are held one region at a time.
type UncoveredSet struct {
	First        int32         // its first cell in the whole grid's row-major order (geo.Grid.Index)
	Cells        int           // its cells
	CommuneCells map[int32]int // its cells per commune (index of Engine.Communes)
	pieces       []int         // its regions' pieces (uncoveredIndex.pieces)
}

// uncoveredPiece is one 8-connected set of one region's uncovered own land cells: a set of the
// whole grid is one or more pieces of neighbouring regions.
type uncoveredPiece struct {
	cells    []int32 // whole-grid indexes, ascending
	communes []int32 // per cell, its whole commune index
	border   []int32 // those of cells with a neighbour outside the region's own land, where a piece of another region may touch
}

// uncoveredIndex is the uncovered sets of one technology of a Regional result, with the pieces
// they are made of (every region's, in region order).
type uncoveredIndex struct {
	sets   []UncoveredSet // in First order
	pieces []uncoveredPiece
}

// UncoveredSets returns the uncovered sets of tech (see UncoveredSet) of a Regional result, in
// the order of their first cell; the cells of one are read with UncoveredCells. The pieces of
// every region are found once per result (ServeRegions and UpdateRegions find those of the
// computed technologies while they compute each region; other regions are computed again when
// asked, within the result's region cache) and kept: about 8 bytes an uncovered land cell. It
// answers ErrStatsOnly for a result that is not Regional and ErrNoLayer for an unknown
// technology.
func (r *Result) UncoveredSets(ctx context.Context, tech data.Tech) ([]UncoveredSet, error) {
	ix, err := r.uncovered(ctx, tech)
	if err != nil {
		return nil, err
	}
	return ix.sets, nil
}

// UncoveredCells returns the cells of s, a set UncoveredSets returned for tech on r, ascending
// (whole-grid indexes), and per cell its commune (index of Engine.Communes).
func (r *Result) UncoveredCells(ctx context.Context, tech data.Tech, s *UncoveredSet) (cells, communes []int32, err error) {
	ix, err := r.uncovered(ctx, tech)
	if err != nil {
		return nil, nil, err
	}
	order := make([]int, 0, s.Cells) // positions into the concatenated pieces
	for _, pi := range s.pieces {
		cells = append(cells, ix.pieces[pi].cells...)
		communes = append(communes, ix.pieces[pi].communes...)
	}
	if len(s.pieces) == 1 {
		return cells, communes, nil
	}
	for n := range cells {
		order = append(order, n)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(cells[a], cells[b]) })
	outC, outK := make([]int32, len(order)), make([]int32, len(order))
	for n, o := range order {
		outC[n], outK[n] = cells[o], communes[o]
	}
	return outC, outK, nil
}

// uncovered returns the uncovered index of tech, built on first use.
func (r *Result) uncovered(ctx context.Context, tech data.Tech) (*uncoveredIndex, error) {
	if r.regional == nil {
		return nil, ErrStatsOnly
	}
	if techIndex(tech) < 0 {
		return nil, fmt.Errorf("%w: technology %q", ErrNoLayer, tech)
	}
	rp := r.regional
	rp.mu.Lock()
	en := rp.uncoveredSets[tech]
	if en == nil {
		en = &lazyValue[*uncoveredIndex]{}
		rp.uncoveredSets[tech] = en
	}
	rp.mu.Unlock()
	return en.get(func() (*uncoveredIndex, error) { return rp.uncoveredIndex(ctx, tech) })
}

// uncoveredIndex finds every region's pieces of tech (those not found yet, on the engine's
// workers) and joins the pieces that touch across regions into sets.
func (rp *regionPolygons) uncoveredIndex(ctx context.Context, tech data.Tech) (*uncoveredIndex, error) {
	n := len(rp.plan.regions)
	byRegion := make([][]uncoveredPiece, n)
	errs := make([]error, n)
	eachParallel(ctx, rp.plan.base.opts.Workers, n, func() func(int) {
		return func(ri int) { byRegion[ri], errs[ri] = rp.regionUncovered(ctx, ri, tech) }
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	ix := &uncoveredIndex{}
	for ri := range byRegion {
		if errs[ri] != nil {
			return nil, errs[ri]
		}
		ix.pieces = append(ix.pieces, byRegion[ri]...)
	}
	// Pieces of different regions touch where a border cell of one is a neighbour (side or
	// corner) of a border cell of the other: both are then border cells.
	type borderCell struct{ cell, piece int32 }
	var border []borderCell
	for pi := range ix.pieces {
		for _, k := range ix.pieces[pi].border {
			border = append(border, borderCell{k, int32(pi)})
		}
	}
	slices.SortFunc(border, func(a, b borderCell) int { return cmp.Compare(a.cell, b.cell) })
	parent := make([]int32, len(ix.pieces))
	for pi := range parent {
		parent[pi] = int32(pi)
	}
	find := func(p int32) int32 {
		for parent[p] != p {
			parent[p] = parent[parent[p]]
			p = parent[p]
		}
		return p
	}
	whole := rp.plan.whole
	for _, b := range border {
		i, j := int(b.cell)%whole.NX, int(b.cell)/whole.NX
		for dj := -1; dj <= 1; dj++ {
			for di := -1; di <= 1; di++ {
				a, c := i+di, j+dj
				if a < 0 || c < 0 || a >= whole.NX || c >= whole.NY || (di == 0 && dj == 0) {
					continue
				}
				q := int32(whole.Index(a, c))
				if at, ok := slices.BinarySearchFunc(border, q, func(e borderCell, q int32) int { return cmp.Compare(e.cell, q) }); ok {
					if x, y := find(b.piece), find(border[at].piece); x != y {
						parent[max(x, y)] = min(x, y)
					}
				}
			}
		}
	}
	setOf := map[int32]int{} // root piece → set
	for pi := range ix.pieces {
		root := find(int32(pi))
		si, ok := setOf[root]
		if !ok {
			si = len(ix.sets)
			setOf[root] = si
			ix.sets = append(ix.sets, UncoveredSet{First: math.MaxInt32, CommuneCells: map[int32]int{}})
		}
		s, p := &ix.sets[si], &ix.pieces[pi]
		s.pieces = append(s.pieces, pi)
		s.First = min(s.First, p.cells[0])
		s.Cells += len(p.cells)
		for _, ci := range p.communes {
			s.CommuneCells[ci]++
		}
	}
	slices.SortFunc(ix.sets, func(a, b UncoveredSet) int { return cmp.Compare(a.First, b.First) })
	return ix, nil
}

// regionUncovered returns region ri's pieces of tech, found on first use (from the region's
// levels, computed again unless cached).
func (rp *regionPolygons) regionUncovered(ctx context.Context, ri int, tech data.Tech) ([]uncoveredPiece, error) {
	rp.mu.Lock()
	en := rp.uncoveredPieces[regionTech{ri, tech}]
	if en == nil {
		en = &lazyValue[[]uncoveredPiece]{}
		rp.uncoveredPieces[regionTech{ri, tech}] = en
	}
	rp.mu.Unlock()
	return en.get(func() ([]uncoveredPiece, error) {
		run, err := rp.run(ctx, ri)
		if err != nil || run == nil {
			return nil, err
		}
		return rp.plan.uncoveredPieces(ri, run, tech), nil
	})
}

// keepUncovered finds the pieces of region ri of every technology res computes, from res (the
// region's levels ServeRegions or UpdateRegions just computed), and keeps them.
func (rp *regionPolygons) keepUncovered(ri int, run *regionRun) {
	for ti, tr := range run.res.eng.rules {
		if !run.res.eng.computes(ti) {
			continue
		}
		ps := rp.plan.uncoveredPieces(ri, run, tr.tech)
		rp.mu.Lock()
		rp.uncoveredPieces[regionTech{ri, tr.tech}] = doneValue(ps)
		rp.mu.Unlock()
	}
}

// uncoveredPieces labels the uncovered own land cells of tech in region ri's run (its window of
// the whole grid), in the order of their first cell.
func (p *regionPlan) uncoveredPieces(ri int, run *regionRun, tech data.Tech) []uncoveredPiece {
	res, rg, whole := run.res, &p.regions[ri], p.whole
	req, _ := res.eng.RequiredDBm(tech, false)
	field := res.Field(AnyCarrier, tech)
	owner := res.eng.land.Commune // the run's own communes' cells only
	g := rg.grid
	mask := make([]bool, g.Len())
	for k, ci := range owner {
		mask[k] = ci >= 0 && !(float64(field[k]) >= req)
	}
	labels, n := geo.Components8(mask, g.NX, g.NY)
	wholeOf := make([]int32, len(res.eng.communes)) // the run's commune index → whole index
	for ci, n := range run.local {
		wholeOf[n] = int32(ci)
	}
	i0 := int(math.Round(g.X0M/g.CellM - whole.X0M/whole.CellM))
	j0 := int(math.Round(g.Y0M/g.CellM - whole.Y0M/whole.CellM))
	own := func(i, j int) bool { return i >= 0 && j >= 0 && i < g.NX && j < g.NY && owner[g.Index(i, j)] >= 0 }
	out := make([]uncoveredPiece, n)
	for k, lb := range labels {
		if lb < 0 {
			continue
		}
		i, j := k%g.NX, k/g.NX
		wk := int32(whole.Index(i0+i, j0+j))
		pc := &out[lb]
		pc.cells = append(pc.cells, wk)
		pc.communes = append(pc.communes, wholeOf[owner[k]])
		if !own(i-1, j-1) || !own(i, j-1) || !own(i+1, j-1) || !own(i-1, j) || !own(i+1, j) ||
			!own(i-1, j+1) || !own(i, j+1) || !own(i+1, j+1) {
			pc.border = append(pc.border, wk)
		}
	}
	return out
}
