package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/fibre"
	"phusong/data/hex"
	"phusong/data/render"
)

// Layer kinds of LayerRequest.
const (
	LayerGaps     = "gaps"
	LayerCoverage = "coverage"
	LayerCommunes = "communes"
	LayerPockets  = "pockets"
	LayerH3       = "h3"
)

// LayerRequest selects one of the map's layers.
type LayerRequest struct {
	Kind         string    // LayerGaps, LayerCoverage, LayerCommunes, LayerPockets or LayerH3
	Tech         data.Tech // gaps, coverage, pockets, h3: 3G or 4G
	Carrier      string    // coverage: a carrier id or coverage.AnyCarrier
	Tier         int       // coverage: 0 = the coverage threshold, 1.. = the definition's signal tiers
	Zoom         int       // coverage, pockets: the web-map zoom the polygons are simplified for; < 0 = full detail
	Commune      string    // gaps, pockets: one commune's code ("" = every commune)
	MinGapAreaM2 float64   // gaps: smallest gap polygon kept (coverage.DefaultMinGapAreaM2 on the map)
	MinPeople    float64   // pockets: pockets with fewer people are left out (pocket.DefaultMinPeople on the map)
	Resolution   int       // h3: the H3 resolution (H3Resolutions)
	ByCommune    bool      // h3: one feature per hexagon and commune it holds land of (render.HexesByCommune)
	// Province, when not "", keeps one province's part (Provinces): its communes, their gaps,
	// or the coverage clipped to its bounding box. An unknown name is an *ArgError.
	Province string
}

// Resolutions of the H3 layer: the FCC's, 8 (0.74 km² hexagons) and 9 (0.105 km²).
const (
	H3MinResolution = 8
	H3MaxResolution = 9
)

// ArgError is a request argument the state cannot answer: an unknown commune or carrier, a
// tier the definition lacks. Name is the argument ("commune", "carrier", "tier").
type ArgError struct {
	Name, Value, Reason string
}

func (e *ArgError) Error() string { return fmt.Sprintf("%s %q: %s", e.Name, e.Value, e.Reason) }

// ErrNoSites: a coverage layer was asked of a carrier the state lists but that has no counted
// site; it covers nothing.
var ErrNoSites = errors.New("app: the carrier has no counted site")

// Layer returns the layer req asks for as GeoJSON in lon/lat, with the description the
// exports need (render.Layer). On synthetic or schematic data every feature carries
// "synthetic": true and the note (the layers counting people, gaps, communes and pockets, also
// the synthetic population grid's); the communes carry their fibre reach (fibre_* properties)
// when the state has a fibre network.
func (st *State) Layer(req LayerRequest) (*geojson.FeatureCollection, render.Layer, error) {
	r := st.Coverage
	var fc *geojson.FeatureCollection
	var l func(*geojson.FeatureCollection) render.Layer
	note := st.PeopleNote()
	if req.Commune != "" && !slices.ContainsFunc(st.Communes, func(c data.Commune) bool { return c.Code == req.Commune }) {
		return nil, render.Layer{}, &ArgError{"commune", req.Commune, "unknown commune code"}
	}
	if req.Province != "" && st.Regions != nil && (req.Kind == LayerGaps || req.Kind == LayerCoverage) {
		_, b, err := st.provinceOf(req.Province)
		if err != nil {
			return nil, render.Layer{}, err
		}
		r = r.Within(b) // contours only the regions meeting the province (a country's map, one province at a time)
	}
	switch req.Kind {
	case LayerGaps:
		var err error
		if fc, err = render.Gaps(r, req.Tech, req.Commune, req.MinGapAreaM2); err != nil {
			return nil, render.Layer{}, err
		}
		l = func(fc *geojson.FeatureCollection) render.Layer { return render.GapsLayer(fc, req.Tech) }
	case LayerCoverage:
		c, ok := st.carrier(req.Carrier)
		switch {
		case !ok:
			return nil, render.Layer{}, &ArgError{"carrier", req.Carrier, "no such carrier (a carrier id, or any)"}
		case req.Carrier != coverage.AnyCarrier && !slices.Contains(r.Carriers(), req.Carrier):
			return nil, render.Layer{}, fmt.Errorf("carrier %q: %w", req.Carrier, ErrNoSites)
		}
		var err error
		if fc, err = st.coverageLayer(r, req.Carrier, req.Tech, req.Tier, req.Zoom); err != nil {
			return nil, render.Layer{}, &ArgError{"tier", fmt.Sprint(req.Tier), err.Error()}
		}
		l = func(fc *geojson.FeatureCollection) render.Layer {
			return render.CoverageLayer(fc, c, req.Tech, req.Tier)
		}
		note = st.Note
	case LayerPockets:
		pl, err := st.Pockets(req.Tech, req.MinPeople, req.Commune)
		if err != nil {
			return nil, render.Layer{}, err
		}
		fc = render.Pockets(pl, r.Engine(), r.DefinitionVersion(), req.Zoom)
		l = func(fc *geojson.FeatureCollection) render.Layer { return render.PocketsLayer(fc, string(req.Tech)) }
	case LayerH3:
		if req.Resolution < H3MinResolution || req.Resolution > H3MaxResolution {
			return nil, render.Layer{}, &ArgError{"resolution", fmt.Sprint(req.Resolution), "must be 8 or 9"}
		}
		s, err := hex.Summarise(context.Background(), r, req.Tech, req.Resolution)
		if err != nil {
			return nil, render.Layer{}, err
		}
		if req.ByCommune {
			fc = render.HexesByCommune(s, r.DefinitionVersion(), r.Calibration())
		} else {
			fc = render.Hexes(s, r.DefinitionVersion(), r.Calibration())
		}
		l = func(fc *geojson.FeatureCollection) render.Layer { return render.HexesLayer(fc, s) }
	case LayerCommunes:
		fc = render.Communes(r, st.Communes)
		if st.Fibre != nil {
			st.addFibre(fc)
		}
		l = render.CommunesLayer
	default:
		return nil, render.Layer{}, &ArgError{"layer", req.Kind, "must be gaps, coverage, communes, pockets or h3"}
	}
	if req.Province != "" && (req.Kind == LayerCommunes || req.Kind == LayerGaps || req.Kind == LayerCoverage) {
		if err := st.inProvince(fc, req.Kind, req.Province); err != nil {
			return nil, render.Layer{}, err
		}
	}
	if note != "" {
		render.MarkSynthetic(fc, note)
	}
	return fc, l(fc), nil
}

// carrier returns the display entry of carrier id: one of st.Carriers, a carrier with sites
// (its id as name, UnlistedColour), or coverage.AnyCarrier; ok is false for an id st does not list.
func (st *State) carrier(id string) (data.Carrier, bool) {
	if id == coverage.AnyCarrier {
		return data.Carrier{ID: id}, true
	}
	if i := slices.IndexFunc(st.Carriers, func(c data.Carrier) bool { return c.ID == id }); i >= 0 {
		return st.Carriers[i], true
	}
	return data.Carrier{ID: id, Name: id, Colour: UnlistedColour}, st.listsCarrier(id)
}

// UnlistedColour is the display colour of a carrier with sites that the carrier list lacks.
const UnlistedColour = "#636363"

// FibreRows returns every commune's fibre reach in commune order (zero figures where no
// fibre is served).
func (st *State) FibreRows() []fibre.CommuneReach {
	byCode := map[string]fibre.CommuneReach{}
	if st.FibreReach != nil {
		for _, row := range st.FibreReach.Communes() {
			byCode[row.Code] = row
		}
	}
	rows := make([]fibre.CommuneReach, 0, len(st.Communes))
	for _, cm := range st.Communes {
		row, ok := byCode[cm.Code]
		if !ok {
			row = fibre.CommuneReach{Code: cm.Code, Name: cm.Name, NameEN: cm.NameEN, Type: cm.Type,
				Population: cm.Population, Households: cm.Households, Operators: []string{}}
		}
		rows = append(rows, row)
	}
	return rows
}

// Combined orders rows (FibreRows, take-up applied or not) by the combined 4G-and-fibre view
// at thresholdPct (fibre.Combined): communes lacking both first.
func (st *State) Combined(rows []fibre.CommuneReach, thresholdPct float64) ([]fibre.CombinedRow, error) {
	covered := map[string]float64{}
	for _, s := range st.Coverage.CommuneStatsFor(data.Tech4G) {
		covered[s.Code] = s.CoveredPopulationPct
	}
	return fibre.Combined(rows, covered, thresholdPct)
}

// addFibre sets the fibre properties of every commune feature of fc (by its code property):
// households and people in reach, the households' share in reach (6 decimals) and the
// operators with land in reach.
func (st *State) addFibre(fc *geojson.FeatureCollection) {
	rows := map[string]fibre.CommuneReach{}
	for _, row := range st.FibreRows() {
		rows[row.Code] = row
	}
	for _, f := range fc.Features {
		code, _ := f.Properties["code"].(string)
		row, ok := rows[code]
		if !ok {
			row.Operators = []string{}
		}
		f.Properties["fibre_households_in_reach"] = round6(row.HouseholdsInReach)
		f.Properties["fibre_population_in_reach"] = round6(row.PopulationInReach)
		f.Properties["fibre_reach_pct"] = round6(row.ReachPct)
		f.Properties["fibre_operators"] = row.Operators
	}
}

// round6 rounds to 6 decimals (as the coverage layers' figures).
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// Footprints returns, as GeoJSON, where each sector of in's sites (only carrier's, when not
// "") of techs alone reaches its technology's coverage threshold, with the number of sites.
// It makes an engine over in's communes but computes no coverage.
func Footprints(ctx context.Context, in Input, carrier string, techs []data.Tech) (*geojson.FeatureCollection, int, error) {
	def := cmp.Or(in.Definition, coverage.DefaultDefinition())
	e, err := coverage.New(in.Communes, def, in.Coverage)
	if err != nil {
		return nil, 0, err
	}
	sites := in.Sites
	if carrier != "" {
		sites = slices.DeleteFunc(slices.Clone(sites), func(s data.Site) bool { return s.Carrier != carrier })
	}
	var fps []coverage.Footprint
	for _, t := range techs {
		f, err := e.Footprints(ctx, sites, t)
		if err != nil {
			return nil, 0, err
		}
		fps = append(fps, f...)
	}
	fc := render.Footprints(e, fps)
	if in.Note != "" {
		render.MarkSynthetic(fc, in.Note)
	}
	return fc, len(sites), nil
}
