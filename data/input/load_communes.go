package input

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"
	"golang.org/x/text/unicode/norm"

	"phusong/data"
	"phusong/data/land"
	"phusong/geo"
)

// PersonsPerHousehold is the household size used to estimate a commune's households when the
// input gives only its population.
const PersonsPerHousehold = 3.6

// Commune property names accepted, in order of preference (the first present wins).
var (
	communeCodeProps       = []string{"code", "ma", "id", "gid", "commune_id"}
	communeNameProps       = []string{"name", "ten", "commune_vn", "name_vi"}
	communeNameENProps     = []string{"name_en", "commune"}
	communeTypeProps       = []string{"type", "loai"}
	communePopulationProps = []string{"population_2019", "population", "dan_so"}
	communeHouseholdsProps = []string{"households_2019", "households", "ho"}
	communeProvinceProps   = []string{"province", "tinh", "province_name", "ten_tinh", "province_code", "ma_tinh"}
)

// communeTypes maps type values, lower-cased and with diacritics and separators removed, to
// commune types.
var communeTypes = map[string]data.CommuneType{
	"phuong": data.TypeWard, "ward": data.TypeWard, "p": data.TypeWard,
	"xa": data.TypeCommune, "commune": data.TypeCommune, "x": data.TypeCommune,
	"thitran": data.TypeCommune, "tt": data.TypeCommune, "township": data.TypeCommune,
}

// TilingLatticeM is the spacing in metres of the sample lattice on which ReadCommunesGeoJSON
// measures overlaps and gaps between communes.
const TilingLatticeM = 100.0

// maxTilingCells caps the measuring lattice; a larger extent gets a coarser lattice.
const maxTilingCells = 4_000_000

// CommuneLoadReport is the result of reading commune boundaries.
//
// OverlapAreaM2 is the area claimed by two or more communes and GapAreaM2 the area enclosed by
// the communes but claimed by none, both estimated on a TilingLatticeM lattice (see
// ReadCommunesGeoJSON); a valid tiling has both near 0.
type CommuneLoadReport struct {
	Communes      []data.Commune
	Warnings      []data.Warning
	OverlapAreaM2 float64
	GapAreaM2     float64
	// Note is the collection's top-level "phusong_note" member, "" without one: the mark a
	// generator puts on synthetic or schematic data (demo-data --national), to repeat wherever
	// a user could mistake the figures for real ones.
	Note string
}

// ReadCommunesGeoJSON reads administrative units from a GeoJSON FeatureCollection of Polygon
// or MultiPolygon features (WGS84 lon/lat), one commune each, keeping the input order and the
// coordinates as given (ring orientation is not changed).
//
// Properties (first name present wins; strings or numbers):
//
//	code        code, ma, id, gid, commune_id     required, unique
//	name        name, ten, commune_vn, name_vi    missing → the code (warning)
//	name_en     name_en, commune                  missing → name without diacritics (no warning)
//	type        type, loai: phuong/ward/p → ward; xa/commune/thi_tran/tt → commune; missing →
//	            ward if the name starts with "Phường", else commune (warning)
//	population  population_2019, population, dan_so       whole number ≥ 0; missing → 0 (warning)
//	households  households_2019, households, ho           missing → round(population / 3.6) (warning)
//	province    province, tinh, province_name, ten_tinh, province_code, ma_tinh   optional: a
//	            national file names each commune's province (a name or a code, kept as given)
//
// Geometry: every ring needs at least 4 positions with finite lon in [-180, 180] and lat in
// [-90, 90]; an unclosed ring is closed (warning). Errors (all-or-nothing, as ParseErrors)
// name "feature N" (1-based) and the property. The input is one FeatureCollection and nothing
// after it; a JSON syntax error names its line.
//
// Overlaps and gaps: the communes are sampled at the centres of a TilingLatticeM lattice laid in
// an equirectangular approximation (degree steps from geo.MetresPerDegree at the mid latitude of
// the communes' bound; each row's cell area from the ellipsoid's scales at its own latitude:
// under 0.5 % area error across Trà Vinh). A lattice point inside two or more communes counts
// once towards OverlapAreaM2; a point inside none that cannot reach the lattice border through
// other such points (4-neighbour flood fill) counts towards GapAreaM2. Inside-ness is land.Scan's
// (the coverage engine's rasteriser): even-odd over each polygon's rings, a commune holding the
// union of its polygons, points on a left or lower edge in, on a right or upper edge out, so a
// shared edge counts once. Slivers narrower than the lattice are found in proportion to their
// area, so the estimate is unbiased but noisy for small totals (±1 cell, 0.01 km²). Each total
// above zero gives a warning naming the worst overlapping pairs or the largest gaps; a later
// coverage engine assigns every grid cell to exactly one commune, so overlapping area is never
// counted twice. Extents over 4 million lattice cells use a proportionally coarser lattice.
func ReadCommunesGeoJSON(r io.Reader) (*CommuneLoadReport, error) {
	fc := readFeatureCollection(r, "commune", 0)
	cb := &communeBuilder{codes: map[string]int{}}
	for n, raw := range fc.Features() {
		if cb.Full {
			break
		}
		cb.feature(n, raw)
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	if len(cb.Errs) > 0 {
		return nil, cb.Errs
	}
	rep := &CommuneLoadReport{Communes: cb.communes, Warnings: cb.warns, Note: fc.note}
	t := measureTiling(cb.communes)
	rep.OverlapAreaM2, rep.GapAreaM2 = t.overlapM2, t.gapM2
	rep.Warnings = append(rep.Warnings, t.warnings(cb.communes)...)
	return rep, nil
}

// LoadCommunesFile reads commune boundaries from a GeoJSON file (see ReadCommunesGeoJSON).
// Errors are prefixed with the path.
func LoadCommunesFile(path string) (*CommuneLoadReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	rep, err := ReadCommunesGeoJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// communeBuilder collects communes, errors and warnings feature by feature.
type communeBuilder struct {
	communes []data.Commune
	codes    map[string]int // code → feature
	data.ErrorList
	warns []data.Warning
}

func (cb *communeBuilder) fail(n int, field, value, msg string) {
	cb.Record(&data.ParseError{Feature: n, Field: field, Value: value, Msg: msg})
}

func (cb *communeBuilder) warn(n int, field, msg string) {
	cb.warns = append(cb.warns, data.Warning{Feature: n, Field: field, Message: msg})
}

// prop returns the first of names present in props as text, the name found, and false when
// the value is neither a string, a number nor null (error recorded).
func (cb *communeBuilder) prop(n int, props map[string]any, names []string) (text, name string, ok bool) {
	for _, k := range names {
		v, present := props[k]
		if !present {
			continue
		}
		switch v := v.(type) {
		case string:
			return strings.TrimSpace(v), k, true
		case json.Number:
			return v.String(), k, true
		case nil:
			return "", k, true
		}
		cb.fail(n, k, "", "is not a number or text")
		return "", k, false
	}
	return "", names[0], true
}

// feature reads feature n (1-based) into a commune.
func (cb *communeBuilder) feature(n int, raw json.RawMessage) {
	f, perr := decodeFeature(n, raw)
	if perr != nil {
		cb.fail(n, perr.Field, perr.Value, perr.Msg)
		return
	}
	nErr := len(cb.Errs)
	var c data.Commune
	c.Geometry = cb.geometry(n, f.Geometry.Type, f.Geometry.Coordinates)
	p := f.Properties
	code, codeField, _ := cb.prop(n, p, communeCodeProps)
	if code == "" {
		cb.fail(n, codeField, "", "missing (give one of "+strings.Join(communeCodeProps, ", ")+")")
	} else if first, dup := cb.codes[code]; dup {
		cb.fail(n, codeField, code, fmt.Sprintf("repeats feature %d", first))
	} else {
		cb.codes[code] = n
	}
	c.Code = code
	name, nameField, _ := cb.prop(n, p, communeNameProps)
	if c.Name = name; name == "" {
		c.Name = code
		cb.warn(n, nameField, "missing; using the code")
	}
	nameEN, _, _ := cb.prop(n, p, communeNameENProps)
	c.NameEN = cmp.Or(nameEN, asciiFold(c.Name))
	c.Type = cb.communeType(n, p, c.Name)
	c.Province, _, _ = cb.prop(n, p, communeProvinceProps)
	c.Population = cb.count(n, p, communePopulationProps, false)
	c.Households = cb.count(n, p, communeHouseholdsProps, true)
	if c.Households < 0 && len(cb.Errs) == nErr {
		c.Households = int(math.Round(float64(c.Population) / PersonsPerHousehold))
		cb.warn(n, communeHouseholdsProps[0], fmt.Sprintf("missing; estimated %d = population / %s persons per household",
			c.Households, data.FormatNum(PersonsPerHousehold)))
	}
	if len(cb.Errs) == nErr {
		cb.communes = append(cb.communes, c)
	}
}

// communeType reads the type property, or infers it from the name with a warning.
func (cb *communeBuilder) communeType(n int, p map[string]any, name string) data.CommuneType {
	text, field, ok := cb.prop(n, p, communeTypeProps)
	if !ok {
		return data.TypeCommune
	}
	if text == "" {
		if strings.HasPrefix(strings.ToLower(asciiFold(name)), "phuong ") {
			cb.warn(n, field, "missing; using ward (the name starts with Phường)")
			return data.TypeWard
		}
		cb.warn(n, field, "missing; using commune")
		return data.TypeCommune
	}
	key := strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, strings.ToLower(asciiFold(text)))
	t, known := communeTypes[key]
	if !known {
		cb.fail(n, field, text, "is not a commune type (phuong/ward/p or xa/commune/thi_tran/tt)")
	}
	return t
}

// count reads a whole number ≥ 0 from the first of names present. A missing value is -1 when
// estimated is set (the caller estimates it), else 0 with a warning.
func (cb *communeBuilder) count(n int, p map[string]any, names []string, estimated bool) int {
	text, field, ok := cb.prop(n, p, names)
	switch {
	case !ok:
		return 0
	case text == "" && estimated:
		return -1
	case text == "":
		cb.warn(n, field, "missing; using 0")
		return 0
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || v != math.Trunc(v) || v < 0 || v > 1e9 {
		cb.fail(n, field, text, "is not a whole number of people (0..1e9)")
		return 0
	}
	return int(v)
}

// geometry decodes a Polygon or MultiPolygon, checking every position and ring.
func (cb *communeBuilder) geometry(n int, typ string, coords json.RawMessage) orb.MultiPolygon {
	var polys [][][][]json.Number
	switch typ {
	case "Polygon":
		var p [][][]json.Number
		if err := decodeJSON(coords, &p); err != nil {
			cb.fail(n, "geometry", "", "coordinates are not a Polygon's [[[lon, lat], …], …]")
			return nil
		}
		polys = [][][][]json.Number{p}
	case "MultiPolygon":
		if err := decodeJSON(coords, &polys); err != nil {
			cb.fail(n, "geometry", "", "coordinates are not a MultiPolygon's [[[[lon, lat], …], …], …]")
			return nil
		}
	default:
		cb.fail(n, "geometry", typ, "is not a Polygon or MultiPolygon")
		return nil
	}
	if len(polys) == 0 {
		cb.fail(n, "geometry", "", "has no polygons")
		return nil
	}
	mp := make(orb.MultiPolygon, 0, len(polys))
	for pi, rings := range polys {
		if len(rings) == 0 {
			cb.fail(n, "geometry", "", fmt.Sprintf("polygon %d has no rings", pi))
			return nil
		}
		poly := make(orb.Polygon, 0, len(rings))
		for ri, pos := range rings {
			ring, msg := parseRing(pos)
			Where := fmt.Sprintf("polygon %d ring %d ", pi, ri)
			switch {
			case msg != "":
				cb.fail(n, "geometry", "", Where+msg)
				return nil
			case ring[0] != ring[len(ring)-1]:
				ring = append(ring, ring[0])
				cb.warn(n, "geometry", Where+"was not closed; closed it")
			}
			if len(ring) < 4 {
				cb.fail(n, "geometry", "", fmt.Sprintf("%shas %d positions, a ring needs at least 4", Where, len(ring)))
				return nil
			}
			poly = append(poly, ring)
		}
		mp = append(mp, poly)
	}
	return mp
}

// parseRing converts positions to a ring; msg says what is wrong with the first bad one.
func parseRing(pos [][]json.Number) (orb.Ring, string) {
	if len(pos) == 0 {
		return nil, "is empty"
	}
	ring := make(orb.Ring, len(pos))
	for k, p := range pos {
		if len(p) < 2 {
			return nil, fmt.Sprintf("position %d is not [lon, lat]", k)
		}
		lon, errLon := p[0].Float64()
		lat, errLat := p[1].Float64()
		if errLon != nil || errLat != nil || !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) {
			return nil, fmt.Sprintf("position %d [%s, %s] is not a finite lon/lat", k, p[0], p[1])
		}
		ring[k] = orb.Point{lon, lat}
	}
	return ring, ""
}

// asciiFold removes Vietnamese diacritics: "Phường Trà Vinh" → "Phuong Tra Vinh".
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tiling is the overlap/gap measurement of a set of communes.
type tiling struct {
	stepM            float64
	overlapM2, gapM2 float64
	pairs            []pairArea // overlapping pairs, largest first
	gaps             []gapPatch // 4-connected gap patches, largest first
}

type pairArea struct {
	a, b   int // commune indices, a < b
	areaM2 float64
}

type gapPatch struct {
	lon, lat float64 // mean position of the patch's lattice points
	areaM2   float64
}

// run is a run [i0, i1) of lattice columns of one row inside a commune.
type run struct {
	commune, i0, i1 int
}

// measureTiling samples communes on the lattice described in ReadCommunesGeoJSON's doc, with
// land.Scan deciding which lattice points each polygon holds.
func measureTiling(communes []data.Commune) tiling {
	var bound orb.Bound
	for i, c := range communes {
		if i == 0 {
			bound = c.Geometry.Bound()
		} else {
			bound = bound.Union(c.Geometry.Bound())
		}
	}
	t := tiling{stepM: TilingLatticeM}
	if len(communes) == 0 {
		return t
	}
	mLon, mLat := geo.MetresPerDegree(bound.Center()[1])
	mLon = max(mLon, 1) // polar bounds: keep the lattice finite
	wM, hM := (bound.Max[0]-bound.Min[0])*mLon, (bound.Max[1]-bound.Min[1])*mLat
	if cells := (wM/t.stepM + 3) * (hM/t.stepM + 3); cells > maxTilingCells {
		t.stepM *= math.Sqrt(cells / maxTilingCells)
	}
	dLon, dLat := t.stepM/mLon, t.stepM/mLat
	nx, ny := int((bound.Max[0]-bound.Min[0])/dLon)+3, int((bound.Max[1]-bound.Min[1])/dLat)+3 // one margin cell each side
	lat := land.Lattice{X0: bound.Min[0] - dLon, Y0: bound.Min[1] - dLat, DX: dLon, DY: dLat, NX: nx, NY: ny}
	rows := make([][]run, ny)
	for ci, c := range communes {
		for _, poly := range c.Geometry {
			land.Scan(lat, poly, func(j, i0, i1 int) { rows[j] = append(rows[j], run{ci, i0, i1}) })
		}
	}
	count := make([]uint8, nx*ny)
	owner := make([]int32, nx)
	pairs := map[[2]int]float64{}
	for j, row := range rows {
		row = unionRuns(row)
		lonM, latM := geo.MetresPerDegree(lat.Y0 + (float64(j)+0.5)*dLat)
		cellM2 := dLon * lonM * dLat * latM
		line := count[j*nx : (j+1)*nx]
		for _, r := range row {
			for i := r.i0; i < r.i1; i++ {
				switch line[i] {
				case 0:
					owner[i] = int32(r.commune)
				case 1:
					t.overlapM2 += cellM2
					fallthrough
				default:
					pairs[[2]int{min(int(owner[i]), r.commune), max(int(owner[i]), r.commune)}] += cellM2
				}
				if line[i] < 2 {
					line[i]++ // 0 none, 1 one commune, 2 two or more
				}
			}
		}
	}
	for k, a := range pairs {
		t.pairs = append(t.pairs, pairArea{k[0], k[1], a})
	}
	slices.SortFunc(t.pairs, func(x, y pairArea) int {
		return cmp.Or(cmp.Compare(y.areaM2, x.areaM2), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	})
	t.findGaps(count, nx, ny, lat.X0, lat.Y0, dLon, dLat)
	return t
}

// unionRuns sorts the runs of one row by commune, then column, and merges the overlapping
// runs of a commune (its polygons overlapping each other), so that a lattice point counts
// once per commune.
func unionRuns(row []run) []run {
	slices.SortFunc(row, func(a, b run) int { return cmp.Or(cmp.Compare(a.commune, b.commune), cmp.Compare(a.i0, b.i0)) })
	out := row[:0]
	for _, r := range row {
		if n := len(out); n > 0 && out[n-1].commune == r.commune && r.i0 < out[n-1].i1 {
			out[n-1].i1 = max(out[n-1].i1, r.i1)
			continue
		}
		out = append(out, r)
	}
	return out
}

// findGaps flood-fills the uncovered lattice points from the border; the ones not reached are
// gaps, grouped into 4-connected patches. count is reused as the visited mark.
func (t *tiling) findGaps(count []uint8, nx, ny int, lon0, lat0, dLon, dLat float64) {
	const outside, gap = 3, 4 // marks on uncovered points (covered ones are 1 or 2)
	var stack []int
	push := func(k int, mark uint8) {
		if count[k] == 0 {
			count[k] = mark
			stack = append(stack, k)
		}
	}
	// fill marks every uncovered point 4-connected to the seeds already on the stack.
	fill := func(mark uint8, visit func(k int)) {
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			visit(k)
			i, j := k/nx, k%nx
			if j > 0 {
				push(k-1, mark)
			}
			if j < nx-1 {
				push(k+1, mark)
			}
			if i > 0 {
				push(k-nx, mark)
			}
			if i < ny-1 {
				push(k+nx, mark)
			}
		}
	}
	for j := range nx {
		push(j, outside)
		push((ny-1)*nx+j, outside)
	}
	for i := range ny {
		push(i*nx, outside)
		push(i*nx+nx-1, outside)
	}
	fill(outside, func(int) {})
	for k := range count {
		if count[k] != 0 {
			continue
		}
		var p gapPatch
		var n int
		push(k, gap)
		fill(gap, func(k int) {
			lat := lat0 + (float64(k/nx)+0.5)*dLat
			lonM, latM := geo.MetresPerDegree(lat)
			p.areaM2 += dLon * lonM * dLat * latM
			p.lon += lon0 + (float64(k%nx)+0.5)*dLon
			p.lat += lat
			n++
		})
		p.lon, p.lat = p.lon/float64(n), p.lat/float64(n)
		t.gapM2 += p.areaM2
		t.gaps = append(t.gaps, p)
	}
	slices.SortFunc(t.gaps, func(x, y gapPatch) int { return cmp.Compare(y.areaM2, x.areaM2) })
}

// tilingListed is how many overlapping pairs or gap patches a warning names.
const tilingListed = 5

// warnings describes the overlaps and gaps found, if any.
func (t *tiling) warnings(communes []data.Commune) []data.Warning {
	var ws []data.Warning
	km2 := func(m2 float64) string { return strconv.FormatFloat(m2/1e6, 'f', 2, 64) + " km²" }
	lattice := fmt.Sprintf("%s m lattice", data.FormatNum(math.Round(t.stepM)))
	if t.overlapM2 > 0 {
		var worst []string
		for _, p := range t.pairs[:min(tilingListed, len(t.pairs))] {
			a, b := communes[p.a], communes[p.b]
			worst = append(worst, fmt.Sprintf("%s %s / %s %s %s", a.Code, a.Name, b.Code, b.Name, km2(p.areaM2)))
		}
		ws = append(ws, data.Warning{Field: "geometry", Message: fmt.Sprintf(
			"communes overlap on about %s (%s, %d pairs); worst: %s", km2(t.overlapM2), lattice, len(t.pairs),
			strings.Join(worst, "; "))})
	}
	if t.gapM2 > 0 {
		var largest []string
		for _, g := range t.gaps[:min(tilingListed, len(t.gaps))] {
			largest = append(largest, fmt.Sprintf("%s near %.4f,%.4f", km2(g.areaM2), g.lon, g.lat))
		}
		ws = append(ws, data.Warning{Field: "geometry", Message: fmt.Sprintf(
			"gaps between communes cover about %s (%s, %d patches); largest: %s", km2(t.gapM2), lattice, len(t.gaps),
			strings.Join(largest, "; "))})
	}
	return ws
}
