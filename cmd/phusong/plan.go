package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/plan"
)

// runPlan dispatches `phusong plan <subcommand>`; suggest is the only one.
func runPlan(ctx context.Context, io stdio, args []string) error {
	return runSubcommand(ctx, io, args, "plan", map[string]func(context.Context, stdio, []string) error{
		"suggest": runPlanSuggest,
	}, planUsage)
}

// planUsage is the usage of `phusong plan`.
func planUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage:
  phusong plan suggest --carrier ID|any [--tech 4G] [--count N] [--candidates FILE] [--share-towers]
                       [--max-fibre-m M] [--height-m H] [--roads FILE] [--road-spacing-m 500]
                       [--format table|csv|json] [--out FILE]
                       [--communes F] [--sites F] [--config F] [--population F|none] [--fibre F] [--cell-m 50]

Chooses up to N new sites that cover the most people the carrier (or, with "any", every carrier)
leaves without coverage: lazy greedy over candidate footprints (other carriers' towers with
--share-towers, fibre access points, a lattice over settled land, points every --road-spacing-m
along the --roads lines, or the lon,lat rows of FILE).
--out writes the picks as a station-list CSV (status=planned) the carrier can upload.
Run "phusong plan suggest --help" for every flag.`)
}

// planSuggestOptions are the flags of `phusong plan suggest`.
type planSuggestOptions struct {
	report     reportOptions // the inputs, as report reads them
	opts       plan.Options
	tech       string
	candidates string
	roads      string
	format     string
	out        string
}

func parsePlanSuggestFlags(args []string, stderr io.Writer) (planSuggestOptions, error) {
	var o planSuggestOptions
	o.report.layer = "fibre" // load the fibre network: candidates and distances
	fs := newFlags(stderr, "plan suggest", "plan suggest --carrier ID|any [--tech 4G] [--count N] [flags]",
		"Suggests up to --count new sites that cover the most people without coverage (lazy greedy over candidate\n"+
			"footprints), computed from the embedded demo (synthetic stations) or the given files.")
	fs.StringVar(&o.opts.Carrier, "carrier", "", `the carrier building the sites, or "any" (people no carrier covers)`)
	fs.StringVar(&o.tech, "tech", "4G", "3G or 4G")
	fs.IntVar(&o.opts.Count, "count", plan.DefaultCount, "sites to suggest")
	fs.StringVar(&o.candidates, "candidates", "", "CSV of candidate positions (lon, lat, optional name and height_m) instead of the generated ones")
	fs.BoolVar(&o.opts.ShareTowers, "share-towers", false, "add other carriers' towers as candidates (at their height)")
	fs.Float64Var(&o.opts.MaxFibreM, "max-fibre-m", 0, "keep candidates within this distance of fibre, m (0: no limit)")
	fs.Float64Var(&o.opts.HeightM, "height-m", data.DefaultHeightM, "antenna height of new masts, m")
	fs.Float64Var(&o.opts.SettledSpacingM, "spacing-m", plan.DefaultSettledSpacingM, "spacing of the settled-land candidate lattice, m")
	fs.StringVar(&o.roads, "roads", "", "GeoJSON of road lines (e.g. a national roads file): candidates along them and each pick's road distance (without: road_distance_m -1)")
	fs.Float64Var(&o.opts.RoadSpacingM, "road-spacing-m", plan.DefaultRoadSpacingM, "spacing of the candidates along --roads, m")
	fs.StringVar(&o.format, "format", "table", "table, csv or json")
	fs.StringVar(&o.out, "out", "", "write the picks as a station-list CSV (status=planned) to this file")
	fs.StringVar(&o.report.communes, "communes", "", "communes GeoJSON file (default: the embedded schematic demo)")
	fs.StringVar(&o.report.sites, "sites", "", "sites CSV or GeoJSON file (default: the embedded demo's synthetic stations)")
	fs.StringVar(&o.report.config, "config", "", "coverage definition JSON (default: the embedded definition)")
	fs.StringVar(&o.report.fibre, "fibre", "", "fibre network GeoJSON (default: the embedded synthetic demo network)")
	populationFlags(fs, &o.report.population, &o.report.populationMode)
	fs.Float64Var(&o.report.cellM, "cell-m", coverage.DefaultCellM, "coverage grid cell in metres")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	t, ok := data.ParseTech(o.tech)
	if !ok {
		return o, fmt.Errorf("plan suggest: --tech %q: must be 3G or 4G", o.tech)
	}
	o.opts.Tech = t
	switch o.format {
	case "table", "csv", "json":
	default:
		return o, fmt.Errorf("plan suggest: --format %q: must be table, csv or json", o.format)
	}
	if o.opts.Carrier == "" {
		return o, errors.New(`plan suggest: --carrier ID or --carrier any is required`)
	}
	if o.out != "" && o.opts.Carrier == coverage.AnyCarrier {
		return o, errors.New(`plan suggest: --out writes a carrier's station list: give --carrier ID, not "any"`)
	}
	return o, nil
}

// runPlanSuggest computes the coverage of the inputs and suggests sites.
func runPlanSuggest(ctx context.Context, io stdio, args []string) error {
	o, err := parsePlanSuggestFlags(args, io.Stderr)
	if err != nil {
		return err
	}
	st, err := reportState(ctx, "plan suggest", o.report, io.Stderr)
	if err != nil {
		return err
	}
	if o.candidates != "" {
		f, err := os.Open(o.candidates)
		if err != nil {
			return fmt.Errorf("plan suggest: %w", err)
		}
		cands, err := input.ReadCandidatesCSV(f, st.Area)
		f.Close()
		if err != nil {
			return fmt.Errorf("plan suggest: %s: %w", o.candidates, err)
		}
		for _, c := range cands {
			o.opts.Candidates = append(o.opts.Candidates, plan.Candidate{Lon: c.Lon, Lat: c.Lat, Source: plan.SourceFile, Ref: c.Name, HeightM: c.HeightM})
		}
	}
	if o.opts.Roads, err = loadRoads("plan suggest", o.roads); err != nil {
		return err
	}
	if err := o.opts.Check(st.Coverage); err != nil {
		return fmt.Errorf("plan suggest: %w", err)
	}
	start := time.Now()
	if terminal(io.Stderr) {
		o.opts.Progress = progressBar(io.Stderr, start)
	}
	res, err := st.Suggest(ctx, o.opts)
	if err != nil {
		return fmt.Errorf("plan suggest: %w", err)
	}
	fmt.Fprintf(io.Stderr, "plan suggest: %d picks from %d candidates (%d would cover someone) in %.1f s\n",
		len(res.Picks), res.Candidates, res.Useful, time.Since(start).Seconds())
	if o.out != "" {
		if err := writePicks(o.out, res); err != nil {
			return fmt.Errorf("plan suggest: %w", err)
		}
	}
	return writeSuggestion(io.Stdout, o.format, res, st.PeopleNote())
}

// loadRoads reads the road lines of a --roads file (the context layer reader, roads only);
// nil for path "".
func loadRoads(cmd, path string) ([]orb.LineString, error) {
	if path == "" {
		return nil, nil
	}
	fc, err := input.LoadContextFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: --roads %w", cmd, err)
	}
	roads := plan.RoadLines(fc)
	if len(roads) == 0 {
		return nil, fmt.Errorf("%s: --roads %s: no road lines (LineString or MultiLineString features not marked as water)", cmd, path)
	}
	return roads, nil
}

// progressBar draws "[#####     ]  42% 2100/5000 candidates" on a terminal.
func progressBar(w io.Writer, start time.Time) func(done, total int) {
	return func(done, total int) {
		const width = 30
		n := width * done / max(total, 1)
		fmt.Fprintf(w, "\r[%s%s] %3d%% %d/%d candidates %.0fs", strings.Repeat("#", n), strings.Repeat(" ", width-n),
			100*done/max(total, 1), done, total, time.Since(start).Seconds())
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// writePicks writes the picks as a station list of res.Carrier, status planned, ids
// "PLAN-<tech>-NNN".
func writePicks(path string, res *plan.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = input.WriteSitesCSV(f, res.Sites(res.Carrier, fmt.Sprintf("PLAN-%s-", res.Tech)))
	return errors.Join(err, f.Close())
}

// suggestionDoc is the JSON document of a suggestion.
type suggestionDoc struct {
	*plan.Result
	Note string `json:"data_note,omitempty"`
}

// writeSuggestion prints the picks as a table, CSV or JSON.
func writeSuggestion(w io.Writer, format string, res *plan.Result, note string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(suggestionDoc{res, note})
	case "csv":
		fmt.Fprintln(w, "rank,lon,lat,source,ref,height_m,people_gained,households_gained,cumulative_people,cumulative_households,commune_code,commune_name,pocket_rank,pocket_people,fibre_distance_m,road_distance_m")
		for _, p := range res.Picks {
			fmt.Fprintf(w, "%d,%.6f,%.6f,%s,%s,%g,%.1f,%.1f,%.1f,%.1f,%s,%q,%d,%.1f,%.0f,%.0f\n", p.Rank, p.Lon, p.Lat, p.Source, p.Ref, p.HeightM,
				p.PeopleGained, p.HouseholdsGained, p.CumPeople, p.CumHouseholds, p.CommuneCode, p.CommuneName, p.PocketRank, p.PocketPeople, p.FibreDistanceM, p.RoadDistanceM)
		}
		return nil
	}
	if note != "" {
		fmt.Fprintln(w, "note:", note)
	}
	fmt.Fprintf(w, "%s %s: %.0f people uncovered; %d candidates\n", res.Carrier, res.Tech, res.Target, res.Candidates)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tlon\tlat\tsource\tpeople +\thouseholds +\tpeople Σ\tcommune\tpocket\tfibre m\troad m\t")
	for _, p := range res.Picks {
		pk := "-"
		if p.PocketRank > 0 {
			pk = fmt.Sprintf("#%d (%.0f)", p.PocketRank, p.PocketPeople)
		}
		fmt.Fprintf(tw, "%d\t%.5f\t%.5f\t%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t%.0f\t%.0f\t\n", p.Rank, p.Lon, p.Lat, p.Source, p.PeopleGained,
			p.HouseholdsGained, p.CumPeople, p.CommuneName, pk, p.FibreDistanceM, p.RoadDistanceM)
	}
	return tw.Flush()
}
