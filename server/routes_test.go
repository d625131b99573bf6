package server

import (
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"phusong/data/testenv"
)

// TestNoServerErrorForUserInput sends seeded random junk to every route and checks that the
// answer is never a 5xx (user input is a 4xx at worst) and that errors are JSON: 400 requests,
// 100 in a quick make test (data/testenv).
func TestNoServerErrorForUserInput(t *testing.T) {
	s, ts := newTestServer(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	junk := []string{"", "0", "-1", "1e309", "NaN", "Inf", "-0", "999999999999999999999", "3G", "4g", "any", "viettel",
		"1,2,3,4", "106,9,105,10", ",,,", "%00", "\u00e0\u1ea1", "'; DROP TABLE", "../../etc/passwd", "9.9,106.3", "  4G  "}
	params := []string{"bbox", "carrier", "tech", "limit", "tier", "zoom", "commune", "lon", "lat", "min_people", "format"}
	paths := []string{}
	for _, r := range s.routes() {
		paths = append(paths, r.path)
	}
	fill := func(p string) string {
		out := []byte{}
		for i := 0; i < len(p); i++ {
			switch p[i] {
			case ':', '*':
				j := i
				for j < len(p) && p[j] != '/' {
					j++
				}
				out = append(out, url.PathEscape(junk[rng.IntN(len(junk))])...)
				i = j - 1
			default:
				out = append(out, p[i])
			}
		}
		return string(out)
	}
	for range testenv.Size(400, 100) {
		q := url.Values{}
		for range rng.IntN(4) {
			q.Add(params[rng.IntN(len(params))], junk[rng.IntN(len(junk))])
		}
		u := ts.URL + fill(paths[rng.IntN(len(paths))]) + "?" + q.Encode()
		r := get(t, u)
		if r.status >= 500 {
			t.Fatalf("seed %d: %s → %d %s", seed, u, r.status, r.body)
		}
		if r.status >= 400 {
			if e := decode[errorBody](t, r); e.Status != r.status {
				t.Fatalf("seed %d: %s → %d with error body %+v", seed, u, r.status, e)
			}
		}
	}
}
