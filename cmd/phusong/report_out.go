package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb/geojson"

	"phusong/data/coverage"
	"phusong/data/render"
)

// layerOptions are the flags the --out hook adds to `phusong report`.
type layerOptions struct {
	dir          string
	minGapAreaM2 float64
}

func init() { reportHooks = append(reportHooks, reportLayersHook()) }

// minGapValue is the --min-gap-m2 flag: an area in m², at least 0.
type minGapValue float64

func (v *minGapValue) String() string { return strconv.FormatFloat(float64(*v), 'f', -1, 64) }

func (v *minGapValue) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x >= 0) || math.IsInf(x, 1) {
		return fmt.Errorf("must be a number ≥ 0")
	}
	*v = minGapValue(x)
	return nil
}

// reportLayersHook adds --out DIR (and --min-gap-m2) to `phusong report`: after the result is
// computed it writes, for the technologies of the run,
//
//	communes.geojson                       commune polygons with their statistics (render.Communes)
//	coverage_<carrier|any>_<tech>.geojson  coverage at the threshold, full detail, per carrier and any
//	gaps_<tech>.geojson                    uncovered land per commune, slivers under --min-gap-m2 dropped
//
// with <tech> in lower case (3g, 4g). On the demo every feature carries "synthetic": true and
// the demo note. The flags' values are read back from run.Flags.
func reportLayersHook() reportHook {
	return reportHook{
		Flags: func(fs *flag.FlagSet) {
			fs.String("out", "", "write the GeoJSON layers (communes, coverage per carrier and any, gaps) into this folder")
			v := minGapValue(coverage.DefaultMinGapAreaM2)
			fs.Var(&v, "min-gap-m2", "with --out: smallest gap polygon kept, m²")
		},
		After: func(ctx context.Context, io stdio, run *reportRun) error {
			o := layerOptions{minGapAreaM2: coverage.DefaultMinGapAreaM2}
			if run.Flags != nil {
				if f := run.Flags.Lookup("out"); f != nil {
					o.dir = f.Value.String()
				}
				if f := run.Flags.Lookup("min-gap-m2"); f != nil {
					o.minGapAreaM2, _ = strconv.ParseFloat(f.Value.String(), 64)
				}
			}
			if o.dir == "" {
				return nil
			}
			return writeReportLayers(ctx, io, run, o)
		},
	}
}

// writeReportLayers writes the layers of run into o.dir (created if missing).
func writeReportLayers(ctx context.Context, io stdio, run *reportRun, o layerOptions) error {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("report: --out: %w", err)
	}
	r := run.Result
	var names []string
	write := func(name string, v any) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("report: %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(o.dir, name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("report: --out: %w", err)
		}
		names = append(names, name)
		return nil
	}
	layer := func(name string, fc *geojson.FeatureCollection) error {
		if run.Note != "" {
			render.MarkSynthetic(fc, run.Note)
		}
		return write(name, fc)
	}
	if err := layer("communes.geojson", render.Communes(r, run.Communes)); err != nil {
		return err
	}
	for _, t := range run.Techs {
		tech := strings.ToLower(string(t))
		for _, c := range append(r.Carriers(), coverage.AnyCarrier) {
			fc, err := render.Coverage(r, c, t, 0, -1)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			if err := layer(fmt.Sprintf("coverage_%s_%s.geojson", c, tech), fc); err != nil {
				return err
			}
		}
		gaps, err := render.Gaps(r, t, "", o.minGapAreaM2)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := layer("gaps_"+tech+".geojson", gaps); err != nil {
			return err
		}
	}
	fmt.Fprintf(io.Stderr, "phusong: report: wrote %d GeoJSON layers to %s\n", len(names), o.dir)
	return nil
}
