// Package pocket finds dead-zone pockets ("vùng lõm sóng"): connected places where no carrier
// reaches a technology's coverage threshold, with the people who live there, ranked by those
// people. Universal-service programmes plan from them: where a new site would serve the most
// people without signal, how far the nearest site of each carrier and the nearest fibre access
// point are.
//
// Cells: a pocket is a set of land cells of the coverage engine's grid (a coverage.Result)
// where the best predicted level over every carrier (Result.Field(coverage.AnyCarrier, tech))
// is below the technology's required outdoor level — the uncovered cells the per-commune
// statistics count — connected through their sides or corners (8-connected). A pocket may
// cross commune borders; it lists the communes it lies in. Its people are those of its cells:
// the engine's population grid (Engine.Population) or, without one, each commune's census
// spread uniformly over its land cells, so the pockets of a commune add up to its
// CommuneStats.UncoveredPopulation.
//
// Frame and units: areas in m² (cells × CellM²), distances in metres (geodesic, WGS84),
// positions lon/lat at the edges and the engine's projected metres inside (Centre and
// CentreM); polygons (Polygons) are the pocket's cells' outline in the engine frame.
//
// Pockets derive from a Result's fields alone, which an incremental Engine.Update keeps equal
// to a full Compute, so the pockets of an updated result equal those of a full computation.
package pocket

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/data/land"
	"phusong/data/population"
	"phusong/data/store"
	"phusong/geo"
)

// DefaultMinPeople is the floor of the map and the reports: pockets where fewer people live
// are left out (a few fields with a hut are not a planning target).
const DefaultMinPeople = 50.0

// ErrTech: the technology is not analysed by the result.
var ErrTech = errors.New("pocket: technology not analysed")

// Options selects and measures pockets. The zero value keeps every pocket and measures no
// distance.
type Options struct {
	// MinPeople leaves out pockets with fewer people (DefaultMinPeople on the map); 0 or less
	// keeps them all.
	MinPeople float64
	// Commune, when not empty, keeps only the pockets with cells in the commune of that code.
	Commune string
	// Sites, when not nil, is the snapshot the result was computed from: each pocket gets the
	// nearest site of each of the result's carriers (Pocket.NearestSites).
	Sites *store.Snapshot
	// Fibre, when not nil, gives each pocket its nearest access point (Pocket.NearestAccessPoint).
	Fibre *fibre.Network
}

// Pocket is one dead-zone pocket.
type Pocket struct {
	// Rank is the pocket's place among all the technology's pockets by people, 1 the most
	// (ties: the pocket whose first cell comes first in the grid's row-major order).
	Rank       int       `json:"rank"`
	Tech       data.Tech `json:"tech"`
	CellCount  int       `json:"cells"`
	AreaM2     float64   `json:"area_m2"`
	People     float64   `json:"people"`
	Households float64   `json:"households"` // people × each commune's census households per person
	// Centre is the people-weighted centre of the pocket's cell centres (the plain centre when
	// nobody lives there), lon/lat; CentreM the same in the engine's frame. It may lie outside
	// a pocket that bends round.
	Centre  orb.Point `json:"centre"`
	CentreM orb.Point `json:"-"`
	// Communes lists the communes the pocket has cells in, the most people first (ties: code).
	Communes []Share `json:"communes"`
	// NearestSites has, per carrier of the result (Result.Carriers order), the site nearest
	// to Centre that counts (active, or planned too when the engine includes planned sites; a
	// carrier with none in Options.Sites is left out); nil without Options.Sites.
	NearestSites []NearestSite `json:"nearest_sites"`
	// NearestAccessPoint is the fibre access point nearest to Centre, nil without
	// Options.Fibre or when the network has none.
	NearestAccessPoint *NearestAccessPoint `json:"nearest_access_point"`
	// Cells are the pocket's cells as grid indexes (row-major, geo.Grid.Index), ascending, and
	// Bound their rectangle. Shared: do not modify.
	Cells []int32       `json:"-"`
	Bound land.CellRect `json:"-"`
}

// Share is a pocket's part in one commune.
type Share struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	Cells  int     `json:"cells"`
	People float64 `json:"people"`
}

// NearestSite is the site of one carrier nearest to a pocket's centre. HasTech tells whether
// it carries the pocket's technology (else it is a candidate for an upgrade rather than a new
// sector).
type NearestSite struct {
	Carrier   string  `json:"carrier"`
	SiteID    string  `json:"site_id"`
	DistanceM float64 `json:"distance_m"`
	HasTech   bool    `json:"has_tech"`
}

// NearestAccessPoint is the fibre access point nearest to a pocket's centre.
type NearestAccessPoint struct {
	Operator  string  `json:"operator"`
	ID        string  `json:"id"`
	DistanceM float64 `json:"distance_m"`
}

// Layer is the pockets of one technology.
type Layer struct {
	Tech         data.Tech
	ThresholdDBm float64 // the required outdoor level: below it a cell is uncovered
	MinPeople    float64 // the floor applied (≥ 0)
	Pockets      []Pocket
	// Total is the number of pockets of any size in the province, and People their people
	// (all uncovered people); Kept and KeptPeople those at or above the floor, before the
	// commune filter.
	Total      int
	People     float64
	Kept       int
	KeptPeople float64
}

// Find returns the pockets of tech in r, ranked by people (see the package doc), those under
// opts.MinPeople left out, only those in opts.Commune when it is set, with the distances
// opts asks for. An unknown technology is ErrTech, an unknown commune code ErrCommune.
//
// On a Regional result (coverage.ServeRegions) the pockets are the result's uncovered sets
// (Result.UncoveredSets, found region by region): the same cells, people, ranks and totals as
// on a whole engine over the same communes and sites; only the kept pockets of opts.Commune
// (every kept pocket without it) have their cells read.
func Find(r *coverage.Result, tech data.Tech, opts Options) (*Layer, error) {
	e := r.Engine()
	req, ok := e.RequiredDBm(tech, false)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrTech, tech)
	}
	if opts.Commune != "" && !slices.ContainsFunc(e.Communes(), func(c data.Commune) bool { return c.Code == opts.Commune }) {
		return nil, fmt.Errorf("%w: %q", ErrCommune, opts.Commune)
	}
	out := &Layer{Tech: tech, ThresholdDBm: req, MinPeople: max(0, opts.MinPeople)}
	if r.Regional() {
		return out, out.findRegional(r, opts)
	}
	field := r.Field(coverage.AnyCarrier, tech)
	if field == nil {
		return nil, fmt.Errorf("%w: %q", ErrTech, tech)
	}
	g := e.Grid()
	owner := e.CommuneIndexRaster()
	uncovered := make([]bool, g.Len())
	for k, ci := range owner {
		uncovered[k] = ci >= 0 && !(float64(field[k]) >= req)
	}
	labels, n := geo.Components8(uncovered, g.NX, g.NY)
	ppl := newPeople(r, tech)
	pockets := make([]Pocket, n)
	for k, lb := range labels {
		if lb >= 0 {
			pockets[lb].addCell(int32(k), g.NX)
		}
	}
	first := make([]int32, n)
	for lb := range pockets {
		p := &pockets[lb]
		ppl.measure(p, g, e.Projection(), func(n int) int32 { return owner[p.Cells[n]] })
		out.People += p.People
		first[lb] = p.Cells[0]
	}
	return out, out.rank(r, opts, pockets, first, nil)
}

// ErrCommune: the commune asked for is not one of the result's.
var ErrCommune = errors.New("pocket: no such commune")

// addCell adds cell k (a row-major index of a grid nx cells wide, above p's cells) to p.
func (p *Pocket) addCell(k int32, nx int) {
	i, j := int(k)%nx, int(k)/nx
	c := land.CellRect{I0: i, J0: j, I1: i + 1, J1: j + 1}
	if p.CellCount == 0 {
		p.Bound = c
	}
	p.Bound = p.Bound.Union(c)
	p.CellCount++
	p.Cells = append(p.Cells, k)
}

// findRegional sets l's pockets from a Regional result r: every uncovered set is a pocket
// measured from its cells per commune; a kept one is completed from its cells (its outline,
// centre and distances).
func (l *Layer) findRegional(r *coverage.Result, opts Options) error {
	ctx := context.Background()
	sets, err := r.UncoveredSets(ctx, l.Tech)
	if err != nil {
		return err
	}
	ppl := newPeople(r, l.Tech)
	pockets := make([]Pocket, len(sets))
	first := make([]int32, len(sets))
	for i := range sets {
		p := &pockets[i]
		p.CellCount = sets[i].Cells
		byCommune := make(map[int32]*tally, len(sets[i].CommuneCells))
		for ci, n := range sets[i].CommuneCells {
			byCommune[ci] = &tally{cells: n}
		}
		ppl.share(p, byCommune)
		l.People += p.People
		first[i] = sets[i].First
	}
	e := r.Engine()
	g := e.Grid()
	return l.rank(r, opts, pockets, first, func(p *Pocket, i int) error {
		cells, communes, err := r.UncoveredCells(ctx, l.Tech, &sets[i])
		if err != nil {
			return err
		}
		*p = Pocket{Rank: p.Rank, Tech: p.Tech}
		for _, k := range cells {
			p.addCell(k, g.NX)
		}
		ppl.measure(p, g, e.Projection(), func(n int) int32 { return communes[n] })
		return nil
	})
}

// rank numbers pockets by people, the most first (ties: the first cell, first[i] of pockets[i],
// in the grid's row-major order), counts those at or above l's floor and keeps those of
// opts.Commune in l.Pockets, each completed by complete (when not nil) and its distances
// measured.
func (l *Layer) rank(r *coverage.Result, opts Options, pockets []Pocket, first []int32, complete func(p *Pocket, i int) error) error {
	l.Total = len(pockets)
	order := make([]int, len(pockets))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(pockets[b].People, pockets[a].People), cmp.Compare(first[a], first[b]))
	})
	for n, i := range order {
		p := &pockets[i]
		p.Rank, p.Tech = n+1, l.Tech
		if p.People < l.MinPeople {
			break
		}
		l.Kept++
		l.KeptPeople += p.People
		if opts.Commune != "" && !slices.ContainsFunc(p.Communes, func(s Share) bool { return s.Code == opts.Commune }) {
			continue
		}
		if complete != nil {
			if err := complete(p, i); err != nil {
				return err
			}
		}
		measureDistances(p, r, l.Tech, opts)
		l.Pockets = append(l.Pockets, *p)
	}
	return nil
}

// people measures the people of cells: the engine's population grid, or the census spread
// uniformly over each commune's land cells.
type people struct {
	pop      *population.Grid
	communes []data.Commune
	land     []int // land cells per commune (uniform spread)
}

func newPeople(r *coverage.Result, tech data.Tech) *people { // tech: any analysed one (land cells do not depend on it)
	e := r.Engine()
	p := &people{pop: e.Population(), communes: e.Communes()}
	if p.pop == nil {
		p.land = make([]int, len(p.communes))
		for _, s := range r.CommuneStatsFor(tech) {
			i, _ := slices.BinarySearchFunc(p.communes, s.Code, func(c data.Commune, code string) int { return cmp.Compare(c.Code, code) })
			p.land[i] = s.LandCells
		}
	}
	return p
}

// tally is a pocket's cells in one commune and, with a population grid, their people in
// population.Scale units.
type tally struct {
	cells int
	units int64
}

// measure sets pk's people, households, centre and communes from its cells, communeOf(n)
// being the commune of pk.Cells[n].
func (p *people) measure(pk *Pocket, g geo.Grid, tm geo.TransverseMercator, communeOf func(n int) int32) {
	byCommune := map[int32]*tally{}
	var sx, sy, sw, cx, cy float64
	for n, k := range pk.Cells {
		ci := communeOf(n)
		a := byCommune[ci]
		if a == nil {
			a = &tally{}
			byCommune[ci] = a
		}
		a.cells++
		w := 0.0
		if p.pop != nil {
			a.units += p.pop.People[k]
			w = float64(p.pop.People[k])
		} else if p.land[ci] > 0 {
			w = float64(p.communes[ci].Population) / float64(p.land[ci])
		}
		c := g.Center(int(k)%g.NX, int(k)/g.NX)
		sx, sy, sw = sx+w*c[0], sy+w*c[1], sw+w
		cx, cy = cx+c[0], cy+c[1]
	}
	p.share(pk, byCommune)
	pk.AreaM2 = float64(pk.CellCount) * g.CellM * g.CellM
	if sw > 0 {
		pk.CentreM = orb.Point{sx / sw, sy / sw}
	} else {
		pk.CentreM = orb.Point{cx / float64(pk.CellCount), cy / float64(pk.CellCount)}
	}
	pk.Centre = tm.Inverse(pk.CentreM)
}

// share sets pk's communes, people and households from its cells per commune.
func (p *people) share(pk *Pocket, byCommune map[int32]*tally) {
	for ci, a := range byCommune {
		c := &p.communes[ci]
		s := Share{Code: c.Code, Name: c.Name, Cells: a.cells}
		if p.pop != nil {
			s.People = float64(a.units) / population.Scale
		} else if p.land[ci] > 0 {
			s.People = float64(c.Population) * float64(a.cells) / float64(p.land[ci])
		}
		pk.Communes = append(pk.Communes, s)
	}
	slices.SortFunc(pk.Communes, func(a, b Share) int { return cmp.Or(cmp.Compare(b.People, a.People), cmp.Compare(a.Code, b.Code)) })
	for _, s := range pk.Communes {
		pk.People += s.People
		ci, _ := slices.BinarySearchFunc(p.communes, s.Code, func(c data.Commune, code string) int { return cmp.Compare(c.Code, code) })
		if c := p.communes[ci]; c.Population > 0 {
			pk.Households += s.People * float64(c.Households) / float64(c.Population)
		}
	}
}

// measureDistances sets the nearest site per carrier and the nearest access point of p.
func measureDistances(p *Pocket, r *coverage.Result, tech data.Tech, opts Options) {
	if opts.Sites != nil {
		p.NearestSites = []NearestSite{}
		for _, id := range r.Carriers() {
			f := store.Filter{Carrier: id}
			if !r.Engine().IncludePlanned() {
				f.Status = data.StatusActive
			}
			if near := opts.Sites.Nearest(p.Centre, 1, f); len(near) > 0 {
				p.NearestSites = append(p.NearestSites, NearestSite{Carrier: id, SiteID: near[0].Site.SiteID,
					DistanceM: near[0].DistanceM, HasTech: near[0].Site.HasTech(tech)})
			}
		}
	}
	if opts.Fibre != nil {
		for _, ap := range opts.Fibre.AccessPoints {
			d := geo.DistanceM(p.Centre, ap.Point)
			if p.NearestAccessPoint == nil || d < p.NearestAccessPoint.DistanceM {
				p.NearestAccessPoint = &NearestAccessPoint{Operator: ap.Operator, ID: ap.ID, DistanceM: d}
			}
		}
	}
}

// Polygons returns the outline of the pocket's cells in the engine frame of g (projected
// metres; geo.CellOutlines: exteriors counter-clockwise, holes clockwise, cells meeting at a
// corner in separate polygons).
func (p *Pocket) Polygons(g geo.Grid) orb.MultiPolygon {
	b := p.Bound
	return geo.CellOutlines(g, b.I0, b.J0, b.I1, b.J1, func(i, j int) bool {
		_, found := slices.BinarySearch(p.Cells, int32(g.Index(i, j)))
		return found
	})
}
