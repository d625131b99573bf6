package population_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/population"
)

// BenchmarkLoadAndPlaceProvince reads a 100 m (3 arc-second) population raster of the demo
// province from a file and places it on the coverage engine's 50 m grid (census mode): the
// embedded synthetic grid as committed (uint16, Deflate, strips) and the same people as WorldPop
// publishes its rasters (float32, LZW, 256 × 256 tiles). The engine is made once, untimed.
// Beside the wall time it reports cpu-ms/op, the process's CPU time (user + system) per read
// and placement: the work runs on one goroutine, so on a shared machine, where the wall time
// includes waiting for a core, this is the time it takes with one core to itself (plus the
// garbage collector's share).
func BenchmarkLoadAndPlaceProvince(b *testing.B) {
	communes, err := demo.Communes()
	if err != nil {
		b.Fatal(err)
	}
	e, err := coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	land := population.Land{Grid: e.Grid(), Projection: e.Projection(), Commune: e.CommuneIndexRaster(), Communes: e.Communes()}
	area := data.AreaOf(communes)
	src, err := demo.Population()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	embedded := filepath.Join(dir, "population_uint16_deflate.tif")
	if err := os.WriteFile(embedded, demo.PopulationTIFF(), 0o644); err != nil {
		b.Fatal(err)
	}
	r := src.Raster
	nd := -99999.0
	worldpop, err := input.EncodeGeoTIFF(input.GeoTIFFSpec{West: r.West, North: r.North, DLon: r.DLon, DLat: r.DLat, NX: r.NX, NY: r.NY,
		Sample: "float32", Compression: "lzw", TileSize: 256, NoData: &nd}, func(x0, y0, nx, ny int, dst []float64) {
		for y := range ny {
			for x := range nx {
				v := float64(r.People[(y0+y)*r.NX+x0+x])
				if v != v {
					v = nd
				}
				dst[y*nx+x] = v
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	wp := filepath.Join(dir, "population_float32_lzw_tiled.tif")
	if err := os.WriteFile(wp, worldpop, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, path string }{{"uint16-deflate-strips", embedded}, {"float32-lzw-tiled", wp}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				src, err := input.LoadPopulationFile(c.path, area)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := population.Place(land, src, population.ModeCensus); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-cpu0)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
