package store

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// Hand arithmetic used below (WGS84, a = 6378137 m, e² = 0.00669437999014):
//   - along the equator (a geodesic) 0.01° of longitude is a·π/180·0.01 = 1113.19490793 m;
//   - along a meridian near the equator 0.01° of latitude is a(1−e²)·π/180·0.01 = 1105.74276 m
//     (M grows by 1.5e²φ², < 1e-9 relative here);
//   - near a pole 0.01° of latitude is a/√(1−e²)·π/180·0.01 = 1116.9398 m.
const (
	equator001M  = 1113.19490793
	meridian001M = 1105.74276
	polar001M    = 1116.9398
)

var storeSeed = flag.Uint64("store.seed", 0, "seed of the store's random tests (0: from the clock)")

// testSeed returns the seed of a random test and logs it.
func testSeed(t *testing.T) uint64 {
	seed := *storeSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -store.seed=%d)", seed, seed)
	return seed
}

// heightReach is the tests' ReachFunc: 100 m of reach per metre of antenna height, so that
// tests set a site's reach through HeightM.
func heightReach(s *data.Site) float64 { return s.HeightM * 100 }

func testSite(carrier, id string, lon, lat float64, techs ...data.Tech) data.Site {
	s := data.Site{Carrier: carrier, SiteID: id, Lon: lon, Lat: lat, HeightM: 20, Status: data.StatusActive}
	for _, t := range techs {
		s.Sectors = append(s.Sectors, data.Sector{Tech: t, BandMHz: 1800, Omni: true, PowerDBm: 43})
	}
	return s
}

func keyString(k data.SiteKey) string { return k.Carrier + "/" + k.SiteID }

func siteKeys(sites []*data.Site) []string {
	out := make([]string, len(sites))
	for i, s := range sites {
		out[i] = keyString(s.Key())
	}
	return out
}

func mustStore(t testing.TB, sites ...data.Site) *Store {
	t.Helper()
	st := New(heightReach)
	if _, err := st.Upsert(sites); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStoreWrites(t *testing.T) {
	base := []data.Site{
		testSite("vt", "A", 106.30, 9.90, data.Tech4G),
		testSite("vt", "B", 106.31, 9.91, data.Tech3G),
		testSite("vn", "D", 106.32, 9.92, data.Tech4G),
	}
	moved := base[0]
	moved.Lat += 0.001
	nanLat := testSite("vt", "X", 106.3, math.NaN())
	cases := []struct {
		name                string
		op                  func(st *Store) (Change, error)
		wantErr             error
		wantIndex           int
		wantField           string
		added, removed, mod int
		wantKeys            []string // after the write
	}{
		{name: "upsert adds", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{testSite("mf", "M1", 106.2, 9.8), testSite("vt", "C", 106.2, 9.8)})
		}, added: 2, wantKeys: []string{"mf/M1", "vn/D", "vt/A", "vt/B", "vt/C"}},
		{name: "upsert identical is not a change", op: func(st *Store) (Change, error) {
			return st.Upsert(base[:2])
		}, wantKeys: []string{"vn/D", "vt/A", "vt/B"}},
		{name: "upsert moves", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{moved})
		}, mod: 1, wantKeys: []string{"vn/D", "vt/A", "vt/B"}},
		{name: "upsert duplicate in call", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{testSite("vt", "Z", 106, 10), base[2], testSite("vt", "Z", 106, 10)})
		}, wantErr: ErrDuplicateSite, wantIndex: 2},
		{name: "upsert NaN lat", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{testSite("vt", "Y", 106, 10), nanLat})
		}, wantErr: ErrInvalidSite, wantIndex: 1, wantField: "lat"},
		{name: "upsert lon beyond 180", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{testSite("vt", "Y", 180.5, 10)})
		}, wantErr: ErrInvalidSite, wantField: "lon"},
		{name: "upsert empty site id", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{testSite("vt", "", 106, 10)})
		}, wantErr: ErrInvalidSite, wantField: "site_id"},
		{name: "upsert empty carrier", op: func(st *Store) (Change, error) {
			return st.Upsert([]data.Site{testSite("", "Q", 106, 10)})
		}, wantErr: ErrInvalidSite, wantField: "carrier"},
		{name: "upsert infinite height", op: func(st *Store) (Change, error) {
			s := testSite("vt", "Q", 106, 10)
			s.HeightM = math.Inf(1)
			return st.Upsert([]data.Site{s})
		}, wantErr: ErrInvalidSite, wantField: "height_m"},
		{name: "upsert negative reach", op: func(st *Store) (Change, error) {
			s := testSite("vt", "Q", 106, 10)
			s.HeightM = -1 // heightReach gives -100 m
			return st.Upsert([]data.Site{s})
		}, wantErr: ErrInvalidSite, wantField: "reach"},
		{name: "replace carrier", op: func(st *Store) (Change, error) {
			return st.ReplaceCarrier("vt", []data.Site{moved, testSite("vt", "C", 106.2, 9.8)})
		}, added: 1, removed: 1, mod: 1, wantKeys: []string{"vn/D", "vt/A", "vt/C"}},
		{name: "replace carrier with nothing", op: func(st *Store) (Change, error) {
			return st.ReplaceCarrier("vt", nil)
		}, removed: 2, wantKeys: []string{"vn/D"}},
		{name: "replace unknown carrier adds it", op: func(st *Store) (Change, error) {
			return st.ReplaceCarrier("mf", []data.Site{testSite("mf", "M1", 106.2, 9.8)})
		}, added: 1, wantKeys: []string{"mf/M1", "vn/D", "vt/A", "vt/B"}},
		{name: "replace carrier mismatch", op: func(st *Store) (Change, error) {
			return st.ReplaceCarrier("vt", []data.Site{base[0], base[2]})
		}, wantErr: ErrInvalidSite, wantIndex: 1, wantField: "carrier"},
		{name: "replace carrier duplicate", op: func(st *Store) (Change, error) {
			return st.ReplaceCarrier("vt", []data.Site{base[0], base[1], moved})
		}, wantErr: ErrDuplicateSite, wantIndex: 2},
		{name: "delete", op: func(st *Store) (Change, error) {
			return st.Delete([]data.SiteKey{{Carrier: "vt", SiteID: "B"}, {Carrier: "vn", SiteID: "D"}})
		}, removed: 2, wantKeys: []string{"vt/A"}},
		{name: "delete unknown", op: func(st *Store) (Change, error) {
			return st.Delete([]data.SiteKey{{Carrier: "vt", SiteID: "B"}, {Carrier: "vt", SiteID: "nope"}})
		}, wantErr: ErrSiteNotFound, wantIndex: 1},
		{name: "delete repeated", op: func(st *Store) (Change, error) {
			return st.Delete([]data.SiteKey{{Carrier: "vt", SiteID: "B"}, {Carrier: "vn", SiteID: "D"}, {Carrier: "vt", SiteID: "B"}})
		}, wantErr: ErrDuplicateSite, wantIndex: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := mustStore(t, base...)
			before := st.Snapshot()
			ch, err := tc.op(st)
			if tc.wantErr != nil {
				var se *SiteError
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &se) {
					t.Fatalf("err = %v, want a *SiteError wrapping %v", err, tc.wantErr)
				}
				if se.Index != tc.wantIndex || se.Field != tc.wantField {
					t.Errorf("error names #%d %q, want #%d %q (%v)", se.Index, se.Field, tc.wantIndex, tc.wantField, err)
				}
				if st.Snapshot() != before || st.Version() != 1 {
					t.Errorf("a failed write changed the store (version %d)", st.Version())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Version != 2 || st.Version() != 2 || st.Snapshot().Version() != 2 {
				t.Errorf("versions: change %d, store %d, snapshot %d; want 2", ch.Version, st.Version(), st.Snapshot().Version())
			}
			if ch.Added != tc.added || ch.Removed != tc.removed || ch.Modified != tc.mod ||
				len(ch.Affected) != tc.added+tc.removed+tc.mod {
				t.Errorf("change +%d -%d ~%d (%d affected), want +%d -%d ~%d",
					ch.Added, ch.Removed, ch.Modified, len(ch.Affected), tc.added, tc.removed, tc.mod)
			}
			if got := siteKeys(st.Snapshot().Sites(Filter{})); !slices.Equal(got, tc.wantKeys) {
				t.Errorf("sites %v, want %v", got, tc.wantKeys)
			}
		})
	}
}

func TestStoreRejectsEmptyCarrierArgument(t *testing.T) {
	st := New(nil)
	if _, err := st.ReplaceCarrier("", nil); !errors.Is(err, ErrInvalidSite) {
		t.Errorf("err = %v, want ErrInvalidSite", err)
	}
	if st.Version() != 0 {
		t.Errorf("version %d after a failed write, want 0", st.Version())
	}
}

func TestSiteErrorMessage(t *testing.T) {
	st := New(nil)
	_, err := st.Upsert([]data.Site{testSite("vt", "A", 106, 10), testSite("vt", "TV-017", 106, math.NaN())})
	want := "data: site #1 vt/TV-017 lat: invalid site: NaN is outside -90..90°"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	_, err = st.Delete([]data.SiteKey{{Carrier: "vt", SiteID: "TV-017"}})
	if want := "data: site #0 vt/TV-017: site not found"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// TestChangeAffected checks the before/after views of a write and that an unchanged site keeps
// its *Site from one snapshot to the next.
func TestChangeAffected(t *testing.T) {
	st := mustStore(t, testSite("vt", "A", 106.30, 9.90), testSite("vt", "B", 106.31, 9.91))
	s1 := st.Snapshot()
	a1, _ := s1.Site(data.SiteKey{Carrier: "vt", SiteID: "A"})
	b1, _ := s1.Site(data.SiteKey{Carrier: "vt", SiteID: "B"})
	movedB := testSite("vt", "B", 106.35, 9.95)
	ch, err := st.ReplaceCarrier("vt", []data.Site{testSite("vt", "A", 106.30, 9.90), movedB, testSite("vt", "C", 106, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Affected) != 2 {
		t.Fatalf("affected %+v, want B modified and C added", ch.Affected)
	}
	if d := ch.Affected[0]; d.Before != b1 || d.After == nil || d.After.Lon != 106.35 {
		t.Errorf("B delta %+v, want before = the old *Site and after moved", d)
	}
	if d := ch.Affected[1]; d.Before != nil || d.After == nil || d.After.SiteID != "C" {
		t.Errorf("C delta %+v, want added", d)
	}
	if a2, _ := st.Snapshot().Site(data.SiteKey{Carrier: "vt", SiteID: "A"}); a2 != a1 {
		t.Error("an unchanged site got a new *Site")
	}
	ch, err = st.Delete([]data.SiteKey{{Carrier: "vt", SiteID: "C"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Affected) != 1 || ch.Affected[0].After != nil || ch.Affected[0].Before.SiteID != "C" {
		t.Errorf("delete delta %+v", ch.Affected)
	}
}

// TestSameEntryComparesEveryField perturbs each field of Site in turn: sameEntry must see it,
// or a write changing that field would be dropped as "unchanged".
func TestSameEntryComparesEveryField(t *testing.T) {
	base := testSite("vt", "A", 106, 10, data.Tech4G)
	rt := reflect.TypeOf(base)
	for i := range rt.NumField() {
		t.Run(rt.Field(i).Name, func(t *testing.T) {
			other := base
			other.Sectors = slices.Clone(base.Sectors)
			f := reflect.ValueOf(&other).Elem().Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString(f.String() + "x")
			case reflect.Float64:
				f.SetFloat(f.Float() + 1)
			case reflect.Slice:
				other.Sectors[0].TiltDeg++
			default:
				t.Fatalf("field kind %v: teach this test (and sameEntry) about it", f.Kind())
			}
			if sameEntry(&entry{site: base}, &entry{site: other}) {
				t.Errorf("sameEntry misses a change of %s", rt.Field(i).Name)
			}
		})
	}
	if !sameEntry(&entry{site: base, reachM: 1}, &entry{site: base, reachM: 1}) {
		t.Error("equal entries reported different")
	}
	if sameEntry(&entry{site: base, reachM: 1}, &entry{site: base, reachM: 2}) {
		t.Error("a reach change is missed")
	}
}

// TestStoreCopiesInput checks that the store keeps its own copy of what it is given.
func TestStoreCopiesInput(t *testing.T) {
	in := []data.Site{testSite("vt", "A", 106, 10, data.Tech4G)}
	st := mustStore(t, in...)
	in[0].Lat = 0
	in[0].Sectors[0].Tech = data.Tech2G
	s, _ := st.Snapshot().Site(data.SiteKey{Carrier: "vt", SiteID: "A"})
	if s.Lat != 10 || s.Sectors[0].Tech != data.Tech4G {
		t.Errorf("stored site follows the caller's slice: %+v", s)
	}
}

// Query fixture on the equator (distances by hand, see the constants):
//
//	           C (0, 0.01) vt, 4G planned
//	B ── D ── O ── A                      E far away at (0.5, 0.5)
//	B (−0.02, 0) vt 3G; D (−0.01, 0) vn 4G; O is the origin; A (0.01, 0) vt 4G
func queryFixture(t *testing.T) *Snapshot {
	c := testSite("vt", "C", 0, 0.01, data.Tech4G)
	c.Status = data.StatusPlanned
	return mustStore(t,
		testSite("vt", "A", 0.01, 0, data.Tech4G),
		testSite("vt", "B", -0.02, 0, data.Tech3G),
		c,
		testSite("vn", "D", -0.01, 0, data.Tech4G),
		testSite("vn", "E", 0.5, 0.5, data.Tech3G, data.Tech4G),
	).Snapshot()
}

func distKeys(ds []SiteDistance) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = keyString(d.Site.Key())
	}
	return out
}

func TestNearestAndWithinRadius(t *testing.T) {
	v := queryFixture(t)
	origin := orb.Point{0, 0}
	cases := []struct {
		name   string
		got    []SiteDistance
		want   []string
		wantM  []float64 // hand-computed distances of the first results (0: not checked)
		wantTo float64
	}{
		{name: "nearest 3, tie by key", got: v.Nearest(origin, 3, Filter{}),
			want: []string{"vt/C", "vn/D", "vt/A"}, wantM: []float64{meridian001M, equator001M, equator001M}},
		{name: "nearest more than stored", got: v.Nearest(origin, 9, Filter{}),
			want: []string{"vt/C", "vn/D", "vt/A", "vt/B", "vn/E"}, wantM: []float64{0, 0, 0, 2 * equator001M}},
		{name: "nearest filtered by tech", got: v.Nearest(origin, 2, Filter{Tech: data.Tech3G}),
			want: []string{"vt/B", "vn/E"}, wantM: []float64{2 * equator001M}},
		{name: "nearest filtered by carrier and status", got: v.Nearest(origin, 5, Filter{Carrier: "vt", Status: data.StatusActive}),
			want: []string{"vt/A", "vt/B"}},
		{name: "nearest zero", got: v.Nearest(origin, 0, Filter{}), want: []string{}},
		{name: "nearest from an invalid point", got: v.Nearest(orb.Point{0, 91}, 3, Filter{}), want: []string{}},
		{name: "within 1200 m", got: v.WithinRadius(origin, 1200, Filter{}),
			want: []string{"vt/C", "vn/D", "vt/A"}},
		{name: "within 1110 m", got: v.WithinRadius(origin, 1110, Filter{}), want: []string{"vt/C"}},
		{name: "within 0 m of a site", got: v.WithinRadius(orb.Point{0.01, 0}, 0, Filter{}), want: []string{"vt/A"}},
		{name: "within a negative radius", got: v.WithinRadius(origin, -1, Filter{}), want: []string{}},
		{name: "within NaN", got: v.WithinRadius(origin, math.NaN(), Filter{}), want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := distKeys(tc.got); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i, w := range tc.wantM {
				if w != 0 && math.Abs(tc.got[i].DistanceM-w) > 1e-3 {
					t.Errorf("%s at %.4f m, want %.4f m", tc.want[i], tc.got[i].DistanceM, w)
				}
			}
		})
	}
}

// TestNearestAcrossAntimeridianAndPole: degree boxes split there, metres do not.
func TestNearestAcrossAntimeridianAndPole(t *testing.T) {
	v := mustStore(t,
		testSite("x", "east", 179.995, 0),
		testSite("x", "west", -179.98, 0),
		testSite("x", "pole-far", 0, 89.95),
		testSite("x", "pole-near", 0, 89.99),
	).Snapshot()
	cases := []struct {
		name  string
		p     orb.Point
		want  string
		wantM float64
	}{
		// (−179.995, 0) is 0.01° of equator from east and 0.015° from west.
		{name: "antimeridian", p: orb.Point{-179.995, 0}, want: "x/east", wantM: equator001M},
		// (180, 89.99) faces pole-near across the pole: 2 × 0.01° of meridian.
		{name: "pole", p: orb.Point{180, 89.99}, want: "x/pole-near", wantM: 2 * polar001M},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := v.Nearest(tc.p, 1, Filter{})
			if len(got) != 1 || keyString(got[0].Site.Key()) != tc.want || math.Abs(got[0].DistanceM-tc.wantM) > 1e-3 {
				t.Fatalf("nearest %+v, want %s at %.4f m", got, tc.want, tc.wantM)
			}
			within := v.WithinRadius(tc.p, tc.wantM+1, Filter{})
			if len(within) != 1 || within[0].Site != got[0].Site {
				t.Errorf("within %.0f m: %v, want [%s]", tc.wantM+1, distKeys(within), tc.want)
			}
		})
	}
}

func TestInBBoxAndReaching(t *testing.T) {
	v := queryFixture(t)
	reach := mustStore(t, func() data.Site { s := testSite("r", "O", 0, 0); s.HeightM = 20; return s }()).Snapshot() // 2000 m
	box := func(x0, y0, x1, y1 float64) orb.Bound {
		return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	cases := []struct {
		name string
		got  []*data.Site
		want []string
	}{
		{name: "bbox with sites on its edges", got: v.InBBox(box(0, 0, 0.01, 0.01), Filter{}), want: []string{"vt/A", "vt/C"}},
		{name: "bbox just off the origin", got: v.InBBox(box(1e-9, 1e-9, 1, 1), Filter{}), want: []string{"vn/E"}},
		{name: "bbox filtered", got: v.InBBox(box(-1, -1, 1, 1), Filter{Carrier: "vn"}), want: []string{"vn/D", "vn/E"}},
		{name: "bbox inverted", got: v.InBBox(box(1, 1, -1, -1), Filter{}), want: []string{}},
		// Site r/O at the origin reaches 2000 m.
		{name: "reaching: box 0.017° east (1892.4 m)", got: reach.Reaching(box(0.017, -0.001, 0.02, 0.001), Filter{}), want: []string{"r/O"}},
		{name: "reaching: box 0.0179° east (1992.6 m)", got: reach.Reaching(box(0.0179, -0.001, 0.02, 0.001), Filter{}), want: []string{"r/O"}},
		{name: "reaching: box 0.0181° east (2014.9 m)", got: reach.Reaching(box(0.0181, -0.001, 0.02, 0.001), Filter{}), want: []string{}},
		// The NE corner at (0.0125°, 0.0125°) is hypot(1391.49, 1382.18) = 1961.3 m away; at
		// 0.0128° it is hypot(1424.89, 1415.35) = 2008.4 m: inside the reach box, outside reach.
		{name: "reaching: corner at 1961 m", got: reach.Reaching(box(0.0125, 0.0125, 0.03, 0.03), Filter{}), want: []string{"r/O"}},
		{name: "reaching: corner at 2008 m", got: reach.Reaching(box(0.0128, 0.0128, 0.03, 0.03), Filter{}), want: []string{}},
		{name: "reaching: box around the site", got: reach.Reaching(box(-1, -1, 1, 1), Filter{}), want: []string{"r/O"}},
		{name: "reaching filtered out", got: reach.Reaching(box(-1, -1, 1, 1), Filter{Carrier: "vt"}), want: []string{}},
		{name: "reaching: the whole plane", got: reach.Reaching(box(-1e9, -1e9, 1e9, 1e9), Filter{}), want: []string{"r/O"}},
		{name: "reaching: a box beyond the pole", got: reach.Reaching(box(-1, 95, 1, 100), Filter{}), want: []string{}},
		{name: "reaching: NaN box", got: reach.Reaching(box(math.NaN(), 0, 1, 1), Filter{}), want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := siteKeys(tc.got); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := reach.ReachM(data.SiteKey{Carrier: "r", SiteID: "O"}); got != 2000 {
		t.Errorf("ReachM %v, want 2000", got)
	}
	if got := reach.ReachM(data.SiteKey{Carrier: "r", SiteID: "none"}); got != 0 {
		t.Errorf("ReachM of an unknown site %v, want 0", got)
	}
}

func TestSitesFilter(t *testing.T) {
	v := queryFixture(t)
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{name: "all", f: Filter{}, want: []string{"vn/D", "vn/E", "vt/A", "vt/B", "vt/C"}},
		{name: "carrier", f: Filter{Carrier: "vt"}, want: []string{"vt/A", "vt/B", "vt/C"}},
		{name: "carrier prefix of another", f: Filter{Carrier: "v"}, want: []string{}},
		{name: "tech", f: Filter{Tech: data.Tech3G}, want: []string{"vn/E", "vt/B"}},
		{name: "status", f: Filter{Status: data.StatusPlanned}, want: []string{"vt/C"}},
		{name: "all three", f: Filter{Carrier: "vn", Tech: data.Tech4G, Status: data.StatusActive}, want: []string{"vn/D", "vn/E"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := siteKeys(v.Sites(tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReachBoxHoldsCircle walks the geodesic circle (geo.DestinationPoint) around sites in
// Trà Vinh, near the poles and on the antimeridian: every point must be in the reach box, and
// lowerBoundM to it must not exceed the radius.
func TestReachBoxHoldsCircle(t *testing.T) {
	cases := []struct {
		name string
		p    orb.Point
		rM   float64
	}{
		{name: "Trà Vinh 3 km", p: orb.Point{106.34, 9.93}, rM: 3000},
		{name: "Trà Vinh 8 km", p: orb.Point{106.6, 10.1}, rM: 8000},
		{name: "equator 500 km", p: orb.Point{0, 0}, rM: 500e3},
		{name: "60°S 300 km", p: orb.Point{-70, -60}, rM: 300e3},
		{name: "79°N 100 km", p: orb.Point{20, 79}, rM: 100e3},
		{name: "near the pole", p: orb.Point{20, 89.9}, rM: 50e3},
		{name: "antimeridian", p: orb.Point{179.99, 5}, rM: 5000},
		{name: "zero", p: orb.Point{106, 10}, rM: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := reachBox(tc.p, tc.rM)
			for brg := 0.0; brg < 360; brg += 0.25 {
				q := geo.DestinationPoint(tc.p, brg, tc.rM)
				if q[0] < lo[0] || q[0] > hi[0] || q[1] < lo[1] || q[1] > hi[1] {
					t.Fatalf("bearing %v: %v outside the box %v–%v", brg, q, lo, hi)
				}
				if lb := lowerBoundM(tc.p, q, q); lb > tc.rM*(1+1e-12) {
					t.Fatalf("bearing %v: lower bound %v m > %v m", brg, lb, tc.rM)
				}
			}
		})
	}
}

// TestLowerBoundM compares lowerBoundM with geo.DistanceM on random point pairs: never above,
// and in Trà Vinh within 0.05 % of it.
func TestLowerBoundM(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 1))
	for i := range 20000 {
		var p, q orb.Point
		local := i%2 == 0
		if local {
			p = orb.Point{105.85 + 0.8*rng.Float64(), 9.45 + 0.7*rng.Float64()}
			q = orb.Point{p[0] + 0.1*(rng.Float64()-0.5), p[1] + 0.1*(rng.Float64()-0.5)}
		} else {
			p = randomWorldPoint(rng)
			q = orb.Point{p[0] + 20*(rng.Float64()-0.5), p[1] + 20*(rng.Float64()-0.5)}
			q[0] = math.Mod(q[0]+540, 360) - 180
			q[1] = max(-90, min(90, q[1]))
		}
		d := geo.DistanceM(p, q)
		lb := lowerBoundM(p, q, q)
		if lb > d {
			t.Fatalf("p %v q %v: lower bound %v m > distance %v m", p, q, lb, d)
		}
		if local && lb < d*(1-5e-4)-1e-3 {
			t.Fatalf("p %v q %v: lower bound %v m not within 0.05 %% + 1 mm of %v m", p, q, lb, d)
		}
	}
}

func randomWorldPoint(rng *rand.Rand) orb.Point {
	switch rng.IntN(4) {
	case 0: // near a pole
		return orb.Point{360*rng.Float64() - 180, math.Copysign(85+5*rng.Float64(), rng.Float64()-0.5)}
	case 1: // near the antimeridian
		return orb.Point{math.Copysign(179+rng.Float64(), rng.Float64()-0.5), 160*rng.Float64() - 80}
	default:
		return orb.Point{360*rng.Float64() - 180, math.Asin(2*rng.Float64()-1) * 180 / math.Pi}
	}
}

// storeModel is the brute-force model of the store: a plain map.
type storeModel map[data.SiteKey]data.Site

func (m storeModel) sorted() []data.Site {
	out := make([]data.Site, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b data.Site) int { return cmpKey(a.Key(), b.Key()) })
	return out
}

// invariantWorld generates the random data of one run of the invariant test.
type invariantWorld struct {
	rng    *rand.Rand
	global bool // whole globe, reaches up to 500 km; else Trà Vinh, 0–8 km
}

var invariantCarriers = []string{"a", "b", "c"}

func (w invariantWorld) point() orb.Point {
	if w.global {
		return randomWorldPoint(w.rng)
	}
	return orb.Point{105.8 + 0.9*w.rng.Float64(), 9.4 + 0.8*w.rng.Float64()}
}

func (w invariantWorld) site(m storeModel, carrier string) data.Site {
	s := data.Site{Carrier: carrier, SiteID: fmt.Sprintf("s%02d", w.rng.IntN(40)), Status: data.StatusActive}
	if w.rng.IntN(4) == 0 {
		s.Status = data.StatusPlanned
	}
	p := w.point()
	if w.rng.IntN(8) == 0 && len(m) > 0 { // co-located with another site: ties
		others := m.sorted()
		o := others[w.rng.IntN(len(others))]
		p = orb.Point{o.Lon, o.Lat}
	}
	s.Lon, s.Lat = p[0], p[1]
	if w.global {
		s.HeightM = 5000 * w.rng.Float64() * w.rng.Float64()
	} else {
		s.HeightM = float64(w.rng.IntN(81)) // 0–8 km, 0 included
	}
	for _, t := range []data.Tech{data.Tech3G, data.Tech4G} {
		if w.rng.IntN(2) == 0 {
			s.Sectors = append(s.Sectors, data.Sector{Tech: t, BandMHz: 1800, AzimuthDeg: float64(w.rng.IntN(360))})
		}
	}
	if old, ok := m[s.Key()]; ok && w.rng.IntN(3) == 0 {
		return old // rewritten unchanged
	}
	return s
}

// sites returns n sites with distinct keys, of carrier when it is not empty.
func (w invariantWorld) sites(m storeModel, carrier string, n int) []data.Site {
	var out []data.Site
	seen := map[data.SiteKey]bool{}
	for range n {
		c := carrier
		if c == "" {
			c = invariantCarriers[w.rng.IntN(len(invariantCarriers))]
		}
		s := w.site(m, c)
		if !seen[s.Key()] {
			seen[s.Key()] = true
			out = append(out, s)
		}
	}
	return out
}

func (w invariantWorld) filter() Filter {
	var f Filter
	if w.rng.IntN(2) == 0 {
		f.Carrier = []string{"a", "b", "c", "z"}[w.rng.IntN(4)]
	}
	if w.rng.IntN(3) == 0 {
		f.Tech = []data.Tech{data.Tech3G, data.Tech4G}[w.rng.IntN(2)]
	}
	if w.rng.IntN(4) == 0 {
		f.Status = data.StatusPlanned
	}
	return f
}

func (w invariantWorld) bound() orb.Bound {
	c := w.point()
	half := 0.1
	if w.global {
		half = 5
	}
	dx, dy := half*w.rng.Float64(), half*w.rng.Float64()
	return orb.Bound{
		Min: orb.Point{max(-180, c[0]-dx), max(-90, c[1]-dy)},
		Max: orb.Point{min(180, c[0]+dx), min(90, c[1]+dy)},
	}
}

// TestStoreRandomInvariants applies random writes, valid and invalid, to the store and to a
// brute-force model, and after each checks the Change and every query against brute force.
func TestStoreRandomInvariants(t *testing.T) {
	for _, global := range []bool{false, true} {
		name := map[bool]string{false: "TraVinh", true: "globe"}[global]
		t.Run(name, func(t *testing.T) {
			w := invariantWorld{rng: rand.New(rand.NewPCG(testSeed(t), 2)), global: global}
			st := New(heightReach)
			m := storeModel{}
			steps := 150
			if testing.Short() {
				steps = 40
			}
			for step := range steps {
				wantVersion := st.Version()
				next, ch, err, valid := randomWrite(w, st, m)
				if !valid {
					if err == nil {
						t.Fatalf("step %d: an invalid write succeeded", step)
					}
					if st.Version() != wantVersion {
						t.Fatalf("step %d: failed write %v changed the version", step, err)
					}
				} else {
					if err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
					if ch.Version != wantVersion+1 || st.Version() != ch.Version {
						t.Fatalf("step %d: version %d/%d after %d", step, ch.Version, st.Version(), wantVersion)
					}
					checkChange(t, step, ch, m, next)
					m = next
				}
				checkQueries(t, step, w, st.Snapshot(), m)
			}
		})
	}
}

// TestForkIsolation forks a store with random content and writes to both at random: each must
// keep answering every query exactly as its own brute-force model, and both number their
// versions on from the version they shared.
func TestForkIsolation(t *testing.T) {
	w := invariantWorld{rng: rand.New(rand.NewPCG(testSeed(t), 3))}
	orig := New(heightReach)
	m := storeModel{}
	for range 30 {
		if next, _, err, valid := randomWrite(w, orig, m); valid && err == nil {
			m = next
		}
	}
	at := orig.Version()
	before := orig.Snapshot()
	fork := orig.Fork()
	if fork.Version() != at || fork.Snapshot().Len() != len(m) {
		t.Fatalf("fork at version %d with %d sites, want %d and %d", fork.Version(), fork.Snapshot().Len(), at, len(m))
	}
	stores := []*Store{orig, fork}
	models := []storeModel{m, maps.Clone(m)}
	writes := []int{0, 0}
	for step := range 120 {
		i := w.rng.IntN(2)
		next, ch, err, valid := randomWrite(w, stores[i], models[i])
		if valid && err == nil {
			writes[i]++
			if ch.Version != at+uint64(writes[i]) {
				t.Fatalf("step %d: store %d wrote version %d, want %d", step, i, ch.Version, at+uint64(writes[i]))
			}
			models[i] = next
		}
		for j := range stores {
			checkQueries(t, step, w, stores[j].Snapshot(), models[j])
		}
	}
	if writes[0] == 0 || writes[1] == 0 {
		t.Fatalf("writes %v: both sides must have been written", writes)
	}
	checkQueries(t, -1, w, before, m) // the snapshot taken before the fork is untouched
}

// randomWrite performs one random write and returns the model after it, the change, the error
// and whether the write was meant to be valid.
func randomWrite(w invariantWorld, st *Store, m storeModel) (storeModel, Change, error, bool) {
	next := maps.Clone(m)
	keys := make([]data.SiteKey, 0, len(m))
	for _, s := range m.sorted() {
		keys = append(keys, s.Key())
	}
	switch r := w.rng.IntN(20); {
	case r < 6:
		c := invariantCarriers[w.rng.IntN(len(invariantCarriers))]
		in := w.sites(m, c, w.rng.IntN(26))
		for k := range next {
			if k.Carrier == c {
				delete(next, k)
			}
		}
		for _, s := range in {
			next[s.Key()] = s
		}
		ch, err := st.ReplaceCarrier(c, in)
		return next, ch, err, true
	case r < 13:
		in := w.sites(m, "", 1+w.rng.IntN(8))
		for _, s := range in {
			next[s.Key()] = s
		}
		ch, err := st.Upsert(in)
		return next, ch, err, true
	case r < 17 && len(keys) > 0:
		w.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		del := keys[:1+w.rng.IntN(min(4, len(keys)))]
		for _, k := range del {
			delete(next, k)
		}
		ch, err := st.Delete(del)
		return next, ch, err, true
	default:
		in := w.sites(m, "a", 1+w.rng.IntN(5))
		var err error
		switch w.rng.IntN(4) {
		case 0:
			_, err = st.Upsert(append(in, in[0]))
		case 1:
			in[len(in)-1].Lat = math.NaN()
			_, err = st.Upsert(in)
		case 2:
			in[len(in)-1].Carrier = "b"
			_, err = st.ReplaceCarrier("a", in)
		default:
			_, err = st.Delete(append(keys[:min(2, len(keys))], data.SiteKey{Carrier: "a", SiteID: "unknown"}))
		}
		return m, Change{}, err, false
	}
}

// matches is the test's own reading of Filter.
func matches(f Filter, s *data.Site) bool {
	if f.Carrier != "" && f.Carrier != s.Carrier || f.Status != "" && f.Status != s.Status {
		return false
	}
	return f.Tech == "" || slices.ContainsFunc(s.Sectors, func(x data.Sector) bool { return x.Tech == f.Tech })
}

func checkChange(t *testing.T, step int, ch Change, before, after storeModel) {
	t.Helper()
	var want []SiteDelta
	keys := map[data.SiteKey]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	added, removed, modified := 0, 0, 0
	for k := range keys {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case inB && inA && reflect.DeepEqual(a, b):
			continue
		case !inB:
			added++
			want = append(want, SiteDelta{After: &a})
		case !inA:
			removed++
			want = append(want, SiteDelta{Before: &b})
		default:
			modified++
			want = append(want, SiteDelta{Before: &b, After: &a})
		}
	}
	deltaKey := func(d SiteDelta) data.SiteKey {
		if d.After != nil {
			return d.After.Key()
		}
		return d.Before.Key()
	}
	slices.SortFunc(want, func(x, y SiteDelta) int { return cmpKey(deltaKey(x), deltaKey(y)) })
	if ch.Added != added || ch.Removed != removed || ch.Modified != modified {
		t.Fatalf("step %d: change +%d -%d ~%d, want +%d -%d ~%d", step, ch.Added, ch.Removed, ch.Modified, added, removed, modified)
	}
	if !reflect.DeepEqual(ch.Affected, want) && !(len(ch.Affected) == 0 && len(want) == 0) {
		t.Fatalf("step %d: affected %+v, want %+v", step, ch.Affected, want)
	}
}

func checkQueries(t *testing.T, step int, w invariantWorld, v *Snapshot, m storeModel) {
	t.Helper()
	all := m.sorted()
	if v.Len() != len(all) {
		t.Fatalf("step %d: Len %d, want %d", step, v.Len(), len(all))
	}
	got := v.Sites(Filter{})
	for i, s := range got {
		if !reflect.DeepEqual(*s, all[i]) {
			t.Fatalf("step %d: site %d is %+v, want %+v", step, i, *s, all[i])
		}
		if p, ok := v.Site(s.Key()); !ok || p != s {
			t.Fatalf("step %d: Site(%v) = %p, %v", step, s.Key(), p, ok)
		}
		if r := v.ReachM(s.Key()); r != heightReach(s) {
			t.Fatalf("step %d: ReachM(%v) = %v, want %v", step, s.Key(), r, heightReach(s))
		}
	}
	for range 3 {
		f := w.filter()
		var want []string
		for i := range all {
			if matches(f, &all[i]) {
				want = append(want, keyString(all[i].Key()))
			}
		}
		if g := siteKeys(v.Sites(f)); !slices.Equal(g, want) && len(g)+len(want) > 0 {
			t.Fatalf("step %d: Sites(%+v) = %v, want %v", step, f, g, want)
		}
		checkBoundQueries(t, step, v, all, w.bound(), f)
		checkPointQueries(t, step, v, all, w, f)
	}
}

func checkBoundQueries(t *testing.T, step int, v *Snapshot, all []data.Site, b orb.Bound, f Filter) {
	t.Helper()
	var wantIn []string
	gotReaching := map[string]bool{}
	for _, s := range v.Reaching(b, f) {
		gotReaching[keyString(s.Key())] = true
	}
	for i := range all {
		s := &all[i]
		if !matches(f, s) {
			continue
		}
		k := keyString(s.Key())
		if b.Contains(orb.Point{s.Lon, s.Lat}) {
			wantIn = append(wantIn, k)
		}
		if reachesSample(s, b) && !gotReaching[k] {
			t.Fatalf("step %d: Reaching(%v) misses %s, which reaches a point of it", step, b, k)
		}
		if gotReaching[k] && !paddedBoxMeets(s, b) {
			t.Fatalf("step %d: Reaching(%v) returns %s, whose reach box is far from it", step, b, k)
		}
	}
	if g := siteKeys(v.InBBox(b, f)); !slices.Equal(g, wantIn) && len(g)+len(wantIn) > 0 {
		t.Fatalf("step %d: InBBox(%v, %+v) = %v, want %v", step, b, f, g, wantIn)
	}
}

// reachesSample reports whether s's position is in b or within its reach of one of 33 points on
// each edge of b or of the edge point nearest in lon/lat (a subset of the sites reaching b).
func reachesSample(s *data.Site, b orb.Bound) bool {
	p := orb.Point{s.Lon, s.Lat}
	if b.Contains(p) {
		return true
	}
	r := heightReach(s)
	clamp := orb.Point{max(b.Min[0], min(b.Max[0], p[0])), max(b.Min[1], min(b.Max[1], p[1]))}
	if geo.DistanceM(p, clamp) <= r {
		return true
	}
	for i := range 33 {
		u := float64(i) / 32
		x := b.Min[0] + u*(b.Max[0]-b.Min[0])
		y := b.Min[1] + u*(b.Max[1]-b.Min[1])
		for _, q := range []orb.Point{{x, b.Min[1]}, {x, b.Max[1]}, {b.Min[0], y}, {b.Max[0], y}} {
			if geo.DistanceM(p, q) <= r {
				return true
			}
		}
	}
	return false
}

// paddedBoxMeets reports whether the box of s's reach circle, found independently by walking
// geo.DestinationPoint and padded by 3 %, meets b. Where the store widens boxes on purpose
// (reach above 50 km, beyond 60° of latitude, across the antimeridian) it returns true.
func paddedBoxMeets(s *data.Site, b orb.Bound) bool {
	r := heightReach(s)
	p := orb.Point{s.Lon, s.Lat}
	if r > 50e3 || math.Abs(s.Lat) > 60 {
		return true
	}
	lo, hi := p, p
	for brg := 0.0; brg < 360; brg += 0.5 {
		q := geo.DestinationPoint(p, brg, r)
		if math.Abs(q[0]-p[0]) > 180 {
			return true // across the antimeridian
		}
		lo = orb.Point{min(lo[0], q[0]), min(lo[1], q[1])}
		hi = orb.Point{max(hi[0], q[0]), max(hi[1], q[1])}
	}
	padX, padY := 0.03*(hi[0]-lo[0])/2+1e-9, 0.03*(hi[1]-lo[1])/2+1e-9
	return !(lo[0]-padX > b.Max[0] || hi[0]+padX < b.Min[0] || lo[1]-padY > b.Max[1] || hi[1]+padY < b.Min[1])
}

func checkPointQueries(t *testing.T, step int, v *Snapshot, all []data.Site, w invariantWorld, f Filter) {
	t.Helper()
	p := w.point()
	if w.rng.IntN(5) == 0 && len(all) > 0 {
		s := all[w.rng.IntN(len(all))]
		p = orb.Point{s.Lon, s.Lat}
	}
	var brute []SiteDistance
	for i := range all {
		if matches(f, &all[i]) {
			brute = append(brute, SiteDistance{Site: &all[i], DistanceM: geo.DistanceM(p, orb.Point{all[i].Lon, all[i].Lat})})
		}
	}
	slices.SortFunc(brute, cmpDist)
	n := w.rng.IntN(13)
	want := brute[:min(n, len(brute))]
	if got := v.Nearest(p, n, f); !sameDistances(got, want) {
		t.Fatalf("step %d: Nearest(%v, %d, %+v) = %v, want %v", step, p, n, f, fmtDistances(got), fmtDistances(want))
	}
	radius := 5000 * w.rng.Float64()
	if w.global {
		radius *= 200
	}
	if w.rng.IntN(4) == 0 && len(brute) > 0 {
		radius = brute[w.rng.IntN(len(brute))].DistanceM // exactly on a site
	}
	want = nil
	for _, d := range brute {
		if d.DistanceM <= radius {
			want = append(want, d)
		}
	}
	if got := v.WithinRadius(p, radius, f); !sameDistances(got, want) {
		t.Fatalf("step %d: WithinRadius(%v, %v, %+v) = %v, want %v", step, p, radius, f, fmtDistances(got), fmtDistances(want))
	}
}

func sameDistances(got, want []SiteDistance) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Site.Key() != want[i].Site.Key() || got[i].DistanceM != want[i].DistanceM {
			return false
		}
	}
	return true
}

func fmtDistances(ds []SiteDistance) string {
	s := "["
	for _, d := range ds {
		s += fmt.Sprintf(" %s@%.3f", keyString(d.Site.Key()), d.DistanceM)
	}
	return s + " ]"
}

// TestSnapshotIsolation: readers running under -race next to a writer never see a
// half-applied ReplaceCarrier, and a snapshot taken before writes never changes.
//
// Generation g of carrier "gen" has 3 + g%7 sites with ids "g<g>-s<i>", and is written by the
// g-th write of the store, so a snapshot at version v must hold exactly generation v.
func TestSnapshotIsolation(t *testing.T) {
	st := New(heightReach)
	generation := func(g int) []data.Site {
		out := make([]data.Site, 3+g%7)
		for i := range out {
			out[i] = testSite("gen", fmt.Sprintf("g%04d-s%02d", g, i), 106.3+0.01*float64(i), 9.9+0.003*float64(g%5))
			out[i].HeightM = float64(10 + i)
		}
		return out
	}
	if _, err := st.ReplaceCarrier("gen", generation(1)); err != nil {
		t.Fatal(err)
	}
	first := st.Snapshot()
	firstSites := first.Sites(Filter{})
	firstCopy := make([]data.Site, len(firstSites))
	for i, s := range firstSites {
		firstCopy[i] = *s
		firstCopy[i].Sectors = slices.Clone(s.Sectors)
	}

	const writes = 300
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	check := func(v *Snapshot) error {
		g := int(v.Version())
		want := generation(g)
		views := map[string][]*data.Site{
			"Sites":    v.Sites(Filter{Carrier: "gen"}),
			"InBBox":   v.InBBox(orb.Bound{Min: orb.Point{106, 9}, Max: orb.Point{107, 11}}, Filter{}),
			"Reaching": v.Reaching(orb.Bound{Min: orb.Point{106.2, 9.8}, Max: orb.Point{106.5, 10}}, Filter{}),
		}
		var near []*data.Site
		for _, d := range v.Nearest(orb.Point{106.3, 9.9}, 20, Filter{}) {
			near = append(near, d.Site)
		}
		views["Nearest"] = sortSites(near)
		for name, sites := range views {
			if len(sites) != len(want) {
				return fmt.Errorf("version %d: %s sees %d sites, want %d", g, name, len(sites), len(want))
			}
			for i, s := range sites {
				if s.SiteID != want[i].SiteID || s.Lat != want[i].Lat {
					return fmt.Errorf("version %d: %s sees %s at %v, want %s at %v", g, name, s.SiteID, s.Lat, want[i].SiteID, want[i].Lat)
				}
			}
		}
		return nil
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := check(st.Snapshot()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for g := 2; g <= writes; g++ {
		if _, err := st.ReplaceCarrier("gen", generation(g)); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st.Version() != writes {
		t.Errorf("version %d, want %d", st.Version(), writes)
	}
	if err := check(first); err != nil {
		t.Errorf("first snapshot after the writes: %v", err)
	}
	for i, s := range first.Sites(Filter{}) {
		if s != firstSites[i] || !reflect.DeepEqual(*s, firstCopy[i]) {
			t.Errorf("first snapshot's site %d changed: %+v, was %+v", i, *s, firstCopy[i])
		}
	}
}

// A store is written by carrier and read through snapshots; distances are geodesic metres.
func ExampleSnapshot_Nearest() {
	st := New(func(s *data.Site) float64 { return 5000 }) // every site reaches 5 km
	_, err := st.ReplaceCarrier("viettel", []data.Site{
		{Carrier: "viettel", SiteID: "east", Lon: 0.01, Lat: 0, Status: data.StatusActive},
		{Carrier: "viettel", SiteID: "north", Lon: 0, Lat: 0.01, Status: data.StatusActive},
		{Carrier: "viettel", SiteID: "far", Lon: 1, Lat: 1, Status: data.StatusActive},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := st.Snapshot()
	for _, d := range v.Nearest(orb.Point{0, 0}, 2, Filter{}) {
		fmt.Printf("%s %.1f m\n", d.Site.SiteID, d.DistanceM)
	}
	cell := orb.Bound{Min: orb.Point{0.03, 0}, Max: orb.Point{0.04, 0.01}}
	fmt.Println("reaching the cell:", siteKeys(v.Reaching(cell, Filter{Carrier: "viettel"})))
	// Output:
	// north 1105.7 m
	// east 1113.2 m
	// reaching the cell: [viettel/east viettel/north]
}
