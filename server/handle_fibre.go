package server

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/fibre"
	"phusong/data/render"
)

// Fibre answers: the operators' routes and access points, their reach polygons, the fibre
// figures of every commune, and the combined 4G-and-fibre view. Like every other answer they
// depend only on the served State (cached per state, ETag and gzip) except /fibre with a bbox.

// fibreKinds are the kind= values of /api/v1/fibre in canonical order: the route kinds, then
// access points.
var fibreKinds = []string{string(fibre.Backbone), string(fibre.Feeder), string(fibre.Distribution), fibreAccessPoint}

// fibreAccessPoint is the kind property of access point features.
const fibreAccessPoint = "access_point"

// fibreOperatorInfo describes one operator with fibre in the served network.
type fibreOperatorInfo struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Colour            string  `json:"colour"`
	Routes            int     `json:"routes"`
	AccessPoints      int     `json:"access_points"`
	HouseholdsInReach float64 `json:"households_in_reach"` // whole households
	ReachPct          float64 `json:"reach_pct"`           // of the province's households, 0.01
}

// fibreOperators lists the served network's operators (fibre.Network.Operators order), with
// their names and colours from fibre.DefaultOperators and their province figures.
func (v *view) fibreOperators() []fibreOperatorInfo {
	out := []fibreOperatorInfo{}
	net, r := v.st.Fibre, v.st.FibreReach
	if net == nil || r == nil {
		return out
	}
	names := map[string]data.Carrier{}
	for _, o := range fibre.DefaultOperators() {
		names[o.ID] = o
	}
	prov := r.Province()
	for _, id := range net.Operators() {
		o := fibreOperatorInfo{ID: id, Name: id, Colour: "#636363"}
		if c, ok := names[id]; ok {
			o.Name, o.Colour = c.Name, c.Colour
		}
		for _, rt := range net.Routes {
			if rt.Operator == id {
				o.Routes++
			}
		}
		for _, a := range net.AccessPoints {
			if a.Operator == id {
				o.AccessPoints++
			}
		}
		for _, p := range prov.PerOperator {
			if p.Operator == id {
				o.HouseholdsInReach, o.ReachPct = math.Round(p.HouseholdsInReach), round2(p.ReachPct)
			}
		}
		out = append(out, o)
	}
	return out
}

// queryOperator reads operator= of the fibre routes: "any" (the default, also "") or an
// operator id of fibre.DefaultOperators or of the served network.
func queryOperator(c *gin.Context, v *view) (string, error) {
	id := c.Query("operator")
	if id == "" || id == fibre.AnyOperator {
		return fibre.AnyOperator, nil
	}
	if fibre.KnownOperator(id) || v.st.Fibre != nil && slices.Contains(v.st.Fibre.Operators(), id) {
		return id, nil
	}
	return "", badParam("operator", id, "must be any or a fibre operator id ("+operatorIDs()+")")
}

// operatorIDs is "viettel, vinaphone, …, tvcable".
func operatorIDs() string {
	var ids []string
	for _, o := range fibre.DefaultOperators() {
		ids = append(ids, o.ID)
	}
	return strings.Join(ids, ", ")
}

// Groups of kind= of /api/v1/fibre: every route kind (lines), or the access points (points),
// so that a GIS client gets one geometry type per request.
const (
	fibreRoutes = "routes"
	fibrePoints = "points"
)

// queryFibreKinds reads kind= of /api/v1/fibre: a comma-separated list of backbone, feeder,
// distribution and access_point, routes (the three route kinds) and points (access_point);
// empty: all. It returns the kinds in canonical order without repeats.
func queryFibreKinds(c *gin.Context) ([]string, error) {
	v := c.Query("kind")
	if v == "" {
		return fibreKinds, nil
	}
	want := map[string]bool{}
	for _, k := range strings.Split(v, ",") {
		switch k = strings.TrimSpace(k); {
		case k == fibreRoutes:
			for _, r := range fibreKinds {
				if r != fibreAccessPoint {
					want[r] = true
				}
			}
		case k == fibrePoints:
			want[fibreAccessPoint] = true
		case slices.Contains(fibreKinds, k):
			want[k] = true
		default:
			return nil, badParam("kind", v, "must be routes (lines), points (access points) or a comma-separated list of "+strings.Join(fibreKinds, ", "))
		}
	}
	out := []string{}
	for _, k := range fibreKinds {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// fibreProps are the properties of a route or access point feature.
type fibreProps struct {
	Operator  string `json:"operator"`
	Kind      string `json:"kind"`               // backbone, feeder, distribution or access_point
	RouteID   string `json:"route_id,omitempty"` // routes
	ID        string `json:"id,omitempty"`       // access points
	Ports     *int   `json:"ports,omitempty"`    // access points: capacity, 0 = unknown
	Synthetic bool   `json:"synthetic,omitempty"`
}

// fibreFeature is a route (LineString) or an access point (Point); its id is
// "operator/route/<route_id>" or "operator/ap/<id>".
type fibreFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties fibreProps        `json:"properties"`
}

// fibreBody is the /api/v1/fibre FeatureCollection with foreign members.
type fibreBody struct {
	Type      string              `json:"type"`
	DropM     float64             `json:"drop_m"`
	Operators []fibreOperatorInfo `json:"operators"` // every operator of the network, whatever the filters
	Synthetic bool                `json:"synthetic,omitempty"`
	Note      string              `json:"note,omitempty"`
	Features  []fibreFeature      `json:"features"`
}

// fibreBodyOf builds the answer: operator's (or any) routes of the kinds asked for, then its
// access points when asked, those meeting bbox when bbox is set, in the network's order.
func (v *view) fibreBodyOf(operator string, kinds []string, bbox *orb.Bound) fibreBody {
	out := fibreBody{Type: "FeatureCollection", Operators: v.fibreOperators(), Synthetic: v.st.FibreNote != "",
		Note: v.st.FibreNote, Features: []fibreFeature{}}
	if v.st.FibreReach != nil {
		out.DropM = v.st.FibreReach.DropM()
	}
	if v.st.Fibre == nil {
		return out
	}
	net := v.st.Fibre.Of(operator)
	if bbox != nil {
		net = net.InBound(*bbox)
	}
	for _, r := range net.Routes {
		if slices.Contains(kinds, string(r.Kind)) {
			out.Features = append(out.Features, fibreFeature{Type: "Feature", ID: r.Operator + "/" + fibre.RouteKeyPrefix + r.RouteID,
				Geometry:   geojson.NewGeometry(r.Line),
				Properties: fibreProps{Operator: r.Operator, Kind: string(r.Kind), RouteID: r.RouteID, Synthetic: out.Synthetic}})
		}
	}
	if slices.Contains(kinds, fibreAccessPoint) {
		for _, a := range net.AccessPoints {
			out.Features = append(out.Features, fibreFeature{Type: "Feature", ID: a.Operator + "/" + fibre.AccessPointKeyPrefix + a.ID,
				Geometry:   geojson.NewGeometry(a.Point),
				Properties: fibreProps{Operator: a.Operator, Kind: fibreAccessPoint, ID: a.ID, Ports: &a.Ports, Synthetic: out.Synthetic}})
		}
	}
	return out
}

// handleFibre answers the fibre routes and access points as GeoJSON: operator= (any, the
// default, or an operator id), kind= (routes, points or a comma list of kinds; default all:
// lines and points together, as the map draws them) and bbox= (routes whose bound
// meets it and access points inside it). Without bbox the answer is cached.
func (s *Server) handleFibre(c *gin.Context, v *view) error {
	bb, hasBBox, err := queryBBox(c, "bbox")
	if err != nil {
		return err
	}
	operator, err := queryOperator(c, v)
	if err != nil {
		return err
	}
	kinds, err := queryFibreKinds(c)
	if err != nil {
		return err
	}
	if hasBBox {
		return sendJSON(c, ctGeoJSON, v.fibreBodyOf(operator, kinds, &bb))
	}
	return s.sendCached(c, v, "fibre|"+operator+"|"+strings.Join(kinds, ","), func(v *view) (*body, error) {
		return jsonBody(ctGeoJSON, v.fibreBodyOf(operator, kinds, nil))
	})
}

// handleFibreReach answers the land within the drop distance of operator's (or any operator's)
// reach-giving fibre as one MultiPolygon feature (render.Reach), simplified for
// zoom= (clamped to [zoomMin, zoomMax]); a known operator without fibre in the network gets an
// empty collection. Foreign members: the operators (with their province figures), drop_m and
// the synthetic-data note.
func (s *Server) handleFibreReach(c *gin.Context, v *view) error {
	operator, err := queryOperator(c, v)
	if err != nil {
		return err
	}
	zoom, err := queryZoom(c)
	if err != nil {
		return err
	}
	return s.sendCached(c, v, fmt.Sprintf("fibre-reach|%s|%d", operator, zoom), func(v *view) (*body, error) {
		fc := geojson.NewFeatureCollection()
		if r := v.st.FibreReach; r != nil && (operator == fibre.AnyOperator || slices.Contains(r.Operators(), operator)) {
			var err error
			if fc, err = render.Reach(r, operator, zoom); err != nil {
				return nil, err
			}
			if v.st.FibreNote != "" {
				for _, f := range fc.Features {
					f.Properties["synthetic"] = true
				}
			}
		}
		fc.ExtraMembers = geojson.Properties{"operators": v.fibreOperators()}
		if v.st.FibreNote != "" {
			fc.ExtraMembers["synthetic"], fc.ExtraMembers["note"] = true, v.st.FibreNote
		}
		return jsonBody(ctGeoJSON, fc)
	})
}

// communeFibre is the fibre part of a commune's answers (flat, as /api/v1/communes has it as
// properties; Fibre holds the full figures in /api/v1/communes/{code}).
type communeFibre struct {
	FibreHouseholdsInReach float64             `json:"fibre_households_in_reach"`
	FibrePopulationInReach float64             `json:"fibre_population_in_reach"`
	FibreReachPct          float64             `json:"fibre_reach_pct"` // households' share in reach, percent
	FibreOperators         []string            `json:"fibre_operators"` // operators with land in reach in the commune
	Fibre                  *fibre.CommuneReach `json:"fibre,omitempty"`
}

// fibreRows returns the served reach per commune code (empty without fibre).
func (v *view) fibreRows() map[string]fibre.CommuneReach {
	out := map[string]fibre.CommuneReach{}
	if v.st.FibreReach == nil {
		return out
	}
	for _, row := range v.st.FibreRows() {
		out[row.Code] = row
	}
	return out
}

// communeFibreOf is commune code's fibre figures (zero, no operator, without fibre); full
// sets Fibre.
func communeFibreOf(rows map[string]fibre.CommuneReach, code string, full bool) communeFibre {
	row, ok := rows[code]
	out := communeFibre{FibreOperators: []string{}}
	if !ok {
		return out
	}
	out.FibreHouseholdsInReach, out.FibrePopulationInReach = round6(row.HouseholdsInReach), round6(row.PopulationInReach)
	out.FibreReachPct, out.FibreOperators = round6(row.ReachPct), row.Operators
	if full {
		out.Fibre = &row
	}
	return out
}

// combinedBody is /api/v1/combined: communes by (4G coverage, fibre reach), those lacking both
// first (fibre.Combined), with the count per category.
type combinedBody struct {
	ThresholdPct float64             `json:"threshold_pct"`
	Tech         data.Tech           `json:"tech"`  // the mobile technology compared: 4G
	Basis        string              `json:"basis"` // what the two shares are
	DropM        float64             `json:"drop_m"`
	Counts       map[string]int      `json:"counts"` // communes per category
	Communes     []fibre.CombinedRow `json:"communes"`
	Synthetic    bool                `json:"synthetic,omitempty"`
	Note         string              `json:"note,omitempty"`
	// DefinitionVersion and Calibration say which coverage definition the 4G share comes from.
	DefinitionVersion string `json:"definition_version"`
	Calibration       string `json:"calibration"`
}

// combinedBasis states the two shares of the combined view.
const combinedBasis = "4G: share of the population in covered land cells (any carrier); fibre: share of the households in reach (any operator)"

// handleCombined answers the combined 4G-and-fibre view at threshold_pct= (whole percent,
// 1–100, default 50).
func (s *Server) handleCombined(c *gin.Context, v *view) error {
	th, err := queryInt(c, "threshold_pct", int(fibre.DefaultPct), 1, 100)
	if err != nil {
		return err
	}
	return s.sendCached(c, v, "combined|"+strconv.Itoa(th), func(v *view) (*body, error) {
		out := combinedBody{ThresholdPct: float64(th), Tech: data.Tech4G, Basis: combinedBasis,
			Counts:    map[string]int{fibre.LacksBoth: 0, fibre.Only4G: 0, fibre.OnlyFibre: 0, fibre.HasBoth: 0},
			Synthetic: v.st.Note != "" || v.st.FibreNote != "", Note: strings.TrimSpace(v.st.Note + " " + v.st.FibreNote),
			DefinitionVersion: v.st.Coverage.DefinitionVersion(), Calibration: v.st.Coverage.Calibration()}
		if v.st.FibreReach != nil {
			out.DropM = v.st.FibreReach.DropM()
		}
		var err error
		if out.Communes, err = v.st.Combined(v.st.FibreRows(), float64(th)); err != nil {
			return nil, err
		}
		for _, r := range out.Communes {
			out.Counts[r.Category]++
		}
		return jsonBody(ctJSON, out)
	})
}

// queryZoom reads zoom= of the polygon layers: an integer 0–24 (default defaultZoom), clamped
// to [zoomMin, zoomMax], the zooms the polygons are simplified for.
func queryZoom(c *gin.Context) (int, error) {
	zoom, err := queryInt(c, "zoom", defaultZoom, 0, 24)
	return min(max(zoom, zoomMin), zoomMax), err
}

// round2 rounds to 0.01 (percentages).
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// round6 rounds to 6 decimals (as the coverage layers' figures).
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
