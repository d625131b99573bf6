package store

import (
	"fmt"
	"math/rand/v2"
	"phusong/data"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

// Synthetic stores for the benchmarks: n sites spread uniformly over the Trà Vinh extent, six
// carriers, one 4G sector each, reach 3–8 km (through HeightM, see benchReach). Each size is
// built once and shared by the benchmarks (the 1M-site store holds about 0.5 GB).
var benchSizes = []int{1200, 100_000, 1_000_000}

const (
	benchCarriers = 6
	benchQueries  = 4096 // pre-drawn query inputs, cycled
	benchMoves    = 1024 // sites moved by the upsert benchmark, cycled
)

var benchExtent = orb.Bound{Min: orb.Point{105.85, 9.45}, Max: orb.Point{106.65, 10.15}}

// benchReach maps HeightM 30–80 m to a reach of 3–8 km.
func benchReach(s *data.Site) float64 { return 3000 + (s.HeightM-30)*100 }

type benchStore struct {
	st     *Store
	gens   [2][]data.Site // carrier c0 as stored (0) and with every site moved (1)
	moves  [2][]data.Site // benchMoves sites of carrier c1 at two positions
	points []orb.Point
	tiles  []orb.Bound // 1.6 km tiles: 32 cells of 50 m, as the coverage engine queries
	nUp    int         // upserts so far: picks the next move across runs
}

var (
	benchMu     sync.Mutex
	benchStores = map[int]*benchStore{}
)

var benchSector = []data.Sector{{Tech: data.Tech4G, BandMHz: 1800, AzimuthDeg: 120, BeamwidthDeg: 65, PowerDBm: 43, BandwidthMHz: 10, GainDBi: 17}}

// benchSites returns the sites of carrier c among n in all, drawn from rng.
func benchSites(rng *rand.Rand, n, c int) []data.Site {
	out := make([]data.Site, 0, n/benchCarriers+1)
	for i := c; i < n; i += benchCarriers {
		out = append(out, data.Site{
			Carrier: fmt.Sprintf("c%d", c), SiteID: fmt.Sprintf("s%07d", i),
			Lon:     benchExtent.Min[0] + rng.Float64()*(benchExtent.Max[0]-benchExtent.Min[0]),
			Lat:     benchExtent.Min[1] + rng.Float64()*(benchExtent.Max[1]-benchExtent.Min[1]),
			HeightM: 30 + 50*rng.Float64(), Status: data.StatusActive, Sectors: benchSector,
		})
	}
	return out
}

// moved returns copies of sites shifted by up to ±0.01° (about 1 km).
func moved(rng *rand.Rand, sites []data.Site) []data.Site {
	out := make([]data.Site, len(sites))
	for i, s := range sites {
		s.Lon += 0.02 * (rng.Float64() - 0.5)
		s.Lat += 0.02 * (rng.Float64() - 0.5)
		out[i] = s
	}
	return out
}

func buildBenchStore(b *testing.B, n int, rng *rand.Rand) (*Store, []data.Site, []data.Site) {
	st := New(benchReach)
	var c0, c1 []data.Site
	for c := range benchCarriers {
		sites := benchSites(rng, n, c)
		if _, err := st.ReplaceCarrier(sites[0].Carrier, sites); err != nil {
			b.Fatal(err)
		}
		switch c {
		case 0:
			c0 = sites
		case 1:
			c1 = sites
		}
	}
	return st, c0, c1
}

func getBenchStore(b *testing.B, n int) *benchStore {
	benchMu.Lock()
	defer benchMu.Unlock()
	if bs, ok := benchStores[n]; ok {
		return bs
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	st, c0, c1 := buildBenchStore(b, n, rng)
	bs := &benchStore{st: st, gens: [2][]data.Site{c0, moved(rng, c0)}}
	m := c1[:min(benchMoves, len(c1))]
	bs.moves = [2][]data.Site{moved(rng, m), moved(rng, m)}
	for range benchQueries {
		p := orb.Point{
			benchExtent.Min[0] + rng.Float64()*(benchExtent.Max[0]-benchExtent.Min[0]),
			benchExtent.Min[1] + rng.Float64()*(benchExtent.Max[1]-benchExtent.Min[1]),
		}
		bs.points = append(bs.points, p)
		bs.tiles = append(bs.tiles, orb.Bound{Min: p, Max: orb.Point{p[0] + 0.0146, p[1] + 0.0145}})
	}
	benchStores[n] = bs
	return bs
}

func forSizes(b *testing.B, f func(b *testing.B, bs *benchStore)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("sites=%d", n), func(b *testing.B) {
			bs := getBenchStore(b, n)
			b.ReportAllocs()
			f(b, bs)
		})
	}
}

// BenchmarkStoreUpsertOne moves one existing site per write (remove + insert in every index,
// then a new snapshot).
func BenchmarkStoreUpsertOne(b *testing.B) {
	forSizes(b, func(b *testing.B, bs *benchStore) {
		for b.Loop() {
			i := bs.nUp
			m := bs.moves[(i/len(bs.moves[0]))%2]
			if _, err := bs.st.Upsert(m[i%len(m) : i%len(m)+1]); err != nil {
				b.Fatal(err)
			}
			bs.nUp++
		}
	})
}

// BenchmarkStoreReplaceCarrier replaces the list of one carrier (a sixth of the sites), every
// site moved, alternating between two generations.
func BenchmarkStoreReplaceCarrier(b *testing.B) {
	forSizes(b, func(b *testing.B, bs *benchStore) {
		i := 1
		for b.Loop() {
			if _, err := bs.st.ReplaceCarrier("c0", bs.gens[i%2]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		if i%2 == 0 { // leave generation 0 in place for the other benchmarks
			if _, err := bs.st.ReplaceCarrier("c0", bs.gens[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreBuild builds a whole store of the size: the cost a write would have if the
// store rebuilt its index instead of copying on write.
func BenchmarkStoreBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("sites=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buildBenchStore(b, n, rand.New(rand.NewPCG(uint64(n), 8)))
			}
		})
	}
}

// BenchmarkStoreReaching asks for one carrier's sites that may cover a 1.6 km tile.
func BenchmarkStoreReaching(b *testing.B) {
	forSizes(b, func(b *testing.B, bs *benchStore) {
		v := bs.st.Snapshot()
		i, found := 0, 0
		for b.Loop() {
			found += len(v.Reaching(bs.tiles[i%benchQueries], Filter{Carrier: "c3"}))
			i++
		}
		b.ReportMetric(float64(found)/float64(i), "sites/op")
	})
}

// BenchmarkStoreNearest10 asks for the 10 sites nearest to a point.
func BenchmarkStoreNearest10(b *testing.B) {
	forSizes(b, func(b *testing.B, bs *benchStore) {
		v := bs.st.Snapshot()
		i := 0
		for b.Loop() {
			if len(v.Nearest(bs.points[i%benchQueries], 10, Filter{})) != 10 {
				b.Fatal("fewer than 10 sites")
			}
			i++
		}
	})
}

// BenchmarkStoreWithinRadius asks for every site within 3 km of a point.
func BenchmarkStoreWithinRadius(b *testing.B) {
	forSizes(b, func(b *testing.B, bs *benchStore) {
		v := bs.st.Snapshot()
		i, found := 0, 0
		for b.Loop() {
			found += len(v.WithinRadius(bs.points[i%benchQueries], 3000, Filter{}))
			i++
		}
		b.ReportMetric(float64(found)/float64(i), "sites/op")
	})
}
