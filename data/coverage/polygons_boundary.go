package coverage

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"weak"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage/contour"
	"phusong/data/land"
	"phusong/geo"
)

// boundaryCache holds an engine's boundary distance rasters, built on first use.
type boundaryCache struct {
	once      sync.Once
	projected []orb.MultiPolygon // communes in the engine frame, code order
	provWin   contour.Window     // the engine grid padded by contour.WindowPad cells on every side
	// class[c] is the signed distance over provWin to the boundary of the land of class c (0:
	// commune land, 1: ward land; see landClass): all −(contour.BoundaryBandCells+1)·CellM
	// without it. Kept packed (packDistance): 2 × 6.5 MB as rasters on the demo at 50 m.
	class [2]packedDistance
	near  []int32 // land cells within the distance band of the other class, ascending
	// Built with the rasters (package contour): the static block kinds of provWin and the
	// samples of the static-active blocks that contour.SettleProvinceEdges reads.
	static []contour.BlockKind
	edges  []contour.EdgeBlock
	// Built on first use: the positions in near ordered by tile.
	nearTileOnce sync.Once
	nearTiled    []int32
	communes     memo[int, communeBoundary] // dist kept packed
}

// communeBoundary is one commune's window and signed distance raster over it.
type communeBoundary struct {
	win    contour.Window
	dist   []float32
	static []contour.BlockKind // static block kinds of win (package contour)
	packed packedDistance      // dist as the cache keeps it (dist nil there)
}

// packedDistance is a signed distance raster of contour.SignedDistance in little memory: off
// its band a cell holds +Inf (land) or contour.FarOutside; one bit a cell says which (set:
// not +Inf), and the other values are listed. The demo's 41 commune rasters take 1.6 MB so
// instead of 6.4 MB as float32 rasters (TestPackedCommuneDistance), and unpack to the same bits.
type packedDistance struct {
	n      int
	far    float32   // contour.FarOutside of the grid
	notInf []uint64  // bit k: cell k holds far, or is listed
	cells  []int32   // the cells holding neither +Inf nor far, ascending
	vals   []float32 // their values
}

// packDistance packs d, whose cells off the band hold +Inf or far.
func packDistance(d []float32, far float32) packedDistance {
	p := packedDistance{n: len(d), far: far, notInf: make([]uint64, (len(d)+63)/64)}
	inf := float32(math.Inf(1))
	for k, v := range d {
		if v == inf {
			continue
		}
		p.notInf[k>>6] |= 1 << (uint(k) & 63)
		if math.Float32bits(v) != math.Float32bits(far) {
			p.cells, p.vals = append(p.cells, int32(k)), append(p.vals, v)
		}
	}
	p.cells, p.vals = slices.Clip(p.cells), slices.Clip(p.vals)
	return p
}

// unpack returns the raster p packs: bitwise the one packDistance was given.
func (p packedDistance) unpack() []float32 {
	d := make([]float32, p.n)
	p.rowInto(0, d)
	return d
}

// rowInto writes the values of the cells [k0, k0+len(dst)) into dst.
func (p packedDistance) rowInto(k0 int, dst []float32) {
	q, _ := slices.BinarySearch(p.cells, int32(k0))
	inf := float32(math.Inf(1))
	for n := range dst {
		k := k0 + n
		switch {
		case p.notInf[k>>6]&(1<<(uint(k)&63)) == 0:
			dst[n] = inf
		case q < len(p.cells) && int(p.cells[q]) == k:
			dst[n] = p.vals[q]
			q++
		default:
			dst[n] = p.far
		}
	}
}

// bytes is the memory p holds.
func (p packedDistance) bytes() int { return 8*len(p.notInf) + 4*cap(p.cells) + 4*cap(p.vals) }

// boundaries returns e's cache, building the projected communes and the land-class rasters once.
func (e *Engine) boundaries() *boundaryCache {
	bc := &e.bounds
	bc.once.Do(func() {
		bc.projected = make([]orb.MultiPolygon, len(e.communes))
		for i, c := range e.communes {
			bc.projected[i] = geo.AsMultiPolygon(e.tm.ForwardGeometry(c.Geometry))
		}
		g := e.land.Grid
		bc.provWin = contour.NewWindow(g, land.CellRect{I0: -contour.WindowPad, J0: -contour.WindowPad, I1: g.NX + contour.WindowPad, J1: g.NY + contour.WindowPad})
		var class [2][]float32
		for cls := range class {
			class[cls] = e.classDistance(bc, cls)
		}
		far, inf := contour.FarOutside(g.CellM), float32(math.Inf(1))
		for gk, ci := range e.land.Commune {
			if ci >= 0 && class[1-e.communeClass(int(ci))][bc.provWin.Index(gk%g.NX, gk/g.NX)] != far {
				bc.near = append(bc.near, int32(gk))
			}
		}
		// the static blocks are those classified by the boundary rasters alone: blockLand
		// where the block and its halo are clean land, blockOut where they are clean outside,
		// blockActive elsewhere
		bc.static = contour.ClassifyBlocks(bc.provWin, func(wk int) (land, outside bool) {
			d0, d1 := class[0][wk], class[1][wk]
			return (d0 == inf && d1 == far) || (d1 == inf && d0 == far), d0 == far && d1 == far
		})
		bc.edges = contour.EdgeBlocks(bc.provWin, g, bc.static, class, bc.nearPosOf)
		for cls := range class {
			bc.class[cls] = packDistance(class[cls], far)
		}
	})
	return bc
}

// classDistance returns the signed distance over bc.provWin to the boundary of the land of
// class cls (see boundaryCache.class), given bc's projected communes and window.
func (e *Engine) classDistance(bc *boundaryCache, cls int) []float32 {
	g := e.land.Grid
	var mps []orb.MultiPolygon
	for ci, mp := range bc.projected {
		if e.communeClass(ci) == uint8(cls) && (e.own == nil || e.own[ci]) {
			mps = append(mps, mp)
		}
	}
	inside := make([]bool, bc.provWin.Grid.Len())
	for wk := range inside {
		if gk := bc.provWin.Full(g, wk); gk >= 0 && e.land.Commune[gk] >= 0 {
			inside[wk] = e.landClass(gk) == uint8(cls)
		}
	}
	return contour.SignedDistance(bc.provWin, inside, contour.OuterSegments(mps))
}

// classRows writes the values of both land-class rasters (boundaryCache.class) at the
// province window cells [wk0, wk0+len(d0)) into d0 and d1.
func (bc *boundaryCache) classRows(wk0 int, d0, d1 []float32) {
	bc.class[0].rowInto(wk0, d0)
	bc.class[1].rowInto(wk0, d1)
}

// nearOtherClass returns the land cells (engine-grid indexes, ascending) within the distance
// band of the other land class: where polygons need the level under the other class's
// environment (see polygons_level.go).
func (bc *boundaryCache) nearOtherClass() []int32 { return bc.near }

// communeBoundary returns commune ci's window (its cells' bounding rectangle padded by
// contour.WindowPad) and the signed distance to its own boundary over it. The cache keeps the
// distance packed (packDistance): each call unpacks a raster of its own.
func (e *Engine) communeBoundary(ci int) communeBoundary {
	bc := e.boundaries()
	cb := bc.communes.get(ci, func() communeBoundary {
		w, dist := e.communeDistance(ci)
		if dist == nil {
			return communeBoundary{}
		}
		far, inf := contour.FarOutside(e.land.Grid.CellM), float32(math.Inf(1))
		static := contour.ClassifyBlocks(w, func(wk int) (land, outside bool) { return dist[wk] == inf, dist[wk] == far })
		return communeBoundary{win: w, static: static, packed: packDistance(dist, far)}
	})
	if cb.packed.n > 0 {
		cb.dist = cb.packed.unpack()
	}
	return cb
}

// communeDistance returns commune ci's window (its cells' bounding rectangle padded by
// contour.WindowPad) and the signed distance to its own boundary over it (nil for a commune
// without a cell).
func (e *Engine) communeDistance(ci int) (contour.Window, []float32) {
	g := e.land.Grid
	r := land.CellRect{I0: g.NX, J0: g.NY, I1: 0, J1: 0}
	for _, tix := range e.land.CommuneTiles[ci] {
		t := &e.land.Tiles[tix]
		e.land.EachCell(t, t.Rect(), func(k int32) {
			if e.land.CellCommune[k] == int32(ci) {
				i, j := int(e.land.CellI[k]), int(e.land.CellJ[k])
				r = land.CellRect{I0: min(r.I0, i), J0: min(r.J0, j), I1: max(r.I1, i+1), J1: max(r.J1, j+1)}
			}
		})
	}
	if r.Empty() {
		return contour.Window{}, nil
	}
	w := contour.NewWindow(g, land.CellRect{I0: r.I0 - contour.WindowPad, J0: r.J0 - contour.WindowPad, I1: r.I1 + contour.WindowPad, J1: r.J1 + contour.WindowPad})
	return w, contour.SignedDistance(w, e.insideWindow(w, ci), contour.RingSegments(nil, e.boundaries().projected[ci]))
}

// insideWindow returns, per cell of w, whether the engine's land raster puts it in commune ci
// (cells beyond the grid are outside).
func (e *Engine) insideWindow(w contour.Window, ci int) []bool {
	g := e.land.Grid
	inside := make([]bool, w.Grid.Len())
	for wk := range inside {
		if gk := w.Full(g, wk); gk >= 0 {
			inside[wk] = e.land.Commune[gk] == int32(ci)
		}
	}
	return inside
}

// communeClass returns the land class of commune ci: 1 for a ward, 0 otherwise.
func (e *Engine) communeClass(ci int) uint8 {
	if e.communes[ci].Type == data.TypeWard {
		return 1
	}
	return 0
}

// memo computes a value once per key; concurrent callers of the same key wait for the first.
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*memoEntry[V]
}

type memoEntry[V any] struct {
	once sync.Once
	v    V
}

// get returns the value of k, computing it with f on first use.
func (c *memo[K, V]) get(k K, f func() V) V {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[K]*memoEntry[V]{}
	}
	en, ok := c.m[k]
	if !ok {
		en = &memoEntry[V]{}
		c.m[k] = en
	}
	c.mu.Unlock()
	en.once.Do(func() { en.v = f() })
	return en.v
}

// weakCache attaches a lazily built *V to a *T without a field in T: entries are keyed by weak
// pointers and removed when their T is collected.
type weakCache[T, V any] struct{ m sync.Map }

// get returns p's value, building it with mk on first use.
func (c *weakCache[T, V]) get(p *T, mk func() *V) *V {
	k := weak.Make(p)
	if v, ok := c.m.Load(k); ok {
		return v.(*V)
	}
	v, loaded := c.m.LoadOrStore(k, mk())
	if !loaded {
		runtime.AddCleanup(p, func(k weak.Pointer[T]) { c.m.Delete(k) }, k)
	}
	return v.(*V)
}
