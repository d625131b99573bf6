package app

import (
	"errors"

	"phusong/data"
	"phusong/data/coverage/pocket"
	"phusong/data/render"
)

// Pockets returns the dead-zone pockets of tech (pocket.Find): those with at least minPeople
// people (pocket.DefaultMinPeople on the map; 0 keeps all), only those in commune when it is
// not "", each with the nearest counted site of every carrier (from the state's snapshot) and
// the nearest fibre access point (from its network, when it has one). An unknown commune is
// an *ArgError, a technology not analysed pocket.ErrTech.
//
// On a state computed region by region the pockets are found region by region
// (pocket.Find on a Regional result): the same pockets as a whole engine's.
func (st *State) Pockets(tech data.Tech, minPeople float64, commune string) (*pocket.Layer, error) {
	opts := pocket.Options{MinPeople: minPeople, Commune: commune, Sites: st.Snapshot, Fibre: st.Fibre}
	l, err := pocket.Find(st.Coverage, tech, opts)
	if errors.Is(err, pocket.ErrCommune) {
		return nil, &ArgError{"commune", commune, "unknown commune code"}
	}
	return l, err
}

// PocketReport is the pockets of techs (nil: every analysed technology) with at least
// minPeople people, in the one schema render writes as a table or JSON.
func (st *State) PocketReport(techs []data.Tech, minPeople float64) (*render.PocketReport, error) {
	if techs == nil {
		techs = data.AnalysedTechs
	}
	var layers []*pocket.Layer
	for _, t := range techs {
		l, err := st.Pockets(t, minPeople, "")
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	return render.NewPocketReport(st.Coverage.Engine(), st.Coverage.DefinitionVersion(), st.PeopleNote(), layers), nil
}

// Density is the population density image of the map (render.Density).
// It needs the land raster: ErrRegional for a state computed region by region.
func (st *State) Density() (*render.DensityImage, error) {
	if st.Regions != nil {
		return nil, ErrRegional
	}
	return render.Density(st.Coverage.Engine())
}
