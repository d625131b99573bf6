package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"phusong/data/measure"
	"phusong/data/render"
)

// MeasurementCellM is the side of the squares of the measurement collections, metres: the
// squares GET /api/v1/measurements serves at zoom 13 (ids "250/<column>/<row>"). Raw samples
// are never published (they locate the people who measured, and they are many).
const MeasurementCellM = 250

// MeasurementsKind is the Collection.Kind of the measurement collections.
const MeasurementsKind = "measurements"

// MeasurementCollections lists one collection per carrier × technology the stored measurements
// hold, in the comparison's order, with the measurements version they were listed at (it
// changes with every import and withdrawal; feature sets are cached under it). Without a
// database, or on a read-only state, there is none and the version is "".
func (a *App) MeasurementCollections(ctx context.Context) ([]Collection, string, error) {
	e, err := a.measuredFor(ctx)
	if e == nil || err != nil {
		return nil, "", err
	}
	var out []Collection
	for _, g := range e.cmp.Groups() {
		id := MeasurementsKind + "_" + render.SafeName(g.Carrier) + "_" + strings.ToLower(string(g.Tech))
		if slices.ContainsFunc(out, func(c Collection) bool { return c.ID == id }) {
			continue // another land class of the same carrier × technology
		}
		c, _ := e.st.carrier(g.Carrier)
		name := c.Name
		if name == "" {
			name = g.Carrier
		}
		out = append(out, Collection{ID: id, Title: fmt.Sprintf("%s %s measurements", name, g.Tech), Kind: MeasurementsKind,
			Carrier: g.Carrier, Tech: g.Tech, GeometryType: "Polygon",
			Description: fmt.Sprintf("Stored %s %s measurements (drive tests, scanner logs, crowd-sourced exports) aggregated in "+
				"%d m squares of the engine frame (never the samples): samples, positions, mean measured level (mean_level_dbm) and "+
				"mean residual measured − predicted (mean_residual_db, null when no sample had a prediction in the window); the "+
				"id is <size m>/<column>/<row>, as GET /api/v1/measurements has it.", name, g.Tech, MeasurementCellM)})
	}
	return out, e.version, nil
}

// MeasurementFeatures returns the squares of measurement collection c at the current
// measurements version, with that version. ErrNoCollection when the measurements no longer
// hold c's carrier × technology.
func (a *App) MeasurementFeatures(ctx context.Context, c Collection) (*FeatureSet, string, error) {
	e, err := a.measuredFor(ctx)
	if err != nil {
		return nil, "", err
	}
	if e == nil || c.Kind != MeasurementsKind {
		return nil, "", fmt.Errorf("collection %q: %w", c.ID, ErrNoCollection)
	}
	f := measure.Filter{Carrier: c.Carrier, Tech: c.Tech}
	fc := render.MeasurementBins(e.cmp.Bins(f, MeasurementCellM, orb.Bound{}), MeasurementCellM,
		e.st.Definition.Version, e.st.Definition.CalibrationLabel())
	for _, ft := range fc.Features {
		ft.Properties["carrier"], ft.Properties["tech"] = c.Carrier, string(c.Tech)
	}
	return newFeatureSet(c, e.st.marked(fc)), e.version, nil
}

// measuredFor is the done comparison of the served state, nil (and no error) without a
// database or on a read-only state.
func (a *App) measuredFor(ctx context.Context) (*measuredEntry, error) {
	st := a.State()
	if a.db == nil || !st.predicts() {
		return nil, nil
	}
	e, err := a.measuredEntry(ctx, st)
	if err != nil {
		return nil, err
	}
	if e.err != nil {
		return nil, e.err
	}
	return e, nil
}

// MeasurementsVersion identifies the stored measurements (persist.DB.MeasurementsVersion):
// "" without a database.
func (a *App) MeasurementsVersion(ctx context.Context) (string, error) {
	if a.db == nil {
		return "", nil
	}
	return a.db.MeasurementsVersion(ctx)
}
