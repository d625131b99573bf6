package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"phusong/data/coverage"
	"phusong/server/app"
)

// nonNegValue is a flag holding a number ≥ 0: --min-gap-m2 (m²), --min-people.
type nonNegValue float64

func (v *nonNegValue) String() string { return strconv.FormatFloat(float64(*v), 'f', -1, 64) }

func (v *nonNegValue) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x >= 0) || math.IsInf(x, 1) {
		return fmt.Errorf("must be a number ≥ 0")
	}
	*v = nonNegValue(x)
	return nil
}

// writeReportLayers writes, for the technologies of the run, into o.out (created if missing):
//
//	communes.geojson                       commune polygons with their statistics
//	coverage_<carrier|any>_<tech>.geojson  coverage at the threshold, full detail, per carrier and any
//	gaps_<tech>.geojson                    uncovered land per commune, slivers under --min-gap-m2 dropped
//
// with <tech> in lower case (3g, 4g): the layers of app.State.Layer, as the server answers
// them. On the demo every feature carries "synthetic": true and the demo note.
func writeReportLayers(ctx context.Context, io stdio, st *app.State, o reportOptions) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("report: --out: %w", err)
	}
	var names []string
	layer := func(name string, req app.LayerRequest) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		fc, _, err := st.Layer(req)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		b, err := json.Marshal(fc)
		if err != nil {
			return fmt.Errorf("report: %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(o.out, name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("report: --out: %w", err)
		}
		names = append(names, name)
		return nil
	}
	if err := layer("communes.geojson", app.LayerRequest{Kind: app.LayerCommunes}); err != nil {
		return err
	}
	for _, t := range o.techs() {
		tech := strings.ToLower(string(t))
		for _, c := range append(st.Coverage.Carriers(), coverage.AnyCarrier) {
			req := app.LayerRequest{Kind: app.LayerCoverage, Carrier: c, Tech: t, Zoom: -1}
			if err := layer(fmt.Sprintf("coverage_%s_%s.geojson", c, tech), req); err != nil {
				return err
			}
		}
		req := app.LayerRequest{Kind: app.LayerGaps, Tech: t, MinGapAreaM2: o.minGapAreaM2}
		if err := layer("gaps_"+tech+".geojson", req); err != nil {
			return err
		}
	}
	fmt.Fprintf(io.Stderr, "phusong: report: wrote %d GeoJSON layers to %s\n", len(names), o.out)
	return nil
}
