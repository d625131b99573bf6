package data

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxIDBytes is the longest site_id or cell_id accepted, in bytes of UTF-8: a station id is a
// code of a few dozen characters, so a longer one is a broken column.
const MaxIDBytes = 100

// IDProblem describes why id is not a usable identifier, or "" when it is: empty, not valid
// UTF-8, with leading or trailing white space (ids are compared as written, never trimmed)
// or holding control characters (so that ids survive a CSV and a log line).
func IDProblem(id string) string {
	switch {
	case id == "":
		return "is empty"
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	case strings.TrimSpace(id) != id:
		return "has leading or trailing spaces"
	case strings.ContainsFunc(id, unicode.IsControl):
		return "holds control characters"
	}
	return ""
}

// CheckSiteID is the one rule for a site id, used by every reader and by CheckSite: IDProblem's
// rules, no '/' (a site is served at /api/v1/sites/{carrier}/{site_id}, where a slash would
// split the id) and at most MaxIDBytes bytes. It returns an error with Field "site_id" and
// Value id (Line and Feature 0: the caller adds where), or nil.
func CheckSiteID(id string) *ParseError { return checkID("site_id", id, true) }

// CheckCellID is the rule for a sector's optional cell id: empty, or IDProblem's rules and at
// most MaxIDBytes bytes ('/' is allowed: cell ids are not part of URLs). It returns an error
// with Field "cell_id" and Value id, or nil.
func CheckCellID(id string) *ParseError {
	if id == "" {
		return nil
	}
	return checkID("cell_id", id, false)
}

// checkID applies IDProblem, the slash rule when noSlash is set, and MaxIDBytes.
func checkID(field, id string, noSlash bool) *ParseError {
	msg := IDProblem(id)
	switch {
	case msg != "":
	case noSlash && strings.Contains(id, "/"):
		msg = "holds a '/', which cannot appear in the site's URL (/api/v1/sites/{carrier}/{site_id})"
	case len(id) > MaxIDBytes:
		msg = fmt.Sprintf("is %d bytes long; ids have at most %d", len(id), MaxIDBytes)
	default:
		return nil
	}
	return &ParseError{Field: field, Value: id, Msg: msg}
}
