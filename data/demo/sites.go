package demo

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/geo"
)

// DefaultSeed seeds the committed demo stations (PCG, math/rand/v2).
const DefaultSeed uint64 = 20250701

// Spacing rules of the generator, checked in the local transverse Mercator plane with a small
// margin so that they also hold geodesically after rounding coordinates to 6 decimals.
const (
	// MinSameCarrierM is the least distance between two sites of one carrier.
	MinSameCarrierM = 300.0
	// MinAnySitesM is the least distance between any two sites (the upload validation rule).
	MinAnySitesM = 20.0
	// Share4G is the fraction of sites that carry at least one 4G sector (rounded to a count).
	Share4G = 0.86
	// planarMarginM pads both spacing rules in the plane.
	planarMarginM = 0.5
)

// ErrCrowded is returned when a commune has no room left for a site under the spacing rules.
var ErrCrowded = errors.New("demo: no room for a site")

// carrierPlan is how many sites one carrier gets and how they spread.
type carrierPlan struct {
	ID    string
	Code  string  // site id prefix: TV-<Code>-0001
	Sites int     // sites in the whole province
	Alpha float64 // site density ∝ (population density)^Alpha · WardBoost (wards) · thinning
	// WardBoost multiplies the weight of wards (phường): town centres get capacity sites.
	WardBoost float64
	// Candidates is the best-candidate sample count: 1 is uniform random (clumpy, gappy);
	// more spreads sites evenly like a planned network.
	Candidates int
	OmniRural  float64 // probability that a rural (xã) site is a single omni antenna
	Big        bool    // one of the three national networks
}

// plans lists the six default carriers, largest first (data.DefaultCarriers order), with
// market-like shares of 1,250 sites: 42 %, 27 %, 21 %, 6 %, 2 %, 2 %.
var plans = []carrierPlan{
	{ID: "viettel", Code: "VT", Sites: 525, Alpha: 0.7, WardBoost: 2.5, Candidates: 12, Big: true},
	{ID: "vinaphone", Code: "VN", Sites: 338, Alpha: 0.7, WardBoost: 2.5, Candidates: 10, Big: true},
	{ID: "mobifone", Code: "MF", Sites: 262, Alpha: 0.8, WardBoost: 2.5, Candidates: 8, Big: true},
	{ID: "vietnamobile", Code: "VM", Sites: 75, Alpha: 2.5, WardBoost: 3, Candidates: 3, OmniRural: 0.3},
	{ID: "gmobile", Code: "GM", Sites: 25, Alpha: 3, WardBoost: 3, Candidates: 2, OmniRural: 0.4},
	{ID: "itelecom", Code: "IT", Sites: 25, Alpha: 3, WardBoost: 3, Candidates: 2, OmniRural: 0.4},
}

// thinCoastal scales the site weight of a few coastal and river-island communes (by GSO
// code) so that the demo shows gaps there: Đông Hải and Long Vĩnh on the sea coast, Long Hoà
// on its island.
var thinCoastal = map[string]float64{"29536": 0.35, "29533": 0.5, "29413": 0.4}

// placed is one site position chosen in the plane, before its radio attributes.
type placed struct {
	plan    int // index into plans
	commune int // index into communes
	xy      orb.Point
}

// GenerateSites invents the demo stations over communes (WGS84 geometry, census population):
// each carrier's sites are shared among communes by largest remainder in proportion to
// area · (population/area)^Alpha · WardBoost (wards only) · coastal thinning, so wards get
// denser networks; each site is
// drawn uniformly inside its commune and the best of Candidates draws is kept, scoring the
// distance to the carrier's nearest site and twice the distance to the outline's edge (so
// sites keep off the coast). Spacing: ≥ MinSameCarrierM within a carrier, ≥ MinAnySitesM
// overall. Then Share4G of all sites (fewest in wards and among the big carriers) get 4G, and
// each site gets bands, sectors and RF figures within shared/docs/rf-reference.md ranges.
// All randomness comes from PCG streams of seed; no map iteration or clock is involved, so the
// output is a function of (communes, outline, seed). It fails with ErrCrowded if a commune has
// no room for its share.
func GenerateSites(communes []data.Commune, outline orb.MultiPolygon, seed uint64) ([]data.Site, error) {
	if err := checkPlans(); err != nil {
		return nil, err
	}
	if len(communes) == 0 {
		return nil, fmt.Errorf("demo: no communes to place sites in")
	}
	o := OutlineOrigin(outline)
	tm := geo.NewLocalTM(o[0], o[1])
	planOutline := geo.AsMultiPolygon(tm.ForwardGeometry(outline))
	polys := make([]orb.MultiPolygon, len(communes))
	areas := make([]float64, len(communes))
	for i, c := range communes {
		polys[i] = geo.AsMultiPolygon(tm.ForwardGeometry(c.Geometry))
		areas[i] = planar.Area(polys[i])
		if areas[i] <= 0 {
			return nil, fmt.Errorf("demo: commune %s has no area", c.Code)
		}
	}
	var all []placed
	for pi, p := range plans {
		counts := allocate(p, communes, areas)
		rng := rand.New(rand.NewPCG(seed, uint64(1+pi)))
		var mine []orb.Point
		for round := 0; ; round++ {
			placedAny := false
			for ci := range communes {
				if counts[ci] <= round {
					continue
				}
				xy, err := placeOne(rng, p, polys[ci], planOutline, mine, all)
				if err != nil {
					return nil, fmt.Errorf("%w: %s in %s (%d of %d)", err, p.ID, communes[ci].Code, round+1, counts[ci])
				}
				mine = append(mine, xy)
				all = append(all, placed{plan: pi, commune: ci, xy: xy})
				placedAny = true
			}
			if !placedAny {
				break
			}
		}
	}
	with4G := choose4G(all, communes, seed)
	sites := make([]data.Site, len(all))
	perPlan := make([]int, len(plans))
	for i, pl := range all {
		perPlan[pl.plan]++
		p := plans[pl.plan]
		ll := tm.Inverse(pl.xy)
		s := data.Site{
			Carrier: p.ID,
			SiteID:  fmt.Sprintf("TV-%s-%04d", p.Code, perPlan[pl.plan]),
			Lon:     round6(ll[0]),
			Lat:     round6(ll[1]),
		}
		rng := rand.New(rand.NewPCG(seed, 1_000_000+uint64(i)))
		dress(&s, rng, p, communes[pl.commune].Type == data.TypeWard, with4G[i])
		sites[i] = s
	}
	return sites, nil
}

// checkPlans makes sure plans follow data.DefaultCarriers, so a renamed carrier fails loudly.
func checkPlans() error {
	dc := data.DefaultCarriers()
	if len(dc) != len(plans) {
		return fmt.Errorf("demo: %d carrier plans for %d default carriers", len(plans), len(dc))
	}
	for i := range dc {
		if dc[i].ID != plans[i].ID {
			return fmt.Errorf("demo: carrier plan %d is %q, default carrier is %q", i, plans[i].ID, dc[i].ID)
		}
	}
	return nil
}

// allocate shares p.Sites among communes by largest remainder (ties to the lower index).
func allocate(p carrierPlan, communes []data.Commune, areasM2 []float64) []int {
	w := make([]float64, len(communes))
	var sum float64
	for i, c := range communes {
		densKM2 := float64(c.Population) / (areasM2[i] / 1e6)
		w[i] = areasM2[i] * math.Pow(math.Max(densKM2, 1), p.Alpha)
		if c.Type == data.TypeWard {
			w[i] *= p.WardBoost
		}
		if f, ok := thinCoastal[c.Code]; ok {
			w[i] *= f
		}
		sum += w[i]
	}
	counts := make([]int, len(w))
	rem := make([]int, len(w))
	frac := make([]float64, len(w))
	left := p.Sites
	for i := range w {
		exact := float64(p.Sites) * w[i] / sum
		counts[i] = int(exact)
		frac[i] = exact - float64(counts[i])
		left -= counts[i]
		rem[i] = i
	}
	slices.SortStableFunc(rem, func(a, b int) int { return cmp.Compare(frac[b], frac[a]) })
	for k := 0; k < left; k++ {
		counts[rem[k]]++
	}
	return counts
}

// placeOne draws up to p.Candidates valid points in poly and returns the best one.
func placeOne(rng *rand.Rand, p carrierPlan, poly, outline orb.MultiPolygon, mine []orb.Point, all []placed) (orb.Point, error) {
	const maxDraws = 20000
	b := poly.Bound()
	var best orb.Point
	bestScore, valid := -1.0, 0
	for d := 0; d < maxDraws && valid < p.Candidates; d++ {
		pt := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if !planar.MultiPolygonContains(poly, pt) {
			continue
		}
		near := math.Inf(1)
		for _, q := range mine {
			near = math.Min(near, planar.Distance(pt, q))
		}
		if near < MinSameCarrierM+planarMarginM || tooClose(pt, all) {
			continue
		}
		valid++
		score := math.Min(near, 2*planar.DistanceFrom(outline, pt))
		if score > bestScore {
			best, bestScore = pt, score
		}
	}
	if valid == 0 {
		return orb.Point{}, ErrCrowded
	}
	return best, nil
}

func tooClose(pt orb.Point, all []placed) bool {
	for _, q := range all {
		if planar.Distance(pt, q.xy) < MinAnySitesM+planarMarginM {
			return true
		}
	}
	return false
}

// choose4G picks exactly round(Share4G·n) sites to carry 4G by weighted sampling without
// replacement (Efraimidis–Spirakis keys u^(1/w)) of the sites left without 4G: weights favour
// rural sites and small carriers.
func choose4G(all []placed, communes []data.Commune, seed uint64) []bool {
	rng := rand.New(rand.NewPCG(seed, 999))
	type keyed struct {
		i   int
		key float64
	}
	keys := make([]keyed, len(all))
	for i, pl := range all {
		w := 1.0
		if communes[pl.commune].Type == data.TypeWard {
			w = 0.15
		}
		if !plans[pl.plan].Big {
			w *= 4
		}
		keys[i] = keyed{i, math.Pow(rng.Float64(), 1/w)}
	}
	slices.SortStableFunc(keys, func(a, b keyed) int { return cmp.Compare(b.key, a.key) })
	without := len(all) - int(math.Round(Share4G*float64(len(all))))
	has := make([]bool, len(all))
	for k, kd := range keys {
		has[kd.i] = k >= without
	}
	return has
}

// layer is one technology on one band at a site.
type layer struct {
	tech    data.Tech
	bandMHz float64
	bwMHz   float64
	powDBm  float64
	gainDBi float64
}

// dress gives a placed site its height, status and sectors.
func dress(s *data.Site, rng *rand.Rand, p carrierPlan, ward, has4G bool) {
	s.Status = data.StatusActive
	if rng.Float64() < 0.02 {
		s.Status = data.StatusPlanned
	}
	tilt, feeder := 2+rng.IntN(4), 1.0+2*rng.Float64() // towers: 30–45 m, long feeders
	s.HeightM = float64(30 + rng.IntN(16))
	if ward {
		tilt, feeder = 4+rng.IntN(5), 0.5+rng.Float64() // rooftop poles: 20–30 m, short feeders
		s.HeightM = float64(20 + rng.IntN(11))
	}
	feeder = math.Round(feeder*10) / 10
	omni := !ward && rng.Float64() < p.OmniRural
	rotation := float64(rng.IntN(120))
	gain := []float64{17, 17.5, 18}[rng.IntN(3)]

	var layers []layer
	if (!has4G && rng.Float64() < 0.5) || (has4G && p.Big && !ward && rng.Float64() < 0.2) {
		layers = append(layers, layer{data.Tech2G, 900, 0.2, 43, 15.5})
	}
	if !has4G || rng.Float64() < 0.94 {
		if p.Big && !ward && rng.Float64() < 0.25 {
			layers = append(layers, layer{data.Tech3G, 900, 5, 33, 15.5})
		} else {
			layers = append(layers, layer{data.Tech3G, 2100, 5, 33, gain})
		}
	}
	if has4G {
		bw, pow := 20.0, 46.0
		switch u := rng.Float64(); {
		case u < 0.15:
			bw, pow = 10, 43
		case u < 0.40:
			bw, pow = 15, 44.8
		}
		layers = append(layers, layer{data.Tech4G, 1800, bw, pow, gain})
		switch u := rng.Float64(); {
		case !ward && u < 0.35 && p.ID == "viettel":
			layers = append(layers, layer{data.Tech4G, 700, 10, 46, 15})
		case !ward && u < 0.35:
			layers = append(layers, layer{data.Tech4G, 900, 5, 43, 15.5})
		case ward && p.Big && u < 0.5:
			layers = append(layers, layer{data.Tech4G, 2600, 20, 46, 18})
		}
	}
	for _, l := range layers {
		name := fmt.Sprintf("%s-%s%.0f", s.SiteID, l.tech, l.bandMHz)
		if omni {
			s.Sectors = append(s.Sectors, data.Sector{CellID: name + "-O", Tech: l.tech, BandMHz: l.bandMHz,
				Omni: true, BeamwidthDeg: 360, TiltDeg: 0, PowerDBm: l.powDBm, BandwidthMHz: l.bwMHz,
				GainDBi: 11, FeederLossDB: feeder})
			continue
		}
		for k := range 3 {
			s.Sectors = append(s.Sectors, data.Sector{CellID: fmt.Sprintf("%s-%d", name, k+1), Tech: l.tech,
				BandMHz: l.bandMHz, AzimuthDeg: math.Mod(rotation+120*float64(k), 360), BeamwidthDeg: 65,
				TiltDeg: float64(tilt), PowerDBm: l.powDBm, BandwidthMHz: l.bwMHz, GainDBi: l.gainDBi,
				FeederLossDB: feeder})
		}
	}
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
