package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"phusong/data"
)

// TestServingSiteMatchesEvaluation checks the serving site At reports (Engine.servingSite: the
// one cell evaluated again, the chunks keep no site) against the site the evaluation of the
// whole tile finds, on the demo at demoCellM (one served cell in 101) and on a seeded random site set with
// co-located twin sites, whose levels tie and whose serving site only the tie rule decides
// (one served cell in 5).
func TestServingSiteMatchesEvaluation(t *testing.T) {
	t.Parallel()
	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		c := demoShared(t, demoCellM())
		compareServing(t, c.r, 101)
	})
	t.Run("twins", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(7, 12))
		e, err := New(synthProvince(), DefaultDefinition(), Options{CellM: 50})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Compute(context.Background(), storeWith(t, e, twinSites(rng, 90, 3)).Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if ties := compareServing(t, r, 5); ties == 0 {
			t.Fatal("no served cell had a twin among its candidates: the tie rule was not exercised")
		}
	})
}

// compareServing compares, at every every-th served cell of every chunk of r, servingSite with
// the serving index of worker.evaluate over the whole tile, and fails at the first difference
// or when no cell was compared. It returns how many compared cells were served by a site
// whose twin (ID + "T") is also a candidate.
func compareServing(t *testing.T, r *Result, every int) (ties int) {
	t.Helper()
	e, l := r.eng, r.eng.land
	compared := 0
	for c, id := range r.carriers {
		for ti := range e.rules {
			for tix := range l.Tiles {
				ch := r.layers[c][ti][tix]
				if ch == nil {
					continue
				}
				tl := &l.Tiles[tix]
				n := int(tl.End - tl.Start)
				w := &worker{e: e, models: map[*data.Site]*siteModel{}}
				for _, s := range ch.sites {
					m, err := e.model(s)
					if err != nil {
						t.Fatal(err)
					}
					w.models[s] = m
				}
				if _, err := w.candGroups(tl, ch.sites, ti); err != nil {
					t.Fatal(err)
				}
				best, serv := make([]float64, n), make([]uint16, n)
				for o := range n {
					best[o], serv[o] = math.Inf(-1), noServer
				}
				w.evaluate(tl, tl.Rect(), best, serv)
				seen := 0
				for o := range int32(n) {
					if !ch.serves(o) {
						continue
					}
					if seen++; seen%every != 0 {
						continue
					}
					if serv[o] == noServer {
						t.Fatalf("%s %s tile %d offset %d: served, but the tile's evaluation finds no site", id, e.rules[ti].tech, tix, o)
					}
					want := ch.sites[serv[o]].Key()
					if got := e.servingSite(ch, tl, ti, o); got != want {
						t.Fatalf("%s %s tile %d offset %d: serving site %v, the tile's evaluation %v", id, e.rules[ti].tech, tix, o, got, want)
					}
					compared++
					for _, s := range ch.sites {
						if s.SiteID == want.SiteID+"T" || want.SiteID == s.SiteID+"T" {
							ties++
							break
						}
					}
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("no served cell compared")
	}
	t.Logf("%d served cells compared (%d with a twin)", compared, ties)
	return ties
}

// twinSites returns n random sites of three carriers (randomSite, IDs S000…), every every-th
// with a twin on the same mast (ID + "T"), whose levels tie everywhere with its own.
func twinSites(rng *rand.Rand, n, every int) []data.Site {
	carriers := []string{"viettel", "vinaphone", "mobifone"}
	var sites []data.Site
	for i := range n {
		s := randomSite(rng, carriers[i%3], fmt.Sprintf("S%03d", i))
		sites = append(sites, s)
		if i%every == 0 {
			s.SiteID += "T"
			sites = append(sites, s)
		}
	}
	return sites
}
