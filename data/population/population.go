// Package population places people on the coverage grid: where they live inside each commune,
// from a population raster (WorldPop, GHSL, HRSL as GeoTIFF) or points (HRSL CSV, GeoJSON or
// CSV points), reconciled to the census per commune.
//
// Frame and units: sources are WGS84 lon/lat (EPSG:4326); the grid is the coverage engine's
// (projected metres, geo.Grid, its transverse Mercator). People are counted in 1/Scale persons
// as int64 per grid cell, so that sums over any set of cells are exact and do not depend on
// the order they are added in: the coverage engine's incremental updates rely on it.
//
// Resampling (Place) preserves totals: each raster cell's people are spread uniformly over the
// cell (its lon/lat rectangle mapped into the grid's frame: the quadrilateral between its
// projected corners), each grid cell getting the share of the area it covers; a point source
// puts each point's people in the grid cell holding it. People landing on no commune's land (outside the
// communes, or outside the grid) are counted apart (Grid.OutsidePeople) and take no further part.
//
// Reconciliation: in ModeCensus (the default) the people a commune's land cells received are
// scaled to the commune's census population (Commune.Factor = census / raster people), the
// units rounded by largest remainder so that they add up to census × Scale exactly; in
// ModeRaster the raster's people are kept as they are. A commune whose land received no people
// (no raster cell with people over it) gets its census population spread uniformly over its
// land cells instead, and says so (Commune.Uniform). Households follow each commune's census
// ratio of households to people.
package population

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// Scale is the number of units of Grid.People per person: people are counted in millionths of
// a person, as int64 (a billion people fit 9 000 times over).
const Scale = 1_000_000

// Mode says what the people of a commune add up to.
type Mode string

// Reconciliation modes (--population-mode).
const (
	ModeCensus Mode = "census" // each commune's grid people scaled to its census population (default)
	ModeRaster Mode = "raster" // the source's own people, not scaled
)

// ParseMode returns the mode named s ("" is ModeCensus) and whether it is one.
func ParseMode(s string) (Mode, bool) {
	switch Mode(s) {
	case "", ModeCensus:
		return ModeCensus, true
	case ModeRaster:
		return ModeRaster, true
	}
	return "", false
}

// Raster is a window of a population raster in lon/lat: NX × NY cells of DLon × DLat degrees,
// row 0 the northernmost, cell (i, j) spanning longitudes [West + i·DLon, West + (i+1)·DLon] and
// latitudes [North − (j+1)·DLat, North − j·DLat]. People holds each cell's people, row-major;
// NaN where the source has no data (read as no people).
type Raster struct {
	West, North float64 // degrees: the window's north-west corner
	DLon, DLat  float64 // degrees, both > 0
	NX, NY      int
	People      []float32
}

// Point is people at one place (lon, lat degrees): an HRSL cell centre, a village.
type Point struct {
	Lon, Lat, People float64
}

// Source is a population input as read from a file (package input): a raster window or
// points (exactly one of them), and where it came from.
type Source struct {
	Name   string  // the file's base name, or the demo's name for the embedded grid
	Format string  // "GeoTIFF", "CSV points", "GeoJSON points"
	Raster *Raster // a raster window, or nil
	Points []Point // points, when Raster is nil
	Note   string  // non-empty for synthetic data (the demo's grid): shown wherever it is used
}

// Land is what people are placed on: the coverage grid (projected metres in Projection), the
// commune owning each grid cell (row-major, index into Communes, −1 outside) and the communes
// with their census figures. The coverage engine's land.
type Land struct {
	Grid       geo.Grid
	Projection geo.TransverseMercator
	Commune    []int32
	Communes   []data.Commune
}

// Commune is the reconciliation of one commune: its census, the people the source put on its
// land, and what the figures use.
type Commune struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Census     int    `json:"census_population"` // the commune's census population
	Households int    `json:"census_households"`
	LandCells  int    `json:"land_cells"`
	// RasterPeople is the people the source put on the commune's land cells, before
	// reconciliation (0 when it put none).
	RasterPeople float64 `json:"raster_population"`
	// Factor is what the source's people were multiplied by: census / RasterPeople in
	// ModeCensus, 1 in ModeRaster, 0 for a uniform commune.
	Factor float64 `json:"population_factor"`
	// People is the people the figures count on the commune's land: the census in ModeCensus
	// and for a uniform commune, RasterPeople in ModeRaster (units/Scale, exact).
	People float64 `json:"people"`
	// Uniform is set when the source put no people on the commune's land: its census
	// population is spread uniformly over its land cells.
	Uniform bool  `json:"uniform"`
	Units   int64 `json:"-"` // Σ Grid.People over its cells
}

// HouseholdsPerPerson is the commune's census households per person (0 without people).
func (c *Commune) HouseholdsPerPerson() float64 {
	if c.Census <= 0 {
		return 0
	}
	return float64(c.Households) / float64(c.Census)
}

// Grid is people placed on a Land: per grid cell and per commune. It is immutable once placed.
type Grid struct {
	Source string // Source.Name
	Format string // Source.Format
	Note   string // Source.Note: non-empty for synthetic data
	Mode   Mode
	// People holds each grid cell's people in 1/Scale persons (row-major, geo.Grid.Index), 0
	// outside the communes. It must not be modified.
	People []int64
	// Communes has one entry per commune of the Land, in its order.
	Communes []Commune
	// OutsidePeople is the source's people (in the window read) that fell on no commune's land.
	OutsidePeople float64
}

// Errors of Place.
var (
	ErrSource = errors.New("population: bad source")
	ErrLand   = errors.New("population: bad land")
	ErrEmpty  = errors.New("population: the source puts no people on the communes")
)

// Place puts src's people on land (see the package doc for the resampling and the
// reconciliation under mode). A source that puts no people on any commune's land is ErrEmpty;
// a malformed source (both or neither of raster and points, sizes that do not match, negative
// or non-finite people) ErrSource; a raster that does not match its grid ErrLand.
func Place(land Land, src *Source, mode Mode) (*Grid, error) {
	mode, ok := ParseMode(string(mode))
	if !ok {
		return nil, fmt.Errorf("%w: mode %q (census or raster)", ErrSource, mode)
	}
	g := land.Grid
	if g.Len() == 0 || len(land.Commune) != g.Len() {
		return nil, fmt.Errorf("%w: %d commune cells for a %d × %d grid", ErrLand, len(land.Commune), g.NX, g.NY)
	}
	if err := src.check(); err != nil {
		return nil, err
	}
	acc := make([]float64, g.Len()) // people per grid cell, as the source put them
	out := &Grid{Source: src.Name, Format: src.Format, Note: src.Note, Mode: mode}
	var outside float64
	add := func(k int, people float64, ok bool) {
		if !ok || land.Commune[k] < 0 {
			outside += people
			return
		}
		acc[k] += people
	}
	if src.Raster != nil {
		spreadRaster(land, src.Raster, add)
	} else {
		for _, p := range src.Points {
			if p.People > 0 {
				i, j, ok := g.CellOf(land.Projection.Forward(orb.Point{p.Lon, p.Lat}))
				add(g.Index(i, j), p.People, ok)
			}
		}
	}
	out.OutsidePeople = outside
	if err := out.reconcile(land, acc); err != nil {
		return nil, err
	}
	return out, nil
}

// check refuses a malformed source.
func (src *Source) check() error {
	switch {
	case src == nil:
		return fmt.Errorf("%w: none", ErrSource)
	case src.Raster != nil && len(src.Points) > 0:
		return fmt.Errorf("%w: %s has both a raster and points", ErrSource, src.Name)
	case src.Raster != nil:
		r := src.Raster
		if r.NX <= 0 || r.NY <= 0 || len(r.People) != r.NX*r.NY || !(r.DLon > 0) || !(r.DLat > 0) ||
			math.IsInf(r.DLon, 0) || math.IsInf(r.DLat, 0) || math.IsNaN(r.West) || math.IsNaN(r.North) {
			return fmt.Errorf("%w: %s: raster of %d × %d cells of %g × %g° holding %d values", ErrSource, src.Name,
				r.NX, r.NY, r.DLon, r.DLat, len(r.People))
		}
		for k, v := range r.People {
			if v < 0 || math.IsInf(float64(v), 0) {
				return fmt.Errorf("%w: %s: raster cell (%d, %d) holds %g people", ErrSource, src.Name, k%r.NX, k/r.NX, v)
			}
		}
	default:
		for n, p := range src.Points {
			if !(p.People >= 0) || math.IsInf(p.People, 0) || !(p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90) {
				return fmt.Errorf("%w: %s: point %d (%g, %g) holds %g people", ErrSource, src.Name, n+1, p.Lon, p.Lat, p.People)
			}
		}
	}
	return nil
}

// cornerStride is how many raster cells apart the raster's corners are projected along a row;
// those between are interpolated linearly (the projection bends a parallel by about a
// centimetre over that distance at the raster resolutions used).
const cornerStride = 8

// spreadRaster calls add with the share of each raster cell's people that falls on each grid
// cell: the cell is the quadrilateral between its projected corners, and each grid cell gets
// the people times the part of the quadrilateral's area it covers (clipQuadArea); the part off
// the grid goes to add with ok false.
func spreadRaster(land Land, r *Raster, add func(k int, people float64, ok bool)) {
	tm, g := land.Projection, land.Grid
	// corners returns the projected corners on latitude line j (the north edge of row j):
	// every cornerStride-th projected, the others interpolated.
	corners := func(j int) []orb.Point {
		lat := r.North - float64(j)*r.DLat
		row := make([]orb.Point, r.NX+1)
		for c := 0; c <= r.NX; c += cornerStride {
			row[c] = tm.Forward(orb.Point{r.West + float64(c)*r.DLon, lat})
		}
		row[r.NX] = tm.Forward(orb.Point{r.West + float64(r.NX)*r.DLon, lat})
		for c := 0; c < r.NX; c += cornerStride {
			e := min(c+cornerStride, r.NX)
			for k := c + 1; k < e; k++ {
				t := float64(k-c) / float64(e-c)
				row[k] = orb.Point{row[c][0] + t*(row[e][0]-row[c][0]), row[c][1] + t*(row[e][1]-row[c][1])}
			}
		}
		return row
	}
	top := corners(0)
	for j := range r.NY {
		bot := corners(j + 1)
		for i := range r.NX {
			v := float64(r.People[j*r.NX+i])
			if !(v > 0) {
				continue
			}
			q := [4]orb.Point{bot[i], bot[i+1], top[i+1], top[i]} // counter-clockwise: sw, se, ne, nw
			whole := quadArea(q)
			b := orb.Bound{Min: q[0], Max: q[0]}.Extend(q[1]).Extend(q[2]).Extend(q[3])
			i0, i1 := cellSpan(g.X0M, g.CellM, b.Min[0], b.Max[0], g.NX)
			j0, j1 := cellSpan(g.Y0M, g.CellM, b.Min[1], b.Max[1], g.NY)
			if cx, cy := g.X0M+float64(i0)*g.CellM, g.Y0M+float64(j0)*g.CellM; i1-i0 == 1 && j1-j0 == 1 &&
				b.Min[0] >= cx && b.Max[0] <= cx+g.CellM && b.Min[1] >= cy && b.Max[1] <= cy+g.CellM { // the quad lies in one grid cell
				add(g.Index(i0, j0), v, true)
				continue
			}
			// The box inside the quad's four sides (they run nearly north-south and east-west):
			// a grid cell within it is covered whole.
			inL, inR := max(q[0][0], q[3][0]), min(q[1][0], q[2][0])
			inB, inT := max(q[0][1], q[1][1]), min(q[2][1], q[3][1])
			placed := 0.0
			for gj := j0; gj < j1; gj++ {
				y0 := g.Y0M + float64(gj)*g.CellM
				for gi := i0; gi < i1; gi++ {
					x0 := g.X0M + float64(gi)*g.CellM
					a := g.CellM * g.CellM
					if x0 < inL || x0+g.CellM > inR || y0 < inB || y0+g.CellM > inT {
						a = clipQuadArea(q, x0, y0, x0+g.CellM, y0+g.CellM)
					}
					if a > 0 {
						share := v * min(1, a/whole)
						placed += share
						add(g.Index(gi, gj), share, true)
					}
				}
			}
			if rest := v - placed; rest > 0 {
				add(0, rest, false)
			}
		}
		top = bot
	}
}

// cellSpan returns the half-open range of the n cells (origin o, side cell) that [lo, hi]
// meets, clamped to [0, n).
func cellSpan(o, cell, lo, hi float64, n int) (int, int) {
	a := int(math.Floor((lo - o) / cell))
	b := int(math.Floor((hi-o)/cell)) + 1
	return max(0, min(a, n)), max(0, min(b, n))
}

// quadArea is the area of a simple counter-clockwise polygon (shoelace).
func quadArea(p [4]orb.Point) float64 {
	return ringArea(p[:])
}

// ringArea is the signed shoelace area of a ring given without its closing point.
func ringArea(p []orb.Point) float64 {
	s := 0.0
	for k := range p {
		a, b := p[k], p[(k+1)%len(p)]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s / 2
}

// clipQuadArea is the area of the convex quadrilateral q (counter-clockwise) inside the
// rectangle [x0, x1] × [y0, y1]: q clipped by the rectangle's four sides (Sutherland–Hodgman).
func clipQuadArea(q [4]orb.Point, x0, y0, x1, y1 float64) float64 {
	var a, b [8]orb.Point
	n := copy(a[:], q[:])
	// Each side keeps the points p with sign·(p[axis] − at) ≥ 0.
	for _, side := range [4]struct {
		axis     int
		at, sign float64
	}{{0, x0, 1}, {0, x1, -1}, {1, y0, 1}, {1, y1, -1}} {
		m := 0
		for k := range n {
			p, c := a[k], a[(k+1)%n]
			dp, dc := side.sign*(p[side.axis]-side.at), side.sign*(c[side.axis]-side.at)
			if dp >= 0 {
				b[m], m = p, m+1
			}
			if (dp >= 0) != (dc >= 0) {
				t := dp / (dp - dc)
				b[m], m = orb.Point{p[0] + t*(c[0]-p[0]), p[1] + t*(c[1]-p[1])}, m+1
			}
		}
		if m < 3 {
			return 0
		}
		a, n = b, m
	}
	return ringArea(a[:n])
}

// reconcile turns acc (people per grid cell as placed) into out.People and out.Communes under
// out.Mode.
func (out *Grid) reconcile(land Land, acc []float64) error {
	nc := len(land.Communes)
	cells := make([][]int32, nc) // land cells per commune, ascending grid index
	for k, ci := range land.Commune {
		if ci >= 0 {
			if int(ci) >= nc {
				return fmt.Errorf("%w: commune index %d of %d communes", ErrLand, ci, nc)
			}
			cells[ci] = append(cells[ci], int32(k))
		}
	}
	out.People = make([]int64, len(acc))
	out.Communes = make([]Commune, nc)
	placed := false
	for ci, c := range land.Communes {
		row := Commune{Code: c.Code, Name: c.Name, Census: c.Population, Households: c.Households, LandCells: len(cells[ci])}
		for _, k := range cells[ci] {
			row.RasterPeople += acc[k]
		}
		switch {
		case len(cells[ci]) == 0:
		case !(row.RasterPeople > 0):
			row.Uniform = true
			spread(out.People, cells[ci], int64(c.Population)*Scale, func(int32) float64 { return 0 })
		case out.Mode == ModeRaster:
			placed = true
			row.Factor = 1
			for _, k := range cells[ci] {
				out.People[k] = int64(math.Round(acc[k] * Scale))
			}
		default:
			placed = true
			row.Factor = float64(c.Population) / row.RasterPeople
			spread(out.People, cells[ci], int64(c.Population)*Scale, func(k int32) float64 { return acc[k] })
		}
		for _, k := range cells[ci] {
			row.Units += out.People[k]
		}
		row.People = float64(row.Units) / Scale
		out.Communes[ci] = row
	}
	if !placed {
		return fmt.Errorf("%w (%s: %.0f people in the window read, none on a commune's land)", ErrEmpty, out.Source, out.OutsidePeople)
	}
	return nil
}

// Apportion splits total into len(weights) whole parts in proportion to weights (each ≥ 0;
// all 0, or none positive, splits evenly): the floor of each share, then one more to the parts
// with the largest remainders (ties: the lower index). The parts add up to total exactly and
// each is within one of its share.
func Apportion(total int64, weights []float64) []int64 {
	parts := make([]int64, len(weights))
	if len(weights) == 0 {
		return parts
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	even := !(sum > 0)
	type rem struct {
		i    int
		frac float64
	}
	rems := make([]rem, len(weights))
	left := total
	for i, w := range weights {
		q := float64(total) / float64(len(weights))
		if !even {
			q = float64(total) * w / sum
		}
		f := math.Floor(q)
		parts[i] = int64(f)
		left -= parts[i]
		rems[i] = rem{i, q - f}
	}
	slices.SortFunc(rems, func(a, b rem) int { return cmp.Or(cmp.Compare(b.frac, a.frac), cmp.Compare(a.i, b.i)) })
	// The rounding of q can leave more units than parts, or take one too many: go round again.
	for n := 0; left > 0; n++ {
		parts[rems[n%len(rems)].i]++
		left--
	}
	for n := len(rems) - 1; left < 0; n-- {
		if i := rems[(n%len(rems)+len(rems))%len(rems)].i; parts[i] > 0 {
			parts[i]--
			left++
		}
	}
	return parts
}

// spread sets people[k] for the cells to Apportion(total, weight of each cell).
func spread(people []int64, cells []int32, total int64, weight func(int32) float64) {
	w := make([]float64, len(cells))
	for i, k := range cells {
		w[i] = weight(k)
	}
	for i, n := range Apportion(total, w) {
		people[cells[i]] = n
	}
}

// Spread is how commune ci's people are placed, as the reports state it
// ("population_spread"): "population grid (<source>, census-reconciled)" or "(<source>, raster
// totals)", and for a commune the source puts no people on, "uniform over commune land
// (<source> has no people here)". The source is followed by "synthetic" when the grid is
// synthetic. For ci < 0 it describes the whole grid, adding how many communes are uniform.
func (g *Grid) Spread(ci int) string {
	src := g.Source
	if g.Note != "" {
		src += ", synthetic"
	}
	if ci >= 0 && g.Communes[ci].Uniform {
		return "uniform over commune land (" + src + " has no people here)"
	}
	how := "census-reconciled"
	if g.Mode == ModeRaster {
		how = "raster totals"
	}
	if _, _, _, n := g.Totals(); ci < 0 && n > 0 {
		how += fmt.Sprintf("; %d communes uniform: no people in the source", n)
	}
	return "population grid (" + src + ", " + how + ")"
}

// Totals sums the communes' reconciliation: census population, the source's people on the
// communes' land, the people the figures count, and the communes spread uniformly.
func (g *Grid) Totals() (census int, raster, people float64, uniform int) {
	var units int64
	for _, c := range g.Communes {
		census += c.Census
		raster += c.RasterPeople
		units += c.Units
		if c.Uniform {
			uniform++
		}
	}
	return census, raster, float64(units) / Scale, uniform
}
