package render

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"
)

// Fixture frame: small shapes near Trà Vinh city, 0.01° per unit (about 1.1 km).
const (
	lon0, lat0, unit = 106.3, 9.9, 0.01
)

// pt is the fixture point (x, y) in units east and north of (lon0, lat0).
func pt(x, y float64) orb.Point { return orb.Point{lon0 + x*unit, lat0 + y*unit} }

// ring is a closed ring through the fixture points (x0, y0, x1, y1, …).
func ring(xy ...float64) orb.Ring {
	var r orb.Ring
	for i := 0; i+1 < len(xy); i += 2 {
		r = append(r, pt(xy[i], xy[i+1]))
	}
	return append(r, r[0])
}

func TestToGeomWKT(t *testing.T) {
	// A 1×1 square drawn clockwise, and a 4×4 square with a 2×2 hole drawn counter-clockwise:
	//
	//	(0,1) +----+ (1,1)      (0,4) +------------+ (4,4)
	//	      | ↻  |                  |  +------+  |
	//	(0,0) +----+ (1,0)            |  | hole |  |
	//	                              |  |  ↺   |  |
	//	                              |  +------+  |
	//	                        (0,0) +------------+ (4,0)
	//
	// Expected WKT written by hand: exteriors counter-clockwise, holes clockwise, 6 decimals.
	cwSquare := orb.Ring{pt(0, 0), pt(0, 1), pt(1, 1), pt(1, 0), pt(0, 0)}
	holed := orb.Polygon{ring(0, 0, 4, 0, 4, 4, 0, 4), ring(1, 1, 3, 1, 3, 3, 1, 3)}
	cases := []struct {
		name string
		in   orb.Geometry
		want string
	}{
		{"point", orb.Point{106.3, 9.9}, "POINT (106.3 9.9)"},
		{"point rounded to 6 decimals", orb.Point{106.1234564999, 9.0000005}, "POINT (106.123456 9.000001)"},
		{"multipoint", orb.MultiPoint{{106.3, 9.9}, {106.31, 9.91}}, "MULTIPOINT (106.3 9.9, 106.31 9.91)"},
		{"linestring", orb.LineString{{106.3, 9.9}, {106.31, 9.9}}, "LINESTRING (106.3 9.9, 106.31 9.9)"},
		{"multilinestring", orb.MultiLineString{{{106.3, 9.9}, {106.31, 9.9}}, {{106.3, 9.91}, {106.3, 9.92}}},
			"MULTILINESTRING ((106.3 9.9, 106.31 9.9), (106.3 9.91, 106.3 9.92))"},
		{"clockwise exterior reversed", orb.Polygon{cwSquare},
			"POLYGON ((106.3 9.9, 106.31 9.9, 106.31 9.91, 106.3 9.91, 106.3 9.9))"},
		{"ring as polygon", cwSquare,
			"POLYGON ((106.3 9.9, 106.31 9.9, 106.31 9.91, 106.3 9.91, 106.3 9.9))"},
		{"unclosed ring closed", orb.Polygon{{pt(0, 0), pt(1, 0), pt(1, 1), pt(0, 1)}},
			"POLYGON ((106.3 9.9, 106.31 9.9, 106.31 9.91, 106.3 9.91, 106.3 9.9))"},
		{"bound", orb.Bound{Min: pt(0, 0), Max: pt(1, 1)},
			"POLYGON ((106.3 9.9, 106.31 9.9, 106.31 9.91, 106.3 9.91, 106.3 9.9))"},
		{"counter-clockwise hole reversed", holed,
			"POLYGON ((106.3 9.9, 106.34 9.9, 106.34 9.94, 106.3 9.94, 106.3 9.9), " +
				"(106.31 9.91, 106.31 9.93, 106.33 9.93, 106.33 9.91, 106.31 9.91))"},
		{"multipolygon", orb.MultiPolygon{{cwSquare}, holed},
			"MULTIPOLYGON (((106.3 9.9, 106.31 9.9, 106.31 9.91, 106.3 9.91, 106.3 9.9)), " +
				"((106.3 9.9, 106.34 9.9, 106.34 9.94, 106.3 9.94, 106.3 9.9), " +
				"(106.31 9.91, 106.31 9.93, 106.33 9.93, 106.33 9.91, 106.31 9.91)))"},
		{"empty multipolygon", orb.MultiPolygon{}, "MULTIPOLYGON EMPTY"},
		{"collection", orb.Collection{orb.Point{106.3, 9.9}, orb.LineString{{106.3, 9.9}, {106.31, 9.9}}},
			"GEOMETRYCOLLECTION (POINT (106.3 9.9), LINESTRING (106.3 9.9, 106.31 9.9))"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ToGeom(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if g.SRID() != 4326 {
				t.Errorf("SRID %d, want 4326", g.SRID())
			}
			if g.Layout() != geom.XY {
				t.Errorf("layout %v, want XY", g.Layout())
			}
			got, err := wkt.Marshal(g, wkt.EncodeOptionWithMaxDecimalDigits(6))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestToGeomDoesNotModifyInput(t *testing.T) {
	in := orb.Polygon{{pt(0, 0), pt(0, 1), pt(1, 1), pt(1, 0), pt(0, 0)}}
	before := slices.Clone(in[0])
	if _, err := ToGeom(in); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in[0], before) {
		t.Errorf("input ring changed: %v", in[0])
	}
}

func TestToGeomErrors(t *testing.T) {
	cases := []struct {
		name string
		in   orb.Geometry
	}{
		{"NaN point", orb.Point{math.NaN(), 9.9}},
		{"infinite vertex", orb.LineString{{106.3, 9.9}, {math.Inf(1), 9.9}}},
		{"one-point line", orb.LineString{{106.3, 9.9}}},
		{"ring of three points once closed", orb.Polygon{{pt(0, 0), pt(1, 0), pt(0, 0)}}},
		{"empty ring", orb.Polygon{{}}},
		{"nil collection member", orb.Collection{nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToGeom(tc.in)
			if !errors.Is(err, ErrGeometry) {
				t.Fatalf("err = %v, want ErrGeometry", err)
			}
		})
	}
	if g, err := ToGeom(nil); g != nil || err != nil {
		t.Errorf("ToGeom(nil) = %v, %v; want nil, nil", g, err)
	}
}

// randomStar is a star-shaped polygon around c, counter-clockwise (angles increasing), with
// n vertices at random radii up to r degrees, and a clockwise triangular hole around c.
func randomStar(rng *rand.Rand, c orb.Point, n int, r float64) orb.Polygon {
	var ext orb.Ring
	for i := range n {
		a := 2 * math.Pi * (float64(i) + 0.2 + 0.6*rng.Float64()) / float64(n)
		d := r * (0.5 + 0.5*rng.Float64())
		ext = append(ext, orb.Point{c[0] + d*math.Cos(a), c[1] + d*math.Sin(a)})
	}
	ext = append(ext, ext[0])
	h := r * 0.1
	hole := orb.Ring{{c[0] + h, c[1]}, {c[0] - h/2, c[1] - h}, {c[0] - h/2, c[1] + h}, {c[0] + h, c[1]}}
	return orb.Polygon{ext, hole}
}

func roundPoints(ps []orb.Point) []orb.Point {
	out := make([]orb.Point, len(ps))
	for i, p := range ps {
		out[i] = orb.Point{round6(p[0]), round6(p[1])}
	}
	return out
}

// TestWKTRoundTrip encodes random oriented polygons with go-geom's WKT encoder, decodes them
// with wkt.Unmarshal and compares every vertex with the orb input rounded to 6 decimals.
func TestWKTRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for k := range 200 {
		mp := orb.MultiPolygon{
			randomStar(rng, orb.Point{106 + rng.Float64(), 9.5 + rng.Float64()}, 3+rng.IntN(40), 0.001+0.05*rng.Float64()),
			randomStar(rng, orb.Point{107 + rng.Float64(), 9.5 + rng.Float64()}, 3+rng.IntN(40), 0.001+0.05*rng.Float64()),
		}
		g, err := ToGeom(mp)
		if err != nil {
			t.Fatalf("case %d: %v", k, err)
		}
		s, err := wkt.Marshal(g, wkt.EncodeOptionWithMaxDecimalDigits(6))
		if err != nil {
			t.Fatal(err)
		}
		back, err := wkt.Unmarshal(s)
		if err != nil {
			t.Fatalf("case %d: %v\n%s", k, err, s)
		}
		got := back.(*geom.MultiPolygon)
		if got.NumPolygons() != len(mp) {
			t.Fatalf("case %d: %d polygons, want %d", k, got.NumPolygons(), len(mp))
		}
		for i, p := range mp {
			gp := got.Polygon(i)
			for j, r := range p {
				want := roundPoints(r)
				lr := gp.LinearRing(j)
				if lr.NumCoords() != len(want) {
					t.Fatalf("case %d polygon %d ring %d: %d points, want %d", k, i, j, lr.NumCoords(), len(want))
				}
				for v, w := range want {
					if c := lr.Coord(v); c[0] != w[0] || c[1] != w[1] {
						t.Fatalf("case %d polygon %d ring %d vertex %d: %v, want %v", k, i, j, v, c, w)
					}
				}
			}
		}
	}
}

func TestLabelPoint(t *testing.T) {
	// The U (area 7, centroid (1.5, 9.5/7) in the notch) and the holed square (centroid (2, 2)
	// in the hole) fall back to the scan line: bounding-box middle y moved half way between the
	// nearest vertex latitudes (U: between 1 and 3 → y = 2; holed: between 1 and 3 → y = 2),
	// crossings sorted, widest run first found (both runs are 1 wide) → x = 0.5.
	//
	//	 U:  (0,3) +--+   +--+ (3,3)        holed: 4×4 with a 2×2 hole in the middle
	//	           |  |   |  |
	//	           |  +---+  |  (1,1)-(2,1)
	//	     (0,0) +---------+ (3,0)
	u := orb.Polygon{ring(0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3)}
	holed := orb.Polygon{ring(0, 0, 4, 0, 4, 4, 0, 4), ring(1, 1, 1, 3, 3, 3, 3, 1)}
	cases := []struct {
		name   string
		in     orb.Geometry
		want   orb.Point
		wantOK bool
	}{
		{"square: area centroid", orb.Polygon{ring(0, 0, 2, 0, 2, 2, 0, 2)}, pt(1, 1), true},
		{"triangle: area centroid", orb.Polygon{ring(0, 0, 3, 0, 0, 3)}, pt(1, 1), true},
		{"U: centroid in the notch, scan line", u, pt(0.5, 2), true},
		{"centroid in the hole, scan line", holed, pt(0.5, 2), true},
		{"multipolygon: the largest polygon's centroid", orb.MultiPolygon{{ring(10, 10, 11, 10, 11, 11, 10, 11)}, {ring(0, 0, 2, 0, 2, 2, 0, 2)}}, pt(1, 1), true},
		{"line: no label", orb.LineString{pt(0, 0), pt(1, 1)}, orb.Point{}, false},
		{"empty multipolygon: no label", orb.MultiPolygon{}, orb.Point{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ToGeom(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := LabelPoint(g)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			want := orb.Point{round6(tc.want[0]), round6(tc.want[1])}
			if c[0] != want[0] || c[1] != want[1] {
				t.Errorf("label %v, want %v", c, want)
			}
			if p, isPoly := tc.in.(orb.Polygon); isPoly && !planar.PolygonContains(p, orb.Point{c[0], c[1]}) {
				t.Errorf("label %v outside the polygon (orb planar test)", c)
			}
		})
	}
}

// TestLabelPointInside checks on random star polygons with a hole around their centre that
// the label is strictly inside (orb's planar test, independent of go-geom).
func TestLabelPointInside(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for k := range 300 {
		p := randomStar(rng, orb.Point{106.3, 9.9}, 3+rng.IntN(30), 0.01+0.05*rng.Float64())
		g, err := ToGeom(p)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := LabelPoint(g)
		if !ok || !planar.PolygonContains(rounded6(p), orb.Point{c[0], c[1]}) {
			t.Fatalf("case %d: label %v (ok %v) not inside %v", k, c, ok, p)
		}
	}
}

// TestLabelPointRoundingStaysInside is the star TestLabelPointInside drew with seed
// 1796423125082823425: its centroid lies 3e-7° east of the hole's west edge, inside the hole
// of the polygon as drawn but outside it once ToGeom has rounded the vertices to 6 decimals
// (the polygon the exports write, and the one the label must be inside).
func TestLabelPointRoundingStaysInside(t *testing.T) {
	p := orb.Polygon{
		{{106.32193057811529, 9.906735379843584}, {106.31255385850307, 9.914622715323006}, {106.30438100817778, 9.913125741418312},
			{106.29580232742765, 9.92302834774243}, {106.28314959967177, 9.918885695674922}, {106.28105657056943, 9.90247267539284},
			{106.28629588568344, 9.894393089417983}, {106.28526977808299, 9.884285786426322}, {106.29217184412332, 9.8790264736515},
			{106.30344793666029, 9.876086404823777}, {106.30823757182448, 9.888794113271464}, {106.31518676857974, 9.89542053701737},
			{106.32193057811529, 9.906735379843584}},
		{{106.30263886145809, 9.9}, {106.29868056927094, 9.897361138541905}, {106.29868056927094, 9.902638861458096}, {106.30263886145809, 9.9}},
	}
	g, err := ToGeom(p)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := LabelPoint(g)
	if !ok || !planar.PolygonContains(rounded6(p), orb.Point{c[0], c[1]}) {
		t.Fatalf("label %v (ok %v) not inside", c, ok)
	}
}

// rounded6 is p with its coordinates rounded to 6 decimals, as ToGeom writes them.
func rounded6(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = make(orb.Ring, len(r))
		for j, q := range r {
			out[i][j] = orb.Point{round6(q[0]), round6(q[1])}
		}
	}
	return out
}
