package input

import (
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"phusong/data"
)

// Candidate is a position a new site may take (plan.Candidate's fields from a file).
type Candidate struct {
	Lon, Lat float64
	Name     string
	HeightM  float64 // 0: not given
}

// ReadCandidatesCSV reads candidate positions for site suggestion from a CSV opened as ReadSitesCSV opens a station list: columns lon and lat
// (required; aliases as for station lists), name and height_m (optional; an empty height takes
// the run's). Positions must lie inside area (data.CheckPosition) and heights within the
// station-list range. Bad input gives data.ParseErrors naming line and field; a file without
// any row is an error too.
func ReadCandidatesCSV(r io.Reader, area orb.Bound) ([]Candidate, error) {
	in, err := openCSV(r, "candidates")
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range in.header {
		name := canonicalColumn(h)
		if name == "" {
			name = strings.ToLower(strings.TrimSpace(h))
		}
		if _, dup := col[name]; !dup {
			col[name] = i
		}
	}
	var errs data.ErrorList
	for _, need := range []string{"lon", "lat"} {
		if _, ok := col[need]; !ok {
			errs.Record(&data.ParseError{Line: 1, Field: need, Msg: "required column is missing"})
		}
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	var out []Candidate
	for line, rec := range in.records(&errs) {
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		num := func(name string) (float64, bool) {
			v, err := strconv.ParseFloat(field(name), 64)
			if err != nil {
				errs.Record(&data.ParseError{Line: line, Field: name, Value: field(name), Msg: "is not a number"})
				return 0, false
			}
			return v, true
		}
		lon, ok1 := num("lon")
		lat, ok2 := num("lat")
		if !ok1 || !ok2 {
			continue
		}
		c := Candidate{Lon: lon, Lat: lat, Name: field("name")}
		bad := false
		for _, pe := range data.CheckPosition(lon, lat, area) {
			pe.Line = line
			errs.Record(pe)
			bad = true
		}
		if h := field("height_m"); h != "" {
			if c.HeightM, ok1 = num("height_m"); !ok1 {
				continue
			}
			if pe := data.CheckRange("height_m", c.HeightM, data.MinHeightM, data.MaxHeightM, " m"); pe != nil {
				pe.Line = line
				errs.Record(pe)
				bad = true
			}
		}
		if !bad {
			out = append(out, c)
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	if len(out) == 0 {
		return nil, data.ParseErrors{{Line: 1, Msg: "no candidate rows"}}
	}
	return out, nil
}
