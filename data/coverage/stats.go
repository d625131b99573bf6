package coverage

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/population"
)

// PopulationSpread says how population and households are placed on the land without a
// population grid (Options.Population nil): the census figures spread uniformly over each
// commune's land cells. With a grid, each commune says so in CommuneStats.PopulationSpread
// (population.Grid.Spread).
const PopulationSpread = "uniform over commune land"

// CarrierStats is one carrier's coverage of one commune (or of the province) for one
// technology. Percentages are of the commune's land area (land cells), 0 when it has none;
// population and households are the people of the covered land cells (the population grid's,
// or without one the census figures times the covered share of the land cells: see
// CommuneStats), not rounded.
type CarrierStats struct {
	Carrier              string  `json:"carrier"`
	CoveredAreaKM2       float64 `json:"covered_area_km2"`
	CoveredAreaPct       float64 `json:"covered_area_pct"`
	CoveredIndoorAreaKM2 float64 `json:"covered_indoor_area_km2"`
	CoveredIndoorAreaPct float64 `json:"covered_indoor_area_pct"`
	CoveredPopulation    float64 `json:"covered_population"`
	CoveredHouseholds    float64 `json:"covered_households"`
}

// CommuneStats is the coverage of one commune (or, from Result.Province, of the whole
// province, with empty Code, Name, NameEN and Type) for one technology, by any carrier unless
// the field says otherwise. A cell is covered outdoors (indoors) by a carrier when the
// carrier's best level there reaches the technology's required outdoor (indoor) median level.
//
// Denominators: areas are land cells × cell area (the rasterised area: cells whose centre lies
// in the commune, the first commune in code order owning a cell where communes overlap);
// percentages are of AreaKM2 (0 when the commune has no land cell).
//
// People: with a population grid (Options.Population) every people figure is the sum of the
// grid's people over the land cells concerned (exact sums of population.Scale units), and
// households are people × the commune's census households per person; GridPopulation is what
// the figures count (the census in population.ModeCensus, the raster's people in
// population.ModeRaster) and UncoveredPopulation, CoveredPopulationPct are of it. Without a
// grid, people figures are the census figures × cells / land cells (PopulationSpread), and
// GridPopulation is the census population. Province totals are sums over communes (of counts
// for areas, of the per-commune floats for people).
type CommuneStats struct {
	Code              string           `json:"code"`
	Name              string           `json:"name"`
	NameEN            string           `json:"name_en"`
	Type              data.CommuneType `json:"type"`
	Tech              data.Tech        `json:"tech"`
	DefinitionVersion string           `json:"definition_version"`
	Calibration       string           `json:"calibration"` // Definition.CalibrationLabel

	LandCells      int     `json:"land_cells"`
	AreaKM2        float64 `json:"area_km2"`         // rasterised land area
	PolygonAreaKM2 float64 `json:"polygon_area_km2"` // vector area in the engine's projection, for comparison

	CoveredAreaKM2       float64 `json:"covered_area_km2"`
	CoveredAreaPct       float64 `json:"covered_area_pct"`
	CoveredIndoorAreaKM2 float64 `json:"covered_indoor_area_km2"`
	CoveredIndoorAreaPct float64 `json:"covered_indoor_area_pct"`

	Population           int     `json:"population"` // census
	CoveredPopulation    float64 `json:"covered_population"`
	UncoveredPopulation  float64 `json:"uncovered_population"`
	CoveredPopulationPct float64 `json:"covered_population_pct"`
	Households           int     `json:"households"` // census
	CoveredHouseholds    float64 `json:"covered_households"`
	PopulationSpread     string  `json:"population_spread"`

	// GridPopulation and GridHouseholds are the people and households the figures count (see
	// the type's doc); RasterPopulation is what the population source put on the commune's
	// land before reconciliation and PopulationFactor what it was multiplied by (census /
	// raster; 1 in raster mode; 0 without a grid or for a commune spread uniformly).
	GridPopulation          float64 `json:"grid_population"`
	GridHouseholds          float64 `json:"grid_households"`
	RasterPopulation        float64 `json:"raster_population"`
	PopulationFactor        float64 `json:"population_factor"`
	UncoveredHouseholds     float64 `json:"uncovered_households"`
	CoveredIndoorPopulation float64 `json:"covered_indoor_population"`

	// CarriersPresent counts the carriers covering (outdoors) at least one land cell.
	CarriersPresent    int      `json:"carriers_present"`
	CarriersPresentIDs []string `json:"carriers_present_ids"`
	// PerCarrier has one entry per carrier of the Result (Result.Carriers order), present or not.
	PerCarrier []CarrierStats `json:"per_carrier"`

	// AreaByCarrierCountKM2[n] is the land area covered outdoors by exactly n carriers (n = 3:
	// three or more). White = 0, single-carrier = 1, competitive = 2 or more.
	AreaByCarrierCountKM2 [4]float64 `json:"area_by_carrier_count_km2"`
	WhiteAreaKM2          float64    `json:"white_area_km2"`
	SingleCarrierAreaKM2  float64    `json:"single_carrier_area_km2"`
	CompetitiveAreaKM2    float64    `json:"competitive_area_km2"`
	// ThreeGOnlyAreaKM2 is the land covered outdoors by 3G (any carrier) and by no carrier's
	// 4G. It is a property of the commune, repeated on its 3G and 4G rows; 0 when the engine
	// computes one technology only (Options.Techs).
	ThreeGOnlyAreaKM2 float64 `json:"three_g_only_area_km2"`

	// The same splits in people: PopulationByCarrierCount[n] lives where exactly n carriers
	// cover outdoors (3: three or more); white, single-carrier, competitive (two or more) and
	// 3G-only people as for the areas.
	PopulationByCarrierCount [4]float64 `json:"population_by_carrier_count"`
	WhitePopulation          float64    `json:"white_population"`
	SingleCarrierPopulation  float64    `json:"single_carrier_population"`
	CompetitivePopulation    float64    `json:"competitive_population"`
	ThreeGOnlyPopulation     float64    `json:"three_g_only_population"`
}

// communeCounts holds the integer sums a commune's statistics derive from: cell counts, and
// the population grid's people (units of population.Scale; 0 without a grid) over the same
// cells. Indexes: [tech] is into data.AnalysedTechs, [carrier] into Result.carriers. Integer
// sums make a count updated cell by cell (recount) equal to one made from scratch.
type communeCounts struct {
	out, in       [][]int32 // cells covered outdoors / indoors, per tech and carrier
	anyOut, anyIn []int32   // per tech: by at least one carrier
	byCount       [][4]int32
	threeGOnly    int32

	pOut            [][]int64 // people of the cells covered outdoors, per tech and carrier
	pAnyOut, pAnyIn []int64   // per tech
	pByCount        [][4]int64
	pThreeGOnly     int64
}

func newCounts(ntech, ncarrier int) communeCounts {
	c := communeCounts{out: make([][]int32, ntech), in: make([][]int32, ntech),
		anyOut: make([]int32, ntech), anyIn: make([]int32, ntech), byCount: make([][4]int32, ntech),
		pOut: make([][]int64, ntech), pAnyOut: make([]int64, ntech), pAnyIn: make([]int64, ntech), pByCount: make([][4]int64, ntech)}
	for t := range ntech {
		c.out[t], c.in[t], c.pOut[t] = make([]int32, ncarrier), make([]int32, ncarrier), make([]int64, ncarrier)
	}
	return c
}

// add accumulates o into c; o's carrier k is c's carrier remap[k] (nil: the same shape and
// numbering).
func (c *communeCounts) add(o *communeCounts, remap []int) {
	for t := range c.out {
		for k := range o.out[t] {
			to := k
			if remap != nil {
				to = remap[k]
			}
			c.out[t][to] += o.out[t][k]
			c.in[t][to] += o.in[t][k]
			c.pOut[t][to] += o.pOut[t][k]
		}
		c.anyOut[t] += o.anyOut[t]
		c.anyIn[t] += o.anyIn[t]
		c.pAnyOut[t] += o.pAnyOut[t]
		c.pAnyIn[t] += o.pAnyIn[t]
		for n := range 4 {
			c.byCount[t][n] += o.byCount[t][n]
			c.pByCount[t][n] += o.pByCount[t][n]
		}
	}
	c.threeGOnly += o.threeGOnly
	c.pThreeGOnly += o.pThreeGOnly
}

// counter adds cells' contributions to commune counts, reading the layers of one result.
type counter struct {
	r      *Result
	people []int64    // the engine's people per compact cell, nil without a population grid
	start  int32      // compact index of the current tile's first cell
	chunks [][]*chunk // [tech][carrier] of the current tile
	covOut []bool     // per tech, scratch
	nOut   [][]uint16 // per tech and cell of the tile, scratch of countTile: carriers covering outdoors
	anyIn  [][]bool   // per tech and cell of the tile, scratch of countTile: covered indoors
	i3, i4 int        // indexes of 3G and 4G in data.AnalysedTechs (-1 if absent)
}

func newCounter(r *Result) *counter {
	ntech := len(r.eng.rules)
	c := &counter{r: r, people: r.eng.cellPeople, chunks: make([][]*chunk, ntech), covOut: make([]bool, ntech),
		nOut: make([][]uint16, ntech), anyIn: make([][]bool, ntech),
		i3: techIndex(data.Tech3G), i4: techIndex(data.Tech4G)}
	for ti := range c.chunks {
		c.chunks[ti] = make([]*chunk, len(r.carriers))
	}
	return c
}

// tile points the counter at tile tix.
func (c *counter) tile(tix int32) {
	c.start = c.r.eng.land.Tiles[tix].Start
	for ti := range c.chunks {
		for k := range c.chunks[ti] {
			c.chunks[ti][k] = c.r.layers[k][ti][tix]
		}
	}
}

// add adds sign (±1) times the contribution of the cell at offset o of the current tile to cc.
func (c *counter) add(cc *communeCounts, o int32, sign int32) {
	rules := c.r.eng.rules
	var w int64 // the cell's people, signed
	if c.people != nil {
		w = int64(sign) * c.people[c.start+o]
	}
	for ti := range c.chunks {
		reqOut, reqIn := rules[ti].requiredOut, rules[ti].requiredIn
		n, anyIn := 0, false
		for k, ch := range c.chunks[ti] {
			if ch == nil {
				continue
			}
			lv := float64(ch.level[o]) // below the cutoff, so below reqOut and reqIn, where serving is noServer
			if lv >= reqOut {
				cc.out[ti][k] += sign
				cc.pOut[ti][k] += w
				n++
			}
			if lv >= reqIn {
				cc.in[ti][k] += sign
				anyIn = true
			}
		}
		c.covOut[ti] = n > 0
		if n > 0 {
			cc.anyOut[ti] += sign
			cc.pAnyOut[ti] += w
		}
		if anyIn {
			cc.anyIn[ti] += sign
			cc.pAnyIn[ti] += w
		}
		cc.byCount[ti][min(n, 3)] += sign
		cc.pByCount[ti][min(n, 3)] += w
	}
	if c.i3 >= 0 && c.i4 >= 0 && c.covOut[c.i3] && !c.covOut[c.i4] {
		cc.threeGOnly += sign
		cc.pThreeGOnly += w
	}
}

// countTile adds to part[ci], for every commune ci with redo set, the contributions (as add
// with sign 1) of the cells of t, the counter's current tile. It reads each chunk over runs of
// cells of one commune, counting the cells covered outdoors and indoors per run and the carriers
// covering each cell in scratch arrays, then adds the carrier-count, any-carrier and 3G-only
// counts cell by cell; with a population grid, the cells' people alongside. The counts are
// integer sums of the same tests as add's, so they are the same (TestUpdateEqualsCompute
// compares them with recount's, which uses add).
func (c *counter) countTile(part []communeCounts, redo []bool, t *land.Tile) {
	l := c.r.eng.land
	n := int(t.End - t.Start)
	for ti := range c.chunks {
		if cap(c.nOut[ti]) < n {
			c.nOut[ti], c.anyIn[ti] = make([]uint16, n), make([]bool, n)
		}
		c.nOut[ti], c.anyIn[ti] = c.nOut[ti][:n], c.anyIn[ti][:n]
		clear(c.nOut[ti])
		clear(c.anyIn[ti])
	}
	rules := c.r.eng.rules
	for k0 := t.Start; k0 < t.End; {
		ci := l.CellCommune[k0]
		k1 := k0 + 1
		for k1 < t.End && l.CellCommune[k1] == ci {
			k1++
		}
		o0, o1 := k0-t.Start, k1-t.Start
		k0 = k1
		if !redo[ci] {
			continue
		}
		cc := &part[ci]
		var people []int64 // the run's people, nil without a grid
		if c.people != nil {
			people = c.people[t.Start+o0 : t.Start+o1]
		}
		for ti, chunks := range c.chunks {
			reqOut, reqIn := rules[ti].requiredOut, rules[ti].requiredIn
			nOut, anyIn := c.nOut[ti][o0:o1], c.anyIn[ti][o0:o1]
			for k, ch := range chunks {
				if ch == nil {
					continue
				}
				var out, in int32
				var pOut int64
				for q, v := range ch.level[o0:o1] {
					lv := float64(v) // below the cutoff, so below reqOut and reqIn, where serving is noServer
					if lv >= reqOut {
						out++
						nOut[q]++
						if people != nil {
							pOut += people[q]
						}
					}
					if lv >= reqIn {
						in++
						anyIn[q] = true
					}
				}
				cc.out[ti][k] += out
				cc.in[ti][k] += in
				cc.pOut[ti][k] += pOut
			}
			for q, m := range nOut {
				cc.byCount[ti][min(m, 3)]++
				if m > 0 {
					cc.anyOut[ti]++
				}
				if anyIn[q] {
					cc.anyIn[ti]++
				}
			}
			if people != nil {
				for q, m := range nOut {
					w := people[q]
					cc.pByCount[ti][min(m, 3)] += w
					if m > 0 {
						cc.pAnyOut[ti] += w
					}
					if anyIn[q] {
						cc.pAnyIn[ti] += w
					}
				}
			}
		}
		if c.i3 >= 0 && c.i4 >= 0 {
			for q, m := range c.nOut[c.i3][o0:o1] {
				if m > 0 && c.nOut[c.i4][o0+int32(q)] == 0 {
					cc.threeGOnly++
					if people != nil {
						cc.pThreeGOnly += people[q]
					}
				}
			}
		}
	}
}

// count recomputes counts[ci] from scratch for every commune with redo[ci] set, the tiles
// shared among up to workers goroutines (integer sums: the result does not depend on the split).
func (r *Result) count(redo []bool, workers int) {
	l := r.eng.land
	var tiles []int32
	for ci, ok := range redo {
		if ok {
			tiles = append(tiles, l.CommuneTiles[ci]...)
		}
	}
	slices.Sort(tiles)
	tiles = slices.Compact(tiles)
	var (
		mu    sync.Mutex
		parts [][]communeCounts // one per goroutine
	)
	eachParallel(context.Background(), max(1, min(workers, len(tiles)/16)), len(tiles), func() func(int) {
		part := make([]communeCounts, len(redo))
		for ci, ok := range redo {
			if ok {
				part[ci] = newCounts(len(r.eng.rules), len(r.carriers))
			}
		}
		mu.Lock()
		parts = append(parts, part)
		mu.Unlock()
		cnt := newCounter(r)
		return func(n int) {
			cnt.tile(tiles[n])
			cnt.countTile(part, redo, &l.Tiles[tiles[n]])
		}
	})
	for ci, ok := range redo {
		if ok {
			r.counts[ci] = newCounts(len(r.eng.rules), len(r.carriers)) // no part without tiles
			for _, p := range parts {
				r.counts[ci].add(&p[ci], nil)
			}
		}
	}
}

// recount updates r.counts (copied from prev, same carriers) for the cells of rects, a
// rectangle per tile that holds every cell whose levels may differ between prev and r: it
// subtracts each cell's contribution under prev and adds it under r. Integer counts make the
// result equal to a full count. The communes touched get fresh count slices (prev's are
// shared and stay unchanged) and are marked in redo.
func (r *Result) recount(prev *Result, rects map[int32]land.CellRect, redo []bool) {
	l := r.eng.land
	copied := make([]bool, len(r.counts))
	before, after := newCounter(prev), newCounter(r)
	tiles := make([]int32, 0, len(rects))
	for tix := range rects {
		tiles = append(tiles, tix)
	}
	slices.Sort(tiles)
	for _, tix := range tiles {
		t := &l.Tiles[tix]
		before.tile(tix)
		after.tile(tix)
		r.eng.land.EachCell(t, rects[tix], func(k int32) {
			ci := l.CellCommune[k]
			if !copied[ci] {
				r.counts[ci] = r.counts[ci].clone()
				copied[ci], redo[ci] = true, true
			}
			before.add(&r.counts[ci], k-t.Start, -1)
			after.add(&r.counts[ci], k-t.Start, 1)
		})
	}
}

// clone returns a deep copy of c.
func (c communeCounts) clone() communeCounts {
	out := communeCounts{out: make([][]int32, len(c.out)), in: make([][]int32, len(c.in)),
		anyOut: slices.Clone(c.anyOut), anyIn: slices.Clone(c.anyIn), byCount: slices.Clone(c.byCount),
		threeGOnly: c.threeGOnly, pOut: make([][]int64, len(c.pOut)), pAnyOut: slices.Clone(c.pAnyOut),
		pAnyIn: slices.Clone(c.pAnyIn), pByCount: slices.Clone(c.pByCount), pThreeGOnly: c.pThreeGOnly}
	for t := range c.out {
		out.out[t], out.in[t], out.pOut[t] = slices.Clone(c.out[t]), slices.Clone(c.in[t]), slices.Clone(c.pOut[t])
	}
	return out
}

// stats builds the statistics of commune ci (or of the province when ci < 0, from total) for
// technology index ti: land cells, census population and households, vector area.
func (r *Result) stats(ci int, ti int, cc *communeCounts, land int, census, households int, polyAreaM2 float64) CommuneStats {
	e := r.eng
	cellM2 := e.land.Grid.CellM * e.land.Grid.CellM
	km2 := func(n int32) float64 { return float64(n) * cellM2 / 1e6 } // exact for whole-metre cells
	s := CommuneStats{Tech: e.rules[ti].tech, DefinitionVersion: e.def.Version, Calibration: e.def.CalibrationLabel(), LandCells: land,
		AreaKM2: km2(int32(land)), PolygonAreaKM2: polyAreaM2 / 1e6,
		Population: census, Households: households, PopulationSpread: PopulationSpread,
		GridPopulation: float64(census), GridHouseholds: float64(households)}
	if ci >= 0 {
		c := &e.communes[ci]
		s.Code, s.Name, s.NameEN, s.Type = c.Code, c.Name, c.NameEN, c.Type
	}
	share := func(n int32) float64 {
		if land == 0 {
			return 0
		}
		return float64(n) / float64(land)
	}
	perPerson := 0.0 // census households per person
	if census > 0 {
		perPerson = float64(households) / float64(census)
	}
	// people and hh are the people and households of n land cells holding units of the grid.
	people := func(n int32, units int64) float64 {
		if e.pop != nil {
			return float64(units) / population.Scale
		}
		return float64(census) * share(n)
	}
	hh := func(n int32, units int64) float64 {
		if e.pop != nil {
			return float64(units) / population.Scale * perPerson
		}
		return float64(households) * share(n)
	}
	if e.pop != nil {
		s.PopulationSpread = e.pop.Spread(ci)
		if ci >= 0 {
			pc := &e.pop.Communes[ci]
			s.GridPopulation, s.RasterPopulation, s.PopulationFactor = pc.People, pc.RasterPeople, pc.Factor
			if e.pop.Mode == population.ModeRaster && !pc.Uniform {
				s.GridHouseholds = pc.People * perPerson
			}
		}
	}
	s.CoveredAreaKM2 = km2(cc.anyOut[ti])
	s.CoveredAreaPct = 100 * share(cc.anyOut[ti])
	s.CoveredIndoorAreaKM2 = km2(cc.anyIn[ti])
	s.CoveredIndoorAreaPct = 100 * share(cc.anyIn[ti])
	s.CoveredPopulation = people(cc.anyOut[ti], cc.pAnyOut[ti])
	s.CoveredHouseholds = hh(cc.anyOut[ti], cc.pAnyOut[ti])
	s.CoveredIndoorPopulation = people(cc.anyIn[ti], cc.pAnyIn[ti])
	s.PerCarrier = make([]CarrierStats, len(r.carriers))
	s.CarriersPresentIDs = []string{}
	for k, id := range r.carriers {
		n, nIn := cc.out[ti][k], cc.in[ti][k]
		s.PerCarrier[k] = CarrierStats{Carrier: id, CoveredAreaKM2: km2(n), CoveredAreaPct: 100 * share(n),
			CoveredIndoorAreaKM2: km2(nIn), CoveredIndoorAreaPct: 100 * share(nIn),
			CoveredPopulation: people(n, cc.pOut[ti][k]), CoveredHouseholds: hh(n, cc.pOut[ti][k])}
		if n > 0 {
			s.CarriersPresent++
			s.CarriersPresentIDs = append(s.CarriersPresentIDs, id)
		}
	}
	for n := range 4 {
		s.AreaByCarrierCountKM2[n] = km2(cc.byCount[ti][n])
		s.PopulationByCarrierCount[n] = people(cc.byCount[ti][n], cc.pByCount[ti][n])
	}
	s.WhiteAreaKM2 = s.AreaByCarrierCountKM2[0]
	s.SingleCarrierAreaKM2 = s.AreaByCarrierCountKM2[1]
	s.CompetitiveAreaKM2 = km2(cc.byCount[ti][2] + cc.byCount[ti][3])
	s.ThreeGOnlyAreaKM2 = km2(cc.threeGOnly)
	s.ThreeGOnlyPopulation = people(cc.threeGOnly, cc.pThreeGOnly)
	s.finishPopulation()
	return s
}

// finishPopulation derives the white, single-carrier and competitive people from the
// carrier-count split, the uncovered population and households, and the covered share of the
// population.
func (s *CommuneStats) finishPopulation() {
	pc := &s.PopulationByCarrierCount
	s.WhitePopulation, s.SingleCarrierPopulation, s.CompetitivePopulation = pc[0], pc[1], pc[2]+pc[3]
	s.UncoveredPopulation = s.GridPopulation - s.CoveredPopulation
	s.UncoveredHouseholds = s.GridHouseholds - s.CoveredHouseholds
	if s.GridPopulation > 0 {
		s.CoveredPopulationPct = 100 * s.CoveredPopulation / s.GridPopulation
	}
}

// buildStats derives every commune's and the province's statistics from r.counts; only the
// communes with redo set are rebuilt (all when r.commune is nil).
func (r *Result) buildStats(redo []bool) {
	e := r.eng
	ntech := len(e.rules)
	if r.commune == nil {
		r.commune = make([][]CommuneStats, ntech)
		for ti := range ntech {
			r.commune[ti] = make([]CommuneStats, len(e.communes))
		}
	}
	total := newCounts(ntech, len(r.carriers))
	land, pop, hh, polyArea := 0, 0, 0, 0.0
	for ci := range e.communes {
		if redo[ci] {
			c := &e.communes[ci]
			for ti := range ntech {
				r.commune[ti][ci] = r.stats(ci, ti, &r.counts[ci], e.land.CommuneCells[ci], c.Population, c.Households, e.polyArea[ci])
			}
		}
		total.add(&r.counts[ci], nil)
		land += e.land.CommuneCells[ci]
		pop += e.communes[ci].Population
		hh += e.communes[ci].Households
		polyArea += e.polyArea[ci]
	}
	r.province = make([]CommuneStats, ntech)
	for ti := range ntech {
		r.province[ti] = r.provinceStats(r.stats(-1, ti, &total, land, pop, hh, polyArea), r.commune[ti])
	}
}

// provinceStats replaces the people figures of p (the province's statistics from the total
// counts) by the sums of the communes' (people are placed per commune), and derives the rest.
func (r *Result) provinceStats(p CommuneStats, communes []CommuneStats) CommuneStats {
	p.CoveredPopulation, p.CoveredHouseholds, p.CoveredIndoorPopulation, p.ThreeGOnlyPopulation = 0, 0, 0, 0
	p.GridPopulation, p.GridHouseholds, p.RasterPopulation, p.PopulationByCarrierCount = 0, 0, 0, [4]float64{}
	for k := range p.PerCarrier {
		p.PerCarrier[k].CoveredPopulation, p.PerCarrier[k].CoveredHouseholds = 0, 0
	}
	reconciled := 0.0 // people of the communes the grid's factor applies to
	for ci := range communes {
		s := &communes[ci]
		p.CoveredPopulation += s.CoveredPopulation
		p.CoveredHouseholds += s.CoveredHouseholds
		p.CoveredIndoorPopulation += s.CoveredIndoorPopulation
		p.ThreeGOnlyPopulation += s.ThreeGOnlyPopulation
		p.GridPopulation += s.GridPopulation
		p.GridHouseholds += s.GridHouseholds
		p.RasterPopulation += s.RasterPopulation
		if s.PopulationFactor > 0 {
			reconciled += s.GridPopulation
		}
		for n := range 4 {
			p.PopulationByCarrierCount[n] += s.PopulationByCarrierCount[n]
		}
		for k := range p.PerCarrier {
			p.PerCarrier[k].CoveredPopulation += s.PerCarrier[k].CoveredPopulation
			p.PerCarrier[k].CoveredHouseholds += s.PerCarrier[k].CoveredHouseholds
		}
	}
	p.PopulationFactor = 0
	if p.RasterPopulation > 0 {
		p.PopulationFactor = reconciled / p.RasterPopulation
	}
	p.finishPopulation()
	return p
}

// Communes returns every commune's statistics for every analysed technology, ordered by code
// then technology (data.AnalysedTechs order). The slice is fresh; its PerCarrier slices are
// shared and must not be modified.
func (r *Result) Communes() []CommuneStats {
	out := make([]CommuneStats, 0, len(r.eng.communes)*len(r.commune))
	for ci := range r.eng.communes {
		for ti := range r.commune {
			out = append(out, r.commune[ti][ci])
		}
	}
	return out
}

// CommuneStatsFor returns the statistics of every commune for technology t in code order (nil
// for a technology not analysed). The slice is fresh.
func (r *Result) CommuneStatsFor(t data.Tech) []CommuneStats {
	ti := techIndex(t)
	if ti < 0 {
		return nil
	}
	return slices.Clone(r.commune[ti])
}

// Province returns the province totals for technology t (zero value for a technology not
// analysed). Areas and cell counts are sums over communes; covered population and households
// are the sums of the communes' figures, so they reconcile exactly with Communes up to
// floating-point summation order (code order here).
func (r *Result) Province(t data.Tech) CommuneStats {
	ti := techIndex(t)
	if ti < 0 {
		return CommuneStats{}
	}
	return r.province[ti]
}

// Priority returns the communes' statistics for technology t ordered by uncovered population,
// largest first (ties by code): where new sites would serve the most people.
func (r *Result) Priority(t data.Tech) []CommuneStats {
	out := r.CommuneStatsFor(t)
	slices.SortStableFunc(out, func(a, b CommuneStats) int {
		if c := cmp.Compare(b.UncoveredPopulation, a.UncoveredPopulation); c != 0 {
			return c
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return out
}
