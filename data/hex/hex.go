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
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/population"
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
func Summarise(r *coverage.Result, tech data.Tech, res int) (*Summary, error) {
	if !Available {
		return nil, ErrNoH3
	}
	if _, ok := r.Engine().RequiredDBm(tech, false); !ok {
		return nil, fmt.Errorf("hex: technology %q is not analysed", tech)
	}
	e := r.Engine()
	g, tm, owner, communes := e.Grid(), e.Projection(), e.CommuneIndexRaster(), e.Communes()
	landCells := make([]int, len(communes))
	for _, ci := range owner {
		if ci >= 0 {
			landCells[ci]++
		}
	}
	pop := e.Population()
	type tally struct {
		people, households float64
		units              int64 // with a population grid: its people, 1/population.Scale persons
		cells              int
	}
	type acc struct {
		tally
		perCommune map[int32]*tally
	}
	byCell := map[Cell]*acc{}
	for j := range g.NY {
		for i := range g.NX {
			ci := owner[g.Index(i, j)]
			if ci < 0 {
				continue
			}
			c, err := CellOf(tm.Inverse(g.Center(i, j)), res)
			if err != nil {
				return nil, err
			}
			a := byCell[c]
			if a == nil {
				a = &acc{perCommune: map[int32]*tally{}}
				byCell[c] = a
			}
			sh := a.perCommune[ci]
			if sh == nil {
				sh = &tally{}
				a.perCommune[ci] = sh
			}
			cm := &communes[ci]
			for _, t := range []*tally{&a.tally, sh} {
				if pop != nil {
					u := pop.People[g.Index(i, j)]
					t.units += u
					if cm.Population > 0 {
						t.households += float64(u) / population.Scale * float64(cm.Households) / float64(cm.Population)
					}
				} else {
					t.people += float64(cm.Population) / float64(landCells[ci])
					t.households += float64(cm.Households) / float64(landCells[ci])
				}
				t.cells++
			}
		}
	}
	s := &Summary{Tech: tech, Resolution: res, Carriers: append(r.Carriers(), coverage.AnyCarrier)}
	for c, a := range byCell {
		if pop != nil {
			a.people = float64(a.units) / population.Scale
		}
		h := Hex{Cell: c, Centre: c.Centre(), Boundary: c.Boundary(), People: a.people, Households: a.households,
			LandCells: a.cells, Covered: make(map[string]bool, len(s.Carriers))}
		best := int32(-1)
		for ci, t := range a.perCommune {
			if best < 0 || t.cells > a.perCommune[best].cells || t.cells == a.perCommune[best].cells && ci < best {
				best = ci
			}
			if pop != nil {
				t.people = float64(t.units) / population.Scale
			}
			h.Communes = append(h.Communes, Share{Commune: communes[ci].Code, People: t.people, Households: t.households, LandCells: t.cells})
		}
		slices.SortFunc(h.Communes, func(a, b Share) int { return cmp.Compare(a.Commune, b.Commune) })
		h.Commune = communes[best].Code
		for _, id := range s.Carriers {
			h.Covered[id] = false
		}
		for _, pl := range r.LevelsAt(h.Centre) {
			h.OnLand = true
			if pl.Tech == tech {
				h.Covered[pl.Carrier] = pl.CoveredOutdoor
			}
		}
		s.Hexes = append(s.Hexes, h)
	}
	slices.SortFunc(s.Hexes, func(a, b Hex) int { return cmp.Compare(a.Cell, b.Cell) })
	return s, nil
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
