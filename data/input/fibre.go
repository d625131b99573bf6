package input

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/fibre"
)

// FibreLoadReport is the result of reading a fibre network file.
type FibreLoadReport struct {
	Network  fibre.Network
	Warnings []data.Warning // defaults applied, properties ignored …, in input order
	Features int            // features read
}

// FibreOptions say how to read a fibre network.
type FibreOptions struct {
	// Operator is the operator of every feature (an id of DefaultOperators, or "vnpt" for
	// vinaphone); "" requires an operator property on each.
	Operator string
	// Area is where positions must lie: data.AreaOf the communes served. It is required
	// (data.CheckArea).
	Area orb.Bound
	// Limits bound the features, the routes and access points (MaxFibreItems) and the bytes
	// of one feature read (zero: none).
	Limits Limits
}

// ReadFibreGeoJSON reads a fibre network as a GeoJSON FeatureCollection (WGS84 lon/lat; a third
// coordinate is ignored):
//
//   - LineString and MultiLineString features are routes, with properties route_id (or id),
//     kind (backbone, feeder or distribution; any case) and operator;
//   - Point features are access points, with properties id and ports (whole number ≥ 0,
//     0 or absent = unknown) and operator.
//
// opts.Operator names the operator of the whole file; features may then omit the operator
// property, and one that gives another operator is an error. With operator "" every feature
// needs the property. Other properties are ignored
// with a warning ("synthetic" and "note", which mark demo data, silently).
//
// Validation is all or nothing: any bad feature gives data.ParseErrors (at most
// data.MaxParseErrors, in input order) naming "feature N" (1-based; jq .features[N-1]) and the
// property or "coordinates[k]" ("coordinates[p][k]" in a MultiLineString): an unknown kind or
// operator, a position outside opts.Area or not finite, a line with fewer than 2 distinct
// points, an id refused by data.IDProblem (ids are read as written, never trimmed) or
// repeated within the operator's routes (or access points), negative or fractional ports,
// another geometry type. The input is one FeatureCollection and nothing after it; a JSON
// syntax error names its line. Defaults are warnings: a missing id gets
// "feature-N"; a MultiLineString of several lines becomes routes "<id>#1", "<id>#2" …;
// repeated consecutive points are dropped; missing ports count as unknown (one warning for
// the file).
func ReadFibreGeoJSON(r io.Reader, opts FibreOptions) (*FibreLoadReport, error) {
	if err := data.CheckArea(opts.Area); err != nil {
		return nil, err
	}
	operator := opts.Operator
	if operator != "" {
		id, ok := fibre.ResolveOperator(operator)
		if !ok {
			return nil, fmt.Errorf("%w: operator %q is not a known operator (%s)", data.ErrInvalidInput, operator, fibre.OperatorList())
		}
		operator = id
	}
	fc := readFeatureCollection(r, "fibre", opts.Limits.MaxFeatureBytes)
	b := &reader{operator: operator, area: opts.Area, ids: map[[3]string]int{}, warned: map[string]bool{}}
	lim := opts.Limits
	var limit *data.LimitError
	for n, raw := range fc.Features() {
		if limit = lim.rowLimit(n, 0, n); limit != nil || b.Full {
			break
		}
		b.feature(n, raw)
		if items := len(b.net.Routes) + len(b.net.AccessPoints); over(items, lim.MaxFibreItems) {
			limit = &data.LimitError{What: "routes and access points", Max: int64(lim.MaxFibreItems), Feature: n}
			break
		}
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	if limit != nil {
		return nil, limit
	}
	if len(b.Errs) > 0 {
		return nil, b.Errs
	}
	if b.noPorts > 0 {
		b.warns.add(data.Warning{Field: "ports", Message: fmt.Sprintf(
			"missing on %d access points (first: feature %d); capacity unknown (0)", b.noPorts, b.firstNoPorts)})
	}
	return &FibreLoadReport{Network: b.net, Warnings: b.warns.result(), Features: fc.Len()}, nil
}

// LoadFibreFile reads a fibre network file (.geojson or .json) with ReadFibreGeoJSON. Errors are
// prefixed with the path and wrap the reader's.
func LoadFibreFile(path string, opts FibreOptions) (*FibreLoadReport, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json":
	default:
		return nil, fmt.Errorf("%w: %s: unknown fibre file type (want .geojson or .json)", data.ErrInvalidInput, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fibre: %w", err)
	}
	defer f.Close()
	rep, err := ReadFibreGeoJSON(bufio.NewReader(f), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// reader accumulates one file's network, errors and warnings.
type reader struct {
	operator string
	area     orb.Bound // where positions must lie
	net      fibre.Network
	data.ErrorList
	warns        warnList
	ids          map[[3]string]int // (operator, "route"|"ap", id) → feature
	warned       map[string]bool   // warn-once keys
	noPorts      int
	firstNoPorts int
}

func (b *reader) fail(n int, field, value, msg string) {
	b.Record(&data.ParseError{Feature: n, Field: field, Value: value, Msg: msg})
}

func (b *reader) warn(n int, field, msg string) {
	b.warns.add(data.Warning{Feature: n, Field: field, Message: msg})
}

// feature reads feature n (1-based).
func (b *reader) feature(n int, raw json.RawMessage) {
	f, perr := decodeFeature(n, raw)
	if perr != nil {
		b.Record(perr)
		return
	}
	nerr := len(b.Errs)
	props := b.properties(n, f.Properties, f.Geometry.Type == "Point")
	switch f.Geometry.Type {
	case "Point":
		var pos []json.Number
		if decodeJSON(f.Geometry.Coordinates, &pos) != nil {
			b.fail(n, "coordinates", "", "are not a [lon, lat] position")
			return
		}
		p, ok := b.position(n, "coordinates", pos)
		if !ok || len(b.Errs) > nerr {
			return
		}
		b.accessPoint(n, props, p)
	case "LineString", "MultiLineString":
		var lines [][][]json.Number
		if f.Geometry.Type == "LineString" {
			var one [][]json.Number
			if decodeJSON(f.Geometry.Coordinates, &one) != nil {
				b.fail(n, "coordinates", "", "are not an array of [lon, lat] positions")
				return
			}
			lines = [][][]json.Number{one}
		} else if decodeJSON(f.Geometry.Coordinates, &lines) != nil {
			b.fail(n, "coordinates", "", "are not an array of arrays of [lon, lat] positions")
			return
		}
		if len(lines) == 0 {
			b.fail(n, "coordinates", "", "hold no line")
			return
		}
		parsed := make([]orb.LineString, len(lines))
		for p, line := range lines {
			prefix := "coordinates"
			if f.Geometry.Type == "MultiLineString" {
				prefix = fmt.Sprintf("coordinates[%d]", p)
			}
			parsed[p] = b.line(n, prefix, line)
		}
		if len(b.Errs) > nerr {
			return
		}
		b.routes(n, props, parsed)
	default:
		b.fail(n, "geometry", f.Geometry.Type, "is not LineString, MultiLineString or Point")
	}
}

// position parses one GeoJSON position and checks it (PositionProblem).
func (b *reader) position(n int, field string, pos []json.Number) (orb.Point, bool) {
	if len(pos) < 2 {
		b.fail(n, field, "", "is not a [lon, lat] position")
		return orb.Point{}, false
	}
	var p orb.Point
	for c := range 2 {
		v, err := strconv.ParseFloat(pos[c].String(), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			b.fail(n, field, pos[c].String(), "is not a number")
			return p, false
		}
		p[c] = v
	}
	if m := fibre.PositionProblem(p, b.area); m != "" {
		b.fail(n, field, pos[0].String()+","+pos[1].String(), m)
		return p, false
	}
	return p, true
}

// line parses the positions of one line (field prefix "coordinates" or "coordinates[p]"),
// drops repeated consecutive points with a warning and checks that two distinct points remain.
// Only the first bad position of a line is reported.
func (b *reader) line(n int, prefix string, pos [][]json.Number) orb.LineString {
	ls := make(orb.LineString, 0, len(pos))
	repeated := 0
	for k, q := range pos {
		p, ok := b.position(n, fmt.Sprintf("%s[%d]", prefix, k), q)
		if !ok {
			return nil
		}
		if len(ls) > 0 && ls[len(ls)-1] == p {
			repeated++
			continue
		}
		ls = append(ls, p)
	}
	switch {
	case len(ls) < 2:
		b.fail(n, prefix, "", fmt.Sprintf("has %d distinct points; a route needs at least 2", len(ls)))
		return nil
	case repeated > 0:
		b.warn(n, prefix, fmt.Sprintf("%d repeated consecutive points dropped", repeated))
	}
	return ls
}

// props are the usable properties of one feature, as text.
type props struct {
	operator, id, kind, ports string
	idField                   string // the property the id came from
	hasPorts                  bool
}

// properties reads the known properties of feature n (point: an access point), failing on
// values that are not text or numbers and warning once per file about unknown names.
func (b *reader) properties(n int, in map[string]any, point bool) props {
	var p props
	used := map[string]bool{"operator": true, "id": true, "synthetic": true, "note": true}
	if point {
		used["ports"] = true
	} else {
		used["route_id"], used["kind"] = true, true
	}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if !used[k] {
			if !b.warned["property "+k] {
				b.warned["property "+k] = true
				b.warn(n, k, "property not used")
			}
			continue
		}
		if k == "synthetic" || k == "note" {
			continue
		}
		var text string
		switch v := in[k].(type) {
		case string:
			text = v
			if k != "id" && k != "route_id" { // ids as written: IDProblem refuses padding
				text = strings.TrimSpace(v)
			}
		case json.Number:
			text = v.String()
		case nil:
			continue
		default:
			b.fail(n, k, "", "is not text or a number")
			continue
		}
		switch k {
		case "operator":
			p.operator = text
		case "kind":
			p.kind = text
		case "ports":
			p.ports, p.hasPorts = text, true
		case "id", "route_id":
			switch {
			case p.id == "" || k == p.idField:
				p.id, p.idField = text, k
			case text != p.id:
				b.fail(n, "route_id", text, fmt.Sprintf("differs from id %q; give one", p.id))
			}
		}
	}
	return p
}

// resolve returns the feature's operator: the property, or the file's operator.
func (b *reader) resolve(n int, p props) (string, bool) {
	if p.operator == "" {
		if b.operator == "" {
			b.fail(n, "operator", "", "missing (or name the operator of the whole file)")
			return "", false
		}
		return b.operator, true
	}
	id, ok := fibre.ResolveOperator(p.operator)
	switch {
	case !ok:
		b.fail(n, "operator", p.operator, "is not a known operator ("+fibre.OperatorList()+")")
		return "", false
	case b.operator != "" && id != b.operator:
		b.fail(n, "operator", p.operator, "differs from the file's operator "+b.operator)
		return "", false
	}
	return id, true
}

// claim records id for (operator, space) at feature n, failing if an earlier feature has it.
func (b *reader) claim(n int, op, space, field, id string) bool {
	key := [3]string{op, space, id}
	if first, dup := b.ids[key]; dup {
		b.fail(n, field, id, fmt.Sprintf("repeats feature %d of %s", first, op))
		return false
	}
	b.ids[key] = n
	return true
}

// checkID fails on an unusable id (data.IDProblem) or returns the default "feature-N" with a warning
// when it is missing.
func (b *reader) checkID(n int, p props, field string) (string, bool) {
	if p.id == "" {
		id := "feature-" + strconv.Itoa(n)
		b.warn(n, field, "missing; using "+id)
		return id, true
	}
	if m := data.IDProblem(p.id); m != "" {
		b.fail(n, field, p.id, m)
		return "", false
	}
	return p.id, true
}

// accessPoint adds the access point of feature n.
func (b *reader) accessPoint(n int, p props, at orb.Point) {
	op, okOp := b.resolve(n, p)
	id, okID := b.checkID(n, p, "id")
	ports, okPorts := 0, true
	if !p.hasPorts || p.ports == "" {
		b.noPorts++
		if b.noPorts == 1 {
			b.firstNoPorts = n
		}
	} else {
		v, err := strconv.ParseFloat(p.ports, 64)
		switch {
		case err != nil:
			b.fail(n, "ports", p.ports, "is not a number")
			okPorts = false
		case v < 0:
			b.fail(n, "ports", p.ports, "is negative")
			okPorts = false
		case v != math.Trunc(v) || v > fibre.MaxPorts:
			b.fail(n, "ports", p.ports, fmt.Sprintf("is not a whole number in 0..%d", fibre.MaxPorts))
			okPorts = false
		default:
			ports = int(v)
		}
	}
	if !okOp || !okID || !okPorts || !b.claim(n, op, "ap", "id", id) {
		return
	}
	b.net.AccessPoints = append(b.net.AccessPoints, fibre.AccessPoint{Operator: op, ID: id, Point: at, Ports: ports})
}

// routes adds the route(s) of feature n: one per line.
func (b *reader) routes(n int, p props, lines []orb.LineString) {
	op, okOp := b.resolve(n, p)
	id, okID := b.checkID(n, p, "route_id")
	kind, okKind := fibre.ParseKind(strings.ToLower(p.kind))
	switch {
	case p.kind == "":
		b.fail(n, "kind", "", "missing (backbone, feeder or distribution)")
	case !okKind:
		b.fail(n, "kind", p.kind, "is not backbone, feeder or distribution")
	}
	if !okOp || !okID || !okKind {
		return
	}
	if len(lines) > 1 {
		b.warn(n, "geometry", fmt.Sprintf("MultiLineString of %d lines split into routes %s#1..%s#%d", len(lines), id, id, len(lines)))
	}
	for k, ls := range lines {
		rid := id
		if len(lines) > 1 {
			rid = id + "#" + strconv.Itoa(k+1)
		}
		if b.claim(n, op, "route", "route_id", rid) {
			b.net.Routes = append(b.net.Routes, fibre.Route{Operator: op, RouteID: rid, Kind: kind, Line: ls})
		}
	}
}
