package server

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/coverage/pocket"
	"phusong/data/population"
	"phusong/data/render"
	"phusong/server/app"
)

// People answers: the dead-zone pockets of a technology, and where people live (the density
// image and the population grid's reconciliation with the census).

// cachedMinPeople are the min_people= values whose answers are cached per state (the map's
// default among them); others are computed for the request alone, so that the cache stays
// bounded by the validated parameters.
var cachedMinPeople = []int{0, 10, 20, 50, 100, 200, 500, 1000}

// maxMinPeople bounds min_people=.
const maxMinPeople = 1_000_000

// pocketParams reads tech= (default 4G), min_people= (whole people ≥ 0, default 50) and
// commune= (a commune code, or all) of /api/v1/pockets.
func pocketParams(c *gin.Context, v *view) (tech data.Tech, minPeople int, commune string, err error) {
	if tech, err = queryTech(c, "tech", data.Tech4G); err != nil {
		return
	}
	if minPeople, err = queryInt(c, "min_people", int(pocket.DefaultMinPeople), 0, maxMinPeople); err != nil {
		return
	}
	commune = c.Query("commune")
	if _, ok := v.commune[commune]; commune != "" && !ok {
		err = badParam("commune", commune, "unknown commune code; see /api/v1/communes")
	}
	return
}

// pocketsRequest is the pockets layer of tech with at least minPeople people (of commune, or
// all), simplified for zoom (< 0: full detail).
func pocketsRequest(tech data.Tech, minPeople int, commune string, zoom int) app.LayerRequest {
	return app.LayerRequest{Kind: app.LayerPockets, Tech: tech, MinPeople: float64(minPeople), Commune: commune, Zoom: zoom}
}

// handlePockets answers the dead-zone pockets of tech= with at least min_people= people (of
// commune= when given), ranked by people, as GeoJSON polygons with their people, households,
// area, centre, communes and the distances to the nearest site of every carrier and to the
// nearest fibre access point (render.Pockets); zoom= (optional, clamped to the map's range)
// simplifies the polygons, full detail without it.
func (s *Server) handlePockets(c *gin.Context, v *view) error {
	tech, minPeople, commune, err := pocketParams(c, v)
	if err != nil {
		return err
	}
	zoom := -1
	if _, ok := c.GetQuery("zoom"); ok {
		if zoom, err = queryZoom(c); err != nil {
			return err
		}
	}
	build := func(v *view) (*body, error) {
		fc, _, err := v.st.Layer(pocketsRequest(tech, minPeople, commune, zoom))
		if err != nil {
			return nil, appError(err)
		}
		return jsonBody(ctGeoJSON, fc)
	}
	if !slices.Contains(cachedMinPeople, minPeople) {
		b, err := build(v)
		if err != nil {
			return err
		}
		send(c, b.compress(nil))
		return nil
	}
	return s.sendCached(c, v, fmt.Sprintf("pockets|%s|%d|%s|%d", tech, minPeople, commune, zoom), build)
}

// exportPockets answers /api/v1/pockets as KML (each pocket labelled with its people) or CSV
// (one row per pocket, its outline as WKT or EWKB), at full detail.
func (s *Server) exportPockets(c *gin.Context, v *view, format string, geometry render.GeometryColumn) error {
	tech, minPeople, commune, err := pocketParams(c, v)
	if err != nil {
		return err
	}
	name := "pockets_" + string(tech) + "_min" + strconv.Itoa(minPeople)
	if commune != "" {
		name += "_" + commune
	}
	req := pocketsRequest(tech, minPeople, commune, -1)
	if !slices.Contains(cachedMinPeople, minPeople) {
		b, err := v.exportBody(name, format, geometry, req)
		if err != nil {
			return err
		}
		c.Header("Content-Disposition", `attachment; filename="`+exportFileName(name, format)+`"`)
		send(c, b.compress(nil))
		return nil
	}
	return s.sendExport(c, v, name, format, geometry, req)
}

// populationBody is /api/v1/population: where the people of every figure come from, the
// density image's place and legend, and each commune's reconciliation with the census.
type populationBody struct {
	DataVersion uint64 `json:"data_version"`
	render.PopulationSummary
	Basis    string               `json:"basis"`
	Image    densityImageInfo     `json:"image"`
	Communes []population.Commune `json:"communes"` // code order; empty without a population grid
}

// densityImageInfo places /api/v1/population.png on the map and gives its legend.
type densityImageInfo struct {
	URL           string     `json:"url"`
	Bounds        [4]float64 `json:"bounds"` // west, south, east, north: a Leaflet image overlay's corners
	Width         int        `json:"width"`
	Height        int        `json:"height"`
	BreaksPerKM2  []float64  `json:"breaks_per_km2"` // class i ≥ 1 from breaks[i−1]; below the first, transparent
	Colours       []string   `json:"colours"`
	PixelM        float64    `json:"pixel_m"`
	SyntheticNote string     `json:"note,omitempty"`
}

// handlePopulation answers the population summary (render.PopulationSummaryOf) and the density
// image's description.
func (s *Server) handlePopulation(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "population", func(v *view) (*body, error) {
		img, err := v.density()
		if err != nil {
			return nil, err
		}
		e := v.st.Coverage.Engine()
		out := populationBody{DataVersion: v.version, PopulationSummary: render.PopulationSummaryOf(e),
			Basis: render.PopulationBasisFor(e.Population()), Communes: []population.Commune{},
			Image: densityImageInfo{URL: "api/v1/population.png", Bounds: roundBounds(img.Bounds), Width: img.Width, Height: img.Height,
				BreaksPerKM2: render.DensityBreaksPerKM2, Colours: render.DensityColours, PixelM: img.PixelM,
				SyntheticNote: v.st.PopulationNote()}}
		if pop := e.Population(); pop != nil {
			for _, c := range pop.Communes {
				c.RasterPeople, c.Factor = round6(c.RasterPeople), round6(c.Factor)
				out.Communes = append(out.Communes, c)
			}
		}
		return jsonBody(ctJSON, out)
	})
}

// roundBounds rounds a bound to 1e-7 degrees (1 cm).
func roundBounds(b [4]float64) [4]float64 {
	for i := range b {
		b[i] = math.Round(b[i]*1e7) / 1e7
	}
	return b
}

// handlePopulationPNG answers the population density image (render.Density).
func (s *Server) handlePopulationPNG(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "population.png", func(v *view) (*body, error) {
		img, err := v.density()
		if err != nil {
			return nil, err
		}
		return newBody("image/png", cacheRevalidate, img.PNG, noGzip), nil
	})
}

// density is the state's density image, made once per view.
func (v *view) density() (*render.DensityImage, error) {
	v.densityOnce.Do(func() { v.densityImg, v.densityErr = v.st.Density() })
	return v.densityImg, v.densityErr
}
