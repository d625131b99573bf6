package input

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A Vietnam-sized population raster, as WorldPop publishes the country at 3 arc-seconds
// (≈ 100 m): 19,000 × 11,000 float32 pixels, LZW, 256 × 256 tiles, from 100.5 E, 15.7 N, no data
// over a sea to the south-east. It is written once into the system's temporary folder (about
// 0.54 GB; remove it by hand) and reused by later runs.
const (
	vnWidth, vnHeight = 19000, 11000
	vnWest, vnNorth   = 100.5, 15.7
	vnEnv             = "PHUSONG_VIETNAM_TIF"
)

// vietnamRaster returns the path of the synthetic Vietnam raster, writing it first if needed.
func vietnamRaster(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("phusong-bench-vietnam-%dx%d-lzw-v1.tif", vnWidth, vnHeight))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	nd := -99999.0
	cell := 1.0 / 1200
	spec := GeoTIFFSpec{West: vnWest, North: vnNorth, DLon: cell, DLat: cell, NX: vnWidth, NY: vnHeight,
		Sample: "float32", Compression: "lzw", TileSize: 256, NoData: &nd}
	err = WriteGeoTIFF(f, spec, func(x0, y0, nx, ny int, dst []float64) {
		for y := range ny {
			lat := vnNorth - (float64(y0+y)+0.5)*cell
			for x := range nx {
				lon := vnWest + (float64(x0+x)+0.5)*cell
				switch {
				case lon-vnWest > 2*(lat-(vnNorth-9))+9: // the sea
					dst[y*nx+x] = nd
				default: // villages strung along a lattice of roads, fields between
					v := 0.3 + 40*math.Pow(math.Abs(math.Sin(lon*157)*math.Cos(lat*163)), 12)
					dst[y*nx+x] = float64(float32(v))
				}
			}
		}
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.Logf("wrote %s (%d MB) in %v", path, st.Size()>>20, time.Since(start).Round(time.Second))
	return path
}

// BenchmarkReadVietnamWindow reads Trà Vinh's window out of the synthetic Vietnam raster in a
// child process and reports the child's peak resident set (the whole raster would be 836 MB of
// float32) and the time the read took there; the child that only starts and stops gives the
// baseline. Run with -benchtime 3x.
func BenchmarkReadVietnamWindow(b *testing.B) {
	path := vietnamRaster(b)
	child := func(file string) (rssMB, wallMS float64) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReadWindowChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), vnEnv+"="+file)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return float64(ru.Maxrss) / 1024, float64(time.Since(start).Microseconds()) / 1000
	}
	base, _ := child("none")
	var rss, ms float64
	for b.Loop() {
		rss, ms = child(path)
	}
	b.ReportMetric(rss, "peak-RSS-MB")
	b.ReportMetric(base, "baseline-RSS-MB")
	b.ReportMetric(ms, "child-ms")
}

// TestReadWindowChild is BenchmarkReadVietnamWindow's child: with PHUSONG_VIETNAM_TIF set to
// a file, it reads the file's window over Trà Vinh ("none": reads nothing); without it, it
// skips.
func TestReadWindowChild(t *testing.T) {
	file := os.Getenv(vnEnv)
	if file == "" {
		t.Skip("the child of BenchmarkReadVietnamWindow")
	}
	if file == "none" {
		return
	}
	src, err := LoadPopulationFile(file, travinh())
	if err != nil {
		t.Fatal(err)
	}
	if src.Raster == nil || src.Raster.NX*src.Raster.NY == 0 {
		t.Fatal("empty window")
	}
}
