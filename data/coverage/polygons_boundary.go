package coverage

import (
	"math"
	"runtime"
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
	// commune land, 1: ward land; see landClass): all −(contour.BoundaryBandCells+1)·CellM without it.
	class [2][]float32
	near  []int32 // land cells within the distance band of the other class, ascending
	// Built on first use (package contour): the static block kinds of provWin, per provWin
	// cell its position in near or −1, the positions in near ordered by tile, and the samples
	// of the static-active blocks that contour.SettleProvinceEdges reads.
	staticOnce, nearOnce, nearTileOnce, edgeOnce sync.Once
	static                                       []contour.BlockKind
	nearPos                                      []int32
	nearTiled                                    []int32 // positions in near, by tile
	edges                                        []contour.EdgeBlock
	communes                                     memo[int, communeBoundary]
}

// communeBoundary is one commune's window and signed distance raster over it.
type communeBoundary struct {
	win    contour.Window
	dist   []float32
	static []contour.BlockKind // static block kinds of win (package contour)
}

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
		for cls := range bc.class {
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
			bc.class[cls] = contour.SignedDistance(bc.provWin, inside, contour.OuterSegments(mps))
		}
		far := contour.FarOutside(g.CellM)
		for gk, ci := range e.land.Commune {
			if ci >= 0 && bc.class[1-e.communeClass(int(ci))][bc.provWin.Index(gk%g.NX, gk/g.NX)] != far {
				bc.near = append(bc.near, int32(gk))
			}
		}
	})
	return bc
}

// nearOtherClass returns the land cells (engine-grid indexes, ascending) within the distance
// band of the other land class: where polygons need the level under the other class's
// environment (see polygons_level.go).
func (bc *boundaryCache) nearOtherClass() []int32 { return bc.near }

// communeBoundary returns commune ci's window (its cells' bounding rectangle padded by
// contour.WindowPad) and the signed distance to its own boundary over it.
func (e *Engine) communeBoundary(ci int) communeBoundary {
	bc := e.boundaries()
	return bc.communes.get(ci, func() communeBoundary {
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
			return communeBoundary{}
		}
		w := contour.NewWindow(g, land.CellRect{I0: r.I0 - contour.WindowPad, J0: r.J0 - contour.WindowPad, I1: r.I1 + contour.WindowPad, J1: r.J1 + contour.WindowPad})
		dist := contour.SignedDistance(w, e.insideWindow(w, ci), contour.RingSegments(nil, bc.projected[ci]))
		far, inf := contour.FarOutside(g.CellM), float32(math.Inf(1))
		static := contour.ClassifyBlocks(w, func(wk int) (land, outside bool) { return dist[wk] == inf, dist[wk] == far })
		return communeBoundary{win: w, dist: dist, static: static}
	})
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
