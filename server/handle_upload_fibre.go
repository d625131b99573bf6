package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/input"
	"phusong/data/persist"
)

// Operators upload their fibre networks through the same pipeline as station lists: the same
// tokens (a carrier token for X writes operator X's fibre; the cable-TV operator has tokens of
// its own, carrier "tvcable"), limits, all-or-nothing validation, dry run with impact, one
// version per upload in the database, audit trail and rollback.

// fibreKind is the upload pipeline's description of fibre networks.
func (s *Server) fibreKind() *listKind[fibre.Item] {
	read := func(r io.Reader, format, operator string, idsOnly bool) (parsed[fibre.Item], error) {
		return readFibre(r, format, input.FibreOptions{Operator: operator, Area: data.AreaOf(s.State().Communes)}, idsOnly)
	}
	return &listKind[fibre.Item]{kind: persist.FibreKind(), read: read, prepare: s.prepareFibre}
}

// handleUploadFibre is POST /api/v1/operators/{operator}/fibre?mode=&dry_run=: an operator's
// routes and access points as GeoJSON (optionally gzip), validated all-or-nothing (422 naming
// the feature and property), previewed (dry run: the per-commune reach before → after) or
// committed as a new version and served at once. mode=delete removes the file's routes and
// access points (matched by route_id and id; the file is validated as a whole).
func (s *Server) handleUploadFibre(c *gin.Context, _ *view) error {
	return handleListUpload[fibre.Item](c, s, persist.FibreKind().Name, "operator", fibre.KnownOperator)
}

// readFibre reads an operator's fibre upload (GeoJSON only: CSV is 415) with
// input.ReadFibreGeoJSON after the text sniff. idsOnly (mode delete) reads the whole file too:
// a feature's geometry tells a route from an access point. An empty file, keys over
// data.MaxIDBytes and the loader's errors are *ValidationErrors; warnings are capped at
// maxWarnings.
func readFibre(r io.Reader, format string, opts input.FibreOptions, _ bool) (parsed[fibre.Item], error) {
	if format != formatGeoJSON {
		return parsed[fibre.Item]{}, unsupportedMedia("a fibre network is GeoJSON: send Content-Type application/geo+json")
	}
	br := bufio.NewReader(r)
	if err := sniffText(br); err != nil {
		return parsed[fibre.Item]{}, err
	}
	rep, err := input.ReadFibreGeoJSON(br, opts)
	if err != nil {
		return parsed[fibre.Item]{}, loaderError(err)
	}
	items := fibre.Items(&rep.Network)
	if len(items) == 0 {
		return parsed[fibre.Item]{}, invalid("the file holds no route or access point; to remove some, upload them with mode=delete")
	}
	var long []Issue
	for _, it := range items {
		if k := it.Key(); len(k) > data.MaxIDBytes {
			long = append(long, Issue{Field: "id", Value: k, Message: fmt.Sprintf("is %d bytes long; ids have at most %d", len(k), data.MaxIDBytes)})
		}
	}
	if len(long) > 0 {
		return parsed[fibre.Item]{}, &ValidationError{Issues: issuesOf(parseErrors(long))}
	}
	ws := rep.Warnings
	if n := len(ws); n > maxWarnings {
		ws = append(ws[:maxWarnings-1], data.Warning{Message: fmt.Sprintf("… and %d more warnings", n-maxWarnings+1)})
	}
	return parsed[fibre.Item]{items: items, warnings: ws, rows: rep.Features}, nil
}

// prepareFibre builds, off to the side, the state whose network has operator's routes and
// access points replaced by next, with its reach recomputed on the engine's land. Nothing is
// visible until publish.
func (s *Server) prepareFibre(_ context.Context, operator string, next []fibre.Item) (any, func() error, error) {
	st := s.State()
	if st.Engine == nil {
		return nil, nil, &statusError{status: http.StatusServiceUnavailable, msg: "the served data is read-only (no engine)"}
	}
	cur := st.Fibre
	if cur == nil {
		cur = &fibre.Network{}
	}
	net, r, err := fibreReach(st.Engine, cur.Replace(operator, fibre.FromItems(next)), st.FibreOptions)
	var pes data.ParseErrors
	if errors.As(err, &pes) { // fibre.Check: validation should have caught it
		return nil, nil, &ValidationError{Issues: issuesOf(pes)}
	}
	if err != nil {
		return nil, nil, err
	}
	ns := *st
	ns.Fibre, ns.FibreReach = net, r
	return fibreImpactOf(st.FibreReach, r, operator), func() error { return s.SetState(&ns) }, nil
}

// reachFigures are the fibre numbers an impact compares: households and people in reach
// (whole numbers) and the households' share in reach (percent, 0.01).
type reachFigures struct {
	HouseholdsInReach float64 `json:"households_in_reach"`
	PopulationInReach float64 `json:"population_in_reach"`
	ReachPct          float64 `json:"reach_pct"`
}

// reachChange is one commune's (or the province's) reach before and after a change: by any
// operator, and by the uploading operator alone.
type reachChange struct {
	Before         reachFigures `json:"before"`
	After          reachFigures `json:"after"`
	OperatorBefore reachFigures `json:"operator_before"`
	OperatorAfter  reachFigures `json:"operator_after"`
}

// communeReachChange is a commune whose reach changes.
type communeReachChange struct {
	Code string `json:"code"`
	Name string `json:"name"`
	reachChange
}

// fibreImpact is the impact of a fibre change: the province, and every commune whose figures
// change, in commune code order.
type fibreImpact struct {
	Operator string               `json:"operator"`
	DropM    float64              `json:"drop_m"`
	Province reachChange          `json:"province"`
	Communes []communeReachChange `json:"communes"`
}

// fibreImpactOf compares two reaches on the same land for operator (before may be nil: no
// fibre served).
func fibreImpactOf(before, after *fibre.Reach, operator string) *fibreImpact {
	out := &fibreImpact{Operator: operator, DropM: after.DropM(), Communes: []communeReachChange{}}
	a := after.Communes()
	b := make([]fibre.CommuneReach, len(a))
	if before != nil {
		b = before.Communes()
	}
	out.Province = compareReach(fibre.Total(b), fibre.Total(a), operator)
	for i := range min(len(a), len(b)) {
		ch := compareReach(b[i], a[i], operator)
		if ch.Before != ch.After || ch.OperatorBefore != ch.OperatorAfter {
			out.Communes = append(out.Communes, communeReachChange{Code: a[i].Code, Name: a[i].Name, reachChange: ch})
		}
	}
	return out
}

// compareReach extracts the figures of one commune (or the province) before and after.
func compareReach(b, a fibre.CommuneReach, operator string) reachChange {
	return reachChange{
		Before:         reachOf(b.HouseholdsInReach, b.PopulationInReach, b.ReachPct),
		After:          reachOf(a.HouseholdsInReach, a.PopulationInReach, a.ReachPct),
		OperatorBefore: operatorReach(b, operator),
		OperatorAfter:  operatorReach(a, operator),
	}
}

// operatorReach is operator's part of c (zero when c has no figures for it).
func operatorReach(c fibre.CommuneReach, operator string) reachFigures {
	for _, o := range c.PerOperator {
		if o.Operator == operator {
			return reachOf(o.HouseholdsInReach, o.PopulationInReach, o.ReachPct)
		}
	}
	return reachFigures{}
}

func reachOf(households, population, pct float64) reachFigures {
	return reachFigures{math.Round(households), math.Round(population), round2(pct)}
}
