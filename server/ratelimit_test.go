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

// TestLimiterRefund: a refunded request is available again, never past the burst.
func TestLimiterRefund(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	l := newLimiter(1.0/60, 2)
	l.now = clock.now
	l.allow("a")
	l.allow("a")
	if ok, _ := l.allow("a"); ok {
		t.Fatal("third request of a burst of 2 allowed")
	}
	l.refund("a")
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("a refunded request refused")
	}
	for range 5 {
		l.refund("a")
	}
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.allow("a"); ok != want {
			t.Fatalf("request %d after refunds: %v, want %v (the burst caps refunds)", i, ok, want)
		}
	}
}

// TestClientKey: IPv4 addresses are their own key; IPv6 ones share their /64.
func TestClientKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"::ffff:203.0.113.7", "::ffff:203.0.113.7"},
	} {
		if clientKey(c.a) != clientKey(c.b) {
			t.Errorf("%s and %s: keys %q and %q differ", c.a, c.b, clientKey(c.a), clientKey(c.b))
		}
	}
	if clientKey("2001:db8:1:2::1") == clientKey("2001:db8:1:3::1") || clientKey("203.0.113.7") == clientKey("203.0.113.8") {
		t.Error("distinct networks share a key")
	}
}

// TestAnonRateLimit: the public routes allow AnonBurst requests at once per client address,
// then 429 with Retry-After; a forged X-Forwarded-For does not buy a new allowance; routes
// with a token are not counted.
func TestAnonRateLimit(t *testing.T) {
	// A stopped clock: under -race on a loaded machine the three coverage answers took over a
	// second of real time, the bucket refilled a little and Retry-After said 9 (a flaky failure).
	c := &fakeClock{t: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, demoState(t), Options{Limits: Limits{AnonRatePerMinute: 6, AnonBurst: 3, TokenRatePerMinute: -1}, Now: c.now}, nil, "", nil)
	for i := range 3 {
		if r := get(t, e.ts.URL+"/api/v1/coverage?zoom="+fmt.Sprint(7+i)); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	for _, h := range [][]string{nil, {"X-Forwarded-For: 198.51.100.9"}, {"X-Real-IP: 198.51.100.10"}} {
		r := get(t, e.ts.URL+"/api/v1/communes", h...)
		if r.status != 429 || r.header.Get("Retry-After") != "10" {
			t.Fatalf("over the burst with %v: %d, Retry-After %q; want 429, 10", h, r.status, r.header.Get("Retry-After"))
		}
	}
	if r := e.call(t, "GET", "/api/v1/uploads", e.tok["viettel"], nil); r.status != 200 {
		t.Fatalf("a token route: %d", r.status)
	}
}
