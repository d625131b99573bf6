package main

import (
	"fmt"

	"phusong/data/render"
	"phusong/server/app"
)

// writePocketReport prints the dead-zone pockets of the technologies of the run with at least
// --min-people people, ranked by people: a table, the layer as CSV (one row per pocket with a
// WKT outline, as /api/v1/pockets?format=csv) or JSON (render.PocketReport).
func writePocketReport(io stdio, st *app.State, o reportOptions) error {
	switch o.format {
	case "csv":
		var layers []render.Layer
		for _, t := range o.techs() {
			_, l, err := st.Layer(app.LayerRequest{Kind: app.LayerPockets, Tech: t, MinPeople: o.minPeople, Zoom: -1})
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			layers = append(layers, l)
		}
		doc := render.NewDocument(layers[0], st.Coverage.DefinitionVersion(), 0, st.PeopleNote())
		doc.Layers = layers
		return render.WriteCSV(io.Stdout, doc, render.WKT)
	}
	rep, err := st.PocketReport(o.techs(), o.minPeople)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if o.format == "json" {
		return render.WritePocketJSON(io.Stdout, rep)
	}
	return render.WritePocketTable(io.Stdout, rep)
}
