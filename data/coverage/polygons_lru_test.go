package coverage

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
)

// polygonJSON is mp as GeoJSON bytes: what a client of a layer finally gets, to the last digit.
func polygonJSON(t *testing.T, mp orb.MultiPolygon) []byte {
	t.Helper()
	b, err := geojson.NewGeometry(mp).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// smallKeys lists the small case's layers (every carrier and any, every technology and tier)
// and its gaps (every technology and commune, at the map's minimum area).
func smallKeys(r *Result) (layers []layerKey, gaps []gapKey) {
	for _, tech := range data.AnalysedTechs {
		for _, c := range append(r.Carriers(), AnyCarrier) {
			for tier := 0; tier <= len(r.eng.rules[techIndex(tech)].rule.TiersDBm); tier++ {
				layers = append(layers, layerKey{c, tech, tier})
			}
		}
		for ci := range r.eng.communes {
			gaps = append(gaps, gapKey{tech, ci, DefaultMinGapAreaM2})
		}
	}
	return layers, gaps
}

// gapsOf is Result.gapPolygons for k.
func gapsOf(r *Result, k gapKey) orb.MultiPolygon {
	thr, ti, _ := r.layerThreshold(AnyCarrier, k.tech, 0)
	return r.gapPolygons(k, ti, thr)
}

// With Options.PolygonCacheBytes, a Result keeps its layers and gaps within the bytes, drops
// the least recently used, and builds a dropped one again as the same polygons (the same
// GeoJSON bytes as before it was dropped and as an unbounded Result's).
func TestPolygonCacheBound(t *testing.T) {
	_, unbounded := smallCase(t, 100)
	layers, gaps := smallKeys(unbounded)
	var largest int64
	nonEmpty := 0
	for _, k := range layers {
		mp := unbounded.fullLayer(k)
		largest = max(largest, polygonBytes(mp))
		nonEmpty += min(1, len(mp))
	}
	for _, k := range gaps {
		largest = max(largest, polygonBytes(gapsOf(unbounded, k)))
	}
	if n, b := unbounded.PolygonCache(); n != len(layers)+len(gaps) || b < 2*largest {
		t.Fatalf("unbounded: %d sets of %d bytes kept, want all %d (%d bytes the largest)", n, b, len(layers)+len(gaps), largest)
	}
	if nonEmpty < 4 {
		t.Fatalf("only %d of the small case's %d layers hold polygons: the comparison proves little", nonEmpty, len(layers))
	}

	// Room for the largest set and a bit: asking every layer keeps few of them.
	e, r := smallCase(t, 100)
	e.opts.PolygonCacheBytes = largest + largest/2 // read on the result's first polygons
	var first layerKey
	for _, k := range layers {
		if len(unbounded.fullLayer(k)) > 0 {
			first = k
			break
		}
	}
	before := r.fullLayer(first)
	beforeJSON := polygonJSON(t, before)
	for _, k := range layers {
		if k == first {
			continue
		}
		r.fullLayer(k)
		if _, b := r.PolygonCache(); b > e.opts.PolygonCacheBytes {
			t.Fatalf("after %v: %d bytes kept, over the bound %d", k, b, e.opts.PolygonCacheBytes)
		}
	}
	if _, kept := r.polys.full[first]; kept {
		t.Fatalf("%v still kept after every other layer was asked within %d bytes", first, e.opts.PolygonCacheBytes)
	}
	after := r.fullLayer(first)
	if &after[0][0][0] == &before[0][0][0] {
		t.Fatal("the layer asked again is the one built first: it was not dropped")
	}
	if got := polygonJSON(t, after); !bytes.Equal(got, beforeJSON) {
		t.Errorf("%v built again: %d bytes of GeoJSON, before it was dropped %d, not the same", first, len(got), len(beforeJSON))
	}
	for _, k := range gaps {
		if got, want := polygonJSON(t, gapsOf(r, k)), polygonJSON(t, gapsOf(unbounded, k)); !bytes.Equal(got, want) {
			t.Errorf("gaps %v: not the unbounded result's", k)
		}
		if _, b := r.PolygonCache(); b > e.opts.PolygonCacheBytes {
			t.Fatalf("after gaps %v: %d bytes kept, over the bound %d", k, b, e.opts.PolygonCacheBytes)
		}
	}
}

// Concurrent callers of a bounded cache, dropping and building layers and gaps all the time,
// each get the unbounded result's polygons (run with -race).
func TestPolygonCacheConcurrent(t *testing.T) {
	_, unbounded := smallCase(t, 100)
	layers, gaps := smallKeys(unbounded)
	want := map[any][]byte{}
	for _, k := range layers {
		want[k] = polygonJSON(t, unbounded.fullLayer(k))
	}
	for _, k := range gaps {
		want[k] = polygonJSON(t, gapsOf(unbounded, k))
	}
	_, total := unbounded.PolygonCache()
	e, r := smallCase(t, 100)
	e.opts.PolygonCacheBytes = total / 4
	seed := rand.Uint64()
	t.Logf("seed %d, %d bytes of %d", seed, e.opts.PolygonCacheBytes, total)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(seed, uint64(g)))
			for range 60 {
				var k any
				var mp orb.MultiPolygon
				if n := rnd.IntN(len(layers) + len(gaps)); n < len(layers) {
					k, mp = layers[n], r.fullLayer(layers[n])
				} else {
					k, mp = gaps[n-len(layers)], gapsOf(r, gaps[n-len(layers)])
				}
				if !bytes.Equal(polygonJSON(t, mp), want[k]) {
					t.Errorf("%v: not the unbounded result's polygons", k)
				}
			}
		})
	}
	wg.Wait()
	if _, b := r.PolygonCache(); b > e.opts.PolygonCacheBytes {
		t.Errorf("%d bytes kept, over the bound %d", b, e.opts.PolygonCacheBytes)
	}
}
