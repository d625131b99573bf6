package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestStatusOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"param", badParam("tech", "5G", "must be 3G or 4G"), http.StatusBadRequest},
		{"wrapped param", fmt.Errorf("coverage: %w", badParam("zoom", "x", "must be an integer")), http.StatusBadRequest},
		{"not found", fmt.Errorf("commune %q: %w", "x", ErrNotFound), http.StatusNotFound},
		{"explicit status", &statusError{status: http.StatusMethodNotAllowed, msg: "no"}, http.StatusMethodNotAllowed},
		{"deadline", fmt.Errorf("building: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{"unavailable", ErrUnavailable, http.StatusServiceUnavailable},
		{"anything else", errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusOf(tc.err); got != tc.want {
				t.Fatalf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestBodyOf(t *testing.T) {
	long := string(make([]byte, 300))
	cases := []struct {
		name      string
		err       error
		wantParam string
		wantValue int // length of the echoed value
		hidden    string
	}{
		{"param named, value echoed", badParam("tech", "5G", "must be 3G or 4G"), "tech", 2, ""},
		{"long value truncated", badParam("bbox", long, "bad"), "bbox", 100, ""},
		{"internal detail hidden", errors.New("open /secret/path: permission denied"), "", 0, "/secret/path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bodyOf(tc.err, statusOf(tc.err))
			if b.Param != tc.wantParam || len(b.Value) != tc.wantValue {
				t.Fatalf("body %+v: want param %q and a %d-byte value", b, tc.wantParam, tc.wantValue)
			}
			if tc.hidden != "" && (strings.Contains(b.Error, tc.hidden) || b.Error == "") {
				t.Fatalf("reply %q leaks %q", b.Error, tc.hidden)
			}
		})
	}
}
