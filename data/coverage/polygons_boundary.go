package coverage

import (
	"math"
	"runtime"
	"sync"
	"weak"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
	"phusong/geo"
)

// Clipping contours to a boundary. A contour of the level field alone would spill half a cell
// (or, where the field is NaN outside, a whole staircase) across the province edge, and across
// the edge between ward and commune land, where the level jumps (the propagation environment
// changes there; each cell takes its own land's). Instead the polygon builders contour
//
//	v = min(level − threshold, s·d)
//
// at 0, where d is the signed distance in metres from the cell centre to the boundary (positive
// inside, negative outside) and s = boundarySlopeDBPerCell / CellM. Outside, v = s·d < 0. Along a
// grid edge that crosses a straight boundary, with both ends close enough that s·d is the
// minimum, v is linear in the position along the edge and vanishes exactly on the boundary, so
// linear interpolation puts the contour vertex on the boundary line. Away from the boundary
// (beyond boundaryBandCells) d is +Inf inside and v is the level margin alone.
//
// Where the margin is smaller than s·d at the inside end, the vertex falls between the boundary
// and that sample (within one cell of the boundary, on the inside). At a convex corner the
// outside distance is taken to the nearer edge line rather than to the corner point, so the
// contour cuts the corner from inside instead of bulging out; at a reflex corner it rounds the
// corner on the inside. The rasters are padded by windowPad virtual cells (outside) beyond the
// grid, so that contours close on the boundary and not on the grid's edge.
//
// Coverage layers and footprints are clipped to each land class at once. With d_c the signed
// distance to the land of class c (commune land, ward land) and m_c a cell's margin under class
// c's environment, the region is ∪_c {min(m_c, s·d_c) ≥ 0}, contoured as the field
// max_c min(m_c, s·d_c). A cell of class c has d_c > 0 and its own margin from the field; near
// the other class's land (within its band) the other class's margin is evaluated from the
// sectors, elsewhere that term is far below zero and left out. Where both sides of a ward edge
// are covered the field stays positive across it; where one is, the contour follows the edge.
// A cell outside the province takes max(s·d_0, s·d_1). Gaps, one commune at a time, are clipped
// to the commune alone.

const (
	// boundaryBandCells: cells within this many cells (Chebyshev) of a cell of the other side get
	// the exact distance; farther cells get +Inf inside and −(boundaryBandCells+1)·CellM outside.
	boundaryBandCells = 2
	// boundarySlopeDBPerCell is s·CellM: the boundary term in dB one cell inside the boundary.
	// Smaller puts the contour closer to the exact boundary where the level margin is small;
	// larger disturbs coverage edges that run within a cell or two of the boundary less.
	boundarySlopeDBPerCell = 0.5
	// segBucketCells is the side, in cells, of the buckets of the segment index.
	segBucketCells = 4
)

// segment is a boundary edge in projected metres.
type segment struct{ a, b orb.Point }

// distTo returns the distance in metres from p to the segment.
func (s segment) distTo(p orb.Point) float64 {
	d, _ := s.distParam(p)
	return d
}

// distParam returns the distance in metres from p to the segment and the parameter in [0, 1]
// of the nearest point (0 at a, 1 at b).
func (s segment) distParam(p orb.Point) (float64, float64) {
	dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
	px, py := p[0]-s.a[0], p[1]-s.a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = min(1, max(0, (px*dx+py*dy)/l2))
	}
	return math.Hypot(px-t*dx, py-t*dy), t
}

// lineDist returns the distance in metres from p to the segment's supporting line (to a for a
// degenerate segment).
func (s segment) lineDist(p orb.Point) float64 {
	dx, dy := s.b[0]-s.a[0], s.b[1]-s.a[1]
	l := math.Hypot(dx, dy)
	if l == 0 {
		return math.Hypot(p[0]-s.a[0], p[1]-s.a[1])
	}
	return math.Abs(dx*(p[1]-s.a[1])-dy*(p[0]-s.a[0])) / l
}

// window is a rectangle of cells of the engine grid, possibly reaching beyond it (virtual cells
// outside the province, so that contours close on the province boundary and not on the grid's
// edge), with its own sub-grid of the same cells.
type window struct {
	rect land.CellRect
	grid geo.Grid // cell (i, j) of grid is cell (rect.I0+i, rect.J0+j) of the engine grid
}

// newWindow returns the window of r (not clamped; an empty r gives the empty window).
func newWindow(g geo.Grid, r land.CellRect) window {
	if r.Empty() {
		return window{rect: r}
	}
	return window{rect: r, grid: geo.Grid{
		X0M: g.X0M + float64(r.I0)*g.CellM, Y0M: g.Y0M + float64(r.J0)*g.CellM, CellM: g.CellM,
		NX: r.I1 - r.I0, NY: r.J1 - r.J0,
	}}
}

// full returns the engine-grid index of window cell wk, or −1 for a cell beyond the engine grid.
func (w window) full(g geo.Grid, wk int) int {
	i, j := w.rect.I0+wk%w.grid.NX, w.rect.J0+wk/w.grid.NX
	if i < 0 || j < 0 || i >= g.NX || j >= g.NY {
		return -1
	}
	return g.Index(i, j)
}

// index returns the window index of engine-grid cell (i, j), or −1 outside the window.
func (w window) index(i, j int) int {
	i, j = i-w.rect.I0, j-w.rect.J0
	if i < 0 || j < 0 || i >= w.grid.NX || j >= w.grid.NY {
		return -1
	}
	return j*w.grid.NX + i
}

// windowPad is how far windows reach beyond what they must hold: the distance band plus one.
const windowPad = boundaryBandCells + 1

// signedDistance returns, for every cell of w (row-major in w.grid), the signed distance in
// metres from the cell centre to the nearest of segs: positive where inside (indexed by window
// cell), negative elsewhere. Only cells within boundaryBandCells of a cell of the other side are
// measured; the others get +Inf inside and −(boundaryBandCells+1)·CellM outside. A measured cell
// with no segment within (boundaryBandCells+2) cells gets that distance, signed. An outside
// cell nearest to a vertex (a convex corner) gets the largest distance to the lines of the edges
// meeting there instead, which keeps the contour inside at corners.
func signedDistance(w window, inside []bool, segs []segment) []float32 {
	g := w.grid
	n := g.Len()
	out := make([]float32, n)
	farOut := farOutside(g.CellM)
	for k := range out {
		if inside[k] {
			out[k] = float32(math.Inf(1))
		} else {
			out[k] = farOut
		}
	}
	band := bandCells(g, inside)
	if len(band) == 0 {
		return out
	}
	searchM := (boundaryBandCells + 2) * g.CellM
	idx := newSegIndex(g, segs, searchM)
	for _, k := range band {
		i, j := k%g.NX, k/g.NX
		c := g.Center(i, j)
		d, near, at := searchM, idx.near(i, j), -1.0
		var v orb.Point
		for _, si := range near {
			if dd, t := segs[si].distParam(c); dd < d {
				d, at = dd, t
				v = segs[si].a
				if t == 1 {
					v = segs[si].b
				}
			}
		}
		if !inside[k] {
			// Outside, nearest to a vertex (a convex corner): use the largest distance to the
			// lines of the edges meeting there, so that the distance is piecewise linear (min of
			// the edges' signed line distances) and the contour cuts the corner from inside.
			if at == 0 || at == 1 {
				lmax := 0.0
				for _, si := range near {
					if segs[si].a == v || segs[si].b == v {
						lmax = max(lmax, segs[si].lineDist(c))
					}
				}
				d = min(d, lmax)
			}
			d = -d
		}
		out[k] = float32(d)
	}
	return out
}

// farOutside is the distance signedDistance gives the outside cells beyond the band:
// −(boundaryBandCells+1)·cellM.
func farOutside(cellM float64) float32 { return float32(-(boundaryBandCells + 1) * cellM) }

// bandCells returns the cells (row-major in g) within boundaryBandCells, Chebyshev, of a cell
// whose inside flag differs, in increasing order.
func bandCells(g geo.Grid, inside []bool) []int {
	nx, ny := g.NX, g.NY
	edge := make([]bool, len(inside))
	for j := range ny {
		for i := range nx {
			k := j*nx + i
			if i+1 < nx && inside[k] != inside[k+1] {
				edge[k], edge[k+1] = true, true
			}
			if j+1 < ny && inside[k] != inside[k+nx] {
				edge[k], edge[k+nx] = true, true
			}
		}
	}
	// Dilate by boundaryBandCells: rows, then columns.
	rowD := make([]bool, len(edge))
	for j := range ny {
		dilate(rowD, edge, j*nx, 1, nx)
	}
	mark := make([]bool, len(edge))
	for i := range nx {
		dilate(mark, rowD, i, nx, ny)
	}
	var out []int
	for k, m := range mark {
		if m {
			out = append(out, k)
		}
	}
	return out
}

// dilate sets dst[start + k·stride], k < n, when src is set within boundaryBandCells steps of it.
func dilate(dst, src []bool, start, stride, n int) {
	last := -1 << 30
	for k := range n {
		if src[start+k*stride] {
			last = k
		}
		dst[start+k*stride] = k-last <= boundaryBandCells
	}
	last = 1 << 30
	for k := n - 1; k >= 0; k-- {
		if src[start+k*stride] {
			last = k
		}
		dst[start+k*stride] = dst[start+k*stride] || last-k <= boundaryBandCells
	}
}

// segIndex buckets segments by the grid cells they pass within padM of.
type segIndex struct {
	nbx, nby int
	buckets  [][]int32
}

// newSegIndex indexes segs over g: each segment goes into every bucket (segBucketCells cells
// square) that the segment, widened by padM, meets (tested per bucket row).
func newSegIndex(g geo.Grid, segs []segment, padM float64) *segIndex {
	bm := segBucketCells * g.CellM
	x := &segIndex{nbx: (g.NX + segBucketCells - 1) / segBucketCells, nby: (g.NY + segBucketCells - 1) / segBucketCells}
	x.buckets = make([][]int32, x.nbx*x.nby)
	clampB := func(v float64, n int) int { return int(max(0, min(float64(n-1), math.Floor(v)))) }
	for si, s := range segs {
		lo, hi := s.a, s.b
		if lo[1] > hi[1] {
			lo, hi = hi, lo
		}
		if hi[1]+padM < g.Y0M || lo[1]-padM > g.Y0M+float64(g.NY)*g.CellM {
			continue
		}
		by0, by1 := clampB((lo[1]-padM-g.Y0M)/bm, x.nby), clampB((hi[1]+padM-g.Y0M)/bm, x.nby)
		for by := by0; by <= by1; by++ {
			// x extent of the segment within the bucket row's y band, widened by padM.
			y0, y1 := g.Y0M+float64(by)*bm-padM, g.Y0M+float64(by+1)*bm+padM
			xa, xb := clipX(lo, hi, y0, y1)
			if xa > xb {
				continue
			}
			bx0, bx1 := clampB((xa-padM-g.X0M)/bm, x.nbx), clampB((xb+padM-g.X0M)/bm, x.nbx)
			for bx := bx0; bx <= bx1; bx++ {
				b := &x.buckets[by*x.nbx+bx]
				*b = append(*b, int32(si))
			}
		}
	}
	return x
}

// clipX returns the x range of segment lo–hi (lo[1] ≤ hi[1]) within y ∈ [y0, y1]; xa > xb when
// the segment misses the band.
func clipX(lo, hi orb.Point, y0, y1 float64) (xa, xb float64) {
	if hi[1] < y0 || lo[1] > y1 {
		return 1, 0
	}
	if hi[1] == lo[1] {
		return min(lo[0], hi[0]), max(lo[0], hi[0])
	}
	at := func(y float64) float64 {
		y = min(max(y, lo[1]), hi[1])
		return lo[0] + (y-lo[1])*(hi[0]-lo[0])/(hi[1]-lo[1])
	}
	a, b := at(y0), at(y1)
	return min(a, b), max(a, b)
}

// near returns the segments indexed in the bucket of cell (i, j).
func (x *segIndex) near(i, j int) []int32 {
	return x.buckets[(j/segBucketCells)*x.nbx+i/segBucketCells]
}

// ringSegments appends the edges of every ring of mp (closing each ring).
func ringSegments(dst []segment, mp orb.MultiPolygon) []segment {
	for _, poly := range mp {
		for _, r := range poly {
			for k := range r {
				a, b := r[k], r[(k+1)%len(r)]
				if a != b {
					dst = append(dst, segment{a, b})
				}
			}
		}
	}
	return dst
}

// outerSegments returns the edges of the projected communes that are not shared by two rings:
// the province boundary when neighbours share their vertices exactly (as tiling files do).
// Shared edges that do not match vertex for vertex are kept; they matter only where they come
// within a few cells of the province edge (see signedDistance).
func outerSegments(projected []orb.MultiPolygon) []segment {
	type key [4]float64
	canon := func(s segment) key {
		a, b := s.a, s.b
		if b[0] < a[0] || (b[0] == a[0] && b[1] < a[1]) {
			a, b = b, a
		}
		return key{a[0], a[1], b[0], b[1]}
	}
	var all []segment
	for _, mp := range projected {
		all = ringSegments(all, mp)
	}
	count := make(map[key]int, len(all))
	for _, s := range all {
		count[canon(s)]++
	}
	out := all[:0]
	for _, s := range all {
		if count[canon(s)] == 1 {
			out = append(out, s)
		}
	}
	return out
}

// boundaryCache holds an engine's boundary distance rasters, built on first use.
type boundaryCache struct {
	once      sync.Once
	projected []orb.MultiPolygon // communes in the engine frame, code order
	provWin   window             // the engine grid padded by windowPad cells on every side
	// class[c] is the signed distance over provWin to the boundary of the land of class c (0:
	// commune land, 1: ward land; see landClass): all −(boundaryBandCells+1)·CellM without it.
	class [2][]float32
	near  []int32 // land cells within the distance band of the other class, ascending
	// Built on first use (polygons_blocks.go): the static block kinds of provWin, per provWin
	// cell its position in near or −1, the positions in near ordered by tile, and the samples
	// of the static-active blocks that settleProvinceEdges reads.
	staticOnce, nearOnce, nearTileOnce, edgeOnce sync.Once
	static                                       []blockKind
	nearPos                                      []int32
	nearTiled                                    []int32 // positions in near, by tile
	edges                                        []edgeBlock
	communes                                     memo[int, communeBoundary]
}

// communeBoundary is one commune's window and signed distance raster over it.
type communeBoundary struct {
	win    window
	dist   []float32
	static []blockKind // static block kinds of win (polygons_blocks.go)
}

// boundaries returns e's cache, building the projected communes and the land-class rasters once.
func (e *Engine) boundaries() *boundaryCache {
	bc := engineBoundaries.get(e, func() *boundaryCache { return &boundaryCache{} })
	bc.once.Do(func() {
		bc.projected = make([]orb.MultiPolygon, len(e.communes))
		for i, c := range e.communes {
			bc.projected[i] = asMultiPolygon(e.tm.ForwardGeometry(c.Geometry))
		}
		g := e.land.Grid
		bc.provWin = newWindow(g, land.CellRect{I0: -windowPad, J0: -windowPad, I1: g.NX + windowPad, J1: g.NY + windowPad})
		for cls := range bc.class {
			var mps []orb.MultiPolygon
			for ci, mp := range bc.projected {
				if e.communeClass(ci) == uint8(cls) {
					mps = append(mps, mp)
				}
			}
			inside := make([]bool, bc.provWin.grid.Len())
			for wk := range inside {
				if gk := bc.provWin.full(g, wk); gk >= 0 && e.land.Commune[gk] >= 0 {
					inside[wk] = e.landClass(gk) == uint8(cls)
				}
			}
			bc.class[cls] = signedDistance(bc.provWin, inside, outerSegments(mps))
		}
		far := farOutside(g.CellM)
		for gk, ci := range e.land.Commune {
			if ci >= 0 && bc.class[1-e.communeClass(int(ci))][bc.provWin.index(gk%g.NX, gk/g.NX)] != far {
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
// boundaryBandCells+1) and the signed distance to its own boundary over it.
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
		w := newWindow(g, land.CellRect{I0: r.I0 - windowPad, J0: r.J0 - windowPad, I1: r.I1 + windowPad, J1: r.J1 + windowPad})
		dist := signedDistance(w, e.insideWindow(w, ci), ringSegments(nil, bc.projected[ci]))
		far, inf := farOutside(g.CellM), float32(math.Inf(1))
		static := classifyBlocks(w, func(wk int) (land, outside bool) { return dist[wk] == inf, dist[wk] == far })
		return communeBoundary{win: w, dist: dist, static: static}
	})
}

// insideWindow returns, per cell of w, whether the engine's land raster puts it in commune ci
// (cells beyond the grid are outside).
func (e *Engine) insideWindow(w window, ci int) []bool {
	g := e.land.Grid
	inside := make([]bool, w.grid.Len())
	for wk := range inside {
		if gk := w.full(g, wk); gk >= 0 {
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

// Caches of derived geometry. Result and Engine are immutable, so what is derived from them
// never goes stale; the entries live as long as their Result or Engine.
var (
	engineBoundaries weakCache[Engine, boundaryCache]
	resultPolygons   weakCache[Result, polygonCache]
)
