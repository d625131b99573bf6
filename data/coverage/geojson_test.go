package coverage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/contour"
	"phusong/data/render"
	"phusong/data/testenv"
	"phusong/geo"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden files: testdata/polygons_small_<layer>.geojson hold the small case's layers exactly as
// the API returns them (lon/lat, 6 decimals, properties). Regenerate with
// `go test ./data/coverage/ -run TestPolygonsGolden -update`. On a mismatch the test writes
// testdata/polygons_small_<layer>_out.geojson: the expected features in red, the result in blue.
func TestPolygonsGolden(t *testing.T) {
	_, r := coverage.SmallCase(t, 100)
	cases := []struct {
		name string
		fc   func() (*geojson.FeatureCollection, error)
	}{
		{"viettel_4g", func() (*geojson.FeatureCollection, error) { return render.Coverage(r, "viettel", data.Tech4G, 0, -1) }},
		{"vinaphone_4g", func() (*geojson.FeatureCollection, error) { return render.Coverage(r, "vinaphone", data.Tech4G, 0, -1) }},
		{"any_4g", func() (*geojson.FeatureCollection, error) {
			return render.Coverage(r, coverage.AnyCarrier, data.Tech4G, 0, -1)
		}},
		{"any_3g_z12", func() (*geojson.FeatureCollection, error) {
			return render.Coverage(r, coverage.AnyCarrier, data.Tech3G, 0, 12)
		}},
		{"gaps_4g", func() (*geojson.FeatureCollection, error) {
			return render.Gaps(r, data.Tech4G, "", coverage.DefaultMinGapAreaM2)
		}},
		{"footprints_4g", func() (*geojson.FeatureCollection, error) {
			fps, err := r.Engine().Footprints(context.Background(), coverage.SmallSites(), data.Tech4G)
			return render.Footprints(r.Engine(), fps), err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc, err := c.fc()
			if err != nil {
				t.Fatal(err)
			}
			compareGoldenFC(t, "polygons_small_"+c.name, fc)
		})
	}
}

// compareGoldenFC compares fc, marshalled with indentation, byte for byte with
// testdata/<name>.geojson (rewritten under -update).
func compareGoldenFC(t *testing.T, name string, fc *geojson.FeatureCollection) {
	t.Helper()
	got, err := json.MarshalIndent(fc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".geojson")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	wantFC, err := geojson.UnmarshalFeatureCollection(want)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	overlay := geojson.NewFeatureCollection()
	for _, side := range []struct {
		fc     *geojson.FeatureCollection
		colour string
		label  string
	}{{wantFC, "#d00", "expected"}, {fc, "#00d", "result"}} {
		for _, f := range side.fc.Features {
			g := geojson.NewFeature(f.Geometry)
			for k, v := range f.Properties {
				g.Properties[k] = v
			}
			g.Properties["stroke"], g.Properties["fill"], g.Properties["golden"] = side.colour, side.colour, side.label
			overlay.Append(g)
		}
	}
	out := filepath.Join("testdata", name+"_out.geojson")
	b, _ := json.Marshal(overlay)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < min(len(gl), len(wl)) && gl[line] == wl[line] {
		line++
	}
	t.Errorf("%s differs from line %d (got %q); wrote %s", path, line+1, at(gl, line), out)
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return strings.TrimSpace(lines[i])
	}
	return "<end>"
}

// lonLatMP returns the MultiPolygon of a one-feature collection.
func lonLatMP(t testing.TB, fc *geojson.FeatureCollection) orb.MultiPolygon {
	t.Helper()
	var out orb.MultiPolygon
	for _, f := range fc.Features {
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok {
			t.Fatalf("geometry %T, want MultiPolygon", f.Geometry)
		}
		out = append(out, mp...)
	}
	return out
}

// checkValid checks, by brute force, that mp (lon/lat) is a valid RFC 7946 MultiPolygon: rings
// closed with at least 4 points and 6 decimals, exteriors counter-clockwise and holes clockwise,
// no two edges of any rings crossing or touching (except consecutive edges of a ring at their
// shared vertex), every hole inside its exterior, no exterior inside another polygon unless in
// one of its holes.
func checkValid(t *testing.T, what string, mp orb.MultiPolygon) {
	t.Helper()
	type edge struct {
		a, b       orb.Point
		ring, k, n int
	}
	var edges []edge
	ringID := 0
	for pi, p := range mp {
		for ri, r := range p {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				t.Fatalf("%s: polygon %d ring %d: %d points, closed %v", what, pi, ri, len(r), len(r) > 0 && r[0] == r[len(r)-1])
			}
			area := planar.Area(r) // lon/lat plane, positive for counter-clockwise
			if (ri == 0) != (area > 0) {
				t.Errorf("%s: polygon %d ring %d: signed area %g (exterior must be CCW, holes CW)", what, pi, ri, area)
			}
			for k, q := range r {
				if q[0] != math.Round(q[0]*1e6)/1e6 || q[1] != math.Round(q[1]*1e6)/1e6 {
					t.Fatalf("%s: polygon %d ring %d point %d: %v has more than 6 decimals", what, pi, ri, k, q)
				}
			}
			for k := 0; k+1 < len(r); k++ {
				edges = append(edges, edge{r[k], r[k+1], ringID, k, len(r) - 1})
			}
			if ri > 0 && !planar.RingContains(p[0], r[0]) {
				t.Errorf("%s: polygon %d hole %d is not inside its exterior", what, pi, ri)
			}
			ringID++
		}
	}
	for x := range edges {
		for y := x + 1; y < len(edges); y++ {
			e, f := edges[x], edges[y]
			if e.ring == f.ring && (f.k == e.k+1 || (e.k == 0 && f.k == e.n-1)) {
				continue // consecutive edges share one vertex
			}
			if segmentsMeet(e.a, e.b, f.a, f.b) {
				t.Fatalf("%s: edges %v–%v and %v–%v cross or touch", what, e.a, e.b, f.a, f.b)
			}
		}
	}
	for pi, p := range mp {
		for qi, q := range mp {
			if pi != qi && planar.PolygonContains(q, p[0][0]) {
				t.Errorf("%s: polygon %d lies inside polygon %d", what, pi, qi)
			}
		}
	}
}

// segmentsMeet reports whether closed segments ab and cd share a point (exact orientation
// tests; the coordinates have 6 decimals, so the products are exact enough at this scale).
func segmentsMeet(a, b, c, d orb.Point) bool {
	o := func(p, q, r orb.Point) int {
		v := (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0])
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0
	}
	on := func(p, q, r orb.Point) bool { // r on segment pq, given collinear
		return min(p[0], q[0]) <= r[0] && r[0] <= max(p[0], q[0]) && min(p[1], q[1]) <= r[1] && r[1] <= max(p[1], q[1])
	}
	o1, o2, o3, o4 := o(a, b, c), o(a, b, d), o(c, d, a), o(c, d, b)
	if o1 != o2 && o3 != o4 && o1*o2 <= 0 && o3*o4 <= 0 && (o1 != 0 || o2 != 0) {
		return true
	}
	return (o1 == 0 && on(a, b, c)) || (o2 == 0 && on(a, b, d)) || (o3 == 0 && on(c, d, a)) || (o4 == 0 && on(c, d, b))
}

// Every layer of the small case, at full detail and simplified, is valid.
func TestPolygonsValid(t *testing.T) {
	e, r := coverage.SmallCase(t, 100)
	for _, tech := range data.AnalysedTechs {
		rule, _ := e.Definition().Rule(tech)
		for _, c := range append(r.Carriers(), coverage.AnyCarrier) {
			for tier := 0; tier <= len(rule.TiersDBm); tier++ {
				for _, z := range []int{-1, 9, 12, 15} {
					fc, err := render.Coverage(r, c, tech, tier, z)
					if err != nil {
						t.Fatal(err)
					}
					checkValid(t, fmt.Sprintf("%s %s tier %d zoom %d", c, tech, tier, z), lonLatMP(t, fc))
				}
			}
		}
		gaps, err := render.Gaps(r, tech, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range gaps.Features {
			checkValid(t, fmt.Sprintf("gaps %s %v", tech, f.Properties["code"]), f.Geometry.(orb.MultiPolygon))
		}
		fps, err := e.Footprints(context.Background(), coverage.SmallSites(), tech)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fps {
			checkValid(t, fmt.Sprintf("footprint %s %s/%d", tech, f.Site.SiteID, f.Sector), f.Geometry)
		}
	}
}

// The layer of any carrier contains each carrier's layer: the area is at least as large and
// every vertex of the carrier's polygons lies inside it or within 0.5 m of its boundary (the
// sample conditioning may move a crossing by that much).
func TestAnyContainsEachCarrier(t *testing.T) {
	e, r := coverage.SmallCase(t, 100)
	tm := e.Projection()
	for _, tech := range data.AnalysedTechs {
		rule, _ := e.Definition().Rule(tech)
		for tier := 0; tier <= len(rule.TiersDBm); tier++ {
			anyFC, _ := render.Coverage(r, coverage.AnyCarrier, tech, tier, -1)
			anyMP := projectMP(tm, lonLatMP(t, anyFC))
			anyArea := anyFC.Features[0].Properties["area_km2"].(float64)
			for _, c := range r.Carriers() {
				fc, _ := render.Coverage(r, c, tech, tier, -1)
				if a := fc.Features[0].Properties["area_km2"].(float64); a > anyArea+1e-6 {
					t.Errorf("%s tier %d: %s covers %.6f km², more than any carrier's %.6f km²", tech, tier, c, a, anyArea)
				}
				for _, p := range projectMP(tm, lonLatMP(t, fc)) {
					for _, q := range p[0] {
						if !planar.MultiPolygonContains(anyMP, q) && distToBoundary(anyMP, q) > 0.5 {
							t.Fatalf("%s tier %d: %s vertex %v is %.2f m outside the any layer", tech, tier, c, q, distToBoundary(anyMP, q))
						}
					}
				}
			}
		}
	}
}

// projectMP projects a lon/lat MultiPolygon with tm (nil stays nil).
func projectMP(tm geo.TransverseMercator, mp orb.MultiPolygon) orb.MultiPolygon {
	if len(mp) == 0 {
		return nil
	}
	return tm.ForwardGeometry(mp).(orb.MultiPolygon)
}

// distToBoundary returns the distance in metres from q to the nearest ring edge of mp.
func distToBoundary(mp orb.MultiPolygon, q orb.Point) float64 {
	d := math.Inf(1)
	for _, p := range mp {
		for _, r := range p {
			for k := 0; k+1 < len(r); k++ {
				d = min(d, contour.Segment{A: r[k], B: r[k+1]}.DistTo(q))
			}
		}
	}
	return d
}

// Coverage polygons stay inside the province: every vertex lies inside one of the (convex)
// communes or within 1 m of the province boundary; and where the level margin is large the
// boundary is followed exactly: viettel's disc covers the west corner (-4000, 0) of the
// province, so its polygon has vertices within 0.1 m of both west edges.
func TestCoverageClippedToProvince(t *testing.T) {
	e, r := coverage.SmallCase(t, 100)
	tm := e.Projection()
	var prov orb.MultiPolygon
	for _, c := range coverage.SmallCommunes() {
		prov = append(prov, projectMP(tm, c.Geometry)...)
	}
	fc, _ := render.Coverage(r, "viettel", data.Tech4G, 0, -1)
	mp := projectMP(tm, lonLatMP(t, fc))
	for _, p := range mp {
		for _, q := range p[0] {
			if !planar.MultiPolygonContains(prov, q) && distToBoundary(prov, q) > 1 {
				t.Fatalf("vertex %v is %.2f m outside the province", q, distToBoundary(prov, q))
			}
		}
	}
	west := []contour.Segment{
		{A: tm.Forward(coverage.SmallPoint(-4000, 0)), B: tm.Forward(coverage.SmallPoint(-2000, -3500))},
		{A: tm.Forward(coverage.SmallPoint(-4000, 0)), B: tm.Forward(coverage.SmallPoint(-2000, 3500))},
	}
	for k, s := range west {
		n := 0
		for _, p := range mp {
			for _, q := range p[0] {
				if s.DistTo(q) < 0.1 {
					n++
				}
			}
		}
		if n < 5 {
			t.Errorf("west edge %d: %d vertices within 0.1 m, want the coverage edge to follow it", k, n)
		}
	}
}

// A carrier with one omni sector on flat ground inside the province covers a disc: its
// coverage polygon and its footprint have the area π r², r found by bisection on geo's exact
// link budget (independent of the engine's tables), within 0.3 % (the inscribed polygon of a
// 1.4 km circle with 10 m chords loses 0.002 %; the level tables and the float32 field add
// less than 0.1 dB ≈ 0.6 m of radius).
func TestOmniDiscArea(t *testing.T) {
	const cellM = 10.0
	def := coverage.FixtureDefinition(t)
	commune := coverage.SquareCommune("00001", data.TypeCommune, coverage.FixLon, coverage.FixLat, 4000, 10000, 2500)
	e, err := coverage.New([]data.Commune{commune}, def, coverage.Options{CellM: cellM})
	if err != nil {
		t.Fatal(err)
	}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: coverage.FixLon, Lat: coverage.FixLat, HeightM: 1.5, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech3G, BandMHz: 2100, Omni: true, PowerDBm: 33, BandwidthMHz: 5, GainDBi: 11, FeederLossDB: 2}}}
	r, err := e.Compute(context.Background(), coverage.StoreWith(t, e, []data.Site{site}).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	// Free space at handset height: 42 dBm − (32.45 + 20 lg 2100 + 20 lg d) = −60 dBm.
	rM := 1000 * math.Pow(10, (42+60-32.45-20*math.Log10(2100))/20)
	want := math.Pi * rM * rM
	fc, err := render.Coverage(r, "viettel", data.Tech3G, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	cov := geo.PlanarAreaM2(e.Projection().ForwardGeometry(lonLatMP(t, fc)))
	fps, err := e.Footprints(context.Background(), []data.Site{site}, data.Tech3G)
	if err != nil || len(fps) != 1 {
		t.Fatalf("footprints: %d, %v", len(fps), err)
	}
	for _, c := range []struct {
		name   string
		areaM2 float64
	}{{"coverage", cov}, {"footprint", fps[0].AreaM2}} {
		if rel := c.areaM2/want - 1; math.Abs(rel) > 0.003 {
			t.Errorf("%s area %.0f m², want π r² = %.0f m² (r %.2f m): %+.3f %%", c.name, c.areaM2, want, rM, 100*rel)
		}
	}
}

// Per-commune covered fraction from the polygons agrees with the raster statistics. The
// polygons' share is exact vector geometry: the any-carrier layer clipped to each convex commune
// with geo.ClipToConvex; the raster's is covered cells / land cells. On the demo at 100 m cells
// they must agree within 0.5 percentage points for every convex commune over 5 km² (the
// demo's schematic communes are Voronoi cells; those cut by the coast are not convex and are
// skipped). A contour shifted by half a cell, or a clip that leaks across a commune edge, moves
// the share by several points.
func TestPolygonsAgreeWithRaster(t *testing.T) {
	e, r := coverage.DemoCase(t, 100)
	tm := e.Projection()
	checked, worst := 0, 0.0
	for _, tech := range data.AnalysedTechs {
		fc, err := render.Coverage(r, coverage.AnyCarrier, tech, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		cov := projectMP(tm, lonLatMP(t, fc))
		stats := r.CommuneStatsFor(tech)
		for ci, c := range e.Communes() {
			ring := projectMP(tm, c.Geometry)
			if len(ring) != 1 || len(ring[0]) != 1 || !convex(ring[0][0]) {
				continue
			}
			areaM2 := geo.PlanarAreaM2(ring)
			if areaM2 < 5e6 {
				continue
			}
			checked++
			got := 100 * geo.PlanarAreaM2(geo.ClipToConvex(cov, ring[0][0])) / areaM2
			d := got - stats[ci].CoveredAreaPct
			worst = max(worst, math.Abs(d))
			if math.Abs(d) > 0.5 {
				t.Errorf("%s %s %s: polygons cover %.3f %%, raster %.3f %% (%+.3f pp)", tech, c.Code, c.Name, got, stats[ci].CoveredAreaPct, d)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d (commune, tech) pairs checked; the demo's communes changed?", checked)
	}
	t.Logf("%d (convex commune, tech) pairs, worst difference %.3f pp", checked, worst)
}

// convex reports whether a closed ring turns one way only (collinear vertices allowed).
func convex(r orb.Ring) bool {
	sign := 0
	n := len(r) - 1
	for k := range n {
		a, b, c := r[k], r[(k+1)%n], r[(k+2)%n]
		v := (b[0]-a[0])*(c[1]-b[1]) - (b[1]-a[1])*(c[0]-b[0])
		s := 0
		if v > 1e-6 {
			s = 1
		} else if v < -1e-6 {
			s = -1
		}
		if s != 0 {
			if sign != 0 && s != sign {
				return false
			}
			sign = s
		}
	}
	return true
}

// A phone showing the whole province (zoom 9–10) needs at most ~100 KB gzipped per layer. The
// demo at the default 50 m cells, every carrier and any, both technologies, at the coverage
// threshold and the strongest tier (the most fragmented layer). The full-detail size (zoom -1)
// has no limit: it is logged for the any-carrier layer only (each carrier's full-detail layer,
// marshalled and gzipped under -race for nothing but a log line, cost a third of the test's CPU).
func TestPhoneViewSize(t *testing.T) {
	testenv.Heavy(t, "the demo's layers at 50 m for every carrier, technology and tier: its point is their real byte size")
	if testing.Short() {
		t.Skip("computes the demo at 50 m")
	}
	t.Parallel()
	e, r := coverage.DemoCase(t, coverage.DefaultCellM)
	const limit = 100 << 10
	for _, tech := range data.AnalysedTechs {
		rule, _ := e.Definition().Rule(tech)
		for _, tier := range []int{0, 1, len(rule.TiersDBm)} {
			for _, z := range []int{9, 10, -1} {
				anyGz, most, mostBy := 0, 0, ""
				carriers := append(r.Carriers(), coverage.AnyCarrier)
				if z < 0 {
					carriers = []string{coverage.AnyCarrier}
				}
				for _, c := range carriers {
					fc, err := render.Coverage(r, c, tech, tier, z)
					if err != nil {
						t.Fatal(err)
					}
					_, gz := geoJSONSize(t, fc)
					if z >= 0 && gz > limit {
						t.Errorf("%s %s tier %d zoom %d: %d bytes gzipped, over %d", c, tech, tier, z, gz, limit)
					}
					if c == coverage.AnyCarrier {
						anyGz = gz
					} else if gz > most {
						most, mostBy = gz, c
					}
				}
				if z < 0 {
					t.Logf("%s tier %d full detail: any %7d B gzipped", tech, tier, anyGz)
					continue
				}
				t.Logf("%s tier %d zoom %2d: any %7d B gzipped, largest carrier %7d B (%s)", tech, tier, z, anyGz, most, mostBy)
			}
		}
	}
}

// geoJSONSize returns the marshalled size and the gzipped size of fc.
func geoJSONSize(t *testing.T, fc *geojson.FeatureCollection) (raw, gz int) {
	t.Helper()
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	w.Write(b)
	w.Close()
	return len(b), buf.Len()
}

// Gaps: the uncovered land of each commune, whole (no sliver dropped), plus the raster's
// covered area equals the commune's land within the same raster-vs-vector tolerance; slivers
// under the minimum are dropped and counted out of the uncovered population.
func TestGaps(t *testing.T) {
	e, r := coverage.SmallCase(t, 100)
	stats := r.CommuneStatsFor(data.Tech4G)
	all, err := render.Gaps(r, data.Tech4G, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Features) != 2 {
		t.Fatalf("%d gap features, want one per commune (2)", len(all.Features))
	}
	for ci, f := range all.Features {
		c := e.Communes()[ci]
		if f.Properties["code"] != c.Code || f.Properties["tech"] != "4G" {
			t.Errorf("feature %d properties %v", ci, f.Properties)
		}
		gapM2 := geo.PlanarAreaM2(e.Projection().ForwardGeometry(f.Geometry))
		polyM2 := coverage.PolyAreaM2(e, ci)
		got := 100 * (1 - gapM2/polyM2)
		if d := got - stats[ci].CoveredAreaPct; math.Abs(d) > 1 {
			t.Errorf("%s: 1 − gaps/area = %.3f %%, raster covered %.3f %%", c.Code, got, stats[ci].CoveredAreaPct)
		}
		wantPop := float64(c.Population) * gapM2 / polyM2
		if p := f.Properties["uncovered_population"].(float64); math.Abs(p-wantPop) > 0.051 {
			t.Errorf("%s: uncovered population %.1f, want %.1f", c.Code, p, wantPop)
		}
	}
	// With a minimum above the smallest piece, fewer pieces and never one under the minimum.
	var smallest float64 = math.Inf(1)
	for _, f := range all.Features {
		for _, p := range projectMP(e.Projection(), f.Geometry.(orb.MultiPolygon)) {
			smallest = min(smallest, geo.PlanarAreaM2(p))
		}
	}
	minM2 := smallest * 1.01
	some, _ := render.Gaps(r, data.Tech4G, "", minM2)
	n := 0
	for _, f := range some.Features {
		for _, p := range projectMP(e.Projection(), f.Geometry.(orb.MultiPolygon)) {
			n++
			if a := geo.PlanarAreaM2(p); a < minM2*0.999 {
				t.Errorf("kept a %.0f m² piece under the %.0f m² minimum", a, minM2)
			}
		}
	}
	total := 0
	for _, f := range all.Features {
		total += len(f.Geometry.(orb.MultiPolygon))
	}
	if n >= total {
		t.Errorf("minimum %.0f m² kept %d of %d pieces, want fewer", minM2, n, total)
	}
	one, err := render.Gaps(r, data.Tech4G, "00002", coverage.DefaultMinGapAreaM2)
	if err != nil || len(one.Features) > 1 || (len(one.Features) == 1 && one.Features[0].Properties["code"] != "00002") {
		t.Errorf("gaps of 00002: %v, %v", one, err)
	}
}

func TestPolygonErrors(t *testing.T) {
	_, r := coverage.SmallCase(t, 200)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"unknown carrier", second(render.Coverage(r, "mobifone", data.Tech4G, 0, -1)), coverage.ErrNoLayer},
		{"unknown tech", second(render.Coverage(r, coverage.AnyCarrier, data.Tech2G, 0, -1)), coverage.ErrNoLayer},
		{"tier too high", second(render.Coverage(r, coverage.AnyCarrier, data.Tech4G, 2, -1)), coverage.ErrTier},
		{"negative tier", second(render.Coverage(r, coverage.AnyCarrier, data.Tech4G, -1, -1)), coverage.ErrTier},
		{"gaps unknown tech", second(render.Gaps(r, data.Tech5G, "", coverage.DefaultMinGapAreaM2)), coverage.ErrNoLayer},
		{"gaps unknown commune", second(render.Gaps(r, data.Tech4G, "99999", coverage.DefaultMinGapAreaM2)), coverage.ErrNoLayer},
		{"footprints unknown tech", second(r.Engine().Footprints(context.Background(), coverage.SmallSites(), data.Tech2G)), coverage.ErrNoLayer},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// The commune layer carries each commune's statistics per technology, equal to the raster
// statistics, and MarkSynthetic flags every feature.
func TestCommunesGeoJSON(t *testing.T) {
	_, r := coverage.SmallCase(t, 100)
	communes := coverage.SmallCommunes()
	fc := render.Communes(r, append(communes, data.Commune{Code: "77777", Name: "Elsewhere",
		Geometry: orb.MultiPolygon{{coverage.SmallRing(9000, 0, 9500, 0, 9500, 500)}}}))
	render.MarkSynthetic(fc, "invented")
	if len(fc.Features) != 3 {
		t.Fatalf("%d features, want 3", len(fc.Features))
	}
	for _, tech := range data.AnalysedTechs {
		stats := r.CommuneStatsFor(tech)
		sfx := "_" + strings.ToLower(string(tech))
		for k, s := range stats {
			p := fc.Features[k].Properties
			if p["code"] != s.Code || p["covered_area_pct"+sfx] != math.Round(s.CoveredAreaPct*1e6)/1e6 ||
				p["carriers_present"+sfx] != s.CarriersPresent || p["covered_area_pct"+sfx+"_vinaphone"] == nil {
				t.Errorf("%s %s: properties %v do not carry the statistics %+v", s.Code, tech, p, s)
			}
		}
	}
	if p := fc.Features[2].Properties; p["covered_area_pct_4g"] != nil || p["code"] != "77777" {
		t.Errorf("unknown commune got statistics: %v", p)
	}
	for _, f := range fc.Features {
		if f.Properties["synthetic"] != true || f.Properties["note"] != "invented" {
			t.Errorf("feature %v not marked synthetic", f.Properties["code"])
		}
	}
	checkValid(t, "communes", orb.MultiPolygon{fc.Features[0].Geometry.(orb.MultiPolygon)[0]})
}

// BenchmarkRecomputeWithLayers is the full province recompute with everything a client can ask
// for: Compute, then every coverage layer (each carrier and any, threshold tier) and every
// commune's gaps at full detail (WarmLayers, on the engine's workers), their GeoJSON at full
// detail and at zoom 10 and the gaps' GeoJSON (data/render, as many goroutines as the engine
// has workers), and the commune layer.
func BenchmarkRecomputeWithLayers(b *testing.B) {
	coverage.BenchRecompute(b, func(r *coverage.Result) error {
		if err := r.WarmLayers(context.Background()); err != nil {
			return err
		}
		var jobs []func() error
		for _, tech := range data.AnalysedTechs {
			for _, c := range append(r.Carriers(), coverage.AnyCarrier) {
				for _, z := range []int{-1, 10} {
					jobs = append(jobs, func() error { _, err := render.Coverage(r, c, tech, 0, z); return err })
				}
			}
			jobs = append(jobs, func() error { _, err := render.Gaps(r, tech, "", coverage.DefaultMinGapAreaM2); return err })
		}
		errs := make([]error, len(jobs))
		var wg sync.WaitGroup
		var next atomic.Int64
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for n := int(next.Add(1) - 1); n < len(jobs); n = int(next.Add(1) - 1) {
					errs[n] = jobs[n]()
				}
			})
		}
		wg.Wait()
		render.Communes(r, r.Engine().Communes())
		return errors.Join(errs...)
	})
}
