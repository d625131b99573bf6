package coverage

import (
	"context"
	"math"
	"slices"
	"testing"

	"phusong/data"
)

// TestSiteCellsMatchCompute: for each site of the small case alone, SiteCells lists exactly
// the land cells Compute finds covered outdoors with that site as the only one on air (the
// site's carrier's field at or above the required level), planned status ignored; a want
// filter keeps a subset.
func TestSiteCellsMatchCompute(t *testing.T) {
	e, _ := smallCase(t, 50)
	for _, s := range smallSites() {
		for _, tech := range data.AnalysedTechs {
			r, err := e.Compute(context.Background(), storeWith(t, e, []data.Site{s}).Snapshot())
			if err != nil {
				t.Fatal(err)
			}
			req, _ := e.RequiredDBm(tech, false)
			var want []int32
			if f := r.Field(s.Carrier, tech); f != nil {
				for k, v := range f {
					if !math.IsNaN(float64(v)) && float64(v) >= req {
						want = append(want, int32(k))
					}
				}
			}
			planned := s
			planned.Status = data.StatusPlanned
			got, err := e.SiteCells(&planned, tech, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s %s: SiteCells %d cells, Compute %d", s.SiteID, tech, len(got), len(want))
			}
			even, err := e.SiteCells(&planned, tech, func(k int) bool { return k%2 == 0 })
			if err != nil {
				t.Fatal(err)
			}
			var evens []int32
			for _, k := range want {
				if k%2 == 0 {
					evens = append(evens, k)
				}
			}
			if !slices.Equal(even, evens) {
				t.Fatalf("%s %s: filtered %d cells, want %d", s.SiteID, tech, len(even), len(evens))
			}
		}
	}
}

// TestCellPeopleSumsToCensus: without a population grid every commune's census is spread over
// its land cells, so the cells add up to the province's census.
func TestCellPeopleSumsToCensus(t *testing.T) {
	e, _ := smallCase(t, 50)
	var sum float64
	for _, p := range e.CellPeople() {
		sum += p
	}
	census := 0
	for _, c := range e.Communes() {
		census += c.Population
	}
	if math.Abs(sum-float64(census)) > 1e-6*float64(census) {
		t.Fatalf("cells hold %g people, census %d", sum, census)
	}
}
