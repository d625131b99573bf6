package server

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"phusong/data/render"
	"phusong/server/app"
)

// Vector tiles of every collection: /tiles/{collection}/{z}/{x}/{y}.mvt (Mapbox Vector Tile,
// one layer named after the collection) and /tiles/{collection}.json (TileJSON 3.0). Coverage
// and gaps come simplified for the tile's zoom from the engine's polygons (render's per-zoom
// simplification, zooms clamped to [zoomMin, zoomMax]); every tile is clipped and simplified
// within 1/16 pixel (render.MVT). Tiles are computed once per data version, with their ETag.

// Zooms served as tiles: beyond tileMaxZoom a client overzooms (the 50 m grid shows nothing
// finer).
const tileMaxZoom = zoomMax

// ctMVT is the media type of Mapbox Vector Tiles.
const ctMVT = "application/vnd.mapbox-vector-tile"

// tileCoord reads z, x and y ("{y}.mvt") of a tile URL: 400 for a tile that does not exist.
func tileCoord(c *gin.Context) (maptile.Tile, error) {
	y, ok := strings.CutSuffix(c.Param("y"), ".mvt")
	if !ok {
		return maptile.Tile{}, badParam("y", c.Param("y"), "must be a tile row followed by .mvt")
	}
	var n [3]int
	for i, p := range []struct{ name, v string }{{"z", c.Param("z")}, {"x", c.Param("x")}, {"y", y}} {
		v, err := strconv.Atoi(p.v)
		if err != nil || v < 0 {
			return maptile.Tile{}, badParam(p.name, p.v, "must be a whole number ≥ 0")
		}
		n[i] = v
	}
	if n[0] > tileMaxZoom {
		return maptile.Tile{}, badParam("z", c.Param("z"), fmt.Sprintf("tiles are served up to zoom %d (overzoom beyond)", tileMaxZoom))
	}
	if lim := 1 << n[0]; n[1] >= lim || n[2] >= lim {
		return maptile.Tile{}, badParam("x", c.Param("x")+"/"+y, fmt.Sprintf("x and y must be below %d at zoom %d", lim, n[0]))
	}
	return maptile.New(uint32(n[1]), uint32(n[2]), maptile.Zoom(n[0])), nil
}

// tileCollection reads the collection of a tile route: 404 for an unknown one.
func tileCollection(ctx context.Context, v *view, id string) (app.Collection, error) {
	col, err := v.collection(ctx, id)
	if err != nil {
		return col, fmt.Errorf("%w (see /ogc/collections)", err)
	}
	return col, nil
}

// handleTile answers one vector tile; query parameters filter the features by property as
// on the items route (?tier=0: the coverage threshold only).
func (s *Server) handleTile(c *gin.Context, v *view) error {
	col, err := tileCollection(c.Request.Context(), v, c.Param("collection"))
	if err != nil {
		return err
	}
	t, err := tileCoord(c)
	if err != nil {
		return err
	}
	zoom := min(max(int(t.Z), zoomMin), zoomMax)
	where := map[string]string{}
	var filter []string
	for k, vs := range c.Request.URL.Query() {
		where[k] = vs[0]
		filter = append(filter, k+"="+vs[0])
	}
	// The features of the selection, from view v: the request's, or the next data version's
	// when the cache is warmed for it (the builder below runs again then).
	selected := func(v *view) ([]*geojson.Feature, []orb.Bound, error) {
		fs, err := v.featureSet(c.Request.Context(), col, zoom)
		if err != nil {
			return nil, nil, appError(err)
		}
		feats, bounds, err := fs.Select(where)
		if err != nil {
			return nil, nil, appError(err)
		}
		return feats, bounds, nil
	}
	_, bounds, err := selected(v)
	if err != nil {
		return err
	}
	if !meets(bounds, t.Bound()) {
		send(c, newBody(ctMVT, cacheRevalidate, []byte{}, noGzip)) // an MVT of no layer, not cached
		return nil
	}
	slices.Sort(filter) // only tiles with features of the selection are cached: the cache stays bounded
	key := fmt.Sprintf("tile|%s|%d|%d|%d|%s", col.ID, t.Z, t.X, t.Y, strings.Join(filter, "&"))
	mk, err := v.measurementsKey(c.Request.Context(), col)
	if err != nil {
		return err
	}
	key += mk
	return s.sendCached(c, v, key, func(v *view) (*body, error) {
		feats, bounds, err := selected(v)
		if err != nil {
			return nil, err
		}
		raw, err := render.MVT(t, []render.TileLayer{{Name: col.ID, Features: feats, Bounds: bounds}})
		if err != nil {
			return nil, err
		}
		return newBody(ctMVT, cacheRevalidate, raw, gzipLevelTiles), nil
	})
}

// meets reports whether one of bounds (of non-empty geometries) meets b.
func meets(bounds []orb.Bound, b orb.Bound) bool {
	for _, fb := range bounds {
		if fb != (orb.Bound{}) && fb.Intersects(b) {
			return true
		}
	}
	return false
}

// gzipLevelTiles: tiles are many and small; the default level compresses them nearly as well
// as the best at a fraction of the time.
const gzipLevelTiles = 6

// tileJSON is a TileJSON 3.0.0 document.
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []vectorLayer `json:"vector_layers"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"` // property → Number, Boolean or String
}

// handleTileJSON answers /tiles/{collection}.json.
func (s *Server) handleTileJSON(c *gin.Context, v *view) error {
	id, ok := strings.CutSuffix(c.Param("collection"), ".json")
	if !ok {
		return fmt.Errorf("no route %s (tiles are /tiles/{collection}/{z}/{x}/{y}.mvt, TileJSON /tiles/{collection}.json): %w", c.Request.URL.Path, ErrNotFound)
	}
	col, err := tileCollection(c.Request.Context(), v, id)
	if err != nil {
		return err
	}
	fs, err := v.featureSet(c.Request.Context(), col, zoomMin)
	if err != nil {
		return appError(err)
	}
	bd := v.bound
	if len(fs.Features) > 0 {
		bd = fs.Bound
	}
	fields := map[string]string{}
	for _, f := range fs.Features {
		for k, val := range f.Properties {
			switch val.(type) {
			case bool:
				fields[k] = "Boolean"
			case int, int64, float64:
				fields[k] = "Number"
			default:
				fields[k] = "String"
			}
		}
	}
	ctr := bd.Center()
	return sendJSON(c, ctJSON, tileJSON{TileJSON: "3.0.0", Name: col.Title, Description: col.Description + v.noteSentence(),
		Version: strconv.FormatUint(v.version, 10), Scheme: "xyz",
		Tiles:   []string{baseURL(c) + "/tiles/" + url.PathEscape(col.ID) + "/{z}/{x}/{y}.mvt"},
		MinZoom: 0, MaxZoom: tileMaxZoom, Bounds: bboxOf(bd), Center: [3]float64{ctr[0], ctr[1], defaultZoom},
		VectorLayers: []vectorLayer{{ID: col.ID, Description: col.Title, MinZoom: 0, MaxZoom: tileMaxZoom, Fields: fields}}})
}
