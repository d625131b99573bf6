package data

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// TestCloseSitesBruteForce compares CloseSites with every pair, on random clusters of sites
// a few metres to a few tens of metres apart, in Trà Vinh, far north and near a pole (where
// the buckets are widest in degrees), with the list in its order and reversed (a pair is found
// from whichever site comes second, so each neighbour bucket is looked at from both sides).
func TestCloseSitesBruteForce(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	carriers := []string{"viettel", "mobifone"}
	for _, centre := range []orb.Point{{106.3, 9.9}, {105.0, 22.8}, {20, -89.9}} {
		for range 50 {
			var sites []Site
			for range 2 + rng.IntN(40) {
				// within about 60 m of the centre: many pairs on both sides of 20 m
				lonM, latM := geo.MetresPerDegree(centre[1])
				sites = append(sites, Site{Carrier: carriers[rng.IntN(2)],
					Lon: centre[0] + (rng.Float64()-0.5)*120/lonM, Lat: centre[1] + (rng.Float64()-0.5)*120/latM})
			}
			var want []ClosePair
			for i := range sites {
				for j := range i {
					if sites[i].Carrier != sites[j].Carrier {
						continue
					}
					if d := geo.DistanceM(orb.Point{sites[j].Lon, sites[j].Lat}, orb.Point{sites[i].Lon, sites[i].Lat}); d < MinSiteSpacingM {
						want = append(want, ClosePair{First: j, Second: i, DistanceM: d})
					}
				}
			}
			got := CloseSites(sites)
			// Same pairs; within one Second the bucket order may differ from index order.
			if !reflect.DeepEqual(pairSet(got), pairSet(want)) {
				t.Fatalf("near %v: got %v\nwant %v", centre, got, want)
			}
			for k := 1; k < len(got); k++ {
				if got[k].Second < got[k-1].Second {
					t.Fatalf("not ordered by Second: %v", got)
				}
			}
			// In the other order the same pairs are found (indices mirrored), with the same
			// distances up to the argument order of the geodesic.
			rev := slices.Clone(sites)
			slices.Reverse(rev)
			back := map[[2]int]float64{}
			for _, p := range CloseSites(rev) {
				back[[2]int{len(sites) - 1 - p.Second, len(sites) - 1 - p.First}] = p.DistanceM
			}
			if len(back) != len(want) {
				t.Fatalf("near %v: %d pairs in reverse order, %d in order\nreverse %v\nwant %v", centre, len(back), len(want), back, want)
			}
			for _, p := range want {
				if d, ok := back[[2]int{p.First, p.Second}]; !ok || math.Abs(d-p.DistanceM) > 1e-9 {
					t.Fatalf("near %v: pair %v in reverse order: %v %v", centre, p, d, ok)
				}
			}
		}
	}
}

func pairSet(ps []ClosePair) map[ClosePair]bool {
	m := map[ClosePair]bool{}
	for _, p := range ps {
		m[p] = true
	}
	return m
}
