package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// TestFeatureSetsBoundedByBytes: the OGC API's feature sets (one per collection, built on first
// use) are kept in the response cache, within its bytes with the answers; a dropped set is
// built again with the same features.
func TestFeatureSetsBoundedByBytes(t *testing.T) {
	const maxBytes = 2 << 20
	s, ts := serveState(t, demoState(t), Options{Limits: Limits{CacheBytes: maxBytes}})
	cols := decode[struct{ Collections []ogcCollection }](t, get(t, ts.URL+"/ogc/collections")).Collections
	if len(cols) < 10 {
		t.Fatalf("%d collections", len(cols))
	}
	items := func(id string) ogcPage {
		r := get(t, ts.URL+"/ogc/collections/"+url.PathEscape(id)+"/items?limit=50")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", id, r.status)
		}
		return decode[ogcPage](t, r)
	}
	first := items("sites")
	evictions := s.metrics.cacheEvictions.Load()
	largest := int64(0)
	for _, c := range cols {
		items(c.ID)
		v := s.cur.Load()
		if _, bytes := v.cache.stats(); bytes > maxBytes {
			t.Fatalf("after %s: the cache holds %d bytes, over its %d", c.ID, bytes, maxBytes)
		}
		if e := v.cache.entries["set|"+c.ID+"|-1"]; e != nil && e.elem != nil {
			largest = max(largest, e.size)
		}
	}
	if s.metrics.cacheEvictions.Load() == evictions {
		t.Fatalf("every collection's set fits in %d bytes (the largest kept: %d): the test does not exercise eviction", maxBytes, largest)
	}
	if largest == 0 {
		t.Fatal("no feature set was kept")
	}
	if _, kept := s.cur.Load().cache.entries["set|sites|-1"]; kept {
		t.Fatal("the sites set is still kept after every other collection was asked")
	}
	again := items("sites")
	a, _ := json.Marshal(first.Features)
	b, _ := json.Marshal(again.Features)
	if again.NumberMatched != first.NumberMatched || len(first.Features) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the sites set built again differs from the first (%d features of %d, then %d of %d)",
			len(first.Features), first.NumberMatched, len(again.Features), again.NumberMatched)
	}
}
