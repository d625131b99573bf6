package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/store"
)

// reportOptions are the flags of `phusong report`.
type reportOptions struct {
	communes, sites, carrier, config string
	tech                             string
	format                           string
	cellM                            float64
	includePlanned                   bool
}

// reportRun is everything `phusong report` computed, for the hooks.
type reportRun struct {
	Communes []data.Commune
	Sites    []data.Site
	Engine   *coverage.Engine
	Result   *coverage.Result
	Techs    []data.Tech   // the technologies asked for (--tech), in data.AnalysedTechs order
	Note     string        // the demo-data note, empty when no demo data is used
	Flags    *flag.FlagSet // the parsed flags, hooks' included (Lookup(name).Value)
}

// reportHook extends `phusong report` from another file of this package without editing this
// one (HOOK: the GeoJSON layer writer behind `--out DIR` plugs in here, from an init function
// in its own file). Flags registers the hook's flags; After runs once the result is computed,
// before the table is printed, and can read its flags' values from run.Flags (no package
// state needed). Both may be nil.
type reportHook struct {
	Flags func(fs *flag.FlagSet)
	After func(ctx context.Context, io stdio, run *reportRun) error
}

// reportHooks are the registered hooks, run in order.
var reportHooks []reportHook

func parseReportFlags(args []string, stderr io.Writer) (reportOptions, *flag.FlagSet, error) {
	var o reportOptions
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.sites, "sites", "", "sites CSV or GeoJSON file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.carrier, "carrier", "", "carrier ID for a --sites file without a carrier column")
	fs.StringVar(&o.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	fs.StringVar(&o.tech, "tech", "", "3G or 4G (default: both)")
	fs.StringVar(&o.format, "format", "table", "table, csv or json")
	fs.Float64Var(&o.cellM, "cell-m", coverage.DefaultCellM, "coverage grid cell in metres")
	fs.BoolVar(&o.includePlanned, "include-planned", false, "count planned sites as if on air (default: active sites only)")
	for _, h := range reportHooks {
		if h.Flags != nil {
			h.Flags(fs)
		}
	}
	if err := fs.Parse(args); err != nil {
		return o, fs, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "report: unexpected argument %q\n", fs.Arg(0))
		return o, fs, errUsage
	}
	switch o.format {
	case "table", "csv", "json":
	default:
		return o, fs, fmt.Errorf("report: --format %q: must be table, csv or json", o.format)
	}
	if o.tech != "" {
		t, ok := data.ParseTech(o.tech)
		if !ok || !slices.Contains(data.AnalysedTechs, t) {
			return o, fs, fmt.Errorf("report: --tech %q: must be 3G or 4G", o.tech)
		}
		o.tech = string(t)
	}
	return o, fs, nil
}

// runReport computes coverage for the communes and sites (the embedded demo unless files are
// given) and prints the per-commune statistics, priority first. The demo-data note goes to
// stderr (and into the JSON document); every format names the coverage definition version.
func runReport(ctx context.Context, io stdio, args []string) error {
	o, fs, err := parseReportFlags(args, io.Stderr)
	if err != nil {
		return err
	}
	run, def, err := reportInput(o, io.Stderr)
	if err != nil {
		return err
	}
	run.Flags = fs
	if run.Note != "" {
		fmt.Fprintln(io.Stderr, "phusong: note:", run.Note)
	}
	opts := coverage.Options{CellM: o.cellM, IncludePlanned: o.includePlanned}
	if terminal(io.Stderr) {
		opts.Progress = io.Stderr
	}
	if run.Engine, err = coverage.New(run.Communes, def, opts); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	st := store.New(run.Engine.Reach)
	if _, err := st.Upsert(run.Sites); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if run.Result, err = run.Engine.Compute(ctx, st.Snapshot()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	run.Techs = data.AnalysedTechs
	if o.tech != "" {
		run.Techs = []data.Tech{data.Tech(o.tech)}
	}
	for _, h := range reportHooks {
		if h.After != nil {
			if err := h.After(ctx, io, run); errors.Is(err, errReportHandled) {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	switch o.format {
	case "csv":
		return writeReportCSV(io.Stdout, run)
	case "json":
		return writeReportJSON(io.Stdout, run)
	}
	return writeReportTable(io.Stdout, run)
}

// reportInput loads the communes, sites and definition named by o (the embedded demo and
// definition for those not given) and prints the loaders' warnings to stderr.
func reportInput(o reportOptions, stderr io.Writer) (*reportRun, *coverage.Definition, error) {
	run := &reportRun{}
	var err error
	if o.communes == "" {
		run.Communes, err = demo.Communes()
		run.Note = demo.CommunesNote
	} else {
		var rep *input.CommuneLoadReport
		if rep, err = input.LoadCommunesFile(o.communes); err == nil {
			run.Communes = rep.Communes
			printWarnings(stderr, "communes", rep.Warnings)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	if o.sites == "" {
		run.Sites, err = demo.Sites()
		run.Note = demo.Note
	} else {
		var rep *input.SiteLoadReport
		if rep, err = input.LoadSitesFile(o.sites, input.SiteOptions{Carrier: o.carrier, Area: data.AreaOf(run.Communes)}); err == nil {
			run.Sites = rep.Sites
			printWarnings(stderr, "sites", rep.Warnings)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	def := coverage.DefaultDefinition()
	if o.config != "" {
		if def, err = coverage.LoadDefinition(o.config); err != nil {
			return nil, nil, fmt.Errorf("report: %w", err)
		}
	}
	return run, def, nil
}

// printWarnings prints a loader's warnings, at most 20 and a count of the rest.
func printWarnings(w io.Writer, what string, ws []data.Warning) {
	const most = 20
	for i, x := range ws {
		if i == most {
			fmt.Fprintf(w, "phusong: %s: … and %d more warnings\n", what, len(ws)-most)
			break
		}
		fmt.Fprintf(w, "phusong: %s: warning: %s\n", what, x)
	}
}

// Denominators, stated in every output.
const (
	areaBasis       = "land cells: grid cells whose centre lies in the commune (the first commune in code order where communes overlap) × cell area"
	populationBasis = "census population and households spread uniformly over the commune's land cells (no population grid)"
)

// reportDoc is the JSON document of `report --format json`.
type reportDoc struct {
	DefinitionVersion string                    `json:"definition_version"`
	DataNote          string                    `json:"data_note,omitempty"`
	CellM             float64                   `json:"cell_m"`
	AreaBasis         string                    `json:"area_basis"`
	PopulationBasis   string                    `json:"population_basis"`
	CoveredWhen       map[data.Tech]coveredWhen `json:"covered_when"`
	Carriers          []string                  `json:"carriers"`
	Communes          []coverage.CommuneStats   `json:"communes"` // by code, then technology
	Province          []coverage.CommuneStats   `json:"province"` // per technology
	Priority          map[data.Tech][]string    `json:"priority"` // commune codes by uncovered population
}

// coveredWhen states a technology's coverage rule in the JSON document.
type coveredWhen struct {
	Metric             string  `json:"metric"`
	RequiredOutdoorDBm float64 `json:"required_outdoor_dbm"`
	RequiredIndoorDBm  float64 `json:"required_indoor_dbm"`
	Reliability        float64 `json:"reliability"`
}

func writeReportJSON(w io.Writer, run *reportRun) error {
	r := run.Result
	doc := reportDoc{DefinitionVersion: r.DefinitionVersion(), DataNote: run.Note, CellM: run.Engine.CellM(),
		AreaBasis: areaBasis, PopulationBasis: populationBasis, CoveredWhen: map[data.Tech]coveredWhen{},
		Carriers: r.Carriers(), Communes: []coverage.CommuneStats{}, Priority: map[data.Tech][]string{}}
	for _, s := range r.Communes() {
		if slices.Contains(run.Techs, s.Tech) {
			doc.Communes = append(doc.Communes, s)
		}
	}
	def := run.Engine.Definition()
	for _, t := range run.Techs {
		doc.Province = append(doc.Province, r.Province(t))
		out, _ := run.Engine.RequiredDBm(t, false)
		in, _ := run.Engine.RequiredDBm(t, true)
		rule, _ := def.Rule(t)
		doc.CoveredWhen[t] = coveredWhen{Metric: rule.Metric, RequiredOutdoorDBm: out, RequiredIndoorDBm: in, Reliability: rule.Reliability}
		codes := []string{}
		for _, s := range r.Priority(t) {
			codes = append(codes, s.Code)
		}
		doc.Priority[t] = codes
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeReportCSV writes one row per commune and technology (priority order per technology),
// then one province row per technology (level "province"). The demo note is not in the CSV
// (a comment line would break parsers): it goes to stderr.
func writeReportCSV(w io.Writer, run *reportRun) error {
	r := run.Result
	carriers := r.Carriers()
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
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
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
	for _, t := range run.Techs {
		for i, s := range r.Priority(t) {
			if err := cw.Write(row("commune", i+1, s)); err != nil {
				return err
			}
		}
	}
	for _, t := range run.Techs {
		if err := cw.Write(row("province", 0, r.Province(t))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeReportTable prints, per technology, an aligned table of the communes by uncovered
// population (largest first) and a province total line.
func writeReportTable(w io.Writer, run *reportRun) error {
	r := run.Result
	names := map[string]string{}
	for _, c := range data.DefaultCarriers() {
		names[c.ID] = c.Name
	}
	for n, t := range run.Techs {
		if n > 0 {
			fmt.Fprintln(w)
		}
		out, _ := run.Engine.RequiredDBm(t, false)
		in, _ := run.Engine.RequiredDBm(t, true)
		rule, _ := run.Engine.Definition().Rule(t)
		fmt.Fprintf(w, "%s coverage by commune, by uncovered population (coverage definition %s)\n", t, r.DefinitionVersion())
		fmt.Fprintf(w, "covered: best %s ≥ %.1f dBm outdoors (%.1f dBm indoors), %.0f %% location reliability, %g m cells\n",
			rule.Metric, out, in, 100*rule.Reliability, run.Engine.CellM())
		fmt.Fprintf(w, "area: %s\npopulation: %s\n", areaBasis, populationBasis)
		fmt.Fprintf(w, "carriers: white = no carrier, single = one, competitive = two or more; per-carrier columns: %% of area covered\n\n")
		head := []string{"#", "code", "commune", "type", "area km²", "covered %", "indoor %", "population", "uncovered",
			"carriers", "white km²", "single km²", "competitive km²", "3G-only km²"}
		right := []bool{true, false, false, false, true, true, true, true, true, true, true, true, true, true}
		for _, c := range r.Carriers() {
			head = append(head, cmp.Or(names[c], c))
			right = append(right, true)
		}
		rows := [][]string{head}
		line := func(rank string, s coverage.CommuneStats) []string {
			row := []string{rank, s.Code, s.Name, communeType(s.Type), fmt.Sprintf("%.1f", s.AreaKM2),
				fmt.Sprintf("%.1f", s.CoveredAreaPct), fmt.Sprintf("%.1f", s.CoveredIndoorAreaPct),
				strconv.Itoa(s.Population), fmt.Sprintf("%.0f", s.UncoveredPopulation), strconv.Itoa(s.CarriersPresent),
				fmt.Sprintf("%.1f", s.WhiteAreaKM2), fmt.Sprintf("%.1f", s.SingleCarrierAreaKM2),
				fmt.Sprintf("%.1f", s.CompetitiveAreaKM2), fmt.Sprintf("%.1f", s.ThreeGOnlyAreaKM2)}
			for _, pc := range s.PerCarrier {
				row = append(row, fmt.Sprintf("%.1f", pc.CoveredAreaPct))
			}
			return row
		}
		for i, s := range r.Priority(t) {
			rows = append(rows, line(strconv.Itoa(i+1), s))
		}
		total := r.Province(t)
		total.Name = fmt.Sprintf("TOTAL (%d communes)", len(run.Engine.Communes()))
		rows = append(rows, line("", total))
		if err := writeAligned(w, rows, right); err != nil {
			return err
		}
	}
	return nil
}

// communeType is the Vietnamese short name of a commune type.
func communeType(t data.CommuneType) string {
	switch t {
	case data.TypeWard:
		return "phường"
	case data.TypeCommune:
		return "xã"
	}
	return string(t)
}

// writeAligned writes rows as space-separated columns padded to the widest cell, right-aligned
// where right says so. Widths count characters, not bytes, and ignore combining marks, so
// Vietnamese names line up in either Unicode normal form.
func writeAligned(w io.Writer, rows [][]string, right []bool) error {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for c, cell := range row {
			width[c] = max(width[c], textWidth(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for c, cell := range row {
			pad := strings.Repeat(" ", width[c]-textWidth(cell))
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

// textWidth is the number of characters of s that take a column: runes that are not combining
// marks.
func textWidth(s string) int {
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
