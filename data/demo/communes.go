package demo

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/geo"
)

// ProvinceName is the province of the demo's communes (the embedded file names none).
const ProvinceName = "Trà Vinh"

// CommunesNote is the "phusong_note" member of the demo communes FeatureCollection.
const CommunesNote = "Schematic demo: real 2019 census names and figures drawn as Voronoi cells of real ward centroids clipped to a 500 m simplified outline; not real boundaries."

// Errors of the demo commune builder.
var (
	ErrFacts   = errors.New("demo: bad ward facts table")
	ErrOutline = errors.New("demo: bad province outline")
	ErrCells   = errors.New("demo: schematic cells fail their checks")
)

// ParseError locates a bad value in the ward facts table: 1-based line (the header is line 1)
// and column name.
type ParseError struct {
	Line  int
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("demo: facts line %d, field %s: %v", e.Line, e.Field, e.Err)
}

func (e *ParseError) Unwrap() []error { return []error{ErrFacts, e.Err} }

// Fact is one row of the ward facts table (shared/data/travinh/wards_2025_facts.csv): a real
// ward's GSO code, names, type ("phuong" or "xa"), centroid (WGS84 degrees), area (km², UTM
// 48N) and 2019 census figures.
type Fact struct {
	Code        string
	Name        string
	NameEN      string
	Type        string
	CentroidLon float64
	CentroidLat float64
	AreaKM2     float64
	Population  int
	Households  int
}

// factColumns is the exact header ReadFacts expects, in order.
var factColumns = []string{"code", "name", "name_en", "type", "centroid_lon", "centroid_lat",
	"area_km2", "population_2019", "households_2019"}

// ReadFacts parses the ward facts CSV. The header must be exactly factColumns; type must be
// "phuong" or "xa"; codes must be unique; counts non-negative. Errors are *ParseError
// (matching ErrFacts) naming the line and column.
func ReadFacts(r io.Reader) ([]Fact, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(factColumns)
	header, err := cr.Read()
	if err != nil {
		return nil, &ParseError{Line: 1, Field: "header", Err: err}
	}
	for i, c := range factColumns {
		if header[i] != c {
			return nil, &ParseError{Line: 1, Field: "header", Err: fmt.Errorf("column %d is %q, want %q", i+1, header[i], c)}
		}
	}
	var out []Fact
	seen := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &ParseError{Line: line, Field: "row", Err: err}
		}
		f, err := parseFact(rec, line)
		if err != nil {
			return nil, err
		}
		if seen[f.Code] {
			return nil, &ParseError{Line: line, Field: "code", Err: fmt.Errorf("duplicate code %q", f.Code)}
		}
		seen[f.Code] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrFacts)
	}
	return out, nil
}

func parseFact(rec []string, line int) (Fact, error) {
	f := Fact{Code: rec[0], Name: rec[1], NameEN: rec[2], Type: rec[3]}
	if f.Code == "" || f.Name == "" {
		return f, &ParseError{Line: line, Field: "code", Err: errors.New("empty code or name")}
	}
	if f.Type != "phuong" && f.Type != "xa" {
		return f, &ParseError{Line: line, Field: "type", Err: fmt.Errorf("%q is neither phuong nor xa", f.Type)}
	}
	floats := []struct {
		col  int
		dst  *float64
		lo   float64
		hi   float64
		name string
	}{
		{4, &f.CentroidLon, -180, 180, "centroid_lon"},
		{5, &f.CentroidLat, -90, 90, "centroid_lat"},
		{6, &f.AreaKM2, 0, math.Inf(1), "area_km2"},
	}
	for _, c := range floats {
		v, err := strconv.ParseFloat(rec[c.col], 64)
		if err == nil && !(v >= c.lo && v <= c.hi) {
			err = fmt.Errorf("%v outside [%v, %v]", v, c.lo, c.hi)
		}
		if err != nil {
			return f, &ParseError{Line: line, Field: c.name, Err: err}
		}
		*c.dst = v
	}
	ints := []struct {
		col  int
		dst  *int
		name string
	}{{7, &f.Population, "population_2019"}, {8, &f.Households, "households_2019"}}
	for _, c := range ints {
		v, err := strconv.Atoi(rec[c.col])
		if err == nil && v < 0 {
			err = fmt.Errorf("negative count %d", v)
		}
		if err != nil {
			return f, &ParseError{Line: line, Field: c.name, Err: err}
		}
		*c.dst = v
	}
	return f, nil
}

// ReadOutline parses the province outline: a GeoJSON Feature, a FeatureCollection of one
// feature, or a bare geometry, whose geometry is a Polygon or MultiPolygon (WGS84 degrees).
func ReadOutline(r io.Reader) (orb.MultiPolygon, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutline, err)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutline, err)
	}
	var g orb.Geometry
	switch head.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOutline, err)
		}
		if len(fc.Features) != 1 {
			return nil, fmt.Errorf("%w: %d features, want 1", ErrOutline, len(fc.Features))
		}
		g = fc.Features[0].Geometry
	case "Feature":
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOutline, err)
		}
		g = f.Geometry
	default:
		gg, err := geojson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOutline, err)
		}
		g = gg.Geometry()
	}
	switch t := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{t}, nil
	case orb.MultiPolygon:
		if len(t) == 0 {
			return nil, fmt.Errorf("%w: empty MultiPolygon", ErrOutline)
		}
		return t, nil
	default:
		return nil, fmt.Errorf("%w: geometry is %T, want Polygon or MultiPolygon", ErrOutline, g)
	}
}

// OutlineOrigin returns the projection origin of the schematic map: the area centroid of the
// outline computed in lon/lat degrees, rounded to 0.001° so that it can be quoted.
func OutlineOrigin(outline orb.MultiPolygon) orb.Point {
	c, _ := planar.CentroidArea(outline)
	return orb.Point{math.Round(c[0]*1000) / 1000, math.Round(c[1]*1000) / 1000}
}

// BuildCommunes draws one schematic commune per fact: the Voronoi cell of the fact's centroid
// (in a local transverse Mercator at OutlineOrigin, over the outline's bound padded by 1 km)
// intersected with the outline, inverse-projected and normalised by geo.RFC7946. Names, type
// and census figures come from the fact; the order of facts is kept. It fails with ErrCells
// if a cell is empty, a centroid lies outside its own cell, or the cell areas do not add up to
// the outline's area within 0.01 %.
func BuildCommunes(facts []Fact, outline orb.MultiPolygon) ([]data.Commune, error) {
	if len(facts) == 0 {
		return nil, fmt.Errorf("%w: no facts", ErrFacts)
	}
	o := OutlineOrigin(outline)
	tm := geo.NewLocalTM(o[0], o[1])
	planOutline, ok := tm.ForwardGeometry(outline).(orb.MultiPolygon)
	if !ok {
		return nil, fmt.Errorf("%w: projection changed the outline's type", ErrOutline)
	}
	bound := planOutline.Bound().Pad(1000)
	sites := make([]orb.Point, len(facts))
	for i, f := range facts {
		sites[i] = tm.Forward(orb.Point{f.CentroidLon, f.CentroidLat})
	}
	cells := geo.VoronoiCells(sites, bound)
	if len(cells) != len(facts) {
		return nil, fmt.Errorf("%w: %d Voronoi cells for %d centroids", ErrCells, len(cells), len(facts))
	}
	out := make([]data.Commune, len(facts))
	var sumM2 float64
	for i, f := range facts {
		if len(cells[i]) == 0 {
			return nil, fmt.Errorf("%w: %s has no Voronoi cell", ErrCells, f.Code)
		}
		clipped := geo.ClipToConvex(planOutline, cells[i][0])
		if len(clipped) == 0 {
			return nil, fmt.Errorf("%w: %s cell misses the outline", ErrCells, f.Code)
		}
		if !planar.MultiPolygonContains(clipped, sites[i]) {
			return nil, fmt.Errorf("%w: centroid of %s lies outside its cell", ErrCells, f.Code)
		}
		wgs := geo.AsMultiPolygon(geo.RFC7946(tm.InverseGeometry(clipped)))
		if wgs == nil {
			return nil, fmt.Errorf("%w: %s cell lost its polygon type", ErrCells, f.Code)
		}
		sumM2 += geo.AreaM2(tm, wgs)
		out[i] = data.Commune{
			Code: f.Code, Name: f.Name, NameEN: f.NameEN, Type: communeType(f.Type),
			Geometry: wgs, Population: f.Population, Households: f.Households,
		}
	}
	wantM2 := geo.AreaM2(tm, outline)
	if math.Abs(sumM2-wantM2) > 1e-4*wantM2 {
		return nil, fmt.Errorf("%w: cells cover %.0f m², outline %.0f m²", ErrCells, sumM2, wantM2)
	}
	return out, nil
}

func communeType(factType string) data.CommuneType {
	if factType == "phuong" {
		return data.TypeWard
	}
	return data.TypeCommune
}

// communeProps fixes the order of the properties in communes.geojson.
type communeProps struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEN     string `json:"name_en"`
	Type       string `json:"type"`
	Population int    `json:"population_2019"`
	Households int    `json:"households_2019"`
	Schematic  bool   `json:"schematic"`
}

type communeFeature struct {
	Type       string            `json:"type"`
	Properties communeProps      `json:"properties"`
	Geometry   *geojson.Geometry `json:"geometry"`
}

// EncodeCommunes writes communes as the demo FeatureCollection: one feature per line, in the
// given order, properties code, name, name_en, type (phuong|xa), population_2019,
// households_2019, schematic=true, and the top-level member "phusong_note" = CommunesNote.
// Coordinates are written as they are (BuildCommunes already rounded them).
func EncodeCommunes(communes []data.Commune) ([]byte, error) {
	return encodeCollection(CommunesNote, len(communes), func(i int) (any, error) {
		c := &communes[i]
		return communeFeature{
			Type: "Feature",
			Properties: communeProps{Code: c.Code, Name: c.Name, NameEN: c.NameEN, Type: xaOrPhuong(c.Type),
				Population: c.Population, Households: c.Households, Schematic: true},
			Geometry: geojson.NewGeometry(c.Geometry),
		}, nil
	})
}

// xaOrPhuong is the type property of the generated files: phuong for a ward, xa otherwise.
func xaOrPhuong(t data.CommuneType) string {
	if t == data.TypeWard {
		return "phuong"
	}
	return "xa"
}

// encodeCollection writes a FeatureCollection with the top-level member "phusong_note" =
// note and n features, one per line, each the JSON of feature(i).
func encodeCollection(note string, n int, feature func(i int) (any, error)) ([]byte, error) {
	var b bytes.Buffer
	nj, _ := json.Marshal(note)
	fmt.Fprintf(&b, "{\"type\":\"FeatureCollection\",\"phusong_note\":%s,\"features\":[\n", nj)
	for i := range n {
		f, err := feature(i)
		if err != nil {
			return nil, err
		}
		line, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("demo: encode feature %d: %w", i+1, err)
		}
		b.Write(line)
		if i < n-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes(), nil
}
