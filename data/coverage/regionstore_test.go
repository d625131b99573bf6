package coverage

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"phusong/data"
)

// memorySource is a LayerSource over outputs kept in memory (a database's stand-in in this
// package's tests; server/app stores them in a real one), counting the pieces read.
type memorySource struct {
	pieces map[string][]byte // "region carrier tech tier" → polygons
	reads  int
}

func newMemorySource(outs []*RegionOutput) *memorySource {
	m := &memorySource{pieces: map[string][]byte{}}
	for _, o := range outs {
		for _, l := range o.Layers {
			m.pieces[fmt.Sprint(o.Region, l.Carrier, l.Tech, l.Tier)] = l.Polygons
		}
	}
	return m
}

func (m *memorySource) read(carrier string, tech data.Tech, tier int, regions []int) ([][]byte, error) {
	out := make([][]byte, len(regions))
	for n, ri := range regions {
		b, ok := m.pieces[fmt.Sprint(ri, carrier, tech, tier)]
		if !ok {
			return nil, fmt.Errorf("no piece of %s %s tier %d in region %d", carrier, tech, tier, ri)
		}
		out[n] = b
		m.reads++
	}
	return out, nil
}

// sameRegional fails t unless got's statistics, every layer and every gap equal want's exactly.
func sameRegional(t *testing.T, name string, got, want *Result) {
	t.Helper()
	for _, tech := range data.AnalysedTechs {
		if !reflect.DeepEqual(got.CommuneStatsFor(tech), want.CommuneStatsFor(tech)) || !reflect.DeepEqual(got.Province(tech), want.Province(tech)) {
			t.Errorf("%s %s: statistics differ", name, tech)
		}
		if !slices.Equal(got.Carriers(), want.Carriers()) {
			t.Fatalf("%s: carriers %v, want %v", name, got.Carriers(), want.Carriers())
		}
		for _, c := range append(want.Carriers(), AnyCarrier) {
			for tier := 0; tier <= len(DefaultDefinition().Techs[tech].TiersDBm); tier++ {
				wl, err := want.Layer(c, tech, tier)
				if err != nil {
					t.Fatal(err)
				}
				gl, err := got.Layer(c, tech, tier)
				if err != nil {
					t.Fatalf("%s %s %s tier %d: %v", name, c, tech, tier, err)
				}
				if !reflect.DeepEqual(wl.Polygons, gl.Polygons) {
					t.Errorf("%s %s %s tier %d: %d polygons, want %d", name, c, tech, tier, len(gl.Polygons), len(wl.Polygons))
				}
			}
		}
		wg, _ := want.Gaps(tech, "", DefaultMinGapAreaM2)
		gg, _ := got.Gaps(tech, "", DefaultMinGapAreaM2)
		if !reflect.DeepEqual(wg, gg) {
			t.Errorf("%s %s: gaps differ", name, tech)
		}
	}
}

// TestAssembleRegions: the regions of a plan computed one by one (RegionPlan.Compute, as
// separate workers do), their outputs kept apart and assembled (AssembleRegions) give
// ServeRegions' result exactly; each output is byte for byte the one read back from
// ServeRegions' result (RegionOutput); layers are read only when asked, and no region is
// computed again to serve the assembled result (its pieces are stored or empty); an update of the
// assembled result equals ServeRegions over the new list; Inputs changes for the regions a
// moved site reaches and no other (regions of ownRegions).
func TestAssembleRegions(t *testing.T) {
	communes, sites := demoInputs(t)
	opts, regionCells := ownRegions()
	ctx := context.Background()
	want, rep, plan := servedPlan(t, opts, regionCells)
	if plan.Len() != rep.Regions || plan.Len() < 4 {
		t.Fatalf("plan of %d regions, ServeRegions cut %d: want the same, at least 4", plan.Len(), rep.Regions)
	}
	outs := make([]*RegionOutput, plan.Len())
	sums := make([][]byte, plan.Len())
	var err error
	for ri := range outs {
		if outs[ri], err = plan.Compute(ctx, ri, sites); err != nil {
			t.Fatal(err)
		}
		sums[ri] = outs[ri].Summary
		from, err := want.RegionOutput(ri)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(from.Summary, outs[ri].Summary) || !reflect.DeepEqual(from.Layers, outs[ri].Layers) {
			t.Errorf("region %d: computed alone differs from ServeRegions' region", ri)
		}
	}
	src := newMemorySource(outs)
	got, grep, err := plan.AssembleRegions(sites, sums, src.read)
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != 0 {
		t.Errorf("assembling read %d layer pieces, want none before a layer is asked", src.reads)
	}
	if *grep != *rep {
		t.Errorf("report %+v, want %+v", *grep, *rep)
	}
	sameRegional(t, "assembled", got, want)
	if n := len(got.regional.results.entries); n != 0 {
		t.Errorf("serving every layer and gap of the assembled result computed %d regions again, want none (stored or empty)", n)
	}
	for _, tech := range data.AnalysedTechs { // the pieces Compute found are taken, not found again
		ws, err := want.UncoveredSets(ctx, tech)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := got.UncoveredSets(ctx, tech)
		if err != nil || !reflect.DeepEqual(gs, ws) {
			t.Errorf("%s: the assembled result's uncovered sets differ from ServeRegions' (%v)", tech, err)
		}
	}
	if n := len(got.regional.results.entries); n != 0 {
		t.Errorf("the assembled result's uncovered sets computed %d regions again, want none", n)
	}

	// an update of the assembled result: some regions computed again, the others still read
	next := slices.Clone(sites)
	old := next[len(next)/2]
	next[len(next)/2].Lat += 0.027
	up, done, err := UpdateRegions(ctx, got, next, []*data.Site{&old, &next[len(next)/2]})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) == 0 || len(done) == plan.Len() {
		t.Fatalf("%d of %d regions computed again: want some, not all", len(done), plan.Len())
	}
	fresh, _, err := ServeRegions(ctx, communes, DefaultDefinition(), opts, next, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	sameRegional(t, "updated", up, fresh)

	before, err := plan.Inputs(sites)
	if err != nil {
		t.Fatal(err)
	}
	after, err := plan.Inputs(next)
	if err != nil {
		t.Fatal(err)
	}
	var changed []int
	for ri := range before {
		if before[ri] != after[ri] {
			changed = append(changed, ri)
		}
	}
	if !slices.Equal(changed, done) {
		t.Errorf("inputs changed in regions %v, UpdateRegions computed %v again", changed, done)
	}
	reversed := slices.Clone(sites)
	slices.Reverse(reversed)
	if again, _ := plan.Inputs(reversed); !slices.Equal(again, before) {
		t.Errorf("inputs depend on the order of the sites")
	}

	// a summary of another region is refused
	bad := slices.Clone(sums)
	bad[0], bad[1] = bad[1], bad[0]
	if _, _, err := plan.AssembleRegions(sites, bad, src.read); err == nil {
		t.Errorf("summaries of swapped regions assembled")
	}
}

// servedPlan returns ServeRegions' result over the demo with opts and regionCells, its report,
// and the plan of the same regions.
func servedPlan(t *testing.T, opts Options, regionCells int) (*Result, *RegionReport, *RegionPlan) {
	t.Helper()
	communes, sites := demoInputs(t)
	want, rep, err := ServeRegions(context.Background(), communes, DefaultDefinition(), opts, sites, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanRegions(communes, DefaultDefinition(), opts, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	return want, rep, plan
}

// TestServeAssembled: regions without a stored summary (every other one here) are computed for
// serving (statistics, then layers and gaps when asked: no stored piece of theirs is read), the
// others read; the result equals ServeRegions' exactly, and a computed region's RegionOutput is
// what Compute gives for it (what a first start stores afterwards). AssembleRegions refuses a
// missing summary.
func TestServeAssembled(t *testing.T) {
	_, sites := demoInputs(t)
	want, _, plan := servedPlan(t, Options{CellM: 200}, 48*48)
	ctx := context.Background()
	var stored []*RegionOutput
	sums := make([][]byte, plan.Len())
	for ri := 0; ri < plan.Len(); ri += 2 {
		out, err := plan.Compute(ctx, ri, sites)
		if err != nil {
			t.Fatal(err)
		}
		stored, sums[ri] = append(stored, out), out.Summary
	}
	if _, _, err := plan.AssembleRegions(sites, sums, newMemorySource(stored).read); err == nil {
		t.Errorf("AssembleRegions took missing summaries")
	}
	src := newMemorySource(nil) // no piece of a computed region may be read
	got, _, err := plan.ServeAssembled(ctx, sites, sums, src.read)
	if err != nil {
		t.Fatal(err)
	}
	for ri := 1; ri < plan.Len(); ri += 2 {
		sameOutputAlone(t, got, plan, sites, ri)
	}
	src.pieces = newMemorySource(stored).pieces // the stored regions' pieces
	sameRegional(t, "served", got, want)
}

// sameOutputAlone fails t unless got's output of region ri (RegionOutput: what is stored for it)
// is byte for byte the region computed alone over sites.
func sameOutputAlone(t *testing.T, got *Result, plan *RegionPlan, sites []data.Site, ri int) {
	t.Helper()
	out, err := got.RegionOutput(ri)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := plan.Compute(context.Background(), ri, sites)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Summary, alone.Summary) || !reflect.DeepEqual(out.Layers, alone.Layers) {
		t.Errorf("region %d: served output differs from the region computed alone", ri)
	}
}

// TestReachOf: the reach a store gets from ReachOf is the engine's for every site of the list
// placed and for a site changed since (same key, another height), which must not get the old one.
func TestReachOf(t *testing.T) {
	communes, sites := demoInputs(t)
	plan, err := PlanRegions(communes, DefaultDefinition(), Options{CellM: 100}, 96*96)
	if err != nil {
		t.Fatal(err)
	}
	eng := plan.p.base
	reach := plan.ReachOf(sites)
	for i := range sites {
		if got, want := reach(&sites[i]), eng.Reach(&sites[i]); got != want {
			t.Fatalf("site %s: reach %g, want %g", sites[i].SiteID, got, want)
		}
	}
	changed := sites[0]
	changed.Sectors = slices.Clone(changed.Sectors)
	changed.HeightM += 40
	if got, want := reach(&changed), eng.Reach(&changed); got != want || got == eng.Reach(&sites[0]) {
		t.Errorf("a changed site: reach %g, want the engine's %g (the old one was %g)", got, want, eng.Reach(&sites[0]))
	}
}

// TestAssembleAcrossVersions: after every site of one carrier is removed, the regions none of
// its sites reached keep their inputs, so their outputs stored for the earlier list (which
// number that carrier) are reused; assembled with the others computed afresh they give
// ServeRegions over the new list exactly (regions of ownRegions).
func TestAssembleAcrossVersions(t *testing.T) {
	communes, sites := demoInputs(t)
	opts, regionCells := ownRegions()
	ctx := context.Background()
	plan, err := PlanRegions(communes, DefaultDefinition(), opts, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, s := range sites {
		count[s.Carrier]++
	}
	gone := ""
	for c, n := range count {
		if gone == "" || n < count[gone] || (n == count[gone] && c < gone) {
			gone = c
		}
	}
	next := slices.DeleteFunc(slices.Clone(sites), func(s data.Site) bool { return s.Carrier == gone })
	before, err := plan.Inputs(sites)
	if err != nil {
		t.Fatal(err)
	}
	after, err := plan.Inputs(next)
	if err != nil {
		t.Fatal(err)
	}
	var outs []*RegionOutput
	sums := make([][]byte, plan.Len())
	reused := 0
	for ri := range sums {
		list := next
		if before[ri] == after[ri] {
			list = sites // stored for the earlier list
			reused++
		}
		o, err := plan.Compute(ctx, ri, list)
		if err != nil {
			t.Fatal(err)
		}
		outs, sums[ri] = append(outs, o), o.Summary
	}
	t.Logf("%s removed (%d sites): %d of %d regions reused", gone, count[gone], reused, plan.Len())
	if reused == 0 || reused == plan.Len() {
		t.Fatalf("%d of %d regions reused: want some, not all", reused, plan.Len())
	}
	got, _, err := plan.AssembleRegions(next, sums, newMemorySource(outs).read)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := ServeRegions(ctx, communes, DefaultDefinition(), opts, next, regionCells)
	if err != nil {
		t.Fatal(err)
	}
	sameRegional(t, "across versions", got, want)
}
