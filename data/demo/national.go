package demo

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/input"
	"phusong/geo"
)

// NationalNote is the sentence every file of the national synthetic data set carries.
const NationalNote = "SYNTHETIC national benchmark data: a Vietnam-like S-shaped extent cut into invented " +
	"provinces and schematic communes with invented populations, and invented base stations of the six " +
	"carriers from a seeded generator; no name, boundary, figure or station in it is real."

// NationalSeed seeds the national synthetic data set (PCG, math/rand/v2).
const NationalSeed uint64 = 20251205

// National targets: Vietnam has 34 provinces since 2025, about 3,300 communes and wards,
// 96.2 million people (2019 census) and well over 100,000 base stations.
const (
	NationalProvinces  = 34
	NationalCommunes   = 3300
	NationalPopulation = 96_208_984
	NationalSites      = 150_000
)

// nationalProfile is the synthetic country's outline: at each latitude (degrees, ascending)
// the land spans longitudes West..East, linearly in between. It is Vietnam-like: wide in the
// north, 50 km across at 17.3° N, the central highlands, the Mekong delta and Cà Mau's tip;
// lon 102.2..109.3, lat 8.6..23.4 (about 777 × 1,644 km).
var nationalProfile = []struct{ Lat, West, East float64 }{
	{8.6, 104.8, 105.2}, {9.0, 104.8, 105.8}, {9.6, 104.9, 106.6}, {10.4, 104.8, 107.2},
	{11.0, 105.9, 108.3}, {11.6, 106.5, 109.0}, {12.5, 107.4, 109.3}, {13.5, 107.5, 109.3},
	{14.8, 107.5, 109.0}, {15.7, 107.2, 108.6}, {16.5, 106.7, 107.7}, {17.3, 106.2, 106.9},
	{18.0, 105.6, 106.5}, {18.7, 104.6, 105.9}, {19.5, 104.4, 105.9}, {20.3, 104.2, 106.7},
	{21.0, 103.0, 107.6}, {21.8, 102.2, 108.0}, {22.8, 102.4, 107.0}, {23.4, 104.8, 106.0},
}

// nationalCities are the dense centres of the synthetic country (lon, lat, weight): people
// crowd around them and the communes near them are wards.
var nationalCities = []struct{ Lon, Lat, W float64 }{
	{105.85, 21.03, 1}, {106.70, 10.78, 1.2}, {106.68, 20.85, 0.4}, {108.20, 16.05, 0.35},
	{105.78, 10.03, 0.3}, {105.70, 18.68, 0.15}, {109.19, 12.24, 0.15}, {108.0, 12.67, 0.12},
	{107.08, 10.35, 0.15}, {106.35, 9.93, 0.08}, {105.97, 20.25, 0.1}, {106.1, 21.18, 0.15},
}

// edges returns the outline's west and east longitudes at lat (clamped to the profile).
func nationalEdges(lat float64) (west, east float64) {
	p := nationalProfile
	if lat <= p[0].Lat {
		return p[0].West, p[0].East
	}
	for k := 1; k < len(p); k++ {
		if lat <= p[k].Lat {
			f := (lat - p[k-1].Lat) / (p[k].Lat - p[k-1].Lat)
			return p[k-1].West + f*(p[k].West-p[k-1].West), p[k-1].East + f*(p[k].East-p[k-1].East)
		}
	}
	last := p[len(p)-1]
	return last.West, last.East
}

// nationalAt maps (lat, v) — v = 0 on the west edge, 1 on the east — to lon/lat.
func nationalAt(lat, v float64) orb.Point {
	w, e := nationalEdges(lat)
	return orb.Point{round6(w + v*(e-w)), round6(lat)}
}

// widthKM returns the land's width at lat in km.
func nationalWidthKM(lat float64) float64 {
	w, e := nationalEdges(lat)
	lonM, _ := geo.MetresPerDegree(lat)
	return (e - w) * lonM / 1000
}

// NationalOptions chooses the size of the national data set. The zero value gives the whole
// synthetic country with NationalSeed.
type NationalOptions struct {
	Seed uint64
	// Provinces keeps only the first N provinces from the south (the Mekong first); 0 = all.
	// The 10× and 50× demo-sized benchmarks use 3 and 14.
	Provinces int
}

// NationalFiles is a generated national synthetic data set.
type NationalFiles struct {
	Communes        []data.Commune
	Sites           []data.Site
	CommunesGeoJSON []byte
	SitesCSV        []byte
	Summary         Summary
	Provinces       int
	LandAreaKM2     float64 // the communes' total area (ellipsoidal, by their own local TMs)
}

// natProvince is one province: rows [row0, row1) of its band, v in [v0, v1].
type natProvince struct {
	code, name string
	band       int
	v0, v1     float64
	cols       int
}

// natBand is a latitude band [lat0, lat1] cut into rows of communes and into provinces across.
type natBand struct {
	lat0, lat1 float64
	rows       int
}

// GenerateNational builds the national synthetic data set (see NationalNote): the outline of
// nationalProfile is cut into latitude bands of equal area, each band into 1–3 provinces
// across (by its width), 34 in all; each province into a lattice of communes (rows shared by
// the band, so neighbouring communes share their vertices), about NationalCommunes in all,
// each a quadrilateral with a vertex at every profile break so that neighbours meet without
// slivers. Populations follow a density that is high near nationalCities and in the two
// deltas and low in the highlands, with log-normal noise, scaled to NationalPopulation; the
// communes nearest the cities (by density) are wards. Sites: NationalSites shared among the
// six carriers as in the demo (42, 27, 21, 6, 2, 2 %), per commune by largest remainder in
// proportion to area · density^min(Alpha, 1) (· WardBoost in wards), each the best of the carrier's
// Candidates uniform draws in its commune (farthest from the carrier's sites), at least
// MinSameCarrierM from the carrier's own and MinAnySitesM from any site; 86 % carry 4G;
// sectors as the demo's (dress). Everything comes from PCG streams of the seed: same options,
// same bytes.
func GenerateNational(opts NationalOptions) (*NationalFiles, error) {
	if opts.Seed == 0 {
		opts.Seed = NationalSeed
	}
	if opts.Provinces < 0 {
		return nil, fmt.Errorf("demo: %d provinces", opts.Provinces)
	}
	if err := checkPlans(); err != nil {
		return nil, err
	}
	bands, provs := nationalLayout()
	cells := nationalCells(bands, provs, opts.Seed)
	// People: density × area, scaled so that the whole country holds NationalPopulation; a
	// subset of provinces keeps the populations it has in the whole country.
	var sum float64
	for _, c := range cells {
		sum += c.density * c.areaM2
	}
	scale := float64(NationalPopulation) / sum
	if opts.Provinces > 0 && opts.Provinces < len(provs) {
		provs = provs[:opts.Provinces]
		n := 0
		for n < len(cells) && cells[n].province < opts.Provinces {
			n++
		}
		cells = cells[:n]
	}
	communes := make([]data.Commune, len(cells))
	dens := make([]float64, len(cells))
	var landM2 float64
	for i, c := range cells {
		n := i + 1
		communes[i] = data.Commune{
			Code: fmt.Sprintf("%05d", 10000+n), Name: fmt.Sprintf("Xã Tổng hợp %d", n),
			NameEN: fmt.Sprintf("Synthetic commune %d", n), Type: data.TypeCommune,
			Province: provs[c.province].name, Geometry: orb.MultiPolygon{orb.Polygon{nationalQuad(c.lat0, c.lat1, c.v0, c.v1)}},
			Population: int(math.Round(c.density * c.areaM2 * scale)),
		}
		communes[i].Households = int(math.Round(float64(communes[i].Population) / 3.6))
		dens[i] = float64(communes[i].Population) / (c.areaM2 / 1e6)
		landM2 += c.areaM2
	}
	// Wards: the densest 18 % of communes (Vietnam has about 600 wards of 3,300 units).
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(dens[b], dens[a]) })
	for _, i := range order[:len(order)*18/100] {
		communes[i].Type = data.TypeWard
		communes[i].Name = fmt.Sprintf("Phường Tổng hợp %d", i+1)
		communes[i].NameEN = fmt.Sprintf("Synthetic ward %d", i+1)
	}
	sites, err := nationalSites(communes, cells, landM2, opts.Seed)
	if err != nil {
		return nil, err
	}
	gj, err := encodeNationalCommunes(communes)
	if err != nil {
		return nil, err
	}
	var csv bytes.Buffer
	if err := input.WriteSitesCSV(&csv, sites); err != nil {
		return nil, err
	}
	return &NationalFiles{Communes: communes, Sites: sites, CommunesGeoJSON: gj, SitesCSV: csv.Bytes(),
		Summary: Summarize(communes, sites), Provinces: len(provs), LandAreaKM2: landM2 / 1e6}, nil
}

// natCell is one commune of the synthetic country: [lat0, lat1] × [v0, v1] in its band, its
// area and its people density before scaling.
type natCell struct {
	province           int
	lat0, lat1, v0, v1 float64
	areaM2, density    float64
}

// nationalCells cuts every province into its communes, in province order, drawing each
// commune's density noise from the seed's stream in that order.
func nationalCells(bands []natBand, provs []natProvince, seed uint64) []natCell {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []natCell
	for pi, p := range provs {
		b := bands[p.band]
		for r := range b.rows {
			lat0 := b.lat0 + (b.lat1-b.lat0)*float64(r)/float64(b.rows)
			lat1 := b.lat0 + (b.lat1-b.lat0)*float64(r+1)/float64(b.rows)
			if r == b.rows-1 {
				lat1 = b.lat1
			}
			for c := range p.cols {
				v0 := p.v0 + (p.v1-p.v0)*float64(c)/float64(p.cols)
				v1 := p.v0 + (p.v1-p.v0)*float64(c+1)/float64(p.cols)
				if c == p.cols-1 {
					v1 = p.v1
				}
				mp := orb.MultiPolygon{orb.Polygon{nationalQuad(lat0, lat1, v0, v1)}}
				ctr := nationalAt((lat0+lat1)/2, (v0+v1)/2)
				out = append(out, natCell{province: pi, lat0: lat0, lat1: lat1, v0: v0, v1: v1,
					areaM2:  geo.AreaM2(geo.NewLocalTM(ctr[0], ctr[1]), mp),
					density: nationalDensity(ctr, (v0+v1)/2) * math.Exp(0.35*rng.NormFloat64())})
			}
		}
	}
	return out
}

// nationalQuad returns the closed counter-clockwise ring of the commune [lat0, lat1] × [v0, v1]
// with a vertex at every profile break on its west and east sides.
func nationalQuad(lat0, lat1, v0, v1 float64) orb.Ring {
	ring := orb.Ring{nationalAt(lat0, v0), nationalAt(lat0, v1)}
	for _, p := range nationalProfile {
		if p.Lat > lat0 && p.Lat < lat1 {
			ring = append(ring, nationalAt(p.Lat, v1))
		}
	}
	ring = append(ring, nationalAt(lat1, v1), nationalAt(lat1, v0))
	for k := len(nationalProfile) - 1; k >= 0; k-- {
		if p := nationalProfile[k]; p.Lat > lat0 && p.Lat < lat1 {
			ring = append(ring, nationalAt(p.Lat, v0))
		}
	}
	return append(ring, ring[0])
}

// nationalDensity is the smooth people density (per km², before noise) at p, v across.
func nationalDensity(p orb.Point, v float64) float64 {
	d := 60.0
	lat := p[1]
	// The deltas: the Red River (north-east, 20–21.5° N) and the Mekong (south of 11° N).
	if lat > 20 && lat < 21.6 && v > 0.45 {
		d += 900
	}
	if lat < 10.9 {
		d += 450
	}
	// The coast is denser than the mountains to the west (v near 1 is the coast south of 20° N).
	if lat < 20 && lat > 10.9 {
		d += 300 * v * v
	}
	for _, c := range nationalCities {
		lonM, latM := geo.MetresPerDegree(lat)
		dx, dy := (p[0]-c.Lon)*lonM/1000, (p[1]-c.Lat)*latM/1000
		d += c.W * 12000 * math.Exp(-(dx*dx+dy*dy)/(2*15*15))
	}
	return d
}

// nationalLayout cuts the outline into latitude bands of about equal area, each into 1–3
// provinces across (by its width), NationalProvinces in all, numbered from the south, and
// gives each band its rows and each province its columns so that communes are about square
// and about NationalCommunes in all.
func nationalLayout() ([]natBand, []natProvince) {
	const step = 0.005
	south, north := nationalProfile[0].Lat, nationalProfile[len(nationalProfile)-1].Lat
	_, latM := geo.MetresPerDegree(16)
	across := func(lat float64) int { return max(1, min(3, int(math.Round(nationalWidthKM(lat)/170)))) }
	var totalKM2 float64
	for lat := south; lat < north; lat += step {
		totalKM2 += nationalWidthKM(lat+step/2) * step * latM / 1000
	}
	// Search the province area that yields exactly NationalProvinces.
	cut := func(target float64) []natBand {
		var bands []natBand
		lat0, acc := south, 0.0
		for lat := south; lat < north-1e-9; lat += step {
			acc += nationalWidthKM(lat+step/2) * step * latM / 1000
			if acc >= target*float64(across(lat0+(lat+step-lat0)/2)) && north-(lat+step) > 0.05 {
				bands = append(bands, natBand{lat0: lat0, lat1: math.Round((lat+step)*1e4) / 1e4})
				lat0, acc = bands[len(bands)-1].lat1, 0
			}
		}
		return append(bands, natBand{lat0: lat0, lat1: north})
	}
	count := func(bands []natBand) int {
		n := 0
		for _, b := range bands {
			n += across((b.lat0 + b.lat1) / 2)
		}
		return n
	}
	lo, hi := totalKM2/100, totalKM2
	var bands []natBand
	for range 60 {
		mid := (lo + hi) / 2
		bands = cut(mid)
		switch n := count(bands); {
		case n > NationalProvinces:
			lo = mid
		case n < NationalProvinces:
			hi = mid
		default:
			lo, hi = mid, mid
		}
	}
	communeKM2 := totalKM2 / NationalCommunes
	side := math.Sqrt(communeKM2)
	var provs []natProvince
	for bi := range bands {
		b := &bands[bi]
		mid := (b.lat0 + b.lat1) / 2
		b.rows = max(1, int(math.Round((b.lat1-b.lat0)*latM/1000/side)))
		m := across(mid)
		cols := max(1, int(math.Round(nationalWidthKM(mid)/side/float64(m))))
		for k := range m {
			n := len(provs) + 1
			provs = append(provs, natProvince{code: fmt.Sprintf("%02d", n), name: fmt.Sprintf("Tỉnh Tổng hợp %02d", n),
				band: bi, v0: float64(k) / float64(m), v1: float64(k+1) / float64(m), cols: cols})
		}
	}
	return bands, provs
}

// nationalSites places NationalSites (scaled to the communes' share of the country's area
// when a subset is asked for) over the communes; see GenerateNational.
func nationalSites(communes []data.Commune, cells []natCell, landM2 float64, seed uint64) ([]data.Site, error) {
	totalDemo := 0
	for _, p := range plans {
		totalDemo += p.Sites
	}
	share := 1.0
	if wholeKM2 := nationalLandKM2(); wholeKM2 > 0 {
		share = min(1, landM2/1e6/wholeKM2)
	}
	tm := geo.NewLocalTM(106, 16)
	const hashM = 500.0
	hk := func(p orb.Point) hashKey {
		return hashKey{int32(math.Floor(p[0] / hashM)), int32(math.Floor(p[1] / hashM))}
	}
	anyHash := map[hashKey][]orb.Point{}
	var sites []data.Site
	for pi, p := range plans {
		n := int(math.Round(float64(NationalSites) * float64(p.Sites) / float64(totalDemo) * share))
		areas := make([]float64, len(communes))
		for i := range communes {
			areas[i] = cells[i].areaM2
		}
		pp := p
		pp.Sites = n
		// The demo's steep preference of the small carriers for dense places (Alpha up to 3)
		// would crowd a whole national share into a few city communes: at most 1 here.
		pp.Alpha = min(pp.Alpha, 1)
		counts := allocate(pp, communes, areas)
		rng := rand.New(rand.NewPCG(seed, uint64(100+pi)))
		mine := map[hashKey][]orb.Point{}
		num := 0
		for ci, cnt := range counts {
			q := [4]float64{cells[ci].lat0, cells[ci].lat1, cells[ci].v0, cells[ci].v1}
			for range cnt {
				var best orb.Point
				bestScore, found := -1.0, false
				for try := 0; try < 40*p.Candidates && (!found || try < p.Candidates); try++ {
					ll := nationalAt(q[0]+(q[1]-q[0])*rng.Float64(), q[2]+(q[3]-q[2])*rng.Float64())
					xy := tm.Forward(ll)
					near := nearestIn(mine, hk(xy), xy, hashM)
					if near < MinSameCarrierM+planarMarginM || nearestIn(anyHash, hk(xy), xy, hashM) < MinAnySitesM+planarMarginM {
						continue
					}
					if near > bestScore {
						best, bestScore, found = ll, near, true
					}
				}
				if !found {
					return nil, fmt.Errorf("%w: %s in %s", ErrCrowded, p.ID, communes[ci].Code)
				}
				xy := tm.Forward(best)
				mine[hk(xy)] = append(mine[hk(xy)], xy)
				anyHash[hk(xy)] = append(anyHash[hk(xy)], xy)
				num++
				s := data.Site{Carrier: p.ID, SiteID: fmt.Sprintf("VN-%s-%06d", p.Code, num), Lon: best[0], Lat: best[1]}
				srng := rand.New(rand.NewPCG(seed, 1_000_000+uint64(pi)*10_000_000+uint64(num)))
				dress(&s, srng, p, communes[ci].Type == data.TypeWard, srng.Float64() < Share4G)
				sites = append(sites, s)
			}
		}
	}
	return sites, nil
}

// hashKey is a cell of the generator's spacing hash (hashM metres on a side, in the plane).
type hashKey struct{ x, y int32 }

// nearestIn returns the distance from xy to the nearest point of h within the 3 × 3 hash cells
// around k (hashM on a side), or hashM when there is none that close.
func nearestIn(h map[hashKey][]orb.Point, k hashKey, xy orb.Point, hashM float64) float64 {
	best := hashM
	for dy := int32(-1); dy <= 1; dy++ {
		for dx := int32(-1); dx <= 1; dx++ {
			for _, p := range h[hashKey{k.x + dx, k.y + dy}] {
				best = min(best, math.Hypot(p[0]-xy[0], p[1]-xy[1]))
			}
		}
	}
	return best
}

// nationalLandKM2 is the area of the whole synthetic country in km² (by latitude strips).
func nationalLandKM2() float64 {
	const step = 0.005
	var km2 float64
	for lat := nationalProfile[0].Lat; lat < nationalProfile[len(nationalProfile)-1].Lat; lat += step {
		_, latM := geo.MetresPerDegree(lat + step/2)
		km2 += nationalWidthKM(lat+step/2) * step * latM / 1000
	}
	return km2
}

// nationalProps fixes the order of the properties in the national communes file.
type nationalProps struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEN     string `json:"name_en"`
	Type       string `json:"type"`
	Province   string `json:"province"`
	Population int    `json:"population_2019"`
	Households int    `json:"households_2019"`
	Synthetic  bool   `json:"synthetic"`
}

// encodeNationalCommunes writes the communes as a FeatureCollection with "phusong_note" =
// NationalNote, one feature per line.
func encodeNationalCommunes(communes []data.Commune) ([]byte, error) {
	return encodeCollection(NationalNote, len(communes), func(i int) (any, error) {
		c := &communes[i]
		return struct {
			Type       string            `json:"type"`
			Properties nationalProps     `json:"properties"`
			Geometry   *geojson.Geometry `json:"geometry"`
		}{"Feature", nationalProps{Code: c.Code, Name: c.Name, NameEN: c.NameEN, Type: xaOrPhuong(c.Type), Province: c.Province,
			Population: c.Population, Households: c.Households, Synthetic: true}, geojson.NewGeometry(c.Geometry)}, nil
	})
}
