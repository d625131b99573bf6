package render

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// GeoPackage (OGC 12-128r18, version 1.3): one SQLite database file holding one feature table
// per layer, read by QGIS, GDAL/OGR (ogrinfo, ogr2ogr), ArcGIS and PostGIS's ogr_fdw.

// GPKG identifiers written in the file header (PRAGMA application_id, user_version).
const (
	gpkgApplicationID = 0x47504B47 // "GPKG"
	gpkgUserVersion   = 10300      // 1.3.0
)

// gpkgSchema creates the mandatory metadata tables and their three required spatial reference
// systems (Requirements 10–11): EPSG:4326, undefined Cartesian (-1) and undefined geographic (0).
const gpkgSchema = `
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'),
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
`

// WriteGPKG writes d as a GeoPackage: one feature table per layer, named after the layer's ID,
// with an integer primary key fid, a geometry column geom (EPSG:4326, lon/lat; the layer's
// single geometry type, or GEOMETRY when it mixes types) and one column per property (INTEGER,
// DOUBLE, BOOLEAN or TEXT as the values are; lists of text joined by spaces; an empty geometry
// is NULL). gpkg_contents
// names each layer (identifier), describes it with the document's provenance (definition and
// data versions, the synthetic-data note on the demo) and holds its extent. Geometries are
// GeoPackage binary: the "GP" header with SRS id 4326 and the envelope, then ISO WKB, rings
// oriented and coordinates rounded as ToGeom does. The file is built in memory and written
// whole; an error names the layer and feature.
func WriteGPKG(w io.Writer, d *Document) error {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:gpkg?mode=memory")
	if err != nil {
		return fmt.Errorf("export: gpkg: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the in-memory database lives in it
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("export: gpkg: %w", err)
	}
	defer conn.Close()
	if err := writeGPKGTables(ctx, conn, d); err != nil {
		return fmt.Errorf("export: gpkg: %w", err)
	}
	var raw []byte
	err = conn.Raw(func(dc any) error {
		s, ok := dc.(interface{ Serialize() ([]byte, error) })
		if !ok {
			return fmt.Errorf("the SQLite driver cannot serialize a database (%T)", dc)
		}
		raw, err = s.Serialize()
		return err
	})
	if err != nil {
		return fmt.Errorf("export: gpkg: %w", err)
	}
	_, err = w.Write(raw)
	return err
}

// writeGPKGTables fills the empty database on conn with d's layers in one transaction.
func writeGPKGTables(ctx context.Context, conn *sql.Conn, d *Document) error {
	for _, q := range []string{
		fmt.Sprintf("PRAGMA application_id = %d", gpkgApplicationID),
		fmt.Sprintf("PRAGMA user_version = %d", gpkgUserVersion),
		"PRAGMA page_size = 4096",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, gpkgSchema); err != nil {
		return err
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for _, l := range d.Layers {
		if err := writeGPKGLayer(ctx, tx, d, l, now); err != nil {
			return fmt.Errorf("layer %s: %w", l.ID, err)
		}
	}
	return tx.Commit()
}

// writeGPKGLayer creates l's feature table, inserts its features and registers it.
func writeGPKGLayer(ctx context.Context, tx *sql.Tx, d *Document, l Layer, lastChange string) error {
	table := SafeName(l.ID)
	cols := columns(l.Features)
	defs := []string{`"fid" INTEGER PRIMARY KEY AUTOINCREMENT`, `"geom" ` + gpkgGeometryType(l.Features)}
	for _, c := range cols {
		defs = append(defs, quoteIdent(c)+" "+gpkgColumnType(l.Features, c))
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE "+quoteIdent(table)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return err
	}
	names := []string{`"geom"`}
	marks := []string{"?"}
	for _, c := range cols {
		names = append(names, quoteIdent(c))
		marks = append(marks, "?")
	}
	ins, err := tx.PrepareContext(ctx, "INSERT INTO "+quoteIdent(table)+" ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(marks, ", ")+")")
	if err != nil {
		return err
	}
	defer ins.Close()
	var ext geom.Bounds
	empty := true
	args := make([]any, len(names))
	idx := make(map[string]int, len(cols))
	for i, c := range cols {
		idx[c] = i + 1
	}
	for j, f := range l.Features {
		clear(args)
		g, err := ToGeom(f.Geometry)
		if err != nil {
			return fmt.Errorf("feature %d: %w", j, err)
		}
		if g != nil && !g.Empty() {
			if args[0], err = gpkgBlob(g); err != nil {
				return fmt.Errorf("feature %d: %w", j, err)
			}
			if empty {
				ext, empty = *g.Bounds(), false
			} else {
				ext.Extend(g)
			}
		}
		for _, p := range f.Properties {
			args[idx[p.Name]] = gpkgValue(p.Value)
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("feature %d: %w", j, err)
		}
	}
	var minX, minY, maxX, maxY any
	if !empty {
		minX, minY, maxX, maxY = ext.Min(0), ext.Min(1), ext.Max(0), ext.Max(1)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change,
		min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)`,
		table, l.Name, gpkgDescription(d, l), lastChange, minX, minY, maxX, maxY, SRID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)`,
		table, gpkgGeometryType(l.Features), SRID)
	return err
}

// gpkgDescription is l's description followed by the document's provenance.
func gpkgDescription(d *Document, l Layer) string {
	s := l.Description
	if d.DefinitionVersion != "" {
		s += " Coverage definition " + d.DefinitionVersion + "."
	}
	if d.DataVersion != 0 {
		s += fmt.Sprintf(" Station data version %d.", d.DataVersion)
	}
	if d.Note != "" {
		s += " SYNTHETIC DATA: " + d.Note
	}
	return strings.TrimSpace(s)
}

// gpkgGeometryType is the GeoPackage geometry type name shared by every feature's geometry
// (POINT, LINESTRING, MULTIPOLYGON …), GEOMETRY when they differ or there are none.
func gpkgGeometryType(features []Feature) string {
	name := ""
	for _, f := range features {
		if f.Geometry == nil {
			continue
		}
		n := strings.ToUpper(f.Geometry.GeoJSONType())
		switch {
		case name == "":
			name = n
		case name != n:
			return "GEOMETRY"
		}
	}
	if name == "" || name == "FEATURECOLLECTION" {
		return "GEOMETRY"
	}
	if name == "GEOMETRYCOLLECTION" {
		return "GEOMETRYCOLLECTION"
	}
	return name
}

// gpkgColumnType is the SQLite column type of property c in features, from kmlType.
func gpkgColumnType(features []Feature, c string) string {
	switch kmlType(features, c) {
	case "bool":
		return "BOOLEAN"
	case "int":
		return "INTEGER"
	case "double":
		return "DOUBLE"
	}
	return "TEXT"
}

// gpkgValue is v as an SQLite value: numbers and booleans as they are (non-finite numbers as
// NULL), other values as formatValue's text.
func gpkgValue(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case bool, int, int64, string:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	case float32:
		return gpkgValue(float64(v))
	}
	return formatValue(v)
}

// gpkgBlob encodes g, not empty, as a GeoPackage binary geometry (GPKG spec §2.1.3): magic
// "GP", version 0, flags (little-endian, an [minx, maxx, miny, maxy] envelope), SRS id,
// envelope, then the ISO WKB of g. (Empty geometries are written as NULL: readers disagree on
// the empty-geometry flag, GDAL 3.6's validator among them.)
func gpkgBlob(g geom.T) ([]byte, error) {
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	const littleEndian, xyEnvelope = 0x01, 0x01 << 1
	out := make([]byte, 0, 8+32+len(body))
	out = append(out, 'G', 'P', 0)
	out = append(out, littleEndian|xyEnvelope)
	out = binary.LittleEndian.AppendUint32(out, uint32(SRID))
	b := g.Bounds()
	for _, v := range []float64{b.Min(0), b.Max(0), b.Min(1), b.Max(1)} {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return append(out, body...), nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
