package input

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"phusong/data"
)

// ReadTakeUpCSV reads take-up figures: a CSV file with a header holding the columns code (the
// commune's GSO code) and households (households using fibre; also accepted:
// take_up_households, fibre_households), other columns ignored; comma, semicolon or tab
// separated, an optional UTF-8 byte order mark, LF or CRLF line ends (as ReadSitesCSV). It
// returns commune code → households. Every bad row is reported, as data.ParseErrors naming the
// 1-based line (1 is the header) and the column: a missing or repeated code, a count that is
// not a finite number ≥ 0. Whether codes and counts fit the communes is WithTakeUp's check.
func ReadTakeUpCSV(r io.Reader) (map[string]float64, error) {
	in, err := openCSV(r, "take-up")
	if err != nil {
		return nil, err
	}
	codeCol, hhCol := -1, -1
	for i, h := range in.header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "code":
			codeCol = i
		case "households", "take_up_households", "fibre_households":
			hhCol = i
		}
	}
	var errs data.ErrorList
	if codeCol < 0 {
		errs.Record(&data.ParseError{Line: 1, Field: "code", Msg: "column missing"})
	}
	if hhCol < 0 {
		errs.Record(&data.ParseError{Line: 1, Field: "households", Msg: "column missing"})
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	out := map[string]float64{}
	firstLine := map[string]int{}
	for line, rec := range in.records(&errs) {
		cell := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		code, text := cell(codeCol), cell(hhCol)
		v, perr := strconv.ParseFloat(text, 64)
		switch {
		case code == "":
			errs.Record(&data.ParseError{Line: line, Field: "code", Msg: "is empty"})
		case firstLine[code] > 0:
			errs.Record(&data.ParseError{Line: line, Field: "code", Value: code, Msg: fmt.Sprintf("repeats line %d", firstLine[code])})
		case perr != nil || math.IsNaN(v) || math.IsInf(v, 0):
			errs.Record(&data.ParseError{Line: line, Field: "households", Value: text, Msg: "is not a number"})
		case v < 0:
			errs.Record(&data.ParseError{Line: line, Field: "households", Value: text, Msg: "is negative"})
		default:
			out[code] = v
			firstLine[code] = line
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	if len(errs.Errs) > 0 {
		return nil, errs.Errs
	}
	return out, nil
}
