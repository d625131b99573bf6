package server

import "testing"

// TestMemoryLimit: a set --memory-limit is kept, -1 is none, and the default is 1.25 × the heap
// after loading plus 4 × the response cache (hand arithmetic: 1.25 × 200 MiB + 4 × 32 MiB =
// 378 MiB).
func TestMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		name string
		lim  Limits
		heap int64
		want int64
	}{
		{"default", Limits{}, 200 * mib, 378 * mib},
		{"default, a larger cache", Limits{CacheBytes: 100 * mib}, 200 * mib, 650 * mib},
		{"set", Limits{MemoryLimitBytes: 1 << 30}, 200 * mib, 1 << 30},
		{"none", Limits{MemoryLimitBytes: -1}, 200 * mib, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.lim.MemoryLimit(tc.heap); got != tc.want {
				t.Fatalf("MemoryLimit(%d) = %d, want %d", tc.heap, got, tc.want)
			}
		})
	}
}
