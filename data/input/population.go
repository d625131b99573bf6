package input

import (
	"bufio"
	"bytes"
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
	"phusong/data/population"
)

// Column and property names of the population point readers, lower-cased (the first present
// wins). A population column may also be any name starting with "population_" (HRSL's
// population_2020).
var (
	populationLatNames    = []string{"latitude", "lat", "y"}
	populationLonNames    = []string{"longitude", "lon", "lng", "long", "x"}
	populationPeopleNames = []string{"population", "people", "pop"}
)

// populationColumn returns the index of the first of names in header (lower-cased, trimmed), or
// for prefix != "" of the first header starting with it; −1 when none.
func populationColumn(header []string, names []string, prefix string) int {
	for _, n := range names {
		for i, h := range header {
			if strings.ToLower(strings.TrimSpace(h)) == n {
				return i
			}
		}
	}
	for i, h := range header {
		if prefix != "" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(h)), prefix) {
			return i
		}
	}
	return -1
}

// pointProblem checks a point of people: a finite position in WGS84 ranges and a finite count
// ≥ 0 ("" when fine).
func pointProblem(lon, lat, people float64) (field, msg string) {
	switch {
	case !(lat >= -90 && lat <= 90):
		return "latitude", "is not a latitude in [-90, 90]"
	case !(lon >= -180 && lon <= 180):
		return "longitude", "is not a longitude in [-180, 180]"
	case math.IsNaN(people) || math.IsInf(people, 0):
		return "population", "is not a number"
	case people < 0:
		return "population", "is negative"
	}
	return "", ""
}

// inArea reports whether (lon, lat) lies in area padded by PopulationPadDeg.
func inArea(area orb.Bound, lon, lat float64) bool {
	return lon >= area.Min[0]-PopulationPadDeg && lon <= area.Max[0]+PopulationPadDeg &&
		lat >= area.Min[1]-PopulationPadDeg && lat <= area.Max[1]+PopulationPadDeg
}

// ReadPopulationCSV reads people as points from a CSV file: Meta/CIESIN HRSL's
// (latitude,longitude,population or population_2020, one row per ~30 m cell) or any CSV with a
// latitude (latitude, lat, y), a longitude (longitude, lon, lng, long, x) and a population
// column (population, population_<year>, people, pop), other columns ignored; comma, semicolon
// or tab separated, an optional UTF-8 byte-order mark, LF or CRLF line ends. The file is read
// as a stream and only the points within area (lon/lat; the communes' bound) padded by
// PopulationPadDeg are kept, so a national file is never held whole. Every bad row (outside
// the area or not) is an error: a missing column, a value that is not a number, a position out
// of range, a negative count, as data.ParseErrors naming the line (1 is the header) and column.
func ReadPopulationCSV(r io.Reader, area orb.Bound) ([]population.Point, error) {
	in, err := openCSV(r, "population")
	if err != nil {
		return nil, err
	}
	lat := populationColumn(in.header, populationLatNames, "")
	lon := populationColumn(in.header, populationLonNames, "")
	ppl := populationColumn(in.header, populationPeopleNames, "population_")
	var errs data.ErrorList
	for _, c := range []struct {
		col  int
		name string
	}{{lat, "latitude"}, {lon, "longitude"}, {ppl, "population"}} {
		if c.col < 0 {
			errs.Record(&data.ParseError{Line: 1, Field: c.name, Msg: fmt.Sprintf("column missing (header %q; HRSL files have latitude,longitude,population)",
				strings.Join(in.header, string(in.sep)))})
		}
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	var out []population.Point
	names := []string{"latitude", "longitude", "population"}
	for line, rec := range in.records(&errs) {
		var v [3]float64
		var text [3]string
		bad := false
		for i, col := range []int{lat, lon, ppl} {
			if col < len(rec) {
				text[i] = strings.TrimSpace(rec[col])
			}
			var err error
			if v[i], err = strconv.ParseFloat(text[i], 64); err != nil {
				errs.Record(&data.ParseError{Line: line, Field: names[i], Value: text[i], Msg: "is not a number"})
				bad = true
				break
			}
		}
		if bad {
			continue
		}
		if field, msg := pointProblem(v[1], v[0], v[2]); msg != "" {
			errs.Record(&data.ParseError{Line: line, Field: field, Value: text[slices.Index(names, field)], Msg: msg})
			continue
		}
		if v[2] > 0 && inArea(area, v[1], v[0]) {
			out = append(out, population.Point{Lon: v[1], Lat: v[0], People: v[2]})
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	return out, nil
}

// ReadPopulationGeoJSON reads people as points from a GeoJSON FeatureCollection of Point
// features (WGS84 lon/lat) with a population property (population, people, pop or
// population_<year>, the first of them present, the latest year of several, of names differing
// only in case the first in byte order: a number ≥ 0, or its text). Only the points within area padded by
// PopulationPadDeg are kept. Every bad feature is an error (data.ParseErrors naming the
// feature and the property): another geometry, a bad position, a missing, non-numeric or
// negative count.
func ReadPopulationGeoJSON(r io.Reader, area orb.Bound) ([]population.Point, error) {
	fc := readFeatureCollection(r, "population", 0)
	var errs data.ErrorList
	var out []population.Point
	for n, raw := range fc.Features() {
		if errs.Full {
			break
		}
		f, perr := decodeFeature(n, raw)
		if perr != nil {
			errs.Record(perr)
			continue
		}
		if f.Geometry.Type != "Point" {
			errs.Record(&data.ParseError{Feature: n, Field: "geometry", Value: f.Geometry.Type, Msg: "is not a Point"})
			continue
		}
		var pos []json.Number
		if decodeJSON(f.Geometry.Coordinates, &pos) != nil || len(pos) < 2 {
			errs.Record(&data.ParseError{Feature: n, Field: "coordinates", Msg: "are not a [lon, lat] position"})
			continue
		}
		lon, err1 := strconv.ParseFloat(pos[0].String(), 64)
		lat, err2 := strconv.ParseFloat(pos[1].String(), 64)
		key, text := "", ""
		for _, k := range slices.Sorted(maps.Keys(f.Properties)) { // in order: names differing only in case rank alike
			v, lk := f.Properties[k], strings.ToLower(k)
			if !slices.Contains(populationPeopleNames, lk) && !strings.HasPrefix(lk, "population_") {
				continue
			}
			if lkey := strings.ToLower(key); key == "" || rank(lk) < rank(lkey) || rank(lk) == rank(lkey) && lk > lkey {
				key = k
				switch v := v.(type) {
				case json.Number:
					text = v.String()
				case string:
					text = strings.TrimSpace(v)
				default:
					text = fmt.Sprint(v)
				}
			}
		}
		people, err3 := strconv.ParseFloat(text, 64)
		switch {
		case err1 != nil || err2 != nil:
			errs.Record(&data.ParseError{Feature: n, Field: "coordinates", Value: pos[0].String() + "," + pos[1].String(), Msg: "are not numbers"})
		case key == "":
			errs.Record(&data.ParseError{Feature: n, Field: "population", Msg: "property missing (population, population_<year>, people or pop)"})
		case err3 != nil:
			errs.Record(&data.ParseError{Feature: n, Field: key, Value: text, Msg: "is not a number"})
		default:
			if field, msg := pointProblem(lon, lat, people); msg != "" {
				if field == "population" {
					field = key
				}
				errs.Record(&data.ParseError{Feature: n, Field: field, Value: text, Msg: msg})
			} else if people > 0 && inArea(area, lon, lat) {
				out = append(out, population.Point{Lon: lon, Lat: lat, People: people})
			}
		}
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	return out, nil
}

// rank orders the population property names: those of populationPeopleNames first, in order,
// then population_<year> (of several, the latest year).
func rank(name string) int {
	for i, n := range populationPeopleNames {
		if n == name {
			return i
		}
	}
	return len(populationPeopleNames)
}

// ErrNoPeople: a population file holds no people over the communes.
var ErrNoPeople = errors.New("data: no people over the communes")

// LoadPopulationFile reads a population file for the communes within area (lon/lat; their
// bound): a GeoTIFF raster (ReadPopulationGeoTIFF; told by its first bytes), a GeoJSON
// FeatureCollection of points (the first non-blank byte is '{') or a CSV of points
// (ReadPopulationCSV: HRSL's or any with latitude, longitude and population). A point file
// with no people over the area is ErrNoPeople. Errors name the file.
func LoadPopulationFile(path string, area orb.Bound) (*population.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: population: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: population: %w", err)
	}
	src := &population.Source{Name: filepath.Base(path)}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	wrap := func(err error) error { return fmt.Errorf("population file %s: %w", path, err) }
	switch {
	case bytes.HasPrefix(head, []byte("II*\x00")) || bytes.HasPrefix(head, []byte("MM\x00*")) ||
		bytes.HasPrefix(head, []byte("II+\x00")) || bytes.HasPrefix(head, []byte("MM\x00+")):
		src.Format = "GeoTIFF"
		if src.Raster, src.Note, err = ReadPopulationGeoTIFF(f, st.Size(), area); err != nil {
			return nil, wrap(err)
		}
		return src, nil
	case bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte(utf8BOM)), jsonSpace), []byte("{")):
		src.Format = "GeoJSON points"
	default:
		src.Format = "CSV points"
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, wrap(err)
	}
	r := bufio.NewReaderSize(f, 1<<16)
	if src.Format == "GeoJSON points" {
		src.Points, err = ReadPopulationGeoJSON(r, area)
	} else {
		src.Points, err = ReadPopulationCSV(r, area)
	}
	if err != nil {
		return nil, wrap(err)
	}
	if len(src.Points) == 0 {
		return nil, wrap(fmt.Errorf("%w (lon %.4f…%.4f, lat %.4f…%.4f)", ErrNoPeople, area.Min[0], area.Max[0], area.Min[1], area.Max[1]))
	}
	return src, nil
}
