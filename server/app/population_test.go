package app

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/population"
	"phusong/data/store"
)

// TestLoadPopulation: the demo communes come with the synthetic grid, "none" takes none, a
// file is read over the communes' area, a bad mode or file is an error naming it.
func TestLoadPopulation(t *testing.T) {
	in, _, err := Load(Sources{NoFibre: true})
	if err != nil {
		t.Fatal(err)
	}
	if in.Population == nil || in.Population.Name != demo.PopulationFile || in.Population.Note != demo.PopulationNote || in.PopulationMode != population.ModeCensus {
		t.Fatalf("demo population %+v, mode %q", in.Population, in.PopulationMode)
	}
	if in, _, err = Load(Sources{NoFibre: true, Population: PopulationNone}); err != nil || in.Population != nil {
		t.Fatalf("none: %v, %v", err, in.Population)
	}
	area := data.AreaOf(in.Communes)
	path := filepath.Join(t.TempDir(), "worldpop.tif")
	tif, err := input.EncodeGeoTIFF(input.GeoTIFFSpec{West: area.Min[0], North: area.Max[1], DLon: 0.01, DLat: 0.01,
		NX: int((area.Max[0]-area.Min[0])/0.01) + 1, NY: int((area.Max[1]-area.Min[1])/0.01) + 1, Sample: "float32", Compression: "lzw"},
		func(_, _, _, _ int, dst []float64) {
			for i := range dst {
				dst[i] = 80
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, tif, 0o644); err != nil {
		t.Fatal(err)
	}
	in, _, err = Load(Sources{NoFibre: true, Population: path, PopulationMode: "raster"})
	if err != nil || in.Population == nil || in.Population.Raster == nil || in.Population.Note != "" || in.PopulationMode != population.ModeRaster {
		t.Fatalf("file: %v, %+v", err, in.Population)
	}
	if _, _, err := Load(Sources{NoFibre: true, PopulationMode: "people"}); err == nil || !strings.Contains(err.Error(), `population mode "people"`) {
		t.Errorf("bad mode: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope.tif")
	if _, _, err := Load(Sources{NoFibre: true, Population: missing}); err == nil || !strings.Contains(err.Error(), "nope.tif") {
		t.Errorf("missing file: %v", err)
	}
}

// TestPeopleNotes: on the demo, the layers and reports counting people say the population grid
// is synthetic as well as the stations; the coverage layer says only the stations' note.
func TestPeopleNotes(t *testing.T) {
	st := mustDemo(t)
	both := demo.Note + " " + demo.PopulationNote
	if st.PeopleNote() != both || st.Report(nil).DataNote != both || st.Report(nil).Population.Source != demo.PopulationFile {
		t.Fatalf("people note %q, report note %q", st.PeopleNote(), st.Report(nil).DataNote)
	}
	for _, req := range []LayerRequest{{Kind: LayerCommunes}, {Kind: LayerGaps, Tech: data.Tech4G},
		{Kind: LayerPockets, Tech: data.Tech4G, MinPeople: 0, Zoom: 10}, {Kind: LayerCoverage, Tech: data.Tech4G, Carrier: coverage.AnyCarrier}} {
		fc, _, err := st.Layer(req)
		if err != nil {
			t.Fatal(err)
		}
		want := both
		if req.Kind == LayerCoverage {
			want = demo.Note
		}
		if len(fc.Features) == 0 || fc.Features[0].Properties["note"] != want {
			t.Errorf("%s: %d features, note %q", req.Kind, len(fc.Features), fc.Features[0].Properties["note"])
		}
	}
}

// TestImpactCountsPockets: removing a third of Viettel's sites leaves at least as many people
// without 4G; the impact says so in the province's figures and its pockets, which are those
// pocket.Find gives on each state.
func TestImpactCountsPockets(t *testing.T) {
	st := mustDemo(t)
	var next []data.Site
	for i, s := range st.Snapshot.Sites(store.Filter{Carrier: "viettel"}) {
		if i%3 != 0 {
			next = append(next, *s)
		}
	}
	ns, imp, err := prepareSites(context.Background(), st, "viettel", next)
	if err != nil {
		t.Fatal(err)
	}
	si := imp.(*SiteImpact)
	for _, ti := range si.Province {
		before, err := pocket.Find(st.Coverage, ti.Tech, pocket.Options{MinPeople: pocket.DefaultMinPeople})
		if err != nil {
			t.Fatal(err)
		}
		after, err := pocket.Find(ns.Coverage, ti.Tech, pocket.Options{MinPeople: pocket.DefaultMinPeople})
		if err != nil {
			t.Fatal(err)
		}
		if ti.PocketsBefore.Pockets != before.Kept || ti.PocketsAfter.Pockets != after.Kept ||
			ti.PocketsBefore.People != math.Round(before.KeptPeople) || ti.PocketsAfter.People != math.Round(after.KeptPeople) {
			t.Errorf("%s: impact pockets %+v → %+v; Find %d (%.0f) → %d (%.0f)", ti.Tech, *ti.PocketsBefore, *ti.PocketsAfter,
				before.Kept, before.KeptPeople, after.Kept, after.KeptPeople)
		}
		// Each figure is rounded to a person: the totals agree within one.
		if ti.After.UncoveredPopulation < ti.Before.UncoveredPopulation ||
			math.Abs(ti.After.UncoveredPopulation+ti.After.CoveredPopulation-ti.Before.UncoveredPopulation-ti.Before.CoveredPopulation) > 1 {
			t.Errorf("%s: uncovered %g → %g, covered %g → %g", ti.Tech, ti.Before.UncoveredPopulation, ti.After.UncoveredPopulation,
				ti.Before.CoveredPopulation, ti.After.CoveredPopulation)
		}
	}
	if !strings.HasPrefix(si.PopulationSpread, "population grid (population.tif") {
		t.Errorf("impact spread %q", si.PopulationSpread)
	}
}
