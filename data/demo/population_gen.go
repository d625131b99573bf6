package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/land"
	"phusong/data/population"
	"phusong/geo"
)

// Population demo output and settings.
const (
	PopulationFile = "population.tif"
	// PopulationNote is the GDAL metadata item phusong_note of population.tif and the sentence
	// outputs built on it print.
	PopulationNote = "Synthetic demo population grid: people are placed by a seeded generator along the highways, invented canals and commune roads, the river banks and the invented hamlets, and in town centres, adding up to each commune's real 2019 census figure; it is not a real population map."
	// PopulationSeed seeds the committed grid (PCG, math/rand/v2).
	PopulationSeed uint64 = 20250707
	// PopulationCellDeg is the grid's cell: 3 arc-seconds (WorldPop's ~100 m).
	PopulationCellDeg = 1.0 / 1200
	populationNoData  = 65535
)

// settlement is how the generator spreads a commune's census population: shares of it in the
// town centre (a Gaussian around the commune centre of sigma CoreSigmaM), along the ribbons
// (roads, canals, river banks, hamlets) and evenly over the land (farmhouses in the rice
// fields), by commune type.
type settlement struct {
	CoreShare, RibbonShare, FieldShare float64
	CoreSigmaM                         float64
}

var settlements = map[data.CommuneType]settlement{
	data.TypeWard:    {CoreShare: 0.45, RibbonShare: 0.47, FieldShare: 0.08, CoreSigmaM: 650},
	data.TypeCommune: {CoreShare: 0.13, RibbonShare: 0.79, FieldShare: 0.08, CoreSigmaM: 260},
}

// ribbon is one kind of linear or point feature people string along: its weight, the length
// scale of its exponential fall-off (metres) and the distance beyond which it adds nothing.
type ribbon struct {
	Weight, DecayM, RadiusM float64
}

// The ribbons, strongest first. Canals are beaded: houses cluster along them every ~1.6 km.
var (
	highwayRibbon = ribbon{Weight: 1.0, DecayM: 90, RadiusM: 450}
	roadRibbon    = ribbon{Weight: 0.8, DecayM: 70, RadiusM: 350}
	riverRibbon   = ribbon{Weight: 1.6, DecayM: 250, RadiusM: 1200}
	coastRibbon   = ribbon{Weight: 0.35, DecayM: 120, RadiusM: 500}
	canalRibbon   = ribbon{Weight: 1.0, DecayM: 50, RadiusM: 250}
	hamletRibbon  = ribbon{Weight: 1.0, DecayM: 200, RadiusM: 600} // Gaussian of sigma DecayM
)

// Canal layout: main canals across the province between the two rivers, secondary ones along
// it, spacings in metres with a random shift, and the beads' period.
const (
	mainCanalM      = 2600.0
	secondCanalM    = 3800.0
	canalJitterM    = 600.0
	canalTiltDeg    = 8.0
	canalBeadM      = 1600.0
	ribbonPieceM    = 1000.0 // long lines are cut into pieces of at most this for the cell search
	maxCellPeople   = populationNoData - 1
	populationCells = 4_000_000 // bounds the grid
)

// PopulationGrid is the generated grid: NX × NY cells of CellDeg from (West, North), row 0 the
// northernmost; People per cell, −1 outside every commune; Commune the index into the
// communes of the commune holding each cell's centre (−1 outside).
type PopulationGrid struct {
	West, North, CellDeg float64
	NX, NY               int
	People               []int32
	Commune              []int32
}

// PopulationFiles is one generated population grid, ready to write or compare.
type PopulationFiles struct {
	GeoTIFF []byte
	Grid    *PopulationGrid
}

// Named returns the output file (population.tif).
func (f *PopulationFiles) Named() NamedFile { return NamedFile{PopulationFile, f.GeoTIFF} }

// GeneratePopulation builds the demo's synthetic population grid from sharedDataDir (the ward
// facts for the commune centres, the province outline for the river banks and the coast, the
// national roads) over communes (the demo communes as Communes returns them), with seed
// (PopulationSeed for the committed file): see BuildPopulation. Same inputs, same bytes.
func GeneratePopulation(sharedDataDir string, communes []data.Commune, seed uint64) (*PopulationFiles, error) {
	facts, err := readWith(filepath.Join(sharedDataDir, FactsPath), ReadFacts)
	if err != nil {
		return nil, err
	}
	outline, err := readWith(filepath.Join(sharedDataDir, OutlinePath), ReadOutline)
	if err != nil {
		return nil, err
	}
	roads, err := readWith(filepath.Join(sharedDataDir, RoadsPath), ReadRoads)
	if err != nil {
		return nil, err
	}
	g, err := BuildPopulation(communes, facts, outline, roads, seed)
	if err != nil {
		return nil, err
	}
	nd := float64(populationNoData)
	tif, err := input.EncodeGeoTIFF(input.GeoTIFFSpec{West: g.West, North: g.North, DLon: g.CellDeg, DLat: g.CellDeg,
		NX: g.NX, NY: g.NY, Sample: "uint16", Compression: "deflate", Predictor: 2, RowsPerStrip: 16, NoData: &nd, Note: PopulationNote},
		func(x0, y0, nx, ny int, dst []float64) {
			for y := range ny {
				for x := range nx {
					v := float64(g.People[(y0+y)*g.NX+x0+x])
					if v < 0 {
						v = nd
					}
					dst[y*nx+x] = v
				}
			}
		})
	if err != nil {
		return nil, err
	}
	return &PopulationFiles{GeoTIFF: tif, Grid: g}, nil
}

// BuildPopulation invents where the communes' people live (SYNTHETIC, see PopulationNote), the
// way Mekong Delta settlement looks: dense town centres, houses strung along the highways,
// commune roads, canals and river banks, hamlets, and few people in the rice fields between.
//
// The grid covers the communes' bound in PopulationCellDeg cells aligned to multiples of it; a
// cell belongs to the commune holding its centre (data/land's rule). In a local transverse
// Mercator (that of the demo fibre network), each cell gets a core weight (a Gaussian around
// its commune's centre from facts) and a ribbon weight: per kind of feature, the strongest
// exp(−d/DecayM) of its features within RadiusM, times the kind's Weight, summed over kinds.
// The features: the national highways' pieces inside the province (as the fibre backbones),
// commune roads (the minimum spanning tree of the commune centres), canals (main canals every
// ~2.6 km across the province's long axis — from its outline's principal direction — and
// secondary ones every ~3.8 km along it, shifted and tilted at random, people beaded along
// them), the river banks (outline edges facing north-east and south-west, across the axis),
// the coast (edges facing the sea end of the axis) and the demo fibre network's hamlets. Each
// commune's census population is shared between its cells in proportion to CoreShare ×
// core/Σcore + RibbonShare × ribbon/Σribbon + FieldShare/cells (by commune type), then rounded
// by largest remainder (population.Apportion), so the cells of a commune add up to its census
// figure exactly.
func BuildPopulation(communes []data.Commune, facts []Fact, outline orb.MultiPolygon, roads []Road, seed uint64) (*PopulationGrid, error) {
	w, err := newFibreWorld(communes, facts, FibreSeed) // the same projection, centres and hamlets as the fibre network
	if err != nil {
		return nil, err
	}
	b := data.AreaOf(communes)
	cell := PopulationCellDeg
	west, east := math.Floor(b.Min[0]/cell)*cell-cell, math.Ceil(b.Max[0]/cell)*cell+cell
	south, north := math.Floor(b.Min[1]/cell)*cell-cell, math.Ceil(b.Max[1]/cell)*cell+cell
	g := &PopulationGrid{West: west, North: north, CellDeg: cell,
		NX: int(math.Round((east - west) / cell)), NY: int(math.Round((north - south) / cell))}
	if g.NX*g.NY > populationCells {
		return nil, fmt.Errorf("demo: a population grid of %d × %d cells", g.NX, g.NY)
	}
	n := g.NX * g.NY
	g.Commune, g.People = make([]int32, n), make([]int32, n)
	for k := range g.Commune {
		g.Commune[k], g.People[k] = -1, -1
	}
	lat := land.Lattice{X0: west, Y0: south, DX: cell, DY: cell, NX: g.NX, NY: g.NY} // rows from the south
	for ci, c := range communes {
		for _, poly := range c.Geometry {
			land.Scan(lat, poly, func(j, i0, i1 int) {
				row := g.NY - 1 - j
				for i := i0; i < i1; i++ {
					if k := row*g.NX + i; g.Commune[k] < 0 {
						g.Commune[k] = int32(ci)
					}
				}
			})
		}
	}
	pw := &populationWorld{g: g, tm: w.tm, xy: make([]orb.Point, n)}
	for k, ci := range g.Commune {
		if ci >= 0 {
			pw.xy[k] = w.tm.Forward(g.centre(k))
		}
	}
	core := make([]float64, n)
	for k, ci := range g.Commune {
		if ci >= 0 {
			d := planarDist(pw.xy[k], w.centres[ci])
			s := settlements[communes[ci].Type].CoreSigmaM
			core[k] = math.Exp(-d * d / (2 * s * s))
		}
	}
	rib := make([]float64, n)
	var highways []orb.LineString
	for _, bb := range w.backbones(roads, fibrePlan{}) {
		highways = append(highways, bb.line)
	}
	pw.lines(rib, highways, highwayRibbon, nil)
	pw.lines(rib, treePaths(w.centres), roadRibbon, nil)
	axis, across, rivers, coast := outlineSides(w.tm, outline)
	pw.lines(rib, rivers, riverRibbon, nil)
	pw.lines(rib, coast, coastRibbon, nil)
	canals, phases := canalLines(rand.New(rand.NewPCG(seed, 1)), w.tm, outline, axis, across)
	pw.lines(rib, canals, canalRibbon, func(line int, sM float64) float64 {
		v := 0.5 + 0.5*math.Cos(2*math.Pi*sM/canalBeadM+phases[line])
		return 0.3 + 0.7*v*v
	})
	var hamlets []orb.Point
	for _, hs := range w.hamlets {
		for _, h := range hs {
			hamlets = append(hamlets, h.at)
		}
	}
	pw.points(rib, hamlets, hamletRibbon)
	cells := make([][]int, len(communes))
	for k, ci := range g.Commune {
		if ci >= 0 {
			cells[ci] = append(cells[ci], k)
		}
	}
	for ci, c := range communes {
		if len(cells[ci]) == 0 {
			return nil, fmt.Errorf("demo: commune %s holds no population cell", c.Code)
		}
		st := settlements[c.Type]
		var sc, sr float64
		for _, k := range cells[ci] {
			sc, sr = sc+core[k], sr+rib[k]
		}
		ribShare, coreShare := st.RibbonShare, st.CoreShare
		if sr == 0 { // no ribbon reaches the commune: its town takes that share
			coreShare, ribShare, sr = coreShare+ribShare, 0, 1
		}
		weights := make([]float64, len(cells[ci]))
		for i, k := range cells[ci] {
			weights[i] = coreShare*core[k]/sc + ribShare*rib[k]/sr + st.FieldShare/float64(len(cells[ci]))
		}
		for i, v := range population.Apportion(int64(c.Population), weights) {
			if v > maxCellPeople {
				return nil, fmt.Errorf("demo: %d people in one cell of %s", v, c.Code)
			}
			g.People[cells[ci][i]] = int32(v)
		}
	}
	return g, nil
}

// centre returns the lon/lat centre of cell k.
func (g *PopulationGrid) centre(k int) orb.Point {
	return orb.Point{g.West + (float64(k%g.NX)+0.5)*g.CellDeg, g.North - (float64(k/g.NX)+0.5)*g.CellDeg}
}

// populationWorld is the grid with its cells' projected centres.
type populationWorld struct {
	g  *PopulationGrid
	tm geo.TransverseMercator
	xy []orb.Point // projected cell centres (set for cells in a commune)
}

// cellsNear calls f with every cell in a commune whose centre may lie within radiusM of the
// projected bound b.
func (pw *populationWorld) cellsNear(b orb.Bound, radiusM float64, f func(k int)) {
	g := pw.g
	lo, hi := pw.tm.Inverse(b.Min), pw.tm.Inverse(b.Max)
	lo2, hi2 := pw.tm.Inverse(orb.Point{b.Min[0], b.Max[1]}), pw.tm.Inverse(orb.Point{b.Max[0], b.Min[1]})
	padLon, padLat := radiusM/100_000+g.CellDeg, radiusM/100_000+g.CellDeg // a degree is over 100 km here
	minLon, maxLon := min(lo[0], lo2[0])-padLon, max(hi[0], hi2[0])+padLon
	minLat, maxLat := min(lo[1], hi2[1])-padLat, max(hi[1], lo2[1])+padLat
	i0, i1 := max(0, int((minLon-g.West)/g.CellDeg)), min(g.NX-1, int((maxLon-g.West)/g.CellDeg))
	j0, j1 := max(0, int((g.North-maxLat)/g.CellDeg)), min(g.NY-1, int((g.North-minLat)/g.CellDeg))
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			if k := j*g.NX + i; g.Commune[k] >= 0 {
				f(k)
			}
		}
	}
}

// lines adds to acc, per cell, Weight × the strongest of bead(line, s) × exp(−d/DecayM) over the
// lines (projected) within RadiusM, d the distance to the line and s the position along it of
// the nearest point (bead nil: 1).
func (pw *populationWorld) lines(acc []float64, lines []orb.LineString, r ribbon, bead func(line int, sM float64) float64) {
	best := map[int]float64{}
	for li, line := range lines {
		s0 := 0.0
		for q := 0; q+1 < len(line); q++ {
			a, b := line[q], line[q+1]
			segM := planarDist(a, b)
			for p := 0.0; p < segM; p += ribbonPieceM {
				t0, t1 := p/segM, min(1, (p+ribbonPieceM)/segM)
				pa := orb.Point{a[0] + t0*(b[0]-a[0]), a[1] + t0*(b[1]-a[1])}
				pb := orb.Point{a[0] + t1*(b[0]-a[0]), a[1] + t1*(b[1]-a[1])}
				pw.cellsNear(orb.Bound{Min: pa, Max: pa}.Extend(pb), r.RadiusM, func(k int) {
					d, t := segmentDist(pw.xy[k], pa, pb)
					if d > r.RadiusM {
						return
					}
					v := math.Exp(-d / r.DecayM)
					if bead != nil {
						v *= bead(li, s0+p+t*planarDist(pa, pb))
					}
					if v > best[k] {
						best[k] = v
					}
				})
			}
			s0 += segM
		}
	}
	for k, v := range best {
		acc[k] += r.Weight * v
	}
}

// points adds to acc, per cell, Weight × the strongest Gaussian exp(−d²/(2·DecayM²)) of the
// points (projected) within RadiusM.
func (pw *populationWorld) points(acc []float64, pts []orb.Point, r ribbon) {
	best := map[int]float64{}
	for _, p := range pts {
		pw.cellsNear(orb.Bound{Min: p, Max: p}, r.RadiusM, func(k int) {
			if d := planarDist(pw.xy[k], p); d <= r.RadiusM {
				if v := math.Exp(-d * d / (2 * r.DecayM * r.DecayM)); v > best[k] {
					best[k] = v
				}
			}
		})
	}
	for k, v := range best {
		acc[k] += r.Weight * v
	}
}

// planarDist is the distance between two projected points, metres.
func planarDist(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

// segmentDist returns the distance from p to segment ab and the position t ∈ [0, 1] of the
// nearest point along it.
func segmentDist(p, a, b orb.Point) (float64, float64) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	return planarDist(p, orb.Point{a[0] + t*dx, a[1] + t*dy}), t
}

// outlineSides returns the province's long axis (unit vector, pointing to the sea: south-east
// here) from the principal direction of its outline's vertices, the unit vector across it
// (the axis turned left: north-east), and the outline's edges as river banks (outward normal
// across the axis) and coast (outward normal towards the sea end), projected.
func outlineSides(tm geo.TransverseMercator, outline orb.MultiPolygon) (axis, across orb.Point, rivers, coast []orb.LineString) {
	proj := geo.AsMultiPolygon(tm.ForwardGeometry(outline))
	var mx, my float64
	var pts []orb.Point
	for _, poly := range proj {
		pts = append(pts, poly[0]...)
	}
	for _, p := range pts {
		mx, my = mx+p[0], my+p[1]
	}
	mx, my = mx/float64(len(pts)), my/float64(len(pts))
	var sxx, sxy, syy float64
	for _, p := range pts {
		dx, dy := p[0]-mx, p[1]-my
		sxx, sxy, syy = sxx+dx*dx, sxy+dx*dy, syy+dy*dy
	}
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	axis = orb.Point{math.Cos(theta), math.Sin(theta)}
	if axis[0]-axis[1] < 0 { // point south-east
		axis = orb.Point{-axis[0], -axis[1]}
	}
	across = orb.Point{-axis[1], axis[0]}
	for _, poly := range proj {
		ring := poly[0]
		sign := 1.0 // outward normal = right of the edge for a counter-clockwise ring
		if signedRingArea(ring) < 0 {
			sign = -1
		}
		for q := 0; q+1 < len(ring); q++ {
			a, b := ring[q], ring[q+1]
			l := planarDist(a, b)
			if l == 0 {
				continue
			}
			nx, ny := sign*(b[1]-a[1])/l, -sign*(b[0]-a[0])/l
			edge := orb.LineString{a, b}
			switch along := nx*axis[0] + ny*axis[1]; {
			case along > 0.7:
				coast = append(coast, edge)
			case along < -0.7: // the land border with the neighbouring province
			default:
				rivers = append(rivers, edge)
			}
		}
	}
	return axis, across, rivers, coast
}

// signedRingArea is a ring's signed area (shoelace), positive counter-clockwise.
func signedRingArea(r orb.Ring) float64 {
	s := 0.0
	for k := 0; k+1 < len(r); k++ {
		s += r[k][0]*r[k+1][1] - r[k+1][0]*r[k][1]
	}
	return s / 2
}

// canalLines invents the canals over the outline's extent: main canals across the axis every
// mainCanalM, secondary ones along it every secondCanalM, each shifted by up to canalJitterM
// and tilted by up to canalTiltDeg; phases are the beads' per canal.
func canalLines(rng *rand.Rand, tm geo.TransverseMercator, outline orb.MultiPolygon, axis, across orb.Point) ([]orb.LineString, []float64) {
	proj := geo.AsMultiPolygon(tm.ForwardGeometry(outline))
	amin, amax, nmin, nmax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, poly := range proj {
		for _, p := range poly[0] {
			a, n := p[0]*axis[0]+p[1]*axis[1], p[0]*across[0]+p[1]*across[1]
			amin, amax, nmin, nmax = min(amin, a), max(amax, a), min(nmin, n), max(nmax, n)
		}
	}
	at := func(a, n float64) orb.Point { return orb.Point{a*axis[0] + n*across[0], a*axis[1] + n*across[1]} }
	var lines []orb.LineString
	var phases []float64
	add := func(from, to orb.Point) {
		lines = append(lines, orb.LineString{from, to})
		phases = append(phases, 2*math.Pi*rng.Float64())
	}
	tilt := func() float64 { return math.Tan((2*rng.Float64() - 1) * canalTiltDeg * math.Pi / 180) }
	for a := amin + mainCanalM/2; a < amax; a += mainCanalM {
		a0 := a + (2*rng.Float64()-1)*canalJitterM
		t := tilt() * (nmax - nmin)
		add(at(a0-t/2, nmin-1000), at(a0+t/2, nmax+1000))
	}
	for n := nmin + secondCanalM/2; n < nmax; n += secondCanalM {
		n0 := n + (2*rng.Float64()-1)*canalJitterM
		t := tilt() * (amax - amin)
		add(at(amin-1000, n0-t/2), at(amax+1000, n0+t/2))
	}
	return lines, phases
}
