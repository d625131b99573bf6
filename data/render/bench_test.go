package render

import (
	"io"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// benchDocument is 40 features of 2 000-vertex polygons with a hole (about the demo's 4G
// gaps at the default 50 m grid), seeded.
func benchDocument() *Document {
	rng := rand.New(rand.NewPCG(1, 2))
	l := Layer{ID: "bench", Name: "bench"}
	for i := range 40 {
		p := randomStar(rng, orb.Point{106 + rng.Float64(), 9.5 + rng.Float64()}, 2000, 0.02)
		l.Features = append(l.Features, Feature{Name: "Xã Hòa Ân", Geometry: orb.MultiPolygon{p},
			Properties: []Property{{"code", "00001"}, {"area_km2", 1.5}, {"i", i}}})
	}
	return &Document{Name: "bench", Layers: []Layer{l}}
}

func BenchmarkWriteKML(b *testing.B) {
	d := benchDocument()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteKML(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteCSV(b *testing.B) {
	d := benchDocument()
	for _, g := range []GeometryColumn{WKT, EWKBHex} {
		b.Run(g.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteCSV(io.Discard, d, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
