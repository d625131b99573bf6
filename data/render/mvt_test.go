package render

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// TestMVT encodes, for tile 12/3257/1934 (over Trà Vinh), a square straddling its east edge,
// a point inside, a point outside and a line across it, decodes the tile and checks what is
// kept: the square cut at the tile's edge plus its 64-unit buffer (area by hand), the inside
// point at its tile position, the line cut; and that the input features are not modified.
//
//	+--------tile--------+--buffer--+
//	|                    |          |
//	|   •p     +---------|----------|---+ square: lon 106.335 → 106.355
//	|          |         |          |   |
//	|          +---------|----------|---+
//	+--------------------+----------+
func TestMVT(t *testing.T) {
	tile := maptile.New(3257, 1934, 12)
	b := tile.Bound()
	midLat := (b.Min[1] + b.Max[1]) / 2
	square := orb.Polygon{{{b.Max[0] - 0.005, midLat - 0.002}, {b.Max[0] + 0.015, midLat - 0.002}, {b.Max[0] + 0.015, midLat + 0.002},
		{b.Max[0] - 0.005, midLat + 0.002}, {b.Max[0] - 0.005, midLat - 0.002}}}
	inside := orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])/4, midLat}
	feats := []*geojson.Feature{
		{Type: "Feature", ID: 7, Geometry: orb.MultiPolygon{square}, Properties: geojson.Properties{"name": "square"}},
		{Type: "Feature", ID: "29242", Geometry: inside, Properties: geojson.Properties{"name": "in"}},
		{Type: "Feature", ID: "x/1", Geometry: orb.Point{b.Max[0] + 1, midLat}, Properties: geojson.Properties{"name": "out"}},
		{Type: "Feature", Geometry: orb.LineString{{b.Min[0] - 0.1, midLat}, {b.Max[0] + 0.1, midLat}}, Properties: geojson.Properties{"name": "line"}},
	}
	before := orb.Clone(feats[0].Geometry)
	raw, err := MVT(tile, []TileLayer{{Name: "test", Features: feats}, {Name: "none", Features: nil}})
	if err != nil {
		t.Fatal(err)
	}
	if !orb.Equal(before, feats[0].Geometry) {
		t.Fatal("MVT modified its input")
	}
	layers, err := mvt.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].Name != "test" || layers[0].Extent != 4096 || len(layers[0].Features) != 3 {
		t.Fatalf("layers %d, want 1 named test with 3 features (the far point dropped)", len(layers))
	}
	got := map[string]*geojson.Feature{}
	for _, f := range layers[0].Features {
		got[f.Properties.MustString("name")] = f
	}
	// The square in tile units: x from 4096·(1 − 0.005/w) to the buffer's edge 4096 + 64.
	w := b.Max[0] - b.Min[0]
	sq := got["square"].Geometry.(orb.Polygon) // one polygon decodes as a Polygon
	x0 := 4096 * (1 - 0.005/w)
	wantW := 4096 + 64 - x0
	gb := sq.Bound()
	if math.Abs(gb.Min[0]-math.Round(x0)) > 1 || gb.Max[0] != 4096+64 {
		t.Errorf("square x range %v–%v, want %.0f–4160", gb.Min[0], gb.Max[0], x0)
	}
	if h := gb.Max[1] - gb.Min[1]; math.Abs(h*wantW-math.Abs(area(sq))) > 2*(h+wantW) {
		t.Errorf("square area %v units², want %v (within rounding)", math.Abs(area(sq)), h*wantW)
	}
	if id := got["square"].ID; id != float64(7) && id != uint64(7) {
		t.Errorf("square id %v (%T), want 7", id, id)
	}
	p := got["in"].Geometry.(orb.Point)
	if p[0] != 1024 || math.Abs(p[1]-2048) > 1 {
		t.Errorf("inside point at %v, want (1024, 2048)", p)
	}
	if ls, ok := got["line"].Geometry.(orb.LineString); !ok || ls[0][0] != -64 || ls[len(ls)-1][0] != 4160 {
		t.Errorf("line %v, want cut at the buffer (x −64 to 4160)", got["line"].Geometry)
	}
	empty, err := MVT(maptile.New(0, 0, 12), []TileLayer{{Name: "test", Features: feats}})
	if err != nil || len(empty) != 0 {
		t.Errorf("tile without features: %d bytes, %v", len(empty), err)
	}
}

// area is the signed shoelace area of p's exterior.
func area(p orb.Polygon) float64 {
	r, s := p[0], 0.0
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}
