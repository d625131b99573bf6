package server

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable time source for limiter tests, safe for the server's goroutines to
// read while the test advances it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimiter(t *testing.T) {
	type step struct {
		after     time.Duration // clock advance before the request
		key       string
		ok        bool
		retryWait time.Duration // when refused
	}
	cases := []struct {
		name     string
		ratePerS float64
		burst    int
		steps    []step
	}{
		{"burst then refill", 2, 3, []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0},
			// empty: one request needs 1/2 s, announced as 1 s
			{0, "a", false, time.Second},
			// 0.5 s later exactly one request has been earned
			{500 * time.Millisecond, "a", true, 0},
			{0, "a", false, time.Second},
		}},
		{"keys are independent", 1, 1, []step{
			{0, "a", true, 0}, {0, "a", false, time.Second}, {0, "b", true, 0}, {0, "b", false, time.Second},
		}},
		{"slow rate: retry after the whole refill", 0.1, 1, []step{
			{0, "a", true, 0},
			// 1 token at 0.1/s = 10 s
			{0, "a", false, 10 * time.Second},
			// 4 s later 0.4 earned: 0.6 missing = 6 s
			{4 * time.Second, "a", false, 6 * time.Second},
			{6 * time.Second, "a", true, 0},
		}},
		{"refill caps at burst", 1, 2, []step{
			{0, "a", true, 0}, {0, "a", true, 0},
			{time.Hour, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Second},
		}},
		{"a refused request costs nothing", 1, 1, []step{
			{0, "a", true, 0}, {0, "a", false, time.Second}, {0, "a", false, time.Second},
			{time.Second, "a", true, 0},
		}},
		{"disabled", 0, 0, []step{{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := newLimiter(tc.ratePerS, tc.burst)
			l.now = clk.now
			for i, s := range tc.steps {
				clk.advance(s.after)
				ok, wait := l.allow(s.key)
				if ok != s.ok || (!ok && wait != s.retryWait) {
					t.Fatalf("step %d (%s): allow = %v, retry %v; want %v, %v", i, s.key, ok, wait, s.ok, s.retryWait)
				}
			}
		})
	}
}

func TestLimiterEvictsFullBuckets(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(1, 5)
	l.now = clk.now
	for i := range maxBuckets {
		l.allow(fmt.Sprint("k", i))
	}
	if ok, _ := l.allow("busy"); !ok { // map full, nothing refilled yet: nothing evicted
		t.Fatal("first request of a new key refused")
	}
	if n := len(l.buckets); n != maxBuckets+1 {
		t.Fatalf("%d buckets, want %d (no bucket was full)", n, maxBuckets+1)
	}
	clk.advance(time.Second) // every old key refilled to 5 (4 + 1), "busy" to 5 as well
	l.allow("new")
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets after eviction, want 1 (only the new key)", n)
	}
}
