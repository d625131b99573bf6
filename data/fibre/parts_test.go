package fibre

import (
	"errors"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"phusong/geo"
)

// half returns the west (i < nx/2) or east window of land l's grid as a Land whose raster keeps
// only commune own's cells.
func half(l *testLand, east bool, own int32) *testLand {
	g := l.g
	w := geo.Grid{X0M: g.X0M, Y0M: g.Y0M, CellM: g.CellM, NX: g.NX / 2, NY: g.NY}
	i0 := 0
	if east {
		i0 = g.NX / 2
		w.X0M, w.NX = g.X0M+float64(i0)*g.CellM, g.NX-i0
	}
	out := &testLand{g: w, tm: l.tm, communes: l.communes, raster: make([]int32, w.Len())}
	for j := range w.NY {
		for i := range w.NX {
			out.raster[w.Index(i, j)] = -1
			if ci := l.raster[g.Index(i0+i, j)]; ci == own {
				out.raster[w.Index(i, j)] = ci
			}
		}
	}
	return out
}

// TestPartsEqualCompute: a 4 × 4 km land of two communes (A west of x = 0, B east) cut into two
// regions, each owning one commune (and a third without land); a route across both, an access point 1.5 km east (out of
// the west region's reach: Add leaves it out there) and a feeder. The joined figures equal
// Compute's on the whole land field by field, and the joined polygons' area is Compute's within
// 0.1 % (the route's buffer is cut along x = 0 and joined again).
//
//	A (region 0)   |   B (region 1)
//	      ─────────┼─────────          route, y = 0, from x = −1000 to 1000
//	               |        ·          access point (1500, 500)
func TestPartsEqualCompute(t *testing.T) {
	land := squareLand(4000, 4000, 10, func(x float64) bool { return x < 0 })
	net := &Network{
		Routes: []Route{
			{"vinaphone", "R", Distribution, land.lonLat(orb.Point{-1000, 0}, orb.Point{1000, 0})},
			{"viettel", "F", Feeder, land.lonLat(orb.Point{-1500, -1500}, orb.Point{-1500, 1500})},
		},
		AccessPoints: []AccessPoint{{Operator: "viettel", ID: "AP", Point: land.lonLat(orb.Point{1500, 500})[0]}},
	}
	want, err := Compute(land, net, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParts(land.g, land.tm, land.communes, net, Options{}, 3) // region 2 stays empty
	if err != nil {
		t.Fatal(err)
	}
	west, east := half(land, false, 0), half(land, true, 1)
	if n := p.near(west.g); len(n.AccessPoints) != 0 || len(n.Routes) != 2 {
		t.Errorf("near the west region: %d routes, %d access points; want 2 and none", len(n.Routes), len(n.AccessPoints))
	}
	if err := p.Add(1, east, []int{-1, 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Join(); !errors.Is(err, ErrLand) {
		t.Errorf("joined without commune A: %v, want ErrLand", err)
	}
	if err := p.Add(0, west, []int{0, -1}); err != nil {
		t.Fatal(err)
	}
	got, err := p.Join()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Communes(), want.Communes()) || !reflect.DeepEqual(got.Operators(), want.Operators()) {
		t.Errorf("joined rows\n%+v\nCompute's\n%+v", got.Communes(), want.Communes())
	}
	if want.Province().InReachCells == 0 || len(want.Province().Operators) != 2 {
		t.Fatalf("the whole land's reach %+v: the comparison sees too little", want.Province())
	}
	for _, op := range []string{"vinaphone", "viettel", AnyOperator} {
		wp, _ := want.Polygons(op)
		gp, err := got.Polygons(op)
		if err != nil {
			t.Fatal(err)
		}
		within(t, op+" polygons' area m²", geo.PlanarAreaM2(gp), geo.PlanarAreaM2(wp), 0.001)
	}
	for _, tc := range []struct {
		name  string
		ri    int
		land  *testLand
		whole []int
	}{
		{"a region twice", 1, east, []int{-1, 1}},
		{"a commune twice", 2, west, []int{0, -1}},
		{"no such region", 3, west, []int{0, -1}},
		{"indexes not of the land's communes", 0, west, []int{0}},
	} {
		if err := p.Add(tc.ri, tc.land, tc.whole); !errors.Is(err, ErrLand) {
			t.Errorf("%s: %v, want ErrLand", tc.name, err)
		}
	}
	if _, err := NewParts(land.g, land.tm, land.communes, net, Options{DropM: -1}, 2); !errors.Is(err, ErrOptions) {
		t.Errorf("a negative drop distance: %v, want ErrOptions", err)
	}
}

// TestPartsFar: with a network only in the far west (a route at x = −1800, more than DropM + 2
// cells from the east region's window), the east region is not near it and is added from its
// land cells alone (AddFar); the joined figures still equal Compute's, including B's land.
func TestPartsFar(t *testing.T) {
	land := squareLand(4000, 4000, 10, func(x float64) bool { return x < 0 })
	net := &Network{Routes: []Route{{"vinaphone", "R", Distribution, land.lonLat(orb.Point{-1800, -1000}, orb.Point{-1800, 1000})}}}
	want, err := Compute(land, net, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParts(land.g, land.tm, land.communes, net, Options{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	west, east := half(land, false, 0), half(land, true, 1)
	if !p.Near(west.g) || p.Near(east.g) {
		t.Fatalf("near the west region %v, the east one %v: want true, false", p.Near(west.g), p.Near(east.g))
	}
	eastCells := 0
	for _, ci := range east.raster {
		if ci == 1 {
			eastCells++
		}
	}
	if err := p.Add(0, west, []int{0, -1}); err != nil {
		t.Fatal(err)
	}
	if err := p.AddFar(1, []int{1}, []int{eastCells}); err != nil {
		t.Fatal(err)
	}
	got, err := p.Join()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Communes(), want.Communes()) || want.Communes()[1].LandCells == 0 || want.Communes()[0].InReachCells == 0 {
		t.Errorf("joined rows\n%+v\nCompute's\n%+v", got.Communes(), want.Communes())
	}
	if err := p.AddFar(1, []int{1}, nil); !errors.Is(err, ErrLand) {
		t.Errorf("land cells missing: %v, want ErrLand", err)
	}
}
