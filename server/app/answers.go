package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/render"
)

// answersFormat names the rendering of stored layer answers (persist.AnswerKey.Format): change
// it with render.Coverage's output, or with geo's simplification, so that a phusong rendering
// differently never serves another's answers. An answer is stored gzipped (gzip's default
// level, the server's for answers): the server sends that form as it is, so a start on stored
// results does not compress a whole country's layer (12.5 MB at zoom 9: 0.67 s of a core)
// before its first answer, and the database holds a quarter of the bytes.
const answersFormat = "phusong coverage geojson 1, gzip"

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

	given     chan struct{} // closed once a whole-area coverage answer of res was given (givenOnce)
	givenOnce sync.Once
}

// newStoredAnswers returns the stored answers of res (the lists at data version version).
func newStoredAnswers(db *persist.DB, res *coverage.Result, fingerprint, version string, log *slog.Logger) *storedAnswers {
	return &storedAnswers{db: db, res: res, fingerprint: fingerprint, version: version, log: log, given: make(chan struct{})}
}

// answerKey returns the key of the whole-area coverage layer (carrier, tech, tier) at zoom as
// Layer answers it (marked synthetic with st.Note when set), and whether st's stored answers
// hold such answers for r.
func (st *State) answerKey(r *coverage.Result, carrier string, tech data.Tech, tier, zoom int) (persist.AnswerKey, bool) {
	sa := st.answers
	if sa == nil || sa.res != r || zoom < 0 || zoom > MaxStoredAnswerZoom {
		return persist.AnswerKey{}, false
	}
	return persist.AnswerKey{Fingerprint: sa.fingerprint, DataVersion: sa.version, Format: answersFormat,
		Layer: answerLayer(carrier, tech, tier, zoom, st.Note)}, true
}

// answerLayer names a whole-area coverage layer answer marked with note ("" = none).
func answerLayer(carrier string, tech data.Tech, tier, zoom int, note string) string {
	h := sha256.Sum256([]byte(note))
	return fmt.Sprintf("coverage|%s|%s|%d|%d|note %x", carrier, tech, tier, zoom, h[:6])
}

// StoredCoverage returns the GeoJSON of Layer's whole-area coverage layer (carrier, tech, tier
// at zoom; no province) as stored in the database for st's result, without decoding it: the
// bytes and their gzip form (as stored). ok is false when st keeps no answers there (no
// database, or not region by region) or this one is not stored yet (Layer stores it).
func (st *State) StoredCoverage(carrier string, tech data.Tech, tier, zoom int) (raw, gz []byte, ok bool) {
	k, ok := st.answerKey(st.Coverage, carrier, tech, tier, zoom)
	if !ok {
		return nil, nil, false
	}
	gz, ok, err := st.answers.db.LayerAnswer(context.Background(), k)
	if err == nil && ok {
		raw, err = gunzip(gz)
	}
	if err != nil {
		st.answers.log.Warn("reading a stored layer answer", slog.String("layer", k.Layer), slog.String("err", err.Error()))
		return nil, nil, false
	}
	return raw, gz, ok
}

// gunzip returns the bytes gz compresses.
func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// gzipAnswer compresses an answer to be stored.
func gzipAnswer(raw []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	return buf.Bytes()
}

// coverageLayer is render.Coverage(r, …) marked synthetic with st.Note when set: read from the
// database when r is the result st's stored answers belong to and the answer is stored, else
// rendered — and then stored when r is that result, the layer is the any-carrier tier 0 the map
// loads first and zoom 0 to MaxStoredAnswerZoom.
func (st *State) coverageLayer(r *coverage.Result, carrier string, tech data.Tech, tier, zoom int) (*geojson.FeatureCollection, error) {
	k, keep := st.answerKey(r, carrier, tech, tier, zoom)
	if keep {
		defer st.answers.givenOnce.Do(func() { close(st.answers.given) })
		if body, _, ok := st.StoredCoverage(carrier, tech, tier, zoom); ok {
			fc, err := geojson.UnmarshalFeatureCollection(body)
			if err == nil {
				return fc, nil
			}
			st.answers.log.Warn("a stored layer answer does not read: rendered again", slog.String("layer", k.Layer), slog.String("err", err.Error()))
		}
	}
	fc, err := render.Coverage(r, carrier, tech, tier, zoom)
	if err != nil || !keep || carrier != coverage.AnyCarrier || tier != 0 {
		return fc, err // stored: the layers the map loads first (the server's warm-up), not every one asked
	}
	if st.Note != "" {
		render.MarkSynthetic(fc, st.Note)
	}
	body, err := json.Marshal(fc)
	if err == nil {
		err = st.answers.db.PutLayerAnswer(context.Background(), k, gzipAnswer(body))
	}
	if err != nil {
		st.answers.log.Warn("storing a layer answer", slog.String("layer", k.Layer), slog.String("err", err.Error()))
	}
	return fc, nil
}
