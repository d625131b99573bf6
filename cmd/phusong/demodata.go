package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"phusong/data/demo"
	"phusong/data/input"
)

// errDemoStale marks a --check run whose files differ from a fresh generation.
var errDemoStale = errors.New("demo-data: committed files differ from a fresh generation")

// runDemoData regenerates the embedded schematic demo province (communes.geojson, sites.csv,
// the synthetic fibre network fibre.geojson and the synthetic population grid population.tif,
// both drawn over the communes as the embedded file will return them) from the shared
// reference data, or with --check only compares.
func runDemoData(ctx context.Context, io stdio, args []string) error {
	fs := newFlags(io.Stderr, "demo-data", "demo-data [--shared ../shared/data] [--out data/demo] [--check] | demo-data --national --out DIR [--provinces N] [--seed N]",
		"Regenerates the embedded schematic demo province (communes, SYNTHETIC stations and fibre) from\n"+
			"the shared reference data; the same bytes every time. --national writes instead the SYNTHETIC\n"+
			"national benchmark data set (a Vietnam-like country: 34 provinces, about 3,300 communes,\n"+
			"150,000 sites of six carriers) as communes.geojson and sites.csv into --out.")
	shared := fs.String("shared", "../shared/data", "folder holding travinh/wards_2025_facts.csv and travinh/province_outline_500m.geojson")
	out := fs.String("out", "data/demo", "folder to write communes.geojson, sites.csv, fibre.geojson and population.tif into")
	check := fs.Bool("check", false, "write nothing; fail if the files in --out differ from a fresh generation")
	national := fs.Bool("national", false, "write the SYNTHETIC national benchmark data set instead of the demo")
	provinces := fs.Int("provinces", 0, "with --national: keep only the first N provinces from the south (0 = all 34)")
	seed := fs.Uint64("seed", demo.NationalSeed, "with --national: the generator's seed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if *national {
		return runNationalData(io, *out, demo.NationalOptions{Seed: *seed, Provinces: *provinces})
	}
	files, err := demo.Generate(*shared)
	if err != nil {
		return err
	}
	communes, err := input.ReadCommunesGeoJSON(bytes.NewReader(files.CommunesGeoJSON))
	if err != nil {
		return fmt.Errorf("demo-data: generated communes: %w", err)
	}
	ff, err := demo.GenerateFibre(*shared, communes.Communes, demo.FibreSeed)
	if err != nil {
		return err
	}
	pf, err := demo.GeneratePopulation(*shared, communes.Communes, demo.PopulationSeed)
	if err != nil {
		return err
	}
	named := append(files.Named(), ff.Named(), pf.Named())
	s := files.Summary
	fmt.Fprintln(io.Stdout, demo.Note)
	fmt.Fprintf(io.Stdout, "communes: %d (%d wards), population 2019: %d, households: %d\n",
		s.Communes, s.Wards, s.Population2019, s.Households2019)
	fmt.Fprintf(io.Stdout, "sites: %d (%d planned), sectors: %d, with 4G: %d (%.1f %%)\n",
		s.Sites, s.Planned, s.Sectors, s.Sites4G, 100*s.Share4G)
	for _, c := range s.ByCarrier {
		fmt.Fprintf(io.Stdout, "  %-13s %4d sites, %4d with 4G\n", c.Carrier, c.Sites, c.Sites4G)
	}
	fmt.Fprintln(io.Stdout, demo.FibreNote)
	fmt.Fprintf(io.Stdout, "fibre: %d routes, %d access points, operators %v\n",
		len(ff.Network.Routes), len(ff.Network.AccessPoints), ff.Network.Operators())
	fmt.Fprintln(io.Stdout, demo.PopulationNote)
	g := pf.Grid
	fmt.Fprintf(io.Stdout, "population grid: %d × %d cells of 3\", %d bytes\n", g.NX, g.NY, len(pf.GeoTIFF))
	if *check {
		var stale []string
		for _, f := range named {
			got, err := os.ReadFile(filepath.Join(*out, f.Name))
			if err != nil || !bytes.Equal(got, f.Bytes) {
				stale = append(stale, f.Name)
			}
		}
		if len(stale) > 0 {
			return fmt.Errorf("%w: %v (run make demo-data)", errDemoStale, stale)
		}
		fmt.Fprintf(io.Stdout, "%s is up to date\n", *out)
		return nil
	}
	if err := files.WriteDir(*out); err != nil {
		return err
	}
	for _, f := range []demo.NamedFile{ff.Named(), pf.Named()} {
		if err := os.WriteFile(filepath.Join(*out, f.Name), f.Bytes, 0o644); err != nil {
			return fmt.Errorf("demo-data: %w", err)
		}
	}
	fmt.Fprintf(io.Stdout, "wrote %s, %s, %s and %s in %s\n", demo.CommunesFile, demo.SitesFile, demo.FibreFile, demo.PopulationFile, *out)
	return nil
}

// runNationalData writes the national synthetic data set into dir and prints its figures.
func runNationalData(io stdio, dir string, opts demo.NationalOptions) error {
	if opts.Provinces < 0 {
		return fmt.Errorf("%w: --provinces %d is negative", errUsage, opts.Provinces)
	}
	nf, err := demo.GenerateNational(opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo-data: %w", err)
	}
	for _, f := range []demo.NamedFile{{Name: demo.CommunesFile, Bytes: nf.CommunesGeoJSON}, {Name: demo.SitesFile, Bytes: nf.SitesCSV}} {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Bytes, 0o644); err != nil {
			return fmt.Errorf("demo-data: %w", err)
		}
	}
	s := nf.Summary
	fmt.Fprintln(io.Stdout, demo.NationalNote)
	fmt.Fprintf(io.Stdout, "provinces: %d, communes: %d (%d wards), land %.0f km², population: %d\n",
		nf.Provinces, s.Communes, s.Wards, nf.LandAreaKM2, s.Population2019)
	fmt.Fprintf(io.Stdout, "sites: %d (%d planned), sectors: %d, with 4G: %d (%.1f %%)\n",
		s.Sites, s.Planned, s.Sectors, s.Sites4G, 100*s.Share4G)
	for _, c := range s.ByCarrier {
		fmt.Fprintf(io.Stdout, "  %-13s %6d sites, %6d with 4G\n", c.Carrier, c.Sites, c.Sites4G)
	}
	fmt.Fprintf(io.Stdout, "wrote %s and %s in %s\n", demo.CommunesFile, demo.SitesFile, dir)
	return nil
}
