package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/twpayne/go-geom/encoding/ewkbhex"
	"github.com/twpayne/go-geom/encoding/wkt"
)

// GeometryColumn selects how WriteCSV writes geometries.
type GeometryColumn int

const (
	// WKT writes the geometry as OGC Well-Known Text in a column named "wkt" (6 decimals):
	// QGIS's delimited-text import reads it, PostGIS takes ST_GeomFromText(wkt, 4326).
	WKT GeometryColumn = iota
	// EWKBHex writes PostGIS extended WKB with SRID 4326, little endian, as hex, in a column
	// named "ewkb": PostGIS reads it with ewkb::geometry (or ST_GeomFromEWKB(decode(ewkb, 'hex'))).
	EWKBHex
)

// String returns "wkt" or "ewkb", the column name.
func (g GeometryColumn) String() string {
	if g == EWKBHex {
		return "ewkb"
	}
	return "wkt"
}

// ParseGeometryColumn reads "wkt" or "ewkb" (the String forms); ok is false otherwise.
func ParseGeometryColumn(s string) (g GeometryColumn, ok bool) {
	switch s {
	case "wkt":
		return WKT, true
	case "ewkb":
		return EWKBHex, true
	}
	return WKT, false
}

// WriteCSV writes d's features as RFC 4180 CSV in UTF-8 (no byte-order mark), one row per
// feature: a "layer" column with the layer ID when d has more than one layer, the property
// columns (in order of first appearance over all layers), then the geometry column (empty for
// a feature without geometry). Numbers are written in the shortest form that reads back
// exactly; text starting with =, +, -, @, tab or carriage return gets a leading apostrophe so
// a spreadsheet does not run it as a formula. A cell may exceed a spreadsheet's limit (32 767
// characters in Excel) for detailed polygons; QGIS and PostGIS have none. An error names the
// layer and feature.
func WriteCSV(w io.Writer, d *Document, geometry GeometryColumn) error {
	var all []Feature
	for _, l := range d.Layers {
		all = append(all, l.Features...)
	}
	cols := columns(all)
	multi := len(d.Layers) > 1
	header := slices.Clone(cols)
	if multi {
		header = append([]string{"layer"}, header...)
	}
	header = append(header, geometry.String())
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	enc := wkt.NewEncoder(wkt.EncodeOptionWithMaxDecimalDigits(6))
	row := make([]string, len(header))
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c] = i
	}
	off := 0
	if multi {
		off = 1
	}
	for _, l := range d.Layers {
		for j, f := range l.Features {
			clear(row)
			if multi {
				row[0] = l.ID
			}
			for _, p := range f.Properties {
				row[off+idx[p.Name]] = cell(p.Value)
			}
			g, err := ToGeom(f.Geometry)
			if err == nil && g != nil {
				if geometry == EWKBHex {
					row[len(row)-1], err = ewkbhex.Encode(g, ewkbhex.NDR)
				} else {
					row[len(row)-1], err = enc.Encode(g)
				}
			}
			if err != nil {
				return fmt.Errorf("export: csv: layer %s feature %d: %w", l.ID, j, err)
			}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("export: csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}

// cell formats a property value for a spreadsheet (see WriteCSV on formula-looking text).
func cell(v any) string {
	s := formatValue(v)
	if _, isText := v.(string); isText && s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
