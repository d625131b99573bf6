package coverage

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/geo"
)

// Lookup tables. Beyond nearExactM from a mast the engine evaluates the path loss and the
// vertical antenna attenuation from tables sampled every tableStepM metres of horizontal
// distance, and the horizontal attenuation from a table over the cosine of the off-boresight
// angle, all filled with geo's exact functions and read with linear interpolation; nearer,
// where the vertical pattern changes fast, it calls geo's functions directly. The tables'
// error against the exact functions is measured in model_test.go (TestTablesMatchExact):
// about 0.001 dB.
const (
	tableStepM   = 2.0    // distance step of the loss and vertical tables, metres
	nearExactM   = 250.0  // within this horizontal distance the exact functions are used
	minDistM     = 1.0    // the tables are filled at no less than this horizontal distance
	maxRangeM    = 100e3  // no sector is evaluated beyond this distance (geo.RangeKM's bound)
	hTableN      = 4097   // samples of the horizontal table over cos φ ∈ [−1, 1]
	rangeSlackDB = 1e-9   // tolerance of the range search against rounding in the level sum
	reachPadRel  = 1e-4   // relative padding of Reach (projection scale is within 2.5e-5 of 1)
	reachPadM    = 1.0    // absolute padding of Reach, metres
	scanPadCells = 1      // cells added around a sector's range when marking dirty rectangles
	noServer     = 0xffff // serving index of a cell no site reaches
)

// lossKey identifies one loss table: a model bound to a frequency and antenna heights.
type lossKey struct {
	pl              geo.PathLoss
	freqMHz         float64
	txHM, rxHM      float64
	vbwDeg, tiltDeg float64 // vertical pattern parameters (the vertical table shares the key)
	slaDB, amDB     float64
}

// distTable holds, every tableStepM metres from 0, the path loss and the vertical antenna
// attenuation (both positive dB). sufMin[i] is the least loss + min(attV, Am) from sample i
// on: no level beyond sample i exceeds the boresight budget minus sufMin[i]. It serves the
// range search.
type distTable struct {
	v      []float32 // interleaved: v[2i] loss, v[2i+1] vertical attenuation at i·tableStepM
	sufMin []float32
}

// n returns the number of samples.
func (t *distTable) n() int { return len(t.sufMin) }

// at returns the interpolated loss and vertical attenuation at horizontal distance dM, which
// must be below (n−1)·tableStepM.
func (t *distTable) at(dM float64) (lossDB, attVDB float64) {
	pos := dM * (1 / tableStepM)
	i := int(pos)
	f := pos - float64(i)
	v := t.v[2*i : 2*i+4]
	l0, v0, l1, v1 := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
	return l0 + f*(l1-l0), v0 + f*(v1-v0)
}

// rangeM returns the distance beyond which the interpolated loss plus the least antenna
// attenuation exceeds maxLossDB everywhere in the table, and whether the table was long enough to tell (its last two samples exceed
// it). When it was not, the range is the table's reach, (len−2)·tableStepM.
func (t *distTable) rangeM(maxLossDB float64) (float64, bool) {
	n := t.n()
	if !(float64(t.sufMin[n-2]) > maxLossDB+rangeSlackDB) {
		return float64(n-2) * tableStepM, false
	}
	// first index whose suffix minimum exceeds the budget; every sample from there on does.
	first, _ := slices.BinarySearchFunc(t.sufMin, maxLossDB+rangeSlackDB, func(v float32, x float64) int {
		if float64(v) > x {
			return 1
		}
		return -1
	})
	if first == 0 {
		return 0, true
	}
	return float64(first) * tableStepM, true
}

// hKey identifies one horizontal table.
type hKey struct{ hbwDeg, amDB float64 }

// tables caches the lookup tables of one engine. Tables are immutable once published; a
// longer table replaces a shorter one with the same samples, so results never depend on
// which length a computation saw.
type tables struct { // shared by the engines of one ComputeRegions (the same definition)
	mu   sync.Mutex
	dist map[lossKey]*distTable
	horz map[hKey][]float32
}

// newTables returns empty lookup tables.
func newTables() *tables {
	return &tables{dist: map[lossKey]*distTable{}, horz: map[hKey][]float32{}}
}

// rangeFor returns a table for k long enough to find the range at maxLossDB, and that range
// (see distTable.rangeM; capped at maxRangeM). A cached table is used as it is when it is long
// enough; otherwise geo's RangeKM gives the length to build.
func (ts *tables) rangeFor(k lossKey, maxLossDB float64) (*distTable, float64) {
	ts.mu.Lock()
	t := ts.dist[k]
	ts.mu.Unlock()
	if t != nil {
		if r, ok := t.rangeM(maxLossDB); ok {
			return t, r
		}
	}
	need := k.pl.RangeKM(k.freqMHz, k.txHM, k.rxHM, maxLossDB)*1000*1.01 + 4*tableStepM
	for {
		t = ts.distFor(k, need)
		r, ok := t.rangeM(maxLossDB)
		if ok || need >= maxRangeM {
			return t, r
		}
		need *= 2
	}
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// distFor returns the table for k covering at least needM metres plus two samples.
func (ts *tables) distFor(k lossKey, needM float64) *distTable {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := int(math.Ceil(min(needM, maxRangeM)/tableStepM)) + 2
	t := ts.dist[k]
	if t != nil && t.n() >= n {
		return t
	}
	if t != nil {
		n = max(n, 2*t.n())
	}
	t = buildDistTable(k, n, t)
	ts.dist[k] = t
	return t
}

// buildDistTable fills n samples for k, reusing the samples of old.
func buildDistTable(k lossKey, n int, old *distTable) *distTable {
	t := &distTable{v: make([]float32, 2*n), sufMin: make([]float32, n)}
	from := 0
	if old != nil {
		from = copy(t.v, old.v) / 2
	}
	curve := k.pl.Curve(k.freqMHz, k.txHM, k.rxHM)
	vert := geo.Antenna{Omni: true, VBeamwidthDeg: k.vbwDeg, TiltDeg: k.tiltDeg, SideLobeDB: k.slaDB,
		MaxAttenuationDB: math.Inf(1)}
	for i := from; i < n; i++ {
		d := max(float64(i)*tableStepM, minDistM)
		t.v[2*i] = float32(curve.LossDB(d / 1000))
		t.v[2*i+1] = float32(-vert.PatternDB(0, geo.DepressionDeg(k.txHM, k.rxHM, d)))
	}
	m := float32(math.Inf(1))
	for i := n - 1; i >= 0; i-- {
		m = min(m, t.v[2*i]+min(t.v[2*i+1], float32(k.amDB)))
		t.sufMin[i] = m
	}
	return t
}

// horzFor returns the horizontal attenuation table (positive dB) sampled over cos φ, its
// prefix minimum and its suffix maximum: prefMin[i] is the least of h[:i+1], sufMax[i] the
// greatest of h[i:].
func (ts *tables) horzFor(k hKey) (h, prefMin, sufMax []float32) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	all, ok := ts.horz[k] // the table, its prefix minimum, its suffix maximum
	if !ok {
		a := geo.Antenna{HBeamwidthDeg: k.hbwDeg, MaxAttenuationDB: k.amDB}
		all = make([]float32, 3*hTableN)
		m := float32(math.Inf(1))
		for i := range hTableN {
			c := -1 + 2*float64(i)/(hTableN-1)
			all[i] = float32(-a.PatternDB(math.Acos(min(1, c))*180/math.Pi, 0))
			m = min(m, all[i])
			all[hTableN+i] = m
		}
		m = float32(math.Inf(-1))
		for i := hTableN - 1; i >= 0; i-- {
			m = max(m, all[i])
			all[2*hTableN+i] = m
		}
		ts.horz[k] = all
	}
	return all[:hTableN:hTableN], all[hTableN : 2*hTableN : 2*hTableN], all[2*hTableN:]
}

// horzAt interpolates a horizontal table at cos φ = c (clamped to [−1, 1]).
func horzAt(h []float32, c float64) float64 {
	pos := (c + 1) * ((hTableN - 1) / 2.0)
	if pos < 0 {
		pos = 0
	}
	i := int(pos)
	if i > hTableN-2 {
		i = hTableN - 2
	}
	f := pos - float64(i)
	h = h[i : i+2]
	a0, a1 := float64(h[0]), float64(h[1])
	return a0 + f*(a1-a0)
}

// sectorModel is one 3G or 4G sector ready for evaluation on the grid.
type sectorModel struct {
	idx      int     // index into the site's Sectors
	x, y     float64 // projected mast position, metres
	constDBm float64 // reference power + gain − feeder loss: the level at 0 dB loss on boresight
	sinAz    float64 // boresight unit vector (east, north)
	cosAz    float64
	horz     []float32 // horizontal attenuation table; nil for omni
	horzMin  []float32 // prefix minimum of horz (see minHorzDB)
	horzMax  []float32 // suffix maximum of horz (see maxHorzDB)
	amDB     float64   // cap on the combined attenuation
	dist     [2]*distTable
	curve    [2]geo.LossCurve // exact loss per land class, used within nearExactM
	ant      geo.Antenna      // exact pattern, used within nearExactM
	hbM, hmM float64          // mast and handset heights, metres
	r2       [2]float64       // squared range per land class (0 commune land, 1 ward land)
	rM       float64          // largest range over land classes
}

// siteModel is a site's analysed sectors, per technology (index into data.AnalysedTechs).
type siteModel struct {
	// key and cellIDs name the site and its sectors (by index into Sectors). The model must not
	// point at the site: Engine.model caches it under a weak pointer to the site, and a value
	// reaching its own key would keep both alive for ever (runtime.AddCleanup).
	key     data.SiteKey
	cellIDs []string
	sectors [][]sectorModel
	groups  [][]groupModel // per technology: runs of sectors sharing their distance tables
	rangeM  []float64      // per technology, the largest sector range (0 without sectors)
}

// ubBuckets is the number of squared-distance buckets of a group's level bound.
const ubBuckets = 64

// groupModel is a run of sectors of one site sharing the mast and the distance tables (same
// band, height and tilt), so that a cell's distance and table lookups serve them all; within
// nearExactM they share the exact loss, the bearing, the depression and the vertical
// attenuation too (sameNear; secs[0] holds them), so that only the horizontal part is per
// sector (sectorModel.nearDBm). ub[cls] bounds the level of every member from above, by
// bucket of squared distance: bucket b covers d² ∈ [b, b+1)·r2[cls]/ubBuckets. It lets the
// grid loop skip a group that cannot beat a cell's best level without a square root or a
// table lookup.
type groupModel struct {
	x, y  float64
	dist  [2]*distTable
	r2    [2]float64 // largest squared range per land class over the members
	rM    float64    // largest range
	secs  []sectorModel
	ub    [2][ubBuckets + 1]float64
	ubInv [2]float64 // ubBuckets / r2[cls]
	// ubFrom[cls][b] is the largest of ub[cls][b:]: it bounds every cell at least as far as
	// bucket b's nearest distance, which the block pruning of evaluate needs.
	ubFrom [2][ubBuckets + 1]float64
}

// groupSectors splits secs (one technology of one site) into groups and fills their bounds.
func groupSectors(secs []sectorModel) []groupModel {
	var out []groupModel
	for k := 0; k < len(secs); {
		n := k + 1
		for n < len(secs) && secs[n].dist == secs[k].dist && sameNear(&secs[n], &secs[k]) {
			n++
		}
		g := groupModel{x: secs[k].x, y: secs[k].y, dist: secs[k].dist, secs: secs[k:n]}
		for i := range g.secs {
			s := &g.secs[i]
			g.r2 = [2]float64{max(g.r2[0], s.r2[0]), max(g.r2[1], s.r2[1])}
			g.rM = max(g.rM, s.rM)
		}
		for cls := range 2 {
			g.fillBound(cls)
		}
		out = append(out, g)
		k = n
	}
	return out
}

// sameNear reports whether a and b agree on everything their exact levels share but the
// horizontal pattern and the power: the loss curves, the mast and handset heights and the
// vertical pattern. Sectors sharing their distance tables (one lossKey) always do; the test
// keeps evaluate's near path exact should the tables' key ever leave one out.
func sameNear(a, b *sectorModel) bool {
	return a.curve == b.curve && a.hbM == b.hbM && a.hmM == b.hmM && a.ant.VBeamwidthDeg == b.ant.VBeamwidthDeg &&
		a.ant.TiltDeg == b.ant.TiltDeg && a.ant.SideLobeDB == b.ant.SideLobeDB
}

// fillBound fills ub[cls]: the best constant of the members minus the least loss + vertical
// attenuation from the bucket's nearest distance on (the tables' suffix minimum), or +Inf
// where the bucket reaches into nearExactM (there the exact functions are used, which the
// tables do not bound).
func (g *groupModel) fillBound(cls int) {
	best := math.Inf(-1)
	for i := range g.secs {
		best = max(best, g.secs[i].constDBm)
	}
	r2 := g.r2[cls]
	if r2 == 0 {
		return // the loop never reaches the bound: d2 > r2 for every cell but the mast's
	}
	g.ubInv[cls] = ubBuckets / r2
	t := g.dist[cls]
	for b := range ubBuckets + 1 {
		d := math.Sqrt(float64(b) * r2 / ubBuckets)
		i := int(d / tableStepM)
		if d < nearExactM+tableStepM || i >= t.n() {
			g.ub[cls][b] = math.Inf(1)
			continue
		}
		g.ub[cls][b] = best - float64(t.sufMin[i])
	}
	m := math.Inf(-1)
	for b := ubBuckets; b >= 0; b-- {
		m = max(m, g.ub[cls][b])
		g.ubFrom[cls][b] = m
	}
}

// techRule is a technology's rule as the engine uses it.
type techRule struct {
	tech        data.Tech
	rule        TechRule
	pl          [2]geo.PathLoss            // per land class (0 commune land, 1 ward land)
	corrected   map[string][2]geo.PathLoss // per carrier with a calibration correction: pl corrected
	requiredOut float64                    // median level needed outdoors, dBm
	requiredIn  float64                    // median level needed indoors, dBm
	cutoff      float64                    // levels below this are not kept (NaN), dBm
}

// pathLoss is the model of carrier's sectors on land class cls: the rule's, with the
// definition's correction for the carrier when it has one.
func (tr *techRule) pathLoss(carrier string, cls int) geo.PathLoss {
	if pl, ok := tr.corrected[carrier]; ok {
		return pl[cls]
	}
	return tr.pl[cls]
}

// newTechRules derives the per-technology rules of def.
func newTechRules(def *Definition) ([]techRule, error) {
	out := make([]techRule, len(data.AnalysedTechs))
	for ti, t := range data.AnalysedTechs {
		r, ok := def.Rule(t)
		if !ok {
			return nil, fmt.Errorf("%w: no rule for %s", ErrDefinition, t)
		}
		tr := techRule{tech: t, rule: r, requiredOut: r.RequiredMedianDBm(false), requiredIn: r.RequiredMedianDBm(true)}
		for cls, ct := range landClasses() {
			tr.pl[cls] = geo.PathLoss{Model: r.Model, Env: r.Env(ct), LargeCity: r.LargeCity, CmDB: r.CmDB}
			if err := tr.pl[cls].Validate(); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrDefinition, t, err)
			}
		}
		if def.Calibration != nil {
			tr.corrected = map[string][2]geo.PathLoss{}
			for _, k := range def.Calibration.Corrections {
				if k.Tech != t {
					continue
				}
				pls, ok := tr.corrected[k.Carrier]
				if !ok {
					pls = tr.pl
				}
				cls := landIndex(k.Land)
				pls[cls].OffsetDB, pls[cls].SlopeDBPerDecade = k.OffsetDB, k.SlopeDBPerDecade
				if err := pls[cls].Validate(); err != nil {
					return nil, fmt.Errorf("%w: calibration of %s %s on %s land: %w", ErrDefinition, k.Carrier, t, k.Land, err)
				}
				tr.corrected[k.Carrier] = pls
			}
		}
		floor := min(tr.requiredOut, tr.requiredIn)
		for _, tier := range r.TiersDBm {
			floor = min(floor, tier)
		}
		tr.cutoff = floor - CutoffMarginDB
		out[ti] = tr
	}
	return out, nil
}

// landClasses returns the commune types by land class index: 0 commune land, 1 ward land.
func landClasses() [2]data.CommuneType { return [2]data.CommuneType{data.TypeCommune, data.TypeWard} }

// landIndex is the land class index of commune type ct.
func landIndex(ct data.CommuneType) int {
	if ct == data.TypeWard {
		return 1
	}
	return 0
}

// techIndex returns t's index in data.AnalysedTechs, or -1.
func techIndex(t data.Tech) int { return slices.Index(data.AnalysedTechs, t) }

// referenceDBm returns the power the level is measured on: the LTE reference signal per
// resource element for 4G, the CPICH power for 3G.
func referenceDBm(s *data.Site, k int) (float64, error) {
	sec := &s.Sectors[k]
	if sec.Tech == data.Tech4G {
		p, err := geo.LTEReferenceSignalDBm(sec.PowerDBm, sec.BandwidthMHz)
		if err != nil {
			return 0, &SectorError{Site: s.Key(), Sector: k, Err: err}
		}
		return p, nil
	}
	return sec.PowerDBm, nil
}

// modelSite builds the evaluation model of s's analysed sectors.
func (e *Engine) modelSite(s *data.Site) (*siteModel, error) {
	p := e.tm.Forward(orb.Point{s.Lon, s.Lat})
	m := &siteModel{key: s.Key(), cellIDs: make([]string, len(s.Sectors)), sectors: make([][]sectorModel, len(e.rules)), rangeM: make([]float64, len(e.rules))}
	for k := range s.Sectors {
		sec := &s.Sectors[k]
		m.cellIDs[k] = sec.CellID
		ti := techIndex(sec.Tech)
		if ti < 0 {
			continue
		}
		tr := &e.rules[ti]
		ref, err := referenceDBm(s, k)
		if err != nil {
			return nil, err
		}
		az := sec.AzimuthDeg * math.Pi / 180
		sm := sectorModel{idx: k, x: p[0], y: p[1], constDBm: ref + sec.GainDBi - sec.FeederLossDB,
			sinAz: math.Sin(az), cosAz: math.Cos(az), amDB: e.antenna.MaxAttenuationDB,
			ant: e.antenna, hbM: s.HeightM, hmM: e.def.RxHeightM}
		sm.ant.Omni, sm.ant.AzimuthDeg, sm.ant.TiltDeg = sec.Omni, sec.AzimuthDeg, sec.TiltDeg
		if sec.BeamwidthDeg > 0 {
			sm.ant.HBeamwidthDeg = sec.BeamwidthDeg
		}
		if !sec.Omni && sm.ant.HBeamwidthDeg > 0 {
			sm.horz, sm.horzMin, sm.horzMax = e.tables.horzFor(hKey{sm.ant.HBeamwidthDeg, sm.amDB})
		}
		maxLoss := sm.constDBm - tr.cutoff
		if !finite(maxLoss) || !(sec.BandMHz > 0 && finite(sec.BandMHz)) || !(s.HeightM > 0 && finite(s.HeightM)) ||
			!finite(sec.TiltDeg) || !finite(sec.AzimuthDeg) {
			return nil, &SectorError{Site: s.Key(), Sector: k, Err: ErrSectorModel}
		}
		for cls := range 2 {
			key := lossKey{pl: tr.pathLoss(s.Carrier, cls), freqMHz: sec.BandMHz, txHM: s.HeightM, rxHM: e.def.RxHeightM,
				vbwDeg: e.antenna.VBeamwidthDeg, tiltDeg: sec.TiltDeg, slaDB: e.antenna.SideLobeDB, amDB: sm.amDB}
			sm.curve[cls] = key.pl.Curve(key.freqMHz, key.txHM, key.rxHM)
			t, r := e.tables.rangeFor(key, maxLoss)
			sm.dist[cls], sm.r2[cls] = t, r*r
			sm.rM = max(sm.rM, r)
		}
		m.sectors[ti] = append(m.sectors[ti], sm)
		m.rangeM[ti] = max(m.rangeM[ti], sm.rM)
	}
	m.groups = make([][]groupModel, len(e.rules))
	for ti := range m.sectors {
		m.groups[ti] = groupSectors(m.sectors[ti])
	}
	return m, nil
}

// levelDBm returns the sector's level at (dx, dy) metres from the mast, d2 = dx²+dy², on land
// class cls, or -Inf beyond the sector's range on that class. The grid loop (worker.evaluate)
// performs the same arithmetic through the same helpers.
func (s *sectorModel) levelDBm(dx, dy, d2 float64, cls uint8) float64 {
	if d2 > s.r2[cls] {
		return math.Inf(-1)
	}
	d := math.Sqrt(d2)
	if d < nearExactM {
		return s.exactDBm(dx, dy, d, cls)
	}
	loss, attV := s.dist[cls].at(d)
	return s.farDBm(loss, attV, dx, dy, 1/d)
}

// exactDBm is the level from geo's exact functions, used within nearExactM of the mast.
func (s *sectorModel) exactDBm(dx, dy, d float64, cls uint8) float64 {
	return s.constDBm - s.curve[cls].LossDB(d/1000) +
		s.ant.PatternDB(geo.BearingDeg(dx, dy), geo.DepressionDeg(s.hbM, s.hmM, d))
}

// nearDBm is exactDBm from parts a group's members share: lossDB = curve[cls].LossDB(d/1000),
// bearingDeg = geo.BearingDeg(dx, dy) and attVDB = ant.VerticalDB of geo.DepressionDeg(hbM,
// hmM, d), neither angle NaN (exactDBm is NaN there). It performs the float operations of
// exactDBm through geo.Antenna.PatternDB in the same order, so it returns the same bits.
func (s *sectorModel) nearDBm(lossDB, bearingDeg, attVDB float64) float64 {
	return s.constDBm - lossDB + s.ant.CombinedDB(s.ant.HorizontalDB(bearingDeg), attVDB)
}

// horzTopPadDB covers horzAt's extrapolation past the last sample, where a rounded cosine
// exceeds 1 by a few ulps: less than 1e-10 dB below the last sample.
const horzTopPadDB = 1e-9

// minHorzDB returns a lower bound of the horizontal attenuation that farDBm adds in any
// direction whose cosine to the boresight is at most cMax: the least table sample up to the
// one after cMax's (an interpolation never goes below its two samples), less horzTopPadDB
// when that reaches the last sample. It is 0 for omni.
func (s *sectorModel) minHorzDB(cMax float64) float64 {
	if s.horz == nil {
		return 0
	}
	pos := (cMax + 1) * ((hTableN - 1) / 2.0)
	if pos < hTableN-2 {
		return float64(s.horzMin[max(0, int(pos))+1])
	}
	return float64(s.horzMin[hTableN-1]) - horzTopPadDB
}

// maxHorzDB returns an upper bound of the horizontal attenuation that farDBm adds in any
// direction whose cosine to the boresight is at least cMin: the greatest table sample from
// cMin's on (horzAt reads the sample at or below a cosine and the next one, and an
// interpolation never goes above its two samples), plus horzTopPadDB for horzAt's
// extrapolation past the last sample. cMin ≤ −1 gives the table's maximum. It is 0 for omni.
func (s *sectorModel) maxHorzDB(cMin float64) float64 {
	if s.horz == nil {
		return 0
	}
	i := 0
	if pos := (cMin + 1) * ((hTableN - 1) / 2.0); pos > 0 {
		i = min(int(pos), hTableN-2)
	}
	return float64(s.horzMax[i]) + horzTopPadDB
}

// boundHorzDB is the level the sector would have given the tables' loss and vertical
// attenuation and a lower bound hMinDB of the horizontal attenuation (from minHorzDB): an upper
// bound of farDBm over the directions hMinDB holds for, bit for bit, since farDBm's sums and its
// cap are monotonic in the attenuation.
func (s *sectorModel) boundHorzDB(loss, attV, hMinDB float64) float64 {
	att := attV + hMinDB
	if att > s.amDB {
		att = s.amDB
	}
	return s.constDBm - loss - att
}

// farDBm is the level from the tables' loss and vertical attenuation and the horizontal table
// at the direction (dx, dy), invD = 1/distance.
func (s *sectorModel) farDBm(loss, attV, dx, dy, invD float64) float64 {
	att := attV
	if s.horz != nil {
		att += horzAt(s.horz, (dx*s.sinAz+dy*s.cosAz)*invD)
	}
	if att > s.amDB {
		att = s.amDB
	}
	return s.constDBm - loss - att
}
