package app

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/render"
	"phusong/data/store"
)

// Collections: the served state as named sets of features of one geometry type each, for
// the OGC API Features routes, the vector tiles and the GeoPackage downloads. Every kind of
// collection is one entry of collectionKinds.

// Collection is one collection of the served state.
type Collection struct {
	ID           string // e.g. "communes", "coverage_viettel_4g", "gaps_3g"
	Title        string
	Description  string
	GeometryType string    // the GeoJSON type of every feature: "Point", "LineString", "Polygon" or "MultiPolygon"
	Kind         string    // the collectionKinds entry (communes, sites, coverage, gaps, pockets, fibre_routes, fibre_access_points) or MeasurementsKind
	Carrier      string    // coverage: a carrier id or coverage.AnyCarrier; measurements: a carrier id
	Tech         data.Tech // coverage, gaps, pockets, measurements
}

// collectionKind is one kind of collection: its name, geometry type, the collections of it
// the state has (nil: one, named after the kind) and their features, simplified for a web map
// at zoom (< 0: full detail; kinds whose geometry is not the engine's ignore zoom).
type collectionKind struct {
	name, title, description, geometry string
	list                               func(st *State, k *collectionKind) []Collection
	features                           func(st *State, c Collection, zoom int) (*geojson.FeatureCollection, error)
}

// collectionKinds is the table of collection kinds, in the order they are listed.
func collectionKinds() []collectionKind {
	return []collectionKind{
		{name: "communes", title: "Communes", geometry: "MultiPolygon",
			description: "Communes and wards with their 2019 census population and households, and per technology (suffix _3g, _4g) the predicted covered area, population and households, carriers present and white (uncovered) area; fibre reach (fibre_*).",
			features: func(st *State, _ Collection, _ int) (*geojson.FeatureCollection, error) {
				fc, _, err := st.Layer(LayerRequest{Kind: LayerCommunes})
				return fc, err
			}},
		{name: "sites", title: "Base stations", geometry: "Point",
			description: "Base-station sites of every carrier: height, status, technologies (space-separated) and number of sectors; the id is carrier/site_id.",
			features: func(st *State, _ Collection, _ int) (*geojson.FeatureCollection, error) {
				sites := slices.Clone(st.Snapshot.Sites(store.Filter{}))
				slices.SortFunc(sites, func(a, b *data.Site) int {
					return cmp.Or(cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.SiteID, b.SiteID))
				})
				return st.marked(render.Sites(sites)), nil
			}},
		{name: "coverage", geometry: "MultiPolygon", list: coverageCollections,
			features: func(st *State, c Collection, zoom int) (*geojson.FeatureCollection, error) {
				rule, _ := st.Coverage.Engine().Definition().Rule(c.Tech)
				fc := geojson.NewFeatureCollection()
				for tier := 0; tier <= len(rule.TiersDBm); tier++ {
					t, err := render.Coverage(st.Coverage, c.Carrier, c.Tech, tier, zoom)
					if err != nil {
						return nil, err
					}
					fc.Features = append(fc.Features, t.Features...)
				}
				return st.marked(fc), nil
			}},
		{name: "gaps", geometry: "MultiPolygon", list: gapsCollections,
			features: func(st *State, c Collection, zoom int) (*geojson.FeatureCollection, error) {
				fc, err := render.GapsForZoom(st.Coverage, c.Tech, "", coverage.DefaultMinGapAreaM2, zoom)
				if err != nil {
					return nil, err
				}
				return st.marked(fc), nil
			}},
		{name: "pockets", geometry: "MultiPolygon", list: pocketsCollections,
			features: func(st *State, c Collection, zoom int) (*geojson.FeatureCollection, error) {
				fc, _, err := st.Layer(LayerRequest{Kind: LayerPockets, Tech: c.Tech, MinPeople: pocket.DefaultMinPeople, Zoom: zoom})
				return fc, err
			}},
		{name: "fibre_routes", title: "Fibre routes", geometry: "LineString",
			description: "Fibre operators' routes: backbone, feeder and distribution; the id is operator/route/route_id.",
			features: func(st *State, _ Collection, _ int) (*geojson.FeatureCollection, error) {
				fc := render.FibreRoutes(nil)
				if st.Fibre != nil {
					fc = render.FibreRoutes(st.Fibre.Routes)
				}
				return st.fibreMarked(fc), nil
			}},
		{name: "fibre_access_points", title: "Fibre access points", geometry: "Point",
			description: "Fibre operators' access points (cabinets, splitters) with their ports (0 = unknown); the id is operator/ap/id.",
			features: func(st *State, _ Collection, _ int) (*geojson.FeatureCollection, error) {
				fc := render.FibreAccessPoints(nil)
				if st.Fibre != nil {
					fc = render.FibreAccessPoints(st.Fibre.AccessPoints)
				}
				return st.fibreMarked(fc), nil
			}},
	}
}

// coverageCollections is one coverage collection per carrier with counted sites (and any
// carrier, first) and analysed technology: its features are the coverage threshold (tier 0)
// and the definition's signal tiers.
func coverageCollections(st *State, k *collectionKind) []Collection {
	var out []Collection
	for _, id := range append([]string{coverage.AnyCarrier}, st.Coverage.Carriers()...) {
		c, _ := st.carrier(id)
		name := cmp.Or(c.Name, id)
		if id == coverage.AnyCarrier {
			name = "Any carrier"
		}
		for _, t := range data.AnalysedTechs {
			out = append(out, Collection{ID: k.name + "_" + render.SafeName(id) + "_" + strings.ToLower(string(t)),
				Title: fmt.Sprintf("%s %s coverage", name, t), Kind: k.name, Carrier: id, Tech: t, GeometryType: k.geometry,
				Description: "Where " + name + "'s predicted median " + string(t) + " level reaches threshold_dbm: feature 0 is " +
					"the coverage threshold of the definition, features 1 and up its signal tiers (strongest first); the id is the tier."})
		}
	}
	return out
}

// gapsCollections is one gaps collection per analysed technology.
func gapsCollections(_ *State, k *collectionKind) []Collection {
	var out []Collection
	for _, t := range data.AnalysedTechs {
		out = append(out, Collection{ID: k.name + "_" + strings.ToLower(string(t)), Title: "Gaps " + string(t),
			Kind: k.name, Tech: t, GeometryType: k.geometry,
			Description: "Uncovered land per commune for " + string(t) + ": where no carrier's predicted median level reaches " +
				"threshold_dbm (pieces under min_gap_area_m2 left out); the id is the commune code."})
	}
	return out
}

// pocketsCollections is one collection of dead-zone pockets per analysed technology: every
// pocket with at least pocket.DefaultMinPeople people (the map's floor), which bounds the
// collection to the places a planner acts on (the province's thousands of empty one-cell
// pockets left out); /api/v1/pockets?min_people= takes any floor.
func pocketsCollections(st *State, k *collectionKind) []Collection {
	if st.Regions != nil {
		return nil // no levels to find pockets in
	}
	var out []Collection
	for _, t := range data.AnalysedTechs {
		out = append(out, Collection{ID: k.name + "_" + strings.ToLower(string(t)), Title: "Dead-zone pockets " + string(t),
			Kind: k.name, Tech: t, GeometryType: k.geometry,
			Description: fmt.Sprintf("Places where people live and no carrier's predicted median %s level reaches threshold_dbm: "+
				"cells meeting at a side or a corner, with at least %g people, ranked by people (rank), with households, area, "+
				"communes, the people-weighted centre and the distances to each carrier's nearest site and the nearest fibre "+
				"access point; the id is the pocket's first 50 m grid cell, which stays while the pocket keeps it (ranks move).",
				t, pocket.DefaultMinPeople)})
	}
	return out
}

// Collections lists the state's collections in the order of collectionKinds.
func (st *State) Collections() []Collection {
	var out []Collection
	kinds := collectionKinds()
	for i := range kinds {
		k := &kinds[i]
		if k.list != nil {
			out = append(out, k.list(st, k)...)
			continue
		}
		out = append(out, Collection{ID: k.name, Title: k.title, Description: k.description, GeometryType: k.geometry, Kind: k.name})
	}
	return out
}

// ErrNoCollection: no collection of the state has the id asked for.
var ErrNoCollection = fmt.Errorf("no such collection: %w", ErrNotFound)

// Collection returns the collection with id, or ErrNoCollection.
func (st *State) Collection(id string) (Collection, error) {
	for _, c := range st.Collections() {
		if c.ID == id {
			return c, nil
		}
	}
	return Collection{}, fmt.Errorf("collection %q: %w", id, ErrNoCollection)
}

// Features computes c's features (lon/lat, each with its stable id) simplified for a web map at
// zoom (< 0: full detail), indexed for queries. Nothing is cached: callers keep the set for the
// state (it never changes).
func (st *State) Features(c Collection, zoom int) (*FeatureSet, error) {
	kinds := collectionKinds()
	i := slices.IndexFunc(kinds, func(k collectionKind) bool { return k.name == c.Kind })
	if i < 0 {
		return nil, fmt.Errorf("collection %q: %w", c.ID, ErrNoCollection)
	}
	fc, err := kinds[i].features(st, c, zoom)
	if err != nil {
		return nil, err
	}
	return newFeatureSet(c, fc), nil
}

// marked applies MarkSynthetic with the state's note (stations, and the layers computed from
// them) when it has one, and returns fc.
func (st *State) marked(fc *geojson.FeatureCollection) *geojson.FeatureCollection {
	if st.Note != "" {
		render.MarkSynthetic(fc, st.Note)
	}
	return fc
}

// fibreMarked is marked with the fibre network's note.
func (st *State) fibreMarked(fc *geojson.FeatureCollection) *geojson.FeatureCollection {
	if st.FibreNote != "" {
		render.MarkSynthetic(fc, st.FibreNote)
	}
	return fc
}

// FeatureSet is a collection's features with their bounds, ids and property names.
type FeatureSet struct {
	Collection Collection
	Features   []*geojson.Feature
	Bound      orb.Bound // of every feature; the zero Bound when there is none
	Properties []string  // property names, sorted
	bounds     []orb.Bound
	ids        map[string]int
}

func newFeatureSet(c Collection, fc *geojson.FeatureCollection) *FeatureSet {
	fs := &FeatureSet{Collection: c, Features: fc.Features, bounds: make([]orb.Bound, len(fc.Features)), ids: map[string]int{}}
	props := map[string]bool{}
	first := true
	for i, f := range fc.Features {
		fs.ids[fmt.Sprint(f.ID)] = i
		for k := range f.Properties {
			props[k] = true
		}
		if f.Geometry == nil || isEmpty(f.Geometry) {
			continue
		}
		fs.bounds[i] = f.Geometry.Bound()
		if first {
			fs.Bound, first = fs.bounds[i], false
		} else {
			fs.Bound = fs.Bound.Union(fs.bounds[i])
		}
	}
	for k := range props {
		fs.Properties = append(fs.Properties, k)
	}
	slices.Sort(fs.Properties)
	return fs
}

// isEmpty reports a geometry without coordinates (an empty MultiPolygon of a layer with no area).
func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	}
	return false
}

// Feature returns the feature whose id (as text) is id.
func (fs *FeatureSet) Feature(id string) (*geojson.Feature, bool) {
	i, ok := fs.ids[id]
	if !ok {
		return nil, false
	}
	return fs.Features[i], true
}

// FeatureQuery selects features of a FeatureSet: those whose bound meets BBox (when set) and
// whose properties equal Where's values (compared as text, as CSV writes them: "true", "3",
// "1.5", lists joined by spaces), then Offset of them skipped and at most Limit kept (0: all).
type FeatureQuery struct {
	BBox   *orb.Bound
	Where  map[string]string
	Limit  int
	Offset int
}

// Query returns the page of features q selects and how many matched before paging. A Where
// key that is not a property of the collection is an *ArgError naming it.
func (fs *FeatureSet) Query(q FeatureQuery) (page []*geojson.Feature, matched int, err error) {
	if err := fs.checkWhere(q.Where); err != nil {
		return nil, 0, err
	}
	page = []*geojson.Feature{}
	for i, f := range fs.Features {
		if q.BBox != nil && (fs.bounds[i] == orb.Bound{} || !fs.bounds[i].Intersects(*q.BBox)) {
			continue
		}
		if !matches(f, q.Where) {
			continue
		}
		if matched >= q.Offset && (q.Limit <= 0 || len(page) < q.Limit) {
			page = append(page, f)
		}
		matched++
	}
	return page, matched, nil
}

// checkWhere refuses a filter on a property the collection does not have (*ArgError).
func (fs *FeatureSet) checkWhere(where map[string]string) error {
	for k := range where {
		if !slices.Contains(fs.Properties, k) {
			return &ArgError{k, where[k], "is not a property of collection " + fs.Collection.ID +
				" (properties: " + strings.Join(fs.Properties, ", ") + ")"}
		}
	}
	return nil
}

// Select returns the features whose properties equal where's values (as Query compares them)
// with their bounds, all of them for an empty where.
func (fs *FeatureSet) Select(where map[string]string) ([]*geojson.Feature, []orb.Bound, error) {
	if len(where) == 0 {
		return fs.Features, fs.bounds, nil
	}
	if err := fs.checkWhere(where); err != nil {
		return nil, nil, err
	}
	var feats []*geojson.Feature
	var bounds []orb.Bound
	for i, f := range fs.Features {
		if matches(f, where) {
			feats, bounds = append(feats, f), append(bounds, fs.bounds[i])
		}
	}
	return feats, bounds, nil
}

// matches reports whether f's properties equal every value of where, as text.
func matches(f *geojson.Feature, where map[string]string) bool {
	for k, want := range where {
		if render.Text(f.Properties[k]) != want {
			return false
		}
	}
	return true
}

// Layer returns the set as a render.Layer (named after the collection) for the KML, CSV and
// GeoPackage writers.
func (fs *FeatureSet) Layer() render.Layer {
	return render.Layer{ID: fs.Collection.ID, Name: fs.Collection.Title, Description: fs.Collection.Description,
		Features: render.FromGeoJSON(fs.FeatureCollection(), nil, nil)}
}

// FeatureCollection returns the set's features as a GeoJSON FeatureCollection.
func (fs *FeatureSet) FeatureCollection() *geojson.FeatureCollection {
	return &geojson.FeatureCollection{Type: "FeatureCollection", Features: fs.Features}
}

// Bounds returns each feature's bound (the zero Bound for an empty geometry), in feature order.
func (fs *FeatureSet) Bounds() []orb.Bound { return fs.bounds }
