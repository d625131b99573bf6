package coverage

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestServeFilledPartials: two processes assemble the same sites (two plans of the same inputs).
// The first computes every region and hands out its partial results; the second has a third of
// the regions stored (complete outputs), takes a third from the first's partial results and
// computes the last third. Its result equals ServeRegions' exactly (statistics, every layer and
// tier, gaps), and the output it would store for a region taken from a partial result (its other
// layers and gaps computed here when asked) is byte for byte the region computed alone. A
// region is filled once; a partial result of another region, a garbled one, or one asked of a
// region not filled is refused (a stored region's is the computed one's, byte for byte); a
// fill that leaves regions out fails.
func TestServeFilledPartials(t *testing.T) {
	communes, sites := demoInputs(t)
	want, _, plan := servedPlan(t, Options{CellM: 200}, 48*48)
	ctx := context.Background()
	n := plan.Len()
	partials := make([][]byte, n)
	first, _, err := plan.ServeFilled(ctx, sites, make([][]byte, n), nil, func(f *RegionFill) error {
		for _, ri := range f.Missing() {
			if err := f.Compute(ctx, ri); err != nil {
				return err
			}
			var err error
			if partials[ri], err = f.Partial(ri); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sameRegional(t, "computing every region", first, want)

	other, err := PlanRegions(communes, DefaultDefinition(), Options{CellM: 200}, 48*48)
	if err != nil {
		t.Fatal(err)
	}
	sums := make([][]byte, n)
	var stored []*RegionOutput
	for ri := 0; ri < n; ri += 3 {
		out, err := other.Compute(ctx, ri, sites)
		if err != nil {
			t.Fatal(err)
		}
		stored, sums[ri] = append(stored, out), out.Summary
	}
	src := newMemorySource(stored)
	got, _, err := other.ServeFilled(ctx, sites, sums, src.read, func(f *RegionFill) error {
		if err := f.AddPartial(0, partials[0]); err == nil {
			t.Errorf("a stored region was filled again")
		}
		if b, err := f.Partial(0); err != nil || !bytes.Equal(b, partials[0]) {
			t.Errorf("the partial result of a stored region differs from the one computed (%v)", err)
		}
		if _, err := f.Partial(1); err == nil {
			t.Errorf("the partial result of a region not filled")
		}
		if err := f.AddPartial(1, partials[2]); !errors.Is(err, ErrForeign) {
			t.Errorf("region 2's partial result as region 1's: %v, want ErrForeign", err)
		}
		if err := f.AddPartial(1, []byte("garbled")); err == nil {
			t.Errorf("a garbled partial result was taken")
		}
		for _, ri := range f.Missing() {
			var err error
			if ri%3 == 1 {
				err = f.AddPartial(ri, partials[ri])
			} else {
				err = f.Compute(ctx, ri)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sameRegional(t, "stored, partial and computed", got, want)
	for ri := 1; ri < n; ri += 3 { // taken from a partial result
		sameOutputAlone(t, got, plan, sites, ri)
	}

	if _, _, err := other.ServeFilled(ctx, sites, make([][]byte, n), nil, func(f *RegionFill) error {
		return f.Compute(ctx, 0)
	}); err == nil {
		t.Errorf("a fill that left regions out gave a result")
	}
}
