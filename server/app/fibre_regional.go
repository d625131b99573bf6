package app

import (
	"context"
	"fmt"

	"phusong/data/coverage"
	"phusong/data/fibre"
)

// regionalReach measures the reach of net with opts on the land of res, a result computed
// region by region, one region's land at a time per worker (coverage.Result.EachRegionLand into
// fibre.Parts): the figures of fibre.Compute on a whole engine, without its rasters of the
// whole area. Regions the network does not come near are not rasterised (fibre.Parts.AddFar:
// their communes' land cells are the result's). A network fibre.Check refuses is a
// data.ParseErrors.
func regionalReach(ctx context.Context, res *coverage.Result, net *fibre.Network, opts fibre.Options) (*fibre.Reach, error) {
	eng := res.Engine()
	parts, err := fibre.NewParts(eng.Grid(), eng.Projection(), eng.Communes(), net, opts, res.Regions())
	if err != nil {
		return nil, err
	}
	var near []int
	for ri := range res.Regions() {
		window, own, landCells := res.Region(ri)
		if parts.Near(window) {
			near = append(near, ri)
		} else if err := parts.AddFar(ri, own, landCells); err != nil {
			return nil, err
		}
	}
	if err := res.EachRegionLand(ctx, near, func(ri int, l *coverage.RegionLand) error { return parts.Add(ri, l, l.Whole) }); err != nil {
		return nil, fmt.Errorf("app: fibre reach region by region: %w", err)
	}
	return parts.Join()
}
