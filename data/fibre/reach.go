package fibre

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/population"
	"phusong/geo"
)

// DefaultDropM is the default drop distance: land within 300 m of a distribution route or an
// access point is in reach (a typical longest aerial drop cable from a splitter).
const DefaultDropM = 300.0

// MaxDropM bounds Options.DropM, metres.
const MaxDropM = 5000.0

// Errors of the reach computation.
var (
	ErrOptions = errors.New("fibre: bad options")
	ErrLand    = errors.New("fibre: bad land raster")
	ErrNoLayer = errors.New("fibre: no such reach layer")
)

// Options tunes Compute. The zero value gives the defaults.
type Options struct {
	DropM       float64 // drop distance in metres; 0 = DefaultDropM; must be in (0, MaxDropM]
	FeederReach bool    // feeders give reach like distribution routes (default: they do not)
}

// Land is the province raster reach is computed on: the coverage engine's grid (projected
// metres), projection, communes and commune assignment (the index into Communes of the commune
// owning each grid cell, row-major, −1 outside). *coverage.Engine implements it, so fibre reach
// counts the same land cells as mobile coverage.
//
// A Land may also have a method ProvinceSignedDistanceM() []float32 giving, per grid cell, the
// signed distance in metres from the cell centre to the province boundary (positive inside,
// +Inf far inside); the reach polygons are then clipped to the exact boundary. Without it they
// are clipped between land and non-land cell centres (a half-cell staircase).
//
// A Land may also have a method Population() *population.Grid giving the people on its grid
// (nil: none); the households and people in reach are then the grid's people of the in-reach
// cells, as the coverage engine counts them. Without it (or with nil) they are the census
// figures spread uniformly over each commune's land.
type Land interface {
	Grid() geo.Grid
	Projection() geo.TransverseMercator
	Communes() []data.Commune
	CommuneIndexRaster() []int32
}

// boundaryDistancer and peopled are the optional methods of a Land (see Land).
type (
	boundaryDistancer interface {
		ProvinceSignedDistanceM() []float32
	}
	peopled interface {
		Population() *population.Grid
	}
)

// Reach is where a network's households are in reach of fibre, on a Land's grid: per operator
// and for any operator, the distance from every cell centre near the network to the nearest
// reach-giving element, which cells are in reach, and the per-commune figures. It is immutable
// and safe for concurrent readers.
//
// A cell is in reach of an operator when the planar distance (in the Land's projection) from
// its centre to one of the operator's distribution routes (and feeders with
// Options.FeederReach) or access points is at most DropM; cells count for a commune when the
// Land assigns them to it.
type Reach struct {
	grid      geo.Grid
	tm        geo.TransverseMercator
	communes  []data.Commune
	raster    []int32
	sd        []float32        // signed distance to the province boundary, or nil
	pop       *population.Grid // people on the grid, or nil (census spread uniformly)
	opts      Options
	operators []string
	layers    []*layer // per operator, then AnyOperator
	rows      []CommuneReach
	polys     sync.Map // operator → *lazyPolygons (Polygons)
}

// layer is one operator's (or any operator's) distance raster and in-reach bitset.
type layer struct {
	dist distRaster
	in   []uint64 // bit k: grid cell k is in reach
}

// Compute measures the reach of net on land. net must be valid (Check) in the area of the
// land's communes (data.AreaOf); operators without reach-giving elements (backbone only) get
// empty layers. The work is split across operators (GOMAXPROCS goroutines); each segment only
// visits the cells within DropM + 2 cells of it.
func Compute(land Land, net *Network, opts Options) (*Reach, error) {
	if _, err := opts.withDefaults(); err != nil {
		return nil, err
	}
	if err := Check(net, data.AreaOf(land.Communes())); err != nil {
		return nil, fmt.Errorf("fibre: %w", err)
	}
	return compute(land, net, opts, net.Operators())
}

// ComputePart is Compute on one part of a land cut into regions (see Join): net was checked
// (Check) against the whole land's area, and may hold only the elements near land's grid (those
// within DropM + 2 cells of it: others change nothing); the reach has a layer for every one of
// operators (the whole network's, Network.Operators), in that order, empty for those net lacks.
func ComputePart(land Land, net *Network, opts Options, operators []string) (*Reach, error) {
	return compute(land, net, opts, operators)
}

// compute is Compute of a checked net, with a layer for each of operators.
func compute(land Land, net *Network, opts Options, operators []string) (*Reach, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	g := land.Grid()
	raster := land.CommuneIndexRaster()
	communes := land.Communes()
	if g.Len() == 0 || len(raster) != g.Len() {
		return nil, fmt.Errorf("%w: %d raster cells for a %d × %d grid", ErrLand, len(raster), g.NX, g.NY)
	}
	for _, ci := range raster {
		if int(ci) >= len(communes) {
			return nil, fmt.Errorf("%w: commune index %d with %d communes", ErrLand, ci, len(communes))
		}
	}
	r := &Reach{grid: g, tm: land.Projection(), communes: communes, raster: raster, opts: opts, operators: operators}
	if pl, ok := land.(peopled); ok {
		if pop := pl.Population(); pop != nil && len(pop.People) == g.Len() && len(pop.Communes) == len(communes) {
			r.pop = pop
		}
	}
	if bd, ok := land.(boundaryDistancer); ok {
		if sd := bd.ProvinceSignedDistanceM(); len(sd) == g.Len() {
			r.sd = sd
		}
	}
	r.layers = make([]*layer, len(r.operators)+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for oi, op := range r.operators {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.layers[oi] = r.measure(r.segments(net, op))
		}()
	}
	wg.Wait()
	r.layers[len(r.operators)] = r.union(r.layers[:len(r.operators)])
	r.rows = r.count()
	return r, nil
}

// withDefaults returns o with DropM's default, or ErrOptions for a drop distance out of range.
func (o Options) withDefaults() (Options, error) {
	if o.DropM == 0 {
		o.DropM = DefaultDropM
	}
	if !(o.DropM > 0 && o.DropM <= MaxDropM) {
		return o, fmt.Errorf("%w: drop distance %g m outside (0, %g]", ErrOptions, o.DropM, MaxDropM)
	}
	return o, nil
}

// Operators returns the operators of the network, in DefaultOperators order then lexical
// (without AnyOperator). The slice is fresh.
func (r *Reach) Operators() []string { return append([]string(nil), r.operators...) }

// DropM returns the drop distance in metres.
func (r *Reach) DropM() float64 { return r.opts.DropM }

// FeederReach reports whether feeders give reach like distribution routes (Options.FeederReach).
func (r *Reach) FeederReach() bool { return r.opts.FeederReach }

// Projection returns the metric frame of Grid and Polygons (the Land's).
func (r *Reach) Projection() geo.TransverseMercator { return r.tm }

// Grid returns the grid the reach is computed on (the Land's).
func (r *Reach) Grid() geo.Grid { return r.grid }

// layerOf returns the layer of operator (or AnyOperator).
func (r *Reach) layerOf(operator string) (*layer, error) {
	if operator == AnyOperator {
		return r.layers[len(r.operators)], nil
	}
	for i, op := range r.operators {
		if op == operator {
			return r.layers[i], nil
		}
	}
	return nil, fmt.Errorf("%w: operator %q has no fibre in the network", ErrNoLayer, operator)
}

// InReach reports whether grid cell k (Grid().Index) is in reach of operator (or AnyOperator);
// false for an unknown operator, a k outside the grid, or a reach joined from regions
// (Parts.Join), which keeps no raster.
func (r *Reach) InReach(operator string, k int) bool {
	l, err := r.layerOf(operator)
	if err != nil || k < 0 || k >= r.grid.Len() || l.in == nil {
		return false
	}
	return l.in[k>>6]&(1<<(k&63)) != 0
}

// DistanceM returns the distance in metres from the centre of grid cell k to operator's
// (or any operator's) nearest reach-giving element, when it is within DropM + 2 cells; +Inf
// beyond that, for an unknown operator, for k outside the grid and on a reach joined from
// regions (Parts.Join).
func (r *Reach) DistanceM(operator string, k int) float64 {
	l, err := r.layerOf(operator)
	if err != nil || k < 0 || k >= r.grid.Len() || l.dist.tiles == nil {
		return math.Inf(1)
	}
	return float64(l.dist.at(k%r.grid.NX, k/r.grid.NX))
}

// seg is a reach-giving element in projected metres: a route segment, or an access point
// (a = b).
type seg struct{ a, b orb.Point }

// segments returns operator's reach-giving elements, projected, each once (a line drawn out
// and back, as a star's arms, or two routes sharing a street, is measured once).
func (r *Reach) segments(net *Network, operator string) []seg {
	var out []seg
	seen := map[seg]bool{}
	add := func(a, b orb.Point) {
		if b[0] < a[0] || b[0] == a[0] && b[1] < a[1] {
			a, b = b, a
		}
		if s := (seg{a, b}); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, rt := range net.Routes {
		if rt.Operator != operator || !(rt.Kind == Distribution || rt.Kind == Feeder && r.opts.FeederReach) {
			continue
		}
		prev := r.tm.Forward(rt.Line[0])
		for _, p := range rt.Line[1:] {
			q := r.tm.Forward(p)
			add(prev, q)
			prev = q
		}
	}
	for _, a := range net.AccessPoints {
		if a.Operator == operator {
			p := r.tm.Forward(a.Point)
			add(p, p)
		}
	}
	return out
}

// radiusM is how far from an element distances are kept: DropM plus two cells, so every
// neighbour of an in-reach cell has its exact distance (for contouring).
func (r *Reach) radiusM() float64 { return r.opts.DropM + 2*r.grid.CellM }

// measure rasterises the distances to segs within radiusM and marks the cells within DropM.
// Each segment visits, row by row, only the cells whose centre is within radiusM of the part
// of the segment inside that row's band, then takes the exact point–segment distance.
func (r *Reach) measure(segs []seg) *layer {
	g := r.grid
	l := &layer{dist: newDistRaster(g), in: make([]uint64, (g.Len()+63)/64)}
	R, drop := r.radiusM(), r.opts.DropM
	R2 := R * R
	for _, s := range segs {
		b := orb.Bound{Min: s.a, Max: s.a}.Extend(s.b).Pad(R)
		_, j0, _, j1, ok := g.CellRange(b)
		if !ok {
			continue
		}
		dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
		inv := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			inv = 1 / l2
		}
		for j := j0; j <= j1; j++ {
			yc := g.Y0M + (float64(j)+0.5)*g.CellM
			t0, t1 := 0.0, 1.0 // part of the segment within R of the row's centre line, in y
			if dy != 0 {
				ta, tb := (yc-R-s.a[1])/dy, (yc+R-s.a[1])/dy
				t0, t1 = max(0, min(ta, tb)), min(1, max(ta, tb))
			}
			if t0 > t1 {
				continue
			}
			// Columns whose centre is within R of that part in x (rounding here only adds or
			// drops cells at about R, which the exact test below decides).
			xa, xb := s.a[0]+t0*dx, s.a[0]+t1*dx
			i0 := max(0, int(math.Ceil((min(xa, xb)-R-g.X0M)/g.CellM-0.5)))
			i1 := min(g.NX-1, int(math.Floor((max(xa, xb)+R-g.X0M)/g.CellM-0.5)))
			py := yc - s.a[1]
			for i := i0; i <= i1; i++ {
				px := g.X0M + (float64(i)+0.5)*g.CellM - s.a[0]
				t := min(1, max(0, (px*dx+py*dy)*inv))
				ex, ey := px-t*dx, py-t*dy
				d2 := ex*ex + ey*ey
				if d2 > R2 {
					continue
				}
				d := math.Sqrt(d2)
				l.dist.lower(i, j, float32(d))
				if d <= drop {
					k := g.Index(i, j)
					l.in[k>>6] |= 1 << (k & 63)
				}
			}
		}
	}
	return l
}

// union returns the layer of any operator: the least distance and the union of the bitsets.
func (r *Reach) union(ls []*layer) *layer {
	u := &layer{dist: newDistRaster(r.grid), in: make([]uint64, (r.grid.Len()+63)/64)}
	for _, l := range ls {
		for w, v := range l.in {
			u.in[w] |= v
		}
		for t, tile := range l.dist.tiles {
			if tile == nil {
				continue
			}
			ut := u.dist.tiles[t]
			if ut == nil {
				ut = newTile()
				u.dist.tiles[t] = ut
			}
			for o, d := range tile {
				ut[o] = min(ut[o], d)
			}
		}
	}
	return u
}

// distTileSide is the side in cells of the tiles of a distRaster.
const distTileSide = 64

// distRaster is a float32 raster over a grid stored in distTileSide² tiles allocated on first
// write; cells of unallocated tiles, and cells never written, read +Inf.
type distRaster struct {
	nx, ntx int
	tiles   [][]float32
}

func newDistRaster(g geo.Grid) distRaster {
	ntx, nty := (g.NX+distTileSide-1)/distTileSide, (g.NY+distTileSide-1)/distTileSide
	return distRaster{nx: g.NX, ntx: ntx, tiles: make([][]float32, ntx*nty)}
}

// newTile returns a tile of +Inf.
func newTile() []float32 {
	t := make([]float32, distTileSide*distTileSide)
	inf := float32(math.Inf(1))
	for k := range t {
		t[k] = inf
	}
	return t
}

// at returns the value of cell (i, j).
func (d *distRaster) at(i, j int) float32 {
	t := d.tiles[(j/distTileSide)*d.ntx+i/distTileSide]
	if t == nil {
		return float32(math.Inf(1))
	}
	return t[(j%distTileSide)*distTileSide+i%distTileSide]
}

// lower sets cell (i, j) to v if v is smaller than its value.
func (d *distRaster) lower(i, j int, v float32) {
	ti := (j/distTileSide)*d.ntx + i/distTileSide
	t := d.tiles[ti]
	if t == nil {
		t = newTile()
		d.tiles[ti] = t
	}
	o := (j%distTileSide)*distTileSide + i%distTileSide
	t[o] = min(t[o], v)
}
