package coverage

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/store"
	"phusong/geo"
)

// Fixture origin: a point in Trà Vinh.
const fixLon, fixLat = 106.34, 9.93

// squareCommune returns a commune shaped as a lon/lat box of about sideM metres centred on
// (lon, lat), offset east by eastM.
func squareCommune(code string, ct data.CommuneType, lon, lat, sideM float64, pop, hh int) data.Commune {
	lonM, latM := geo.MetresPerDegree(lat)
	dx, dy := sideM/2/lonM, sideM/2/latM
	ring := orb.Ring{{lon - dx, lat - dy}, {lon + dx, lat - dy}, {lon + dx, lat + dy}, {lon - dx, lat + dy}, {lon - dx, lat - dy}}
	return data.Commune{Code: code, Name: "Xã " + code, NameEN: "Commune " + code, Type: ct,
		Geometry: orb.MultiPolygon{{ring}}, Population: pop, Households: hh}
}

// fixtureDefinition is a definition with free space for 3G and Extended Hata open for 4G, a
// median (reliability 0.5) rule so that the required level is the threshold itself.
func fixtureDefinition(t testing.TB) *Definition {
	t.Helper()
	d := &Definition{Version: "test/1", RxHeightM: 1.5, Techs: map[data.Tech]TechRule{
		data.Tech3G: {Metric: "RSCP", ThresholdDBm: -60, Reliability: 0.5, SigmaDB: 8, IndoorLossDB: 11, IndoorSigmaDB: 10,
			Model: geo.ModelFreeSpace, WardEnv: geo.EnvOpen, CommuneEnv: geo.EnvOpen, TiersDBm: []float64{-60}},
		data.Tech4G: {Metric: "RSRP", ThresholdDBm: -105, Reliability: 0.5, SigmaDB: 8, IndoorLossDB: 12, IndoorSigmaDB: 10,
			Model: geo.ModelExtHata, WardEnv: geo.EnvOpen, CommuneEnv: geo.EnvOpen, TiersDBm: []float64{-105}},
	}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

// storeWith returns a store (reach e.Reach) holding sites.
func storeWith(t testing.TB, e *Engine, sites []data.Site) *store.Store {
	t.Helper()
	st := store.New(e.Reach)
	if len(sites) > 0 {
		if _, err := st.Upsert(sites); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// The hand-checkable fixture: one omni site at the centre of a 6 km square commune on flat
// ground.
//
//	+-----------------------+
//	|                       |
//	|        .-----.        |
//	|      /    r    \      |   covered ⇔ centre of the cell within r of the mast:
//	|     |     *     |     |   area = N·c² ≈ π r²
//	|      \         /      |
//	|        '-----'        |
//	|                       |
//	+-----------------------+
//
// 3G, free space, mast and handset both 1.5 m high (so the slant range is the horizontal one
// and the vertical pattern is on boresight): CPICH 33 dBm + 11 dBi − 2 dB = 42 dBm reaches
// −60 dBm at a loss of 102 dB: 32.45 + 20 lg 2100 + 20 lg r = 102 → r = 10^(3.10584/20) km
// = 1.42954 km (hand arithmetic: 20 lg 2100 = 66.44439). 4G, Extended Hata open, mast 30 m:
// r is where the 4G budget 40 − 10 lg 1200 + 5 − 2 = 12.20819 dBm minus loss and vertical
// pattern falls to −105 dBm, solved by bisection on geo's exact functions.
//
// Tolerance: every cell whose centre lies within r lies inside the circle of radius
// r + c/√2, and every cell inside radius r − c/√2 has its centre within r, so
// π(r − c/√2)² ≤ N·c² ≤ π(r + c/√2)²: ±1.0 % at c = 10 m and r ≈ 1.4 km.
func TestOmniSiteCoversDisc(t *testing.T) {
	const cellM, sideM = 10.0, 6000.0
	def := fixtureDefinition(t)
	commune := squareCommune("00001", data.TypeCommune, fixLon, fixLat, sideM, 10000, 2500)
	e, err := New([]data.Commune{commune}, def, Options{CellM: cellM})
	if err != nil {
		t.Fatal(err)
	}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 1.5, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 2}}}
	site4 := site
	site4.SiteID, site4.HeightM = "S2", 30
	site4.Sectors = []data.Sector{{Tech: data.Tech4G, BandMHz: 1800, Omni: true, PowerDBm: 40, BandwidthMHz: 20, GainDBi: 5, FeederLossDB: 2}}

	ant := geo.DefaultAntenna()
	ant.Omni = true
	budget4 := 40 - 10*math.Log10(1200) + 5 - 2
	level4 := func(dM float64) float64 {
		pl := geo.PathLoss{Model: geo.ModelExtHata, Env: geo.EnvOpen}
		return budget4 - pl.LossDB(1800, 30, 1.5, dM/1000) + ant.PatternDB(0, geo.DepressionDeg(30, 1.5, dM))
	}
	lo, hi := 500.0, 20000.0 // level4(lo) > −105 > level4(hi)
	for hi-lo > 1e-4 {
		if mid := (lo + hi) / 2; level4(mid) >= -105 {
			lo = mid
		} else {
			hi = mid
		}
	}
	cases := []struct {
		name string
		site data.Site
		tech data.Tech
		rM   float64
	}{
		{"3G free space", site, data.Tech3G, 1429.54},
		{"4G ext-hata open", site4, data.Tech4G, lo},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.rM*2 > sideM-4*cellM {
				t.Fatalf("fixture: the disc (r %.0f m) does not fit in the commune", c.rM)
			}
			st := storeWith(t, e, []data.Site{c.site})
			r, err := e.Compute(context.Background(), st.Snapshot())
			if err != nil {
				t.Fatal(err)
			}
			got := r.Province(c.tech)
			want := math.Pi * c.rM * c.rM / 1e6
			slack := math.Pi * (math.Pow(c.rM+cellM/math.Sqrt2, 2) - c.rM*c.rM) / 1e6
			if math.Abs(got.CoveredAreaKM2-want) > slack {
				t.Errorf("covered %.4f km², want π r² = %.4f ± %.4f km² (r = %.1f m)", got.CoveredAreaKM2, want, slack, c.rM)
			}
			wantPop := 10000 * got.CoveredAreaKM2 / got.AreaKM2
			if math.Abs(got.CoveredPopulation-wantPop) > 1e-9*wantPop {
				t.Errorf("covered population %.6f, want population × covered share = %.6f", got.CoveredPopulation, wantPop)
			}
			if got.CarriersPresent != 1 || got.CarriersPresentIDs[0] != "viettel" {
				t.Errorf("carriers present %d %v, want 1 [viettel]", got.CarriersPresent, got.CarriersPresentIDs)
			}
		})
	}
}

// The level at a point 1 km east of an omni free-space mast at handset height follows the
// link budget: 42 dBm − (32.45 + 20 lg 2100 + 20 lg 1) = 42 − 98.89439 = −56.89439 dBm.
func TestAtLinkBudget(t *testing.T) {
	def := fixtureDefinition(t)
	e, err := New([]data.Commune{squareCommune("00001", data.TypeCommune, fixLon, fixLat, 6000, 100, 25)}, def, Options{CellM: 10})
	if err != nil {
		t.Fatal(err)
	}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 1.5, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, GainDBi: 11, FeederLossDB: 2}}}
	r, err := e.Compute(context.Background(), storeWith(t, e, []data.Site{site}).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	// The cell centre nearest to 1 km east; compare at its exact distance.
	g := e.Grid()
	mast := e.Projection().Forward(orb.Point{fixLon, fixLat})
	i, j, ok := g.CellOf(orb.Point{mast[0] + 1000, mast[1]})
	if !ok {
		t.Fatal("point outside grid")
	}
	c := g.Center(i, j)
	dKM := math.Hypot(c[0]-mast[0], c[1]-mast[1]) / 1000
	want := 42 - (32.45 + 20*math.Log10(2100) + 20*math.Log10(dKM))
	pls := r.At(e.Projection().Inverse(c))
	if len(pls) != 4 { // viettel 3G, 4G; any 3G, 4G
		t.Fatalf("At: %d levels, want 4", len(pls))
	}
	p := pls[0]
	if p.Carrier != "viettel" || p.Tech != data.Tech3G || math.Abs(p.LevelDBm-want) > 0.001 || p.Serving.SiteID != "S1" {
		t.Errorf("At = %+v, want viettel 3G %.4f dBm from S1", p, want)
	}
	if !p.CoveredOutdoor || p.CoveredIndoor || p.RequiredOutdoorDBm != -60 || p.RequiredIndoorDBm != -49 {
		t.Errorf("coverage flags %+v: want outdoor yes (−60), indoor no (−49)", p)
	}
	if a := pls[2]; a.Carrier != AnyCarrier || a.LevelDBm != p.LevelDBm {
		t.Errorf("any = %+v, want the viettel level", a)
	}
	if !math.IsNaN(pls[1].LevelDBm) {
		t.Errorf("4G level %v without a 4G sector, want NaN", pls[1].LevelDBm)
	}
	if r.At(orb.Point{fixLon + 1, fixLat}) != nil {
		t.Error("At outside the province is not nil")
	}
}

func TestNewErrors(t *testing.T) {
	def := fixtureDefinition(t)
	a := squareCommune("1", data.TypeCommune, fixLon, fixLat, 1000, 1, 1)
	cases := []struct {
		name     string
		communes []data.Commune
		def      *Definition
		opts     Options
		want     error
	}{
		{"no communes", nil, def, Options{}, ErrNoCommunes},
		{"nil definition", []data.Commune{a}, nil, Options{}, ErrDefinition},
		{"duplicate code", []data.Commune{a, a}, def, Options{}, ErrCommune},
		{"no code", []data.Commune{{Geometry: a.Geometry}}, def, Options{}, ErrCommune},
		{"no geometry", []data.Commune{{Code: "1"}}, def, Options{}, ErrCommune},
		{"tiny cell", []data.Commune{a}, def, Options{CellM: 1}, ErrOptions},
		{"NaN cell", []data.Commune{a}, def, Options{CellM: math.NaN()}, ErrOptions},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.communes, c.def, c.opts); !errors.Is(err, c.want) {
				t.Errorf("New: %v, want %v", err, c.want)
			}
		})
	}
}

// Reach is the largest sector range, padded: for the free-space fixture site r = 1429.54 m
// (see TestOmniSiteCoversDisc) at the required level, and the cutoff lies CutoffMarginDB
// lower, so r·10^(1/20) = 1603.99 m, +0.01 % + 1 m.
func TestReach(t *testing.T) {
	def := fixtureDefinition(t)
	e, err := New([]data.Commune{squareCommune("1", data.TypeCommune, fixLon, fixLat, 1000, 1, 1)}, def, Options{})
	if err != nil {
		t.Fatal(err)
	}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 1.5, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, GainDBi: 11, FeederLossDB: 2}}}
	want := 1429.54*math.Pow(10, CutoffMarginDB/20)*(1+reachPadRel) + reachPadM
	if got := e.Reach(&site); math.Abs(got-want) > tableStepM+0.1 {
		t.Errorf("Reach = %.2f m, want %.2f ± %g (table step)", got, want, tableStepM)
	}
	site.Sectors[0].Tech = data.Tech2G
	if got := e.Reach(&site); got != 0 {
		t.Errorf("Reach of a 2G-only site = %g, want 0", got)
	}
}

// TestSectorErrors: sectors the engine cannot model fail Compute with a *SectorError naming
// the site and sector; their site gets no reach.
func TestSectorErrors(t *testing.T) {
	e, err := New([]data.Commune{squareCommune("1", data.TypeCommune, fixLon, fixLat, 1000, 1, 1)}, DefaultDefinition(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := data.Sector{Tech: data.Tech4G, BandMHz: 1800, AzimuthDeg: 0, BeamwidthDeg: 65, PowerDBm: 43, BandwidthMHz: 10, GainDBi: 17}
	cases := []struct {
		name string
		bad  func(s *data.Sector)
		want error
	}{
		{"LTE bandwidth", func(s *data.Sector) { s.BandwidthMHz = 7 }, geo.ErrLTEBandwidth},
		{"NaN band", func(s *data.Sector) { s.BandMHz = math.NaN() }, ErrSectorModel},
		{"infinite power", func(s *data.Sector) { s.PowerDBm = math.Inf(1) }, ErrSectorModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := good
			c.bad(&bad)
			site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 30, Status: data.StatusActive,
				Sectors: []data.Sector{good, bad}}
			if r := e.Reach(&site); r != 0 {
				t.Errorf("Reach = %g, want 0", r)
			}
			_, err := e.Compute(context.Background(), storeWith(t, e, []data.Site{site}).Snapshot())
			var se *SectorError
			if !errors.As(err, &se) || se.Sector != 1 || se.Site.SiteID != "S1" || !errors.Is(err, c.want) {
				t.Errorf("Compute: %v, want a SectorError for sector 1 of S1 wrapping %v", err, c.want)
			}
		})
	}
}

// TestEnvironmentByCommuneType: the definition's environment switches at the edge between a
// ward and a commune. A ward (west) and a commune (east) share an edge with an omni 4G mast on
// it; Extended Hata is urban on ward land and open on commune land, so two cells 1 km west and
// east of the mast get the loss of their own side: the level at each cell centre is EIRP − loss
// (urban west, open east: 31.9 dB less at 1800 MHz) − the vertical pattern, as geo computes it
// at that centre's distance (the tables agree within 0.005 dB, TestTablesMatchExact).
func TestEnvironmentByCommuneType(t *testing.T) {
	lonM, _ := geo.MetresPerDegree(fixLat)
	const sideM = 4000.0
	ward := squareCommune("00001", data.TypeWard, fixLon-sideM/2/lonM, fixLat, sideM, 100, 25)
	commune := squareCommune("00002", data.TypeCommune, fixLon+sideM/2/lonM, fixLat, sideM, 100, 25)
	def := DefaultDefinition()
	rule := def.Techs[data.Tech4G]
	rule.WardEnv, rule.CommuneEnv = geo.EnvUrban, geo.EnvOpen
	def.Techs[data.Tech4G] = rule
	e, err := New([]data.Commune{ward, commune}, def, Options{CellM: 50})
	if err != nil {
		t.Fatal(err)
	}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: fixLon, Lat: fixLat, HeightM: 30, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech4G, BandMHz: 1800, Omni: true, BeamwidthDeg: 360, PowerDBm: 46, BandwidthMHz: 20, GainDBi: 15}}}
	r, err := e.Compute(context.Background(), storeWith(t, e, []data.Site{site}).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	tm, g := e.Projection(), e.Grid()
	mast := tm.Forward(orb.Point{site.Lon, site.Lat})
	eirp := 46 - 10*math.Log10(1200) + 15
	ant := geo.DefaultAntenna()
	ant.Omni = true
	for _, side := range []struct {
		name  string
		eastM float64
		env   geo.Env
		code  string
	}{{"ward, urban", -1000, geo.EnvUrban, "00001"}, {"commune, open", 1000, geo.EnvOpen, "00002"}} {
		i, j, ok := g.CellOf(orb.Point{mast[0] + side.eastM, mast[1]})
		if !ok {
			t.Fatal("outside the grid")
		}
		c := g.Center(i, j)
		d := math.Hypot(c[0]-mast[0], c[1]-mast[1])
		want := eirp - geo.PathLoss{Model: geo.ModelExtHata, Env: side.env}.LossDB(1800, 30, def.RxHeightM, d/1000) +
			ant.PatternDB(0, geo.DepressionDeg(30, def.RxHeightM, d))
		got := r.At(tm.Inverse(c))[1] // viettel 4G
		if math.Abs(got.LevelDBm-want) > 0.005 {
			t.Errorf("%s, %.0f m from the mast: %.3f dBm, want %.3f (%s loss)", side.name, d, got.LevelDBm, want, side.env)
		}
		if k := e.land.Commune[g.Index(i, j)]; e.communes[k].Code != side.code {
			t.Errorf("%s: the cell belongs to %s", side.name, e.communes[k].Code)
		}
	}
}
