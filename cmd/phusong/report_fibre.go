package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"phusong/data"
	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/data/input"
)

// errReportHandled is returned by a report hook that has written the whole output itself
// (`--layer fibre`); runReport then prints nothing more and succeeds.
var errReportHandled = errors.New("report: output written by a hook")

// fibreReportOptions are the values of the flags the fibre hook adds to `phusong report`.
type fibreReportOptions struct {
	layer       string // "coverage" (default) or "fibre"
	file        string // fibre network GeoJSON; "" = the embedded synthetic demo
	operator    string // operator of a --fibre file without operator properties
	takeUp      string // take-up CSV (code, households)
	dropM       float64
	feederReach bool
	format      string // the report's --format
}

func init() { reportHooks = append(reportHooks, reportFibreHook()) }

// layerValue is the --layer flag: coverage or fibre.
type layerValue string

func (v *layerValue) String() string { return string(*v) }

func (v *layerValue) Set(s string) error {
	if s != "coverage" && s != "fibre" {
		return fmt.Errorf("must be coverage or fibre")
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

// reportFibreHook adds --layer fibre (and --fibre, --fibre-operator, --drop-m, --feeder-reach,
// --take-up) to `phusong report`: instead of the coverage table it prints the fibre reach per
// commune, ordered by the combined 4G-and-fibre view (communes lacking both first), in the
// --format asked for, and returns errReportHandled.
func reportFibreHook() reportHook {
	return reportHook{
		Flags: func(fs *flag.FlagSet) {
			layer, drop := layerValue("coverage"), dropValue(fibre.DefaultDropM)
			fs.Var(&layer, "layer", "coverage or fibre: fibre reach per commune next to 4G coverage")
			fs.String("fibre", "", "with --layer fibre: fibre network GeoJSON (default: the embedded synthetic demo network)")
			fs.String("fibre-operator", "", "operator id for a --fibre file without operator properties")
			fs.String("take-up", "", "with --layer fibre: CSV of households using fibre per commune (columns code, households)")
			fs.Var(&drop, "drop-m", "with --layer fibre: drop distance in metres")
			fs.Bool("feeder-reach", false, "with --layer fibre: feeders give reach like distribution routes")
		},
		After: func(ctx context.Context, io stdio, run *reportRun) error {
			o := fibreFlags(run.Flags)
			if o.layer != "fibre" {
				return nil
			}
			if err := writeFibreReport(io, run, o); err != nil {
				return err
			}
			return errReportHandled
		},
	}
}

// fibreFlags reads the hook's flags (and --format) from the parsed FlagSet; values the
// FlagSet lacks keep their defaults.
func fibreFlags(fs *flag.FlagSet) fibreReportOptions {
	o := fibreReportOptions{layer: "coverage", dropM: fibre.DefaultDropM, format: "table"}
	if fs == nil {
		return o
	}
	get := func(name string, dst *string) {
		if f := fs.Lookup(name); f != nil {
			*dst = f.Value.String()
		}
	}
	var drop, feeder string
	get("layer", &o.layer)
	get("fibre", &o.file)
	get("fibre-operator", &o.operator)
	get("take-up", &o.takeUp)
	get("format", &o.format)
	get("drop-m", &drop)
	get("feeder-reach", &feeder)
	if x, err := strconv.ParseFloat(drop, 64); err == nil {
		o.dropM = x
	}
	o.feederReach = feeder == "true"
	return o
}

// fibreRun is what the fibre report prints.
type fibreRun struct {
	note     string // demo note, "" for a file
	reach    *fibre.Reach
	rows     []fibre.CommuneReach // code order
	province fibre.CommuneReach
	combined []fibre.CombinedRow
}

// computeFibre loads the network and take-up figures and measures the reach on run's engine.
func computeFibre(stderr io.Writer, run *reportRun, o fibreReportOptions) (*fibreRun, error) {
	fr := &fibreRun{}
	var net *fibre.Network
	if o.file == "" {
		n, err := demo.Fibre()
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		net, fr.note = n, demo.FibreNote
		fmt.Fprintln(stderr, "phusong: note:", demo.FibreNote)
	} else {
		rep, err := input.LoadFibreFile(o.file, input.FibreOptions{Operator: o.operator, Area: data.AreaOf(run.Communes)})
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		printWarnings(stderr, "fibre", rep.Warnings)
		net = &rep.Network
	}
	var err error
	if fr.reach, err = fibre.Compute(run.Engine, net, fibre.Options{DropM: o.dropM, FeederReach: o.feederReach}); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	fr.rows = fr.reach.Communes()
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
	share4G := map[string]float64{}
	for _, s := range run.Result.CommuneStatsFor(data.Tech4G) {
		share4G[s.Code] = s.CoveredPopulationPct
	}
	if fr.combined, err = fibre.Combined(fr.rows, share4G, 0); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return fr, nil
}

// Fibre report bases, stated in every output.
const (
	fibreReachBasis = "in reach: land cells whose centre is within the drop distance of a distribution route or an access point (backbones never count; feeders only with --feeder-reach)"
	fibreViewBasis  = "view: communes lacking both 4G (covered population share) and fibre reach (household share) at 50 % first, then those lacking one, then those with both"
)

func writeFibreReport(io stdio, run *reportRun, o fibreReportOptions) error {
	fr, err := computeFibre(io.Stderr, run, o)
	if err != nil {
		return err
	}
	switch o.format {
	case "json":
		return writeFibreJSON(io.Stdout, run, fr)
	case "csv":
		return writeFibreCSV(io.Stdout, fr)
	}
	return writeFibreTable(io.Stdout, run, fr)
}

// fibreDoc is the JSON document of `report --layer fibre --format json`.
type fibreDoc struct {
	DataNote          string               `json:"data_note,omitempty"`
	FibreNote         string               `json:"fibre_note,omitempty"`
	DefinitionVersion string               `json:"definition_version"`
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

func writeFibreJSON(w io.Writer, run *reportRun, fr *fibreRun) error {
	doc := fibreDoc{DataNote: run.Note, FibreNote: fr.note, DefinitionVersion: run.Result.DefinitionVersion(),
		CellM: run.Engine.CellM(), DropM: fr.reach.DropM(), AreaBasis: areaBasis, PopulationBasis: populationBasis,
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
func writeFibreTable(w io.Writer, run *reportRun, fr *fibreRun) error {
	fmt.Fprintf(w, "Fibre reach by commune, lacking both 4G and fibre first (drop distance %g m; coverage definition %s)\n",
		fr.reach.DropM(), run.Result.DefinitionVersion())
	fmt.Fprintf(w, "%s\narea: %s\npopulation: %s\n%s\n", fibreReachBasis, areaBasis, populationBasis, fibreViewBasis)
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
		row := []string{rank, c.Code, c.Name, communeType(c.Type), strconv.Itoa(c.Households), fmt.Sprintf("%.0f", c.HouseholdsInReach),
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
	return writeAligned(w, rows, right)
}
