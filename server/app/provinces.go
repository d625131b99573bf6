package app

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/store"
)

// Province is one province of the served communes (data.Commune.Province; "" when the commune
// file names none): what the map's selector lists and fits the view to.
type Province struct {
	Name       string     `json:"name"`
	BBox       [4]float64 `json:"bbox"` // minLon, minLat, maxLon, maxLat of its communes
	Communes   int        `json:"communes"`
	Sites      int        `json:"sites"` // sites standing on its communes (data.CommuneLocator)
	Population int        `json:"population"`
	Households int        `json:"households"`
}

// Provinces lists the provinces of st's communes by name, with their bounding boxes, commune
// counts, census figures and the sites standing on their communes (a site on no commune counts
// for none).
func (st *State) Provinces() []Province {
	idx := map[string]int{}
	var out []Province
	var bounds []orb.Bound
	for _, c := range st.Communes {
		i, ok := idx[c.Province]
		if !ok {
			i = len(out)
			idx[c.Province] = i
			out = append(out, Province{Name: c.Province})
			bounds = append(bounds, c.Geometry.Bound())
		}
		out[i].Communes++
		out[i].Population += c.Population
		out[i].Households += c.Households
		bounds[i] = bounds[i].Union(c.Geometry.Bound())
	}
	loc := data.NewCommuneLocator(st.Communes)
	for _, s := range st.Snapshot.Sites(store.Filter{}) {
		if ci := loc.At(s.Lon, s.Lat); ci >= 0 {
			out[idx[loc.Commune(ci).Province]].Sites++
		}
	}
	for i, b := range bounds {
		out[i].BBox = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	slices.SortFunc(out, func(a, b Province) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// provinceOf returns the codes of province name's communes and their lon/lat bound; an
// unknown name is an *ArgError naming "province".
func (st *State) provinceOf(name string) (map[string]bool, orb.Bound, error) {
	codes := map[string]bool{}
	var b orb.Bound
	for _, c := range st.Communes {
		if c.Province != name {
			continue
		}
		if len(codes) == 0 {
			b = c.Geometry.Bound()
		}
		codes[c.Code] = true
		b = b.Union(c.Geometry.Bound())
	}
	if len(codes) == 0 {
		return nil, b, &ArgError{"province", name, "unknown province; see /api/v1/provinces"}
	}
	return codes, b, nil
}

// inProvince keeps, of fc's features, one province's: those of its communes (by feature id)
// for commune and gap layers, the polygons clipped to its bounding box for coverage layers.
func (st *State) inProvince(fc *geojson.FeatureCollection, kind, name string) error {
	codes, b, err := st.provinceOf(name)
	if err != nil {
		return err
	}
	kept := fc.Features[:0]
	for _, f := range fc.Features {
		if kind == LayerCoverage {
			if f.Geometry = clip.Geometry(b, orb.Clone(f.Geometry)); f.Geometry != nil { // clip works in place
				kept = append(kept, f)
			}
			continue
		}
		if id, _ := f.ID.(string); codes[id] {
			kept = append(kept, f)
		}
	}
	fc.Features = kept
	return nil
}
