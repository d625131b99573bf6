package coverage

import (
	"fmt"
	"math"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/population"
)

// SiteCells returns the land cells (grid indexes, row-major, ascending) where site s alone
// covers technology tech outdoors: the best level of its sectors of tech reaches the rule's
// RequiredMedianDBm(false), with the same sector model, land class, cell centres and float32
// rounding as Compute, so a cell listed here is covered in Compute's result once s is on air.
// Only cells for which want returns true are evaluated (nil: every land cell). The site's
// status is ignored (a planned site is evaluated as if on air). A site whose sectors cannot be
// modelled fails with a *SectorError; a technology not analysed gives ErrNoLayer.
func (e *Engine) SiteCells(s *data.Site, tech data.Tech, want func(k int) bool) ([]int32, error) {
	ti := techIndex(tech)
	if ti < 0 {
		return nil, fmt.Errorf("%w: technology %q is not analysed", ErrNoLayer, tech)
	}
	m, err := e.modelSite(s)
	if err != nil {
		return nil, err
	}
	secs := m.sectors[ti]
	if len(secs) == 0 {
		return nil, nil
	}
	g := e.land.Grid
	rM := m.rangeM[ti]
	x, y := secs[0].x, secs[0].y
	i0, i1 := land.CentresIn(g.X0M, g.CellM, x-rM, x+rM, g.NX)
	j0, j1 := land.CentresIn(g.Y0M, g.CellM, y-rM, y+rM, g.NY)
	req := e.rules[ti].requiredOut
	var out []int32
	for j := j0; j < j1; j++ {
		for i := i0; i < i1; i++ {
			k := g.Index(i, j)
			ci := e.land.Commune[k]
			if ci < 0 || want != nil && !want(k) {
				continue
			}
			c := g.Center(i, j)
			dx, dy := c[0]-x, c[1]-y
			d2 := dx*dx + dy*dy
			cls := e.communeClass(int(ci))
			best := math.Inf(-1)
			for q := range secs {
				best = max(best, secs[q].levelDBm(dx, dy, d2, cls))
			}
			if float64(float32(best)) >= req {
				out = append(out, int32(k))
			}
		}
	}
	return out, nil
}

// CellPeople returns the people of every grid cell (row-major; 0 outside the communes): the
// population grid's (Options.Population) or, without one, each commune's census spread
// uniformly over its land cells — the people every figure of the package counts. The slice
// is fresh.
func (e *Engine) CellPeople() []float64 {
	out := make([]float64, len(e.land.Commune))
	if e.pop != nil {
		for k, u := range e.pop.People {
			out[k] = float64(u) / population.Scale
		}
		return out
	}
	per := make([]float64, len(e.communes))
	for ci, c := range e.communes {
		if n := e.land.CommuneCells[ci]; n > 0 {
			per[ci] = float64(c.Population) / float64(n)
		}
	}
	for k, ci := range e.land.Commune {
		if ci >= 0 {
			out[k] = per[ci]
		}
	}
	return out
}
