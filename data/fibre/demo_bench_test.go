package fibre_test

import (
	"testing"

	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/data/render"
)

// demoLand returns the embedded demo network and the coverage engine over the demo communes
// (50 m cells), built outside any timer.
func demoLand(b testing.TB) (*fibre.Network, *coverage.Engine) {
	b.Helper()
	communes, err := demo.Communes()
	if err != nil {
		b.Fatal(err)
	}
	net, err := demo.Fibre()
	if err != nil {
		b.Fatal(err)
	}
	e, err := coverage.New(communes, coverage.DefaultDefinition(), coverage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return net, e
}

// BenchmarkComputeDemo measures the reach of the whole demo network (four operators, about
// 1,800 routes and 1,000 access points) on the 50 m demo grid: distance rasters, bitsets,
// union and per-commune figures.
func BenchmarkComputeDemo(b *testing.B) {
	net, e := demoLand(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fibre.Compute(e, net, fibre.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReachGeoJSONDemo measures building the any-operator reach polygons of the demo at
// full detail and their GeoJSON simplified for zoom 12 (render.Reach; a fresh Reach each time,
// so nothing is cached).
func BenchmarkReachGeoJSONDemo(b *testing.B) {
	net, e := demoLand(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r, err := fibre.Compute(e, net, fibre.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := render.Reach(r, fibre.AnyOperator, 12); err != nil {
			b.Fatal(err)
		}
	}
}
