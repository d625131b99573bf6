package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/input"
	"phusong/data/persist"

	"github.com/paulmach/orb"
)

// Operators upload their fibre networks through the same pipeline as station lists: the same
// tokens (a carrier token for X writes operator X's fibre; the cable-TV operator has tokens of
// its own, carrier "tvcable"), all-or-nothing validation, dry run with impact, one version per
// upload in the database, audit trail and rollback.

// fibreKind is the upload pipeline's description of fibre networks.
var fibreKind = &listKind[fibre.Item]{kind: persist.FibreKind(), known: knownOperator, read: readFibre, prepare: prepareFibre,
	maxItems: func(lim input.Limits) (int, string) { return lim.MaxFibreItems, "routes and access points" }}

// knownOperator reports whether operator may have a fibre network (fibre.KnownOperator).
func knownOperator(_ *State, operator string) bool { return fibre.KnownOperator(operator) }

// readFibre reads an operator's fibre upload (GeoJSON only: CSV is a FormatError) with
// input.ReadFibreGeoJSON after the text sniff, positions inside area, within lim. idsOnly
// (mode delete) reads the whole file too: a feature's geometry tells a route from an access
// point. An empty file, keys over data.MaxIDBytes and the reader's errors are data.ParseErrors.
func readFibre(r io.Reader, format, operator string, area orb.Bound, _ bool, lim input.Limits) (parsed[fibre.Item], error) {
	if format != FormatGeoJSON {
		return parsed[fibre.Item]{}, &FormatError{Msg: "a fibre network is GeoJSON: send Content-Type application/geo+json"}
	}
	br := bufio.NewReader(r)
	if err := sniffText(br); err != nil {
		return parsed[fibre.Item]{}, err
	}
	rep, err := input.ReadFibreGeoJSON(br, input.FibreOptions{Operator: operator, Area: area, Limits: lim})
	if err != nil {
		return parsed[fibre.Item]{}, err
	}
	items := fibre.Items(&rep.Network)
	if len(items) == 0 {
		return parsed[fibre.Item]{}, invalid("the file holds no route or access point; to remove some, upload them with mode=delete")
	}
	var long data.ParseErrors
	for _, it := range items {
		if k := it.Key(); len(k) > data.MaxIDBytes {
			long = append(long, &data.ParseError{Field: "id", Value: k, Msg: fmt.Sprintf("is %d bytes long; ids have at most %d", len(k), data.MaxIDBytes)})
		}
	}
	if len(long) > 0 {
		return parsed[fibre.Item]{}, long
	}
	return parsed[fibre.Item]{items: items, warnings: rep.Warnings, rows: rep.Features}, nil
}

// prepareFibre computes, off to the side, the state whose network has operator's routes and
// access points replaced by next, with its reach recomputed on the engine's land (region by
// region on a state computed so).
func prepareFibre(_ context.Context, st *State, operator string, next []fibre.Item) (*State, any, error) {
	if st.Engine == nil && st.Regions == nil {
		return nil, nil, st.readOnly()
	}
	ns, err := st.withFibreOf(operator, next)
	if err != nil {
		return nil, nil, err
	}
	return ns, fibreImpactOf(st.FibreReach, ns.FibreReach, operator), nil
}

// ReachFigures are the fibre numbers an impact compares: households and people in reach
// (whole numbers) and the households' share in reach (percent, 0.01).
type ReachFigures struct {
	HouseholdsInReach float64 `json:"households_in_reach"`
	PopulationInReach float64 `json:"population_in_reach"`
	ReachPct          float64 `json:"reach_pct"`
}

// ReachChange is one commune's (or the province's) reach before and after a change: by any
// operator, and by the uploading operator alone.
type ReachChange struct {
	Before         ReachFigures `json:"before"`
	After          ReachFigures `json:"after"`
	OperatorBefore ReachFigures `json:"operator_before"`
	OperatorAfter  ReachFigures `json:"operator_after"`
}

// CommuneReachChange is a commune whose reach changes.
type CommuneReachChange struct {
	Code string `json:"code"`
	Name string `json:"name"`
	ReachChange
}

// FibreImpact is the impact of a fibre change: the province, and every commune whose figures
// change, in commune code order.
type FibreImpact struct {
	Operator string               `json:"operator"`
	DropM    float64              `json:"drop_m"`
	Province ReachChange          `json:"province"`
	Communes []CommuneReachChange `json:"communes"`
}

// fibreImpactOf compares two reaches on the same land for operator (before may be nil: no
// fibre served).
func fibreImpactOf(before, after *fibre.Reach, operator string) *FibreImpact {
	out := &FibreImpact{Operator: operator, DropM: after.DropM(), Communes: []CommuneReachChange{}}
	a := after.Communes()
	b := make([]fibre.CommuneReach, len(a))
	if before != nil {
		b = before.Communes()
	}
	out.Province = compareReach(fibre.Total(b), fibre.Total(a), operator)
	for i := range min(len(a), len(b)) {
		ch := compareReach(b[i], a[i], operator)
		if ch.Before != ch.After || ch.OperatorBefore != ch.OperatorAfter {
			out.Communes = append(out.Communes, CommuneReachChange{Code: a[i].Code, Name: a[i].Name, ReachChange: ch})
		}
	}
	return out
}

// compareReach extracts the figures of one commune (or the province) before and after.
func compareReach(b, a fibre.CommuneReach, operator string) ReachChange {
	return ReachChange{
		Before:         reachOf(b.HouseholdsInReach, b.PopulationInReach, b.ReachPct),
		After:          reachOf(a.HouseholdsInReach, a.PopulationInReach, a.ReachPct),
		OperatorBefore: operatorReach(b, operator),
		OperatorAfter:  operatorReach(a, operator),
	}
}

// operatorReach is operator's part of c (zero when c has no figures for it).
func operatorReach(c fibre.CommuneReach, operator string) ReachFigures {
	for _, o := range c.PerOperator {
		if o.Operator == operator {
			return reachOf(o.HouseholdsInReach, o.PopulationInReach, o.ReachPct)
		}
	}
	return ReachFigures{}
}

func reachOf(households, population, pct float64) ReachFigures {
	return ReachFigures{math.Round(households), math.Round(population), round2(pct)}
}
