package demo

import (
	"errors"
	"math"
	"reflect"
	"regexp"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/geo"
)

func TestPlansFollowDefaultCarriers(t *testing.T) {
	if err := checkPlans(); err != nil {
		t.Fatal(err)
	}
	// Shares by hand: 525/1250 = 42 %, 338 = 27.04 %, 262 = 20.96 %, 75 = 6 %, 25 = 2 %.
	want := []float64{0.42, 0.2704, 0.2096, 0.06, 0.02, 0.02}
	total := 0
	for _, p := range plans {
		total += p.Sites
	}
	if total != 1250 {
		t.Fatalf("plans add up to %d sites, want 1250", total)
	}
	for i, p := range plans {
		if got := float64(p.Sites) / float64(total); math.Abs(got-want[i]) > 1e-9 {
			t.Errorf("%s share %.4f, want %.4f", p.ID, got, want[i])
		}
	}
}

func TestAllocate(t *testing.T) {
	km2 := 1e6
	cases := []struct {
		name     string
		plan     carrierPlan
		pops     []int
		areasKM2 []float64
		codes    []string
		wards    []bool
		want     []int
	}{
		// Equal communes share equally; the odd site goes to the lower index.
		{"equal, odd total", carrierPlan{Sites: 5, Alpha: 0.7}, []int{1000, 1000}, []float64{10, 10}, nil, nil, []int{3, 2}},
		// Alpha 1: weight = area·(pop/area) = pop: 1:3 → 2.5, 7.5 → tie of remainders → 3, 7.
		{"alpha 1 is population", carrierPlan{Sites: 10, Alpha: 1}, []int{1000, 3000}, []float64{5, 40}, nil, nil, []int{3, 7}},
		// Alpha 0: weight = area: 10 and 30 km² → 2, 6.
		{"alpha 0 is area", carrierPlan{Sites: 8, Alpha: 0}, []int{9000, 10}, []float64{10, 30}, nil, nil, []int{2, 6}},
		// Alpha 0.5, same area 4 km², densities 100 and 400 /km² → weights 10 : 20 → 4, 8.
		{"alpha 0.5", carrierPlan{Sites: 12, Alpha: 0.5}, []int{400, 1600}, []float64{4, 4}, nil, nil, []int{4, 8}},
		// Đông Hải (29536) is thinned by 0.35: equal communes 1 : 0.35 → 20·(1/1.35, 0.35/1.35) = 14.8, 5.2 → 15, 5.
		{"coastal thinning", carrierPlan{Sites: 20, Alpha: 0.7}, []int{500, 500}, []float64{5, 5}, []string{"x", "29536"}, nil, []int{15, 5}},
		// WardBoost 2 on the second of two equal communes: 1 : 2 → 3, 6.
		{"ward boost", carrierPlan{Sites: 9, Alpha: 0.7, WardBoost: 2}, []int{500, 500}, []float64{5, 5}, nil, []bool{false, true}, []int{3, 6}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			communes := make([]data.Commune, len(tc.pops))
			areas := make([]float64, len(tc.pops))
			for i := range tc.pops {
				communes[i].Population = tc.pops[i]
				if tc.codes != nil {
					communes[i].Code = tc.codes[i]
				}
				if tc.wards != nil && tc.wards[i] {
					communes[i].Type = data.TypeWard
				}
				areas[i] = tc.areasKM2[i] * km2
			}
			if got := allocate(tc.plan, communes, areas); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("allocate = %v, want %v", got, tc.want)
			}
		})
	}
}

// gridProvince is a 40 km × 40 km square around (106.3, 9.8) cut into four 20 km communes, the
// north-west one a ward:
//
//	+------+------+
//	| ward |  xa  |
//	+------+------+
//	|  xa  |  xa  |
//	+------+------+
func gridProvince() ([]data.Commune, orb.MultiPolygon) {
	tm := geo.NewLocalTM(106.3, 9.8)
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return geo.AsMultiPolygon(tm.InverseGeometry(orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}))
	}
	const h = 20000.0
	communes := []data.Commune{
		{Code: "NW", Type: data.TypeWard, Population: 200000, Geometry: sq(-h, 0, 0, h)},
		{Code: "NE", Type: data.TypeCommune, Population: 100000, Geometry: sq(0, 0, h, h)},
		{Code: "SW", Type: data.TypeCommune, Population: 100000, Geometry: sq(-h, -h, 0, 0)},
		{Code: "SE", Type: data.TypeCommune, Population: 50000, Geometry: sq(0, -h, h, 0)},
	}
	return communes, sq(-h, -h, h, h)
}

func TestGenerateSitesInvariants(t *testing.T) {
	communes, outline := gridProvince()
	var runs [][]data.Site
	for _, seed := range []uint64{1, 2} {
		t.Logf("seed %d", seed)
		sites, err := GenerateSites(communes, outline, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		checkSites(t, communes, sites)
		again, err := GenerateSites(communes, outline, seed)
		if err != nil || !reflect.DeepEqual(sites, again) {
			t.Fatalf("second run with seed %d differs (err %v)", seed, err)
		}
		runs = append(runs, sites)
	}
	if reflect.DeepEqual(runs[0], runs[1]) {
		t.Error("seeds 1 and 2 give the same stations")
	}
}

func TestGenerateSitesCrowded(t *testing.T) {
	// 1,250 sites with 300 m spacing cannot fit in 1 km².
	tm := geo.NewLocalTM(106.3, 9.8)
	tiny := geo.AsMultiPolygon(tm.InverseGeometry(orb.Polygon{{{0, 0}, {1000, 0}, {1000, 1000}, {0, 1000}, {0, 0}}}))
	_, err := GenerateSites([]data.Commune{{Code: "T", Type: data.TypeCommune, Population: 10, Geometry: tiny}}, tiny, 1)
	if !errors.Is(err, ErrCrowded) {
		t.Fatalf("err = %v, want ErrCrowded", err)
	}
}

var siteIDPattern = regexp.MustCompile(`^TV-(VT|VN|MF|VM|GM|IT)-\d{4}$`)

// checkSites asserts every promise GenerateSites documents, measuring distances geodesically
// (geo.DistanceM) rather than in the plane the generator used.
func checkSites(t *testing.T, communes []data.Commune, sites []data.Site) {
	t.Helper()
	total := 0
	for _, p := range plans {
		total += p.Sites
	}
	if len(sites) != total {
		t.Errorf("%d sites, want %d", len(sites), total)
	}
	ids := map[data.SiteKey]bool{}
	cells := map[string]bool{}
	n4G, planned := 0, 0
	for i := range sites {
		s := &sites[i]
		if !siteIDPattern.MatchString(s.SiteID) || ids[s.Key()] {
			t.Errorf("site id %q bad or repeated", s.SiteID)
		}
		ids[s.Key()] = true
		ward, found := false, false
		for _, c := range communes {
			if planar.MultiPolygonContains(c.Geometry, orb.Point{s.Lon, s.Lat}) {
				ward, found = c.Type == data.TypeWard, true
				break
			}
		}
		if !found {
			t.Errorf("%s at (%v, %v) lies in no commune", s.SiteID, s.Lon, s.Lat)
		}
		if lo, hi := heightRange(ward); s.HeightM < lo || s.HeightM > hi {
			t.Errorf("%s: height %v m outside [%v, %v] (ward %v)", s.SiteID, s.HeightM, lo, hi, ward)
		}
		if s.HasTech(data.Tech4G) {
			n4G++
		} else if !s.HasTech(data.Tech3G) {
			t.Errorf("%s has neither 4G nor 3G", s.SiteID)
		}
		if s.Status == data.StatusPlanned {
			planned++
		} else if s.Status != data.StatusActive {
			t.Errorf("%s: status %q", s.SiteID, s.Status)
		}
		for _, sec := range s.Sectors {
			if cells[sec.CellID] {
				t.Errorf("cell id %q repeated", sec.CellID)
			}
			cells[sec.CellID] = true
			checkSector(t, s.SiteID, sec)
		}
		checkAzimuths(t, s)
	}
	// Exactly round(0.86·n) sites carry 4G.
	if want := int(math.Round(0.86 * float64(len(sites)))); n4G != want {
		t.Errorf("%d sites with 4G, want %d", n4G, want)
	}
	if planned == 0 || planned > len(sites)/20 {
		t.Errorf("%d planned sites, want a few (about 2 %%)", planned)
	}
	for i := range sites {
		for j := i + 1; j < len(sites); j++ {
			a, b := &sites[i], &sites[j]
			if math.Abs(a.Lat-b.Lat) > 0.003 { // 0.003° of latitude ≈ 332 m
				continue
			}
			d := geo.DistanceM(orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
			if d < 20 || (a.Carrier == b.Carrier && d < 300) {
				t.Errorf("%s/%s and %s/%s are %.1f m apart", a.Carrier, a.SiteID, b.Carrier, b.SiteID, d)
			}
		}
	}
}

func heightRange(ward bool) (lo, hi float64) {
	if ward {
		return 20, 30
	}
	return 30, 45
}

// checkSector holds a sector to the ranges of shared/docs/rf-reference.md.
func checkSector(t *testing.T, site string, s data.Sector) {
	t.Helper()
	bands := map[data.Tech][]float64{
		data.Tech2G: {900}, data.Tech3G: {900, 2100}, data.Tech4G: {700, 900, 1800, 2600},
	}
	okBand := false
	for _, b := range bands[s.Tech] {
		okBand = okBand || s.BandMHz == b
	}
	if !okBand {
		t.Errorf("%s: %s on %v MHz", site, s.Tech, s.BandMHz)
	}
	switch s.Tech {
	case data.Tech4G:
		if s.PowerDBm < 43 || s.PowerDBm > 46 {
			t.Errorf("%s: LTE power %v dBm outside 43–46", site, s.PowerDBm)
		}
		if !map[float64]bool{5: true, 10: true, 15: true, 20: true}[s.BandwidthMHz] {
			t.Errorf("%s: LTE bandwidth %v MHz", site, s.BandwidthMHz)
		}
	case data.Tech3G:
		if s.PowerDBm != 33 || s.BandwidthMHz != 5 {
			t.Errorf("%s: UMTS CPICH %v dBm, %v MHz; want 33 dBm, 5 MHz", site, s.PowerDBm, s.BandwidthMHz)
		}
	}
	if s.Omni {
		if s.GainDBi != 11 {
			t.Errorf("%s: omni gain %v dBi, want 11", site, s.GainDBi)
		}
	} else if s.GainDBi < 15 || s.GainDBi > 18 || s.BeamwidthDeg != 65 {
		t.Errorf("%s: panel gain %v dBi (15–18), beamwidth %v° (65)", site, s.GainDBi, s.BeamwidthDeg)
	}
	if s.FeederLossDB < 0.5 || s.FeederLossDB > 3 {
		t.Errorf("%s: feeder loss %v dB outside 0.5–3", site, s.FeederLossDB)
	}
	if s.TiltDeg < 0 || s.TiltDeg > 8 {
		t.Errorf("%s: tilt %v°", site, s.TiltDeg)
	}
}

// checkAzimuths: a site is all omni, or every technology-band layer has three sectors at
// r, r+120, r+240 for one rotation r shared by the whole site.
func checkAzimuths(t *testing.T, s *data.Site) {
	t.Helper()
	omni := 0
	az := map[float64]int{}
	for _, sec := range s.Sectors {
		if sec.Omni {
			omni++
			continue
		}
		az[sec.AzimuthDeg]++
	}
	switch {
	case omni == len(s.Sectors):
		return
	case omni > 0:
		t.Errorf("%s mixes omni and sectored antennas", s.SiteID)
	case len(az) != 3 || len(s.Sectors)%3 != 0:
		t.Errorf("%s: azimuths %v, want three directions", s.SiteID, az)
	default:
		r := math.Inf(1)
		for a := range az {
			r = math.Min(r, a)
		}
		for k := range 3 {
			if az[r+120*float64(k)] != len(s.Sectors)/3 {
				t.Errorf("%s: azimuths %v are not %v + 0/120/240", s.SiteID, az, r)
			}
		}
	}
}
