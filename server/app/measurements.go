package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/measure"
	"phusong/data/persist"
	"phusong/data/render"
)

// MeasurementImport is one file of measurements to store (drive tests, scanner logs, an
// OpenCelliD export).
type MeasurementImport struct {
	Format   string    // FormatCSV or FormatGeoJSON
	Body     io.Reader // the file; its reading errors are returned as they are (wrapped)
	Carrier  string    // the network the file measures; "" = any carrier (the row says), for an admin
	FileName string
	Note     string
	DryRun   bool // validate and count (duplicates too), keep nothing
}

// ImportMeasurements validates in.Body all-or-nothing (every problem a data.ParseError with its
// line or feature and field) and stores its samples as one upload, streaming: the file is read
// once and never held whole (CSV; a GeoJSON collection is held whole by its reader, bounded by
// the body limits). A carrier token uploads its own network's measurements (in.Carrier "" means
// its own, another carrier is ErrForbidden, and so is a row of another carrier); an admin token
// any carrier's (in.Carrier narrows). Duplicates of stored samples are counted and dropped. A
// file without a sample is refused.
func (a *App) ImportMeasurements(ctx context.Context, who persist.TokenInfo, in MeasurementImport) (persist.MeasurementUpload, error) {
	if a.db == nil {
		return persist.MeasurementUpload{}, ErrNoDatabase
	}
	st := a.State()
	carrier, err := measurementCarrier(st, who, in.Carrier)
	if err != nil {
		return persist.MeasurementUpload{}, err
	}
	br := bufio.NewReader(in.Body)
	if err := sniffText(br); err != nil {
		return persist.MeasurementUpload{}, err
	}
	var body io.Reader = br
	read := input.ReadMeasurementsGeoJSON
	if in.Format == FormatCSV {
		body, read = &lineBound{r: br, max: maxCSVLineBytes, line: 1}, input.ReadMeasurementsCSV
	}
	loc := a.locator(st)
	opts := input.MeasurementOptions{Carrier: carrier, Area: st.Area, Now: a.now(),
		Inside: func(lon, lat float64) bool { return loc.At(lon, lat) >= 0 }}
	u, err := a.db.ImportMeasurements(ctx, func(add func(*data.Measurement) error) (persist.MeasurementUpload, error) {
		rep, err := read(body, opts, add)
		if err != nil {
			return persist.MeasurementUpload{}, err
		}
		if rep.Samples == 0 {
			return persist.MeasurementUpload{}, invalid("the file holds no measurement sample (only a header, or only rows that are skipped)")
		}
		return persist.MeasurementUpload{Carrier: carrier, TokenID: who.ID, Source: rep.Format, FileName: in.FileName,
			Rows: rep.Rows, Skipped: rep.Skipped, Warnings: rep.Warnings, Note: in.Note, DryRun: in.DryRun}, nil
	})
	if err != nil {
		return persist.MeasurementUpload{}, err
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "measurements", slog.Int64("upload_id", u.ID), slog.String("carrier", carrier),
		slog.String("token_id", who.ID), slog.String("source", u.Source), slog.Bool("dry_run", u.DryRun),
		slog.Int("rows", u.Rows), slog.Int("stored", u.Stored), slog.Int("duplicates", u.Duplicates))
	return u, nil
}

// measurementCarrier checks that who may upload measurements of carrier ("" = what the token's
// scope allows) and returns the carrier the file must hold ("" = any).
func measurementCarrier(st *State, who persist.TokenInfo, carrier string) (string, error) {
	s := scopeOf(roleOf(who), actMeasurements)
	switch {
	case s == scopeNone:
		return "", denied("token %s may not upload measurements", who.Prefix())
	case s == scopeOwnCarrier && carrier == "":
		return who.Carrier, nil
	case !allows(s, who, carrier):
		return "", denied("token %s uploads carrier %q's measurements, not %q's", who.Prefix(), who.Carrier, carrier)
	case carrier != "" && !st.listsCarrier(carrier):
		return "", fmt.Errorf("carrier %q: %w", carrier, ErrNotFound)
	}
	return carrier, nil
}

// locator returns the commune locator of st's communes (the same for every state the app
// serves: an app's communes never change), built on first use.
func (a *App) locator(st *State) *data.CommuneLocator {
	a.measured.locOnce.Do(func() { a.measured.loc = data.NewCommuneLocator(st.Communes) })
	return a.measured.loc
}

// MeasurementUploads lists the measurement uploads who may see, newest first: a carrier token
// those limited to its carrier, an admin or planner token every one.
func (a *App) MeasurementUploads(ctx context.Context, who persist.TokenInfo, limit int) ([]persist.MeasurementUpload, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	switch scopeOf(roleOf(who), actMeasurements) {
	case scopeAnyCarrier:
		return a.db.MeasurementUploads(ctx, "", limit)
	case scopeOwnCarrier:
		return a.db.MeasurementUploads(ctx, who.Carrier, limit)
	}
	return nil, denied("token %s may not see measurement uploads", who.Prefix())
}

// WithdrawMeasurements deletes the samples of upload id, if who may: the carrier it was limited
// to, an admin token (an upload of every carrier's samples only an admin), or the planner token
// that made it. Another carrier's upload is not found, as an unknown one is (a 403 would tell a
// rival that the id exists); a planner may see but not withdraw others' uploads (403).
func (a *App) WithdrawMeasurements(ctx context.Context, who persist.TokenInfo, id int64) (persist.MeasurementUpload, error) {
	if a.db == nil {
		return persist.MeasurementUpload{}, ErrNoDatabase
	}
	u, err := a.db.MeasurementUploadByID(ctx, id)
	if err != nil {
		return u, err
	}
	switch r := roleOf(who); {
	case !allows(scopeOf(r, actMeasurements), who, u.Carrier):
		return persist.MeasurementUpload{}, fmt.Errorf("%w: measurement upload %d", persist.ErrNotFound, id)
	case r == rolePlanner && u.TokenID != who.ID:
		return persist.MeasurementUpload{}, denied("token %s may withdraw only its own measurement uploads, not %d", who.Prefix(), id)
	}
	return a.db.WithdrawMeasurements(ctx, id)
}

// measuredCache holds the comparison of the stored measurements with one served state, computed
// once per (state, measurements version) in the background: requests wait for it (until their
// own deadline) and the next ones find it done.
type measuredCache struct {
	locOnce sync.Once
	loc     *data.CommuneLocator

	mu sync.Mutex
	e  *measuredEntry
}

type measuredEntry struct {
	st      *State
	version string
	done    chan struct{}
	cmp     *measure.Comparison
	err     error
}

// comparison returns the stored measurements compared with the served state's predictions.
func (a *App) comparison(ctx context.Context) (*measure.Comparison, *State, error) {
	if a.db == nil {
		return nil, nil, ErrNoDatabase
	}
	st := a.State()
	if !st.predicts() {
		return nil, nil, st.readOnly()
	}
	e, err := a.measuredEntry(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	return e.cmp, st, e.err
}

// measuredEntry returns the comparison of the stored measurements (at their current version)
// with st, done; it waits until ctx ends.
func (a *App) measuredEntry(ctx context.Context, st *State) (*measuredEntry, error) {
	v, err := a.db.MeasurementsVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &a.measured
	c.mu.Lock()
	e := c.e
	if e == nil || e.st != st || e.version != v {
		e = &measuredEntry{st: st, version: v, done: make(chan struct{})}
		c.e = e
		bg := context.WithoutCancel(ctx)
		go func() {
			defer close(e.done)
			e.cmp, e.err = measure.Compare(bg, st.Coverage.NewPredictor(st.Snapshot), a.db.Measurements(bg, persist.MeasurementFilter{}), measure.Options{})
		}()
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// MeasurementStats is the comparison of the stored measurements with the served predictions.
type MeasurementStats struct {
	*measure.Summary
	DataVersion uint64                `json:"data_version"`
	Corrections []coverage.Correction `json:"corrections"`    // of the served definition; [] uncalibrated
	Note        string                `json:"note,omitempty"` // the predictions rest on synthetic stations
}

// MeasurementStats compares the stored measurements f selects with the served state's
// predictions (see measure.Comparison.Stats). An unknown carrier or a technology other than 3G
// and 4G is an *ArgError.
func (a *App) MeasurementStats(ctx context.Context, f measure.Filter) (*MeasurementStats, error) {
	if err := checkFilter(a.State(), f); err != nil {
		return nil, err
	}
	cmp, st, err := a.comparison(ctx)
	if err != nil {
		return nil, err
	}
	out := &MeasurementStats{Summary: cmp.Stats(f), DataVersion: st.Snapshot.Version(), Corrections: []coverage.Correction{}, Note: st.Note}
	if c := st.Definition.Calibration; c != nil {
		out.Corrections = c.Corrections
	}
	return out, nil
}

// checkFilter refuses a carrier st does not list and a technology not analysed.
func checkFilter(st *State, f measure.Filter) error {
	switch {
	case f.Carrier != "" && !st.listsCarrier(f.Carrier):
		return &ArgError{"carrier", f.Carrier, "unknown carrier"}
	case f.Tech != "" && !slices.Contains(data.AnalysedTechs, f.Tech):
		return &ArgError{"tech", string(f.Tech), "must be 3G or 4G"}
	}
	return nil
}

// MeasurementLayer returns the map's measurement layer: the samples f selects in squares of
// cellM metres (centres within bbox; the zero Bound: everywhere), with their mean level and mean
// residual (render.MeasurementBins), marked synthetic when the predictions rest on the demo's
// stations.
func (a *App) MeasurementLayer(ctx context.Context, f measure.Filter, cellM float64, bbox orb.Bound) (*geojson.FeatureCollection, error) {
	if err := checkFilter(a.State(), f); err != nil {
		return nil, err
	}
	cmp, st, err := a.comparison(ctx)
	if err != nil {
		return nil, err
	}
	fc := render.MeasurementBins(cmp.Bins(f, cellM, bbox), cellM, st.Definition.Version, st.Definition.CalibrationLabel())
	if st.Note != "" {
		render.MarkSynthetic(fc, st.Note)
	}
	return fc, nil
}
