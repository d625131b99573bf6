package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/store"
)

// siteKind is the upload pipeline's description of station lists.
func (s *Server) siteKind() *listKind[data.Site] {
	return &listKind[data.Site]{kind: persist.SiteKind(), read: readSites, prepare: s.prepareSites}
}

// prepareSites builds, off to the side, the state with carrier's sites replaced by next: a
// copy of the served store at the same version, the write, and Engine.Update from the served
// coverage (only the cells within reach of the changed sites are recomputed). Nothing is
// visible until publish, which swaps the new state in.
func (s *Server) prepareSites(ctx context.Context, carrier string, next []data.Site) (any, func() error, error) {
	st := s.State()
	if st.Engine == nil || st.Store == nil {
		return nil, nil, &statusError{status: http.StatusServiceUnavailable, msg: "the served data is read-only (no engine or store)"}
	}
	fork, err := storeAt(st.Engine, siteValues(st.Snapshot.Sites(store.Filter{})), st.Snapshot.Version())
	if err != nil {
		return nil, nil, err
	}
	ch, err := fork.ReplaceCarrier(carrier, next)
	if err != nil {
		return nil, nil, siteProblem(err)
	}
	snap := fork.Snapshot()
	res, err := st.Engine.Update(ctx, st.Coverage, snap, ch)
	if err != nil {
		return nil, nil, siteProblem(err)
	}
	ns := *st
	ns.Snapshot, ns.Coverage, ns.Store = snap, res, fork
	return siteImpactOf(st.Coverage, res, carrier), func() error { return s.SetState(&ns) }, nil
}

// siteProblem reports a site the store or the engine refuses (which validation should have
// caught) as a 422 naming it; other errors are returned as they are.
func siteProblem(err error) error {
	var se *store.SiteError
	var sec *coverage.SectorError
	switch {
	case errors.As(err, &se):
		return &ValidationError{Issues: []Issue{{Field: se.Field, Value: se.Key.SiteID, Message: strings.TrimPrefix(se.Err.Error(), "data: ")}}}
	case errors.As(err, &sec):
		return &ValidationError{Issues: []Issue{{Field: fmt.Sprintf("sectors[%d]", sec.Sector), Value: sec.Site.SiteID,
			Message: "cannot be modelled: " + sec.Err.Error()}}}
	}
	return err
}

// siteValues copies a snapshot's sites.
func siteValues(ps []*data.Site) []data.Site {
	out := make([]data.Site, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// storeAt returns a new store over eng's reach holding sites, at exactly version (which must
// be ≥ 1 when there are sites): one write of every site, then empty writes, so that an
// Engine.Update from a result at that version accepts the store's next write. (A
// data.Store.Fork keeping the version would make the empty writes unnecessary; each costs
// one snapshot header, copy-on-write.)
func storeAt(eng *coverage.Engine, sites []data.Site, version uint64) (*store.Store, error) {
	st := store.New(eng.Reach)
	if len(sites) > 0 {
		if _, err := st.Upsert(sites); err != nil {
			return nil, fmt.Errorf("server: copying the store: %w", err)
		}
	}
	for st.Version() < version {
		if _, err := st.Upsert(nil); err != nil {
			return nil, fmt.Errorf("server: copying the store: %w", err)
		}
	}
	if st.Version() != version {
		return nil, fmt.Errorf("server: copying the store: version %d cannot be reached (at %d)", version, st.Version())
	}
	return st, nil
}

// figures are the coverage numbers the impact compares.
type figures struct {
	CoveredAreaPct    float64 `json:"covered_area_pct"`
	CoveredPopulation float64 `json:"covered_population"`
}

// techImpact is one technology's coverage before and after a change: by any carrier, and by
// the uploading carrier alone.
type techImpact struct {
	Tech          data.Tech `json:"tech"`
	Before        figures   `json:"before"`
	After         figures   `json:"after"`
	CarrierBefore figures   `json:"carrier_before"`
	CarrierAfter  figures   `json:"carrier_after"`
}

// communeImpact is a commune whose coverage of one technology changes.
type communeImpact struct {
	Code string `json:"code"`
	Name string `json:"name"`
	techImpact
}

// siteImpact is the impact of a site list change: the province per technology, and every
// commune whose figures change (code order, then technology). Percentages are rounded to
// 0.01, people to whole persons.
type siteImpact struct {
	Carrier  string          `json:"carrier"`
	Province []techImpact    `json:"province"`
	Communes []communeImpact `json:"communes"`
}

// siteImpactOf compares two results of the same engine for carrier.
func siteImpactOf(before, after *coverage.Result, carrier string) *siteImpact {
	out := &siteImpact{Carrier: carrier, Province: []techImpact{}, Communes: []communeImpact{}}
	for _, t := range data.AnalysedTechs {
		out.Province = append(out.Province, compareStats(t, before.Province(t), after.Province(t), carrier))
		b, a := before.CommuneStatsFor(t), after.CommuneStatsFor(t)
		for i := range min(len(b), len(a)) {
			ti := compareStats(t, b[i], a[i], carrier)
			if ti.Before != ti.After || ti.CarrierBefore != ti.CarrierAfter {
				out.Communes = append(out.Communes, communeImpact{Code: a[i].Code, Name: a[i].Name, techImpact: ti})
			}
		}
	}
	return out
}

// compareStats extracts the figures of one commune (or the province) before and after.
func compareStats(t data.Tech, b, a coverage.CommuneStats, carrier string) techImpact {
	return techImpact{
		Tech:          t,
		Before:        figures{round2(b.CoveredAreaPct), math.Round(b.CoveredPopulation)},
		After:         figures{round2(a.CoveredAreaPct), math.Round(a.CoveredPopulation)},
		CarrierBefore: carrierFigures(b, carrier),
		CarrierAfter:  carrierFigures(a, carrier),
	}
}

// carrierFigures is carrier's part of s (zero when the result has no site of it).
func carrierFigures(s coverage.CommuneStats, carrier string) figures {
	for _, pc := range s.PerCarrier {
		if pc.Carrier == carrier {
			return figures{round2(pc.CoveredAreaPct), math.Round(pc.CoveredPopulation)}
		}
	}
	return figures{}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// readSiteIDs reads the site ids of a delete upload: a CSV with a site_id column (other
// columns are ignored, so the carrier's full list works too; comma, semicolon or tab; UTF-8
// with or without BOM), or GeoJSON features with a site_id property. An id listed on several
// rows (one per sector) counts once. Sites carry only Carrier and SiteID.
func readSiteIDs(r io.Reader, format, carrier string) (parsed[data.Site], error) {
	var ids []Issue // Value = id, Line/Feature = where
	var err error
	if format == formatGeoJSON {
		ids, err = geoJSONSiteIDs(r)
	} else {
		ids, err = csvSiteIDs(r)
	}
	if err != nil {
		return parsed[data.Site]{}, err
	}
	var bad []Issue
	seen := map[string]bool{}
	out := parsed[data.Site]{items: []data.Site{}, rows: len(ids)}
	for _, id := range ids {
		switch {
		case id.Message != "":
			bad = append(bad, id)
		case !seen[id.Value]:
			seen[id.Value] = true
			out.items = append(out.items, data.Site{Carrier: carrier, SiteID: id.Value})
		}
	}
	if len(bad) > 0 {
		return parsed[data.Site]{}, &ValidationError{Issues: bad[:min(len(bad), data.MaxParseErrors)]}
	}
	if len(out.items) == 0 {
		return parsed[data.Site]{}, invalid("no site ids to delete")
	}
	return out, nil
}

// siteIDIssue checks one id: Message is empty when it is usable.
func siteIDIssue(line, feature int, id string) Issue {
	is := Issue{Line: line, Feature: feature, Field: "site_id", Value: strings.TrimSpace(id)}
	switch {
	case !utf8.ValidString(id):
		is.Message = "is not valid UTF-8"
	case is.Value == "":
		is.Message = "is empty"
	}
	return is
}

// csvSiteIDs reads the site_id column of a CSV.
func csvSiteIDs(r io.Reader) ([]Issue, error) {
	br := bufio.NewReader(r)
	if p, _ := br.Peek(3); bytes.Equal(p, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	head, _ := br.Peek(4096)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.Comma = ','
	for _, sep := range []rune{';', '\t'} {
		if bytes.Count(line, []byte(string(sep))) > bytes.Count(line, []byte(string(cr.Comma))) {
			cr.Comma = sep
		}
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ValidationError{Issues: []Issue{{Line: 1, Message: "empty input: no header row"}}}
	}
	if err != nil {
		return nil, csvReadError(err)
	}
	col := -1
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), "site_id") {
			col = i
		}
	}
	if col < 0 {
		return nil, &ValidationError{Issues: []Issue{{Line: 1, Field: "site_id", Message: "required column is missing"}}}
	}
	var out []Issue
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(err)
		}
		n, _ := cr.FieldPos(0)
		if col >= len(rec) {
			out = append(out, Issue{Line: n, Field: "site_id", Message: fmt.Sprintf("row has %d fields, the header %d", len(rec), len(header))})
			continue
		}
		out = append(out, siteIDIssue(n, 0, rec[col]))
	}
	return out, nil
}

// csvReadError turns a CSV syntax error into a ValidationError; reading errors pass.
func csvReadError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ValidationError{Issues: []Issue{{Line: pe.Line, Message: "CSV syntax: " + pe.Err.Error()}}}
	}
	return err
}

// geoJSONSiteIDs reads the site_id property of each feature of a FeatureCollection.
func geoJSONSiteIDs(r io.Reader) ([]Issue, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&fc); err != nil || fc.Type != "FeatureCollection" {
		msg := "is not a GeoJSON FeatureCollection"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, invalid("%s", msg)
	}
	out := make([]Issue, len(fc.Features))
	for i, f := range fc.Features {
		switch v := f.Properties["site_id"].(type) {
		case string:
			out[i] = siteIDIssue(0, i+1, v)
		case json.Number:
			out[i] = siteIDIssue(0, i+1, v.String())
		default:
			out[i] = Issue{Feature: i + 1, Field: "site_id", Message: "missing (want a string or a number)"}
		}
	}
	return out, nil
}

// parseUploadID reads an upload id path parameter.
func parseUploadID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badParam("id", s, "must be a positive integer (an upload id)")
	}
	return id, nil
}
