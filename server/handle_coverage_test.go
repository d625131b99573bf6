package server

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/geo"
	"phusong/server/app"
)

func TestCoverage(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct {
		name, query string
		status      int
		param       string
		nonEmpty    bool
	}{
		{"defaults (4G, any, tier 0)", "", http.StatusOK, "", true},
		{"3G any", "tech=3G&carrier=any", http.StatusOK, "", true},
		{"one carrier", "tech=4G&carrier=viettel", http.StatusOK, "", true},
		{"strongest tier", "tech=4G&tier=1", http.StatusOK, "", false},
		{"weakest tier", "tech=4G&tier=4", http.StatusOK, "", true},
		{"zoom below range is clamped", "zoom=0", http.StatusOK, "", true},
		{"zoom above range is clamped", "zoom=22", http.StatusOK, "", true},
		{"bad tech", "tech=5G", http.StatusBadRequest, "tech", false},
		{"bad carrier", "carrier=nope", http.StatusBadRequest, "carrier", false},
		{"tier past the definition", "tier=5", http.StatusBadRequest, "tier", false},
		{"negative tier", "tier=-1", http.StatusBadRequest, "tier", false},
		{"zoom not an integer", "zoom=9.5", http.StatusBadRequest, "zoom", false},
		{"zoom beyond web maps", "zoom=40", http.StatusBadRequest, "zoom", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/coverage?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				return
			}
			if ct := r.header.Get("Content-Type"); ct != ctGeoJSON {
				t.Fatalf("Content-Type %q", ct)
			}
			fc := decode[featureCollection](t, r)
			if fc.Type != "FeatureCollection" || fc.Features == nil {
				t.Fatalf("type %q, features nil=%v", fc.Type, fc.Features == nil)
			}
			if tc.nonEmpty && len(fc.Features) == 0 {
				t.Fatal("no coverage polygon for the demo")
			}
		})
	}
}

// TestCoverageZoomClamp: zooms outside [zoomMin, zoomMax] answer exactly the clamped zoom.
func TestCoverageZoomClamp(t *testing.T) {
	_, ts := newTestServer(t)
	cases := []struct{ name, zoom, same string }{
		{"below", "1", "7"},
		{"above", "20", "15"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, ts.URL+"/api/v1/coverage?zoom="+tc.zoom)
			b := get(t, ts.URL+"/api/v1/coverage?zoom="+tc.same)
			if a.header.Get("ETag") != b.header.Get("ETag") {
				t.Fatalf("zoom %s and %s differ", tc.zoom, tc.same)
			}
		})
	}
}

func TestGaps(t *testing.T) {
	_, ts := newTestServer(t)
	code := demoState(t).Coverage.Priority(data.Tech3G)[0].Code // the most people uncovered: it has gaps
	cases := []struct {
		name, query string
		status      int
		param       string
	}{
		{"all communes", "tech=4G", http.StatusOK, ""},
		{"one commune", "tech=3G&commune=" + code, http.StatusOK, ""},
		{"unknown commune", "commune=99999", http.StatusBadRequest, "commune"},
		{"bad tech", "tech=x", http.StatusBadRequest, "tech"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/gaps?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				return
			}
			fc := decode[featureCollection](t, r)
			if fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
				t.Fatalf("not a FeatureCollection with gaps: %s", truncate(string(r.body), 200))
			}
			// The demo's gaps: one feature per commune with one, in code order; with commune=,
			// that commune's only.
			prev := ""
			for _, f := range fc.Features {
				c, _ := f.Props["code"].(string)
				if c <= prev || strings.Contains(tc.query, "commune=") && c != code {
					t.Fatalf("feature of commune %q after %q (query %s)", c, prev, tc.query)
				}
				prev = c
			}
		})
	}
}

// signalReply is the part of /api/v1/signal the tests read.
type signalReply struct {
	Commune *communeRef   `json:"commune"`
	Levels  []signalLevel `json:"levels"`
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func TestSignal(t *testing.T) {
	_, ts := newTestServer(t)
	site := demoInput.Sites[0] // a demo site stands inside the province
	cases := []struct {
		name, query string
		status      int
		param       string
		inside      bool
	}{
		{"at a site", "lon=" + ftoa(site.Lon) + "&lat=" + ftoa(site.Lat), http.StatusOK, "", true},
		{"far away", "lon=0&lat=0", http.StatusOK, "", false},
		{"missing lat", "lon=106.3", http.StatusBadRequest, "lat", false},
		{"lon junk", "lon=abc&lat=9.9", http.StatusBadRequest, "lon", false},
		{"lon out of range", "lon=200&lat=9.9", http.StatusBadRequest, "lon", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, ts.URL+"/api/v1/signal?"+tc.query)
			if !answered(t, r, tc.status, tc.param) {
				return
			}
			got := decode[signalReply](t, r)
			if (got.Commune != nil) != tc.inside || got.Levels == nil {
				t.Fatalf("commune %+v, levels nil=%v; want inside=%v and an array", got.Commune, got.Levels == nil, tc.inside)
			}
			if !tc.inside {
				if len(got.Levels) != 0 {
					t.Fatalf("%d levels far outside the province", len(got.Levels))
				}
				return
			}
			if len(got.Levels) == 0 {
				t.Fatal("no level predicted at a site")
			}
			// The engine's prediction at the point, rounded to 0.1 dB (TestSignalLinkBudget
			// checks the engine's against a hand link budget).
			for k, pl := range demoState(t).Coverage.At(orb.Point{site.Lon, site.Lat}) {
				if k >= len(got.Levels) || k == 0 && pl.Serving.SiteID == "" {
					t.Fatalf("%d levels, the engine has more (its first %+v)", len(got.Levels), pl)
				}
				l := got.Levels[k]
				levelOK := l.LevelDBm == nil && math.IsNaN(pl.LevelDBm) || l.LevelDBm != nil && *l.LevelDBm == math.Round(pl.LevelDBm*10)/10
				if l.Carrier != pl.Carrier || l.Tech != pl.Tech || !levelOK || l.ServingSiteID != pl.Serving.SiteID || l.CoveredOutdoor != pl.CoveredOutdoor || l.CoveredIndoor != pl.CoveredIndoor {
					t.Errorf("level %d: %+v (level %v), engine %+v", k, l, deref(l.LevelDBm), pl)
				}
			}
		})
	}
}

// The one-site fixture of the value tests: two 6 km squares side by side (00001 west, 00002
// east) and a 1 km square 00003 20 km south of 00001's centre. One omni viettel site at the
// centre of 00001, 5 m high, with a 3G sector (2100 MHz, CPICH 33 dBm, 10 dBi, 2 dB feeder:
// EIRP 41 dBm) and a 4G one (1800 MHz, 46 dBm over 20 MHz = 46 − 10 lg 1200 = 15.20819 dBm
// per resource element, 15 dBi, 2 dB: 28.20819 dBm); the same site of mobifone at 00003's
// centre. Free space, handset 1.5 m; 3G needs −60 dBm outdoors (−49 indoors), 4G −70 (−58);
// levels under the cutoff (1 dB below: −61, −71) are not predicted.
//
//	+-----------+-----------+
//	|   00001   |   00002   |   viettel's 3G disc: 41 − 98.89439 − 20 lg r = −60 at
//	|    (*)    |           |   r = 1.2744 km, its 4G disc 28.20819 − 97.55545 − 20 lg r = −70
//	|           |           |   at 1.0780 km (3.5 m of height difference changes them by
//	+-----------+-----------+   5 µm); nothing of it reaches 00002 or 00003
//	     [00003] (*) mobifone, covered whole (its farthest point is 0.71 km away)
const (
	oneSiteSideM = 6000.0
	oneSiteLon   = 106.34
	oneSiteLat   = 9.93
)

// oneSiteState builds the fixture at cellM.
func oneSiteState(t *testing.T, cellM float64) *app.State {
	t.Helper()
	lonM, latM := geo.MetresPerDegree(oneSiteLat)
	square := func(code string, eastM, northM, sideM float64, pop, hh int) data.Commune {
		dx, dy := sideM/2/lonM, sideM/2/latM
		lon, lat := oneSiteLon+eastM/lonM, oneSiteLat+northM/latM
		ring := orb.Ring{{lon - dx, lat - dy}, {lon + dx, lat - dy}, {lon + dx, lat + dy}, {lon - dx, lat + dy}, {lon - dx, lat - dy}}
		return data.Commune{Code: code, Name: "Xã " + code, NameEN: "Commune " + code, Type: data.TypeCommune,
			Geometry: orb.MultiPolygon{{ring}}, Population: pop, Households: hh}
	}
	rule := func(metric string, thr, indoor float64) coverage.TechRule {
		return coverage.TechRule{Metric: metric, ThresholdDBm: thr, Reliability: 0.5, SigmaDB: 8, IndoorLossDB: indoor, IndoorSigmaDB: 10,
			Model: geo.ModelFreeSpace, WardEnv: geo.EnvOpen, CommuneEnv: geo.EnvOpen, TiersDBm: []float64{thr}}
	}
	def := &coverage.Definition{Version: "one-site/1", RxHeightM: 1.5, Techs: map[data.Tech]coverage.TechRule{
		data.Tech3G: rule("RSCP", -60, 11), data.Tech4G: rule("RSRP", -70, 12)}}
	site := data.Site{Carrier: "viettel", SiteID: "S1", Lon: oneSiteLon, Lat: oneSiteLat, HeightM: 5, Status: data.StatusActive,
		Sectors: []data.Sector{
			{Tech: data.Tech3G, BandMHz: 2100, Omni: true, BeamwidthDeg: 360, PowerDBm: 33, BandwidthMHz: 5, GainDBi: 10, FeederLossDB: 2},
			{Tech: data.Tech4G, BandMHz: 1800, Omni: true, BeamwidthDeg: 360, PowerDBm: 46, BandwidthMHz: 20, GainDBi: 15, FeederLossDB: 2},
		}}
	south := site
	south.Carrier, south.SiteID, south.Lat = "mobifone", "S3", oneSiteLat-20000/latM
	in := app.Input{
		Communes: []data.Commune{square("00001", 0, 0, oneSiteSideM, 36000, 9000), square("00002", oneSiteSideM, 0, oneSiteSideM, 7200, 1800),
			square("00003", 0, -20000, 1000, 500, 100)},
		Sites: []data.Site{site, south}, Definition: def, Coverage: coverage.Options{CellM: cellM},
	}
	st, err := app.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSignalLinkBudget asks /api/v1/signal at cell centres of the one-site fixture and compares
// each level with the link budget worked by hand, rounded to 0.1 dB as the API answers:
// EIRP − (32.45 + 20 lg f + 20 lg s) − 12 (θ/10°)², s the slant range in km, θ the depression
// angle atan(3.5 m / d) (the vertical pattern of the omni antenna, 10° beamwidth). At d = 1 km:
// 3G 41 − 98.89439 − 0.00482 = −57.899 dBm, 4G 28.20819 − 97.55545 − 0.00482 = −69.352, both
// covered outdoors, not indoors; each 20 lg(d/1 km) lower further out. The grid's cells are
// 50 m: the test takes the centre of the cell holding each point (up to 35 m from it, so
// within 0.4 dB of the figures below, worked at the round distances) and compares the answer
// with the budget worked at the centre's exact distance.
func TestSignalLinkBudget(t *testing.T) {
	st := oneSiteState(t, 50)
	_, ts := serveState(t, st, Options{})
	tm, g := st.Engine.Projection(), st.Engine.Grid()
	mast := tm.Forward(orb.Point{oneSiteLon, oneSiteLat})
	budget := func(eirpDBm, fMHz, dM float64) float64 {
		s := math.Hypot(dM, 3.5) / 1000
		theta := math.Atan(3.5/dM) * 180 / math.Pi
		return eirpDBm - (32.45 + 20*math.Log10(fMHz) + 20*math.Log10(s)) - 12*(theta/10)*(theta/10)
	}
	eirp4 := 46 - 10*math.Log10(1200) + 15 - 2
	nan := math.NaN()
	type techWant struct {
		approxDBm float64 // NaN: below the cutoff, null
		covered   bool
	}
	cases := []struct {
		name          string
		eastM, northM float64
		w3G, w4G      techWant
	}{
		{"1 km east", 1000, 0, techWant{-57.899, true}, techWant{-69.352, true}},
		{"1.15 km north", 0, 1150, techWant{-59.113, true}, techWant{-70.566, false}},
		{"1.35 km west", -1350, 0, techWant{-60.506, false}, techWant{nan, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i, j, ok := g.CellOf(orb.Point{mast[0] + tc.eastM, mast[1] + tc.northM})
			if !ok {
				t.Fatal("outside the grid")
			}
			c := g.Center(i, j)
			dM := math.Hypot(c[0]-mast[0], c[1]-mast[1])
			p := tm.Inverse(c)
			r := get(t, ts.URL+"/api/v1/signal?lon="+ftoa(p[0])+"&lat="+ftoa(p[1]))
			if !answered(t, r, http.StatusOK, "") {
				return
			}
			got := decode[signalBody](t, r)
			if got.Commune == nil || got.Commune.Code != "00001" || got.DefinitionVersion != "one-site/1" {
				t.Fatalf("commune %+v, definition %q; want 00001, one-site/1", got.Commune, got.DefinitionVersion)
			}
			type want struct {
				levelDBm, reqOut, reqIn float64
				cov                     bool
			}
			wants := map[data.Tech]want{
				data.Tech3G: {budget(41, 2100, dM), -60, -49, tc.w3G.covered},
				data.Tech4G: {budget(eirp4, 1800, dM), -70, -58, tc.w4G.covered},
			}
			for tech, tw := range map[data.Tech]techWant{data.Tech3G: tc.w3G, data.Tech4G: tc.w4G} {
				if math.IsNaN(tw.approxDBm) {
					w := wants[tech]
					w.levelDBm = nan
					wants[tech] = w
				} else if w := wants[tech].levelDBm; math.Abs(w-tw.approxDBm) > 0.4 {
					t.Fatalf("fixture: %s budget at the cell centre %.3f dBm, the comment says %.3f", tech, w, tw.approxDBm)
				}
			}
			// viettel 3G, 4G; mobifone 3G, 4G (nothing here); any 3G, 4G.
			carriers := []string{"viettel", "viettel", "mobifone", "mobifone", "any", "any"}
			if len(got.Levels) != len(carriers) {
				t.Fatalf("%d levels, want %d: %+v", len(got.Levels), len(carriers), got.Levels)
			}
			for k, l := range got.Levels {
				w := wants[data.AnalysedTechs[k%2]]
				if carriers[k] == "mobifone" {
					w.levelDBm, w.cov = nan, false
				}
				serving := "S1"
				if math.IsNaN(w.levelDBm) {
					serving = ""
				}
				levelOK := l.LevelDBm == nil && math.IsNaN(w.levelDBm) ||
					l.LevelDBm != nil && math.Abs(*l.LevelDBm-w.levelDBm) <= 0.05+1e-9 && *l.LevelDBm == math.Round(*l.LevelDBm*10)/10
				if l.Carrier != carriers[k] || l.Tech != data.AnalysedTechs[k%2] || !levelOK || l.ServingSiteID != serving ||
					l.CoveredOutdoor != w.cov || l.CoveredIndoor || l.RequiredOutdoorDBm != w.reqOut || l.RequiredIndoorDBm != w.reqIn {
					t.Errorf("level %d: %+v (level %v); want %s %s %.3f dBm ± 0.05 from %q, covered outdoors %v, not indoors, required %g/%g",
						k, l, deref(l.LevelDBm), carriers[k], data.AnalysedTechs[k%2], w.levelDBm, serving, w.cov, w.reqOut, w.reqIn)
				}
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestGapsValues asks /api/v1/gaps on the one-site fixture (cells of 50 m) and compares with
// hand values: 00001's 3G gap is its square less viettel's disc, 36 − π·1.2744² = 30.898 km²,
// one polygon with the disc as its hole, uncovered population 36,000 × 30.898 / 36 = 30,898
// (the commune's people spread over its area); 4G: 36 − π·1.0780² = 32.349 km². 00002's gap
// is all of it, 36 km² and 7,200 people, without a hole. The contour follows the level between
// cell centres: areas agree within 0.5 %. 00003, covered whole, has no gap. The commune filter
// answers exactly the unfiltered answer's feature of that commune, and [] for 00003.
func TestGapsValues(t *testing.T) {
	st := oneSiteState(t, 50)
	_, ts := serveState(t, st, Options{})
	disc := func(eirpDBm, fMHz, thrDBm float64) float64 { // km², π r²
		r := math.Pow(10, (eirpDBm-thrDBm-(32.45+20*math.Log10(fMHz)))/20)
		return math.Pi * r * r
	}
	for _, tc := range []struct {
		tech   string
		discKM float64
		thr    float64
	}{
		{"3G", disc(41, 2100, -60), -60},
		{"4G", disc(46-10*math.Log10(1200)+15-2, 1800, -70), -70},
	} {
		t.Run(tc.tech, func(t *testing.T) {
			want := []struct {
				code         string
				areaKM2, pop float64
				holes        int
			}{
				{"00001", 36 - tc.discKM, 36000 * (36 - tc.discKM) / 36, 1},
				{"00002", 36, 7200, 0},
			}
			all := get(t, ts.URL+"/api/v1/gaps?tech="+tc.tech)
			if !answered(t, all, http.StatusOK, "") {
				return
			}
			fc := decode[featureCollection](t, all)
			if len(fc.Features) != len(want) {
				t.Fatalf("%d gap features, want %d (00001, 00002)", len(fc.Features), len(want))
			}
			for k, w := range want {
				f := fc.Features[k]
				var g struct {
					Type        string           `json:"type"`
					Coordinates [][][][2]float64 `json:"coordinates"`
				}
				if err := json.Unmarshal(f.Geometry, &g); err != nil || len(g.Coordinates) == 0 {
					t.Fatalf("gap %d geometry %s: %v", k, truncate(string(f.Geometry), 100), err)
				}
				area, _ := f.Props["area_km2"].(float64)
				pop, _ := f.Props["uncovered_population"].(float64)
				if f.Props["code"] != w.code || f.Props["tech"] != tc.tech || f.Props["threshold_dbm"] != tc.thr ||
					math.Abs(area-w.areaKM2) > 0.005*w.areaKM2 || math.Abs(pop-w.pop) > 0.005*w.pop ||
					g.Type != "MultiPolygon" || len(g.Coordinates) != 1 || len(g.Coordinates[0])-1 != w.holes {
					t.Errorf("gap %d: %v, %s of %d polygons (%d rings in the first); want %s area %.3f km², %.0f people, %d hole(s)",
						k, f.Props, g.Type, len(g.Coordinates), len(g.Coordinates[0]), w.code, w.areaKM2, w.pop, w.holes)
				}
				one := decode[featureCollection](t, get(t, ts.URL+"/api/v1/gaps?tech="+tc.tech+"&commune="+w.code))
				if len(one.Features) != 1 || !reflect.DeepEqual(one.Features[0], f) {
					t.Errorf("commune=%s: %d features, want exactly the unfiltered answer's", w.code, len(one.Features))
				}
			}
			none := get(t, ts.URL+"/api/v1/gaps?tech="+tc.tech+"&commune=00003")
			if fc := decode[featureCollection](t, none); none.status != http.StatusOK || fc.Features == nil || len(fc.Features) != 0 {
				t.Errorf("commune=00003 (covered whole): status %d, %d features, want 200 and []", none.status, len(fc.Features))
			}
		})
	}
}
