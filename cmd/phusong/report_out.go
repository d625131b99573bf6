package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

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
	type file struct {
		name string
		req  app.LayerRequest
	}
	files := []file{{"communes.geojson", app.LayerRequest{Kind: app.LayerCommunes}}}
	for _, t := range o.techs() {
		tech := strings.ToLower(string(t))
		for _, c := range append(st.Coverage.Carriers(), coverage.AnyCarrier) {
			files = append(files, file{fmt.Sprintf("coverage_%s_%s.geojson", c, tech),
				app.LayerRequest{Kind: app.LayerCoverage, Carrier: c, Tech: t, Zoom: -1}})
		}
		files = append(files, file{"gaps_" + tech + ".geojson", app.LayerRequest{Kind: app.LayerGaps, Tech: t, MinGapAreaM2: o.minGapAreaM2}})
	}
	// Every layer on its own core: the layers share nothing but the result's caches, which
	// are safe for concurrent use.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, f := range files {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			fc, _, err := st.Layer(f.req)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			b, err := json.Marshal(fc)
			if err != nil {
				return fmt.Errorf("report: %s: %w", f.name, err)
			}
			if err := os.WriteFile(filepath.Join(o.out, f.name), append(b, '\n'), 0o644); err != nil {
				return fmt.Errorf("report: --out: %w", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(io.Stderr, "phusong: report: wrote %d GeoJSON layers to %s\n", len(files), o.out)
	return nil
}
