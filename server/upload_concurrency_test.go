package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"phusong/data/input"
	"phusong/data/testenv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// genSize is how many sites generation gen of the concurrency test has: 3 to 19, so a
// served list's length tells whether it is whole.
func genSize(gen int) int { return 3 + gen%5*4 }

// checkWhole checks that a served site list is exactly one generation: every id of one gen
// and genSize(gen) of them, or (before the first upload) no generated id at all.
func checkWhole(ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("empty list")
	}
	g := generationOf(ids[0])
	for _, id := range ids {
		if generationOf(id) != g {
			return fmt.Errorf("ids of generations %d and %d in one list (%s)", g, generationOf(id), id)
		}
	}
	if g >= 0 && len(ids) != genSize(g) {
		return fmt.Errorf("generation %d has %d sites in the list, uploaded %d", g, len(ids), genSize(g))
	}
	return nil
}

// TestConcurrentUploadsAndReads has several carriers uploading (replace, some dry runs) while
// readers hammer the API; run it with -race. Every request must succeed, every served list
// must be one whole generation (never half-applied), data versions must never go back, and
// at the end each carrier serves its last applied generation.
func TestConcurrentUploadsAndReads(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	// 6 uploads a carrier and 4 readers; 2 and 2 in a quick make test (data/testenv)
	uploadsPerCarrier, readers := testenv.Size(6, 2), testenv.Size(4, 2)

	var failed atomic.Value // first error
	fail := func(err error) { failed.CompareAndSwap(nil, err) }
	var wg sync.WaitGroup
	last := make([]int, len(envCarriers)) // last applied generation per carrier
	for ci, carrier := range envCarriers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(ci)))
			for k := range uploadsPerCarrier {
				gen := 1000*(ci+1) + k
				dry := rng.IntN(4) == 0
				var b bytes.Buffer
				if err := input.WriteSitesCSV(&b, genSites(carrier, gen, genSize(gen))); err != nil {
					fail(err)
					return
				}
				r, err := tryCall(http.MethodPost, fmt.Sprintf("%s/api/v1/carriers/%s/sites?mode=replace&dry_run=%v", e.ts.URL, carrier, dry),
					e.tok[carrier], b.Bytes(), "Content-Type: text/csv")
				if err == nil && r.status != http.StatusOK {
					err = fmt.Errorf("%s upload %d: %d %s", carrier, gen, r.status, r.body)
				}
				if err != nil {
					fail(err)
					return
				}
				if !dry {
					last[ci] = gen
				}
			}
		}()
	}
	var stop atomic.Bool
	var reads atomic.Int64
	var rwg sync.WaitGroup
	for ri := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			var seen uint64
			paths := []string{"/api/v1/communes", "/api/v1/carriers", "/api/v1/coverage?tech=4G&carrier=" + envCarriers[ri%len(envCarriers)],
				"/api/v1/sites?bbox=106.2,9.8,106.4,10.1", "/api/v1/signal?lon=106.27&lat=9.86"}
			for i := 0; !stop.Load(); i++ {
				carrier := envCarriers[i%len(envCarriers)]
				r, err := tryCall(http.MethodGet, e.ts.URL+"/api/v1/sites?carrier="+carrier, "", nil)
				if err == nil && r.status != http.StatusOK {
					err = fmt.Errorf("sites of %s: %d", carrier, r.status)
				}
				if err != nil {
					fail(err)
					return
				}
				var sb sitesBody
				if err := json.Unmarshal(r.body, &sb); err != nil {
					fail(err)
					return
				}
				ids := make([]string, len(sb.Features))
				for j, f := range sb.Features {
					ids[j] = f.Properties.SiteID
				}
				if err := checkWhole(ids); err != nil {
					fail(fmt.Errorf("reader %d, %s at data version %d: %w", ri, carrier, sb.DataVersion, err))
					return
				}
				if sb.DataVersion < seen {
					fail(fmt.Errorf("reader %d: data version went back from %d to %d", ri, seen, sb.DataVersion))
					return
				}
				seen = sb.DataVersion
				p := paths[i%len(paths)]
				if r, err := tryCall(http.MethodGet, e.ts.URL+p, "", nil, "Accept-Encoding: gzip"); err != nil || r.status != http.StatusOK {
					fail(fmt.Errorf("GET %s: %d %v", p, r.status, err))
					return
				}
				reads.Add(2)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	rwg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	t.Logf("%d uploads by %d carriers, %d reads", uploadsPerCarrier*len(envCarriers), len(envCarriers), reads.Load())
	for ci, carrier := range envCarriers {
		ids, _ := siteIDsOf(t, e.ts.URL, carrier)
		if err := checkWhole(ids); err != nil || (last[ci] > 0 && generationOf(ids[0]) != last[ci]) {
			t.Fatalf("seed %d: %s serves generation %d (%v), last applied %d", seed, carrier, generationOf(ids[0]), err, last[ci])
		}
	}
}
