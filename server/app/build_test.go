package app

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildOf(t *testing.T) {
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want BuildInfo
		line []string // substrings of String()
	}{
		{
			name: "stamped, dirty",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "phusong", Version: "v0.0.0-20260101120000-abcdef123456+dirty"},
				Settings: []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}, {Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.time", Value: "2026-01-01T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			want: BuildInfo{Module: "phusong", Version: "v0.0.0-20260101120000-abcdef123456+dirty", Revision: "abcdef1234567890",
				Time: "2026-01-01T12:00:00Z", Modified: true, GoVersion: "go1.26.8"},
			line: []string{"phusong v0.0.0-20260101120000-abcdef123456+dirty", "revision abcdef1234567890, 2026-01-01T12:00:00Z, modified", "go1.26.8"},
		},
		{
			name: "clean",
			bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "phusong", Version: "v1.2.0"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123"}, {Key: "vcs.modified", Value: "false"}}},
			want: BuildInfo{Module: "phusong", Version: "v1.2.0", Revision: "0123", GoVersion: "go1.26.8"},
			line: []string{"phusong v1.2.0 (revision 0123)"},
		},
		{
			name: "no vcs",
			bi:   debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "phusong"}},
			want: BuildInfo{Module: "phusong", Version: "(devel)", GoVersion: "go1.26.8"},
			line: []string{"phusong (devel) (no VCS information", "-buildvcs=false"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := buildOf(&c.bi)
			if got != c.want {
				t.Fatalf("buildOf = %+v, want %+v", got, c.want)
			}
			for _, w := range c.line {
				if !strings.Contains(got.String(), w) {
					t.Errorf("String() = %q, lacks %q", got.String(), w)
				}
			}
		})
	}
}
