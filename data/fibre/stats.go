package fibre

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"phusong/data"
	"phusong/data/population"
)

// PopulationSpread says how population and households are placed on the land without a
// population grid: as in the coverage engine, uniformly over each commune's land cells.
const PopulationSpread = "uniform over commune land"

// OperatorReach is one operator's reach in one commune (or the province). Households and
// population in reach are the people of the in-reach land cells (see CommuneReach), not
// rounded.
type OperatorReach struct {
	Operator          string  `json:"operator"`
	InReachCells      int     `json:"in_reach_cells"`
	AreaInReachKM2    float64 `json:"area_in_reach_km2"`
	HouseholdsInReach float64 `json:"households_in_reach"`
	PopulationInReach float64 `json:"population_in_reach"`
	ReachPct          float64 `json:"reach_pct"` // % of the households (= of the land cells); 0 without land
}

// CommuneReach is the fibre reach of one commune (or, from Total, of several: the province,
// with empty Code, Name, NameEN and Type), by any operator unless the field says otherwise.
//
// Denominators: land cells are the grid cells the Land assigns to the commune (whose centre is
// in it), areas are cells × cell area. With a population grid (see Land), population in reach
// is the grid's people of the in-reach cells and households in reach those people × the
// commune's census households per person; ReachPct is the share of GridHouseholds (the
// households the grid places: the census in census mode), of the people alike. Without one,
// households and population in reach are the census figures × in-reach cells / land cells
// (PopulationSpread), so ReachPct is the share of the households, of the population and of the
// land alike (0 when the commune has no land cell).
type CommuneReach struct {
	Code       string           `json:"code"`
	Name       string           `json:"name"`
	NameEN     string           `json:"name_en"`
	Type       data.CommuneType `json:"type"`
	LandCells  int              `json:"land_cells"`
	AreaKM2    float64          `json:"area_km2"`
	Population int              `json:"population"` // census
	Households int              `json:"households"` // census
	// GridHouseholds is the households the reach shares are of: the census households, or
	// with a population grid in raster mode the grid's people × households per person (Total
	// reads 0 as the census households).
	GridHouseholds float64 `json:"grid_households"`

	InReachCells      int     `json:"in_reach_cells"`
	AreaInReachKM2    float64 `json:"area_in_reach_km2"`
	HouseholdsInReach float64 `json:"households_in_reach"`
	PopulationInReach float64 `json:"population_in_reach"`
	ReachPct          float64 `json:"reach_pct"`
	// Operators lists the operators with at least one in-reach land cell in the commune.
	Operators []string `json:"operators"`
	// PerOperator has one entry per operator of the network (Reach.Operators order).
	PerOperator      []OperatorReach `json:"per_operator"`
	DropM            float64         `json:"drop_m"`
	PopulationSpread string          `json:"population_spread"`

	// Take-up (see WithTakeUp): households using fibre, as given; their share of the
	// households and of the households in reach (above 100 when the network drawn misses
	// lines that serve them). Nil when no figure was given.
	TakeUpHouseholds *float64 `json:"take_up_households,omitempty"`
	TakeUpPct        *float64 `json:"take_up_pct,omitempty"`
	TakeUpOfReachPct *float64 `json:"take_up_of_reach_pct,omitempty"`
}

// count builds every commune's figures from the layers.
func (r *Reach) count() []CommuneReach {
	nc, nl := len(r.communes), len(r.layers)
	land := make([]int, nc)
	units := make([]int64, nc) // the grid's people per commune
	in := make([][]int, nl)
	inUnits := make([][]int64, nl)
	for li := range in {
		in[li], inUnits[li] = make([]int, nc), make([]int64, nc)
	}
	for k, ci := range r.raster {
		if ci < 0 {
			continue
		}
		land[ci]++
		var w int64
		if r.pop != nil {
			w = r.pop.People[k]
			units[ci] += w
		}
		wd, bit := k>>6, uint64(1)<<(k&63)
		for li, l := range r.layers {
			if l.in[wd]&bit != 0 {
				in[li][ci]++
				inUnits[li][ci] += w
			}
		}
	}
	return r.rowsOf(land, units, in, inUnits)
}

// rowsOf builds every commune's figures from its land cells, the grid's people on them (with a
// population grid) and, per layer, its in-reach cells and their people.
func (r *Reach) rowsOf(land []int, units []int64, in [][]int, inUnits [][]int64) []CommuneReach {
	nc, nl := len(r.communes), len(r.layers)
	cellKM2 := r.grid.CellM * r.grid.CellM / 1e6
	rows := make([]CommuneReach, nc)
	for ci, c := range r.communes {
		row := CommuneReach{Code: c.Code, Name: c.Name, NameEN: c.NameEN, Type: c.Type, LandCells: land[ci],
			AreaKM2: float64(land[ci]) * cellKM2, Population: c.Population, Households: c.Households,
			GridHouseholds: float64(c.Households), Operators: []string{}, PerOperator: make([]OperatorReach, len(r.operators)),
			DropM: r.opts.DropM, PopulationSpread: PopulationSpread}
		// reach returns the households and people of n in-reach cells holding u units, and
		// their share in percent.
		reach := func(n int, u int64) (hh, people, pct float64) {
			if r.pop == nil {
				if land[ci] == 0 {
					return 0, 0, 0
				}
				s := float64(n) / float64(land[ci])
				return float64(c.Households) * s, float64(c.Population) * s, 100 * s
			}
			pc := &r.pop.Communes[ci]
			people = float64(u) / population.Scale
			if units[ci] > 0 {
				pct = 100 * float64(u) / float64(units[ci])
			}
			return people * pc.HouseholdsPerPerson(), people, pct
		}
		if r.pop != nil {
			row.PopulationSpread = r.pop.Spread(ci)
			pc := &r.pop.Communes[ci]
			if r.pop.Mode == population.ModeRaster && !pc.Uniform {
				row.GridHouseholds = pc.People * pc.HouseholdsPerPerson()
			}
		}
		for oi, op := range r.operators {
			n := in[oi][ci]
			o := OperatorReach{Operator: op, InReachCells: n, AreaInReachKM2: float64(n) * cellKM2}
			o.HouseholdsInReach, o.PopulationInReach, o.ReachPct = reach(n, inUnits[oi][ci])
			row.PerOperator[oi] = o
			if n > 0 {
				row.Operators = append(row.Operators, op)
			}
		}
		n := in[nl-1][ci]
		row.InReachCells, row.AreaInReachKM2 = n, float64(n)*cellKM2
		row.HouseholdsInReach, row.PopulationInReach, row.ReachPct = reach(n, inUnits[nl-1][ci])
		rows[ci] = row
	}
	return rows
}

// Communes returns every commune's reach, in the Land's commune order. The slice and its
// PerOperator and Operators slices are fresh.
func (r *Reach) Communes() []CommuneReach {
	out := make([]CommuneReach, len(r.rows))
	for i, row := range r.rows {
		row.Operators = slices.Clone(row.Operators)
		row.PerOperator = slices.Clone(row.PerOperator)
		out[i] = row
	}
	return out
}

// Province returns the reach of the whole province: Total of Communes().
func (r *Reach) Province() CommuneReach { return Total(r.rows) }

// Total sums rows (same operators, in the same order, as Reach.Communes gives): cells, areas,
// census figures, and households and population in reach are sums; ReachPct (overall and per
// operator) is the share of the households in reach, HouseholdsInReach / GridHouseholds (for
// one commune without a population grid it equals the share of its land cells; summed over
// communes with different densities it does not, and AreaInReachKM2 / AreaKM2 gives the land
// share); Operators lists
// the operators present in any row. Take-up is summed over the rows that have a figure,
// and its percentages are of those rows' households and households in reach. Empty rows give
// the zero CommuneReach.
func Total(rows []CommuneReach) CommuneReach {
	if len(rows) == 0 {
		return CommuneReach{}
	}
	t := CommuneReach{Operators: []string{}, PerOperator: make([]OperatorReach, len(rows[0].PerOperator)),
		DropM: rows[0].DropM, PopulationSpread: rows[0].PopulationSpread}
	var takeUp, takeUpHH, takeUpReach float64
	withTakeUp := false
	for _, row := range rows {
		t.LandCells += row.LandCells
		t.AreaKM2 += row.AreaKM2
		t.Population += row.Population
		t.Households += row.Households
		t.GridHouseholds += cmp.Or(row.GridHouseholds, float64(row.Households)) // rows made elsewhere may leave it 0
		t.InReachCells += row.InReachCells
		t.AreaInReachKM2 += row.AreaInReachKM2
		t.HouseholdsInReach += row.HouseholdsInReach
		t.PopulationInReach += row.PopulationInReach
		for oi, o := range row.PerOperator {
			p := &t.PerOperator[oi]
			p.Operator = o.Operator
			p.InReachCells += o.InReachCells
			p.AreaInReachKM2 += o.AreaInReachKM2
			p.HouseholdsInReach += o.HouseholdsInReach
			p.PopulationInReach += o.PopulationInReach
		}
		if row.TakeUpHouseholds != nil {
			withTakeUp = true
			takeUp += *row.TakeUpHouseholds
			takeUpHH += float64(row.Households)
			takeUpReach += row.HouseholdsInReach
		}
	}
	pct := func(hh float64) float64 {
		if t.GridHouseholds == 0 {
			return 0
		}
		return 100 * hh / t.GridHouseholds
	}
	t.ReachPct = pct(t.HouseholdsInReach)
	for oi := range t.PerOperator {
		p := &t.PerOperator[oi]
		p.ReachPct = pct(p.HouseholdsInReach)
		if p.InReachCells > 0 {
			t.Operators = append(t.Operators, p.Operator)
		}
	}
	if withTakeUp {
		t.setTakeUp(takeUp, takeUpHH, takeUpReach)
	}
	return t
}

// setTakeUp sets the take-up fields from households using fibre, the households they are out of
// and the households in reach (percentages 0 over a zero denominator).
func (c *CommuneReach) setTakeUp(using, households, inReach float64) {
	ratio := func(a, b float64) *float64 {
		v := 0.0
		if b > 0 {
			v = 100 * a / b
		}
		return &v
	}
	c.TakeUpHouseholds = &using
	c.TakeUpPct = ratio(using, households)
	c.TakeUpOfReachPct = ratio(using, inReach)
}

// ErrTakeUp marks a take-up table that does not fit the communes.
var ErrTakeUp = errors.New("fibre: bad take-up figures")

// WithTakeUp returns copies of rows with the take-up fields set from takeUp (commune code →
// households using fibre); rows whose code takeUp lacks keep nil take-up. A code no row has, a
// negative or non-finite figure, or one above the commune's households is an error (ErrTakeUp)
// naming the code.
func WithTakeUp(rows []CommuneReach, takeUp map[string]float64) ([]CommuneReach, error) {
	byCode := map[string]int{}
	for i, row := range rows {
		byCode[row.Code] = i
	}
	for _, code := range slices.Sorted(maps.Keys(takeUp)) {
		v := takeUp[code]
		i, ok := byCode[code]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: commune %q is not in the reach table", ErrTakeUp, code)
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return nil, fmt.Errorf("%w: commune %s: %g households is not a count", ErrTakeUp, code, v)
		case v > float64(rows[i].Households):
			return nil, fmt.Errorf("%w: commune %s: %g households using fibre, more than its %d households", ErrTakeUp, code, v, rows[i].Households)
		}
	}
	out := slices.Clone(rows)
	for i := range out {
		if v, ok := takeUp[out[i].Code]; ok {
			out[i].setTakeUp(v, float64(out[i].Households), out[i].HouseholdsInReach)
		}
	}
	return out, nil
}

// Combined-view categories: what a commune has at the threshold.
const (
	LacksBoth  = "neither"    // below the threshold for 4G and for fibre
	Only4G     = "4g_only"    // 4G at or above it, fibre below
	OnlyFibre  = "fibre_only" // fibre at or above it, 4G below
	HasBoth    = "both"       // both at or above it
	DefaultPct = 50.0         // default threshold of Combined, percent
)

// CombinedRow is one commune in the combined 4G-and-fibre view.
type CombinedRow struct {
	Code              string  `json:"code"`
	Name              string  `json:"name"`
	Population        int     `json:"population"`
	Households        int     `json:"households"`
	Covered4GPct      float64 `json:"covered_4g_population_pct"` // as given
	FibreReachPct     float64 `json:"fibre_reach_pct"`           // share of households in reach
	Category          string  `json:"category"`                  // LacksBoth, Only4G, OnlyFibre or HasBoth
	HouseholdsLacking float64 `json:"households_lacking_both"`   // households × (1 − 4G share) × (1 − fibre share)
}

// Combined orders communes by what they lack: first those below thresholdPct for both 4G
// (covered4GPct: commune code → covered population share in percent, e.g. the coverage
// report's covered_population_pct for 4G) and fibre reach (ReachPct), then those below it for
// one of them, then those with both; within a group by the better of the two shares, then the
// worse, ascending, then by code. HouseholdsLacking estimates the households with neither,
// assuming the two are independent within the commune. Every row needs a 4G share (a missing
// code is an error); extra codes are ignored. thresholdPct 0 means DefaultPct.
func Combined(rows []CommuneReach, covered4GPct map[string]float64, thresholdPct float64) ([]CombinedRow, error) {
	if thresholdPct == 0 {
		thresholdPct = DefaultPct
	}
	out := make([]CombinedRow, 0, len(rows))
	for _, row := range rows {
		c4, ok := covered4GPct[row.Code]
		if !ok || math.IsNaN(c4) {
			return nil, fmt.Errorf("fibre: combined view: no 4G share for commune %s", row.Code)
		}
		cat := LacksBoth
		switch has4G, hasFibre := c4 >= thresholdPct, row.ReachPct >= thresholdPct; {
		case has4G && hasFibre:
			cat = HasBoth
		case has4G:
			cat = Only4G
		case hasFibre:
			cat = OnlyFibre
		}
		lack := float64(row.Households) * max(0, 1-c4/100) * max(0, 1-row.ReachPct/100)
		out = append(out, CombinedRow{Code: row.Code, Name: row.Name, Population: row.Population, Households: row.Households,
			Covered4GPct: c4, FibreReachPct: row.ReachPct, Category: cat, HouseholdsLacking: lack})
	}
	rank := map[string]int{LacksBoth: 0, Only4G: 1, OnlyFibre: 1, HasBoth: 2}
	slices.SortStableFunc(out, func(a, b CombinedRow) int {
		return cmp.Or(cmp.Compare(rank[a.Category], rank[b.Category]),
			cmp.Compare(max(a.Covered4GPct, a.FibreReachPct), max(b.Covered4GPct, b.FibreReachPct)),
			cmp.Compare(min(a.Covered4GPct, a.FibreReachPct), min(b.Covered4GPct, b.FibreReachPct)),
			cmp.Compare(a.Code, b.Code))
	})
	return out, nil
}
