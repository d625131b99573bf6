package render

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/population"
	"phusong/data/store"
	"phusong/geo"
)

// Fixture: two 3 km square communes side by side near Trà Vinh (A west, B east) and a row of
// omni 4G masts along their border, whose coverage cuts the land in two.
//
//	+-------(*)-------+
//	|v2      |        |   villages: 500 people at the middle mast (covered),
//	|       (*)    v3 |   300 at v2 in A's north-west corner, 120 at v3 in B (uncovered)
//	|        |        |
//	+-------(*)-------+
const fixLon, fixLat, sideM = 106.34, 9.93, 3000.0

func square(code string, lon, lat float64, pop int) data.Commune {
	lonM, latM := geo.MetresPerDegree(lat)
	dx, dy := sideM/2/lonM, sideM/2/latM
	return data.Commune{Code: code, Name: "Xã " + code, Type: data.TypeCommune, Population: pop, Households: pop / 4,
		Geometry: orb.MultiPolygon{{{{lon - dx, lat - dy}, {lon + dx, lat - dy}, {lon + dx, lat + dy}, {lon - dx, lat + dy}, {lon - dx, lat - dy}}}}}
}

// fixture computes the two communes with src (nil: uniform) and the mast.
func fixture(t *testing.T, src *population.Source) (*coverage.Engine, *coverage.Result, *store.Store) {
	t.Helper()
	lonM, _ := geo.MetresPerDegree(fixLat)
	cs := []data.Commune{square("00001", fixLon, fixLat, 10000), square("00002", fixLon+sideM/lonM, fixLat, 4000)}
	e, err := coverage.New(cs, coverage.DefaultDefinition(), coverage.Options{CellM: 50, Population: src, PopulationMode: population.ModeRaster})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(e.Reach)
	_, latM := geo.MetresPerDegree(fixLat)
	var masts []data.Site
	for k, dy := range []float64{-1200, 0, 1200} {
		masts = append(masts, data.Site{Carrier: "viettel", SiteID: "M" + string(rune('1'+k)), Lon: fixLon + sideM/2/lonM, Lat: fixLat + dy/latM,
			HeightM: 30, Status: data.StatusActive, Sectors: []data.Sector{{Tech: data.Tech4G, BandMHz: 1800, Omni: true,
				PowerDBm: 43, BandwidthMHz: 10, GainDBi: 8, FeederLossDB: 2}}})
	}
	if _, err := st.Upsert(masts); err != nil {
		t.Fatal(err)
	}
	r, err := e.Compute(context.Background(), st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return e, r, st
}

// villages are the fixture's people: at the middle mast, at v2 and at v3.
func villages() (*population.Source, orb.Point, orb.Point) {
	lonM, latM := geo.MetresPerDegree(fixLat)
	v2 := orb.Point{fixLon - 1300/lonM, fixLat + 1300/latM}
	v3 := orb.Point{fixLon + 4200/lonM, fixLat + 500/latM}
	return &population.Source{Name: "villages.csv", Format: "CSV points", Points: []population.Point{
		{Lon: fixLon + sideM/2/lonM, Lat: fixLat, People: 500}, {Lon: v2[0], Lat: v2[1], People: 300}, {Lon: v3[0], Lat: v3[1], People: 120}}}, v2, v3
}

// TestPocketsGeoJSON: the two uncovered villages are the two pockets with people (v2 first);
// each feature's polygon holds its village and has the pocket's area, its properties name the
// commune, the people and the distance to the mast; the KML name carries the people.
func TestPocketsGeoJSON(t *testing.T) {
	src, v2, v3 := villages()
	e, r, st := fixture(t, src)
	l, err := pocket.Find(r, data.Tech4G, pocket.Options{MinPeople: 100, Sites: st.Snapshot()})
	if err != nil {
		t.Fatal(err)
	}
	fc := Pockets(l, e, r.DefinitionVersion(), -1)
	if len(fc.Features) != 2 {
		t.Fatalf("%d pockets with 100 people or more, want 2 (v2, v3)", len(fc.Features))
	}
	for i, want := range []struct {
		at      orb.Point
		people  float64
		commune string
	}{{v2, 300, "00001"}, {v3, 120, "00002"}} {
		f := fc.Features[i]
		p := f.Properties
		mp := f.Geometry.(orb.MultiPolygon)
		if p["people"] != want.people || p["rank"] != i+1 || p["commune"] != want.commune || p["tech"] != "4G" ||
			p["calibration"] != "uncalibrated" {
			t.Errorf("pocket %d: %v", i+1, p)
		}
		if !planar.MultiPolygonContains(mp, want.at) {
			t.Errorf("pocket %d does not hold its village", i+1)
		}
		if a := geo.PlanarAreaM2(e.Projection().ForwardGeometry(mp)); math.Abs(a-l.Pockets[i].AreaM2) > 1e-3*l.Pockets[i].AreaM2 {
			t.Errorf("pocket %d: polygon %.0f m², cells %.0f m²", i+1, a, l.Pockets[i].AreaM2)
		}
		// The id is the pocket's first cell in row-major order: the polygon holds that cell's
		// centre, and no cell of the pocket comes before it.
		g := e.Grid()
		id, _ := f.ID.(int)
		first := e.Projection().Inverse(g.Center(id%g.NX, id/g.NX))
		if !planar.MultiPolygonContains(mp, first) || slices.Min(l.Pockets[i].Cells) != int32(id) {
			t.Errorf("pocket %d: id %v is not its first cell", i+1, f.ID)
		}
		if p["nearest_viettel_site"] == "" || p["nearest_viettel_m"].(float64) < 1000 {
			t.Errorf("pocket %d: nearest mast %v at %v m", i+1, p["nearest_viettel_site"], p["nearest_viettel_m"])
		}
	}
	if l := PocketsLayer(fc, "4G"); l.Features[0].Name != "#1: 300 people" || !strings.HasPrefix(propNames(l.Features[0]), "rank,tech,people,households,area_km2") {
		t.Errorf("layer: %q, columns %s", l.Features[0].Name, propNames(l.Features[0]))
	}
	rep := NewPocketReport(e, r.DefinitionVersion(), "", []*pocket.Layer{l})
	var tbl bytes.Buffer
	if err := WritePocketTable(&tbl, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tbl.String(), "2 pockets with at least 100 people (420 people)") || rep.Calibration != "uncalibrated" ||
		!strings.Contains(tbl.String(), ", uncalibrated, ") {
		t.Errorf("table:\n%s", tbl.String())
	}
	// Under a calibrated definition every pocket and the report say so (issue 14: every output
	// says "calibrated with N samples (dates)" or "uncalibrated").
	def := *e.Definition()
	def.Calibration = &coverage.Calibration{BaseVersion: def.Version, Samples: 4000,
		From: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 19, 17, 0, 0, 0, time.UTC),
		Corrections: []coverage.Correction{{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 3}}}
	ce, err := e.WithDefinition(&def)
	if err != nil {
		t.Fatal(err)
	}
	const label = "calibrated with 4000 samples (2026-01-05..2026-01-19)"
	if p := Pockets(l, ce, r.DefinitionVersion(), -1).Features[0].Properties; p["calibration"] != label {
		t.Errorf("calibrated: pocket 1's calibration %v, want %q", p["calibration"], label)
	}
	if rep := NewPocketReport(ce, r.DefinitionVersion(), "", []*pocket.Layer{l}); rep.Calibration != label {
		t.Errorf("calibrated: the report's calibration %q, want %q", rep.Calibration, label)
	}
}

// TestDensity: without a population grid a commune's land is drawn in the class of its census
// over its area (10,000 people on 9 km²: 1,111/km², class 4, 1,000–2,500; 4,000: 444/km²,
// class 2, 200–500); with the villages, only the pixels holding them are drawn; off the land
// is transparent.
func TestDensity(t *testing.T) {
	e, _, _ := fixture(t, nil)
	img := decodeDensity(t, e)
	lonM, _ := geo.MetresPerDegree(fixLat)
	if got, want := classAt(t, img, orb.Point{fixLon, fixLat}), 4; got != want {
		t.Errorf("commune A drawn in class %d, want %d", got, want)
	}
	if got, want := classAt(t, img, orb.Point{fixLon + sideM/lonM, fixLat}), 2; got != want {
		t.Errorf("commune B drawn in class %d, want %d", got, want)
	}
	src, v2, _ := villages()
	e, _, _ = fixture(t, src)
	img = decodeDensity(t, e)
	if classAt(t, img, v2) == 0 || classAt(t, img, orb.Point{fixLon, fixLat - 1000/lonM}) != 0 {
		t.Errorf("with villages: v2 class %d, empty field class %d", classAt(t, img, v2), classAt(t, img, orb.Point{fixLon, fixLat - 1000/lonM}))
	}
}

// densityImage is a decoded Density with its bounds.
type densityImage struct {
	px   []uint8 // palette index per pixel
	w, h int
	b    [4]float64
}

func decodeDensity(t *testing.T, e *coverage.Engine) densityImage {
	t.Helper()
	d, err := Density(e)
	if err != nil {
		t.Fatal(err)
	}
	im, err := png.Decode(bytes.NewReader(d.PNG))
	if err != nil {
		t.Fatal(err)
	}
	out := densityImage{w: d.Width, h: d.Height, b: d.Bounds}
	for y := range d.Height {
		for x := range d.Width {
			r, g, b, a := im.At(x, y).RGBA()
			class := 0
			for i, c := range DensityColours {
				if a != 0 && parseColour(c, pocketColour) == (colourOf(r, g, b)) {
					class = i + 1
				}
			}
			out.px = append(out.px, uint8(class))
		}
	}
	return out
}

// classAt is the density class drawn at p (0: transparent).
func classAt(t *testing.T, d densityImage, p orb.Point) int {
	t.Helper()
	mercY := func(lat float64) float64 { return math.Log(math.Tan(math.Pi/4 + lat*math.Pi/360)) }
	x := int((p[0] - d.b[0]) / (d.b[2] - d.b[0]) * float64(d.w))
	y := int((mercY(d.b[3]) - mercY(p[1])) / (mercY(d.b[3]) - mercY(d.b[1])) * float64(d.h))
	if x < 0 || y < 0 || x >= d.w || y >= d.h {
		t.Fatalf("%v is off the image", p)
	}
	return int(d.px[y*d.w+x])
}

// colourOf turns 16-bit RGBA channels into an opaque colour.
func colourOf(r, g, b uint32) color.NRGBA {
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}
