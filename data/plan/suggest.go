package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/coverage/pocket"
	"phusong/data/fibre"
	"phusong/data/input"
	"phusong/data/store"
)

// Candidate sources.
const (
	SourceTower   = "tower"   // another carrier's existing mast (sharing)
	SourceFibre   = "fibre"   // a fibre access point
	SourceSettled = "settled" // a point of a lattice over settled land
	SourceRoad    = "road"    // a point every Options.RoadSpacingM along a road
	SourceFile    = "file"    // the user's list
)

// Defaults of Options.
const (
	DefaultSettledSpacingM = 500.0 // the settled-land lattice: one candidate per populated 500 m square
	DefaultRoadSpacingM    = 500.0 // one road candidate every 500 m along each road
	DefaultCount           = 10
	MaxCount               = 500
)

// Candidate is a position a new site may take.
type Candidate struct {
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	Source string  `json:"source"` // SourceTower, SourceFibre, SourceSettled or SourceFile
	// Ref names what the candidate is: "carrier/site_id" of a tower, "operator/id" of an access
	// point, a file's name column; "" on the lattice.
	Ref string `json:"ref,omitempty"`
	// HeightM is the antenna height the site would have: a tower's own; 0 = Options.HeightM.
	HeightM float64 `json:"height_m,omitempty"`
}

// Options of Suggest. Carrier and Tech are required.
type Options struct {
	Carrier string    // the carrier building (its uncovered people count), or coverage.AnyCarrier
	Tech    data.Tech // 3G or 4G
	Count   int       // picks wanted, 1..MaxCount (0 = DefaultCount)
	HeightM float64   // antenna height of new masts, m (0 = data.DefaultHeightM)
	// ShareTowers adds other carriers' masts as candidates (at their own height).
	ShareTowers bool
	// MaxFibreM keeps only candidates within this distance of the nearest fibre (route or
	// access point), m; 0 = no limit.
	MaxFibreM float64
	// Candidates, when not nil, are the only candidates (a user file); otherwise they are the
	// fibre access points, the settled-land lattice, the points along Roads and, with
	// ShareTowers, the towers.
	Candidates      []Candidate
	SettledSpacingM float64 // the lattice's spacing, m (0 = DefaultSettledSpacingM)
	// Roads, lon/lat WGS84 polylines (RoadLines reads them from a context layer), give the
	// road candidates and every pick's RoadDistanceM; nil: no road network (RoadDistanceM −1).
	Roads        []orb.LineString
	RoadSpacingM float64 // road candidates' spacing along each road, m (0 = DefaultRoadSpacingM)
	Workers      int     // footprints computed in parallel (0 = 1)
	// Progress, when not nil, is called (from one goroutine at a time) as footprints are
	// computed, with done out of total candidates, then once more when the picks are made.
	Progress func(done, total int)
}

// Pick is one suggested site.
type Pick struct {
	Rank int `json:"rank"`
	Candidate
	Carrier          string    `json:"carrier"`
	Tech             data.Tech `json:"tech"`
	HeightM          float64   `json:"height_m"`
	PeopleGained     float64   `json:"people_gained"`
	HouseholdsGained float64   `json:"households_gained"`
	CumPeople        float64   `json:"cumulative_people"`
	CumHouseholds    float64   `json:"cumulative_households"`
	CommuneCode      string    `json:"commune_code"`
	CommuneName      string    `json:"commune_name"`
	// PocketRank is the rank of the dead-zone pocket (pocket.Find, any carrier, no floor) that
	// holds most of the people the pick gains, 0 when it gains none in a pocket (a carrier
	// catching up where others cover); PocketPeople that pocket's people.
	PocketRank   int     `json:"pocket_rank"`
	PocketPeople float64 `json:"pocket_people"`
	// FibreDistanceM is the distance to the nearest fibre route or access point, m; −1 without
	// fibre. RoadDistanceM is the distance to the nearest of Options.Roads, m; −1 without roads.
	FibreDistanceM float64 `json:"fibre_distance_m"`
	RoadDistanceM  float64 `json:"road_distance_m"`
}

// Result is a suggestion run.
type Result struct {
	Carrier    string    `json:"carrier"`
	Tech       data.Tech `json:"tech"`
	Candidates int       `json:"candidates"`    // candidates considered (after the fibre filter)
	Useful     int       `json:"useful"`        // candidates that would cover someone uncovered
	Target     float64   `json:"target_people"` // people the carrier (or no carrier) leaves uncovered
	Picks      []Pick    `json:"picks"`
}

// ErrOptions: Suggest's options are out of range.
var ErrOptions = errors.New("plan: bad options")

// SiteTemplate is a new site of carrier at (lon, lat): three 65° sectors of tech at 0°, 120°
// and 240° with the technology's default band, power, bandwidth and gain (data.SectorDefaultsFor),
// data.DefaultTiltDeg and data.DefaultFeederLossDB, status planned.
func SiteTemplate(carrier, siteID string, lon, lat, heightM float64, tech data.Tech) data.Site {
	s := data.Site{Carrier: carrier, SiteID: siteID, Lon: lon, Lat: lat, HeightM: heightM, Status: data.StatusPlanned}
	d := data.SectorDefaultsFor(tech, 0)
	for k, az := range []float64{0, 120, 240} {
		s.Sectors = append(s.Sectors, data.Sector{CellID: fmt.Sprintf("%s-%s-%d", siteID, tech, k+1), Tech: tech,
			BandMHz: d.BandMHz, AzimuthDeg: az, BeamwidthDeg: data.DefaultBeamwidthDeg, TiltDeg: data.DefaultTiltDeg,
			PowerDBm: d.PowerDBm, BandwidthMHz: d.BandwidthMHz, GainDBi: d.GainDBi, FeederLossDB: data.DefaultFeederLossDB})
	}
	return s
}

// Check validates opts for r and fills in the defaults; Suggest calls it.
func (o *Options) Check(r *coverage.Result) error {
	if _, ok := r.Engine().RequiredDBm(o.Tech, false); !ok {
		return fmt.Errorf("%w: tech %q is not analysed (3G or 4G)", ErrOptions, o.Tech)
	}
	if o.Carrier == "" {
		return fmt.Errorf("%w: no carrier (a carrier id, or %q)", ErrOptions, coverage.AnyCarrier)
	}
	if o.Carrier != coverage.AnyCarrier {
		if id, ok := data.ResolveCarrier(o.Carrier); !ok || id != o.Carrier {
			return fmt.Errorf("%w: carrier %q is not a known carrier id (or %q)", ErrOptions, o.Carrier, coverage.AnyCarrier)
		}
	}
	o.Count = cmp.Or(o.Count, DefaultCount)
	o.HeightM = cmp.Or(o.HeightM, data.DefaultHeightM)
	o.SettledSpacingM = cmp.Or(o.SettledSpacingM, DefaultSettledSpacingM)
	o.RoadSpacingM = cmp.Or(o.RoadSpacingM, DefaultRoadSpacingM)
	o.Workers = max(o.Workers, 1)
	switch {
	case o.Count < 1 || o.Count > MaxCount:
		return fmt.Errorf("%w: count %d: want 1 to %d", ErrOptions, o.Count, MaxCount)
	case !(o.HeightM >= data.MinHeightM && o.HeightM <= data.MaxHeightM):
		return fmt.Errorf("%w: height_m %g: want %g to %g", ErrOptions, o.HeightM, data.MinHeightM, data.MaxHeightM)
	case !(o.MaxFibreM >= 0) || math.IsInf(o.MaxFibreM, 0):
		return fmt.Errorf("%w: max_fibre_m %g: want 0 (no limit) or more", ErrOptions, o.MaxFibreM)
	case !(o.SettledSpacingM >= r.Engine().CellM()) || o.SettledSpacingM > 50_000:
		return fmt.Errorf("%w: settled spacing %g m: want the cell size to 50 km", ErrOptions, o.SettledSpacingM)
	case !(o.RoadSpacingM >= r.Engine().CellM()) || o.RoadSpacingM > 50_000:
		return fmt.Errorf("%w: road spacing %g m: want the cell size to 50 km", ErrOptions, o.RoadSpacingM)
	}
	return nil
}

// Suggest chooses up to opts.Count new sites among the candidates that maximise the people
// newly covered by opts.Tech — for opts.Carrier (people it does not cover in r), or for any
// carrier (people no carrier covers) — by lazy greedy over the candidates' footprints (see
// the package doc). snap is the snapshot r was computed from (the towers), net the fibre
// network (nil: none). Each pick is a site built with SiteTemplate. It is cancellable through
// ctx and reports progress through opts.Progress.
func Suggest(ctx context.Context, r *coverage.Result, snap *store.Snapshot, net *fibre.Network, opts Options) (*Result, error) {
	if err := opts.Check(r); err != nil {
		return nil, err
	}
	e := r.Engine()
	g := e.Grid()
	req, _ := e.RequiredDBm(opts.Tech, false)
	people := e.CellPeople()
	field := r.Field(opts.Carrier, opts.Tech) // nil: a carrier without any site covers nothing
	elem := make([]int32, g.Len())            // grid cell → element index + 1; 0 = not a target
	var weight []float64
	var cells []int32
	for k, p := range people {
		if p <= 0 || field != nil && float64(field[k]) >= req {
			continue
		}
		weight = append(weight, p)
		cells = append(cells, int32(k))
		elem[k] = int32(len(weight))
	}
	out := &Result{Carrier: opts.Carrier, Tech: opts.Tech, Picks: []Pick{}}
	for _, w := range weight {
		out.Target += w
	}
	fib := newFibreIndex(e, net)
	roads := newLineIndex(projectLines(e, opts.Roads), nil)
	cands := opts.Candidates
	if cands == nil {
		cands = generate(e, snap, net, opts, people, elem)
		cands = append(cands, roadCandidates(e, roads.lines, opts.RoadSpacingM)...)
	}
	if opts.MaxFibreM > 0 {
		kept := cands[:0:0]
		for _, c := range cands {
			if d := fib.distanceM(e.Projection().Forward(orb.Point{c.Lon, c.Lat})); d >= 0 && d <= opts.MaxFibreM {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	out.Candidates = len(cands)
	sets, err := footprints(ctx, e, cands, opts, elem)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if len(s) > 0 {
			out.Useful++
		}
	}
	picks, gains, err := Greedy(ctx, sets, weight, opts.Count)
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		opts.Progress(len(cands), len(cands))
	}
	pockets, err := pocket.Find(r, opts.Tech, pocket.Options{})
	if err != nil {
		return nil, err
	}
	inPocket := map[int32]*pocket.Pocket{}
	for i := range pockets.Pockets {
		for _, k := range pockets.Pockets[i].Cells {
			inPocket[k] = &pockets.Pockets[i]
		}
	}
	communes, owner := e.Communes(), e.CommuneIndexRaster()
	perPerson := make([]float64, len(communes)) // census households per person
	for ci, c := range communes {
		if c.Population > 0 {
			perPerson[ci] = float64(c.Households) / float64(c.Population)
		}
	}
	covered := make([]bool, len(weight))
	for n, ci := range picks {
		c := cands[ci]
		p := Pick{Rank: n + 1, Candidate: c, Carrier: opts.Carrier, Tech: opts.Tech, HeightM: cmp.Or(c.HeightM, opts.HeightM),
			PeopleGained: gains[n]}
		perPocket := map[*pocket.Pocket]float64{}
		for _, el := range sets[ci] {
			if covered[el] {
				continue
			}
			covered[el] = true
			k := cells[el]
			p.HouseholdsGained += weight[el] * perPerson[owner[k]]
			if pk := inPocket[k]; pk != nil {
				perPocket[pk] += weight[el]
			}
		}
		var best *pocket.Pocket
		for pk, w := range perPocket {
			if best == nil || w > perPocket[best] || w == perPocket[best] && pk.Rank < best.Rank {
				best = pk
			}
		}
		if best != nil {
			p.PocketRank, p.PocketPeople = best.Rank, best.People
		}
		pm := e.Projection().Forward(orb.Point{c.Lon, c.Lat})
		if i, j, ok := g.CellOf(pm); ok {
			if ci := owner[g.Index(i, j)]; ci >= 0 {
				p.CommuneCode, p.CommuneName = communes[ci].Code, communes[ci].Name
			}
		}
		p.FibreDistanceM = fib.distanceM(pm)
		p.RoadDistanceM = roads.distanceM(pm)
		if n > 0 {
			p.CumPeople, p.CumHouseholds = out.Picks[n-1].CumPeople, out.Picks[n-1].CumHouseholds
		}
		p.CumPeople += p.PeopleGained
		p.CumHouseholds += p.HouseholdsGained
		out.Picks = append(out.Picks, p)
	}
	return out, nil
}

// footprints computes every candidate's footprint as element indexes (SiteCells over the
// target cells), on opts.Workers goroutines.
func footprints(ctx context.Context, e *coverage.Engine, cands []Candidate, opts Options, elem []int32) ([][]int32, error) {
	sets := make([][]int32, len(cands))
	want := func(k int) bool { return elem[k] > 0 }
	var next, done atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(cands) {
					return
				}
				c := cands[i]
				s := SiteTemplate(opts.Carrier, "candidate", c.Lon, c.Lat, cmp.Or(c.HeightM, opts.HeightM), opts.Tech)
				ks, err := e.SiteCells(&s, opts.Tech, want)
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, fmt.Errorf("plan: candidate %d (%g, %g): %w", i+1, c.Lon, c.Lat, err))
					mu.Unlock()
					return
				}
				set := make([]int32, len(ks))
				for q, k := range ks {
					set[q] = elem[k] - 1
				}
				sets[i] = set
				if d := done.Add(1); opts.Progress != nil && (d%64 == 0 || int(d) == len(cands)) {
					mu.Lock()
					opts.Progress(int(d), len(cands))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return sets, nil
}

// generate lists the default candidates: fibre access points, the settled-land lattice (the
// most populated target cell of each spacing × spacing square that holds one) and, with
// opts.ShareTowers, other carriers' masts (for AnyCarrier: every mast without the technology).
func generate(e *coverage.Engine, snap *store.Snapshot, net *fibre.Network, opts Options, people []float64, elem []int32) []Candidate {
	var out []Candidate
	if opts.ShareTowers && snap != nil {
		for _, s := range snap.Sites(store.Filter{}) {
			if s.Carrier == opts.Carrier || opts.Carrier == coverage.AnyCarrier && s.HasTech(opts.Tech) {
				continue
			}
			out = append(out, Candidate{Lon: s.Lon, Lat: s.Lat, Source: SourceTower, Ref: s.Carrier + "/" + s.SiteID, HeightM: s.HeightM})
		}
	}
	if net != nil {
		for _, ap := range net.AccessPoints {
			out = append(out, Candidate{Lon: ap.Point[0], Lat: ap.Point[1], Source: SourceFibre, Ref: ap.Operator + "/" + ap.ID})
		}
	}
	g := e.Grid()
	step := max(1, int(math.Round(opts.SettledSpacingM/g.CellM)))
	tm := e.Projection()
	for j0 := 0; j0 < g.NY; j0 += step {
		for i0 := 0; i0 < g.NX; i0 += step {
			best, bestP := -1, 0.0
			for j := j0; j < min(j0+step, g.NY); j++ {
				for i := i0; i < min(i0+step, g.NX); i++ {
					if k := g.Index(i, j); elem[k] > 0 && people[k] > bestP {
						best, bestP = k, people[k]
					}
				}
			}
			if best >= 0 {
				p := tm.Inverse(g.Center(best%g.NX, best/g.NX))
				out = append(out, Candidate{Lon: p[0], Lat: p[1], Source: SourceSettled})
			}
		}
	}
	return out
}

// newFibreIndex indexes net's access points and routes in the engine frame (empty for nil).
func newFibreIndex(e *coverage.Engine, net *fibre.Network) *lineIndex {
	if net == nil {
		return &lineIndex{}
	}
	tm := e.Projection()
	var points []orb.Point
	for _, ap := range net.AccessPoints {
		points = append(points, tm.Forward(ap.Point))
	}
	lines := make([]orb.LineString, len(net.Routes))
	for i, r := range net.Routes {
		lines[i] = r.Line
	}
	return newLineIndex(projectLines(e, lines), points)
}

// projectLines projects lon/lat lines into the engine frame.
func projectLines(e *coverage.Engine, lines []orb.LineString) []orb.LineString {
	tm := e.Projection()
	out := make([]orb.LineString, len(lines))
	for i, l := range lines {
		out[i] = make(orb.LineString, len(l))
		for k, p := range l {
			out[i][k] = tm.Forward(p)
		}
	}
	return out
}

// lineIndex measures distances to points and polylines in the engine frame. Each line keeps
// its bounding box, so a line farther than the best distance so far is skipped without
// visiting its segments.
type lineIndex struct {
	points []orb.Point
	lines  []orb.LineString
	bounds []orb.Bound
}

func newLineIndex(lines []orb.LineString, points []orb.Point) *lineIndex {
	f := &lineIndex{points: points}
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		f.lines = append(f.lines, l)
		f.bounds = append(f.bounds, l.Bound())
	}
	return f
}

// distanceM is the planar distance from p (engine frame) to the nearest line or point, −1
// without any.
func (f *lineIndex) distanceM(p orb.Point) float64 {
	if len(f.points) == 0 && len(f.lines) == 0 {
		return -1
	}
	best := math.Inf(1)
	for _, q := range f.points {
		best = min(best, math.Hypot(p[0]-q[0], p[1]-q[1]))
	}
	for n, ls := range f.lines {
		b := f.bounds[n]
		dx := max(b.Min[0]-p[0], 0, p[0]-b.Max[0])
		dy := max(b.Min[1]-p[1], 0, p[1]-b.Max[1])
		if math.Hypot(dx, dy) >= best {
			continue
		}
		if len(ls) == 1 {
			best = min(best, math.Hypot(p[0]-ls[0][0], p[1]-ls[0][1]))
		}
		for i := 1; i < len(ls); i++ {
			best = min(best, segmentDistance(p, ls[i-1], ls[i]))
		}
	}
	return best
}

// roadCandidates places a candidate every spacingM along each road (engine frame), starting
// at each road's first vertex and measured along the line across its vertices, keeping those
// that fall in a commune.
func roadCandidates(e *coverage.Engine, roads []orb.LineString, spacingM float64) []Candidate {
	g, owner, tm := e.Grid(), e.CommuneIndexRaster(), e.Projection()
	var out []Candidate
	for _, ls := range roads {
		if len(ls) == 0 {
			continue
		}
		add := func(p orb.Point) {
			if ci, cj, ok := g.CellOf(p); ok && owner[g.Index(ci, cj)] >= 0 {
				ll := tm.Inverse(p)
				out = append(out, Candidate{Lon: ll[0], Lat: ll[1], Source: SourceRoad})
			}
		}
		add(ls[0])
		next, walked := spacingM, 0.0 // distances along the road of the next candidate and of vertex i−1, m
		for i := 1; i < len(ls); i++ {
			a, b := ls[i-1], ls[i]
			segM := math.Hypot(b[0]-a[0], b[1]-a[1])
			for ; next <= walked+segM; next += spacingM {
				t := (next - walked) / segM
				add(orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
			}
			walked += segM
		}
	}
	return out
}

// RoadLines returns the road lines of a context layer (input.ReadContextGeoJSON's output):
// the LineString and MultiLineString features of kind road, lon/lat.
func RoadLines(fc *geojson.FeatureCollection) []orb.LineString {
	var out []orb.LineString
	for _, f := range fc.Features {
		if f.Properties.MustString("kind", "") != input.ContextRoad {
			continue
		}
		switch g := f.Geometry.(type) {
		case orb.LineString:
			out = append(out, g)
		case orb.MultiLineString:
			out = append(out, g...)
		}
	}
	return out
}

// segmentDistance is the planar distance from p to the segment ab.
func segmentDistance(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

// Sites returns the picks as new sites of carrier (SiteTemplate, status planned), with ids
// prefix + the rank on three digits ("PLAN-4G-001"): a station list the carrier can upload.
func (r *Result) Sites(carrier, prefix string) []data.Site {
	out := make([]data.Site, len(r.Picks))
	for i, p := range r.Picks {
		out[i] = SiteTemplate(carrier, fmt.Sprintf("%s%03d", prefix, p.Rank), p.Lon, p.Lat, p.HeightM, p.Tech)
	}
	return out
}
