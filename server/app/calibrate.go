package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/data/persist"
	"phusong/data/store"
)

// CalibrationResult is one calibration run: its stored record's id and time, and the fits with
// the calibrated definition (nil when every group was refused).
type CalibrationResult struct {
	ID int64 `json:"id"`
	*measure.Calibration
	Served bool `json:"served"` // the definition is served now
}

// calibrateScope is who may calibrate and choose the served definition: admins.
func calibrateScope(r role) bool { return r == roleAdmin }

// Calibrate fits the path-loss corrections on every stored measurement (measure.Calibrate with
// o) against the served definition's uncalibrated base, so that corrections never compound,
// stores the run (persist.AddCalibration) and returns it. The calibrated definition is not
// served until ServeCalibration chooses it. Admin tokens only.
func (a *App) Calibrate(ctx context.Context, who persist.TokenInfo, o measure.CalibrateOptions) (*CalibrationResult, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	if !calibrateScope(roleOf(who)) {
		return nil, denied("token %s may not calibrate: that needs an admin token", who.Prefix())
	}
	st := a.State()
	if !st.predicts() {
		return nil, st.readOnly()
	}
	var cmp *measure.Comparison
	var err error
	if base := st.Definition.Uncalibrated(); base != st.Definition {
		if st.Engine == nil { // the base definition's predictions need an engine of it
			return nil, st.readOnly()
		}
		eng, err := st.Engine.WithDefinition(base)
		if err != nil {
			return nil, err
		}
		s, err := openStore(eng.Reach, sitesOf(st.Snapshot), 0)
		if err != nil {
			return nil, err
		}
		if cmp, err = measure.Compare(ctx, eng.NewPredictor(s.Snapshot()), a.db.Measurements(ctx, persist.MeasurementFilter{}), measure.Options{}); err != nil {
			return nil, err
		}
	} else if cmp, _, err = a.comparison(ctx); err != nil { // the served predictions are the base's: compared once for both
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = a.now()
	}
	cal, err := measure.Calibrate(cmp, o)
	if err != nil {
		return nil, err
	}
	rec := persist.CalibrationRecord{TokenID: who.ID}
	if rec.Report, err = json.Marshal(struct {
		Fits []measure.GroupFit `json:"fits"`
	}{cal.Fits}); err != nil {
		return nil, err
	}
	if cal.Definition != nil {
		rec.Version = cal.Definition.Version
		if rec.Definition, err = json.Marshal(cal.Definition); err != nil {
			return nil, err
		}
	}
	if rec, err = a.db.AddCalibration(ctx, rec); err != nil {
		return nil, err
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "calibration", slog.Int64("calibration_id", rec.ID), slog.String("token_id", who.ID),
		slog.Int("samples", cmp.Len()), slog.String("version", rec.Version))
	return &CalibrationResult{ID: rec.ID, Calibration: cal}, nil
}

// sitesOf returns a copy of every site of snap.
func sitesOf(snap *store.Snapshot) []data.Site {
	ps := snap.Sites(store.Filter{})
	out := make([]data.Site, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// ServeCalibration serves the definition of calibration id (0: the uncalibrated base of the
// served definition): the coverage is recomputed over the same communes, sites and fibre (the
// land raster is reused), the choice is recorded so that a restart serves it too (unless
// --config names a definition), and the new state is published. Admin tokens only. A
// calibration that calibrated nothing cannot be served (persist.ErrInvalid).
func (a *App) ServeCalibration(ctx context.Context, who persist.TokenInfo, id int64) (*State, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	if !calibrateScope(roleOf(who)) {
		return nil, denied("token %s may not choose the served definition: that needs an admin token", who.Prefix())
	}
	a.mu.Lock() // no upload may publish between the read of the state and this publish
	defer a.mu.Unlock()
	ns, def, err := a.withCalibration(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := a.db.SetServedCalibration(ctx, id); err != nil {
		return nil, err
	}
	if err := a.Publish(ns); err != nil {
		return nil, err
	}
	if a.calibration >= 0 {
		a.calibration = id
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "definition served", slog.Int64("calibration_id", id),
		slog.String("definition_version", def.Version), slog.String("calibration", def.CalibrationLabel()), slog.String("token_id", who.ID))
	return ns, nil
}

// withCalibration returns the served state recomputed with calibration id's definition (0: the
// uncalibrated one) and that definition; a.mu is held.
func (a *App) withCalibration(ctx context.Context, id int64) (*State, *coverage.Definition, error) {
	var def *coverage.Definition
	if id != 0 {
		var err error
		if def, err = storedDefinition(ctx, a.db, id); err != nil {
			return nil, nil, err
		}
	}
	st := a.State()
	if st.Engine == nil {
		return nil, nil, st.readOnly()
	}
	if def == nil {
		def = st.Definition.Uncalibrated()
	}
	eng, err := st.Engine.WithDefinition(def)
	if err != nil {
		return nil, nil, err
	}
	ns, err := Build(ctx, Input{Engine: eng, Communes: st.Communes, Sites: sitesOf(st.Snapshot), Carriers: st.Carriers,
		Note: st.Note, Fibre: st.Fibre, FibreNote: st.FibreNote, FibreOptions: st.FibreOptions, MinVersion: st.Snapshot.Version()})
	if err != nil {
		return nil, nil, err
	}
	return ns, def, nil
}

// storedDefinition reads the calibrated definition of calibration id.
func storedDefinition(ctx context.Context, db *persist.DB, id int64) (*coverage.Definition, error) {
	rec, err := db.CalibrationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Definition == nil {
		return nil, fmt.Errorf("%w: calibration %d calibrated nothing: there is no definition to serve", persist.ErrInvalid, id)
	}
	def, err := coverage.ParseDefinition(bytes.NewReader(rec.Definition))
	if err != nil {
		return nil, fmt.Errorf("app: calibration %d: %w", id, err)
	}
	return def, nil
}

// Calibrations lists the calibration runs (without their bodies), newest first, with the id of
// the one served (0: none). Admin tokens only.
func (a *App) Calibrations(ctx context.Context, who persist.TokenInfo) ([]persist.CalibrationRecord, int64, error) {
	if a.db == nil {
		return nil, 0, ErrNoDatabase
	}
	if !calibrateScope(roleOf(who)) {
		return nil, 0, denied("token %s may not list calibrations: that needs an admin token", who.Prefix())
	}
	list, err := a.db.Calibrations(ctx)
	if err != nil {
		return nil, 0, err
	}
	served, err := a.db.ServedCalibration(ctx)
	return list, served, err
}

// CalibrationSummary is what the map shows of the served definition's calibration.
type CalibrationSummary struct {
	DefinitionVersion string                `json:"definition_version"`
	Calibration       string                `json:"calibration"` // the label: calibrated with N samples (dates), or uncalibrated
	BaseVersion       string                `json:"base_version,omitempty"`
	Corrections       []coverage.Correction `json:"corrections"`
	Refused           []coverage.Refusal    `json:"refused"`
}

// CalibrationSummary describes the calibration of st's definition.
func (st *State) CalibrationSummary() CalibrationSummary {
	def := st.Definition
	out := CalibrationSummary{DefinitionVersion: def.Version, Calibration: def.CalibrationLabel(),
		Corrections: []coverage.Correction{}, Refused: []coverage.Refusal{}}
	if c := def.Calibration; c != nil {
		out.BaseVersion = c.BaseVersion
		out.Corrections = append(out.Corrections, c.Corrections...)
		out.Refused = append(out.Refused, c.Refused...)
	}
	return out
}

// servedDefinition returns the definition a database says to serve (nil: the uncalibrated one).
func servedDefinition(ctx context.Context, db *persist.DB) (*coverage.Definition, int64, error) {
	id, err := db.ServedCalibration(ctx)
	if err != nil || id == 0 {
		return nil, 0, err
	}
	def, err := storedDefinition(ctx, db, id)
	if err != nil {
		return nil, id, fmt.Errorf("app: the served calibration %d cannot be read (serve another with the admin API, or start with --config): %w", id, err)
	}
	return def, id, nil
}
