package input

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"phusong/data"
)

// MeasurementWriter writes measurements as CSV in the canonical columns (MeasurementCSVColumns),
// streaming: times in RFC 3339 UTC with milliseconds, lon/lat with 7 decimals (1 cm, as the
// store keeps them), the level and accuracy in their shortest exact form, pci empty when
// unknown, LF line ends. ReadMeasurementsCSV reads back what it writes.
type MeasurementWriter struct {
	cw  *csv.Writer
	rec []string
	n   int
}

// NewMeasurementWriter returns a writer to w; the header is written with the first sample (or by
// Flush when there is none).
func NewMeasurementWriter(w io.Writer) *MeasurementWriter {
	return &MeasurementWriter{cw: csv.NewWriter(w), rec: make([]string, 0, len(measurementColumns))}
}

// Write writes m (not validated: the reader is the judge).
func (w *MeasurementWriter) Write(m *data.Measurement) error {
	if w.n == 0 {
		if err := w.cw.Write(measurementColumns); err != nil {
			return fmt.Errorf("data: writing measurements: %w", err)
		}
	}
	w.n++
	pci, acc := "", ""
	if m.PCI >= 0 {
		pci = strconv.Itoa(m.PCI)
	}
	if m.AccuracyM != 0 {
		acc = data.FormatNum(m.AccuracyM)
	}
	w.rec = append(w.rec[:0], m.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), strconv.FormatFloat(m.Lon, 'f', 7, 64),
		strconv.FormatFloat(m.Lat, 'f', 7, 64), m.Carrier, string(m.Tech), data.FormatNum(m.LevelDBm), m.CellID, pci, acc)
	if err := w.cw.Write(w.rec); err != nil {
		return fmt.Errorf("data: writing measurements: %w", err)
	}
	return nil
}

// Flush writes what is buffered (the header alone when nothing was written) and reports the
// first error of the writes.
func (w *MeasurementWriter) Flush() error {
	if w.n == 0 {
		if err := w.cw.Write(measurementColumns); err != nil {
			return fmt.Errorf("data: writing measurements: %w", err)
		}
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("data: writing measurements: %w", err)
	}
	return nil
}
