package app

import (
	"phusong/data"
	"phusong/data/render"
)

// Report is the per-commune coverage report of techs (nil: every analysed technology), in
// the one schema render writes as a table, CSV or JSON. Its data note adds the population
// grid's when that is synthetic.
func (st *State) Report(techs []data.Tech) *render.Report {
	if techs == nil {
		techs = data.AnalysedTechs
	}
	return render.NewReport(st.Coverage, techs, st.PeopleNote())
}
