package fibre

import (
	"fmt"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// Parts gathers the reach of a network on a land cut into regions, one region at a time, into
// one Reach (Join): a country whose land raster does not fit at once. Every region is a Land
// over a window of the whole grid (the same cell centres, in the same projection) whose raster
// holds only the cells of the communes it owns, each commune owned by one region, all its land
// cells in that region's window. The figures then equal Compute's on the whole land exactly
// (without a population grid, which the parts do not support): a cell's distance to the network
// and its commune are the same in both. Add is safe for concurrent use.
type Parts struct {
	grid      geo.Grid
	tm        geo.TransverseMercator
	communes  []data.Commune
	net       *Network
	opts      Options
	operators []string

	mu    sync.Mutex
	rows  []CommuneReach
	owned []bool               // per commune: its row was added
	polys [][]orb.MultiPolygon // per region, per layer (operators, then AnyOperator)
	seen  map[int]bool         // regions added
}

// NewParts checks net (Check, over the area of communes: the whole land's, in its order) and
// opts, and returns an empty gathering of the reach of net on the whole grid whole (projected
// with tm) cut into regions regions.
func NewParts(whole geo.Grid, tm geo.TransverseMercator, communes []data.Commune, net *Network, opts Options, regions int) (*Parts, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := Check(net, data.AreaOf(communes)); err != nil {
		return nil, fmt.Errorf("fibre: %w", err)
	}
	return &Parts{grid: whole, tm: tm, communes: communes, net: net, opts: opts, operators: net.Operators(),
		rows: make([]CommuneReach, len(communes)), owned: make([]bool, len(communes)),
		polys: make([][]orb.MultiPolygon, regions), seen: map[int]bool{}}, nil
}

// Add computes the reach on region ri's land (ComputePart with the network's elements near the
// land's grid) and keeps the figures of the communes it owns and its reach polygons per
// operator (Reach.Polygons: clipped to the land, so to its own communes' boundary when the land
// measures it) — not its rasters. whole[n] is the index in the whole land of land's commune n,
// or −1 for a commune the region does not own (whose cells land's raster must not hold).
func (p *Parts) Add(ri int, land Land, whole []int) error {
	if ri < 0 || ri >= len(p.polys) || len(whole) != len(land.Communes()) {
		return fmt.Errorf("%w: region %d of %d with %d commune indexes for %d communes", ErrLand, ri, len(p.polys), len(whole), len(land.Communes()))
	}
	r, err := ComputePart(land, p.near(land.Grid()), p.opts, p.operators)
	if err != nil {
		return err
	}
	polys := make([]orb.MultiPolygon, len(r.layers))
	for li := range r.layers {
		if polys[li], err = r.Polygons(p.layerOperator(li)); err != nil {
			return err
		}
	}
	return p.take(ri, whole, r.rows, polys)
}

// take keeps region ri's rows (rows[n] of whole commune whole[n], none where it is −1) and
// polygons per layer, all or nothing.
func (p *Parts) take(ri int, whole []int, rows []CommuneReach, polys []orb.MultiPolygon) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[ri] {
		return fmt.Errorf("%w: region %d added twice", ErrLand, ri)
	}
	for _, ci := range whole {
		if ci >= 0 && p.owned[ci] {
			return fmt.Errorf("%w: commune %s owned by two regions", ErrLand, p.communes[ci].Code)
		}
	}
	for n, ci := range whole {
		if ci >= 0 {
			p.rows[ci], p.owned[ci] = rows[n], true
		}
	}
	p.seen[ri], p.polys[ri] = true, polys
	return nil
}

// AddFar adds region ri when no element of the network is near its window (Near is false): its
// own communes (whole indexes) have landCells land cells each and nothing in reach, which is
// what Add would find without rasterising the land.
func (p *Parts) AddFar(ri int, own []int, landCells []int) error {
	if ri < 0 || ri >= len(p.polys) || len(own) != len(landCells) {
		return fmt.Errorf("%w: region %d of %d with %d land cell counts for %d communes", ErrLand, ri, len(p.polys), len(landCells), len(own))
	}
	r := &Reach{grid: p.grid, opts: p.opts, operators: p.operators, layers: make([]*layer, len(p.operators)+1)}
	in, inUnits := make([][]int, len(r.layers)), make([][]int64, len(r.layers))
	for li := range in {
		in[li], inUnits[li] = make([]int, len(own)), make([]int64, len(own))
	}
	for _, ci := range own {
		if ci < 0 || ci >= len(p.communes) {
			return fmt.Errorf("%w: commune index %d of %d", ErrLand, ci, len(p.communes))
		}
		r.communes = append(r.communes, p.communes[ci])
	}
	return p.take(ri, own, r.rowsOf(landCells, nil, in, inUnits), make([]orb.MultiPolygon, len(r.layers)))
}

// Near reports whether an element of the network may be within DropM + 2 cells of a cell of
// window g (a region's window of the whole grid): if not, the region is added with AddFar.
func (p *Parts) Near(g geo.Grid) bool {
	n := p.near(g)
	return len(n.Routes)+len(n.AccessPoints) > 0
}

// near returns the elements of the network that may be within DropM + 2 cells of a cell of g:
// those meeting the lon/lat bound of g's bound padded by that and a kilometre (more than the
// projection bends over a region).
func (p *Parts) near(g geo.Grid) *Network {
	b := g.Bound().Pad(p.opts.DropM + 2*g.CellM + 1000)
	var ll orb.Bound
	for n, q := range []orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]},
		{b.Center()[0], b.Min[1]}, {b.Center()[0], b.Max[1]}, {b.Min[0], b.Center()[1]}, {b.Max[0], b.Center()[1]}} {
		if q = p.tm.Inverse(q); n == 0 {
			ll = orb.Bound{Min: q, Max: q}
		} else {
			ll = ll.Extend(q)
		}
	}
	return p.net.InBound(ll)
}

// Join returns the reach of every region added: each commune's figures from the region owning
// it, and per operator the regions' polygons one after another (in region order: they meet
// along the borders between regions without overlapping). The Reach answers Operators, DropM,
// FeederReach, Projection, Grid (the whole grid), Communes, Province and Polygons as Compute's
// does; it holds no raster, so InReach answers false and DistanceM +Inf. A commune no region
// owns is an error.
func (p *Parts) Join() (*Reach, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ci, ok := range p.owned {
		if !ok {
			return nil, fmt.Errorf("%w: commune %s in no region", ErrLand, p.communes[ci].Code)
		}
	}
	r := &Reach{grid: p.grid, tm: p.tm, communes: p.communes, opts: p.opts, operators: p.operators, rows: p.rows,
		layers: make([]*layer, len(p.operators)+1)}
	for li := range r.layers {
		var mp orb.MultiPolygon
		for _, ps := range p.polys {
			if ps != nil {
				mp = append(mp, ps[li]...)
			}
		}
		lp := &lazyPolygons{mp: mp}
		lp.once.Do(func() {}) // built
		r.polys.Store(p.layerOperator(li), lp)
		r.layers[li] = &layer{} // no raster: InReach and DistanceM answer as far away
	}
	return r, nil
}

// layerOperator is the operator of layer li: operators, then AnyOperator.
func (p *Parts) layerOperator(li int) string {
	if li < len(p.operators) {
		return p.operators[li]
	}
	return AnyOperator
}
