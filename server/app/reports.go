package app

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/data/persist"
	"phusong/data/render"
)

// "No signal here": anyone on the public map reports, with one tap, what their phone does where
// they stand (no service, weak, calls drop, fine) for a carrier and technology. No account: the
// browser sends a random device id, which is stored only as a keyed hash whose key rotates; the
// client address is never stored (the transport rate-limits by it). Positions are rounded to a
// 100 m grid before anything is stored. Reports aggregate to grid cells; a cell is disputed when
// enough independent reports on enough days contradict the prediction there.

// ReportRules are the parameters of the reports. The zero value of a field takes its default.
type ReportRules struct {
	RoundM        float64       // positions are rounded to the centres of a grid of this size (engine frame); 100
	CellM         float64       // aggregation cells, metres; 500
	PerCellPerDay int           // reports a cell takes a day (all carriers); 20
	Retention     time.Duration // reports are deleted after; 180 days
	KeyRotation   time.Duration // the reporters' hash key is replaced after; 30 days
	MinReporters  int           // independent (distinct devices) contradicting reports to dispute a cell; 3
	MinDays       int           // on at least this many days; 2
	StrongDB      float64       // "weak" contradicts a prediction this far above the required level; 10
}

func (r ReportRules) withDefaults() ReportRules {
	d := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	d(&r.RoundM, 100)
	d(&r.CellM, 500)
	d(&r.StrongDB, 10)
	if r.PerCellPerDay <= 0 {
		r.PerCellPerDay = 20
	}
	if r.Retention <= 0 {
		r.Retention = 180 * 24 * time.Hour
	}
	if r.KeyRotation <= 0 {
		r.KeyRotation = 30 * 24 * time.Hour
	}
	if r.MinReporters <= 0 {
		r.MinReporters = 3
	}
	if r.MinDays <= 0 {
		r.MinDays = 2
	}
	return r
}

// WithReportRules sets the report parameters (call before serving).
func (a *App) WithReportRules(r ReportRules) { a.disputes.rules = r.withDefaults() }

func (a *App) reportRules() ReportRules { return a.disputes.rules.withDefaults() }

// SignalReportRequest is one report from the map.
type SignalReportRequest struct {
	Lon     float64   `json:"lon"`
	Lat     float64   `json:"lat"`
	Carrier string    `json:"carrier"`
	Tech    data.Tech `json:"tech"`
	Outcome string    `json:"outcome"` // no_service, weak, drops, fine
	Device  string    `json:"device"`  // the browser's random id, 16–64 of A-Z a-z 0-9 _ -
}

// ReportAck is what the reporter is told back: where the report was filed (rounded), and what
// the map predicts there.
type ReportAck struct {
	ID                int64    `json:"id"`
	Day               string   `json:"day"`
	Lon               float64  `json:"lon"` // the rounded position stored
	Lat               float64  `json:"lat"`
	Cell              string   `json:"cell"`
	PredictedLevelDBm *float64 `json:"predicted_level_dbm"` // null: no prediction there
	PredictedCovered  bool     `json:"predicted_covered"`
	Contradicts       bool     `json:"contradicts"` // the report disputes the prediction
}

// validDevice reports whether d looks like the map's random device id.
func validDevice(d string) bool {
	return len(d) >= 16 && len(d) <= 64 && strings.Trim(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

// ReportSignal files a report: the position must lie on the communes' land, the carrier be
// listed, the technology 3G or 4G, the outcome one of four; the position is rounded (RoundM)
// before it is stored, the device id stored only as a keyed hash. A place (aggregation cell)
// takes PerCellPerDay reports a day (persist.ErrReportCap after); reports older than Retention
// are deleted on the way. Refused fields are data.ParseErrors naming them.
func (a *App) ReportSignal(ctx context.Context, req SignalReportRequest) (ReportAck, error) {
	if a.db == nil {
		return ReportAck{}, ErrNoDatabase
	}
	st := a.State()
	if !st.predicts() {
		return ReportAck{}, st.readOnly()
	}
	rules := a.reportRules()
	var errs data.ParseErrors
	bad := func(field, value, msg string) {
		errs = append(errs, &data.ParseError{Field: field, Value: value, Msg: msg})
	}
	if pe := data.CheckPosition(req.Lon, req.Lat, st.Area); len(pe) > 0 {
		errs = append(errs, pe...)
	} else if a.locator(st).At(req.Lon, req.Lat) < 0 {
		bad("lon/lat", data.FormatNum(req.Lon)+","+data.FormatNum(req.Lat), "is outside every commune")
	}
	if !st.listsCarrier(req.Carrier) {
		bad("carrier", req.Carrier, "is not a listed carrier")
	}
	if !slices.Contains(data.AnalysedTechs, req.Tech) {
		bad("tech", string(req.Tech), "must be 3G or 4G")
	}
	switch req.Outcome {
	case persist.OutcomeNoService, persist.OutcomeWeak, persist.OutcomeDrops, persist.OutcomeFine:
	default:
		bad("outcome", req.Outcome, "must be no_service, weak, drops or fine")
	}
	if !validDevice(req.Device) {
		bad("device", "", "must be the map's random device id (16–64 letters, digits, _ or -)")
	}
	if len(errs) > 0 {
		return ReportAck{}, errs
	}
	tm := st.Coverage.Engine().Projection()
	xy := tm.Forward(orb.Point{req.Lon, req.Lat})
	rounded := tm.Inverse(orb.Point{(math.Floor(xy[0]/rules.RoundM) + 0.5) * rules.RoundM, (math.Floor(xy[1]/rules.RoundM) + 0.5) * rules.RoundM})
	key, err := a.db.ReporterKey(ctx, rules.KeyRotation)
	if err != nil {
		return ReportAck{}, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(req.Device))
	now := a.now()
	r, err := a.db.AddReport(ctx, persist.SignalReport{Day: now.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02"),
		Carrier: req.Carrier, Tech: req.Tech, Outcome: req.Outcome, Lon: round6(rounded[0]), Lat: round6(rounded[1]),
		Cell: cellID(xy, rules.CellM), Reporter: hex.EncodeToString(mac.Sum(nil))[:32]}, rules.PerCellPerDay, rules.Retention)
	if err != nil {
		return ReportAck{}, err
	}
	ack := ReportAck{ID: r.ID, Day: r.Day, Lon: r.Lon, Lat: r.Lat, Cell: r.Cell}
	pl, ok := levelOf(st.Coverage.LevelsAt(orb.Point{r.Lon, r.Lat}), r.Carrier, r.Tech)
	if ok {
		v := math.Round(pl.LevelDBm*10) / 10
		ack.PredictedLevelDBm, ack.PredictedCovered = &v, pl.CoveredOutdoor
	}
	ack.Contradicts = contradicts(r.Outcome, pl, ok, rules.StrongDB)
	a.log.LogAttrs(ctx, slog.LevelInfo, "signal report", slog.Int64("report_id", r.ID), slog.String("carrier", r.Carrier),
		slog.String("tech", string(r.Tech)), slog.String("outcome", r.Outcome), slog.String("cell", r.Cell))
	return ack, nil
}

// reportsPruneEvery is how often a serving App deletes the reports past their retention.
const reportsPruneEvery = 24 * time.Hour

// pruneReports deletes the reports created more than the retention before now: filing a report
// purges too (persist.AddReport), but a server that takes none must still forget them on time.
func (a *App) pruneReports(ctx context.Context) {
	n, err := a.db.DeleteReportsBefore(ctx, a.now().Add(-a.reportRules().Retention))
	if err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "deleting the signal reports past their retention", slog.String("error", err.Error()))
		return
	}
	if n > 0 {
		a.log.LogAttrs(ctx, slog.LevelInfo, "signal reports past their retention deleted", slog.Int64("reports", n))
	}
}

// pruneReportsEvery runs pruneReports every interval until Close or ctx ends.
func (a *App) pruneReportsEvery(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			a.pruneReports(ctx)
		case <-a.closing:
			return
		case <-ctx.Done():
			return
		}
	}
}

// cellID names the aggregation cell of xy (engine frame).
func cellID(xy orb.Point, cellM float64) string {
	return strconv.Itoa(int(math.Floor(xy[0]/cellM))) + "_" + strconv.Itoa(int(math.Floor(xy[1]/cellM)))
}

// cellRing is the lon/lat outline of aggregation cell id, false for a malformed id.
func cellRing(tm interface{ Inverse(orb.Point) orb.Point }, id string, cellM float64) (orb.Ring, bool) {
	si, sj, ok := strings.Cut(id, "_")
	i, e1 := strconv.Atoi(si)
	j, e2 := strconv.Atoi(sj)
	if !ok || e1 != nil || e2 != nil {
		return nil, false
	}
	x0, y0 := float64(i)*cellM, float64(j)*cellM
	var ring orb.Ring
	for _, p := range []orb.Point{{x0, y0}, {x0 + cellM, y0}, {x0 + cellM, y0 + cellM}, {x0, y0 + cellM}, {x0, y0}} {
		q := tm.Inverse(p)
		ring = append(ring, orb.Point{round6(q[0]), round6(q[1])})
	}
	return ring, true
}

// levelOf is the served prediction of carrier's tech among the levels at a point (the grid
// cell's, coverage.Result.LevelsAt), false where there is none (off the grid, a carrier without
// sites, no site reaching the cutoff).
func levelOf(levels []coverage.PointLevel, carrier string, t data.Tech) (coverage.PointLevel, bool) {
	for _, pl := range levels {
		if pl.Carrier == carrier && pl.Tech == t {
			return pl, !math.IsNaN(pl.LevelDBm)
		}
	}
	return coverage.PointLevel{}, false
}

// contradicts reports whether outcome disputes the prediction pl (ok false: none, i.e. no
// coverage predicted): no service or dropping calls where coverage is predicted, weak where a
// strong level is predicted (strongDB above the required one), fine where none is predicted.
func contradicts(outcome string, pl coverage.PointLevel, ok bool, strongDB float64) bool {
	covered := ok && pl.CoveredOutdoor
	switch outcome {
	case persist.OutcomeNoService, persist.OutcomeDrops:
		return covered
	case persist.OutcomeWeak:
		return covered && pl.LevelDBm >= pl.RequiredOutdoorDBm+strongDB
	case persist.OutcomeFine:
		return !covered
	}
	return false
}

// DisputeCell is one aggregation cell with reports contradicting a carrier's predicted coverage.
type DisputeCell struct {
	Carrier   string         `json:"carrier"`
	Tech      data.Tech      `json:"tech"`
	Cell      string         `json:"cell"`
	Ring      orb.Ring       `json:"-"`         // lon/lat
	Reports   int            `json:"reports"`   // contradicting reports
	Reporters int            `json:"reporters"` // distinct devices among them: the independent reports
	Days      int            `json:"days"`      // distinct days among them
	FirstDay  string         `json:"first_day"`
	LastDay   string         `json:"last_day"`
	Outcomes  map[string]int `json:"outcomes"`  // contradicting reports by outcome
	Agreeing  int            `json:"agreeing"`  // reports in the cell that agree with the prediction
	Direction string         `json:"direction"` // worse (reports say less than predicted) or better
	Disputed  bool           `json:"disputed"`  // Reporters ≥ MinReporters on Days ≥ MinDays
	Review    persist.Review `json:"review"`    // state open until the carrier reviews it
}

// disputeCache holds the dispute cells of one (state, reports version).
type disputeCache struct {
	rules   ReportRules
	mu      sync.Mutex
	st      *State
	version string
	cells   []DisputeCell
}

// disputeCells returns every cell with a contradicting report, by carrier (display order), tech
// and cell, computed once per served state and reports version.
func (a *App) disputeCells(ctx context.Context) ([]DisputeCell, error) {
	if a.db == nil {
		return nil, ErrNoDatabase
	}
	st := a.State()
	if !st.predicts() {
		return nil, st.readOnly()
	}
	v, err := a.db.ReportsVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &a.disputes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == st && c.version == v {
		return c.cells, nil
	}
	rules := a.reportRules()
	reports, err := a.db.Reports(ctx, a.now().Add(-rules.Retention))
	if err != nil {
		return nil, err
	}
	reviews, err := a.db.Reviews(ctx, "")
	if err != nil {
		return nil, err
	}
	type key struct {
		carrier string
		tech    data.Tech
		cell    string
	}
	type acc struct {
		DisputeCell
		reporters, days map[string]bool
		worse           int
	}
	cells := map[key]*acc{}
	agree := map[key]int{}
	at := make([]orb.Point, len(reports))
	for n, r := range reports {
		at[n] = orb.Point{r.Lon, r.Lat}
	}
	levels, err := st.Coverage.LevelsAtPoints(ctx, at) // region by region: each region holding a report once
	if err != nil {
		return nil, err
	}
	for n, r := range reports {
		k := key{r.Carrier, r.Tech, r.Cell}
		pl, ok := levelOf(levels[n], r.Carrier, r.Tech)
		if !contradicts(r.Outcome, pl, ok, rules.StrongDB) {
			agree[k]++
			continue
		}
		c := cells[k]
		if c == nil {
			ring, _ := cellRing(st.Coverage.Engine().Projection(), r.Cell, rules.CellM)
			c = &acc{DisputeCell: DisputeCell{Carrier: r.Carrier, Tech: r.Tech, Cell: r.Cell, Ring: ring, FirstDay: r.Day,
				Outcomes: map[string]int{}, Review: persist.Review{Carrier: r.Carrier, Tech: r.Tech, Cell: r.Cell, State: persist.ReviewOpen}},
				reporters: map[string]bool{}, days: map[string]bool{}}
			cells[k] = c
		}
		c.Reports++
		c.Outcomes[r.Outcome]++
		c.reporters[r.Reporter], c.days[r.Day] = true, true
		c.FirstDay, c.LastDay = min(c.FirstDay, r.Day), max(c.LastDay, r.Day)
		if r.Outcome != persist.OutcomeFine {
			c.worse++
		}
	}
	for _, rv := range reviews {
		if c := cells[key{rv.Carrier, rv.Tech, rv.Cell}]; c != nil {
			c.Review = rv
		}
	}
	out := make([]DisputeCell, 0, len(cells))
	for k, c := range cells {
		c.Reporters, c.Days, c.Agreeing = len(c.reporters), len(c.days), agree[k]
		c.Disputed = c.Reporters >= rules.MinReporters && c.Days >= rules.MinDays
		c.Direction = "better"
		if 2*c.worse >= c.Reports {
			c.Direction = "worse"
		}
		out = append(out, c.DisputeCell)
	}
	rank := map[string]int{}
	for i, cr := range st.Carriers {
		rank[cr.ID] = i + 1
	}
	slices.SortFunc(out, func(x, y DisputeCell) int {
		return cmp.Or(cmp.Compare(rank[x.Carrier], rank[y.Carrier]), cmp.Compare(x.Carrier, y.Carrier), cmp.Compare(x.Tech, y.Tech), cmp.Compare(x.Cell, y.Cell))
	})
	c.st, c.version, c.cells = st, v, out
	return out, nil
}

// Disputes returns the disputed cells f selects: what the public map shows (aggregates only;
// the review notes stay in the carriers' queue).
func (a *App) Disputes(ctx context.Context, f measure.Filter) ([]DisputeCell, error) {
	if err := checkFilter(a.State(), f); err != nil {
		return nil, err
	}
	all, err := a.disputeCells(ctx)
	if err != nil {
		return nil, err
	}
	out := []DisputeCell{}
	for i := range all {
		if all[i].Disputed && (f.Carrier == "" || f.Carrier == all[i].Carrier) && (f.Tech == "" || f.Tech == all[i].Tech) {
			c := all[i]
			c.Review.Note, c.Review.TokenID = "", ""
			out = append(out, c)
		}
	}
	return out, nil
}

// ReviewQueue returns carrier's cells with contradicting reports, disputed or not yet, with their
// review: what the carrier works through. Its token or an admin token.
func (a *App) ReviewQueue(ctx context.Context, who persist.TokenInfo, carrier string) ([]DisputeCell, error) {
	if !allows(scopeOf(roleOf(who), actReview), who, carrier) {
		return nil, denied("token %s may not see carrier %q's review queue", who.Prefix(), carrier)
	}
	if !a.State().listsCarrier(carrier) {
		return nil, fmt.Errorf("carrier %q: %w", carrier, ErrNotFound)
	}
	all, err := a.disputeCells(ctx)
	if err != nil {
		return nil, err
	}
	out := []DisputeCell{}
	for _, c := range all {
		if c.Carrier == carrier {
			out = append(out, c)
		}
	}
	return out, nil
}

// Review marks carrier's cell (of tech) reviewed or resolved (or open again) with a note. Its
// token or an admin token; a cell without a contradicting report is ErrNotFound.
func (a *App) Review(ctx context.Context, who persist.TokenInfo, rv persist.Review) (persist.Review, error) {
	queue, err := a.ReviewQueue(ctx, who, rv.Carrier)
	if err != nil {
		return persist.Review{}, err
	}
	if !slices.ContainsFunc(queue, func(c DisputeCell) bool { return c.Tech == rv.Tech && c.Cell == rv.Cell }) {
		return persist.Review{}, fmt.Errorf("no report disputes %s %s in cell %q: %w", rv.Carrier, rv.Tech, rv.Cell, ErrNotFound)
	}
	rv.TokenID = who.ID
	return a.db.SetReview(ctx, rv)
}

// DisputesLayer returns the disputed cells f selects as GeoJSON for the public map: one square
// per cell (lon/lat) with carrier, tech, cell, reporters (independent reports), days, first_day,
// last_day, direction (worse: reports say less than predicted; better), review_state, the
// definition_version and calibration the prediction came from, and the synthetic note when the
// stations are the demo's.
func (a *App) DisputesLayer(ctx context.Context, f measure.Filter) (*geojson.FeatureCollection, error) {
	cells, err := a.Disputes(ctx, f)
	if err != nil {
		return nil, err
	}
	st := a.State()
	fc := geojson.NewFeatureCollection()
	for _, c := range cells {
		ft := geojson.NewFeature(orb.Polygon{c.Ring})
		ft.ID = c.Carrier + "/" + string(c.Tech) + "/" + c.Cell // as the review route names it
		ft.Properties = geojson.Properties{"carrier": c.Carrier, "tech": c.Tech, "cell": c.Cell, "reporters": c.Reporters,
			"days": c.Days, "first_day": c.FirstDay, "last_day": c.LastDay, "direction": c.Direction,
			"review_state": c.Review.State, "definition_version": st.Definition.Version, "calibration": st.Definition.CalibrationLabel()}
		fc.Append(ft)
	}
	if st.Note != "" {
		render.MarkSynthetic(fc, st.Note)
	}
	return fc, nil
}
