package coverage

import (
	"math"

	"phusong/data"
)

// Levels below the cutoff. The engine does not keep levels under its cutoff (the lowest required
// level or tier minus CutoffMarginDB): those cells read NaN. A contour needs a value on both ends
// of every grid edge it crosses; reading NaN as the cutoff would put the crossing too far out
// wherever the level drops by more than CutoffMarginDB within one cell (sector sides, ward edges,
// coarse cells), which biases every polygon outwards. So at the NaN samples that border a sample
// at or above the threshold, the level is recomputed exactly from the sectors the engine
// considered for that tile (the same sector models and land class as Compute); only a sample
// beyond every sector's range reads the cutoff (there the level falls slowly, about the cutoff).

// layerMargins returns sign·(level − threshold) of layer k over window w (window cells), the
// level being the engine's field where it keeps one, the exact level at the NaN samples that
// border a sample at or above the layer's threshold, and the cutoff at the other NaN samples.
// Cells of w beyond the engine grid get 0 (they are outside; clipMargins replaces them).
func (r *Result) layerMargins(k layerKey, w window, sign float32) []float32 {
	thr, ti, _ := r.layerThreshold(k.carrier, k.tech, k.tier)
	field := r.Field(k.carrier, k.tech)
	fill := r.polygons().fills.get(k, func() levelFill { return r.belowCutoff(k.carrier, ti, thr, field) })
	g := r.eng.land.grid
	t32, cutoff := float32(thr), float32(r.eng.rules[ti].cutoff)
	out := make([]float32, w.grid.Len())
	i0, i1 := max(0, w.rect.I0), min(g.NX, w.rect.I1)
	for j := max(0, w.rect.J0); j < min(g.NY, w.rect.J1); j++ {
		dst := out[w.index(i0, j):]
		for n, lv := range field[g.Index(i0, j):g.Index(i1, j)] {
			if lv != lv {
				lv = cutoff
			}
			dst[n] = sign * (lv - t32)
		}
	}
	for n, gk := range fill.cells {
		if wk := w.index(int(gk)%g.NX, int(gk)/g.NX); wk >= 0 {
			out[wk] = sign * (fill.levels[n] - t32)
		}
	}
	return out
}

// levelFill is a set of exact levels below the cutoff: engine-grid cells and their levels, dBm.
type levelFill struct {
	cells  []int32
	levels []float32
}

// belowCutoff returns, for the land cells whose field value is NaN and one of whose eight
// neighbours reaches thr, the best level over carrier's (or every carrier's, for AnyCarrier)
// sectors of technology index ti at its centre, when one of them has the cell within range.
func (r *Result) belowCutoff(carrier string, ti int, thr float64, field []float32) levelFill {
	e := r.eng
	l := e.land
	g := l.grid
	models := map[*data.Site]*siteModel{}
	var out levelFill
	t32 := float32(thr)
	for j := range g.NY {
		for i := range g.NX {
			gk := g.Index(i, j)
			if field[gk] == field[gk] || l.commune[gk] < 0 || !bordersLevel(g.NX, g.NY, field, i, j, t32) {
				continue
			}
			best := math.Inf(-1)
			c := g.Center(i, j)
			cls := e.landClass(gk)
			tix := (j/tileCells)*l.ntx + i/tileCells
			for ci, id := range r.carriers {
				if carrier != AnyCarrier && carrier != id {
					continue
				}
				ch := r.layers[ci][ti][tix]
				if ch == nil {
					continue
				}
				for _, s := range ch.sites {
					m, ok := models[s]
					if !ok {
						m, _ = e.modelSite(s) // modelled once already by Compute; nil on error
						models[s] = m
					}
					if m == nil {
						continue
					}
					for q := range m.sectors[ti] {
						sm := &m.sectors[ti][q]
						dx, dy := c[0]-sm.x, c[1]-sm.y
						best = max(best, sm.levelDBm(dx, dy, dx*dx+dy*dy, cls))
					}
				}
			}
			if !math.IsInf(best, -1) {
				out.cells = append(out.cells, int32(gk))
				out.levels = append(out.levels, float32(min(best, e.rules[ti].cutoff)))
			}
		}
	}
	return out
}

// bordersLevel reports whether one of the eight neighbours of cell (i, j) has a value ≥ level.
func bordersLevel(nx, ny int, field []float32, i, j int, level float32) bool {
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			a, b := i+di, j+dj
			if (di != 0 || dj != 0) && a >= 0 && b >= 0 && a < nx && b < ny && field[b*nx+a] >= level {
				return true
			}
		}
	}
	return false
}
