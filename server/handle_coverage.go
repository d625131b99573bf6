package server

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/server/app"
)

// anyCarrier is the carrier= value for the best of all carriers.
const anyCarrier = coverage.AnyCarrier

// defaultZoom is the zoom= default of /api/v1/coverage: the whole province on a phone.
const defaultZoom = 9

// queryCarrier reads carrier= for coverage: "any" (the default) or a listed carrier id.
func queryCarrier(c *gin.Context, v *view) (string, error) {
	id := c.DefaultQuery("carrier", anyCarrier)
	if _, ok := v.carrier[id]; ok || id == anyCarrier {
		return id, nil
	}
	return "", badParam("carrier", id, "must be any or a carrier id from /api/v1/carriers")
}

// coverageKey and coverageBuild are the cached /api/v1/coverage answer for validated
// parameters.
func coverageKey(carrier string, tech data.Tech, tier, zoom int) string {
	return fmt.Sprintf("coverage|%s|%s|%d|%d", carrier, tech, tier, zoom)
}

// coverageKeyLayer returns the carrier and technology of a coverageKey; ok is false for any
// other key.
func coverageKeyLayer(key string) (carrier string, tech data.Tech, ok bool) {
	parts := strings.Split(key, "|")
	if len(parts) != 5 || parts[0] != "coverage" {
		return "", "", false
	}
	return parts[1], data.Tech(parts[2]), true
}

func coverageBuild(carrier string, tech data.Tech, tier, zoom int) builder {
	return coverageBuildIn(carrier, tech, tier, zoom, "")
}

// coverageBuildIn is coverageBuild clipped to province's bounding box ("" = everything).
func coverageBuildIn(carrier string, tech data.Tech, tier, zoom int, province string) builder {
	return func(v *view) (*body, error) {
		stored := func() (*body, bool) { // Layer's bytes, as the database keeps them
			if province != "" {
				return nil, false
			}
			raw, gz, ok := v.st.StoredCoverage(carrier, tech, tier, zoom)
			if !ok {
				return nil, false
			}
			return newBody(ctGeoJSON, cacheRevalidate, raw, gzipLevelAnswers).withGzip(gz), true
		}
		if b, ok := stored(); ok { // stored by an earlier start
			return b, nil
		}
		fc, _, err := v.st.Layer(app.LayerRequest{Kind: app.LayerCoverage, Carrier: carrier, Tech: tech, Tier: tier, Zoom: zoom, Province: province})
		if errors.Is(err, app.ErrNoSites) {
			return jsonBody(ctGeoJSON, geojson.NewFeatureCollection()) // listed carrier without sites
		}
		if err != nil {
			return nil, appError(err)
		}
		if b, ok := stored(); ok { // stored by Layer just now: not encoded and compressed again
			return b, nil
		}
		return jsonBody(ctGeoJSON, fc)
	}
}

// coverageParams parses the parameters the coverage layer shares across formats: tech=
// (default 4G), carrier= (an ID or any) and tier= (0 = threshold, 1.. = the definition's tiers).
func coverageParams(c *gin.Context, v *view) (tech data.Tech, carrier string, tier int, err error) {
	if tech, err = queryTech(c, "tech", data.Tech4G); err != nil {
		return
	}
	if carrier, err = queryCarrier(c, v); err != nil {
		return
	}
	rule, _ := v.def.Rule(tech)
	tier, err = queryInt(c, "tier", 0, 0, len(rule.TiersDBm))
	return
}

// handleCoverage answers the coverage polygons of one carrier (or any) and tech: tier 0 is
// the area meeting the coverage threshold, tiers 1.. the heat-map levels of the definition.
// zoom selects the simplification and is clamped to [zoomMin, zoomMax].
func (s *Server) handleCoverage(c *gin.Context, v *view) error {
	tech, carrier, tier, err := coverageParams(c, v)
	if err != nil {
		return err
	}
	zoom, err := queryZoom(c)
	if err != nil {
		return err
	}
	province, err := queryProvince(c, v)
	if err != nil {
		return err
	}
	if province != "" {
		return s.sendCached(c, v, coverageKey(carrier, tech, tier, zoom)+"|"+province, coverageBuildIn(carrier, tech, tier, zoom, province))
	}
	return s.sendCached(c, v, coverageKey(carrier, tech, tier, zoom), coverageBuild(carrier, tech, tier, zoom))
}

// queryProvince parses province= (a name of /api/v1/provinces; "" or absent: every province).
func queryProvince(c *gin.Context, v *view) (string, error) {
	name := c.Query("province")
	if name == "" || slices.ContainsFunc(v.st.Communes, func(cm data.Commune) bool { return cm.Province == name }) {
		return name, nil
	}
	return "", badParam("province", name, "unknown province; see /api/v1/provinces")
}

// handleGaps answers the uncovered parts of every commune (or of commune=CODE) for tech.
func (s *Server) handleGaps(c *gin.Context, v *view) error {
	tech, err := queryTech(c, "tech", data.Tech4G)
	if err != nil {
		return err
	}
	code := c.Query("commune")
	if _, ok := v.commune[code]; code != "" && !ok {
		return badParam("commune", code, "unknown commune code; see /api/v1/communes")
	}
	province, err := queryProvince(c, v)
	if err != nil {
		return err
	}
	return s.sendCached(c, v, gapsKey(tech, code, province), gapsBuild(tech, code, province))
}

// gapsKey is the cache key of the gaps of tech in commune code ("": every commune) and
// province ("": every province).
func gapsKey(tech data.Tech, code, province string) string {
	return "gaps|" + string(tech) + "|" + code + "|" + province
}

// gapsBuild builds the answer under gapsKey(tech, code, province).
func gapsBuild(tech data.Tech, code, province string) builder {
	return func(v *view) (*body, error) {
		req := gapsRequest(tech, code)
		req.Province = province
		fc, _, err := v.st.Layer(req)
		if err != nil {
			return nil, appError(err)
		}
		return jsonBody(ctGeoJSON, fc)
	}
}

// gapsRequest is the gaps layer of the map and its exports: tech, one commune or all, gap
// pieces under coverage.DefaultMinGapAreaM2 dropped.
func gapsRequest(tech data.Tech, commune string) app.LayerRequest {
	return app.LayerRequest{Kind: app.LayerGaps, Tech: tech, Commune: commune, MinGapAreaM2: coverage.DefaultMinGapAreaM2}
}

// signalBody is /api/v1/signal.
type signalBody struct {
	Lon               float64       `json:"lon"`
	Lat               float64       `json:"lat"`
	DataVersion       uint64        `json:"data_version"`
	DefinitionVersion string        `json:"definition_version"`
	Calibration       string        `json:"calibration"`
	Commune           *communeRef   `json:"commune"` // null outside every commune
	Levels            []signalLevel `json:"levels"`  // per carrier then "any", per tech; [] outside the grid
}

// communeRef names a commune.
type communeRef struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
}

// signalLevel is one carrier's (or "any" carrier's) predicted level for one tech at a point.
type signalLevel struct {
	Carrier            string    `json:"carrier"` // a carrier id, or "any" (the best of all)
	Tech               data.Tech `json:"tech"`
	LevelDBm           *float64  `json:"level_dbm"`                 // median prediction, 0.1 dB; null when no site reaches the point
	ServingCarrier     string    `json:"serving_carrier,omitempty"` // the best site's carrier (differs from Carrier for "any")
	ServingSiteID      string    `json:"serving_site_id,omitempty"`
	CoveredOutdoor     bool      `json:"covered_outdoor"`
	CoveredIndoor      bool      `json:"covered_indoor"`
	RequiredOutdoorDBm float64   `json:"required_outdoor_dbm"`
	RequiredIndoorDBm  float64   `json:"required_indoor_dbm"`
}

// handleSignal answers the predicted level per carrier and tech at lon, lat, with the
// serving site and whether it counts as covered outdoors and indoors.
func (s *Server) handleSignal(c *gin.Context, v *view) error {
	p, err := queryPoint(c)
	if err != nil {
		return err
	}
	out := signalBody{Lon: p[0], Lat: p[1], DataVersion: v.version, DefinitionVersion: v.st.Coverage.DefinitionVersion(),
		Calibration: v.st.Coverage.Calibration(), Levels: []signalLevel{}}
	if cm := v.communeAt(p); cm != nil {
		out.Commune = &communeRef{Code: cm.Code, Name: cm.Name, NameEN: cm.NameEN}
	}
	for _, pl := range v.st.Coverage.At(p) {
		l := signalLevel{
			Carrier: pl.Carrier, Tech: pl.Tech, ServingCarrier: pl.Serving.Carrier, ServingSiteID: pl.Serving.SiteID,
			CoveredOutdoor: pl.CoveredOutdoor, CoveredIndoor: pl.CoveredIndoor,
			RequiredOutdoorDBm: round1(pl.RequiredOutdoorDBm), RequiredIndoorDBm: round1(pl.RequiredIndoorDBm),
		}
		if !math.IsNaN(pl.LevelDBm) && !math.IsInf(pl.LevelDBm, 0) {
			dbm := round1(pl.LevelDBm)
			l.LevelDBm = &dbm
		}
		out.Levels = append(out.Levels, l)
	}
	return sendJSON(c, ctJSON, out)
}

// round1 rounds to 0.1 (dB figures).
func round1(x float64) float64 { return math.Round(x*10) / 10 }
