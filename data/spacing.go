package data

import (
	"math"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// MinSiteSpacingM is the distance under which two site ids of one carrier must be one site,
// in metres (geodesic): two masts of one carrier 20 m apart are one site listed twice.
const MinSiteSpacingM = 20.0

// ClosePair is two sites of one carrier closer than MinSiteSpacingM: their indices in the list
// (First < Second) and the geodesic distance between them in metres.
type ClosePair struct {
	First, Second int
	DistanceM     float64
}

// CloseSites returns every pair of sites of one carrier closer than MinSiteSpacingM, ordered
// by Second. Candidates come from a 25 m bucket grid scaled at the sites' latitude farthest
// from the equator (where a degree of longitude is shortest), so that every bucket is more
// than 20 m wide (24.7 m at least) and a close pair is never more than one bucket apart; the
// distance is geo.DistanceM. Positions must be finite.
func CloseSites(sites []Site) []ClosePair {
	const bucketM = 25.0
	farLat := 0.0
	for i := range sites {
		farLat = max(farLat, math.Abs(sites[i].Lat))
	}
	mLon, mLat := geo.MetresPerDegree(farLat)
	mLon = max(mLon, 1) // sites at a pole: one bucket column, still correct
	type cellKey struct {
		carrier string
		x, y    int64
	}
	key := func(s *Site, dx, dy int64) cellKey {
		return cellKey{s.Carrier, int64(math.Floor(s.Lon*mLon/bucketM)) + dx, int64(math.Floor(s.Lat*mLat/bucketM)) + dy}
	}
	buckets := map[cellKey][]int{}
	var out []ClosePair
	for i := range sites {
		s := &sites[i]
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				for _, j := range buckets[key(s, dx, dy)] {
					o := &sites[j]
					if d := geo.DistanceM(orb.Point{o.Lon, o.Lat}, orb.Point{s.Lon, s.Lat}); d < MinSiteSpacingM {
						out = append(out, ClosePair{First: j, Second: i, DistanceM: d})
					}
				}
			}
		}
		k := key(s, 0, 0)
		buckets[k] = append(buckets[k], i)
	}
	return out
}
