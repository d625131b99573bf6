package data

import (
	"strings"
	"testing"
)

// TestCheckSiteID pins the one site-id rule every reader applies. Before it, the delete-list
// reader trimmed " A" to "A" and accepted it, and every reader accepted "a/b", which
// /api/v1/sites/{carrier}/{site_id} cannot serve.
func TestCheckSiteID(t *testing.T) {
	cases := []struct{ name, id, want string }{
		{"plain", "TV-VT-0001", ""},
		{"Vietnamese", "Trạm Càng Long 1", ""},
		{"inner space", "A 1", ""},
		{"longest", strings.Repeat("x", MaxIDBytes), ""},
		{"empty", "", `site_id: is empty`},
		{"leading space", " A", `site_id: " A" has leading or trailing spaces`},
		{"trailing tab", "A\t", `site_id: "A\t" has leading or trailing spaces`},
		{"no-break space", "A\u00a0", `site_id: "A\u00a0" has leading or trailing spaces`},
		{"only spaces", "  ", `site_id: "  " has leading or trailing spaces`},
		{"control", "A\x07B", `site_id: "A\aB" holds control characters`},
		{"newline", "A\nB", `site_id: "A\nB" holds control characters`},
		{"bad UTF-8", "A\xff", `site_id: "A\xff" is not valid UTF-8`},
		{"slash", "TV/1", `site_id: "TV/1" holds a '/', which cannot appear in the site's URL (/api/v1/sites/{carrier}/{site_id})`},
		{"one byte too long", strings.Repeat("x", MaxIDBytes+1), `site_id: "` + strings.Repeat("x", MaxIDBytes+1) + `" is 101 bytes long; ids have at most 100`},
		// 34 three-byte letters are 102 bytes: the bound is on bytes, not characters.
		{"long in bytes", strings.Repeat("ạ", 34), `site_id: "` + strings.Repeat("ạ", 34) + `" is 102 bytes long; ids have at most 100`},
	}
	runIDCases(t, CheckSiteID, cases)
}

// TestCheckCellID: a cell id may be empty or hold a '/', and follows the other id rules.
func TestCheckCellID(t *testing.T) {
	cases := []struct{ name, id, want string }{
		{"empty", "", ""},
		{"slash", "TV-1/A", ""},
		{"padded", "A ", `cell_id: "A " has leading or trailing spaces`},
		{"control", "\x00", `cell_id: "\x00" holds control characters`},
		{"too long", strings.Repeat("c", 101), `cell_id: "` + strings.Repeat("c", 101) + `" is 101 bytes long; ids have at most 100`},
	}
	runIDCases(t, CheckCellID, cases)
}

// runIDCases checks that check(id) renders as want ("" for no error) in each case.
func runIDCases(t *testing.T, check func(string) *ParseError, cases []struct{ name, id, want string }) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			if e := check(c.id); e != nil {
				got = e.Error()
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestResolveCarrier: ids and names in any case, and MNCs 0–99 written with up to three digits
// ("4", "04", "004"); MNCs of no default carrier, 100, four digits or a sign are not carriers.
func TestResolveCarrier(t *testing.T) {
	cases := map[string]string{
		"viettel": "viettel", "VinaPhone": "vinaphone", " MOBIFONE ": "mobifone", "I-Telecom": "itelecom",
		"4": "viettel", "04": "viettel", "004": "viettel", "01": "mobifone", "8": "itelecom",
		"0": "", "99": "", "100": "", "0004": "", "-4": "", "4.0": "", "": "", "vt": "",
	}
	for in, want := range cases {
		got, ok := ResolveCarrier(in)
		if got != want || ok != (want != "") {
			t.Errorf("ResolveCarrier(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
