package geo

import (
	"fmt"
	"testing"

	"github.com/paulmach/orb"
)

// TestContourCollinearRuns pins the exact vertices of two rings whose straight runs meet the
// trace's start (the lowest row's westmost crossing), where "exactly collinear vertices are
// removed" is done by two different loops: while tracing (a run leaving the start) and when the
// ring is closed (a run passing through the start). Every vertex below is hand-computed from the
// crossing rule t = (level − a)/(b − a), ½ toward a virtual sample; 1 m cells from the origin,
// samples at (i + ½, j + ½), rows drawn north first.
func TestContourCollinearRuns(t *testing.T) {
	cases := []struct {
		name  string
		grid  [][]float32
		level float32
		want  orb.Ring
	}{
		// The blob (1, 1), (2, 1). Start (1, 1.5) on edge (0,1)→(1,1) (t ½), then the crossings
		// below it: (1.5, 1.25) on (1,0)→(1,1) (−3 → 1, t ¾) and (2.5, 0.75) on (2,0)→(2,1)
		// (−1 → 3, t ¼), all three on y = 2 − x/2: the middle one goes. Then (3.25, 1.5) on
		// (2,1)→(3,1) (3 → −1, t ¾), (2.5, 2.25) on (2,1)→(2,2) (t ¾), (1.5, 2) on (1,1)→(1,2)
		// (t ½).
		{"run-leaving-start", [][]float32{
			{-1, -1, -1, -1},
			{-1, 1, 3, -1},
			{-1, -3, -1, -1},
		}, 0, orb.Ring{{1, 1.5}, {2.5, 0.75}, {3.25, 1.5}, {2.5, 2.25}, {1.5, 2}, {1, 1.5}}},
		// value = i + j, level 2.5: inside (2, 1), (1, 2), (2, 2). Every crossing between a sum-2
		// and a sum-3 sample is at t ½, on the line x + y = 3.5: (1, 2.5), (1.5, 2), (2, 1.5) (the
		// start, on edge (1,1)→(2,1)) and (2.5, 1). The start is inside that run, so the ring
		// starts at the run's next vertex, (2.5, 1). Toward the virtual samples: (3, 1.5), (3, 2.5)
		// and (2.5, 3), (1.5, 3); the NE corner is cut by a half-cell diagonal.
		{"run-through-start", [][]float32{
			{2, 3, 4},
			{1, 2, 3},
			{0, 1, 2},
		}, 2.5, orb.Ring{{2.5, 1}, {3, 1.5}, {3, 2.5}, {2.5, 3}, {1.5, 3}, {1, 2.5}, {2.5, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, vals := rows(c.grid...)
			mp := ContourPolygons(g, vals, c.level)
			checkContour(t, g, vals, c.level, mp)
			if len(mp) != 1 || len(mp[0]) != 1 {
				t.Fatalf("want one polygon without holes, got %v", mp)
			}
			if got := mp[0][0]; fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("ring\n got %v\nwant %v", got, c.want)
			}
		})
	}
}
