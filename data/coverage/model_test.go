package coverage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"phusong/data"
	"phusong/geo"
)

// exactLevelDBm is the level of sector k of s at (dx, dy) metres from the mast on land class
// cls, from geo's exact functions: the oracle for the engine's tables.
func exactLevelDBm(t *testing.T, e *Engine, s *data.Site, k int, dx, dy float64, cls int) float64 {
	t.Helper()
	sec := s.Sectors[k]
	ref, err := referenceDBm(s, k)
	if err != nil {
		t.Fatal(err)
	}
	ant := geo.DefaultAntenna()
	ant.Omni, ant.AzimuthDeg, ant.TiltDeg = sec.Omni, sec.AzimuthDeg, sec.TiltDeg
	if sec.BeamwidthDeg > 0 {
		ant.HBeamwidthDeg = sec.BeamwidthDeg
	}
	d := math.Hypot(dx, dy)
	pl := e.rules[techIndex(sec.Tech)].pl[cls]
	loss := pl.LossDB(sec.BandMHz, s.HeightM, e.def.RxHeightM, d/1000)
	return ref + sec.GainDBi - sec.FeederLossDB - loss + ant.PatternDB(geo.BearingDeg(dx, dy), geo.DepressionDeg(s.HeightM, e.def.RxHeightM, d))
}

// TestTablesMatchExact compares the engine's table evaluation with geo's exact functions on
// random sectors and points within range; it documents the tables' error (model.go).
func TestTablesMatchExact(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	def := DefaultDefinition()
	e, err := New([]data.Commune{squareCommune("1", data.TypeCommune, fixLon, fixLat, 1000, 1, 1)}, def, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var maxNear, maxFar float64
	var nNear, nFar int
	for range 300 {
		tech := data.AnalysedTechs[rng.IntN(2)]
		s := data.Site{Carrier: "x", SiteID: "s", Lon: fixLon, Lat: fixLat, HeightM: 15 + 35*rng.Float64(), Status: data.StatusActive,
			Sectors: []data.Sector{{Tech: tech, BandMHz: []float64{700, 900, 1800, 2100, 2600}[rng.IntN(5)],
				Omni: rng.IntN(4) == 0, AzimuthDeg: 360 * rng.Float64(), BeamwidthDeg: 65, TiltDeg: 10 * rng.Float64(),
				PowerDBm: 30 + 16*rng.Float64(), BandwidthMHz: 20, GainDBi: 11 + 7*rng.Float64(), FeederLossDB: 3 * rng.Float64()}}}
		m, err := e.modelSite(&s)
		if err != nil {
			t.Fatal(err)
		}
		sm := &m.sectors[techIndex(tech)][0]
		for range 200 {
			cls := uint8(rng.IntN(2))
			d := math.Sqrt(sm.r2[cls]) * math.Sqrt(rng.Float64())
			if rng.IntN(4) == 0 {
				d = 300 * rng.Float64()
			}
			a := 2 * math.Pi * rng.Float64()
			dx, dy := d*math.Sin(a), d*math.Cos(a)
			got := sm.levelDBm(dx, dy, dx*dx+dy*dy, cls)
			if math.IsInf(got, -1) {
				continue // beyond this class's range
			}
			diff := math.Abs(got - exactLevelDBm(t, e, &s, 0, dx, dy, int(cls)))
			if d < nearExactM {
				maxNear, nNear = max(maxNear, diff), nNear+1
			} else {
				maxFar, nFar = max(maxFar, diff), nFar+1
			}
		}
	}
	t.Logf("max |table − exact|: %.2g dB over %d points within %g m (exact path), %.5f dB over %d beyond", maxNear, nNear, nearExactM, maxFar, nFar)
	if nNear < 1000 || nFar < 1000 {
		t.Fatalf("%d points within %g m, %d beyond: want at least 1000 of each (of 60,000 drawn)", nNear, nearExactM, nFar)
	}
	if maxNear > 1e-9 || maxFar > 0.005 {
		t.Errorf("table error %.3g dB within %g m (limit 1e-9), %.4f dB beyond (limit 0.005)", maxNear, nearExactM, maxFar)
	}
}

// TestRangeBoundsLevel checks the range search: beyond a sector's range on a land class no
// level reaches the cutoff, and two table steps inside it on boresight one does (within the
// tables' error).
func TestRangeBoundsLevel(t *testing.T) {
	def := DefaultDefinition()
	e, err := New([]data.Commune{squareCommune("1", data.TypeCommune, fixLon, fixLat, 1000, 1, 1)}, def, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		sec  data.Sector
	}{
		{"4G 1800 panel", data.Sector{Tech: data.Tech4G, BandMHz: 1800, AzimuthDeg: 90, BeamwidthDeg: 65, TiltDeg: 4, PowerDBm: 46, BandwidthMHz: 20, GainDBi: 17.5, FeederLossDB: 2}},
		{"3G 2100 omni", data.Sector{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := data.Site{Carrier: "x", SiteID: "s", Lon: fixLon, Lat: fixLat, HeightM: 35, Sectors: []data.Sector{c.sec}}
			m, err := e.modelSite(&s)
			if err != nil {
				t.Fatal(err)
			}
			ti := techIndex(c.sec.Tech)
			sm := &m.sectors[ti][0]
			cutoff := e.rules[ti].cutoff
			for cls := range 2 {
				r := math.Sqrt(sm.r2[cls])
				az := c.sec.AzimuthDeg * math.Pi / 180
				for _, f := range []float64{1.0001, 1.01, 1.5} {
					d := r * f
					if l := exactLevelDBm(t, e, &s, 0, d*math.Sin(az), d*math.Cos(az), cls); l >= cutoff {
						t.Errorf("class %d: level %.3f dBm at %.0f m, beyond range %.0f m, reaches cutoff %.1f", cls, l, d, r, cutoff)
					}
				}
				d := r - 2*tableStepM
				if l := exactLevelDBm(t, e, &s, 0, d*math.Sin(az), d*math.Cos(az), cls); l < cutoff-0.005 {
					t.Errorf("class %d: level %.3f dBm at %.0f m, inside range %.0f m, below cutoff %.1f", cls, l, d, r, cutoff)
				}
			}
		})
	}
}

// TestNearDBmMatchesExact checks evaluate's near path against exactDBm bit for bit: for
// random cells within nearExactM of the sites of groupSite, every member of a group gets
// from nearDBm, with the loss, bearing and vertical attenuation of the group's first member,
// the bits exactDBm gives it (exactDBm's own bits rest on geo's TestPatternDBMatchesFrozen).
func TestNearDBmMatchesExact(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	e, err := New(synthProvince(), DefaultDefinition(), Options{CellM: 50})
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for i := range 40 {
		s := groupSite(rng, "viettel", fmt.Sprintf("G%d", i))
		m, err := e.modelSite(&s)
		if err != nil {
			t.Fatal(err)
		}
		for ti := range m.groups {
			for _, grp := range m.groups[ti] {
				s0 := &grp.secs[0]
				for range 500 {
					d := nearExactM * rng.Float64()
					switch rng.IntN(10) {
					case 0:
						d = 0
					case 1:
						d = math.Ldexp(rng.Float64(), -rng.IntN(40))
					}
					a := 2 * math.Pi * rng.Float64()
					dx, dy := d*math.Sin(a), d*math.Cos(a)
					d = math.Sqrt(dx*dx + dy*dy)
					cls := uint8(rng.IntN(2))
					loss := s0.curve[cls].LossDB(d / 1000)
					bearing := geo.BearingDeg(dx, dy)
					attV := s0.ant.VerticalDB(geo.DepressionDeg(s0.hbM, s0.hmM, d))
					for k := range grp.secs {
						sm := &grp.secs[k]
						got, want := sm.nearDBm(loss, bearing, attV), sm.exactDBm(dx, dy, d, cls)
						if math.Float64bits(got) != math.Float64bits(want) {
							t.Fatalf("site %d sector %d at (%v, %v) m, class %d: nearDBm %v, exactDBm %v", i, k, dx, dy, cls, got, want)
						}
						compared++
					}
				}
			}
		}
	}
	t.Logf("%d levels compared", compared)
	if compared < 40*500 {
		t.Fatalf("%d levels compared, want at least one per drawn point (20,000)", compared)
	}
}

// TestModelCacheLetsSitesGo models sites through the engine's cache, drops them, and checks
// that the cache empties: a model that pointed back at its site would keep the site, the model
// and (through the cleanup) the engine alive for ever — a leak of every site an upload
// replaced, and of every engine ComputeRegions made.
func TestModelCacheLetsSitesGo(t *testing.T) {
	e, err := New(smallCommunes(), fixtureDefinition(t), Options{CellM: 100})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		sites := slices.Clone(smallSites())
		for i := range sites {
			if _, err := e.model(&sites[i]); err != nil {
				t.Fatal(err)
			}
		}
		if n := cacheLen(&e.siteModels); n != len(sites) {
			t.Fatalf("%d models cached for %d sites", n, len(sites))
		}
	}()
	for range 20 {
		runtime.GC()
		if cacheLen(&e.siteModels) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	t.Errorf("%d models still cached after their sites were dropped", cacheLen(&e.siteModels))
}

func cacheLen[T, V any](c *weakCache[T, V]) int {
	n := 0
	c.m.Range(func(_, _ any) bool { n++; return true })
	return n
}
