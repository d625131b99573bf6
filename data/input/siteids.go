package input

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"phusong/data"
)

// SiteIDLoadReport is the result of reading a list of site ids (the ids of a delete upload).
type SiteIDLoadReport struct {
	Keys []data.SiteKey // distinct, in order of first appearance
	Rows int            // CSV data rows or GeoJSON features read
}

// ReadSiteIDsCSV reads the site ids of carrier (an id, name or MNC) from a CSV with a site_id
// column (or an alias of it: site, siteid, site_code, site_name; case-insensitive), opened as
// ReadSitesCSV opens a station list (BOM, separator, line ends). Other columns are ignored, so
// the carrier's full station list works too; an id listed on several rows (one per sector)
// counts once. Every id must pass data.CheckSiteID as written (" A1" is an error, not "A1").
// Bad input gives data.ParseErrors naming the line: an id breaking the rule, a row too short
// to hold the column, no site_id column, two columns giving it, CSV syntax. lim.MaxRows and
// lim.MaxSites (distinct ids) stop reading with a *data.LimitError.
func ReadSiteIDsCSV(r io.Reader, carrier string, lim Limits) (*SiteIDLoadReport, error) {
	l, err := newIDList(carrier, lim)
	if err != nil {
		return nil, err
	}
	in, err := openCSV(r, "site id")
	if err != nil {
		return nil, err
	}
	col := -1
	for i, h := range in.header {
		if canonicalColumn(h) != "site_id" {
			continue
		}
		if col >= 0 {
			l.Record(&data.ParseError{Line: 1, Field: "site_id", Msg: fmt.Sprintf("columns %q and %q both give site_id",
				strings.TrimSpace(in.header[col]), strings.TrimSpace(h))})
		}
		col = i
	}
	if col < 0 {
		l.Record(&data.ParseError{Line: 1, Field: "site_id", Msg: "required column is missing"})
	}
	if len(l.Errs) > 0 {
		return nil, l.Errs
	}
	for line, rec := range in.records(&l.ErrorList) {
		if l.rep.Rows++; l.limit == nil {
			l.limit = lim.rowLimit(l.rep.Rows, line, 0)
		}
		if l.limit != nil {
			break
		}
		if col >= len(rec) {
			l.Record(&data.ParseError{Line: line, Field: "site_id", Msg: fmt.Sprintf("row has %d fields, the header %d", len(rec), len(in.header))})
			continue
		}
		l.add(line, 0, rec[col])
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	return l.finish()
}

// ReadSiteIDsGeoJSON reads the site ids of carrier from a GeoJSON FeatureCollection (read as
// ReadSitesGeoJSON reads one): each feature's site_id property (or an alias, as in
// ReadSiteIDsCSV), a string or a number; geometries and other properties are ignored. Ids
// count once and must pass data.CheckSiteID; errors name "feature N". Limits as in
// ReadSiteIDsCSV, and lim.MaxFeatureBytes.
func ReadSiteIDsGeoJSON(r io.Reader, carrier string, lim Limits) (*SiteIDLoadReport, error) {
	l, err := newIDList(carrier, lim)
	if err != nil {
		return nil, err
	}
	fc := readFeatureCollection(r, "site id", lim.MaxFeatureBytes)
	for n, raw := range fc.Features() {
		if l.limit == nil {
			l.limit = lim.rowLimit(n, 0, n)
		}
		if l.Full || l.limit != nil {
			break
		}
		l.rep.Rows++
		var f struct {
			Properties map[string]any `json:"properties"`
		}
		if err := decodeJSON(raw, &f); err != nil {
			l.Record(jsonError(n, err))
			continue
		}
		var ids []string
		typed := true
		for _, k := range slices.Sorted(maps.Keys(f.Properties)) {
			if canonicalColumn(k) != "site_id" {
				continue
			}
			switch v := f.Properties[k].(type) {
			case string:
				ids = append(ids, v)
			case json.Number:
				ids = append(ids, v.String())
			case nil:
			default:
				l.Record(&data.ParseError{Feature: n, Field: k, Msg: "is not a number or text"})
				typed = false
			}
		}
		switch {
		case !typed:
		case len(ids) == 0:
			l.Record(&data.ParseError{Feature: n, Field: "site_id", Msg: "missing (want a string or a number)"})
		case len(ids) == 1:
			l.add(0, n, ids[0])
		default:
			l.Record(&data.ParseError{Feature: n, Field: "site_id", Msg: fmt.Sprintf("%d properties give site_id; give one", len(ids))})
		}
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	return l.finish()
}

// idList collects the distinct keys and the errors of one list.
type idList struct {
	carrier string
	lim     Limits
	limit   *data.LimitError // a limit reached: reading stopped
	rep     SiteIDLoadReport
	seen    map[string]bool
	data.ErrorList
}

func newIDList(carrier string, lim Limits) (*idList, error) {
	id, ok := data.ResolveCarrier(carrier)
	if !ok {
		return nil, fmt.Errorf("%w: carrier %q is not a known carrier id or MNC", data.ErrInvalidInput, carrier)
	}
	return &idList{carrier: id, lim: lim, rep: SiteIDLoadReport{Keys: []data.SiteKey{}}, seen: map[string]bool{}}, nil
}

// add checks the id of a line or feature and keeps it the first time it is seen.
func (l *idList) add(line, feature int, id string) {
	if e := data.CheckSiteID(id); e != nil {
		e.Line, e.Feature = line, feature
		l.Record(e)
		return
	}
	if !l.seen[id] && over(len(l.seen)+1, l.lim.MaxSites) {
		l.limit = &data.LimitError{What: "sites", Max: int64(l.lim.MaxSites), Line: line, Feature: feature}
		return
	}
	if !l.seen[id] {
		l.seen[id] = true
		l.rep.Keys = append(l.rep.Keys, data.SiteKey{Carrier: l.carrier, SiteID: id})
	}
}

func (l *idList) finish() (*SiteIDLoadReport, error) {
	if l.limit != nil {
		return nil, l.limit
	}
	if len(l.Errs) > 0 {
		return nil, l.Errs
	}
	return &l.rep, nil
}
