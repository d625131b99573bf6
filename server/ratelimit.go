package server

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// limiter is a set of token buckets, one per key (a token id, or a client address for failed
// logins): each holds up to burst requests and refills at ratePerS requests per second. It is
// safe for concurrent use.
type limiter struct {
	ratePerS float64
	burst    float64
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is one key's state: tokens available at time at.
type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the keys kept; past it, buckets that have refilled completely (which carry
// no information) are dropped.
const maxBuckets = 10000

// newLimiter returns a limiter allowing burst requests at once and ratePerS per second after
// that. ratePerS ≤ 0 (or burst < 1) disables limiting: every request is allowed.
func newLimiter(ratePerS float64, burst int) *limiter {
	return &limiter{ratePerS: ratePerS, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket. When the bucket is empty it takes nothing and
// returns false with the wait until one request is available again (at least 1 s, rounded up
// to whole seconds, as Retry-After says it).
func (l *limiter) allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.ratePerS <= 0 || l.burst < 1 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := math.Ceil((1 - b.tokens) / l.ratePerS)
	return false, time.Duration(max(wait, 1)) * time.Second
}

// refill adds the tokens earned since b.at, up to burst. A clock going backwards adds none.
func (l *limiter) refill(b *bucket, now time.Time) {
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.ratePerS)
	}
	b.at = now
}

// evict drops the buckets that are full by now. Called with mu held.
func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// refund gives back one request to key's bucket (up to burst): a check that was counted before
// it was made, and turned out not to count.
func (l *limiter) refund(key string) {
	if l == nil || l.ratePerS <= 0 || l.burst < 1 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// clientKey is the limiter key of a client address: the address itself for IPv4, its /64
// prefix for IPv6 (one subscriber's network holds a whole /64).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
