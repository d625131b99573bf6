package server

import (
	"bytes"
	"fmt"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/render"
	"phusong/server/app"
)

// handleCommunes answers every commune polygon with its statistics per tech and its fibre
// reach (fibre_* properties) as properties.
func (s *Server) handleCommunes(c *gin.Context, v *view) error {
	province, err := queryProvince(c, v)
	if err != nil {
		return err
	}
	if province == "" {
		return s.sendCached(c, v, communesKey, (*view).communesBuild)
	}
	return s.sendCached(c, v, communesKey+"|"+province, func(v *view) (*body, error) {
		fc, _, err := v.st.Layer(app.LayerRequest{Kind: app.LayerCommunes, Province: province})
		if err != nil {
			return nil, appError(err)
		}
		return jsonBody(ctGeoJSON, fc)
	})
}

// handleProvinces answers the provinces of the served communes (app.State.Provinces): name,
// bounding box, communes, sites and census figures, for the map's province selector.
func (s *Server) handleProvinces(c *gin.Context, v *view) error {
	return s.sendCached(c, v, "provinces", func(v *view) (*body, error) {
		return jsonBody(ctJSON, provincesBody{DataVersion: v.version, Provinces: v.st.Provinces()})
	})
}

// provincesBody is /api/v1/provinces.
type provincesBody struct {
	DataVersion uint64         `json:"data_version"`
	Provinces   []app.Province `json:"provinces"`
}

// communesKey and communesBuild are the cached /api/v1/communes answer.
const communesKey = "communes"

func (v *view) communesBuild() (*body, error) {
	fc, _, err := v.st.Layer(app.LayerRequest{Kind: app.LayerCommunes})
	if err != nil {
		return nil, err
	}
	return jsonBody(ctGeoJSON, fc)
}

// communeBody is /api/v1/communes/{code}: the commune's census figures, its full statistics
// per analysed tech (per carrier inside) and its fibre reach.
type communeBody struct {
	Code              string                              `json:"code"`
	Name              string                              `json:"name"`
	NameEN            string                              `json:"name_en"`
	Type              data.CommuneType                    `json:"type"`
	Population        int                                 `json:"population"`
	Households        int                                 `json:"households"`
	BBox              [4]float64                          `json:"bbox"`
	DataVersion       uint64                              `json:"data_version"`
	DefinitionVersion string                              `json:"definition_version"`
	Calibration       string                              `json:"calibration"`
	Techs             map[data.Tech]coverage.CommuneStats `json:"techs"`
	communeFibre                                          // fibre_* figures and the full fibre reach
}

// handleCommune answers one commune; 404 for an unknown code.
func (s *Server) handleCommune(c *gin.Context, v *view) error {
	code := c.Param("code")
	i, ok := v.commune[code]
	if !ok {
		return fmt.Errorf("commune %q: %w", code, ErrNotFound)
	}
	return s.sendCached(c, v, "commune|"+code, func(v *view) (*body, error) {
		cm := v.st.Communes[i]
		b := v.bounds[i]
		out := communeBody{
			Code: cm.Code, Name: cm.Name, NameEN: cm.NameEN, Type: cm.Type,
			Population: cm.Population, Households: cm.Households,
			BBox:        [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
			DataVersion: v.version, DefinitionVersion: v.st.Coverage.DefinitionVersion(), Calibration: v.st.Coverage.Calibration(),
			Techs: map[data.Tech]coverage.CommuneStats{}, communeFibre: communeFibreOf(v.fibreRows(), code, true),
		}
		for _, st := range v.st.Coverage.Communes() {
			if st.Code == code {
				out.Techs[st.Tech] = st
			}
		}
		return jsonBody(ctJSON, out)
	})
}

// handleReportCSV answers the per-commune table (all analysed techs, or tech=) as CSV.
func (s *Server) handleReportCSV(c *gin.Context, v *view) error {
	tech, err := queryTech(c, "tech", "")
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", fmt.Sprintf(`inline; filename="phusong-communes%s.csv"`, techSuffix(tech)))
	return s.sendCached(c, v, "report|"+string(tech), func(v *view) (*body, error) {
		var buf bytes.Buffer
		var techs []data.Tech
		if tech != "" {
			techs = []data.Tech{tech}
		}
		if err := render.WriteReportCSV(&buf, v.st.Report(techs)); err != nil {
			return nil, err
		}
		return newBody(ctCSV, cacheRevalidate, buf.Bytes(), gzipLevelAnswers), nil
	})
}

func techSuffix(t data.Tech) string {
	if t == "" {
		return ""
	}
	return "-" + string(t)
}
