// Package fibre models fixed broadband networks (fibre routes and access points of telecom
// carriers and cable-TV operators) and computes where households are within reach of them.
//
// Geometry is WGS84 lon/lat at the edges (orb.Point{lon, lat}); reach is computed in the
// coverage engine's metric frame, on its grid, with its commune assignment (see Land), so fibre
// reach and mobile coverage count the same land cells and spread people the same way.
//
// Reach: land within Options.DropM metres (default DefaultDropM) of a distribution route or of
// an access point is in reach of the route's operator. Backbones alone give no reach (a long-haul
// cable has no splitters to drop from); feeders give none either unless Options.FeederReach is
// set: a feeder carries fibres from a backbone to a commune's cabinet, and drops are spliced
// from the distribution network or a cabinet (an access point), which the operator draws
// separately. A cell is in reach when its centre is within DropM of an element (distance ≤
// DropM); Reach.Polygons gives the reach area at full detail in the metric frame, clipped to the
// province, and data/render its GeoJSON.
package fibre

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"

	"phusong/data"
)

// Kind is the role of a fibre route.
type Kind string

// Route kinds, from long-haul to last mile.
const (
	Backbone     Kind = "backbone"     // long-haul trunk between towns; gives no reach
	Feeder       Kind = "feeder"       // from a backbone to a commune's cabinet; no reach by default
	Distribution Kind = "distribution" // street and village cable that households are dropped from
)

// Kinds lists the route kinds in their canonical order.
var Kinds = []Kind{Backbone, Feeder, Distribution}

// ParseKind returns the kind named s (exact, lower case) and whether it is one.
func ParseKind(s string) (Kind, bool) {
	k := Kind(s)
	return k, slices.Contains(Kinds, k)
}

// Route is one fibre cable of an operator: a polyline of at least two distinct points in
// WGS84 lon/lat. RouteID is unique among the operator's routes.
type Route struct {
	Operator string         `json:"operator"`
	RouteID  string         `json:"route_id"`
	Kind     Kind           `json:"kind"`
	Line     orb.LineString `json:"line"` // lon/lat
}

// AccessPoint is a cabinet or splitter households can be connected from. ID is unique among
// the operator's access points (routes and access points have separate id spaces). Ports is
// its capacity in subscriber ports, 0 when unknown.
type AccessPoint struct {
	Operator string    `json:"operator"`
	ID       string    `json:"id"`
	Point    orb.Point `json:"point"` // lon/lat
	Ports    int       `json:"ports"`
}

// Network is the fibre of one or more operators.
type Network struct {
	Routes       []Route       `json:"routes"`
	AccessPoints []AccessPoint `json:"access_points"`
}

// Operators returns the distinct operators of n's routes and access points, in
// DefaultOperators order, then unknown ids in lexical order.
func (n *Network) Operators() []string {
	ids := make([]string, 0, len(n.Routes)+len(n.AccessPoints))
	for _, r := range n.Routes {
		ids = append(ids, r.Operator)
	}
	for _, a := range n.AccessPoints {
		ids = append(ids, a.Operator)
	}
	slices.SortFunc(ids, compareOperators)
	return slices.Compact(ids)
}

// operatorRank is each default operator's position in DefaultOperators.
var operatorRank = func() map[string]int {
	m := map[string]int{}
	for i, o := range DefaultOperators() {
		m[o.ID] = i
	}
	return m
}()

// compareOperators orders operator ids as DefaultOperators does, unknown ids after them in
// lexical order.
func compareOperators(a, b string) int {
	rank := func(id string) int {
		if r, ok := operatorRank[id]; ok {
			return r
		}
		return len(operatorRank)
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
}

// Of returns the part of n that belongs to operator (all of n for AnyOperator). The slices
// are fresh; the geometries are shared.
func (n *Network) Of(operator string) *Network {
	out := &Network{Routes: []Route{}, AccessPoints: []AccessPoint{}}
	for _, r := range n.Routes {
		if operator == AnyOperator || r.Operator == operator {
			out.Routes = append(out.Routes, r)
		}
	}
	for _, a := range n.AccessPoints {
		if operator == AnyOperator || a.Operator == operator {
			out.AccessPoints = append(out.AccessPoints, a)
		}
	}
	return out
}

// InBound returns the routes whose bound meets b and the access points inside b (lon/lat,
// edges included), e.g. for a map request's bbox. The slices are fresh.
func (n *Network) InBound(b orb.Bound) *Network {
	out := &Network{Routes: []Route{}, AccessPoints: []AccessPoint{}}
	for _, r := range n.Routes {
		if r.Line.Bound().Intersects(b) {
			out.Routes = append(out.Routes, r)
		}
	}
	for _, a := range n.AccessPoints {
		if b.Contains(a.Point) {
			out.AccessPoints = append(out.AccessPoints, a)
		}
	}
	return out
}

// Sort orders routes by (operator, route id) and access points by (operator, id), operators
// in lexical order: the canonical order WriteGeoJSON keeps.
func (n *Network) Sort() {
	slices.SortStableFunc(n.Routes, func(a, b Route) int {
		return cmp.Or(cmp.Compare(a.Operator, b.Operator), cmp.Compare(a.RouteID, b.RouteID))
	})
	slices.SortStableFunc(n.AccessPoints, func(a, b AccessPoint) int {
		return cmp.Or(cmp.Compare(a.Operator, b.Operator), cmp.Compare(a.ID, b.ID))
	})
}

// AnyOperator names the union of all operators in reach queries and layers.
const AnyOperator = "any"

// TVCable is the id of the cable-TV operator of DefaultOperators.
const TVCable = "tvcable"

// DefaultOperators returns the operators phusong knows for fibre: the six mobile carriers
// (data.DefaultCarriers, same ids; VinaPhone's fibre is VNPT's) and one cable-TV operator.
// The cable-TV operator is a synthetic placeholder (id "tvcable", name "Truyền hình cáp (cable
// TV)"): the seed names a cable-TV operator among the province's fixed providers but not which;
// it has no MNC.
func DefaultOperators() []data.Carrier {
	ops := data.DefaultCarriers()
	for i := range ops {
		if ops[i].ID == "vinaphone" {
			ops[i].Name = "VinaPhone (VNPT)"
		}
	}
	return append(ops, data.Carrier{ID: TVCable, Name: "Truyền hình cáp (cable TV)", Colour: "#e7298a"})
}

// KnownOperator reports whether id is one of DefaultOperators' ids.
func KnownOperator(id string) bool {
	return slices.ContainsFunc(DefaultOperators(), func(c data.Carrier) bool { return c.ID == id })
}
