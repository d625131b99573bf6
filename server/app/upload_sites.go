package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/store"

	"github.com/paulmach/orb"
)

// siteKind is the upload pipeline's description of station lists.
var siteKind = &listKind[data.Site]{kind: persist.SiteKind(), known: (*State).listsCarrier, read: readSiteList, prepare: prepareSites,
	maxItems: func(lim input.Limits) (int, string) { return lim.MaxSites, "sites" }}

// readSiteList is readSites for the pipeline.
func readSiteList(r io.Reader, format, carrier string, area orb.Bound, idsOnly bool, lim input.Limits) (parsed[data.Site], error) {
	return readSites(r, format, input.SiteOptions{Carrier: carrier, Area: area, Limits: lim}, idsOnly)
}

// listsCarrier reports whether st lists carrier: one of st.Carriers, or a carrier with sites.
func (st *State) listsCarrier(carrier string) bool {
	return slices.ContainsFunc(st.Carriers, func(c data.Carrier) bool { return c.ID == carrier }) ||
		len(st.Snapshot.Sites(store.Filter{Carrier: carrier})) > 0
}

// prepareSites is WithSites with the change's impact for carrier.
func prepareSites(ctx context.Context, st *State, carrier string, next []data.Site) (*State, any, error) {
	ns, err := st.WithSites(ctx, carrier, next)
	if err != nil {
		return nil, nil, err
	}
	return ns, siteImpactOf(st.Coverage, ns.Coverage, carrier), nil
}

// maxCSVLineBytes bounds a line of an uploaded CSV: a station row is ~150 bytes; a longer line
// is a broken file.
const maxCSVLineBytes = 64 << 10

// readSites reads a station list upload in format with opts (the carrier, the area positions
// must lie in); with idsOnly (mode delete) only the site ids are read (readSiteIDs). Before the
// reader, the start of the body is checked to be text (not UTF-16, not binary) and CSV lines
// are bounded; after it, a list must hold at least one site (an empty replace would wipe the
// carrier: deleting is mode delete). The reader stops at opts.Limits (a *data.LimitError) and
// keeps input.MaxWarnings warnings. Refused content is a data.ParseErrors.
func readSites(r io.Reader, format string, opts input.SiteOptions, idsOnly bool) (parsed[data.Site], error) {
	br := bufio.NewReader(r)
	if err := sniffText(br); err != nil {
		return parsed[data.Site]{}, err
	}
	r = br
	if format == FormatCSV {
		r = &lineBound{r: br, max: maxCSVLineBytes, line: 1}
	}
	if idsOnly {
		return readSiteIDs(r, format, opts.Carrier, opts.Limits)
	}
	read := input.ReadSitesCSV
	if format == FormatGeoJSON {
		read = input.ReadSitesGeoJSON
	}
	rep, err := read(r, opts)
	if err != nil {
		return parsed[data.Site]{}, err
	}
	if len(rep.Sites) == 0 {
		return parsed[data.Site]{}, invalid("the file holds no site (only a header?); to remove sites, upload their ids with mode=delete")
	}
	return parsed[data.Site]{items: rep.Sites, warnings: rep.Warnings, rows: rep.Rows}, nil
}

// invalid is a refusal about the whole input.
func invalid(format string, args ...any) data.ParseErrors {
	return data.ParseErrors{{Msg: fmt.Sprintf(format, args...)}}
}

// sniffText refuses a body that is not UTF-8 text, judging by its first 512 bytes: a UTF-16
// or UTF-32 byte-order mark, or NUL bytes (UTF-16 without a mark, or a binary file). Reading
// errors (413 …) are returned as they are.
func sniffText(br *bufio.Reader) error {
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return data.ParseErrors{{Line: 1, Msg: "the file is UTF-16 (byte-order mark " +
			fmt.Sprintf("% X", head[:2]) + "); save it as UTF-8 (CSV UTF-8 in spreadsheet programs)"}}
	case bytes.IndexByte(head, 0) >= 0:
		return data.ParseErrors{{Line: 1, Msg: "the file holds NUL bytes: it is UTF-16 without a byte-order mark, " +
			"or not text at all; save it as UTF-8 CSV or GeoJSON"}}
	}
	return nil
}

// lineBound passes a CSV body on and fails, at the first line longer than max bytes, with a
// data.ParseErrors naming that line (lines counted as the CSV reader counts them, by '\n').
type lineBound struct {
	r    io.Reader
	max  int
	line int // current line, 1-based
	run  int // bytes of the current line so far
}

func (l *lineBound) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.line++
			l.run = 0
			continue
		}
		if l.run++; l.run > l.max {
			return i, data.ParseErrors{{Line: l.line,
				Msg: fmt.Sprintf("line is longer than %d bytes (a huge field, or not a CSV file)", l.max)}}
		}
	}
	return n, err
}

// Figures are the coverage numbers an impact compares. People are those the state's
// population grid places (or the census spread uniformly over each commune's land).
type Figures struct {
	CoveredAreaPct      float64 `json:"covered_area_pct"`
	CoveredPopulation   float64 `json:"covered_population"`
	UncoveredPopulation float64 `json:"uncovered_population"`
}

// PocketFigures count the dead-zone pockets of at least pocket.DefaultMinPeople people and
// the people in them.
type PocketFigures struct {
	Pockets int     `json:"pockets"`
	People  float64 `json:"people"`
}

// TechImpact is one technology's coverage before and after a change: by any carrier, and by
// the uploading carrier alone; for the province, the pockets too.
type TechImpact struct {
	Tech          data.Tech      `json:"tech"`
	Before        Figures        `json:"before"`
	After         Figures        `json:"after"`
	CarrierBefore Figures        `json:"carrier_before"`
	CarrierAfter  Figures        `json:"carrier_after"`
	PocketsBefore *PocketFigures `json:"pockets_before,omitempty"`
	PocketsAfter  *PocketFigures `json:"pockets_after,omitempty"`
}

// CommuneImpact is a commune whose coverage of one technology changes.
type CommuneImpact struct {
	Code string `json:"code"`
	Name string `json:"name"`
	TechImpact
}

// SiteImpact is the impact of a site list change: the province per technology (with its
// dead-zone pockets), and every commune whose figures change (code order, then technology).
// Percentages are rounded to 0.01, people to whole persons; PopulationSpread says where the
// people come from.
type SiteImpact struct {
	Carrier          string          `json:"carrier"`
	PopulationSpread string          `json:"population_spread"`
	Province         []TechImpact    `json:"province"`
	Communes         []CommuneImpact `json:"communes"`
}

// siteImpactOf compares two results of the same engine for carrier.
func siteImpactOf(before, after *coverage.Result, carrier string) *SiteImpact {
	out := &SiteImpact{Carrier: carrier, Province: []TechImpact{}, Communes: []CommuneImpact{}}
	for _, t := range data.AnalysedTechs {
		ti := compareStats(t, before.Province(t), after.Province(t), carrier)
		out.PopulationSpread = after.Province(t).PopulationSpread
		ti.PocketsBefore, ti.PocketsAfter = pocketFigures(before, t), pocketFigures(after, t)
		out.Province = append(out.Province, ti)
		b, a := before.CommuneStatsFor(t), after.CommuneStatsFor(t)
		for i := range min(len(b), len(a)) {
			ti := compareStats(t, b[i], a[i], carrier)
			if ti.Before != ti.After || ti.CarrierBefore != ti.CarrierAfter {
				out.Communes = append(out.Communes, CommuneImpact{Code: a[i].Code, Name: a[i].Name, TechImpact: ti})
			}
		}
	}
	return out
}

// compareStats extracts the figures of one commune (or the province) before and after.
func compareStats(t data.Tech, b, a coverage.CommuneStats, carrier string) TechImpact {
	return TechImpact{
		Tech:          t,
		Before:        Figures{round2(b.CoveredAreaPct), math.Round(b.CoveredPopulation), math.Round(b.UncoveredPopulation)},
		After:         Figures{round2(a.CoveredAreaPct), math.Round(a.CoveredPopulation), math.Round(a.UncoveredPopulation)},
		CarrierBefore: carrierFigures(b, carrier),
		CarrierAfter:  carrierFigures(a, carrier),
	}
}

// carrierFigures is carrier's part of s (zero when the result has no site of it).
func carrierFigures(s coverage.CommuneStats, carrier string) Figures {
	for _, pc := range s.PerCarrier {
		if pc.Carrier == carrier {
			return Figures{round2(pc.CoveredAreaPct), math.Round(pc.CoveredPopulation), math.Round(s.GridPopulation - pc.CoveredPopulation)}
		}
	}
	return Figures{UncoveredPopulation: math.Round(s.GridPopulation)}
}

// pocketFigures counts r's pockets of tech with at least pocket.DefaultMinPeople people (nil
// for a technology r does not analyse).
func pocketFigures(r *coverage.Result, tech data.Tech) *PocketFigures {
	l, err := pocket.Find(r, tech, pocket.Options{MinPeople: pocket.DefaultMinPeople})
	if err != nil {
		return nil
	}
	return &PocketFigures{Pockets: l.Kept, People: math.Round(l.KeptPeople)}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// readSiteIDs reads the site ids of a delete upload (input.ReadSiteIDsCSV or
// ReadSiteIDsGeoJSON: a site_id column or property; an id listed on several rows counts
// once). Sites carry only Carrier and SiteID.
func readSiteIDs(r io.Reader, format, carrier string, lim input.Limits) (parsed[data.Site], error) {
	read := input.ReadSiteIDsCSV
	if format == FormatGeoJSON {
		read = input.ReadSiteIDsGeoJSON
	}
	rep, err := read(r, carrier, lim)
	if err != nil {
		return parsed[data.Site]{}, err
	}
	if len(rep.Keys) == 0 {
		return parsed[data.Site]{}, invalid("no site ids to delete")
	}
	out := parsed[data.Site]{items: make([]data.Site, len(rep.Keys)), rows: rep.Rows}
	for i, k := range rep.Keys {
		out.items[i] = data.Site{Carrier: k.Carrier, SiteID: k.SiteID}
	}
	return out, nil
}
