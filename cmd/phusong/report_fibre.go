package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"phusong/data/fibre"
	"phusong/data/input"
	"phusong/data/render"
	"phusong/server/app"
)

// layerValue is the --layer flag: coverage, fibre or pockets.
type layerValue string

func (v *layerValue) String() string { return string(*v) }

func (v *layerValue) Set(s string) error {
	if s != "coverage" && s != "fibre" && s != "pockets" {
		return fmt.Errorf("must be coverage, fibre or pockets")
	}
	*v = layerValue(s)
	return nil
}

// dropValue is the --drop-m flag: a distance in (0, fibre.MaxDropM] metres.
type dropValue float64

func (v *dropValue) String() string { return strconv.FormatFloat(float64(*v), 'f', -1, 64) }

func (v *dropValue) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x > 0 && x <= fibre.MaxDropM) {
		return fmt.Errorf("must be a number in (0, %g]", fibre.MaxDropM)
	}
	*v = dropValue(x)
	return nil
}

// fibreRun is what the fibre report prints.
type fibreRun struct {
	note     string // demo note, "" for a file
	reach    *fibre.Reach
	rows     []fibre.CommuneReach // code order
	province fibre.CommuneReach
	combined []fibre.CombinedRow
}

// computeFibre reads the take-up figures of o and orders st's reach per commune by the
// combined 4G-and-fibre view.
func computeFibre(st *app.State, o reportOptions) (*fibreRun, error) {
	fr := &fibreRun{note: st.FibreNote, reach: st.FibreReach, rows: st.FibreRows()}
	if o.takeUp != "" {
		f, err := os.Open(o.takeUp)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		figures, err := input.ReadTakeUpCSV(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", o.takeUp, err)
		}
		if fr.rows, err = fibre.WithTakeUp(fr.rows, figures); err != nil {
			return nil, fmt.Errorf("report: %s: %w", o.takeUp, err)
		}
	}
	fr.province = fibre.Total(fr.rows)
	var err error
	if fr.combined, err = st.Combined(fr.rows, 0); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return fr, nil
}

// Fibre report bases, stated in every output.
const (
	fibreReachBasis = "in reach: land cells whose centre is within the drop distance of a distribution route or an access point (backbones never count; feeders only with --feeder-reach)"
	fibreViewBasis  = "view: communes lacking both 4G (covered population share) and fibre reach (household share) at 50 % first, then those lacking one, then those with both"
)

func writeFibreReport(io stdio, st *app.State, o reportOptions) error {
	fr, err := computeFibre(st, o)
	if err != nil {
		return err
	}
	switch o.format {
	case "json":
		return writeFibreJSON(io.Stdout, st, fr)
	case "csv":
		return writeFibreCSV(io.Stdout, fr)
	}
	return writeFibreTable(io.Stdout, st, fr)
}

// fibreDoc is the JSON document of `report --layer fibre --format json`.
type fibreDoc struct {
	DataNote          string               `json:"data_note,omitempty"`
	FibreNote         string               `json:"fibre_note,omitempty"`
	DefinitionVersion string               `json:"definition_version"`
	Calibration       string               `json:"calibration"`
	CellM             float64              `json:"cell_m"`
	DropM             float64              `json:"drop_m"`
	AreaBasis         string               `json:"area_basis"`
	PopulationBasis   string               `json:"population_basis"`
	ReachBasis        string               `json:"reach_basis"`
	ViewBasis         string               `json:"view_basis"`
	Operators         []string             `json:"operators"`
	Communes          []fibre.CommuneReach `json:"communes"` // code order
	Province          fibre.CommuneReach   `json:"province"`
	Combined          []fibre.CombinedRow  `json:"combined"` // lacking both first
}

func writeFibreJSON(w io.Writer, st *app.State, fr *fibreRun) error {
	doc := fibreDoc{DataNote: st.PeopleNote(), FibreNote: fr.note, DefinitionVersion: st.Coverage.DefinitionVersion(), Calibration: st.Coverage.Calibration(),
		CellM: st.Engine.CellM(), DropM: fr.reach.DropM(), AreaBasis: render.AreaBasis, PopulationBasis: render.PopulationBasisFor(st.Engine.Population()),
		ReachBasis: fibreReachBasis, ViewBasis: fibreViewBasis, Operators: fr.reach.Operators(),
		Communes: fr.rows, Province: fr.province, Combined: fr.combined}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// optional formats a take-up figure, "" when absent.
func optional(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// writeFibreCSV writes one row per commune in the combined view's order, then a province row.
func writeFibreCSV(w io.Writer, fr *fibreRun) error {
	head := []string{"level", "rank", "code", "name", "name_en", "type", "population", "households", "land_cells", "area_km2",
		"in_reach_cells", "area_in_reach_km2", "households_in_reach", "population_in_reach", "fibre_reach_pct",
		"fibre_operators", "covered_4g_population_pct", "view", "households_lacking_both"}
	for _, op := range fr.reach.Operators() {
		head = append(head, op+"_reach_pct")
	}
	head = append(head, "take_up_households", "take_up_pct", "take_up_of_reach_pct", "drop_m", "population_spread")
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	byCode := map[string]fibre.CommuneReach{}
	for _, r := range fr.rows {
		byCode[r.Code] = r
	}
	row := func(level, rank string, c fibre.CommuneReach, v fibre.CombinedRow, with4G bool) []string {
		g4, lack := "", ""
		if with4G {
			g4, lack = f(v.Covered4GPct), f(v.HouseholdsLacking)
		}
		out := []string{level, rank, c.Code, c.Name, c.NameEN, string(c.Type), strconv.Itoa(c.Population), strconv.Itoa(c.Households),
			strconv.Itoa(c.LandCells), f(c.AreaKM2), strconv.Itoa(c.InReachCells), f(c.AreaInReachKM2), f(c.HouseholdsInReach),
			f(c.PopulationInReach), f(c.ReachPct), strings.Join(c.Operators, " "), g4, v.Category, lack}
		for _, p := range c.PerOperator {
			out = append(out, f(p.ReachPct))
		}
		return append(out, optional(c.TakeUpHouseholds), optional(c.TakeUpPct), optional(c.TakeUpOfReachPct), f(c.DropM), c.PopulationSpread)
	}
	for i, v := range fr.combined {
		if err := cw.Write(row("commune", strconv.Itoa(i+1), byCode[v.Code], v, true)); err != nil {
			return err
		}
	}
	if err := cw.Write(row("province", "", fr.province, fibre.CombinedRow{}, false)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// writeFibreTable prints the communes in the combined view's order and a province line.
func writeFibreTable(w io.Writer, st *app.State, fr *fibreRun) error {
	fmt.Fprintf(w, "Fibre reach by commune, lacking both 4G and fibre first (drop distance %g m; coverage definition %s, %s)\n",
		fr.reach.DropM(), st.Coverage.DefinitionVersion(), st.Coverage.Calibration())
	fmt.Fprintf(w, "%s\narea: %s\npopulation: %s\n%s\n", fibreReachBasis, render.AreaBasis, render.PopulationBasisFor(st.Engine.Population()), fibreViewBasis)
	fmt.Fprintf(w, "per-operator columns: %% of households in reach\n\n")
	takeUp := fr.province.TakeUpHouseholds != nil
	head := []string{"#", "code", "commune", "type", "households", "in reach", "reach %", "4G pop %", "view", "operators"}
	for _, op := range fr.reach.Operators() {
		head = append(head, op)
	}
	if takeUp {
		head = append(head, "take-up %", "of reach %")
	}
	right := make([]bool, len(head))
	for i := range right {
		right[i] = i == 0 || i >= 4 && i != 8
	}
	byCode := map[string]fibre.CommuneReach{}
	for _, r := range fr.rows {
		byCode[r.Code] = r
	}
	line := func(rank string, c fibre.CommuneReach, g4, view string) []string {
		row := []string{rank, c.Code, c.Name, render.CommuneTypeName(c.Type), strconv.Itoa(c.Households), fmt.Sprintf("%.0f", c.HouseholdsInReach),
			fmt.Sprintf("%.1f", c.ReachPct), g4, view, strconv.Itoa(len(c.Operators))}
		for _, p := range c.PerOperator {
			row = append(row, fmt.Sprintf("%.1f", p.ReachPct))
		}
		if takeUp {
			pct := func(v *float64) string {
				if v == nil {
					return ""
				}
				return fmt.Sprintf("%.1f", *v)
			}
			row = append(row, pct(c.TakeUpPct), pct(c.TakeUpOfReachPct))
		}
		return row
	}
	rows := [][]string{head}
	for i, v := range fr.combined {
		rows = append(rows, line(strconv.Itoa(i+1), byCode[v.Code], fmt.Sprintf("%.1f", v.Covered4GPct), v.Category))
	}
	total := fr.province
	total.Name = fmt.Sprintf("TOTAL (%d communes)", len(fr.rows))
	rows = append(rows, line("", total, "", ""))
	return render.WriteAligned(w, rows, right)
}
