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
)

// Report is the per-commune coverage report: one schema for `phusong report` (table, CSV,
// JSON), /api/v1/report.csv and the communes layer's statistics.
type Report struct {
	DefinitionVersion string                    `json:"definition_version"`
	DataNote          string                    `json:"data_note,omitempty"` // non-empty on synthetic or schematic data
	CellM             float64                   `json:"cell_m"`
	AreaBasis         string                    `json:"area_basis"`
	PopulationBasis   string                    `json:"population_basis"`
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

// Denominators, stated in every report.
const (
	AreaBasis       = "land cells: grid cells whose centre lies in the commune (the first commune in code order where communes overlap) × cell area"
	PopulationBasis = "census population and households spread uniformly over the commune's land cells (no population grid)"
)

// NewReport collects the report of techs (in data.AnalysedTechs order) from r; note is the
// synthetic-data note ("" for real data).
func NewReport(r *coverage.Result, techs []data.Tech, note string) *Report {
	eng := r.Engine()
	rep := &Report{DefinitionVersion: r.DefinitionVersion(), DataNote: note, CellM: eng.CellM(),
		AreaBasis: AreaBasis, PopulationBasis: PopulationBasis, CoveredWhen: map[data.Tech]CoveredWhen{},
		Carriers: r.Carriers(), Communes: []coverage.CommuneStats{}, Priority: map[data.Tech][]string{},
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

// ReportColumns returns the CSV columns of a report over carriers: 30 fixed, then 5 per
// carrier (<carrier>_covered_area_km2, _covered_area_pct, _covered_indoor_area_pct,
// _covered_population, _covered_households).
func ReportColumns(carriers []string) []string {
	head := []string{"level", "priority", "code", "name", "name_en", "type", "tech", "definition_version", "land_cells",
		"area_km2", "polygon_area_km2", "covered_area_km2", "covered_area_pct", "covered_indoor_area_km2",
		"covered_indoor_area_pct", "population", "covered_population", "uncovered_population", "covered_population_pct",
		"households", "covered_households", "carriers_present", "carriers_present_ids", "white_area_km2",
		"single_carrier_area_km2", "two_carrier_area_km2", "three_plus_carrier_area_km2", "competitive_area_km2",
		"three_g_only_area_km2", "population_spread"}
	for _, c := range carriers {
		head = append(head, c+"_covered_area_km2", c+"_covered_area_pct", c+"_covered_indoor_area_pct",
			c+"_covered_population", c+"_covered_households")
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
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	row := func(level string, rank int, s coverage.CommuneStats) []string {
		rk := ""
		if rank > 0 {
			rk = strconv.Itoa(rank)
		}
		a := s.AreaByCarrierCountKM2
		out := []string{level, rk, s.Code, s.Name, s.NameEN, string(s.Type), string(s.Tech), s.DefinitionVersion,
			strconv.Itoa(s.LandCells), f(s.AreaKM2), f(s.PolygonAreaKM2), f(s.CoveredAreaKM2), f(s.CoveredAreaPct),
			f(s.CoveredIndoorAreaKM2), f(s.CoveredIndoorAreaPct), strconv.Itoa(s.Population), f(s.CoveredPopulation),
			f(s.UncoveredPopulation), f(s.CoveredPopulationPct), strconv.Itoa(s.Households), f(s.CoveredHouseholds),
			strconv.Itoa(s.CarriersPresent), strings.Join(s.CarriersPresentIDs, " "), f(a[0]), f(a[1]), f(a[2]), f(a[3]),
			f(s.CompetitiveAreaKM2), f(s.ThreeGOnlyAreaKM2), s.PopulationSpread}
		for _, pc := range s.PerCarrier {
			out = append(out, f(pc.CoveredAreaKM2), f(pc.CoveredAreaPct), f(pc.CoveredIndoorAreaPct),
				f(pc.CoveredPopulation), f(pc.CoveredHouseholds))
		}
		return out
	}
	for _, t := range rep.Techs {
		for i, s := range rep.Ranked[t] {
			if err := cw.Write(row("commune", i+1, s)); err != nil {
				return err
			}
		}
	}
	for _, s := range rep.Province {
		if err := cw.Write(row("province", 0, s)); err != nil {
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
		fmt.Fprintf(w, "%s coverage by commune, by uncovered population (coverage definition %s)\n", t, rep.DefinitionVersion)
		fmt.Fprintf(w, "covered: best %s ≥ %.1f dBm outdoors (%.1f dBm indoors), %.0f %% location reliability, %g m cells\n",
			cw.Metric, cw.RequiredOutdoorDBm, cw.RequiredIndoorDBm, 100*cw.Reliability, rep.CellM)
		fmt.Fprintf(w, "area: %s\npopulation: %s\n", rep.AreaBasis, rep.PopulationBasis)
		fmt.Fprintf(w, "carriers: white = no carrier, single = one, competitive = two or more; per-carrier columns: %% of area covered\n\n")
		head := []string{"#", "code", "commune", "type", "area km²", "covered %", "indoor %", "population", "uncovered",
			"carriers", "white km²", "single km²", "competitive km²", "3G-only km²"}
		right := []bool{true, false, false, false, true, true, true, true, true, true, true, true, true, true}
		for _, c := range rep.Carriers {
			head = append(head, cmp.Or(names[c], c))
			right = append(right, true)
		}
		rows := [][]string{head}
		line := func(rank string, s coverage.CommuneStats) []string {
			row := []string{rank, s.Code, s.Name, CommuneTypeName(s.Type), fmt.Sprintf("%.1f", s.AreaKM2),
				fmt.Sprintf("%.1f", s.CoveredAreaPct), fmt.Sprintf("%.1f", s.CoveredIndoorAreaPct),
				strconv.Itoa(s.Population), fmt.Sprintf("%.0f", s.UncoveredPopulation), strconv.Itoa(s.CarriersPresent),
				fmt.Sprintf("%.1f", s.WhiteAreaKM2), fmt.Sprintf("%.1f", s.SingleCarrierAreaKM2),
				fmt.Sprintf("%.1f", s.CompetitiveAreaKM2), fmt.Sprintf("%.1f", s.ThreeGOnlyAreaKM2)}
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
	return nil
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
