// Package hex summarises predicted coverage on H3 hexagons (Uber's hierarchical hexagonal
// grid), as the US FCC publishes mobile broadband coverage: a hexagon counts as covered by a
// carrier when its centre is covered (the carrier's predicted median level at the centre meets
// the coverage definition's outdoor requirement), and it carries the people and households
// living in it.
//
// Frame and assumptions: cells are indexed from WGS84 lon/lat; the coverage is read at each
// hexagon's H3 centre from the engine's grid cell holding it (coverage.Result.At; a centre
// outside the province's land counts as not covered). People are the engine's: each land cell's
// people of its population grid (coverage.Engine.Population; without one, the census spread
// uniformly over each commune's land cells, coverage.PopulationSpread), households its people ×
// the commune's census households per person. Each land cell gives all of its people to the
// hexagon holding the cell's centre, so the hexagons' people add up to the people of every
// figure: with a census-reconciled grid, the province's census population exactly (the grid's
// people are whole millionths of a person, summed as integers). A hexagon's Commune is the one
// owning most of its land cells; its Communes split its people by the commune of each cell, and
// only those add up to each commune's figures.
//
// Resolutions: the FCC's are 8 (0.74 km² a hexagon on average, 461 m edge) and 9 (0.105 km²,
// 174 m edge); any of 0–15 works.
//
// H3 itself is C (github.com/uber/h3-go/v4): a build without cgo compiles, and Summarise and
// CellOf answer ErrNoH3 there (Available is false).
package hex

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/population"
	"phusong/geo"
)

// Cell is an H3 cell index (64 bits; mode 1, a cell).
type Cell uint64

// String returns c in H3's text form: lower-case hexadecimal without leading zeros
// (e.g. "8865b1b6c1fffff").
func (c Cell) String() string { return strconv.FormatUint(uint64(c), 16) }

// ErrNoH3: this build has no H3 library (it was built without cgo).
var ErrNoH3 = errors.New("hex: H3 needs a cgo build (a C compiler, CGO_ENABLED=1): this phusong was built without")

// Hex is one hexagon's summary for one technology.
type Hex struct {
	Cell       Cell
	Centre     orb.Point // H3 centre, lon/lat
	Boundary   orb.Ring  // lon/lat, closed, counter-clockwise
	Commune    string    // code of the commune owning most of the hexagon's land cells (its people may live in others: see Communes)
	People     float64   // people of the land cells it holds (the engine's population grid, or the census spread)
	Households float64
	LandCells  int             // engine grid cells whose centre it holds
	OnLand     bool            // its centre lies on the province's land (coverage is read there)
	Covered    map[string]bool // carrier id (and coverage.AnyCarrier) → covered at the centre, outdoors
	// Communes splits People, Households and LandCells by the commune of each land cell, by
	// code: summed over the hexagons, a commune's shares give its people in every other figure
	// (its census with a census-reconciled grid or the uniform spread), which the hexagons
	// summed by Commune do not (a hexagon on a border holds people of two or three communes).
	Communes []Share
}

// Share is the part of a hexagon's land in one commune.
type Share struct {
	Commune    string // code
	People     float64
	Households float64
	LandCells  int
}

// Summary is the hexagons of one technology and resolution, in cell order.
type Summary struct {
	Tech       data.Tech
	Resolution int
	Carriers   []string // the carriers of Covered, coverage.AnyCarrier last
	Hexes      []Hex
}

// Summarise returns the hexagons at resolution res (0–15) that hold at least one land cell of
// r's engine, with their people and households and, for tech, which carriers (and any) cover
// their centre. It fails with ErrNoH3 in a build without cgo and for a tech r does not
// analyse.
//
// For a result computed region by region (coverage.Result.Regional), which holds no land raster
// of the whole area, the land cells are read region by region (coverage.Result.EachRegionLand,
// each region's own cells) and the centres' levels from the regions holding them
// (coverage.Result.LevelsAtPoints): the whole engine's figures exactly, since every figure is a
// sum of whole counts (cells, the population grid's units) made into people only at the end.
func Summarise(ctx context.Context, r *coverage.Result, tech data.Tech, res int) (*Summary, error) {
	if !Available {
		return nil, ErrNoH3
	}
	e := r.Engine()
	if _, ok := e.RequiredDBm(tech, false); !ok {
		return nil, fmt.Errorf("hex: technology %q is not analysed", tech)
	}
	if res < 0 || res > 15 {
		return nil, fmt.Errorf("hex: resolution %d: must be 0 to 15", res)
	}
	t := tallies{}
	if r.Regional() {
		var mu sync.Mutex
		all := make([]int, r.Regions())
		for ri := range all {
			all[ri] = ri
		}
		err := r.EachRegionLand(ctx, all, func(_ int, l *coverage.RegionLand) error {
			part := tallies{}
			part.add(l.Grid(), l.Projection(), l.CommuneIndexRaster(), l.Whole, nil, res)
			mu.Lock()
			defer mu.Unlock()
			t.merge(part)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("hex: %w", err)
		}
	} else {
		var people []int64
		if pop := e.Population(); pop != nil {
			people = pop.People
		}
		t.add(e.Grid(), e.Projection(), e.CommuneIndexRaster(), nil, people, res)
	}
	s := &Summary{Tech: tech, Resolution: res, Carriers: append(r.Carriers(), coverage.AnyCarrier)}
	communes := e.Communes()
	landCells := make([]int, len(communes))
	for _, byCommune := range t {
		for ci, n := range byCommune {
			landCells[ci] += n.cells
		}
	}
	centres := make([]orb.Point, 0, len(t))
	for c, byCommune := range t {
		h := Hex{Cell: c, Centre: c.Centre(), Boundary: c.Boundary(), Covered: make(map[string]bool, len(s.Carriers))}
		var units int64
		best := int32(-1)
		for _, ci := range slices.Sorted(maps.Keys(byCommune)) { // code order
			n, cm := byCommune[ci], &communes[ci]
			sh := Share{Commune: cm.Code, LandCells: n.cells}
			if e.Population() != nil {
				sh.People = float64(n.units) / population.Scale
				if cm.Population > 0 {
					sh.Households = float64(n.units) / population.Scale * float64(cm.Households) / float64(cm.Population)
				}
			} else {
				sh.People = float64(cm.Population) * float64(n.cells) / float64(landCells[ci])
				sh.Households = float64(cm.Households) * float64(n.cells) / float64(landCells[ci])
			}
			if best < 0 || n.cells > byCommune[best].cells {
				best, h.Commune = ci, cm.Code // the most cells; the first code of a tie
			}
			units += n.units
			h.People, h.Households, h.LandCells = h.People+sh.People, h.Households+sh.Households, h.LandCells+sh.LandCells
			h.Communes = append(h.Communes, sh)
		}
		if e.Population() != nil {
			h.People = float64(units) / population.Scale
		}
		for _, id := range s.Carriers {
			h.Covered[id] = false
		}
		s.Hexes = append(s.Hexes, h)
		centres = append(centres, h.Centre)
	}
	levels, err := r.LevelsAtPoints(ctx, centres)
	if err != nil {
		return nil, fmt.Errorf("hex: %w", err)
	}
	for n := range s.Hexes {
		h := &s.Hexes[n]
		for _, pl := range levels[n] {
			h.OnLand = true
			if pl.Tech == tech {
				h.Covered[pl.Carrier] = pl.CoveredOutdoor
			}
		}
	}
	slices.SortFunc(s.Hexes, func(a, b Hex) int { return cmp.Compare(a.Cell, b.Cell) })
	return s, nil
}

// tally is one hexagon's land in one commune: its cells and, with a population grid, their
// people in 1/population.Scale persons.
type tally struct {
	units int64
	cells int
}

// tallies are the hexagons' land per commune (an index of the engine's communes). Whole counts
// only, so that a summary added up region by region equals one added up at once.
type tallies map[Cell]map[int32]*tally

// add counts every land cell of grid g (owner: its commune, −1 off the land; whole, when not
// nil, maps owner's communes to the engine's) in the hexagon of resolution res holding its
// centre, with its people of people (nil: none counted).
func (t tallies) add(g geo.Grid, tm geo.TransverseMercator, owner []int32, whole []int, people []int64, res int) {
	for j := range g.NY {
		for i := range g.NX {
			k := g.Index(i, j)
			ci := owner[k]
			if ci < 0 {
				continue
			}
			if whole != nil {
				ci = int32(whole[ci])
			}
			c, _ := CellOf(tm.Inverse(g.Center(i, j)), res) // res was checked
			byCommune := t[c]
			if byCommune == nil {
				byCommune = map[int32]*tally{}
				t[c] = byCommune
			}
			n := byCommune[ci]
			if n == nil {
				n = &tally{}
				byCommune[ci] = n
			}
			n.cells++
			if people != nil {
				n.units += people[k]
			}
		}
	}
}

// merge adds the counts of u to t.
func (t tallies) merge(u tallies) {
	for c, byCommune := range u {
		if t[c] == nil {
			t[c] = byCommune
			continue
		}
		for ci, n := range byCommune {
			if m := t[c][ci]; m != nil {
				m.cells, m.units = m.cells+n.cells, m.units+n.units
			} else {
				t[c][ci] = n
			}
		}
	}
}

// People returns the people of the hexagons covered by carrier (or coverage.AnyCarrier).
func (s *Summary) People(carrier string) float64 {
	var p float64
	for _, h := range s.Hexes {
		if h.Covered[carrier] {
			p += h.People
		}
	}
	return p
}
