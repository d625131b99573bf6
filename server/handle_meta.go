package server

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/render"
	"phusong/server/app"
)

// Zoom range of the coverage polygons: below zoomMin the province is smaller than a phone
// screen, above zoomMax the 50 m grid is the limit of what the polygons can show.
const (
	zoomMin = 7
	zoomMax = 15
)

// carrierInfo is one carrier as listed by /api/v1/carriers and /api/v1/info.
type carrierInfo struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	MNC         string            `json:"mnc"`
	Colour      string            `json:"colour"`
	Sites       int               `json:"sites"`         // sites in the snapshot, any status
	SitesByTech map[data.Tech]int `json:"sites_by_tech"` // sites carrying each technology
}

// techInfo is the coverage rule of one analysed technology, for legends.
type techInfo struct {
	Tech               data.Tech `json:"tech"`
	Metric             string    `json:"metric"`               // RSRP or RSCP
	ThresholdDBm       float64   `json:"threshold_dbm"`        // tier 0 of /api/v1/coverage
	Reliability        float64   `json:"reliability"`          // location probability
	RequiredOutdoorDBm float64   `json:"required_outdoor_dbm"` // median level needed outdoors
	RequiredIndoorDBm  float64   `json:"required_indoor_dbm"`  // median level needed indoors
	TiersDBm           []float64 `json:"tiers_dbm"`            // tiers 1.. of /api/v1/coverage, strongest first
	CutoffDBm          float64   `json:"cutoff_dbm"`           // levels below are not predicted (null in /api/v1/signal)
}

// infoBody is /api/v1/info: what the map needs before drawing anything.
type infoBody struct {
	Name              string        `json:"name"`
	DataVersion       uint64        `json:"data_version"`
	DefinitionVersion string        `json:"definition_version"`
	Calibration       string        `json:"calibration"` // calibrated with N samples (dates), or uncalibrated
	Demo              bool          `json:"demo"`        // stations are synthetic demo data
	Note              string        `json:"note"`        // the sentence to show when Demo
	TilesURL          string        `json:"tiles_url"`
	TilesAttribution  string        `json:"tiles_attribution"`
	Bounds            [4]float64    `json:"bounds"` // minLon, minLat, maxLon, maxLat of the communes
	ZoomMin           int           `json:"zoom_min"`
	ZoomMax           int           `json:"zoom_max"`
	Techs             []techInfo    `json:"techs"`
	Carriers          []carrierInfo `json:"carriers"`
	Communes          int           `json:"communes"`
	// Fibre: the operators with fibre in the served network (their province figures), the drop
	// distance of the reach, and the note to show when the network is synthetic.
	FibreOperators []fibreOperatorInfo `json:"fibre_operators"`
	FibreDropM     float64             `json:"fibre_drop_m"`
	FibreNote      string              `json:"fibre_note"`
	// Population: how the people of every figure are placed (a population grid or the census
	// spread uniformly: /api/v1/population has the details), and the note to show when the
	// grid is synthetic.
	PopulationSpread string        `json:"population_spread"`
	PopulationNote   string        `json:"population_note"`
	Build            app.BuildInfo `json:"build"` // which phusong answers (version, VCS revision, time, dirty flag)
	// Context: the offline background layer (/api/v1/context), null when there is none.
	Context *contextInfo `json:"context"`
}

// contextInfo describes the context layer for /api/v1/info.
type contextInfo struct {
	Features    int    `json:"features"`
	Attribution string `json:"attribution"` // HTML, as configured (serve --context-attribution)
}

// handleContext serves the context layer (roads and water, lon/lat), 404 when the server has
// none.
func (s *Server) handleContext(c *gin.Context, _ *view) error {
	if s.context == nil {
		return fmt.Errorf("no context layer (serve --context FILE adds one): %w", ErrNotFound)
	}
	send(c, s.context)
	return nil
}

func (s *Server) handleInfo(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "info", func(v *view) (*body, error) {
		info := v.info(s.opts)
		info.Build = s.build
		if s.opts.Context != nil {
			info.Context = &contextInfo{Features: len(s.opts.Context.Features), Attribution: s.opts.ContextAttribution}
		}
		return jsonBody(ctJSON, info)
	})
}

func (v *view) info(opts Options) infoBody {
	bd := v.bound
	out := infoBody{
		Name:              "phusong",
		DataVersion:       v.version,
		DefinitionVersion: v.st.Coverage.DefinitionVersion(),
		Calibration:       v.st.Coverage.Calibration(),
		Demo:              v.st.Note != "",
		Note:              v.st.Note,
		TilesURL:          opts.TilesURL,
		TilesAttribution:  opts.TilesAttribution,
		Bounds:            [4]float64{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]},
		ZoomMin:           zoomMin,
		ZoomMax:           zoomMax,
		Techs:             []techInfo{},
		Carriers:          v.carriers,
		Communes:          len(v.st.Communes),
		FibreOperators:    v.fibreOperators(),
		FibreNote:         v.st.FibreNote,
		PopulationSpread:  render.PopulationSummaryOf(v.st.Coverage.Engine()).Spread,
		PopulationNote:    v.st.PopulationNote(),
	}
	if v.st.FibreReach != nil {
		out.FibreDropM = v.st.FibreReach.DropM()
	}
	for _, t := range data.AnalysedTechs {
		r, ok := v.def.Rule(t)
		if !ok {
			continue
		}
		cutoff, _ := v.st.Coverage.Engine().CutoffDBm(t)
		out.Techs = append(out.Techs, techInfo{
			Tech: t, Metric: r.Metric, ThresholdDBm: r.ThresholdDBm, Reliability: r.Reliability,
			RequiredOutdoorDBm: r.RequiredMedianDBm(false), RequiredIndoorDBm: r.RequiredMedianDBm(true),
			TiersDBm: r.TiersDBm, CutoffDBm: round1(cutoff),
		})
	}
	return out
}

// carriersBody is /api/v1/carriers.
type carriersBody struct {
	DataVersion uint64        `json:"data_version"`
	Carriers    []carrierInfo `json:"carriers"`
}

func (s *Server) handleCarriers(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "carriers", func(v *view) (*body, error) {
		return jsonBody(ctJSON, carriersBody{DataVersion: v.version, Carriers: v.carriers})
	})
}

// healthBody is /healthz.
type healthBody struct {
	Status            string        `json:"status"`
	DataVersion       uint64        `json:"data_version"`
	DefinitionVersion string        `json:"definition_version"`
	Calibration       string        `json:"calibration"`
	Build             app.BuildInfo `json:"build"`
}

func (s *Server) handleHealthz(c *gin.Context, v *view) error {
	c.Header("Cache-Control", "no-store")
	c.JSON(200, healthBody{Status: "ok", DataVersion: v.version, DefinitionVersion: v.st.Coverage.DefinitionVersion(),
		Calibration: v.st.Coverage.Calibration(), Build: s.build})
	return nil
}
