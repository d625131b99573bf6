package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/render"
)

// answersFormat names the rendering of stored layer answers (persist.AnswerKey.Format): change
// it with render.Coverage's output, or with geo's simplification, so that a phusong rendering
// differently never serves another's answers.
const answersFormat = "phusong coverage geojson 1"

// MaxStoredAnswerZoom is the most detailed zoom whose coverage answers a state computed region
// by region through a database keeps there (the zooms a country or a province is first seen at;
// a more detailed view is a small part of the map and quick to render).
const MaxStoredAnswerZoom = 10

// storedAnswers keeps the rendered coverage layers of one result in the database, so that a
// start on the same result (the inputs fingerprint and the lists' data version) serves the map's
// first answers without simplifying a whole country's polygons again. It belongs to one
// coverage.Result: a state with another result (an upload's) does not use it.
type storedAnswers struct {
	db          *persist.DB
	res         *coverage.Result
	fingerprint string
	version     string
	log         *slog.Logger
}

// coverageLayer is render.Coverage(r, …): read from the database when r is the result st's
// stored answers belong to and the answer is stored, else rendered — and stored when r is that
// result and zoom is 0 to MaxStoredAnswerZoom.
func (st *State) coverageLayer(r *coverage.Result, carrier string, tech data.Tech, tier, zoom int) (*geojson.FeatureCollection, error) {
	sa := st.answers
	if sa == nil || sa.res != r || zoom < 0 || zoom > MaxStoredAnswerZoom {
		return render.Coverage(r, carrier, tech, tier, zoom)
	}
	ctx := context.Background()
	k := persist.AnswerKey{Fingerprint: sa.fingerprint, DataVersion: sa.version, Format: answersFormat,
		Layer: fmt.Sprintf("coverage|%s|%s|%d|%d", carrier, tech, tier, zoom)}
	body, ok, err := sa.db.LayerAnswer(ctx, k)
	if err == nil && ok {
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err == nil {
			return fc, nil
		}
		sa.log.Warn("a stored layer answer does not read: rendered again", slog.String("layer", k.Layer), slog.String("err", err.Error()))
	} else if err != nil {
		sa.log.Warn("reading a stored layer answer", slog.String("layer", k.Layer), slog.String("err", err.Error()))
	}
	fc, err := render.Coverage(r, carrier, tech, tier, zoom)
	if err != nil {
		return nil, err
	}
	if body, err = json.Marshal(fc); err == nil {
		err = sa.db.PutLayerAnswer(ctx, k, body)
	}
	if err != nil {
		sa.log.Warn("storing a layer answer", slog.String("layer", k.Layer), slog.String("err", err.Error()))
	}
	return fc, nil
}
