package render

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/population"
)

// Report is the per-commune coverage report: one schema for `phusong report` (table, CSV,
// JSON), /api/v1/report.csv and the communes layer's statistics.
type Report struct {
	DefinitionVersion string                    `json:"definition_version"`
	Calibration       string                    `json:"calibration"`         // calibrated with N samples (dates), or uncalibrated
	DataNote          string                    `json:"data_note,omitempty"` // non-empty on synthetic or schematic data
	CellM             float64                   `json:"cell_m"`
	AreaBasis         string                    `json:"area_basis"`
	PopulationBasis   string                    `json:"population_basis"`
	Population        PopulationSummary         `json:"population"`
	CoveredWhen       map[data.Tech]CoveredWhen `json:"covered_when"`
	Carriers          []string                  `json:"carriers"` // carriers with counted sites, in the statistics' order
	Communes          []coverage.CommuneStats   `json:"communes"` // by code, then technology
	Province          []coverage.CommuneStats   `json:"province"` // per technology
	Priority          map[data.Tech][]string    `json:"priority"` // commune codes by uncovered population

	// Techs are the technologies reported, and Ranked their communes in priority order (the
	// rows of the table and the CSV).
	Techs  []data.Tech                           `json:"-"`
	Ranked map[data.Tech][]coverage.CommuneStats `json:"-"`
}

// CoveredWhen states a technology's coverage rule.
type CoveredWhen struct {
	Metric             string  `json:"metric"`
	RequiredOutdoorDBm float64 `json:"required_outdoor_dbm"`
	RequiredIndoorDBm  float64 `json:"required_indoor_dbm"`
	Reliability        float64 `json:"reliability"`
}

// Denominators, stated in every report: AreaBasis, and PopulationBasis without a population
// grid (PopulationBasisFor with one).
const (
	AreaBasis       = "land cells: grid cells whose centre lies in the commune (the first commune in code order where communes overlap) × cell area"
	PopulationBasis = "census population and households spread uniformly over the commune's land cells (no population grid)"
)

// PopulationBasisFor states how people are counted with pop (PopulationBasis when nil).
func PopulationBasisFor(pop *population.Grid) string {
	if pop == nil {
		return PopulationBasis
	}
	how := "scaled in each commune to its census population (grid_population = census; population_factor = census / raster_population)"
	if pop.Mode == population.ModeRaster {
		how = "as the source gives them (grid_population = raster_population, population_factor 1)"
	}
	return "people of each land cell from the population grid " + pop.Source + " (" + pop.Format + "), " + how +
		"; households = people × the commune's census households per person; communes the source puts nobody on: census spread uniformly over their land"
}

// PopulationSummary says where a report's people come from and, with a population grid, how
// it reconciles with the census over the province.
type PopulationSummary struct {
	Spread           string  `json:"spread"` // as population_spread, for the whole grid
	Source           string  `json:"source,omitempty"`
	Format           string  `json:"format,omitempty"`
	Mode             string  `json:"mode,omitempty"`
	Note             string  `json:"note,omitempty"` // non-empty for a synthetic grid
	CensusPopulation int     `json:"census_population"`
	RasterPopulation float64 `json:"raster_population"` // the source's people on the communes' land
	GridPopulation   float64 `json:"grid_population"`   // the people the figures count
	Factor           float64 `json:"population_factor"` // grid / raster over the reconciled communes
	// UniformCommunes are the codes of the communes the source puts nobody on (spread
	// uniformly); OutsidePopulation the source's people in the window read outside every commune.
	UniformCommunes   []string `json:"uniform_communes"`
	OutsidePopulation float64  `json:"outside_population"`
}

// PopulationSummaryOf summarises the people of e (a population grid or the census).
func PopulationSummaryOf(e *coverage.Engine) PopulationSummary {
	pop := e.Population()
	if pop == nil {
		census := 0
		for _, c := range e.Communes() {
			census += c.Population
		}
		return PopulationSummary{Spread: coverage.PopulationSpread, CensusPopulation: census, GridPopulation: float64(census),
			UniformCommunes: []string{}}
	}
	s := PopulationSummary{Spread: pop.Spread(-1), Source: pop.Source, Format: pop.Format, Mode: string(pop.Mode), Note: pop.Note,
		UniformCommunes: []string{}, OutsidePopulation: pop.OutsidePeople}
	reconciled := 0.0
	for _, c := range pop.Communes {
		s.CensusPopulation += c.Census
		s.RasterPopulation += c.RasterPeople
		s.GridPopulation += c.People
		if c.Uniform {
			s.UniformCommunes = append(s.UniformCommunes, c.Code)
		} else {
			reconciled += c.People
		}
	}
	if s.RasterPopulation > 0 {
		s.Factor = reconciled / s.RasterPopulation
	}
	return s
}

// NewReport collects the report of techs (in data.AnalysedTechs order) from r; note is the
// synthetic-data note ("" for real data).
func NewReport(r *coverage.Result, techs []data.Tech, note string) *Report {
	eng := r.Engine()
	rep := &Report{DefinitionVersion: r.DefinitionVersion(), Calibration: r.Calibration(), DataNote: note, CellM: eng.CellM(),
		AreaBasis: AreaBasis, PopulationBasis: PopulationBasisFor(eng.Population()), Population: PopulationSummaryOf(eng),
		CoveredWhen: map[data.Tech]CoveredWhen{},
		Carriers:    r.Carriers(), Communes: []coverage.CommuneStats{}, Priority: map[data.Tech][]string{},
		Techs: techs, Ranked: map[data.Tech][]coverage.CommuneStats{}}
	for _, s := range r.Communes() {
		if slices.Contains(techs, s.Tech) {
			rep.Communes = append(rep.Communes, s)
		}
	}
	def := eng.Definition()
	for _, t := range techs {
		rep.Province = append(rep.Province, r.Province(t))
		out, _ := eng.RequiredDBm(t, false)
		in, _ := eng.RequiredDBm(t, true)
		rule, _ := def.Rule(t)
		rep.CoveredWhen[t] = CoveredWhen{Metric: rule.Metric, RequiredOutdoorDBm: out, RequiredIndoorDBm: in, Reliability: rule.Reliability}
		ranked := r.Priority(t)
		codes := make([]string, len(ranked))
		for i, s := range ranked {
			codes[i] = s.Code
		}
		rep.Priority[t], rep.Ranked[t] = codes, ranked
	}
	return rep
}

// WriteReportJSON writes rep as an indented JSON document.
func WriteReportJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// statColumn is one per-commune, per-technology statistic of the report schema: its column
// name and its value in a commune's statistics (float64, int or string).
type statColumn struct {
	name  string
	value func(s *coverage.CommuneStats) any
}

// statColumns are the report's statistics, in column order. The CSV report has them all; the
// communes layer carries those named in layerStats, with the technology as a suffix.
var statColumns = []statColumn{
	{"code", func(s *coverage.CommuneStats) any { return s.Code }},
	{"name", func(s *coverage.CommuneStats) any { return s.Name }},
	{"name_en", func(s *coverage.CommuneStats) any { return s.NameEN }},
	{"type", func(s *coverage.CommuneStats) any { return string(s.Type) }},
	{"tech", func(s *coverage.CommuneStats) any { return string(s.Tech) }},
	{"definition_version", func(s *coverage.CommuneStats) any { return s.DefinitionVersion }},
	{"calibration", func(s *coverage.CommuneStats) any { return s.Calibration }},
	{"land_cells", func(s *coverage.CommuneStats) any { return s.LandCells }},
	{"area_km2", func(s *coverage.CommuneStats) any { return s.AreaKM2 }},
	{"polygon_area_km2", func(s *coverage.CommuneStats) any { return s.PolygonAreaKM2 }},
	{"covered_area_km2", func(s *coverage.CommuneStats) any { return s.CoveredAreaKM2 }},
	{"covered_area_pct", func(s *coverage.CommuneStats) any { return s.CoveredAreaPct }},
	{"covered_indoor_area_km2", func(s *coverage.CommuneStats) any { return s.CoveredIndoorAreaKM2 }},
	{"covered_indoor_area_pct", func(s *coverage.CommuneStats) any { return s.CoveredIndoorAreaPct }},
	{"population", func(s *coverage.CommuneStats) any { return s.Population }},
	{"covered_population", func(s *coverage.CommuneStats) any { return s.CoveredPopulation }},
	{"uncovered_population", func(s *coverage.CommuneStats) any { return s.UncoveredPopulation }},
	{"covered_population_pct", func(s *coverage.CommuneStats) any { return s.CoveredPopulationPct }},
	{"households", func(s *coverage.CommuneStats) any { return s.Households }},
	{"covered_households", func(s *coverage.CommuneStats) any { return s.CoveredHouseholds }},
	{"carriers_present", func(s *coverage.CommuneStats) any { return s.CarriersPresent }},
	{"carriers_present_ids", func(s *coverage.CommuneStats) any { return strings.Join(s.CarriersPresentIDs, " ") }},
	{"white_area_km2", func(s *coverage.CommuneStats) any { return s.AreaByCarrierCountKM2[0] }},
	{"single_carrier_area_km2", func(s *coverage.CommuneStats) any { return s.AreaByCarrierCountKM2[1] }},
	{"two_carrier_area_km2", func(s *coverage.CommuneStats) any { return s.AreaByCarrierCountKM2[2] }},
	{"three_plus_carrier_area_km2", func(s *coverage.CommuneStats) any { return s.AreaByCarrierCountKM2[3] }},
	{"competitive_area_km2", func(s *coverage.CommuneStats) any { return s.CompetitiveAreaKM2 }},
	{"three_g_only_area_km2", func(s *coverage.CommuneStats) any { return s.ThreeGOnlyAreaKM2 }},
	{"population_spread", func(s *coverage.CommuneStats) any { return s.PopulationSpread }},
	{"grid_population", func(s *coverage.CommuneStats) any { return s.GridPopulation }},
	{"grid_households", func(s *coverage.CommuneStats) any { return s.GridHouseholds }},
	{"raster_population", func(s *coverage.CommuneStats) any { return s.RasterPopulation }},
	{"population_factor", func(s *coverage.CommuneStats) any { return s.PopulationFactor }},
	{"uncovered_households", func(s *coverage.CommuneStats) any { return s.UncoveredHouseholds }},
	{"covered_indoor_population", func(s *coverage.CommuneStats) any { return s.CoveredIndoorPopulation }},
	{"white_population", func(s *coverage.CommuneStats) any { return s.PopulationByCarrierCount[0] }},
	{"single_carrier_population", func(s *coverage.CommuneStats) any { return s.PopulationByCarrierCount[1] }},
	{"two_carrier_population", func(s *coverage.CommuneStats) any { return s.PopulationByCarrierCount[2] }},
	{"three_plus_carrier_population", func(s *coverage.CommuneStats) any { return s.PopulationByCarrierCount[3] }},
	{"competitive_population", func(s *coverage.CommuneStats) any { return s.CompetitivePopulation }},
	{"three_g_only_population", func(s *coverage.CommuneStats) any { return s.ThreeGOnlyPopulation }},
}

// carrierColumn is one per-carrier statistic of the report schema (<carrier>_<name>).
type carrierColumn struct {
	name  string
	value func(pc *coverage.CarrierStats) float64
}

// carrierColumns are the report's per-carrier statistics, in column order.
var carrierColumns = []carrierColumn{
	{"covered_area_km2", func(pc *coverage.CarrierStats) float64 { return pc.CoveredAreaKM2 }},
	{"covered_area_pct", func(pc *coverage.CarrierStats) float64 { return pc.CoveredAreaPct }},
	{"covered_indoor_area_pct", func(pc *coverage.CarrierStats) float64 { return pc.CoveredIndoorAreaPct }},
	{"covered_population", func(pc *coverage.CarrierStats) float64 { return pc.CoveredPopulation }},
	{"covered_households", func(pc *coverage.CarrierStats) float64 { return pc.CoveredHouseholds }},
}

// ReportColumns returns the CSV columns of a report over carriers: level and priority, the
// statistics, then 5 per carrier (<carrier>_covered_area_km2, _covered_area_pct,
// _covered_indoor_area_pct, _covered_population, _covered_households).
func ReportColumns(carriers []string) []string {
	head := []string{"level", "priority"}
	for _, c := range statColumns {
		head = append(head, c.name)
	}
	for _, c := range carriers {
		for _, cc := range carrierColumns {
			head = append(head, c+"_"+cc.name)
		}
	}
	return head
}

// WriteReportCSV writes one row per commune and technology (priority order per technology,
// level "commune"), then one province row per technology (level "province"), with the columns
// of ReportColumns; numbers in their shortest exact form. The data note is not in the CSV (a
// comment line would break parsers).
func WriteReportCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportColumns(rep.Carriers)); err != nil {
		return err
	}
	row := func(level string, rank int, s *coverage.CommuneStats) []string {
		rk := ""
		if rank > 0 {
			rk = strconv.Itoa(rank)
		}
		out := []string{level, rk}
		for _, c := range statColumns {
			out = append(out, formatValue(c.value(s)))
		}
		for i := range s.PerCarrier {
			for _, cc := range carrierColumns {
				out = append(out, formatValue(cc.value(&s.PerCarrier[i])))
			}
		}
		return out
	}
	for _, t := range rep.Techs {
		for i := range rep.Ranked[t] {
			if err := cw.Write(row("commune", i+1, &rep.Ranked[t][i])); err != nil {
				return err
			}
		}
	}
	for i := range rep.Province {
		if err := cw.Write(row("province", 0, &rep.Province[i])); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteReportTable prints, per technology, an aligned table of the communes by uncovered
// population (largest first) and a province total line. carriers names carrier ids for the
// column heads (an id missing from it heads its own column).
func WriteReportTable(w io.Writer, rep *Report, carriers []data.Carrier) error {
	names := map[string]string{}
	for _, c := range carriers {
		names[c.ID] = c.Name
	}
	for n, t := range rep.Techs {
		if n > 0 {
			fmt.Fprintln(w)
		}
		cw := rep.CoveredWhen[t]
		fmt.Fprintf(w, "%s coverage by commune, by uncovered population (coverage definition %s, %s)\n", t, rep.DefinitionVersion, rep.Calibration)
		fmt.Fprintf(w, "covered: best %s ≥ %.1f dBm outdoors (%.1f dBm indoors), %.0f %% location reliability, %g m cells\n",
			cw.Metric, cw.RequiredOutdoorDBm, cw.RequiredIndoorDBm, 100*cw.Reliability, rep.CellM)
		fmt.Fprintf(w, "area: %s\npopulation: %s\n", rep.AreaBasis, rep.PopulationBasis)
		fmt.Fprintf(w, "carriers: white = no carrier, single = one, competitive = two or more; per-carrier columns: %% of area covered\n\n")
		head := []string{"#", "code", "commune", "type", "area km²", "covered %", "indoor %", "population", "uncovered", "people %",
			"carriers", "white km²", "single km²", "competitive km²", "3G-only km²", "3G-only ppl"}
		right := []bool{true, false, false, false, true, true, true, true, true, true, true, true, true, true, true, true}
		for _, c := range rep.Carriers {
			head = append(head, cmp.Or(names[c], c))
			right = append(right, true)
		}
		rows := [][]string{head}
		line := func(rank string, s coverage.CommuneStats) []string {
			row := []string{rank, s.Code, s.Name, CommuneTypeName(s.Type), fmt.Sprintf("%.1f", s.AreaKM2),
				fmt.Sprintf("%.1f", s.CoveredAreaPct), fmt.Sprintf("%.1f", s.CoveredIndoorAreaPct),
				strconv.Itoa(s.Population), fmt.Sprintf("%.0f", s.UncoveredPopulation), fmt.Sprintf("%.1f", s.CoveredPopulationPct),
				strconv.Itoa(s.CarriersPresent), fmt.Sprintf("%.1f", s.WhiteAreaKM2), fmt.Sprintf("%.1f", s.SingleCarrierAreaKM2),
				fmt.Sprintf("%.1f", s.CompetitiveAreaKM2), fmt.Sprintf("%.1f", s.ThreeGOnlyAreaKM2), fmt.Sprintf("%.0f", s.ThreeGOnlyPopulation)}
			for _, pc := range s.PerCarrier {
				row = append(row, fmt.Sprintf("%.1f", pc.CoveredAreaPct))
			}
			return row
		}
		for i, s := range rep.Ranked[t] {
			rows = append(rows, line(strconv.Itoa(i+1), s))
		}
		for _, total := range rep.Province {
			if total.Tech == t {
				total.Name = fmt.Sprintf("TOTAL (%d communes)", len(rep.Ranked[t]))
				rows = append(rows, line("", total))
			}
		}
		if err := WriteAligned(w, rows, right); err != nil {
			return err
		}
	}
	if rep.Population.Source != "" && len(rep.Techs) > 0 {
		return writeReconciliation(w, rep)
	}
	return nil
}

// writeReconciliation prints how the population grid reconciles with the census: the totals,
// then per commune (code order) the census, the source's people, the factor and the spread.
func writeReconciliation(w io.Writer, rep *Report) error {
	p := rep.Population
	fmt.Fprintf(w, "\nPopulation grid %s (%s, %s mode): %.0f people on the communes' land, census %d, factor %.4f; %d communes uniform\n",
		p.Source, p.Format, p.Mode, p.RasterPopulation, p.CensusPopulation, p.Factor, len(p.UniformCommunes))
	if p.Note != "" {
		fmt.Fprintf(w, "note: %s\n", p.Note)
	}
	fmt.Fprintln(w)
	rows := [][]string{{"code", "commune", "census", "raster", "factor", "counted", "spread"}}
	var list []coverage.CommuneStats
	for _, s := range rep.Communes {
		if s.Tech == rep.Techs[0] {
			list = append(list, s)
		}
	}
	for _, s := range list {
		rows = append(rows, []string{s.Code, s.Name, strconv.Itoa(s.Population), fmt.Sprintf("%.0f", s.RasterPopulation),
			fmt.Sprintf("%.4f", s.PopulationFactor), fmt.Sprintf("%.0f", s.GridPopulation), s.PopulationSpread})
	}
	return WriteAligned(w, rows, []bool{false, false, true, true, true, true, false})
}

// CommuneTypeName is the Vietnamese short name of a commune type.
func CommuneTypeName(t data.CommuneType) string {
	switch t {
	case data.TypeWard:
		return "phường"
	case data.TypeCommune:
		return "xã"
	}
	return string(t)
}

// WriteAligned writes rows as space-separated columns padded to the widest cell, right-aligned
// where right says so. Widths count characters, not bytes, and ignore combining marks, so
// Vietnamese names line up in either Unicode normal form.
func WriteAligned(w io.Writer, rows [][]string, right []bool) error {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for c, cell := range row {
			width[c] = max(width[c], TextWidth(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for c, cell := range row {
			pad := strings.Repeat(" ", width[c]-TextWidth(cell))
			if c > 0 {
				b.WriteString("  ")
			}
			if right[c] {
				b.WriteString(pad + cell)
			} else if c < len(row)-1 {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(cell)
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// TextWidth is the number of characters of s that take a column: runes that are not combining
// marks.
func TextWidth(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if !unicode.Is(unicode.Mn, r) {
			n++
		}
	}
	return n
}
