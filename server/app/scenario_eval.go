package app

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/persist"
	"phusong/geo"
)

// Counts are one technology's coverage of a commune (or the province) that a scenario
// compares: by any carrier unless named per carrier. Areas km² (rasterised land), people and
// households as the coverage figures count them.
type Counts struct {
	CoveredAreaKM2        float64         `json:"covered_area_km2"`
	CoveredPopulation     float64         `json:"covered_population"`
	CoveredHouseholds     float64         `json:"covered_households"`
	WhiteAreaKM2          float64         `json:"white_area_km2"`
	SingleCarrierAreaKM2  float64         `json:"single_carrier_area_km2"`
	CompetitiveAreaKM2    float64         `json:"competitive_area_km2"`
	WhitePopulation       float64         `json:"white_population"`
	SingleCarrierPeople   float64         `json:"single_carrier_population"`
	CompetitivePopulation float64         `json:"competitive_population"`
	CarriersPresent       int             `json:"carriers_present"`
	PerCarrier            []CarrierCounts `json:"per_carrier"`
}

// CarrierCounts is one carrier's part of Counts.
type CarrierCounts struct {
	Carrier           string  `json:"carrier"`
	CoveredAreaKM2    float64 `json:"covered_area_km2"`
	CoveredPopulation float64 `json:"covered_population"`
	CoveredHouseholds float64 `json:"covered_households"`
}

// TechDelta is a technology's figures before (the published data) and after (the scenario),
// and after − before.
type TechDelta struct {
	Tech   data.Tech `json:"tech"`
	Before Counts    `json:"before"`
	After  Counts    `json:"after"`
	Delta  Counts    `json:"delta"`
	// Pockets counts the published data's dead-zone pockets of at least
	// pocket.DefaultMinPeople people (for a commune, those whose most people live there);
	// PocketsClosed those of which fewer than pocket.DefaultMinPeople people are left
	// uncovered by the scenario, and PocketPeopleCovered the people of those pockets (closed
	// or not) it covers.
	Pockets             int     `json:"pockets"`
	PocketsClosed       int     `json:"pockets_closed"`
	PocketPeopleCovered float64 `json:"pocket_people_covered"`
}

// CommuneDelta is a commune whose figures the scenario changes.
type CommuneDelta struct {
	Code string `json:"code"`
	Name string `json:"name"`
	TechDelta
}

// ScenarioResult is a scenario evaluated on the published data.
type ScenarioResult struct {
	Scenario ScenarioInfo `json:"scenario"`
	// DataUpload is the published data the result is computed on (the last station-list
	// upload); Rebased is true when that is newer than the scenario's base and its edits were
	// re-applied on it.
	DataUpload int64          `json:"data_upload"`
	Rebased    bool           `json:"rebased"`
	Province   []TechDelta    `json:"province"`
	Communes   []CommuneDelta `json:"communes"`
	Note       string         `json:"data_note,omitempty"`
	EvalMS     float64        `json:"evaluate_ms"` // fork, incremental update and deltas
}

// EvaluateScenario evaluates scenario id (if who owns it) on the published data: deltas of
// the province and of every commune whose figures change, per analysed technology.
func (a *App) EvaluateScenario(ctx context.Context, who persist.TokenInfo, id int64) (*ScenarioResult, error) {
	clock := time.Now()
	ns, base, info, rebased, err := a.scenarioState(ctx, who, id)
	if err != nil {
		return nil, err
	}
	cur, err := a.db.LastSiteUpload(ctx)
	if err != nil {
		return nil, err
	}
	out := scenarioDeltas(a.baseline.of(base.Coverage), ns.Coverage)
	out.Scenario, out.DataUpload, out.Rebased, out.Note = info, cur, rebased, base.PeopleNote()
	out.EvalMS = since(&clock)
	return out, nil
}

// baseline is what every evaluation on one served result shares: its cells' people and its
// pockets per technology (at least pocket.DefaultMinPeople people), computed once.
type baseline struct {
	res     *coverage.Result
	people  []float64
	pockets map[data.Tech]*pocket.Layer
}

// baselineCache keeps the baseline of the served result.
type baselineCache struct {
	mu sync.Mutex
	b  *baseline
}

// of returns r's baseline, computing it if r is not the cached one.
func (c *baselineCache) of(r *coverage.Result) *baseline {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.b != nil && c.b.res == r {
		return c.b
	}
	c.b = newBaseline(r)
	return c.b
}

func newBaseline(r *coverage.Result) *baseline {
	b := &baseline{res: r, people: r.Engine().CellPeople(), pockets: map[data.Tech]*pocket.Layer{}}
	for _, t := range data.AnalysedTechs {
		if l, err := pocket.Find(r, t, pocket.Options{MinPeople: pocket.DefaultMinPeople}); err == nil {
			b.pockets[t] = l
		}
	}
	return b
}

// scenarioDeltas compares a result of the baseline's engine with the baseline.
func scenarioDeltas(base *baseline, after *coverage.Result) *ScenarioResult {
	before := base.res
	out := &ScenarioResult{Province: []TechDelta{}, Communes: []CommuneDelta{}}
	for _, t := range data.AnalysedTechs {
		td := techDelta(t, before.Province(t), after.Province(t))
		pk := pocketChanges(base, after, t)
		td.Pockets, td.PocketsClosed, td.PocketPeopleCovered = len(pk), 0, 0
		for _, p := range pk {
			td.PocketPeopleCovered += p.covered
			if p.closed {
				td.PocketsClosed++
			}
		}
		td.PocketPeopleCovered = round1(td.PocketPeopleCovered)
		out.Province = append(out.Province, td)
		b, a := before.CommuneStatsFor(t), after.CommuneStatsFor(t)
		for i := range min(len(a), len(b)) {
			cd := techDelta(t, b[i], a[i])
			for _, p := range pk {
				if p.commune == a[i].Code {
					cd.Pockets++
					cd.PocketPeopleCovered += p.covered
					if p.closed {
						cd.PocketsClosed++
					}
				}
			}
			cd.PocketPeopleCovered = round1(cd.PocketPeopleCovered)
			if !zeroCounts(cd.Delta) || cd.PocketPeopleCovered > 0 {
				out.Communes = append(out.Communes, CommuneDelta{Code: a[i].Code, Name: a[i].Name, TechDelta: cd})
			}
		}
	}
	return out
}

// countsOf extracts Counts from one commune's (or the province's) statistics, rounded (areas
// to 0.0001 km², people and households to 0.1).
func countsOf(s coverage.CommuneStats) Counts {
	c := Counts{
		CoveredAreaKM2: round4(s.CoveredAreaKM2), CoveredPopulation: round1(s.CoveredPopulation), CoveredHouseholds: round1(s.CoveredHouseholds),
		WhiteAreaKM2: round4(s.WhiteAreaKM2), SingleCarrierAreaKM2: round4(s.SingleCarrierAreaKM2), CompetitiveAreaKM2: round4(s.CompetitiveAreaKM2),
		WhitePopulation: round1(s.WhitePopulation), SingleCarrierPeople: round1(s.SingleCarrierPopulation),
		CompetitivePopulation: round1(s.CompetitivePopulation), CarriersPresent: s.CarriersPresent, PerCarrier: []CarrierCounts{},
	}
	for _, pc := range s.PerCarrier {
		c.PerCarrier = append(c.PerCarrier, CarrierCounts{Carrier: pc.Carrier, CoveredAreaKM2: round4(pc.CoveredAreaKM2),
			CoveredPopulation: round1(pc.CoveredPopulation), CoveredHouseholds: round1(pc.CoveredHouseholds)})
	}
	return c
}

// techDelta compares two statistics of one commune (or the province).
func techDelta(t data.Tech, b, a coverage.CommuneStats) TechDelta {
	td := TechDelta{Tech: t, Before: countsOf(b), After: countsOf(a)}
	d := &td.Delta
	x, y := td.Before, td.After
	d.CoveredAreaKM2, d.CoveredPopulation, d.CoveredHouseholds = round4(y.CoveredAreaKM2-x.CoveredAreaKM2), round1(y.CoveredPopulation-x.CoveredPopulation), round1(y.CoveredHouseholds-x.CoveredHouseholds)
	d.WhiteAreaKM2, d.SingleCarrierAreaKM2, d.CompetitiveAreaKM2 = round4(y.WhiteAreaKM2-x.WhiteAreaKM2), round4(y.SingleCarrierAreaKM2-x.SingleCarrierAreaKM2), round4(y.CompetitiveAreaKM2-x.CompetitiveAreaKM2)
	d.WhitePopulation, d.SingleCarrierPeople, d.CompetitivePopulation = round1(y.WhitePopulation-x.WhitePopulation), round1(y.SingleCarrierPeople-x.SingleCarrierPeople), round1(y.CompetitivePopulation-x.CompetitivePopulation)
	d.CarriersPresent = y.CarriersPresent - x.CarriersPresent
	d.PerCarrier = []CarrierCounts{}
	carriers := map[string][2]CarrierCounts{}
	var order []string
	for side, cs := range [][]CarrierCounts{x.PerCarrier, y.PerCarrier} {
		for _, c := range cs {
			v, ok := carriers[c.Carrier]
			if !ok {
				order = append(order, c.Carrier)
			}
			v[side] = c
			carriers[c.Carrier] = v
		}
	}
	for _, id := range order {
		v := carriers[id]
		dc := CarrierCounts{Carrier: id, CoveredAreaKM2: round4(v[1].CoveredAreaKM2 - v[0].CoveredAreaKM2),
			CoveredPopulation: round1(v[1].CoveredPopulation - v[0].CoveredPopulation), CoveredHouseholds: round1(v[1].CoveredHouseholds - v[0].CoveredHouseholds)}
		if dc != (CarrierCounts{Carrier: id}) {
			d.PerCarrier = append(d.PerCarrier, dc)
		}
	}
	return td
}

// zeroCounts reports whether a delta changes nothing.
func zeroCounts(d Counts) bool {
	return d.CoveredAreaKM2 == 0 && d.CoveredPopulation == 0 && d.WhiteAreaKM2 == 0 && d.SingleCarrierAreaKM2 == 0 &&
		d.CompetitiveAreaKM2 == 0 && d.CarriersPresent == 0 && len(d.PerCarrier) == 0
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// pocketChange is what a scenario does to one of the baseline's pockets.
type pocketChange struct {
	commune string  // where most of its people live
	covered float64 // its people the scenario covers
	closed  bool    // fewer than pocket.DefaultMinPeople of its people are left uncovered
}

// pocketChanges measures the baseline's pockets of tech against after's coverage.
func pocketChanges(base *baseline, after *coverage.Result, tech data.Tech) []pocketChange {
	l := base.pockets[tech]
	if l == nil {
		return nil
	}
	req, _ := after.Engine().RequiredDBm(tech, false)
	f := after.Field(coverage.AnyCarrier, tech)
	out := make([]pocketChange, len(l.Pockets))
	for i, p := range l.Pockets {
		left := 0.0
		for _, k := range p.Cells {
			if float64(f[k]) >= req {
				out[i].covered += base.people[k]
			} else {
				left += base.people[k]
			}
		}
		out[i].commune, out[i].closed = p.Communes[0].Code, left < pocket.DefaultMinPeople
	}
	return out
}

// ScenarioChanges is the GeoJSON of where scenario id changes tech's coverage by any carrier:
// a "covered" feature (newly covered land) and a "lost" one (no longer covered), each the
// outline of the grid cells concerned (lon/lat), with their people and area.
func (a *App) ScenarioChanges(ctx context.Context, who persist.TokenInfo, id int64, tech data.Tech) (*geojson.FeatureCollection, error) {
	ns, base, _, _, err := a.scenarioState(ctx, who, id)
	if err != nil {
		return nil, err
	}
	req, ok := base.Engine.RequiredDBm(tech, false)
	if !ok {
		return nil, &ArgError{"tech", string(tech), "must be 3G or 4G"}
	}
	return changesGeoJSON(a.baseline.of(base.Coverage), ns.Coverage, tech, req, base.PeopleNote()), nil
}

// changesGeoJSON outlines the cells whose any-carrier coverage of tech differs.
func changesGeoJSON(base *baseline, after *coverage.Result, tech data.Tech, req float64, note string) *geojson.FeatureCollection {
	before, people := base.res, base.people
	e := before.Engine()
	g := e.Grid()
	fb, fa := before.Field(coverage.AnyCarrier, tech), after.Field(coverage.AnyCarrier, tech)
	fc := geojson.NewFeatureCollection()
	for _, kind := range []string{"covered", "lost"} {
		want := kind == "covered"
		in := func(k int) bool {
			return fb != nil && fa != nil && (float64(fa[k]) >= req) == want && (float64(fb[k]) >= req) != want
		}
		i0, j0, i1, j1 := g.NX, g.NY, 0, 0
		var n int
		var ppl float64
		for k := range g.Len() {
			if in(k) {
				i, j := k%g.NX, k/g.NX
				i0, j0, i1, j1 = min(i0, i), min(j0, j), max(i1, i+1), max(j1, j+1)
				n++
				ppl += people[k]
			}
		}
		mp := orb.MultiPolygon{}
		if n > 0 {
			mp = geo.LonLatMultiPolygon(e.Projection(), geo.CellOutlines(g, i0, j0, i1, j1, func(i, j int) bool { return in(g.Index(i, j)) }))
		}
		f := geojson.NewFeature(mp)
		f.Properties = geojson.Properties{"change": kind, "tech": string(tech), "cells": n,
			"area_km2": round4(float64(n) * g.CellM * g.CellM / 1e6), "people": round1(ppl)}
		if note != "" {
			f.Properties["data_note"] = note
		}
		fc.Append(f)
	}
	return fc
}
