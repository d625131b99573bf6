package coverage

import (
	"math"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/store"
)

// Prediction is the engine's predicted level at one point for one carrier and technology: the
// level of one sector, with what a comparison with a measurement needs to know about it.
type Prediction struct {
	LevelDBm  float64      // median level, dBm (RSRP for 4G, RSCP for 3G); NaN: no sector to predict from
	Site      data.SiteKey // the sector's site (zero when LevelDBm is NaN)
	Sector    int          // index into the site's Sectors
	Matched   bool         // the sector was chosen by its cell id, not as the best server
	DistanceM float64      // horizontal distance from the mast, metres (engine frame)
	Ward      bool         // the point is on ward land (the definition's ward_env), else commune land
	Commune   int          // index into Engine.Communes of the commune owning the point's cell, -1 outside
}

// PredictSearchM is how far beyond a site's reach (Engine.Reach, at the cutoff) a Predictor still
// looks for the best server, metres: a point no site reaches at the cutoff still gets the level
// of the best sector within that margin (a measurement there compares with a weak prediction,
// not with none).
const PredictSearchM = 5000.0

// predictBlockM is the side of the blocks a Predictor caches its candidate sites for, metres.
const predictBlockM = 1000.0

// maxPredictBlocks bounds the blocks a Predictor caches; past it the cache starts over.
const maxPredictBlocks = 8192

// Predictor predicts levels at arbitrary points (measurement positions) from one snapshot, the
// way the grid does but at the exact point: the sector whose cell id a measurement names, or else
// the best server among the carrier's counted sites. Levels are not cut off: below the
// technology's cutoff they are still given, down to the level of the best sector within
// PredictSearchM beyond its reach. A Predictor is not safe for concurrent use; Fork gives one
// per goroutine.
type Predictor struct {
	e     *Engine
	snap  *store.Snapshot
	cells map[cellKey][]sectorRef // shared by forks, read-only
	cache map[blockKey][]*siteModel
	// communeAt, when not nil, gives the commune of a cell of e's grid where e holds no land
	// raster (a result computed region by region: Result.NewPredictor).
	communeAt func(i, j int) int32
}

type cellKey struct {
	carrier, cellID string
	tech            data.Tech
}

type sectorRef struct {
	site *data.Site
	k    int
}

type blockKey struct {
	carrier string
	ti      int
	bx, by  int
}

// NewPredictor returns a predictor over snap, which must come from a store built with e.Reach.
func (e *Engine) NewPredictor(snap *store.Snapshot) *Predictor {
	cells := map[cellKey][]sectorRef{}
	for _, s := range snap.Sites(store.Filter{}) {
		for k := range s.Sectors {
			sec := &s.Sectors[k]
			if sec.CellID != "" && techIndex(sec.Tech) >= 0 {
				key := cellKey{s.Carrier, sec.CellID, sec.Tech}
				cells[key] = append(cells[key], sectorRef{s, k})
			}
		}
	}
	return &Predictor{e: e, snap: snap, cells: cells, cache: map[blockKey][]*siteModel{}}
}

// Fork returns a predictor over the same snapshot for another goroutine.
func (p *Predictor) Fork() *Predictor {
	return &Predictor{e: p.e, snap: p.snap, cells: p.cells, cache: map[blockKey][]*siteModel{}, communeAt: p.communeAt}
}

// Engine returns the predictor's engine.
func (p *Predictor) Engine() *Engine { return p.e }

// Predict returns the prediction for carrier's technology t at lon, lat. When cellID names
// sectors of carrier with technology t (Sector.CellID, as written), the nearest of them is the
// one predicted (Matched), on air or not; otherwise the best of the carrier's counted sectors of
// t. LevelDBm is NaN for a technology not analysed, a point the engine's grid does not hold, or
// no sector of the carrier within reach + PredictSearchM (and no matching cell id).
func (p *Predictor) Predict(carrier string, t data.Tech, lon, lat float64, cellID string) Prediction {
	out := Prediction{LevelDBm: math.NaN(), Commune: -1}
	ti := techIndex(t)
	if ti < 0 {
		return out
	}
	xy, cls, commune, ok := p.locate(lon, lat)
	if !ok {
		return out
	}
	out.Commune, out.Ward = commune, cls == 1
	e := p.e
	if refs := p.cells[cellKey{carrier, cellID, t}]; cellID != "" && len(refs) > 0 {
		best := -1
		bestD := math.Inf(1)
		var bestSM *sectorModel
		for n, r := range refs {
			m, err := e.model(r.site)
			if err != nil {
				continue
			}
			for q := range m.sectors[ti] {
				sm := &m.sectors[ti][q]
				if sm.idx != r.k {
					continue
				}
				if d := math.Hypot(xy[0]-sm.x, xy[1]-sm.y); d < bestD {
					best, bestD, bestSM = n, d, sm
				}
			}
		}
		if best >= 0 {
			out.LevelDBm = bestSM.pointDBm(xy[0]-bestSM.x, xy[1]-bestSM.y, cls)
			out.Site, out.Sector, out.Matched, out.DistanceM = refs[best].site.Key(), refs[best].k, true, bestD
			return out
		}
	}
	p.each(carrier, ti, xy, func(m *siteModel, sm *sectorModel, dx, dy float64) {
		if v := sm.pointDBm(dx, dy, cls); v > out.LevelDBm || math.IsNaN(out.LevelDBm) && !math.IsNaN(v) {
			out.LevelDBm, out.Site, out.Sector, out.DistanceM = v, m.key, sm.idx, math.Hypot(dx, dy)
		}
	})
	return out
}

// locate returns lon, lat in the engine frame with the land class (1 ward, 0 commune land) and
// commune (−1 outside) of its grid cell; false off the grid.
func (p *Predictor) locate(lon, lat float64) (xy orb.Point, cls uint8, commune int, ok bool) {
	e := p.e
	xy = e.tm.Forward(orb.Point{lon, lat})
	g := e.land.Grid
	i, j, ok := g.CellOf(xy)
	if !ok {
		return xy, 0, -1, false
	}
	var ci int32
	if p.communeAt != nil {
		ci = p.communeAt(i, j)
	} else {
		ci = e.land.Commune[g.Index(i, j)]
	}
	if ci >= 0 && e.communes[ci].Type == data.TypeWard {
		cls = 1
	}
	return xy, cls, int(ci), true
}

// each calls fn with every candidate sector of carrier's technology index ti at xy (candidates)
// and the offset of xy from its mast.
func (p *Predictor) each(carrier string, ti int, xy orb.Point, fn func(m *siteModel, sm *sectorModel, dx, dy float64)) {
	for _, m := range p.candidates(carrier, ti, xy) {
		for q := range m.sectors[ti] {
			sm := &m.sectors[ti][q]
			fn(m, sm, xy[0]-sm.x, xy[1]-sm.y)
		}
	}
}

// SectorLevel is one sector's predicted level at a point (Predictor.Each).
type SectorLevel struct {
	Site      data.SiteKey
	Sector    int    // index into the site's Sectors
	CellID    string // the sector's cell id ("" none)
	LevelDBm  float64
	DistanceM float64 // horizontal distance from the mast, metres
}

// Each calls fn with the level at lon, lat of every counted sector of carrier's technology t
// that Predict would consider as best server (sites whose reach comes within PredictSearchM),
// site by site in (carrier, site id) order, and returns whether the point is on ward land. A
// simulation (package measure's synthetic drive tests) uses it to add its own fading per link.
func (p *Predictor) Each(carrier string, t data.Tech, lon, lat float64, fn func(SectorLevel)) (ward bool) {
	ti := techIndex(t)
	if ti < 0 {
		return false
	}
	xy, cls, _, ok := p.locate(lon, lat)
	if !ok {
		return false
	}
	p.each(carrier, ti, xy, func(m *siteModel, sm *sectorModel, dx, dy float64) {
		fn(SectorLevel{Site: m.key, Sector: sm.idx, CellID: m.cellIDs[sm.idx],
			LevelDBm: sm.pointDBm(dx, dy, cls), DistanceM: math.Hypot(dx, dy)})
	})
	return cls == 1
}

// candidates returns the models of carrier's counted sites with technology index ti that may
// serve the block of xy: those whose reach comes within PredictSearchM of it.
func (p *Predictor) candidates(carrier string, ti int, xy orb.Point) []*siteModel {
	k := blockKey{carrier, ti, int(math.Floor(xy[0] / predictBlockM)), int(math.Floor(xy[1] / predictBlockM))}
	if ms, ok := p.cache[k]; ok {
		return ms
	}
	if len(p.cache) >= maxPredictBlocks {
		clear(p.cache)
	}
	e := p.e
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	x0, y0 := float64(k.bx)*predictBlockM-PredictSearchM, float64(k.by)*predictBlockM-PredictSearchM
	x1, y1 := float64(k.bx+1)*predictBlockM+PredictSearchM, float64(k.by+1)*predictBlockM+PredictSearchM
	for _, c := range []orb.Point{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		b = b.Extend(e.tm.Inverse(c))
	}
	var ms []*siteModel
	for _, s := range p.snap.Reaching(b, store.Filter{Carrier: carrier, Tech: data.AnalysedTechs[ti]}) {
		if !e.counts(s) {
			continue
		}
		if m, err := e.model(s); err == nil && len(m.sectors[ti]) > 0 {
			ms = append(ms, m)
		}
	}
	p.cache[k] = ms
	return ms
}

// pointDBm is the sector's level at (dx, dy) metres from the mast on land class cls, at any
// distance: from the tables within its range (as the grid), from geo's exact functions nearer
// than nearExactM and beyond the range (where the grid keeps nothing). A point on the mast is
// taken 1 m away.
func (s *sectorModel) pointDBm(dx, dy float64, cls uint8) float64 {
	d2 := dx*dx + dy*dy
	if d2 < minDistM*minDistM {
		dx, dy, d2 = 0, minDistM, minDistM*minDistM
	}
	d := math.Sqrt(d2)
	if d < nearExactM || d2 > s.r2[cls] {
		return s.exactDBm(dx, dy, d, cls)
	}
	loss, attV := s.dist[cls].at(d)
	return s.farDBm(loss, attV, dx, dy, 1/d)
}
