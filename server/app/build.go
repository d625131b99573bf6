package app

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// BuildInfo says which phusong this is, as the Go toolchain stamped it into the binary
// (runtime/debug.ReadBuildInfo): the module version and, when built from a git checkout with
// VCS stamping on (go build's default -buildvcs=auto), the commit, its time and whether the
// work tree had uncommitted changes. Fields the binary does not carry are empty.
type BuildInfo struct {
	Module    string `json:"module"`       // the main module's path, "phusong"
	Version   string `json:"version"`      // module version: a tag, a pseudo-version (v0.0.0-<time>-<rev>[+dirty]) or "(devel)"
	Revision  string `json:"vcs_revision"` // the commit id, "" when not stamped
	Time      string `json:"vcs_time"`     // the commit time, RFC 3339, "" when not stamped
	Modified  bool   `json:"vcs_modified"` // the work tree had uncommitted changes (a "dirty" build)
	GoVersion string `json:"go_version"`   // the toolchain, e.g. go1.26.8
}

// ReadBuildInfo returns this binary's BuildInfo. In a test binary the module is the tested package's
// and no VCS fields are stamped.
func ReadBuildInfo() BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return BuildInfo{Version: "(unknown)"}
	}
	return buildOf(bi)
}

// buildOf reads a BuildInfo out of bi.
func buildOf(bi *debug.BuildInfo) BuildInfo {
	b := BuildInfo{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one-line form `phusong version` prints, e.g.
// "phusong v0.0.0-20260101120000-abcdef123456+dirty (revision abcdef123456…, 2026-01-01T12:00:00Z, modified) go1.26.8".
func (b BuildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "phusong %s", b.Version)
	if b.Revision != "" {
		fmt.Fprintf(&s, " (revision %s", b.Revision)
		if b.Time != "" {
			fmt.Fprintf(&s, ", %s", b.Time)
		}
		if b.Modified {
			s.WriteString(", modified")
		}
		s.WriteString(")")
	} else {
		s.WriteString(" (no VCS information: built outside a git checkout or with -buildvcs=false)")
	}
	fmt.Fprintf(&s, " %s", b.GoVersion)
	return s.String()
}
