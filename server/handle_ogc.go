package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/server/app"
)

// OGC API – Features – Part 1: Core, with GeoJSON, under /ogc (as pg_featureserv and tipg
// serve it): the landing page, the conformance declaration, the collections of the served
// state (app.State.Collections: communes, sites, coverage per carrier × technology, gaps per
// technology, pockets, fibre routes, fibre access points) and, beside them, the stored
// measurements' squares per carrier × technology (app.App.MeasurementCollections), with their
// items: bbox, limit, offset, property filters (?name=value) and next/prev links. Features keep their ids across pages
// and data versions (a commune's code, a site's carrier/site_id …). Coordinates are CRS84
// (WGS84 lon/lat).

// ogcPrefix is where the OGC API is mounted (the site's root is the web map).
const ogcPrefix = "/ogc"

// Page sizes of /ogc/collections/{id}/items.
const (
	ogcDefaultLimit = 10
	ogcMaxLimit     = 10000
)

// OGC conformance classes and identifiers.
const (
	confCore    = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	confGeoJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	crs84       = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	ctOpenAPI   = "application/vnd.oai.openapi+json;version=3.1"
	mtJSON      = "application/json" // media types of links (no charset: clients compare them)
	mtGeoJSON   = "application/geo+json"
)

// ogcLink is a link of an OGC API answer.
type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// baseURL is the scheme and host the client used (X-Forwarded-Proto and X-Forwarded-Host when
// a reverse proxy set them), for the absolute links of the OGC answers.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := c.Request.Host
	if h := c.GetHeader("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/ \t,") {
		host = h
	}
	return scheme + "://" + host
}

// handleOGCLanding answers the landing page.
func (s *Server) handleOGCLanding(c *gin.Context, v *view) error {
	b := baseURL(c) + ogcPrefix
	return sendJSON(c, ctJSON, map[string]any{
		"title":       "phusong",
		"description": "Mobile (3G/4G) coverage, gaps and fibre reach of " + v.province() + " as OGC API Features." + v.noteSentence(),
		"links": []ogcLink{
			{b, "self", mtJSON, "This document"},
			{baseURL(c) + "/api/v1/openapi.json", "service-desc", ctOpenAPI, "The API definition (OpenAPI 3.1)"},
			{b + "/conformance", "conformance", mtJSON, "Conformance classes"},
			{b + "/collections", "data", mtJSON, "Collections"},
		},
	})
}

// province names the served area for descriptions, from the communes' provinces (never a
// province the data does not name).
func (v *view) province() string {
	names := map[string]bool{}
	for _, c := range v.st.Communes {
		names[c.Province] = true
	}
	name := ""
	for n := range names {
		name = n
	}
	switch {
	case len(names) > 1:
		return fmt.Sprintf("%d provinces", len(names))
	case name != "" && v.st.Note != "":
		return "the schematic " + name + " demo province"
	case name != "":
		return name
	case v.st.Note != "":
		return "the schematic demo province"
	}
	return "the province"
}

// noteSentence is " " + the synthetic-data note, or "".
func (v *view) noteSentence() string {
	if v.st.Note == "" {
		return ""
	}
	return " SYNTHETIC DATA: " + v.st.Note
}

// handleOGCConformance answers the conformance declaration.
func (s *Server) handleOGCConformance(c *gin.Context, _ *view) error {
	return sendJSON(c, ctJSON, map[string]any{"conformsTo": []string{confCore, confGeoJSON}})
}

// ogcCollection is one collection's description.
type ogcCollection struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	ItemType    string    `json:"itemType"`
	CRS         []string  `json:"crs"`
	Extent      ogcExtent `json:"extent"`
	Geometry    string    `json:"geometryType"` // not in the standard's schema; as tipg has it
	Links       []ogcLink `json:"links"`
}

type ogcExtent struct {
	Spatial struct {
		BBox [][4]float64 `json:"bbox"`
		CRS  string       `json:"crs"`
	} `json:"spatial"`
}

// describe returns c's description; its extent is that of its features, or of the communes
// for the layers computed on the coverage grid (coverage, gaps), whose features are only
// computed when asked for.
func (v *view) describe(c *gin.Context, col app.Collection) (ogcCollection, error) {
	b := baseURL(c) + ogcPrefix + "/collections/" + url.PathEscape(col.ID)
	out := ogcCollection{ID: col.ID, Title: col.Title, Description: col.Description + v.noteSentence(), ItemType: "feature",
		CRS: []string{crs84}, Geometry: col.GeometryType,
		Links: []ogcLink{
			{b, "self", mtJSON, "This collection"},
			{b + "/items", "items", mtGeoJSON, "Its features as GeoJSON"},
			{baseURL(c) + "/tiles/" + url.PathEscape(col.ID) + ".json", "alternate", mtJSON, "Vector tiles (TileJSON)"},
		}}
	bd := v.bound
	if col.Kind != "coverage" && col.Kind != "gaps" {
		fs, err := v.featureSet(c.Request.Context(), col, -1)
		if err != nil {
			return out, err
		}
		bd = fs.Bound
	}
	out.Extent.Spatial.BBox = [][4]float64{bboxOf(bd)}
	out.Extent.Spatial.CRS = crs84
	return out, nil
}

// handleOGCCollections lists the collections.
func (s *Server) handleOGCCollections(c *gin.Context, v *view) error {
	b := baseURL(c) + ogcPrefix + "/collections"
	cols := []ogcCollection{}
	all, err := v.collections(c.Request.Context())
	if err != nil {
		return appError(err)
	}
	for _, col := range all {
		d, err := v.describe(c, col)
		if err != nil {
			return appError(err)
		}
		cols = append(cols, d)
	}
	return sendJSON(c, ctJSON, map[string]any{"links": []ogcLink{{b, "self", mtJSON, "The collections"}}, "collections": cols})
}

// ogcCollectionOf reads the collectionId path parameter: 404 for an unknown one.
func ogcCollectionOf(c *gin.Context, v *view) (app.Collection, error) {
	col, err := v.collection(c.Request.Context(), c.Param("collectionId"))
	if err != nil {
		return col, fmt.Errorf("%w (see %s/collections)", err, ogcPrefix)
	}
	return col, nil
}

// handleOGCCollection describes one collection.
func (s *Server) handleOGCCollection(c *gin.Context, v *view) error {
	col, err := ogcCollectionOf(c, v)
	if err != nil {
		return err
	}
	d, err := v.describe(c, col)
	if err != nil {
		return appError(err)
	}
	return sendJSON(c, ctJSON, d)
}

// ogcReserved are the query parameters of the items route that are not property filters.
var ogcReserved = []string{"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f"}

// ogcItemsQuery reads the items parameters: limit (1–10000, default 10), offset, bbox (CRS84),
// f (json or geojson only) and every other parameter as a property filter.
func ogcItemsQuery(c *gin.Context) (app.FeatureQuery, error) {
	q := app.FeatureQuery{Where: map[string]string{}}
	var err error
	if q.Limit, err = queryInt(c, "limit", ogcDefaultLimit, 1, ogcMaxLimit); err != nil {
		return q, err
	}
	if q.Offset, err = queryInt(c, "offset", 0, 0, 1<<30); err != nil {
		return q, err
	}
	bb, ok, err := queryBBox(c, "bbox")
	if err != nil {
		return q, err
	}
	if ok {
		q.BBox = &bb
	}
	for _, p := range []string{"bbox-crs", "crs"} {
		if v := c.Query(p); v != "" && v != crs84 {
			return q, badParam(p, v, "only "+crs84+" (WGS84 lon/lat) is served")
		}
	}
	if f := c.Query("f"); f != "" && f != "json" && f != "geojson" {
		return q, badParam("f", f, "must be json or geojson")
	}
	for k, vs := range c.Request.URL.Query() {
		if !slices.Contains(ogcReserved, k) {
			q.Where[k] = vs[0]
		}
	}
	return q, nil
}

// ogcFeatureCollection is an items page.
type ogcFeatureCollection struct {
	Type           string             `json:"type"`
	Features       []*geojson.Feature `json:"features"`
	NumberMatched  int                `json:"numberMatched"`
	NumberReturned int                `json:"numberReturned"`
	TimeStamp      string             `json:"timeStamp"`
	Links          []ogcLink          `json:"links"`
}

// handleOGCItems answers a page of a collection's features.
func (s *Server) handleOGCItems(c *gin.Context, v *view) error {
	col, err := ogcCollectionOf(c, v)
	if err != nil {
		return err
	}
	q, err := ogcItemsQuery(c)
	if err != nil {
		return err
	}
	fs, err := v.featureSet(c.Request.Context(), col, -1)
	if err != nil {
		return appError(err)
	}
	page, matched, err := fs.Query(q)
	if err != nil {
		return appError(err)
	}
	self := baseURL(c) + ogcPrefix + "/collections/" + url.PathEscape(col.ID) + "/items"
	at := func(offset int) string {
		p := c.Request.URL.Query()
		p.Set("offset", strconv.Itoa(offset))
		p.Set("limit", strconv.Itoa(q.Limit))
		return self + "?" + p.Encode()
	}
	out := ogcFeatureCollection{Type: "FeatureCollection", Features: page, NumberMatched: matched, NumberReturned: len(page),
		TimeStamp: time.Now().UTC().Format(time.RFC3339),
		Links: []ogcLink{{at(q.Offset), "self", mtGeoJSON, "This page"},
			{baseURL(c) + ogcPrefix + "/collections/" + url.PathEscape(col.ID), "collection", mtJSON, "The collection"}}}
	if q.Offset+len(page) < matched {
		out.Links = append(out.Links, ogcLink{at(q.Offset + len(page)), "next", mtGeoJSON, "Next page"})
	}
	if q.Offset > 0 {
		out.Links = append(out.Links, ogcLink{at(max(0, q.Offset-q.Limit)), "prev", mtGeoJSON, "Previous page"})
	}
	return sendJSON(c, ctGeoJSON, out)
}

// ogcFeature is one feature with its links.
type ogcFeature struct {
	*geojson.Feature
	Links []ogcLink `json:"links"`
}

// MarshalJSON writes the feature with a links member.
func (f ogcFeature) MarshalJSON() ([]byte, error) {
	raw, err := f.Feature.MarshalJSON()
	if err != nil {
		return nil, err
	}
	links, err := json.Marshal(f.Links)
	if err != nil {
		return nil, err
	}
	return append(append(append(raw[:len(raw)-1:len(raw)-1], `,"links":`...), links...), '}'), nil
}

// handleOGCItem answers one feature by id (ids may hold '/': carrier/site_id).
func (s *Server) handleOGCItem(c *gin.Context, v *view) error {
	col, err := ogcCollectionOf(c, v)
	if err != nil {
		return err
	}
	id := strings.TrimPrefix(c.Param("featureId"), "/")
	if id == "" {
		return s.handleOGCItems(c, v)
	}
	fs, err := v.featureSet(c.Request.Context(), col, -1)
	if err != nil {
		return appError(err)
	}
	f, ok := fs.Feature(id)
	if !ok {
		return fmt.Errorf("feature %q of collection %s: %w", id, col.ID, ErrNotFound)
	}
	b := baseURL(c) + ogcPrefix + "/collections/" + url.PathEscape(col.ID)
	return sendJSON(c, ctGeoJSON, ogcFeature{f, []ogcLink{
		{b + "/items/" + id, "self", mtGeoJSON, "This feature"},
		{b, "collection", mtJSON, "The collection"},
	}})
}

// featureSet returns col's features at zoom (< 0: full detail), computed once per view and
// kept in its response cache (within its bytes; failed builds are not kept). A measurement
// collection's set is computed once per measurements version (an import or a withdrawal
// changes it without a new state): the version is part of its key.
func (v *view) featureSet(ctx context.Context, col app.Collection, zoom int) (*app.FeatureSet, error) {
	key := "set|" + col.ID + "|" + strconv.Itoa(zoom)
	build := func() (*app.FeatureSet, string, error) {
		fs, err := v.st.Features(col, zoom)
		return fs, "", err
	}
	mv := ""
	if col.Kind == app.MeasurementsKind {
		var err error
		if mv, err = v.app.MeasurementsVersion(ctx); err != nil {
			return nil, err
		}
		key += "|" + mv
		build = func() (*app.FeatureSet, string, error) { return v.app.MeasurementFeatures(ctx, col) }
	}
	e, _ := v.cache.entry(key, nil)
	e.used.Store(time.Now().UnixNano())
	e.once.Do(func() {
		fs, got, err := build()
		if err == nil && got != mv {
			err = errStaleMeasurements // imported or withdrawn while building: not kept
		}
		v.cache.doneSet(e, fs, err)
	})
	if errors.Is(e.err, errStaleMeasurements) {
		return v.featureSet(ctx, col, zoom)
	}
	return e.set, e.err
}

// errStaleMeasurements: a measurement feature set was built at a newer measurements version
// than its cache entry names.
var errStaleMeasurements = errors.New("measurements changed while building")

// bboxOf is b as [minLon, minLat, maxLon, maxLat].
func bboxOf(b orb.Bound) [4]float64 { return [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} }

// collections lists the state's collections and then those of the stored measurements.
func (v *view) collections(ctx context.Context) ([]app.Collection, error) {
	m, _, err := v.app.MeasurementCollections(ctx)
	return append(v.st.Collections(), m...), err
}

// collection returns the collection with id, or app.ErrNoCollection.
func (v *view) collection(ctx context.Context, id string) (app.Collection, error) {
	cols, err := v.collections(ctx)
	if err != nil {
		return app.Collection{}, err
	}
	for _, c := range cols {
		if c.ID == id {
			return c, nil
		}
	}
	return app.Collection{}, fmt.Errorf("collection %q: %w", id, app.ErrNoCollection)
}

// measurementsKey is "|" + the measurements version for a measurement collection (it changes
// without a new state, so its cached answers are keyed by it), "" for any other.
func (v *view) measurementsKey(ctx context.Context, col app.Collection) (string, error) {
	if col.Kind != app.MeasurementsKind {
		return "", nil
	}
	mv, err := v.app.MeasurementsVersion(ctx)
	if err != nil {
		return "", appError(err)
	}
	return "|" + mv, nil
}
