package server

import (
	"strings"

	"github.com/gin-gonic/gin"

	"phusong/data/render"
)

// Download URLs: GDAL and QGIS choose a driver from a URL's extension, so every layer has URL
// forms ending in .geojson, .csv, .kml and .gpkg (/api/v1/communes.gpkg,
// /api/v1/gaps.csv?tech=4G …). They take the parameters of the layer route, answer at full
// detail as attachments named phusong_<layer>….<ext>, and are served with byte ranges, HEAD and
// conditional requests (send), so GDAL's /vsicurl/ reads them in place.

// downloadKey marks a request that came by a download URL (withExt).
const downloadKey = "phusong.download"

// withExt serves h as the download URL of format ext: format=ext, as an attachment. A
// format= that names another format is a 400.
func (s *Server) withExt(ext string, h handlerFunc) handlerFunc {
	return func(c *gin.Context, v *view) error {
		q := c.Request.URL.Query()
		if f := q.Get("format"); f != "" && !strings.EqualFold(f, ext) {
			return badParam("format", f, "contradicts the URL's ."+ext+" extension")
		}
		q.Set("format", ext)
		c.Request.URL.RawQuery = q.Encode()
		c.Set(downloadKey, true)
		return h(c, v)
	}
}

// handleSitesDownload answers every site (the sites collection) as a download in format=.
func (s *Server) handleSitesDownload(c *gin.Context, v *view) error {
	return s.sendCollections(c, v, "sites", "", c.Query("format"), "sites")
}

// handleFibreDownload answers the fibre network as a download in format=: routes (lines) and
// access points (points) as two layers of one GeoPackage, KML or CSV (with a layer column).
func (s *Server) handleFibreDownload(c *gin.Context, v *view) error {
	return s.sendCollections(c, v, "fibre", "", c.Query("format"), "fibre_routes", "fibre_access_points")
}

// sendCollections sends the collections ids of the served state as one document named
// phusong_<name>.<format> (kml, csv with geometry=wkt|ewkb, gpkg, or geojson when there is one
// collection), cached per state (and per key, which measurementsKey gives).
func (s *Server) sendCollections(c *gin.Context, v *view, name, key, format string, ids ...string) error {
	geometry := render.WKT
	if g := c.Query("geometry"); g != "" {
		var ok bool
		if geometry, ok = render.ParseGeometryColumn(strings.ToLower(g)); !ok || format != outCSV {
			return badParam("geometry", g, "must be wkt or ewkb, and only with format=csv")
		}
	}
	if format == outGeoJSON && len(ids) > 1 {
		return badParam("format", format, "a GeoJSON file holds one geometry type here: use /ogc/collections/"+ids[0]+"/items or the .gpkg form")
	}
	b, err := v.cached(s.fills, "download|"+name+key+"|"+format+"|"+geometry.String(), func(v *view) (*body, error) {
		doc := &render.Document{Name: "phusong — " + name, DefinitionVersion: v.st.Coverage.DefinitionVersion(),
			DataVersion: v.version, Note: v.st.Note}
		if strings.HasPrefix(name, "fibre") {
			doc.Note = v.st.FibreNote
		}
		for _, id := range ids {
			col, err := v.collection(c.Request.Context(), id)
			if err != nil {
				return nil, err
			}
			fs, err := v.featureSet(c.Request.Context(), col, -1)
			if err != nil {
				return nil, appError(err)
			}
			if format == outGeoJSON {
				return jsonBody(ctGeoJSON, fs.FeatureCollection())
			}
			doc.Layers = append(doc.Layers, fs.Layer())
		}
		if len(doc.Layers) == 1 {
			doc.Name, doc.Description = "phusong — "+doc.Layers[0].Name, doc.Layers[0].Description
		}
		return documentBody(doc, format, geometry)
	})
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="`+exportFileName(name, format)+`"`)
	send(c, b)
	return nil
}

// handleCollectionDownload answers one OGC collection's features as a download in format=
// (/ogc/collections/{id}/items.gpkg …).
func (s *Server) handleCollectionDownload(c *gin.Context, v *view) error {
	col, err := ogcCollectionOf(c, v)
	if err != nil {
		return err
	}
	mk, err := v.measurementsKey(c.Request.Context(), col)
	if err != nil {
		return err
	}
	return s.sendCollections(c, v, col.ID, mk, c.Query("format"), col.ID)
}
