package server

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/render"
	"phusong/server/app"
)

// Registered media types of KML 2.2 documents and GeoPackages.
const (
	ctKML  = "application/vnd.google-earth.kml+xml; charset=utf-8"
	ctGPKG = "application/geopackage+sqlite3"
)

// Layer export formats of format= on /api/v1/gaps, /api/v1/coverage and /api/v1/communes, and
// the extensions of their download URLs (/api/v1/gaps.gpkg …).
const (
	outGeoJSON = "geojson"
	outKML     = "kml"
	outCSV     = "csv"
	outGPKG    = "gpkg"
)

// exportFunc answers a layer route in a format other than GeoJSON; geometry is the CSV
// geometry column.
type exportFunc func(c *gin.Context, v *view, format string, geometry render.GeometryColumn) error

// withFormat serves a layer route in the format asked by format=: geojson (the default) by
// handler, kml, csv or gpkg by exp (and geojson too for a download URL, see withExt).
// geometry=wkt (the default) or ewkb selects the CSV geometry column and is refused with any
// other format. Unknown values are a 400 naming the parameter.
func (s *Server) withFormat(handler handlerFunc, exp exportFunc) handlerFunc {
	return func(c *gin.Context, v *view) error {
		format, geometry, err := formatParams(c)
		if err != nil {
			return err
		}
		if format == outGeoJSON && !c.GetBool(downloadKey) {
			return handler(c, v)
		}
		return exp(c, v, format, geometry)
	}
}

// formatParams reads format= (geojson, the default, kml, csv or gpkg) and geometry= (wkt, the
// default, or ewkb; only with format=csv).
func formatParams(c *gin.Context) (format string, geometry render.GeometryColumn, err error) {
	format = strings.ToLower(c.DefaultQuery("format", outGeoJSON))
	switch format {
	case outGeoJSON, outKML, outCSV, outGPKG:
	default:
		return "", 0, badParam("format", c.Query("format"), "must be geojson, kml, csv or gpkg")
	}
	geometry = render.WKT
	if g, ok := c.GetQuery("geometry"); ok {
		var valid bool
		if geometry, valid = render.ParseGeometryColumn(strings.ToLower(g)); !valid {
			return "", 0, badParam("geometry", g, "must be wkt or ewkb")
		}
		if format != outCSV {
			return "", 0, badParam("geometry", g, "only with format=csv")
		}
	}
	return format, geometry, nil
}

// exportGaps answers /api/v1/gaps as KML or CSV: the uncovered land of every commune (or of
// commune=CODE) for tech=, as GapsGeoJSON.
func (s *Server) exportGaps(c *gin.Context, v *view, format string, geometry render.GeometryColumn) error {
	tech, err := queryTech(c, "tech", data.Tech4G)
	if err != nil {
		return err
	}
	code := c.Query("commune")
	if _, ok := v.commune[code]; code != "" && !ok {
		return badParam("commune", code, "unknown commune code; see /api/v1/communes")
	}
	name := "gaps_" + string(tech)
	if code != "" {
		name += "_" + code
	}
	return s.sendExport(c, v, name, format, geometry, gapsRequest(tech, code))
}

// exportCoverage answers /api/v1/coverage as KML or CSV: carrier= (or any), tech=, tier= as
// for GeoJSON; zoom= simplifies as for GeoJSON but defaults to the full detail.
func (s *Server) exportCoverage(c *gin.Context, v *view, format string, geometry render.GeometryColumn) error {
	tech, carrier, tier, err := coverageParams(c, v)
	if err != nil {
		return err
	}
	zoom, err := queryInt(c, "zoom", -1, 0, 24)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("coverage_%s_%s", carrier, tech)
	if tier > 0 {
		name += fmt.Sprintf("_tier%d", tier)
	}
	if zoom >= 0 {
		zoom = min(max(zoom, zoomMin), zoomMax)
		name += fmt.Sprintf("_z%d", zoom)
	}
	return s.sendExport(c, v, name, format, geometry, app.LayerRequest{Kind: app.LayerCoverage, Carrier: carrier, Tech: tech, Tier: tier, Zoom: zoom})
}

// exportCommunes answers /api/v1/communes as KML or CSV: every commune with its census
// figures and coverage statistics, as CommunesGeoJSON.
func (s *Server) exportCommunes(c *gin.Context, v *view, format string, geometry render.GeometryColumn) error {
	return s.sendExport(c, v, "communes", format, geometry, app.LayerRequest{Kind: app.LayerCommunes})
}

// sendExport sends the layer req asks for as a KML, CSV, GeoPackage or GeoJSON download named
// phusong_<name>.<format>, cached per data version (with its gzip form and ETag) under the
// name, format and geometry column (exportBody).
func (s *Server) sendExport(c *gin.Context, v *view, name, format string, geometry render.GeometryColumn, req app.LayerRequest) error {
	key := "export|" + name + "|" + format + "|" + geometry.String()
	b, err := v.cached(s.fills, key, func(v *view) (*body, error) { return v.exportBody(name, format, geometry, req) })
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+exportFileName(name, format)+`"`)
	send(c, b)
	return nil
}

// exportBody is the layer req asks for (an empty coverage layer for a listed carrier without
// sites) as format: GeoJSON, or a KML, CSV or GeoPackage document carrying the definition and
// data versions, the calibration and, on synthetic data, the note (for layers counting people,
// the population grid's too).
func (v *view) exportBody(name, format string, geometry render.GeometryColumn, req app.LayerRequest) (*body, error) {
	fc, l, err := v.st.Layer(req)
	if errors.Is(err, app.ErrNoSites) { // a listed carrier without sites covers nothing
		fc = geojson.NewFeatureCollection()
		cr := data.Carrier{ID: req.Carrier}
		if i, ok := v.carrier[req.Carrier]; ok {
			cr.Name, cr.Colour = v.carriers[i].Name, v.carriers[i].Colour
		}
		l, err = render.CoverageLayer(fc, cr, req.Tech, req.Tier), nil
	}
	if err != nil {
		return nil, appError(err)
	}
	if format == outGeoJSON {
		return jsonBody(ctGeoJSON, fc)
	}
	note := v.st.PeopleNote()
	if req.Kind == app.LayerCoverage {
		note = v.st.Note
	}
	doc := render.NewDocument(l, v.st.Coverage.DefinitionVersion(), v.version, note)
	doc.Calibration = v.st.Coverage.Calibration()
	return documentBody(doc, format, geometry)
}

// documentBody encodes doc as format (kml, csv with the geometry column, gpkg) for sending.
func documentBody(doc *render.Document, format string, geometry render.GeometryColumn) (*body, error) {
	var buf bytes.Buffer
	var err error
	ct := ctKML
	switch format {
	case outCSV:
		ct = ctCSV
		err = render.WriteCSV(&buf, doc, geometry)
	case outGPKG:
		ct = ctGPKG
		err = render.WriteGPKG(&buf, doc)
	default:
		err = render.WriteKML(&buf, doc)
	}
	if err != nil {
		return nil, err
	}
	return newBody(ct, cacheRevalidate, buf.Bytes(), gzipLevelAnswers), nil
}

// exportFileName is phusong_<name>.<format>, with the characters of name outside
// [A-Za-z0-9_.-] (from uploaded carrier ids) replaced, so the header needs no quoting rules.
func exportFileName(name, format string) string {
	return "phusong_" + render.SafeName(name) + "." + format
}

// handleH3 answers the FCC-style H3 hexagons of tech= (default 4G) at resolution= (8, the
// default, or 9) with per-carrier coverage flags at each centre and people, as format=geojson
// (default), csv, kml or gpkg, cached per data version. A build without cgo has no H3 (503).
func (s *Server) handleH3(c *gin.Context, v *view) error {
	tech, err := queryTech(c, "tech", data.Tech4G)
	if err != nil {
		return err
	}
	res, err := queryInt(c, "resolution", app.H3MinResolution, app.H3MinResolution, app.H3MaxResolution)
	if err != nil {
		return err
	}
	format, geometry, err := formatParams(c)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("h3_res%d_%s", res, tech)
	switch split := c.Query("split"); split {
	case "":
	case "commune":
		name += "_by_commune"
	default:
		return badParam("split", split, "must be commune (one feature per hexagon and commune) or absent")
	}
	return s.sendExport(c, v, name, format, geometry,
		app.LayerRequest{Kind: app.LayerH3, Tech: tech, Resolution: res, ByCommune: strings.HasSuffix(name, "_by_commune")})
}
