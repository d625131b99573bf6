package coverage

import (
	"cmp"
	"math"
	"slices"

	"phusong/data"
	"phusong/data/coverage/contour"
)

// Levels below the cutoff. The fields read NaN under the engine's cutoff (the lowest required
// level or tier minus CutoffMarginDB). A contour needs a value on both ends of every grid edge it
// crosses; reading NaN as the cutoff would put the crossing too far out wherever the level drops
// by more than CutoffMarginDB within one cell (sector sides, ward edges, coarse cells), which
// biases every polygon outwards. So at the NaN samples that border a sample at or above the
// threshold, the contours take the exact level the chunks keep below the cutoff (the best over
// the sectors that have the cell within range; see chunk); only a sample beyond every sector's
// range reads the cutoff (there the level falls slowly, about the cutoff).

// levelFill is a set of exact levels below the cutoff: engine-grid cells and their levels, dBm.
type levelFill struct {
	cells  []int32
	levels []float32
}

// belowCutoff returns the level the contours of layer k (technology index ti, threshold thr32)
// take at land cell (i, j) of the engine grid, whose field value is NaN: the exact level below
// the cutoff that the chunks keep when one of the cell's eight neighbours reaches the threshold
// and a sector has the cell within range, the cutoff otherwise (see above).
func (r *Result) belowCutoff(k layerKey, ti int, field []float32, i, j int, thr32, cutoff float32) float32 {
	l := r.eng.land
	if l.Commune[l.Grid.Index(i, j)] < 0 || !contour.BordersLevel(l.Grid.NX, l.Grid.NY, field, i, j, thr32) {
		return cutoff
	}
	tix, ck, _ := l.Compact(i, j)
	o := ck - l.Tiles[tix].Start
	best := cutoff
	found := false
	for c, id := range r.carriers {
		if ch := r.layers[c][ti][tix]; ch != nil && (k.carrier == AnyCarrier || k.carrier == id) {
			if lv := ch.level[o]; lv == lv && (!found || lv > best) { // below the cutoff: the field is NaN
				best, found = lv, true
			}
		}
	}
	return best
}

// otherClass returns, for the land cells within the distance band of the other land class
// (see package contour), the best level the cell would have on the other class's land
// (ward instead of commune land or the reverse), dBm, or −Inf beyond every sector's range. For
// AnyCarrier it is the largest of the carriers' (float32 rounding is monotonic, so this equals
// the best over every sector).
func (r *Result) otherClass(carrier string, ti int) levelFill {
	e := r.eng
	g := e.land.Grid
	cells := e.boundaries().nearOtherClass()
	out := levelFill{cells: cells, levels: make([]float32, len(cells))}
	if carrier == AnyCarrier {
		for n := range out.levels {
			out.levels[n] = float32(math.Inf(-1))
		}
		for _, id := range r.carriers {
			k := layerKey{id, e.rules[ti].tech, 0}
			oc := r.polygons().other.get(k, func() levelFill { return r.otherClass(id, ti) })
			for n, v := range oc.levels {
				out.levels[n] = max(out.levels[n], v)
			}
		}
		return out
	}
	lv := newLeveller(r, carrier, ti)
	for _, n := range e.boundaries().nearByTile(e) {
		gk := int(cells[n])
		out.levels[n] = float32(lv.at(gk%g.NX, gk/g.NX, 1-e.landClass(gk)))
	}
	return out
}

// leveller evaluates the sectors the engine considered for a cell's tile, for one carrier (or
// AnyCarrier) and technology, with the same sector models as Compute. It resolves the models of
// a tile's candidates once per tile: visit cells tile by tile.
type leveller struct {
	r       *Result
	carrier string
	ti      int
	models  map[*data.Site]*siteModel // this leveller's lookups of Engine.model (nil: failed)
	tile    int                       // the tile of mods, −1 before the first cell
	mods    []*siteModel              // the models of the tile's candidates of the carrier(s)
}

func newLeveller(r *Result, carrier string, ti int) *leveller {
	return &leveller{r: r, carrier: carrier, ti: ti, models: map[*data.Site]*siteModel{}, tile: -1}
}

// at returns the best level in dBm at the centre of cell (i, j) on land class cls, −Inf when
// no sector has the cell within its range.
func (lv *leveller) at(i, j int, cls uint8) float64 {
	l := lv.r.eng.land
	c := l.Grid.Center(i, j)
	if tix := l.TileOf(i, j); tix != lv.tile {
		lv.resolve(tix)
	}
	best := math.Inf(-1)
	for _, m := range lv.mods {
		sm := &m.sectors[lv.ti][0]
		dx, dy := c[0]-sm.x, c[1]-sm.y // every sector of a site shares the mast
		d2 := dx*dx + dy*dy
		if d2 > m.rangeM[lv.ti]*m.rangeM[lv.ti] {
			continue // beyond every sector's range
		}
		for gi := range m.groups[lv.ti] {
			grp := &m.groups[lv.ti][gi]
			if d2 > grp.r2[cls] || grp.ub[cls][int(d2*grp.ubInv[cls])] < best {
				continue // out of range, or strictly below best: evaluate's skip
			}
			for q := range grp.secs {
				best = max(best, grp.secs[q].levelDBm(dx, dy, d2, cls))
			}
		}
	}
	return best
}

// resolve sets mods to the models, with sectors of the technology, of tile tix's candidates.
func (lv *leveller) resolve(tix int) {
	r := lv.r
	lv.tile, lv.mods = tix, lv.mods[:0]
	for ci, id := range r.carriers {
		if lv.carrier != AnyCarrier && lv.carrier != id {
			continue
		}
		ch := r.layers[ci][lv.ti][tix]
		if ch == nil {
			continue
		}
		for _, s := range ch.sites {
			m, ok := lv.models[s]
			if !ok {
				m, _ = r.eng.model(s) // modelled already by Compute; nil on error
				lv.models[s] = m
			}
			if m != nil && len(m.sectors[lv.ti]) > 0 {
				lv.mods = append(lv.mods, m)
			}
		}
	}
	// Nearest masts first: they set a high best early, so the bound skips more (the result
	// does not depend on the order).
	t := &r.eng.land.Tiles[tix]
	g := r.eng.land.Grid
	cx, cy := g.X0M+float64(t.I0+t.I1)/2*g.CellM, g.Y0M+float64(t.J0+t.J1)/2*g.CellM
	slices.SortFunc(lv.mods, func(a, b *siteModel) int {
		sa, sb := &a.sectors[lv.ti][0], &b.sectors[lv.ti][0]
		return cmp.Compare((sa.x-cx)*(sa.x-cx)+(sa.y-cy)*(sa.y-cy), (sb.x-cx)*(sb.x-cx)+(sb.y-cy)*(sb.y-cy))
	})
}
