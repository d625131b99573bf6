package input

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"phusong/data"
)

// ReadTakeUpCSV reads take-up figures: a CSV file with a header holding the columns code (the
// commune's GSO code) and households (households using fibre; also accepted:
// take_up_households, fibre_households), other columns ignored, comma-separated, an optional
// UTF-8 byte order mark. It returns commune code → households. Every bad row is reported, as
// data.ParseErrors naming the 1-based line (1 is the header) and the column: a missing or
// repeated code, a count that is not a finite number ≥ 0. Whether codes and counts fit the
// communes is WithTakeUp's check.
func ReadTakeUpCSV(r io.Reader) (map[string]float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, data.ParseErrors{{Line: 1, Msg: "empty input: no header row"}}
		}
		return nil, data.ParseErrors{{Line: 1, Msg: "CSV syntax: " + err.Error()}}
	}
	codeCol, hhCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "code":
			codeCol = i
		case "households", "take_up_households", "fibre_households":
			hhCol = i
		}
	}
	var errs data.ParseErrors
	if codeCol < 0 {
		errs = append(errs, &data.ParseError{Line: 1, Field: "code", Msg: "column missing"})
	}
	if hhCol < 0 {
		errs = append(errs, &data.ParseError{Line: 1, Field: "households", Msg: "column missing"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := map[string]float64{}
	firstLine := map[string]int{}
	for len(errs) < data.MaxParseErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs = append(errs, &data.ParseError{Line: line, Msg: "CSV syntax: " + err.Error()})
			break
		}
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
			errs = append(errs, &data.ParseError{Line: line, Field: "code", Msg: "is empty"})
		case firstLine[code] > 0:
			errs = append(errs, &data.ParseError{Line: line, Field: "code", Value: code, Msg: fmt.Sprintf("repeats line %d", firstLine[code])})
		case perr != nil || math.IsNaN(v) || math.IsInf(v, 0):
			errs = append(errs, &data.ParseError{Line: line, Field: "households", Value: text, Msg: "is not a number"})
		case v < 0:
			errs = append(errs, &data.ParseError{Line: line, Field: "households", Value: text, Msg: "is negative"})
		default:
			out[code] = v
			firstLine[code] = line
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
