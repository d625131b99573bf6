package contour

import (
	"math"
	"math/rand/v2"
	"testing"

	"phusong/data/land"
	"phusong/geo"
)

// Property tests of the block kernels on random fields. Each seed is logged; rerun one with
// -run 'TestName' after setting the seed in kernelSeeds.

// kernelSeeds returns the seeds of the property tests (a fixed base, so runs are repeatable).
func kernelSeeds(t *testing.T, n int) []uint64 {
	seeds := make([]uint64, n)
	for k := range seeds {
		seeds[k] = 0x5eed0000 + uint64(k)
	}
	t.Logf("seeds %#x … %#x", seeds[0], seeds[n-1])
	return seeds
}

// scene is a random province window: an engine grid g of 50 m cells, the window w over it
// padded by WindowPad, the signed distances to the land of each class over w (square regions
// of 4, 12 or 20 cells drawn as outside, deep inside one class, or along an edge with distances near 0,
// including ±0), the cells near the other class with their other-class levels, and a field over
// g drawn per region as clearly above thr, clearly below (or NaN), or mixed around thr.
type scene struct {
	g      geo.Grid
	w      Window
	class  [2][]float32
	near   []int32   // over w: position in other, −1
	other  []float32 // other-class levels, dBm
	field  []float32 // over g, dBm, NaN below the cutoff
	thr    float64
	nanLvl float32 // the level the engine gives a NaN cell (below the cutoff)
}

func newScene(rng *rand.Rand) *scene {
	g := geo.Grid{X0M: 1000, Y0M: 2000, CellM: 50, NX: 17 + rng.IntN(40), NY: 17 + rng.IntN(40)}
	w := NewWindow(g, land.CellRect{I0: -WindowPad, J0: -WindowPad, I1: g.NX + WindowPad, J1: g.NY + WindowPad})
	sc := &scene{g: g, w: w, thr: -100, nanLvl: -106}
	n := w.Grid.Len()
	sc.class[0], sc.class[1], sc.near = make([]float32, n), make([]float32, n), make([]int32, n)
	far, inf := FarOutside(g.CellM), float32(math.Inf(1))
	// per region of rs × rs cells: 0 outside, 1 deep class 0, 2 deep class 1, 3 edge
	rs := []int{4, 12, 20}[rng.IntN(3)]
	rx, ry := (w.Grid.NX+rs-1)/rs, (w.Grid.NY+rs-1)/rs
	regime := make([]int, rx*ry)
	level := make([]int, rx*ry) // 0 above, 1 below, 2 mixed, 3 hugging thr
	for k := range regime {
		regime[k], level[k] = rng.IntN(4), rng.IntN(4)
	}
	zeroP := []float64{0, 0.01, 0.2}[rng.IntN(3)] // how often a distance outside is ±0
	neg := func() float32 {                       // a distance outside: far, negative, or ±0
		switch {
		case rng.Float64() < zeroP:
			return float32(math.Copysign(0, float64(rng.IntN(2)*2-1)))
		case rng.IntN(2) == 0:
			return -float32(1e-3 + rng.Float64()*120)
		}
		return far
	}
	pos := func() float32 { // a distance inside: +Inf or positive
		if rng.IntN(3) == 0 {
			return inf
		}
		return float32(1e-3 + rng.Float64()*120)
	}
	for wk := range n {
		i, j := wk%w.Grid.NX, wk/w.Grid.NX
		r := regime[(j/rs)*rx+i/rs]
		if w.Full(g, wk) < 0 && r != 0 && rng.IntN(4) != 0 {
			r = 0 // mostly outside beyond the grid, as the engine's virtual cells
		}
		d := [2]float32{far, far}
		switch r {
		case 0:
			d[0], d[1] = neg(), neg()
		case 1, 2:
			d[r-1] = inf
		case 3:
			c := rng.IntN(2)
			d[c], d[1-c] = pos(), neg()
		}
		sc.class[0][wk], sc.class[1][wk] = d[0], d[1]
		sc.near[wk] = -1
		if (d[0] > 0 || d[1] > 0) && w.Full(g, wk) >= 0 && (d[0] != far && d[1] != far) {
			sc.near[wk] = int32(len(sc.other))
			lk := level[(j/rs)*rx+i/rs] // mostly the region's level kind
			if rng.IntN(4) == 0 {
				lk = rng.IntN(4)
			}
			sc.other = append(sc.other, sc.randLevel(rng, lk))
		}
	}
	sc.field = make([]float32, g.Len())
	for gk := range sc.field {
		wk := w.Index(gk%g.NX, gk/g.NX)
		i, j := wk%w.Grid.NX, wk/w.Grid.NX
		sc.field[gk] = sc.randLevel(rng, level[(j/rs)*rx+i/rs])
	}
	return sc
}

// randLevel draws a level clearly above thr (kind 0), clearly below or NaN (1), near thr (2,
// within a few blockSignEpsDB, or far off), or hugging it (3, within blockSignEpsDB: such a block
// must stay active).
func (sc *scene) randLevel(rng *rand.Rand, kind int) float32 {
	t := float32(sc.thr)
	switch kind {
	case 0:
		return t + float32(blockSignEpsDB)*1.5 + float32(rng.Float64()*20)
	case 1:
		if rng.IntN(3) == 0 {
			return float32(math.NaN())
		}
		return t - float32(blockSignEpsDB)*1.5 - float32(rng.Float64()*20)
	case 3:
		return t + float32((rng.Float64()*2-1)*blockSignEpsDB)
	}
	return t + float32((rng.Float64()*2-1)*[]float64{3 * blockSignEpsDB, 20}[rng.IntN(2)])
}

// margin is the engine's level margin of window cell wk, sign·w(level − thr): 0 beyond the
// grid, the NaN level for a NaN field value.
func (sc *scene) margin(wk int, sign float32) float32 {
	gk := sc.w.Full(sc.g, wk)
	if gk < 0 {
		return 0
	}
	lv := sc.field[gk]
	if lv != lv {
		lv = sc.nanLvl
	}
	return sign * DistanceMargin(lv-float32(sc.thr))
}

// layerValue is the dense value of a coverage layer at window cell wk, as the engine contours it.
func (sc *scene) layerValue(wk int) float32 {
	mo := float32(math.NaN())
	if q := sc.near[wk]; q >= 0 {
		mo = DistanceMargin(sc.other[q] - float32(sc.thr))
	}
	s := float32(BoundarySlopeDBPerCell / sc.g.CellM)
	return ClassClip(sc.margin(wk, 1), mo, sc.class[0][wk], sc.class[1][wk], s)
}

// staticKinds classifies the blocks of the scene's window as the engine does.
func (sc *scene) staticKinds() []BlockKind {
	far, inf := FarOutside(sc.g.CellM), float32(math.Inf(1))
	return ClassifyBlocks(sc.w, func(wk int) (bool, bool) {
		d0, d1 := sc.class[0][wk], sc.class[1][wk]
		return (d0 == inf && d1 == far) || (d1 == inf && d0 == far), d0 == far && d1 == far
	})
}

// checkSettled fails when a block of kinds settled In has a sample (block and halo) whose
// value ≤ 0, or one settled Out a sample whose value ≥ 0; it returns the numbers settled.
func checkSettled(t *testing.T, w Window, kinds []BlockKind, value func(wk int) float32, what string) (in, out int) {
	t.Helper()
	bg := newBlockGrid(w)
	for b, kd := range kinds {
		if kd != BlockIn && kd != BlockOut {
			continue
		}
		if kd == BlockIn {
			in++
		} else {
			out++
		}
		i0, j0, i1, j1 := bg.Cells(w, b, true)
		for j := j0; j < j1; j++ {
			for i := i0; i < i1; i++ {
				v := value(j*w.Grid.NX + i)
				if (kd == BlockIn && !(v > 0)) || (kd == BlockOut && !(v < 0)) {
					t.Fatalf("%s: block %d settled %v has value %g at window cell (%d, %d)", what, b, kd, v, i, j)
				}
			}
		}
	}
	return in, out
}

// TestSettleProvinceEdgesProperty: on random scenes, every block SettleBlocks or
// SettleProvinceEdges settles In has every dense sample of it and its halo > 0, every block
// settled Out every sample < 0 (the dense sample being ClassClip of the margins and the class
// distances, as the engine contours a layer), and the edge settling does settle some blocks.
func TestSettleProvinceEdgesProperty(t *testing.T) {
	var edgeIn, edgeOut, landSettled int
	for _, seed := range kernelSeeds(t, 200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		sc := newScene(rng)
		static := sc.staticKinds()
		kinds := SettleBlocks(sc.w, sc.g, static, sc.field, sc.thr, 1)
		in, out := checkSettled(t, sc.w, kinds, sc.layerValue, "SettleBlocks")
		landSettled += in + out
		SettleProvinceEdges(kinds, EdgeBlocks(sc.w, sc.g, static, sc.class, sc.nearOf), sc.field, sc.other, sc.thr)
		for b := range kinds {
			if static[b] == BlockActive && kinds[b] == BlockIn {
				edgeIn++
			} else if static[b] == BlockActive && kinds[b] == BlockOut {
				edgeOut++
			}
		}
		checkSettled(t, sc.w, kinds, sc.layerValue, "SettleProvinceEdges")
	}
	t.Logf("settled: %d clean-land blocks; edge blocks %d in, %d out", landSettled, edgeIn, edgeOut)
	if edgeIn == 0 || edgeOut == 0 || landSettled == 0 {
		t.Error("the scenes settle no edge block of some kind: the test checks nothing")
	}
}

// TestEdgeBlocks: EdgeBlocks lists exactly the static-active blocks, each with every land
// sample of it and its halo within the engine grid once (its position near the other class
// kept only where its distance to the other class's land is ±0), outOK when every other sample
// lies off both classes' land at a negative distance, inOK when there is no other sample.
func TestEdgeBlocks(t *testing.T) {
	for _, seed := range kernelSeeds(t, 100) {
		rng := rand.New(rand.NewPCG(seed, 2))
		sc := newScene(rng)
		static := sc.staticKinds()
		edges := EdgeBlocks(sc.w, sc.g, static, sc.class, sc.nearOf)
		bg := newBlockGrid(sc.w)
		n := 0
		for b, sk := range static {
			if sk != BlockActive {
				continue
			}
			if n >= len(edges) || edges[n].b != int32(b) {
				t.Fatalf("seed %#x: block %d is static-active but not the next edge block", seed, b)
			}
			eb := edges[n]
			n++
			var cells []edgeCell
			outOK, inOK := true, true
			i0, j0, i1, j1 := bg.Cells(sc.w, b, true)
			for j := j0; j < j1; j++ {
				for i := i0; i < i1; i++ {
					wk := j*sc.w.Grid.NX + i
					d0, d1 := sc.class[0][wk], sc.class[1][wk]
					gk := sc.w.Full(sc.g, wk)
					landCell := d0 > 0 || d1 > 0
					if !landCell || gk < 0 {
						inOK = false
						outOK = outOK && !landCell && max(d0, d1) < 0
						continue
					}
					oth := min(d0, d1) // the distance to the other class's land: ≤ 0
					q := sc.near[wk]
					if oth != 0 {
						q = -1
					}
					cells = append(cells, edgeCell{gk: int32(gk), q: q})
				}
			}
			if eb.outOK != outOK || eb.inOK != inOK || len(eb.cells) != len(cells) {
				t.Fatalf("seed %#x block %d: outOK %v inOK %v %d cells, want %v %v %d", seed, b, eb.outOK, eb.inOK, len(eb.cells), outOK, inOK, len(cells))
			}
			for k := range cells {
				if eb.cells[k] != cells[k] {
					t.Fatalf("seed %#x block %d cell %d: %+v, want %+v", seed, b, k, eb.cells[k], cells[k])
				}
			}
		}
		if n != len(edges) {
			t.Fatalf("seed %#x: %d edge blocks, %d static-active", seed, len(edges), n)
		}
	}
}

// TestSettleCommuneEdgesProperty: on random commune windows (distance to the commune's boundary
// +Inf deep inside, FarOutside far out, anything near the edge, ±0 included), every block
// SettleBlocks (sign −1) or SettleCommuneEdges settles Out has every dense sample < 0, every
// block settled In every sample > 0 (the dense sample being CommuneClip of −w(m), as the engine
// contours a commune's gaps), and the edge settling settles some blocks.
func TestSettleCommuneEdgesProperty(t *testing.T) {
	edgeOut := 0
	for _, seed := range kernelSeeds(t, 200) {
		rng := rand.New(rand.NewPCG(seed, 3))
		sc := newScene(rng)
		// one commune: class 0's land, its distance the commune distance
		dist := sc.class[0]
		far, inf := FarOutside(sc.g.CellM), float32(math.Inf(1))
		static := ClassifyBlocks(sc.w, func(wk int) (bool, bool) { return dist[wk] == inf, dist[wk] == far })
		s := float32(BoundarySlopeDBPerCell / sc.g.CellM)
		value := func(wk int) float32 { return CommuneClip(sc.margin(wk, -1), dist[wk], s) }
		kinds := SettleBlocks(sc.w, sc.g, static, sc.field, sc.thr, -1)
		checkSettled(t, sc.w, kinds, value, "SettleBlocks")
		SettleCommuneEdges(kinds, sc.w, sc.g, static, dist, sc.field, sc.thr)
		for b := range kinds {
			if static[b] == BlockActive && kinds[b] == BlockOut {
				edgeOut++
			}
		}
		checkSettled(t, sc.w, kinds, value, "SettleCommuneEdges")
	}
	t.Logf("settled %d commune-edge blocks out", edgeOut)
	if edgeOut == 0 {
		t.Error("the scenes settle no commune-edge block: the test checks nothing")
	}
}

// TestFillSettled: on random block kinds, fillSettled writes +1 (In) or −1 (Out) into every
// sample of a settled block with an active block among its eight neighbours, into the first and
// last window columns of the other settled blocks, and nowhere else.
func TestFillSettled(t *testing.T) {
	const untouched = 7
	for _, seed := range kernelSeeds(t, 100) {
		rng := rand.New(rand.NewPCG(seed, 4))
		g := geo.Grid{CellM: 10, NX: 1 + rng.IntN(60), NY: 1 + rng.IntN(60)}
		w := NewWindow(g, land.CellRect{I0: 0, J0: 0, I1: g.NX, J1: g.NY})
		bg := newBlockGrid(w)
		kinds := make([]BlockKind, bg.nbx*bg.nby)
		pActive := rng.Float64() * 0.3
		for b := range kinds {
			kinds[b] = []BlockKind{BlockIn, BlockOut}[rng.IntN(2)]
			if rng.Float64() < pActive {
				kinds[b] = BlockActive
			}
		}
		vals := make([]float32, g.Len())
		for k := range vals {
			vals[k] = untouched
		}
		fillSettled(w, kinds, vals)
		for wk, v := range vals {
			i, j := wk%g.NX, wk/g.NX
			bi, bj := i/BlockCells, j/BlockCells
			kd := kinds[bj*bg.nbx+bi]
			want := float32(untouched)
			if kd != BlockActive {
				nextToActive := false
				for nj := bj - 1; nj <= bj+1; nj++ {
					for ni := bi - 1; ni <= bi+1; ni++ {
						if ni >= 0 && nj >= 0 && ni < bg.nbx && nj < bg.nby && kinds[nj*bg.nbx+ni] == BlockActive {
							nextToActive = true
						}
					}
				}
				if nextToActive || i == 0 || i == g.NX-1 {
					want = map[BlockKind]float32{BlockIn: 1, BlockOut: -1}[kd]
				}
			}
			if v != want {
				t.Fatalf("seed %#x: cell (%d, %d) of block %v reads %g, want %g", seed, i, j, kd, v, want)
			}
		}
	}
}
