package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"phusong/geo"
)

// pathlossColumns is the exact header runPathloss reads; it writes them plus pathlossOutColumn.
var pathlossColumns = []string{"freq_mhz", "tx_h_m", "rx_h_m", "dist_km"}

const pathlossOutColumn = "path_loss_db"

// errPathlossInput marks a bad pathloss input file; the *rowError wrapping it says where.
var errPathlossInput = errors.New("pathloss: bad input")

// rowError locates a bad value in the pathloss input: 1-based line (the header is line 1) and
// column name (empty when the whole line is wrong).
type rowError struct {
	Line  int
	Field string
	Err   error
}

func (e *rowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("pathloss: line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("pathloss: line %d: %s: %v", e.Line, e.Field, e.Err)
}

func (e *rowError) Unwrap() []error { return []error{errPathlossInput, e.Err} }

// pathlossRow is one parsed input row: its fields as read (spaces trimmed) and their values.
type pathlossRow struct {
	fields []string
	vals   [4]float64 // freq MHz, tx height m, rx height m, distance km
}

// runPathloss reads CSV rows (freq_mhz,tx_h_m,rx_h_m,dist_km) on stdin and writes them, fields
// trimmed of spaces, with a path_loss_db column (dB, 3 decimals). Nothing is written unless every
// row parses. Absurd but valid inputs may overflow to +Inf or give a negative loss (sub-hertz).
func runPathloss(ctx context.Context, io stdio, args []string) error {
	p, err := parsePathlossFlags(io, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rows, err := readPathlossRows(ctx, io.Stdin)
	if err != nil {
		return err
	}
	w := csv.NewWriter(io.Stdout)
	if err := w.Write(append(slices.Clone(pathlossColumns), pathlossOutColumn)); err != nil {
		return err
	}
	for _, r := range rows {
		loss := p.LossDB(r.vals[0], r.vals[1], r.vals[2], r.vals[3])
		if err := w.Write(append(r.fields, strconv.FormatFloat(loss, 'f', 3, 64))); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// parsePathlossFlags turns the command line into a valid PathLoss. -h gives flag.ErrHelp, flag
// syntax errors (already reported on io.Stderr by the flag package) errUsage, and bad values an
// error naming them.
func parsePathlossFlags(io stdio, args []string) (geo.PathLoss, error) {
	fs := flag.NewFlagSet("pathloss", flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	model := fs.String("model", "", "path-loss model: fspl, hata, cost231 or ext-hata (required)")
	env := fs.String("env", "", "receiver environment: urban, suburban or open (required; cost231 treats all as urban)")
	city := fs.String("city", "medium", "hata only: city size for the mobile-height correction, medium or large")
	cm := fs.Float64("cm", 0, "cost231 only: metropolitan correction Cm in dB, 0 or 3")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: phusong pathloss --model fspl|hata|cost231|ext-hata --env urban|suburban|open [--city medium|large] [--cm 0|3] <in.csv >out.csv")
		fmt.Fprintln(fs.Output(), "\nReads CSV with the header freq_mhz,tx_h_m,rx_h_m,dist_km (MHz, m, m, km; all > 0) and writes")
		fmt.Fprintln(fs.Output(), "the same rows with path_loss_db (dB, 3 decimals) added. Formulas are extrapolated outside their")
		fmt.Fprintln(fs.Output(), "validity ranges. See shared/docs/rf-reference.md.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return geo.PathLoss{}, err
		}
		return geo.PathLoss{}, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(io.Stderr, "pathloss: unexpected argument %q (input is read from stdin)\n", fs.Arg(0))
		return geo.PathLoss{}, errUsage
	}
	if *model == "" || *env == "" {
		return geo.PathLoss{}, errors.New("pathloss: --model and --env are required; see phusong pathloss -h")
	}
	p := geo.PathLoss{Model: geo.Model(*model), Env: geo.Env(*env), CmDB: *cm}
	switch *city {
	case "medium":
	case "large":
		p.LargeCity = true
	default:
		return geo.PathLoss{}, fmt.Errorf("pathloss: --city %q: want medium or large", *city)
	}
	if err := p.Validate(); err != nil {
		return geo.PathLoss{}, fmt.Errorf("pathloss: %w", err)
	}
	return p, nil
}

// pathlossCheckEvery is how many rows are read between two looks at the context.
const pathlossCheckEvery = 4096

// readPathlossRows reads and checks the whole input: the exact header, then rows of four positive
// finite numbers. Errors are *rowError (or csv's own syntax errors, which carry the line too).
func readPathlossRows(ctx context.Context, in io.Reader) ([]pathlossRow, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1 // column counts are checked below, with the line number
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &rowError{Line: 1, Err: fmt.Errorf("empty input, want the header %s", strings.Join(pathlossColumns, ","))}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPathlossInput, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // a UTF-8 byte-order mark from spreadsheets
	if !slices.Equal(header, pathlossColumns) {
		return nil, &rowError{Line: 1, Err: fmt.Errorf("header %q, want %q", strings.Join(header, ","), strings.Join(pathlossColumns, ","))}
	}
	var rows []pathlossRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errPathlossInput, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(pathlossColumns) {
			return nil, &rowError{Line: line, Err: fmt.Errorf("%d fields, want %d (%s)", len(rec), len(pathlossColumns), strings.Join(pathlossColumns, ","))}
		}
		row := pathlossRow{fields: rec}
		for i, name := range pathlossColumns {
			v, err := parsePositive(rec[i])
			if err != nil {
				return nil, &rowError{Line: line, Field: name, Err: err}
			}
			row.vals[i], rec[i] = v, strings.TrimSpace(rec[i])
		}
		rows = append(rows, row)
		if len(rows)%pathlossCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}

// parsePositive parses a finite number > 0, allowing surrounding spaces.
func parsePositive(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is out of range", s)
	case err != nil:
		return 0, fmt.Errorf("%q is not a number", s)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%q is not a finite number", s)
	case v <= 0:
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return v, nil
}
