package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// Expected coordinates and scale factors come from PROJ 9.1.1 through pyproj 3.4.1 (Debian
// python3-pyproj): Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat) and
// Proj(crs).get_factors(lon, lat).meridional_scale, with crs EPSG:32648 (UTM 48N), EPSG:32748
// (UTM 48S) and "+proj=tmerc +lon_0=106.25 +lat_0=9.8 +k=1 +ellps=WGS84" (local).
func TestTMForward(t *testing.T) {
	const tolM, tolK, tolDeg = 1e-3, 1e-9, 1e-8
	utm, local := UTM(48, true), NewLocalTM(106.25, 9.8)
	cases := []struct {
		name   string
		tm     TransverseMercator
		ll, xy orb.Point
		k      float64
	}{
		{"travinh-city", utm, orb.Point{106.342, 9.9347}, orb.Point{647119.1786, 1098489.9987}, 0.999867829589},
		{"cm-equator", utm, orb.Point{105.0, 0.0}, orb.Point{500000.0000, 0.0000}, 0.999600000051},
		{"province-sw", utm, orb.Point{105.85, 9.45}, orb.Point{593311.8271, 1044717.1880}, 0.999707745207},
		{"province-ne", utm, orb.Point{106.65, 10.15}, orb.Point{680772.6323, 1122455.8941}, 1.000004378349},
		{"hcmc", utm, orb.Point{106.6297, 10.8231}, orb.Point{678162.4846, 1196895.5152}, 0.999992762226},
		{"zone-edge-108", utm, orb.Point{108.0, 12.0}, orb.Point{826714.5914, 1328333.1835}, 1.000920858471},
		{"far-3deg-lat20", utm, orb.Point{108.0, 20.0}, orb.Point{813926.3204, 2214294.0263}, 1.000818251133},
		{"utm48s", UTM(48, false), orb.Point{106.8, -6.2}, orb.Point{699163.3906, 9314348.9616}, 1.000090976662},
		{"local-centre", local, orb.Point{106.25, 9.8}, orb.Point{0, 0}, 1.000000000045},
		{"local-ne", local, orb.Point{106.65, 10.15}, orb.Point{43835.8191, 38739.6266}, 1.000023767294},
		{"local-sw", local, orb.Point{105.85, 9.45}, orb.Point{-43927.8247, -38686.6880}, 1.000023868475},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.tm.Forward(c.ll)
			if math.Abs(got[0]-c.xy[0]) > tolM || math.Abs(got[1]-c.xy[1]) > tolM {
				t.Errorf("Forward(%v) = %.4f, want %.4f", c.ll, got, c.xy)
			}
			if k := c.tm.ScaleFactor(c.ll); math.Abs(k-c.k) > tolK {
				t.Errorf("ScaleFactor(%v) = %.12f, want %.12f", c.ll, k, c.k)
			}
			back := c.tm.Inverse(c.xy)
			if math.Abs(back[0]-c.ll[0]) > tolDeg || math.Abs(back[1]-c.ll[1]) > tolDeg {
				t.Errorf("Inverse(%v) = %.10f, want %.10f", c.xy, back, c.ll)
			}
		})
	}
}

func TestUTMZone(t *testing.T) {
	cases := []struct {
		name   string
		lonDeg float64
		want   int
	}{
		{"travinh", 106.34, 48},
		{"west-edge-of-48", 102, 48},
		{"just-below-102", 101.999, 47},
		{"minus-180", -180, 1},
		{"plus-180-wraps", 180, 1},
		{"179.9", 179.9, 60},
		{"greenwich", 0, 31},
		{"greenwich-west", -0.001, 30},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := UTMZone(c.lonDeg); got != c.want {
				t.Errorf("UTMZone(%v) = %d, want %d", c.lonDeg, got, c.want)
			}
			if cm := UTM(c.want, true).Lon0Deg; math.Abs(math.Remainder(c.lonDeg-cm, 360)) > 3 {
				t.Errorf("zone %d central meridian %v is more than 3° from %v", c.want, cm, c.lonDeg)
			}
		})
	}
}

// TestTMRoundTrip checks Inverse(Forward(p)) == p within 1e-9° for random points within 5° of the
// central meridian, and ForwardGeometry/InverseGeometry leave their input untouched.
func TestTMRoundTrip(t *testing.T) {
	seed := uint64(7)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	tm := NewLocalTM(106.25, 9.8)
	for i := 0; i < 5000; i++ {
		p := orb.Point{106.25 + rng.Float64()*10 - 5, rng.Float64()*170 - 85}
		q := tm.Inverse(tm.Forward(p))
		if math.Abs(q[0]-p[0]) > 1e-9 || math.Abs(q[1]-p[1]) > 1e-9 {
			t.Fatalf("case %d: round trip %.12f -> %.12f", i, p, q)
		}
	}
	poly := orb.Polygon{{{105.85, 9.45}, {106.65, 9.45}, {106.65, 10.15}, {105.85, 9.45}}}
	orig := orb.Clone(poly).(orb.Polygon)
	fwd := tm.ForwardGeometry(poly).(orb.Polygon)
	if !poly.Equal(orig) {
		t.Fatal("ForwardGeometry modified its input")
	}
	back := tm.InverseGeometry(fwd).(orb.Polygon)
	for i, p := range back[0] {
		if d := DistanceM(p, poly[0][i]); d > 1e-6 {
			t.Errorf("vertex %d moved %.3g m through ForwardGeometry/InverseGeometry", i, d)
		}
	}
	if tm.ForwardGeometry(nil) != nil || tm.InverseGeometry(nil) != nil {
		t.Error("nil geometry should give nil")
	}
}

// TestTMScaleMatchesGeodesic checks the conformal scale against an independent measure: the ratio
// of a short projected distance to its geodesic length (DistanceM), in several directions.
func TestTMScaleMatchesGeodesic(t *testing.T) {
	tm := UTM(48, true)
	cases := []struct {
		name string
		p    orb.Point
	}{
		{"travinh", orb.Point{106.342, 9.9347}},
		{"zone-edge", orb.Point{108, 12}},
		{"west", orb.Point{102.5, -20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := tm.ScaleFactor(c.p)
			for _, az := range []float64{0, 45, 90, 200} {
				q := DestinationPoint(c.p, az, 10)
				a, b := tm.Forward(c.p), tm.Forward(q)
				got := math.Hypot(a[0]-b[0], a[1]-b[1]) / DistanceM(c.p, q)
				if math.Abs(got-k) > 1e-7 {
					t.Errorf("az %v: projected/geodesic = %.10f, ScaleFactor = %.10f", az, got, k)
				}
			}
		})
	}
}

func BenchmarkTMForward(b *testing.B) {
	b.ReportAllocs()
	tm := NewLocalTM(106.25, 9.8)
	p := orb.Point{106.342, 9.9347}
	for b.Loop() {
		tm.Forward(p)
	}
}
