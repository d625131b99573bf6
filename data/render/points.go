package render

import (
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/fibre"
)

// Sites returns sites as Point features (lon/lat) with flat properties, one value per column so
// that every format can hold them (GeoJSON, GeoPackage, Shapefile, CSV): carrier, site_id,
// height_m, status, technologies (space-separated, e.g. "3G 4G"), sectors (count). Each
// feature's id is "carrier/site_id", as in /api/v1/sites.
func Sites(sites []*data.Site) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, s := range sites {
		techs := make([]string, 0, 4)
		for _, t := range s.Techs() {
			techs = append(techs, string(t))
		}
		f := geojson.NewFeature(orb.Point{s.Lon, s.Lat})
		f.ID = s.Carrier + "/" + s.SiteID
		f.Properties = geojson.Properties{"carrier": s.Carrier, "site_id": s.SiteID, "height_m": s.HeightM,
			"status": string(s.Status), "technologies": strings.Join(techs, " "), "sectors": len(s.Sectors)}
		fc.Append(f)
	}
	return fc
}

// FibreRoutes returns routes as LineString features with properties operator, kind and
// route_id; each id is "operator/route/<route_id>", as in /api/v1/fibre.
func FibreRoutes(routes []fibre.Route) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, r := range routes {
		f := geojson.NewFeature(r.Line)
		f.ID = r.Operator + "/" + fibre.RouteKeyPrefix + r.RouteID
		f.Properties = geojson.Properties{"operator": r.Operator, "kind": string(r.Kind), "route_id": r.RouteID}
		fc.Append(f)
	}
	return fc
}

// FibreAccessPoints returns access points as Point features with properties operator,
// access_point_id and ports (0 = unknown); each id is "operator/ap/<id>", as in /api/v1/fibre.
func FibreAccessPoints(aps []fibre.AccessPoint) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, a := range aps {
		f := geojson.NewFeature(a.Point)
		f.ID = a.Operator + "/" + fibre.AccessPointKeyPrefix + a.ID
		f.Properties = geojson.Properties{"operator": a.Operator, "access_point_id": a.ID, "ports": a.Ports}
		fc.Append(f)
	}
	return fc
}
