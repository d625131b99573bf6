package coverage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/store"
	"phusong/data/testenv"
	"phusong/geo"
)

// The small case: a hexagonal province of two convex communes sharing their middle edge, on a
// local frame at the fixture origin (metres; x east, y north):
//
//	         (-2000,3500)   (0,3500)   (2000,3500)
//	             +-------------+-------------+
//	            /      00001   |    00002     \
//	           /      (ward)   |   (commune)   \
//	(-4000,0) +       o V      |      * P       + (4000,0)
//	           \               |               /
//	            \              |              /
//	             +-------------+-------------+
//	         (-2000,-3500)  (0,-3500)   (2000,-3500)
//
// V: viettel, one omni 4G sector at (-1500, 500), 30 m; P: vinaphone, three 4G panels (0°,
// 120°, 240°) and one omni 3G at (2000, 0), 25 m. Grid cells 100 m. Under fixtureDefinition
// (4G: Extended Hata open, −105 dBm; 3G: free space, −60 dBm) with 4G suburban on commune land,
// V's disc spills over the province's west edges and, weakened, across the middle edge; P's
// sectors reach the east edges and the ward; parts of both communes stay uncovered.
var smallFrame = geo.NewLocalTM(fixLon, fixLat)

func smallPoint(x, y float64) orb.Point { return smallFrame.Inverse(orb.Point{x, y}) }

func smallRing(xy ...float64) orb.Ring {
	var r orb.Ring
	for k := 0; k+1 < len(xy); k += 2 {
		r = append(r, smallPoint(xy[k], xy[k+1]))
	}
	return append(r, r[0])
}

func smallCommunes() []data.Commune {
	return []data.Commune{
		{Code: "00001", Name: "Phường Một", NameEN: "Ward One", Type: data.TypeWard, Population: 12000, Households: 3000,
			Geometry: orb.MultiPolygon{{smallRing(-4000, 0, -2000, -3500, 0, -3500, 0, 3500, -2000, 3500)}}},
		{Code: "00002", Name: "Xã Hai", NameEN: "Commune Two", Type: data.TypeCommune, Population: 8000, Households: 2100,
			Geometry: orb.MultiPolygon{{smallRing(0, -3500, 2000, -3500, 4000, 0, 2000, 3500, 0, 3500)}}},
	}
}

func smallSites() []data.Site {
	v := smallPoint(-1500, 500)
	p := smallPoint(2000, 0)
	vt := data.Site{Carrier: "viettel", SiteID: "V1", Lon: v[0], Lat: v[1], HeightM: 30, Status: data.StatusActive,
		Sectors: []data.Sector{{CellID: "V1-4G", Tech: data.Tech4G, BandMHz: 1800, Omni: true, PowerDBm: 43, BandwidthMHz: 20,
			GainDBi: 5, FeederLossDB: 2}}}
	vn := data.Site{Carrier: "vinaphone", SiteID: "P1", Lon: p[0], Lat: p[1], HeightM: 25, Status: data.StatusActive}
	for k, az := range []float64{0, 120, 240} {
		vn.Sectors = append(vn.Sectors, data.Sector{CellID: fmt.Sprintf("P1-%d", k), Tech: data.Tech4G, BandMHz: 1800,
			AzimuthDeg: az, BeamwidthDeg: 65, TiltDeg: 4, PowerDBm: 30, BandwidthMHz: 10, GainDBi: 17, FeederLossDB: 2})
	}
	vn.Sectors = append(vn.Sectors, data.Sector{CellID: "P1-3G", Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 10,
		BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 2})
	return []data.Site{vt, vn}
}

// smallCase computes the small case at cellM.
func smallCase(t testing.TB, cellM float64) (*Engine, *Result) {
	t.Helper()
	def := fixtureDefinition(t)
	rule := def.Techs[data.Tech4G]
	rule.CommuneEnv = geo.EnvSuburban
	def.Techs[data.Tech4G] = rule
	e, err := New(smallCommunes(), def, Options{CellM: cellM})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Compute(context.Background(), storeWith(t, e, smallSites()).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return e, r
}

// demoCase computes the embedded demo at cellM (demoResult), once per cell size per test binary
// (demoShared).
func demoCase(t testing.TB, cellM float64) (*Engine, *Result) {
	t.Helper()
	c := demoShared(t, cellM)
	return c.e, c.r
}

// demoCellM is the cell size of the tests that compare the demo cell by cell at the engine's
// default: DefaultCellM, or 100 m in a quick make test (a quarter of the cells to compare;
// data/testenv). Tests of a property of the default cell size itself (the packed rasters'
// memory, the phone view's size) keep DefaultCellM.
func demoCellM() float64 {
	if testenv.Full() {
		return DefaultCellM
	}
	return 100
}

// demoShared is the embedded demo computed at cellM once per cell size per test binary, for the
// tests that only read it (its engine, result and the snapshot it was computed from); tests
// running in parallel wait for the one computation, and those asking another cell size do not.
func demoShared(t testing.TB, cellM float64) cachedDemo {
	t.Helper()
	demoMu.Lock()
	compute, ok := demoCases[cellM]
	if !ok {
		compute = sync.OnceValues(func() (cachedDemo, error) {
			e, st, r, err := computeDemo(Options{CellM: cellM})
			if err != nil {
				return cachedDemo{}, err
			}
			return cachedDemo{e, st.Snapshot(), r}, nil
		})
		demoCases[cellM] = compute
	}
	demoMu.Unlock()
	c, err := compute()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type cachedDemo struct {
	e    *Engine
	snap *store.Snapshot
	r    *Result
}

var (
	demoMu    sync.Mutex
	demoCases = map[float64]func() (cachedDemo, error){}
)

// Contouring one layer of the small case at 10 m cells (560 000 cells), clipped to the province.
func BenchmarkContourLayer(b *testing.B) {
	_, r := smallCase(b, 10)
	r.eng.boundaries()
	b.ReportAllocs()
	for b.Loop() {
		r.contourLayer(layerKey{AnyCarrier, data.Tech4G, 0})
	}
}

// benchRecompute times Compute on the demo at 50 m (every carrier, 3G and 4G, statistics)
// followed by then(result).
func benchRecompute(b *testing.B, then func(r *Result) error) {
	e, st, _ := demoResult(b, DefaultCellM)
	snap := st.Snapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := e.Compute(context.Background(), snap)
		if err != nil {
			b.Fatal(err)
		}
		if err := then(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecomputePolygons is the job the accuracy oracle (bench/accuracy) times in shapely,
// done by the engine from the sites: Compute, then every coverage layer (each carrier and any,
// threshold tier) and every commune's gaps as polygons in the engine frame at full detail
// (WarmLayers: no lon/lat conversion or zoom simplification; those are serving work in
// data/render, timed by BenchmarkRecomputeWithLayers).
func BenchmarkRecomputePolygons(b *testing.B) {
	benchRecompute(b, func(r *Result) error { return r.WarmLayers(context.Background()) })
}

// WarmLayers caches the same projected layers and gaps as building them one by one, and stops
// on a cancelled context.
func TestWarmLayers(t *testing.T) {
	_, fresh := smallCase(t, 100)
	_, pr := smallCase(t, 100)
	if err := pr.WarmLayers(context.Background()); err != nil {
		t.Fatal(err)
	}
	nonEmpty := 0
	for _, tech := range data.AnalysedTechs {
		for _, c := range append(pr.Carriers(), AnyCarrier) {
			k := layerKey{c, tech, 0}
			got, want := pr.fullLayer(k), fresh.contourLayer(k)
			if !samePolygons(got, want) {
				t.Errorf("%v: WarmLayers cached %d polygons, a fresh contour has %d", k, len(got), len(want))
			}
			nonEmpty += min(1, len(want))
		}
		thr, ti, _ := pr.layerThreshold(AnyCarrier, tech, 0)
		for ci := range pr.eng.communes {
			got := pr.gapPolygons(gapKey{tech, ci, DefaultMinGapAreaM2}, ti, thr)
			if want := dropSmall(fresh.contourGaps(ci, ti, thr), DefaultMinGapAreaM2); !samePolygons(got, want) {
				t.Errorf("%s gaps of commune %d: WarmLayers cached %d polygons, a fresh contour has %d", tech, ci, len(got), len(want))
			}
		}
	}
	if nonEmpty == 0 {
		t.Error("every layer of the small case is empty: the comparison proves nothing")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pr.WarmLayers(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
