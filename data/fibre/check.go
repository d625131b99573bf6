package fibre

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"phusong/data"
)

// MaxPorts is the largest access point capacity accepted, in ports (a street cabinet holds a
// few hundred; a central office a few thousand).
const MaxPorts = 100_000

// operatorAliases maps other names of an operator, as files may spell them, to its id.
var operatorAliases = map[string]string{"vnpt": "vinaphone"}

// ResolveOperator returns the operator id named by s (an id of DefaultOperators or an alias
// such as "vnpt", any case, spaces trimmed).
func ResolveOperator(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if id, ok := operatorAliases[s]; ok {
		return id, true
	}
	return s, KnownOperator(s)
}

// OperatorList is "viettel, vinaphone, …, tvcable" for error messages.
func OperatorList() string {
	ids := make([]string, 0, 7)
	for _, o := range DefaultOperators() {
		ids = append(ids, o.ID)
	}
	return strings.Join(ids, ", ")
}

// PositionProblem describes why p is not a usable position ("" when it is): a non-finite
// coordinate, or a position outside area (data.CheckPosition: edges included, with a hint
// when lon and lat look swapped or the longitude carries a stray minus sign).
func PositionProblem(p orb.Point, area orb.Bound) string {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "is not a pair of finite numbers"
		}
	}
	errs := data.CheckPosition(p[0], p[1], area)
	switch {
	case len(errs) == 0:
		return ""
	case errs[0].Field == "lon/lat":
		return errs[0].Msg + " (GeoJSON is [lon, lat])"
	}
	return errs[0].Msg
}

// pointText is "lon,lat" for error values.
func pointText(p orb.Point) string { return data.FormatNum(p[0]) + "," + data.FormatNum(p[1]) }

// LineProblem checks a route's polyline: every position usable in area (PositionProblem) and
// at least two distinct points. It returns the index of the first bad position (−1 for a
// problem of the whole line) and the problem, or "" when the line is fine.
func LineProblem(ls orb.LineString, area orb.Bound) (at int, msg string) {
	distinct := 0
	for k, p := range ls {
		if m := PositionProblem(p, area); m != "" {
			return k, m
		}
		if k == 0 || p != ls[k-1] {
			distinct++
		}
	}
	if distinct < 2 {
		return -1, fmt.Sprintf("has %d distinct points; a route needs at least 2", distinct)
	}
	return -1, ""
}

// Check validates n: every route and access point of a known operator (DefaultOperators),
// with a usable id (data.IDProblem: non-empty UTF-8 without surrounding spaces or control
// characters) unique among the operator's routes (route ids) or access points (ids), a known
// kind, positions inside area (data.AreaOf the communes; data.WholeEarth to check values
// alone), lines with at least two distinct points and ports in [0, MaxPorts]. It returns
// data.ParseErrors whose Field names the item ("routes[3].kind", "access_points[0].ports";
// Line and Feature 0), or nil.
func Check(n *Network, area orb.Bound) error {
	var errs data.ParseErrors
	add := func(field, value, msg string) {
		if len(errs) < data.MaxParseErrors {
			errs = append(errs, &data.ParseError{Field: field, Value: value, Msg: msg})
		}
	}
	checkItems(n.Routes, "routes", "route_id", func(r *Route) (string, string) { return r.Operator, r.RouteID },
		func(r *Route) []problem { return routeProblems(r, area) }, add)
	checkItems(n.AccessPoints, "access_points", "id", func(a *AccessPoint) (string, string) { return a.Operator, a.ID },
		func(a *AccessPoint) []problem { return accessPointProblems(a, area) }, add)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkItems reports the problems of every item (fields "<list>[i].<field>") and ids repeated
// within an operator.
func checkItems[T any](items []T, list, idField string, key func(*T) (op, id string), problems func(*T) []problem, add func(field, value, msg string)) {
	seen := map[[2]string]int{}
	for i := range items {
		f := func(name string) string { return fmt.Sprintf("%s[%d].%s", list, i, name) }
		for _, p := range problems(&items[i]) {
			add(f(p.field), p.value, p.msg)
		}
		op, id := key(&items[i])
		if j, dup := seen[[2]string{op, id}]; dup && id != "" {
			add(f(idField), id, fmt.Sprintf("repeats %s[%d] of %s", list, j, op))
		} else {
			seen[[2]string{op, id}] = i
		}
	}
}

// problem is one bad field of an item.
type problem struct{ field, value, msg string }

// routeProblems lists what is wrong with r on its own (not uniqueness), positions in area.
func routeProblems(r *Route, area orb.Bound) []problem {
	var ps []problem
	if !KnownOperator(r.Operator) {
		ps = append(ps, problem{"operator", r.Operator, "is not a known operator (" + OperatorList() + ")"})
	}
	if m := data.IDProblem(r.RouteID); m != "" {
		ps = append(ps, problem{"route_id", r.RouteID, m})
	}
	if _, ok := ParseKind(string(r.Kind)); !ok {
		ps = append(ps, problem{"kind", string(r.Kind), "is not backbone, feeder or distribution"})
	}
	if k, m := LineProblem(r.Line, area); m != "" {
		if k >= 0 {
			ps = append(ps, problem{fmt.Sprintf("line[%d]", k), pointText(r.Line[k]), m})
		} else {
			ps = append(ps, problem{"line", "", m})
		}
	}
	return ps
}

// accessPointProblems lists what is wrong with a on its own (not uniqueness), its point in area.
func accessPointProblems(a *AccessPoint, area orb.Bound) []problem {
	var ps []problem
	if !KnownOperator(a.Operator) {
		ps = append(ps, problem{"operator", a.Operator, "is not a known operator (" + OperatorList() + ")"})
	}
	if m := data.IDProblem(a.ID); m != "" {
		ps = append(ps, problem{"id", a.ID, m})
	}
	if m := PositionProblem(a.Point, area); m != "" {
		ps = append(ps, problem{"point", pointText(a.Point), m})
	}
	if a.Ports < 0 || a.Ports > MaxPorts {
		ps = append(ps, problem{"ports", strconv.Itoa(a.Ports), fmt.Sprintf("is outside 0..%d (0 = unknown)", MaxPorts)})
	}
	return ps
}
