package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/render"
	"phusong/server/app"
)

// ctKML is the registered media type of KML 2.2 documents.
const ctKML = "application/vnd.google-earth.kml+xml; charset=utf-8"

// Layer export formats of format= on /api/v1/gaps, /api/v1/coverage and /api/v1/communes.
const (
	outGeoJSON = "geojson"
	outKML     = "kml"
	outCSV     = "csv"
)

// exportFunc answers a layer route in a format other than GeoJSON; geometry is the CSV
// geometry column.
type exportFunc func(c *gin.Context, v *view, format string, geometry render.GeometryColumn) error

// withFormat serves a layer route in the format asked by format=: geojson (the default) by
// handler, kml or csv by exp. geometry=wkt (the default) or ewkb selects the CSV geometry
// column and is refused with any other format. Unknown values are a 400 naming the parameter.
func (s *Server) withFormat(handler handlerFunc, exp exportFunc) handlerFunc {
	return func(c *gin.Context, v *view) error {
		format := strings.ToLower(c.DefaultQuery("format", outGeoJSON))
		switch format {
		case outGeoJSON, outKML, outCSV:
		default:
			return badParam("format", c.Query("format"), "must be geojson, kml or csv")
		}
		geometry := render.WKT
		if g, ok := c.GetQuery("geometry"); ok {
			var valid bool
			if geometry, valid = render.ParseGeometryColumn(strings.ToLower(g)); !valid {
				return badParam("geometry", g, "must be wkt or ewkb")
			}
			if format != outCSV {
				return badParam("geometry", g, "only with format=csv")
			}
		}
		if format == outGeoJSON {
			return handler(c, v)
		}
		return exp(c, v, format, geometry)
	}
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

// sendExport sends the layer req asks for as a KML or CSV download named
// phusong_<name>.<format>, cached per data version (with its gzip form and ETag) under the
// name, format and geometry column. The document carries the definition and data versions
// and, on the demo, the synthetic-data note.
func (s *Server) sendExport(c *gin.Context, v *view, name, format string, geometry render.GeometryColumn, req app.LayerRequest) error {
	key := "export|" + name + "|" + format + "|" + geometry.String()
	b, err := v.cached(s.metrics, key, func(v *view) (*body, error) {
		_, l, err := v.st.Layer(req)
		if errors.Is(err, app.ErrNoSites) { // a listed carrier without sites covers nothing
			fc := geojson.NewFeatureCollection()
			cr := data.Carrier{ID: req.Carrier}
			if i, ok := v.carrier[req.Carrier]; ok {
				cr.Name, cr.Colour = v.carriers[i].Name, v.carriers[i].Colour
			}
			l, err = render.CoverageLayer(fc, cr, req.Tech, req.Tier), nil
		}
		if err != nil {
			return nil, appError(err)
		}
		doc := render.NewDocument(l, v.st.Coverage.DefinitionVersion(), v.version, v.st.Note)
		var buf bytes.Buffer
		ct := ctKML
		if format == outCSV {
			ct = ctCSV
			err = render.WriteCSV(&buf, doc, geometry)
		} else {
			err = render.WriteKML(&buf, doc)
		}
		if err != nil {
			return nil, err
		}
		return newBody(ct, cacheRevalidate, buf.Bytes(), gzip.BestCompression), nil
	})
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+exportFileName(name, format)+`"`)
	send(c, b)
	return nil
}

// exportFileName is phusong_<name>.<format>, with the characters of name outside
// [A-Za-z0-9_.-] (from uploaded carrier ids) replaced, so the header needs no quoting rules.
func exportFileName(name, format string) string {
	return "phusong_" + render.SafeName(name) + "." + format
}
