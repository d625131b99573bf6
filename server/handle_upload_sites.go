package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/store"
)

// siteKind is the upload pipeline's description of station lists; positions must lie in the
// area of the served communes.
func (s *Server) siteKind() *listKind[data.Site] {
	read := func(r io.Reader, format, carrier string, idsOnly bool) (parsed[data.Site], error) {
		return readSites(r, format, input.SiteOptions{Carrier: carrier, Area: data.AreaOf(s.State().Communes)}, idsOnly)
	}
	return &listKind[data.Site]{kind: persist.SiteKind(), read: read, prepare: s.prepareSites}
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

// readSiteIDs reads the site ids of a delete upload (input.ReadSiteIDsCSV or
// ReadSiteIDsGeoJSON: a site_id column or property; an id listed on several rows counts
// once). Sites carry only Carrier and SiteID.
func readSiteIDs(r io.Reader, format, carrier string) (parsed[data.Site], error) {
	read := input.ReadSiteIDsCSV
	if format == formatGeoJSON {
		read = input.ReadSiteIDsGeoJSON
	}
	rep, err := read(r, carrier)
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

// parseUploadID reads an upload id path parameter.
func parseUploadID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badParam("id", s, "must be a positive integer (an upload id)")
	}
	return id, nil
}
