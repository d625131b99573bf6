package coverage

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/store"
	"phusong/geo"
)

// refEvaluate is worker.evaluate as it stood at commit 8615982, before the block pruning: every
// group visits every cell of its range row by row, with the per-cell bucket bound only. It is
// the reference the faster evaluate must match bit for bit. The level arithmetic helpers are
// copied too (refAt, refHorzAt, refFarDBm, refBoundDBm), so that a change to model.go shows.
func refEvaluate(w *worker, t *land.Tile, rect land.CellRect, best []float64, serv []uint16) {
	l := w.e.land
	g := l.Grid
	for _, cg := range w.groups {
		grp := cg.g
		r2 := grp.rM * grp.rM
		for _, run := range t.Rows {
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
				i := int(l.CellI[k])
				if i < ia {
					continue
				}
				if i >= ib {
					break
				}
				dx := g.X0M + (float64(i)+0.5)*g.CellM - grp.x
				d2 := dx*dx + dy*dy
				cls := l.CellWard[k]
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
				loss, attV := refAt(grp.dist[cls], d)
				invD := 1 / d
				for si := range grp.secs {
					s := &grp.secs[si]
					if d2 > s.r2[cls] || refBoundDBm(s, loss, attV) < best[o] {
						continue
					}
					if lv := refFarDBm(s, loss, attV, dx, dy, invD); lv > best[o] || (lv == best[o] && cg.site < serv[o]) {
						best[o], serv[o] = lv, cg.site
					}
				}
			}
		}
	}
}

// refAt is distTable.at at commit 8615982.
func refAt(t *distTable, dM float64) (lossDB, attVDB float64) {
	pos := dM * (1 / tableStepM)
	i := int(pos)
	f := pos - float64(i)
	v := t.v[2*i : 2*i+4]
	l0, v0, l1, v1 := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
	return l0 + f*(l1-l0), v0 + f*(v1-v0)
}

// refHorzAt is horzAt at commit 8615982.
func refHorzAt(h []float32, c float64) float64 {
	pos := (c + 1) * ((hTableN - 1) / 2.0)
	if pos < 0 {
		pos = 0
	}
	i := int(pos)
	if i > hTableN-2 {
		i = hTableN - 2
	}
	f := pos - float64(i)
	h = h[i : i+2]
	a0, a1 := float64(h[0]), float64(h[1])
	return a0 + f*(a1-a0)
}

// refBoundDBm is sectorModel.boundDBm at commit 8615982.
func refBoundDBm(s *sectorModel, loss, attV float64) float64 {
	if attV > s.amDB {
		attV = s.amDB
	}
	return s.constDBm - loss - attV
}

// refFarDBm is sectorModel.farDBm at commit 8615982.
func refFarDBm(s *sectorModel, loss, attV, dx, dy, invD float64) float64 {
	att := attV
	if s.horz != nil {
		att += refHorzAt(s.horz, (dx*s.sinAz+dy*s.cosAz)*invD)
	}
	if att > s.amDB {
		att = s.amDB
	}
	return s.constDBm - loss - att
}

// refCandGroups is worker.candGroups at commit 8615982: every group of the candidates, nearest
// mast to the tile's centre first.
func refCandGroups(w *worker, t *land.Tile, cands []*data.Site, ti int) []candGroup {
	var out []candGroup
	for si, s := range cands {
		m := w.models[s]
		for k := range m.groups[ti] {
			out = append(out, candGroup{site: uint16(si), g: &m.groups[ti][k]})
		}
	}
	g := w.e.land.Grid
	cx := g.X0M + float64(t.I0+t.I1)/2*g.CellM
	cy := g.Y0M + float64(t.J0+t.J1)/2*g.CellM
	slices.SortFunc(out, func(a, b candGroup) int {
		da := (a.g.x-cx)*(a.g.x-cx) + (a.g.y-cy)*(a.g.y-cy)
		db := (b.g.x-cx)*(b.g.x-cx) + (b.g.y-cy)*(b.g.y-cy)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(a.site, b.site))
	})
	return out
}

// refChunk is worker.chunk at commit 8615982, with refCandGroups and refEvaluate.
func refChunk(w *worker, t *land.Tile, cands []*data.Site, ti int, rect land.CellRect, old *chunk) *chunk {
	w.groups = refCandGroups(w, t, cands, ti)
	if len(w.groups) == 0 {
		return nil
	}
	n := int(t.End - t.Start)
	c := newChunk(cands, n)
	whole := t.Rect()
	rect = rect.Intersect(whole)
	if rect != whole && !c.inherit(old) {
		rect = whole
	}
	best, serv := make([]float64, n), make([]uint16, n)
	w.e.land.EachCell(t, rect, func(k int32) {
		best[k-t.Start], serv[k-t.Start] = math.Inf(-1), noServer
	})
	refEvaluate(w, t, rect, best, serv)
	cutoff := w.e.rules[ti].cutoff
	w.e.land.EachCell(t, rect, func(k int32) { // the storage rule (chunk's doc), not the frozen evaluation
		o := k - t.Start
		c.setServed(o, best[o] >= cutoff)
		switch {
		case best[o] > math.Inf(-1):
			c.level[o] = float32(best[o])
		default:
			c.level[o] = float32(math.NaN())
		}
	})
	return c
}

// Sentinels left in the cells outside the evaluated rectangle: evaluate must not touch them.
const (
	untouchedDBm  = 12345.0
	untouchedServ = 0xfffe
)

// compareEvaluate runs worker.evaluate and worker.chunk against refEvaluate and refChunk over
// every tile and layer of snap's counted sites, on the whole tile and on one random
// sub-rectangle of it (as Update asks; the chunk's other cells come from the whole-tile
// reference chunk), and fails at the first cell whose best level (float64 bits) or serving
// index differ, or whose chunk level (float32 bits) or serving differ. It returns the number
// of (layer, tile) pairs compared, and fails when there is none or when no cell of them
// received a level (a fixture without a site in range would compare nothing).
func compareEvaluate(t *testing.T, e *Engine, snap *store.Snapshot, rng *rand.Rand) int {
	t.Helper()
	sites := e.countedSites(snap)
	models, err := e.modelAll(sites)
	if err != nil {
		t.Fatal(err)
	}
	carriers := carrierOrder(sites)
	w := worker{e: e, snap: snap, carriers: carriers, models: models}
	ref := worker{e: e, snap: snap, carriers: carriers, models: models}
	l := e.land
	var gotB, wantB []float64
	var gotS, wantS []uint16
	pairs, reached := 0, 0
	for tix := range l.Tiles {
		tl := &l.Tiles[tix]
		n := int(tl.End - tl.Start)
		if n == 0 {
			continue
		}
		whole := tl.Rect()
		i0, j0 := whole.I0+rng.IntN(whole.I1-whole.I0), whole.J0+rng.IntN(whole.J1-whole.J0)
		sub := land.CellRect{I0: i0, J0: j0, I1: i0 + 1 + rng.IntN(whole.I1-i0), J1: j0 + 1 + rng.IntN(whole.J1-j0)}
		for _, carrier := range carriers {
			cands := e.candidates(snap, tix, carrier)
			for ti := range e.rules {
				where := fmt.Sprintf("%s %s tile %d", carrier, e.rules[ti].tech, tix)
				if _, err := w.candGroups(tl, cands, ti); err != nil {
					t.Fatal(err)
				}
				ref.groups = refCandGroups(&ref, tl, cands, ti)
				if len(ref.groups) == 0 {
					continue
				}
				pairs++
				for _, rect := range []land.CellRect{whole, sub} {
					gotB, gotS = resetBest(e, tl, rect, gotB[:0], gotS[:0])
					wantB, wantS = resetBest(e, tl, rect, wantB[:0], wantS[:0])
					w.evaluate(tl, rect, gotB, gotS)
					refEvaluate(&ref, tl, rect, wantB, wantS)
					for o := range n {
						if wantS[o] != noServer && wantS[o] != untouchedServ {
							reached++
						}
						if math.Float64bits(gotB[o]) != math.Float64bits(wantB[o]) || gotS[o] != wantS[o] {
							k := tl.Start + int32(o)
							t.Fatalf("%s rect %v cell (%d, %d): level %v from site %d, reference %v from %d",
								where, rect, l.CellI[k], l.CellJ[k], gotB[o], gotS[o], wantB[o], wantS[o])
						}
					}
				}
				prev := refChunk(&ref, tl, cands, ti, whole, nil)
				for _, c := range []struct {
					rect land.CellRect
					old  *chunk
				}{{whole, nil}, {sub, nil}, {sub, prev}} {
					got, err := w.chunk(tl, cands, ti, c.rect, c.old)
					if err != nil {
						t.Fatal(err)
					}
					sameChunk(t, fmt.Sprintf("%s chunk over %v (previous %t)", where, c.rect, c.old != nil),
						got, refChunk(&ref, tl, cands, ti, c.rect, c.old))
				}
			}
		}
	}
	if pairs == 0 || reached == 0 {
		t.Fatalf("%d (layer, tile) pairs and %d cells with a level compared: the fixture tests nothing", pairs, reached)
	}
	return pairs
}

// sameChunk fails t unless a and b are both nil or hold the same sites, bitwise-equal levels
// and the same served cells.
func sameChunk(t *testing.T, where string, a, b *chunk) {
	t.Helper()
	if (a == nil) != (b == nil) {
		t.Fatalf("%s: chunk %v, reference %v", where, a, b)
	}
	if a == nil {
		return
	}
	if !slices.Equal(a.sites, b.sites) || len(a.level) != len(b.level) || !slices.Equal(a.served, b.served) {
		t.Fatalf("%s: sites, length or served cells differ", where)
	}
	for o := range a.level {
		if math.Float32bits(a.level[o]) != math.Float32bits(b.level[o]) {
			t.Fatalf("%s: offset %d level %v, reference %v", where, o, a.level[o], b.level[o])
		}
	}
}

// resetBest returns the buffers for tile tl: -Inf and noServer within rect, the untouched
// sentinels elsewhere.
func resetBest(e *Engine, tl *land.Tile, rect land.CellRect, best []float64, serv []uint16) ([]float64, []uint16) {
	for range tl.End - tl.Start {
		best, serv = append(best, untouchedDBm), append(serv, untouchedServ)
	}
	e.land.EachCell(tl, rect, func(k int32) {
		best[k-tl.Start], serv[k-tl.Start] = math.Inf(-1), noServer
	})
	return best, serv
}

// TestEvaluateMatchesReference compares the grid evaluation with the reference implementation
// bit for bit on the demo at 50 m and 100 m and on a seeded random site set over the synthetic
// province, which also holds co-located twin sites (equal levels: the tie rule decides). A quick
// make test compares the demo at 100 m only (data/testenv: 50 m is four times the tiles).
func TestEvaluateMatchesReference(t *testing.T) {
	t.Parallel() // the comparison runs on one goroutine: the cases share the cores
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	cellsM := []float64{100}
	if demoCellM() != 100 {
		cellsM = append(cellsM, demoCellM())
	}
	for _, cellM := range cellsM {
		t.Run(fmt.Sprintf("demo %g m", cellM), func(t *testing.T) {
			t.Parallel()
			c := demoShared(t, cellM)
			n := compareEvaluate(t, c.e, c.snap, rand.New(rand.NewPCG(seed, 11)))
			t.Logf("%d layer tiles compared", n)
		})
	}
	t.Run("random", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(seed, 12))
		e, err := New(synthProvince(), DefaultDefinition(), Options{CellM: 50})
		if err != nil {
			t.Fatal(err)
		}
		st := storeWith(t, e, twinSites(rng, 150, 10))
		n := compareEvaluate(t, e, st.Snapshot(), rng)
		t.Logf("%d layer tiles compared", n)
	})
	t.Run("groups", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(seed, 13))
		e, st := groupSites(t, rng, 90)
		n := compareEvaluate(t, e, st.Snapshot(), rng)
		t.Logf("%d layer tiles compared", n)
	})
}

// groupSite invents a site within the synthetic province whose sectors of each technology
// share one band and one tilt, so that they form one group (shared distance tables), with
// unequal powers (40/43/46 dBm for 4G, 30/33/36 for 3G, or all equal; some 0.002 dB up, which
// often leaves the range as it is), some with their own
// beamwidths (33° to 360°), some with two sectors on one azimuth, some with one or two omni
// sectors:
// within a group one sector often dominates another over a block, or would but for its lower
// power (horzBounds' dominance both ways).
func groupSite(rng *rand.Rand, carrier, id string) data.Site {
	lonM, latM := geo.MetresPerDegree(fixLat)
	s := data.Site{Carrier: carrier, SiteID: id, Lon: fixLon + (rng.Float64()-0.5)*13000/lonM,
		Lat: fixLat + (rng.Float64()-0.5)*13000/latM, HeightM: float64(20 + rng.IntN(26)), Status: data.StatusActive}
	group := func(tech data.Tech, band, bwMHz float64, pows [3]float64) {
		tilt, rot := float64(2+rng.IntN(7)), 360*rng.Float64()
		n := []int{1, 2, 3, 3, 3, 4, 6}[rng.IntN(7)]
		equal := rng.IntN(3) == 0
		for k := range n {
			sec := data.Sector{Tech: tech, BandMHz: band, AzimuthDeg: math.Mod(rot+360*float64(k)/float64(n), 360),
				BeamwidthDeg: 65, TiltDeg: tilt, PowerDBm: pows[rng.IntN(3)], BandwidthMHz: bwMHz, GainDBi: 17,
				FeederLossDB: 2}
			if equal {
				sec.PowerDBm = pows[1]
			}
			if rng.IntN(3) == 0 { // nearly equal powers often give equal ranges (2 m steps)
				sec.PowerDBm += 0.002
			}
			if rng.IntN(3) == 0 {
				sec.BeamwidthDeg = []float64{33, 90, 120, 360}[rng.IntN(4)]
			}
			if rng.IntN(4) == 0 { // a second antenna on the same azimuth
				twin := sec
				twin.PowerDBm, twin.BeamwidthDeg = pows[rng.IntN(3)], []float64{33, 65, 90}[rng.IntN(3)]
				s.Sectors = append(s.Sectors, twin)
			}
			s.Sectors = append(s.Sectors, sec)
		}
		omni := data.Sector{Tech: tech, BandMHz: band, Omni: true, TiltDeg: tilt, PowerDBm: pows[rng.IntN(3)],
			BandwidthMHz: bwMHz, GainDBi: 11, FeederLossDB: 1}
		for range []int{0, 0, 1, 2}[rng.IntN(4)] { // two omni sectors have equal attenuations
			s.Sectors = append(s.Sectors, omni)
			omni.PowerDBm += []float64{0.002, 3}[rng.IntN(2)]
		}
	}
	switch p := rng.IntN(4); {
	case p < 2:
		group(data.Tech4G, 1800, 20, [3]float64{40, 43, 46})
		group(data.Tech3G, 2100, 5, [3]float64{30, 33, 36})
	case p < 3:
		group(data.Tech4G, 900, 10, [3]float64{40, 43, 46})
	default:
		group(data.Tech3G, 900, 5, [3]float64{30, 33, 36})
	}
	return s
}

// groupSites returns an engine over the synthetic province at 50 m and a store of n sites
// from groupSite, spread over three carriers.
func groupSites(t *testing.T, rng *rand.Rand, n int) (*Engine, *store.Store) {
	t.Helper()
	e, err := New(synthProvince(), DefaultDefinition(), Options{CellM: 50})
	if err != nil {
		t.Fatal(err)
	}
	carriers := []string{"viettel", "vinaphone", "mobifone"}
	var sites []data.Site
	for i := range n {
		sites = append(sites, groupSite(rng, carriers[i%3], fmt.Sprintf("G%03d", i)))
	}
	return e, storeWith(t, e, append(sites, capSite()))
}

// capSite is a lone site (the only one of its carrier) with two 3G sectors sharing one tilt:
// f faces north (65°), s faces south (33°) with 1e-6 dB more power, so that their ranges
// agree. Far from the mast the 8° tilt costs about 6 dB vertically; east and west, within
// 8° of due east or west, f's horizontal attenuation exceeds 19 dB and s's is Am = 25 dB:
// both levels hit the cap and s's is the higher, by 1e-6 dB, though f's attenuation bounds
// lie below s's and f sorts first in horzBounds. Only the power condition of the dominance
// keeps s there.
//
//	    f ↑
//	····(*)····   cells east and west: both capped, s ahead by 1e-6 dB
//	    s ↓
func capSite() data.Site {
	sec := func(azDeg, bwDeg, powDBm float64) data.Sector {
		return data.Sector{Tech: data.Tech3G, BandMHz: 2100, AzimuthDeg: azDeg, BeamwidthDeg: bwDeg, TiltDeg: 8,
			PowerDBm: powDBm, BandwidthMHz: 5, GainDBi: 17, FeederLossDB: 2}
	}
	return data.Site{Carrier: "gmobile", SiteID: "CAP", Lon: fixLon, Lat: fixLat, HeightM: 30,
		Status: data.StatusActive, Sectors: []data.Sector{sec(0, 65, 33), sec(180, 33, 33.000001)}}
}

// TestHorzBoundsHold checks horzBounds cell by cell on the sites of groupSites (see
// checkBlockBounds) over every block of every tile and layer.
func TestHorzBoundsHold(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	e, st := groupSites(t, rand.New(rand.NewPCG(seed, 14)), 90)
	snap := st.Snapshot()
	sites := e.countedSites(snap)
	models, err := e.modelAll(sites)
	if err != nil {
		t.Fatal(err)
	}
	w := worker{e: e, snap: snap, models: models}
	var secs, dropped int
	for tix := range e.land.Tiles {
		tl := &e.land.Tiles[tix]
		if tl.End == tl.Start {
			continue
		}
		w.splitBlocks(tl, tl.Rect())
		for _, carrier := range carrierOrder(sites) {
			cands := e.candidates(snap, tix, carrier)
			for ti := range e.rules {
				if _, err := w.candGroups(tl, cands, ti); err != nil {
					t.Fatal(err)
				}
				for _, cg := range w.groups {
					for bi := range w.blocks {
						if w.blocks[bi].nseg > 0 {
							secs += len(cg.g.secs)
							dropped += checkBlockBounds(t, &w, &w.blocks[bi], cg.g, fmt.Sprintf("tile %d block %d", tix, bi))
						}
					}
				}
			}
		}
	}
	t.Logf("%d of %d (block, sector) pairs left out by dominance", dropped, secs)
	if dropped == 0 {
		t.Errorf("no sector left out: the sites do not exercise the dominance")
	}
}

// checkBlockBounds runs w.horzBounds for grp over block b and fails t unless each sector's
// horizontal attenuation at every cell of b (as farDBm reads it) lies within the sector's
// bounds over b, and wherever a sector left out of w.secs is within range beyond nearExactM,
// a kept sector is too, with a level at least as high. It returns how many were left out.
func checkBlockBounds(t *testing.T, w *worker, b *block, grp *groupModel, where string) int {
	t.Helper()
	one := make([]secBound, len(grp.secs)) // each sector's bounds, alone in its group
	for si := range grp.secs {
		w.horzBounds(b, &groupModel{x: grp.x, y: grp.y, secs: grp.secs[si : si+1]})
		one[si] = w.secs[0]
	}
	w.horzBounds(b, grp)
	kept := slices.Clone(w.secs)
	l := w.e.land
	g := l.Grid
	for _, sg := range b.segs() {
		dy := g.Y0M + (float64(sg.j)+0.5)*g.CellM - grp.y
		for k := sg.k0; k < sg.k1; k++ {
			dx := g.X0M + (float64(l.CellI[k])+0.5)*g.CellM - grp.x
			d2 := dx*dx + dy*dy
			d := math.Sqrt(d2)
			if d == 0 {
				continue
			}
			for si, sb := range one {
				s, h := sb.s, 0.0
				if s.horz != nil {
					h = horzAt(s.horz, (dx*s.sinAz+dy*s.cosAz)*(1/d))
				}
				if !(sb.hMinDB <= h && h <= sb.hMaxDB) {
					t.Fatalf("%s sector %d: attenuation %v dB at (%v, %v) m outside [%v, %v]",
						where, si, h, dx, dy, sb.hMinDB, sb.hMaxDB)
				}
			}
			cls := l.CellWard[k]
			if d < nearExactM || d2 > grp.r2[cls] {
				continue
			}
			loss, attV := grp.dist[cls].at(d)
			top := math.Inf(-1)
			for _, f := range kept {
				if d2 <= f.s.r2[cls] {
					top = max(top, f.s.farDBm(loss, attV, dx, dy, 1/d))
				}
			}
			for si := range grp.secs {
				s := &grp.secs[si]
				if d2 > s.r2[cls] || slices.ContainsFunc(kept, func(f secBound) bool { return f.s == s }) {
					continue
				}
				if lv := s.farDBm(loss, attV, dx, dy, 1/d); lv > top {
					t.Fatalf("%s: sector %d left out, level %v dBm at (%v, %v) m above the kept ones' %v",
						where, si, lv, dx, dy, top)
				}
			}
		}
	}
	return len(grp.secs) - len(kept)
}
