// Package coverage predicts 3G and 4G coverage on a metric grid over the province and sums it
// per commune.
//
// Frame: every metric computation happens in geo.NewLocalTM centred on the centre of the
// communes' lon/lat bounding box; distances between a mast and a cell are planar distances
// in that frame (the point scale stays within 2.5e-5 of 1 over Trà Vinh, 0.1 m at 4 km) and
// bearings are grid bearings (grid north is within 0.1° of true north there). The grid
// (geo.Grid) covers the projected bounding box of the communes at Options.CellM.
//
// Land: a cell belongs to the commune whose polygon holds its centre (first commune in code
// order where communes overlap; data/land rasterises); its propagation environment is the definition's ward_env on
// ward (phường) land and commune_env elsewhere. Areas are cell counts × CellM², so a
// commune's area is its rasterised area, not its vector area (the difference shrinks with
// the cell size; CommuneStats.PolygonAreaKM2 gives the vector figure for comparison).
//
// Levels: for every (carrier, technology) and every land cell, the best predicted median
// level over the carrier's sectors of that technology: RSRP per resource element for 4G,
// RSCP for 3G, = reference power + antenna gain + pattern − feeder loss − path loss. Only
// active sites count unless Options.IncludePlanned. A cell is covered outdoors when its level
// is at least the rule's RequiredMedianDBm(false), indoors when at least
// RequiredMedianDBm(true). Levels below the technology's cutoff (the lowest of the required
// levels and the heat-map tiers, minus CutoffMarginDB) are not kept: such cells read NaN.
//
// Work: the grid is cut into tiles of 32 × 32 cells; per tile and carrier one store query
// (Snapshot.Reaching) returns the only sites evaluated, and every sector is evaluated only
// within its own range (the distance at which its boresight level falls to the cutoff on the
// most favourable land class). Tiles are computed in parallel by Options.Workers goroutines
// (Options.UpdateWorkers for Update).
// An incremental Update recomputes only the cells within range of the changed sites and
// shares every untouched tile with the previous Result; it equals a full Compute exactly.
//
// Polygons: Result.Layer (coverage at a tier), Result.Gaps (uncovered land per commune) and
// Engine.Footprints give the contours of the level fields at full detail, clipped to the
// province, its land classes or a commune (package contour); layers and gaps are in the
// engine's frame, built once per Result and shared, footprints already in lon/lat. Their
// GeoJSON (lon/lat, simplified per web-map zoom, properties) is data/render's.
package coverage

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/land"
	"phusong/data/population"
	"phusong/geo"
)

// CutoffMarginDB is how far below a technology's lowest required level or tier the engine
// still keeps levels, so that contours at that level have a real value on both sides.
const CutoffMarginDB = 1.0

// DefaultCellM is the default grid cell size, metres.
const DefaultCellM = 50.0

// maxGridCells bounds the grid so that a wrong cell size or a world-sized commune file fails
// clearly instead of exhausting memory.
const maxGridCells = 200_000_000

// Errors of the engine.
var (
	ErrNoCommunes  = errors.New("coverage: no communes")
	ErrCommune     = errors.New("coverage: bad commune")
	ErrDefinition  = errors.New("coverage: bad coverage definition")
	ErrOptions     = errors.New("coverage: bad options")
	ErrSectorModel = errors.New("coverage: sector cannot be modelled")
	ErrForeign     = errors.New("coverage: result was computed by another engine")
	ErrStale       = errors.New("coverage: change does not follow the previous result")
	ErrReach       = errors.New("coverage: store reach is shorter than the engine's (build the store with Engine.Reach)")
	ErrPopulation  = errors.New("coverage: population cannot be placed")
)

// SectorError names the site and sector (0-based index into Site.Sectors) that could not be
// modelled.
type SectorError struct {
	Site   data.SiteKey
	Sector int
	Err    error
}

// Error names the site and sector.
func (e *SectorError) Error() string {
	return fmt.Sprintf("coverage: site %s/%s sector %d: %v", e.Site.Carrier, e.Site.SiteID, e.Sector, e.Err)
}

// Unwrap returns the cause (ErrSectorModel or geo.ErrLTEBandwidth).
func (e *SectorError) Unwrap() error { return e.Err }

// Options tunes an Engine. The zero value gives the defaults.
type Options struct {
	CellM   float64 // grid cell size in metres; 0 = DefaultCellM; must be in [5, 5000]
	Workers int     // parallel tile workers; 0 = runtime.GOMAXPROCS(0)
	// UpdateWorkers are Update's workers (an upload's incremental recompute, which runs while
	// the previous result is being served); 0 = Workers. Fewer than the cores leaves the rest
	// to the readers of the served result.
	UpdateWorkers  int
	Progress       io.Writer // if not nil, Compute writes "\r…% of tiles" lines here (give a terminal)
	IncludePlanned bool      // count planned sites as if on air (default: active sites only)
	// PolygonCacheBytes bounds the layers and gaps a Result keeps once built (Layer, Gaps),
	// the least recently used dropped past it and contoured again when asked (the same
	// polygons); 0 or less keeps every one.
	PolygonCacheBytes int64

	// Population, when not nil, places people on the land (population.Place with
	// PopulationMode, "" = census): every people figure then sums the grid's people over the
	// cells concerned. Nil spreads each commune's census uniformly over its land cells.
	Population     *population.Source
	PopulationMode population.Mode

	// Techs, when not empty, limits the computation to these technologies (of
	// data.AnalysedTechs): the others' levels are never computed (every level NaN, every
	// statistic zero), which halves time and memory for a one-technology report. Empty
	// computes every analysed technology.
	Techs []data.Tech
}

// Engine holds everything about a province that does not depend on the sites: the projection,
// the grid, the land raster, the definition and the lookup tables. It is safe for concurrent
// use; build it once and pass its Reach to store.New.
type Engine struct {
	def       *Definition
	opts      Options
	tm        geo.TransverseMercator
	communes  []data.Commune // sorted by code
	land      *land.Land
	tileBound []orb.Bound // per tile, the lon/lat bound of its cells, padded (see setTileBounds)
	rules     []techRule  // per data.AnalysedTechs
	antenna   geo.Antenna
	tables    *tables
	polyArea  []float64        // vector area per commune, m², in tm
	pop       *population.Grid // people on the land, or nil (uniform over commune land)
	// cellPeople is pop's people per compact land cell (land.CellCommune order), nil without pop.
	cellPeople []int64

	siteModels weakCache[data.Site, modelEntry] // see model

	// own, when not nil, marks a region's own communes (ComputeRegions): the land holds their
	// cells only (land.RasteriseOwn), and the polygons are clipped to their outer boundary.
	own []bool

	// Derived once, on first use (Engine is immutable otherwise): the boundary rasters and
	// block kinds of the polygon builders, ProvinceSignedDistanceM, and the polygon builds'
	// scratch memory (*polyScratch).
	bounds   boundaryCache
	provDist provinceDistance
	scratch  sync.Pool
}

// New builds an engine for communes (any order; they are sorted by code, and codes must be
// unique and non-empty) under def. It rasterises the communes, which takes about a second for
// Trà Vinh at 50 m.
func New(communes []data.Commune, def *Definition, opts Options) (*Engine, error) {
	e, projected, pBound, err := prepare(communes, def, opts)
	if err != nil {
		return nil, err
	}
	grid := geo.NewGrid(pBound, e.opts.CellM)
	if grid.NX <= 0 || grid.NY <= 0 || grid.NX*grid.NY > maxGridCells {
		return nil, fmt.Errorf("%w: a %g m grid over %.0f × %.0f m has %d × %d cells (compute region by region: ComputeRegions)", ErrOptions,
			e.opts.CellM, pBound.Max[0]-pBound.Min[0], pBound.Max[1]-pBound.Min[1], grid.NX, grid.NY)
	}
	if err := e.rasterise(grid, projected); err != nil {
		return nil, err
	}
	return e, nil
}

// prepare checks the inputs of New and returns the engine without its land: communes sorted
// by code, rules, projection (the local TM at the centre of the communes' lon/lat bounding
// box) and vector areas, with the communes' projected polygons and their bound.
func prepare(communes []data.Commune, def *Definition, opts Options) (*Engine, []orb.MultiPolygon, orb.Bound, error) {
	var none orb.Bound
	if len(communes) == 0 {
		return nil, nil, none, ErrNoCommunes
	}
	if def == nil {
		return nil, nil, none, fmt.Errorf("%w: nil", ErrDefinition)
	}
	if err := def.Validate(); err != nil {
		return nil, nil, none, fmt.Errorf("%w: %w", ErrDefinition, err)
	}
	if opts.CellM == 0 {
		opts.CellM = DefaultCellM
	}
	if !(opts.CellM >= 5 && opts.CellM <= 5000) {
		return nil, nil, none, fmt.Errorf("%w: cell size %g m outside 5..5000", ErrOptions, opts.CellM)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.UpdateWorkers <= 0 {
		opts.UpdateWorkers = opts.Workers
	}
	for _, t := range opts.Techs {
		if techIndex(t) < 0 {
			return nil, nil, none, fmt.Errorf("%w: technology %q is not analysed", ErrOptions, t)
		}
	}
	sorted := slices.Clone(communes)
	slices.SortStableFunc(sorted, func(a, b data.Commune) int { return cmp.Compare(a.Code, b.Code) })
	llBound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for i, c := range sorted {
		switch {
		case c.Code == "":
			return nil, nil, none, fmt.Errorf("%w: commune %d (%s) has no code", ErrCommune, i, c.Name)
		case i > 0 && sorted[i-1].Code == c.Code:
			return nil, nil, none, fmt.Errorf("%w: code %s appears twice", ErrCommune, c.Code)
		case len(c.Geometry) == 0:
			return nil, nil, none, fmt.Errorf("%w: %s has no geometry", ErrCommune, c.Code)
		}
		llBound = llBound.Union(c.Geometry.Bound())
	}
	rules, err := newTechRules(def)
	if err != nil {
		return nil, nil, none, err
	}
	e := &Engine{def: def, opts: opts, communes: sorted, rules: rules, antenna: geo.DefaultAntenna(),
		tables: newTables()}
	centre := llBound.Center()
	e.tm = geo.NewLocalTM(centre[0], centre[1])
	var pBound orb.Bound
	e.polyArea = make([]float64, len(sorted))
	projected := make([]orb.MultiPolygon, len(sorted))
	for i, c := range sorted {
		g := e.tm.ForwardGeometry(c.Geometry)
		projected[i] = geo.AsMultiPolygon(g)
		e.polyArea[i] = geo.PlanarAreaM2(g)
		if i == 0 {
			pBound = g.Bound()
		} else {
			pBound = pBound.Union(g.Bound())
		}
	}
	return e, projected, pBound, nil
}

// rasterise gives e its land: the communes' projected polygons on grid, the land classes,
// the tiles' bounds and, with Options.Population, the people.
func (e *Engine) rasterise(grid geo.Grid, projected []orb.MultiPolygon) error {
	e.land = land.RasteriseOwn(grid, projected, e.own)
	e.land.SetWard(e.communes)
	e.setTileBounds()
	if e.opts.Population != nil {
		return e.placePopulation(e.opts.Population, e.opts.PopulationMode)
	}
	return nil
}

// placePopulation places src's people on the engine's land and keeps them per land cell.
func (e *Engine) placePopulation(src *population.Source, mode population.Mode) error {
	pop, err := population.Place(population.Land{Grid: e.land.Grid, Projection: e.tm, Commune: e.land.Commune, Communes: e.communes}, src, mode)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPopulation, err)
	}
	e.pop = pop
	e.cellPeople = make([]int64, len(e.land.CellI))
	for k := range e.cellPeople {
		e.cellPeople[k] = pop.People[e.land.Grid.Index(int(e.land.CellI[k]), int(e.land.CellJ[k]))]
	}
	return nil
}

// Population returns the people placed on the land (Options.Population), or nil when each
// commune's census is spread uniformly over its land cells. It must not be modified.
func (e *Engine) Population() *population.Grid { return e.pop }

// IncludePlanned reports whether planned sites count as if on air (Options.IncludePlanned).
func (e *Engine) IncludePlanned() bool { return e.opts.IncludePlanned }

// setTileBounds stores each tile's lon/lat bound: the bound of the inverse-projected corners
// of its cells, padded by 1e-5° (about 1 m) for the curvature of the projected edges.
func (e *Engine) setTileBounds() {
	g := e.land.Grid
	const pad = 1e-5
	e.tileBound = make([]orb.Bound, len(e.land.Tiles))
	for ti := range e.land.Tiles {
		t := &e.land.Tiles[ti]
		x0, y0 := g.X0M+float64(t.I0)*g.CellM, g.Y0M+float64(t.J0)*g.CellM
		x1, y1 := g.X0M+float64(t.I1)*g.CellM, g.Y0M+float64(t.J1)*g.CellM
		b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
		for _, p := range []orb.Point{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
			b = b.Extend(e.tm.Inverse(p))
		}
		e.tileBound[ti] = b.Pad(pad)
	}
}

// Reach is the engine's data.ReachFunc: the largest distance in metres at which any 3G or 4G
// sector of s can deliver a level at or above its technology's cutoff (see package doc), on
// boresight and on the most favourable land class, padded by 0.01 % + 1 m for the projection.
// It is 0 for a site without analysed sectors or whose sectors cannot be modelled (an LTE
// bandwidth LTE does not define; Compute reports those). It ignores the site's status. The
// store must be built with this function (or a larger one) for Compute to find every site.
func (e *Engine) Reach(s *data.Site) float64 {
	m, err := e.modelSite(s)
	if err != nil {
		return 0
	}
	r := 0.0
	for _, rt := range m.rangeM {
		r = max(r, rt)
	}
	if r == 0 {
		return 0
	}
	return r*(1+reachPadRel) + reachPadM
}

// Grid returns the engine's grid (projected metres, see Projection).
func (e *Engine) Grid() geo.Grid { return e.land.Grid }

// Projection returns the engine's metric frame: geo.NewLocalTM at the centre of the communes'
// lon/lat bounding box.
func (e *Engine) Projection() geo.TransverseMercator { return e.tm }

// Definition returns the coverage definition (not to be modified).
func (e *Engine) Definition() *Definition { return e.def }

// CellM returns the grid cell size in metres.
func (e *Engine) CellM() float64 { return e.land.Grid.CellM }

// Communes returns the communes in code order, the order of every per-commune index of the
// package (CommuneIndexRaster, Result.Communes). The slice must not be modified.
func (e *Engine) Communes() []data.Commune { return e.communes }

// CommuneIndexRaster returns, for every grid cell (row-major, Grid().Index), the index into
// Communes() of the commune owning it, or -1 outside every commune. It must not be modified.
func (e *Engine) CommuneIndexRaster() []int32 { return e.land.Commune }

// RequiredDBm returns the median level in dBm that technology t needs for a place to count
// as covered outdoors (indoor false) or indoors, and false for a technology not analysed.
func (e *Engine) RequiredDBm(t data.Tech, indoor bool) (float64, bool) {
	ti := techIndex(t)
	if ti < 0 {
		return 0, false
	}
	if indoor {
		return e.rules[ti].requiredIn, true
	}
	return e.rules[ti].requiredOut, true
}

// CutoffDBm returns the level in dBm below which technology t's levels are not kept (they
// read NaN), and false for a technology not analysed.
func (e *Engine) CutoffDBm(t data.Tech) (float64, bool) {
	ti := techIndex(t)
	if ti < 0 {
		return 0, false
	}
	return e.rules[ti].cutoff, true
}

// computes reports whether the engine computes technology index ti (Options.Techs).
func (e *Engine) computes(ti int) bool {
	return len(e.opts.Techs) == 0 || slices.Contains(e.opts.Techs, e.rules[ti].tech)
}

// counts reports whether s is evaluated under the engine's options.
func (e *Engine) counts(s *data.Site) bool {
	return s.Status == data.StatusActive || e.opts.IncludePlanned
}

// WithDefinition returns an engine over the same communes, grid, land raster and options as e
// (nothing is rasterised again) under another definition def, e.g. a calibrated one or its
// uncalibrated base. Its Reach differs when the definitions do: a store must be built anew with it.
func (e *Engine) WithDefinition(def *Definition) (*Engine, error) {
	if def == nil {
		return nil, fmt.Errorf("%w: nil", ErrDefinition)
	}
	if err := def.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDefinition, err)
	}
	rules, err := newTechRules(def)
	if err != nil {
		return nil, err
	}
	return &Engine{def: def, opts: e.opts, tm: e.tm, communes: e.communes, land: e.land, tileBound: e.tileBound,
		rules: rules, antenna: e.antenna, polyArea: e.polyArea, pop: e.pop, cellPeople: e.cellPeople,
		tables: newTables()}, nil
}
