package server

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/store"
)

// maxSitesLimit bounds limit= on /api/v1/sites.
const maxSitesLimit = 100000

// pointGeometry is a GeoJSON Point.
type pointGeometry struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"` // lon, lat
}

// siteFeature is one site as a GeoJSON Feature; its id is "carrier/site_id".
type siteFeature struct {
	Type       string        `json:"type"`
	ID         string        `json:"id"`
	Geometry   pointGeometry `json:"geometry"`
	Properties siteProps     `json:"properties"`
}

type siteProps struct {
	Carrier      string      `json:"carrier"`
	SiteID       string      `json:"site_id"`
	HeightM      float64     `json:"height_m"`
	Status       data.Status `json:"status"`
	Technologies []data.Tech `json:"technologies"`
	Sectors      any         `json:"sectors"`             // []sectorSummary in lists, []data.Sector for one site
	Synthetic    bool        `json:"synthetic,omitempty"` // one site of the demo's invented stations
}

// sectorSummary is what a site list carries per sector; /api/v1/sites/{carrier}/{site_id}
// gives every parameter.
type sectorSummary struct {
	Tech       data.Tech `json:"tech"`
	BandMHz    float64   `json:"band_mhz"`
	Omni       bool      `json:"omni,omitempty"`
	AzimuthDeg *float64  `json:"azimuth_deg,omitempty"` // absent for omni sectors
}

// sitesBody is the /api/v1/sites FeatureCollection with two foreign members.
type sitesBody struct {
	Type        string        `json:"type"`
	DataVersion uint64        `json:"data_version"`
	Matched     int           `json:"matched"`             // sites matching the filters before limit
	Synthetic   bool          `json:"synthetic,omitempty"` // the stations are invented demo data
	Note        string        `json:"note,omitempty"`
	Features    []siteFeature `json:"features"`
}

func siteToFeature(s *data.Site, full bool) siteFeature {
	techs := s.Techs()
	if techs == nil {
		techs = []data.Tech{}
	}
	f := siteFeature{
		Type:     "Feature",
		ID:       s.Carrier + "/" + s.SiteID,
		Geometry: pointGeometry{Type: "Point", Coordinates: [2]float64{s.Lon, s.Lat}},
		Properties: siteProps{
			Carrier: s.Carrier, SiteID: s.SiteID, HeightM: s.HeightM, Status: s.Status, Technologies: techs,
		},
	}
	if full {
		sec := s.Sectors
		if sec == nil {
			sec = []data.Sector{}
		}
		f.Properties.Sectors = sec
		return f
	}
	sum := make([]sectorSummary, len(s.Sectors))
	for i, sc := range s.Sectors {
		sum[i] = sectorSummary{Tech: sc.Tech, BandMHz: sc.BandMHz, Omni: sc.Omni}
		if !sc.Omni {
			az := sc.AzimuthDeg
			sum[i].AzimuthDeg = &az
		}
	}
	f.Properties.Sectors = sum
	return f
}

// handleSites lists sites as GeoJSON Points, filtered by bbox, carrier and tech, ordered by
// carrier then site id, at most limit of them. Without bbox and limit the answer is cached.
func (s *Server) handleSites(c *gin.Context, v *view) error {
	bb, hasBBox, err := queryBBox(c, "bbox")
	if err != nil {
		return err
	}
	carrier := c.Query("carrier")
	if _, ok := v.carrier[carrier]; carrier != "" && !ok {
		return badParam("carrier", carrier, "unknown carrier; see /api/v1/carriers")
	}
	tech, err := querySiteTech(c, "tech")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 0, 1, maxSitesLimit)
	if err != nil {
		return err
	}
	f := store.Filter{Carrier: carrier, Tech: tech}
	if hasBBox || limit > 0 {
		return sendJSON(c, ctGeoJSON, v.siteList(f, bb, hasBBox, limit))
	}
	return s.sendCached(c, v, sitesKey(f), sitesBuild(f))
}

// sitesKey and sitesBuild are the cached /api/v1/sites answer without bbox and limit.
func sitesKey(f store.Filter) string { return "sites|" + f.Carrier + "|" + string(f.Tech) }

func sitesBuild(f store.Filter) builder {
	return func(v *view) (*body, error) { return jsonBody(ctGeoJSON, v.siteList(f, orb.Bound{}, false, 0)) }
}

// siteList returns the sites matching f (and inside bb when hasBBox), ordered by carrier
// then site id, at most limit of them when limit > 0.
func (v *view) siteList(f store.Filter, bb orb.Bound, hasBBox bool, limit int) sitesBody {
	var sites []*data.Site
	if hasBBox {
		sites = v.st.Snapshot.InBBox(bb, f)
	} else {
		sites = v.st.Snapshot.Sites(f)
	}
	sites = slices.Clone(sites)
	slices.SortFunc(sites, func(a, b *data.Site) int {
		return cmp.Or(cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.SiteID, b.SiteID))
	})
	out := sitesBody{Type: "FeatureCollection", DataVersion: v.version, Matched: len(sites), Synthetic: v.st.Note != "", Note: v.st.Note}
	if limit > 0 && len(sites) > limit {
		sites = sites[:limit]
	}
	out.Features = make([]siteFeature, len(sites))
	for i, st := range sites {
		out.Features[i] = siteToFeature(st, false)
	}
	return out
}

// handleSite answers one site with every sector parameter; 404 for an unknown carrier or id.
func (s *Server) handleSite(c *gin.Context, v *view) error {
	key := data.SiteKey{Carrier: c.Param("carrier"), SiteID: c.Param("site_id")}
	site, ok := v.st.Snapshot.Site(key)
	if !ok {
		return fmt.Errorf("site %s/%s: %w", key.Carrier, key.SiteID, ErrNotFound)
	}
	f := siteToFeature(site, true)
	f.Properties.Synthetic = v.st.Note != ""
	return sendJSON(c, ctGeoJSON, f)
}
