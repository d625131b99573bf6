package input

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"phusong/data"
)

// Measurement formats, as MeasurementReport.Format names them.
const (
	MeasurementCSV        = "csv"        // MeasurementCSVColumns
	MeasurementOpenCellID = "opencellid" // OpenCelliD's measurements export
	MeasurementGeoJSON    = "geojson"    // Point features with the CSV columns as properties
)

// MeasurementCSVColumns returns the columns of a measurement CSV, in canonical order. Headers
// are matched case-insensitively (spaces and hyphens read as underscores), with aliases.
//
//	time        RFC 3339 ("2026-01-05T08:30:00+07:00", "…Z"), "2026-01-05 08:30:00" (no zone:
//	            Vietnam time, UTC+7, warned once), or Unix seconds (10 digits) or milliseconds
//	            (13 digits); from 2000 to now + 1 day. Aliases timestamp, datetime, date_time
//	lon, lat    WGS84 degrees, inside MeasurementOptions.Area and on the communes' land
//	carrier     id, name, MNC ("04") or MCC-MNC ("452-04", "45204"); operator, network, plmn
//	tech        3G/UMTS/WCDMA or 4G/LTE (2G and 5G are refused: no RSCP/RSRP); technology, radio, rat
//	level_dbm   RSRP (4G) or RSCP (3G), −150..−30 dBm; level, signal_dbm, and rsrp/rsrp_dbm (4G rows
//	            only), rscp/rscp_dbm (3G rows only)
//	cell_id     optional: the serving cell, matched against the station list's cell_id; cell, cellid,
//	            eci, ci
//	pci         optional: 4G PCI 0..503 or 3G PSC 0..511; psc
//	accuracy_m  optional: position accuracy, 0..5000 m; accuracy, gps_accuracy_m
func MeasurementCSVColumns() []string { return slices.Clone(measurementColumns) }

var measurementColumns = []string{data.FieldTime, "lon", "lat", "carrier", "tech", data.FieldLevel, "cell_id", data.FieldPCI, data.FieldAccuracy}

// measurementAlias maps lower-cased header names to measurement columns.
func measurementAlias(name string) string {
	n := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(name)))
	if slices.Contains(measurementColumns, n) {
		return n
	}
	switch n {
	case "timestamp", "datetime", "date_time", "time_utc":
		return data.FieldTime
	case "longitude", "lng", "long", "x":
		return "lon"
	case "latitude", "y":
		return "lat"
	case "operator", "network", "plmn", "mcc_mnc", "mnc":
		return "carrier"
	case "technology", "radio", "rat":
		return "tech"
	case "level", "signal_dbm", "rsrp", "rsrp_dbm", "rscp", "rscp_dbm":
		return data.FieldLevel
	case "cell", "cellid", "eci", "ci":
		return "cell_id"
	case "psc":
		return data.FieldPCI
	case "accuracy", "gps_accuracy_m":
		return data.FieldAccuracy
	}
	return ""
}

// metricOf is the technology a level header implies: rsrp → 4G, rscp → 3G, else "".
func metricOf(header string) data.Tech {
	n := strings.ToLower(strings.TrimSpace(header))
	switch {
	case strings.HasPrefix(n, "rsrp"):
		return data.Tech4G
	case strings.HasPrefix(n, "rscp"):
		return data.Tech3G
	}
	return ""
}

// openCellIDColumns maps OpenCelliD measurement columns to measurement columns ("" = read and
// ignored). Its cid is the short UMTS cell id, not the cell: ignored.
var openCellIDColumns = map[string]string{
	"mcc": colMCC, "net": "carrier", "area": "", "cell": "cell_id", "lon": "lon", "lat": "lat", "signal": data.FieldLevel,
	"measured": data.FieldTime, "created": "", "rating": data.FieldAccuracy, "speed": "", "direction": "", "radio": "tech",
	"ta": "", "rnc": "", "cid": "", "psc": colPSC, "tac": "", "pci": data.FieldPCI, "sid": "", "nid": "", "bid": "",
}

// colPSC is OpenCelliD's UMTS primary scrambling code, read as the pci of rows without one.
const colPSC = "psc"

// MeasurementOptions say how to read measurements.
type MeasurementOptions struct {
	// Carrier, when not "", is the only carrier whose measurements the file may hold (a carrier
	// uploads its own network's); a row of another carrier is an error.
	Carrier string
	// Area is data.AreaOf the communes; required (data.CheckArea).
	Area orb.Bound
	// Inside reports whether a position lies on the communes' land (data.CommuneLocator); nil
	// checks Area only.
	Inside func(lon, lat float64) bool
	// Now bounds times from above (data.MeasurementSlackTime past it); zero: no upper bound.
	Now time.Time
}

// MeasurementReport is the result of reading measurements.
type MeasurementReport struct {
	Format   string         `json:"format"`   // MeasurementCSV, MeasurementOpenCellID or MeasurementGeoJSON
	Rows     int            `json:"rows"`     // CSV data rows or GeoJSON features read
	Samples  int            `json:"samples"`  // valid samples passed to emit
	Skipped  int            `json:"skipped"`  // OpenCelliD rows without a usable level or of another radio
	Warnings []data.Warning `json:"warnings"` // one per kind of note
	From     time.Time      `json:"from"`     // the earliest and latest sample time (zero without samples)
	To       time.Time      `json:"to"`
}

// ict is Vietnam's time zone (UTC+7, no daylight saving), for times written without a zone.
func ict() *time.Location { return time.FixedZone("ICT", 7*3600) }

// measurementReader checks rows and passes the valid samples on.
type measurementReader struct {
	opts       MeasurementOptions
	carrier    string // resolved opts.Carrier
	emit       func(*data.Measurement) error
	emitErr    error
	rep        MeasurementReport
	openCellID bool
	metric     data.Tech // tech the level column's name implies, "" none
	data.ErrorList
	once                        map[string]bool
	skipRadio, skipNoLevel, asu int
}

func newMeasurementReader(opts MeasurementOptions, emit func(*data.Measurement) error) (*measurementReader, error) {
	if err := data.CheckArea(opts.Area); err != nil {
		return nil, err
	}
	r := &measurementReader{opts: opts, emit: emit, once: map[string]bool{}, rep: MeasurementReport{Warnings: []data.Warning{}}}
	if opts.Carrier != "" {
		id, msg := data.ResolvePLMN(opts.Carrier)
		if msg != "" {
			return nil, fmt.Errorf("%w: carrier %q %s", data.ErrInvalidInput, opts.Carrier, msg)
		}
		r.carrier = id
	}
	return r, nil
}

func (r *measurementReader) fail(at loc, field, value, msg string) {
	r.Record(&data.ParseError{Line: at.line, Feature: at.feature, Field: field, Value: value, Msg: msg})
}

func (r *measurementReader) warnOnce(key string, at loc, field, msg string) {
	if !r.once[key] {
		r.once[key] = true
		r.rep.Warnings = append(r.rep.Warnings, data.Warning{Line: at.line, Feature: at.feature, Field: field, Message: msg})
	}
}

// row checks one sample's values (by measurement column) and emits it when the input has no
// error so far.
func (r *measurementReader) row(at loc, vals map[string]string) {
	nErr := len(r.Errs)
	m := data.Measurement{PCI: -1}
	if r.openCellID && r.skipOpenCellID(at, vals) {
		r.rep.Skipped++
		return
	}
	required := func(f string) (string, bool) {
		v := vals[f]
		if v == "" {
			r.fail(at, f, "", "missing value")
		}
		return v, v != ""
	}
	if text, ok := required(data.FieldTime); ok {
		var msg string
		if m.Time, msg = r.parseTime(at, text); msg != "" {
			r.fail(at, data.FieldTime, text, msg)
		}
	}
	lon, okLon := r.number(at, vals, "lon", true)
	lat, okLat := r.number(at, vals, "lat", true)
	if okLon && okLat {
		m.Lon, m.Lat = lon, lat
		r.position(at, vals, lon, lat)
	}
	r.rowCarrier(at, vals, &m)
	if text, ok := required("tech"); ok {
		if t, known := data.ParseTech(text); known {
			m.Tech = t
		} else {
			r.fail(at, "tech", text, "is not 3G (UMTS, WCDMA) or 4G (LTE)")
		}
	}
	if r.metric != "" && m.Tech != "" && m.Tech != r.metric {
		r.fail(at, "tech", vals["tech"], fmt.Sprintf("is not %s, which the level column's name (RSRP: 4G, RSCP: 3G) says", r.metric))
	}
	level, okLevel := r.number(at, vals, data.FieldLevel, true)
	m.LevelDBm = level
	m.CellID = vals["cell_id"]
	text := vals[data.FieldPCI]
	if r.openCellID && (text == "" || strings.HasPrefix(text, "-")) {
		text = vals[colPSC] // OpenCelliD: the PSC of UMTS rows
	}
	if text != "" {
		n, err := strconv.Atoi(text)
		switch {
		case err != nil:
			r.fail(at, data.FieldPCI, text, "is not a whole number")
		case r.openCellID && n < 0: // OpenCelliD writes −1 for "not known"
		default:
			m.PCI = n
		}
	}
	if v, ok := r.number(at, vals, data.FieldAccuracy, false); ok {
		m.AccuracyM = v
	}
	if len(r.Errs) > nErr || r.Full {
		return
	}
	for _, e := range data.CheckMeasurement(&m, r.opts.Now) {
		if e.Field == data.FieldLevel && !okLevel {
			continue
		}
		v := e.Value
		if t := vals[e.Field]; t != "" {
			v = t
		}
		r.fail(at, e.Field, v, e.Msg)
	}
	if len(r.Errs) > 0 || r.emitErr != nil {
		return
	}
	m.Time = m.Time.UTC()
	if r.rep.Samples == 0 || m.Time.Before(r.rep.From) {
		r.rep.From = m.Time
	}
	if r.rep.Samples == 0 || m.Time.After(r.rep.To) {
		r.rep.To = m.Time
	}
	r.rep.Samples++
	r.emitErr = r.emit(&m)
}

// skipOpenCellID reports an OpenCelliD row that carries no comparable sample: another radio
// (GSM, CDMA, NR), no signal (0 or empty: not measured) or a positive one (ASU). They are
// counted and warned about at the end, not errors: such rows are the export's normal content.
func (r *measurementReader) skipOpenCellID(at loc, vals map[string]string) bool {
	if t, ok := data.ParseTech(vals["tech"]); !ok && vals["tech"] != "" || ok && !slices.Contains(data.AnalysedTechs, t) {
		r.skipRadio++
		return true
	}
	switch v, err := strconv.ParseFloat(vals[data.FieldLevel], 64); {
	case vals[data.FieldLevel] == "" || err == nil && v == 0:
		r.skipNoLevel++
		return true
	case err == nil && v > 0:
		r.asu++
		return true
	}
	return false
}

// number parses vals[f]; given is false for an empty value (an error when required).
func (r *measurementReader) number(at loc, vals map[string]string, f string, required bool) (float64, bool) {
	text := vals[f]
	if text == "" {
		if required {
			r.fail(at, f, "", "missing value")
		}
		return 0, false
	}
	v, msg := parseNumber(text, false)
	if msg != "" {
		r.fail(at, f, text, msg)
		return 0, false
	}
	return v, true
}

// position checks lon, lat: inside the area (data.CheckPosition's hints), then on land.
func (r *measurementReader) position(at loc, vals map[string]string, lon, lat float64) {
	if errs := data.CheckPosition(lon, lat, r.opts.Area); len(errs) > 0 {
		for _, e := range errs {
			v := vals[e.Field]
			if e.Field == "lon/lat" {
				v = vals["lon"] + "," + vals["lat"]
			}
			r.fail(at, e.Field, v, e.Msg)
		}
		return
	}
	if r.opts.Inside != nil && !r.opts.Inside(lon, lat) {
		r.fail(at, "lon/lat", vals["lon"]+","+vals["lat"], "is outside every commune (in the province's box, not on its land)")
	}
}

// rowCarrier resolves the row's carrier (r.carrier when the column is absent or empty).
func (r *measurementReader) rowCarrier(at loc, vals map[string]string, m *data.Measurement) {
	text := vals["carrier"]
	if mcc := vals[colMCC]; r.openCellID && mcc != data.MCCVietnam {
		if mcc != "" {
			r.fail(at, colMCC, mcc, "is not Vietnam's "+data.MCCVietnam)
		} else {
			r.fail(at, colMCC, "", "missing value")
		}
		return
	}
	if text == "" {
		if r.carrier == "" {
			r.fail(at, "carrier", "", "missing value")
		}
		m.Carrier = r.carrier
		return
	}
	id, msg := data.ResolvePLMN(text)
	switch {
	case msg != "":
		r.fail(at, "carrier", text, msg)
	case r.carrier != "" && id != r.carrier:
		r.fail(at, "carrier", text, fmt.Sprintf("is %s, not %s: a carrier uploads its own network's measurements", id, r.carrier))
	}
	m.Carrier = id
}

// parseTime reads a measurement time (see MeasurementCSVColumns); msg says why text is not one.
func (r *measurementReader) parseTime(at loc, text string) (time.Time, string) {
	if strings.Trim(text, "0123456789") == "" {
		n, err := strconv.ParseInt(text, 10, 64)
		switch {
		case err != nil:
		case len(text) == 10:
			return time.Unix(n, 0), ""
		case len(text) == 13:
			return time.UnixMilli(n), ""
		}
		return time.Time{}, "is not a time: Unix times are 10 digits (seconds) or 13 (milliseconds)"
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t, ""
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, text, ict()); err == nil {
			r.warnOnce("local time", at, data.FieldTime, "times without a zone are read as Vietnam time (UTC+7)")
			return t, ""
		}
	}
	return time.Time{}, "is not a time (RFC 3339 such as 2026-01-05T08:30:00+07:00, or Unix seconds)"
}

// finish returns the report, or every error (then the samples emitted must be discarded), or the
// error emit returned.
func (r *measurementReader) finish() (*MeasurementReport, error) {
	if r.emitErr != nil {
		return nil, r.emitErr
	}
	if len(r.Errs) > 0 {
		return nil, r.Errs
	}
	for _, s := range []struct {
		n   int
		msg string
	}{
		{r.skipRadio, "rows of another radio (GSM, CDMA, NR) skipped: phusong compares 3G RSCP and 4G RSRP"},
		{r.skipNoLevel, "rows without a signal (0 or empty: not measured) skipped"},
		{r.asu, "rows with a positive signal (ASU, not dBm) skipped"},
	} {
		if s.n > 0 {
			r.rep.Warnings = append(r.rep.Warnings, data.Warning{Field: data.FieldLevel, Message: fmt.Sprintf("%d %s", s.n, s.msg)})
		}
	}
	return &r.rep, nil
}

// ReadMeasurementsCSV reads measurements from a CSV file, streaming: every valid sample is passed
// to emit as soon as its row is read, so memory does not grow with the file. Two formats are
// recognised by their header: phusong's (MeasurementCSVColumns) and OpenCelliD's measurements
// export (mcc,net,area,cell,lon,lat,signal,measured,created,rating,speed,direction,radio,ta,rnc,
// cid,psc,tac,pci,sid,nid,bid: mcc must be 452, net is the MNC, cell the cell id, signal the
// level in dBm, measured the time in Unix seconds or milliseconds, rating the accuracy, psc/pci
// the PCI; rows of GSM, CDMA or NR, and rows with no signal or a positive (ASU) one are skipped
// with a warning, as the export holds them routinely). The file is opened as ReadSitesCSV opens a
// station list (BOM, separator, line ends).
//
// Validation is all-or-nothing: every bad value is a data.ParseError naming its line and field
// (missing columns, unreadable numbers or times, positions outside opts.Area or off the communes'
// land, another carrier's row when opts.Carrier is set, and data.CheckMeasurement's rules). emit
// is not called once an error has been found, but samples it received before must be discarded
// by the caller when an error is returned (a database transaction rolled back). An error
// returned by emit ends the reading and is returned as it is. Duplicates are the store's to
// remove.
func ReadMeasurementsCSV(rd io.Reader, opts MeasurementOptions, emit func(*data.Measurement) error) (*MeasurementReport, error) {
	r, err := newMeasurementReader(opts, emit)
	if err != nil {
		return nil, err
	}
	in, err := openCSV(rd, "measurement")
	if err != nil {
		return nil, err
	}
	cols := r.csvHeader(in.header)
	if len(r.Errs) > 0 {
		return nil, r.Errs
	}
	vals := make(map[string]string, len(cols))
	for line, rec := range in.records(&r.ErrorList) {
		r.rep.Rows++
		at := loc{line: line, sector: -1}
		if len(rec) != len(in.header) {
			r.fail(at, "", "", fmt.Sprintf("row has %d fields, the header %d", len(rec), len(in.header)))
			continue
		}
		clear(vals)
		valid := true
		for i, c := range cols {
			if !utf8.ValidString(rec[i]) {
				r.fail(at, cmp.Or(c, in.header[i]), rec[i], "is not valid UTF-8")
				valid = false
			}
			if c != "" {
				vals[c] = r.value(c, rec[i])
			}
		}
		if valid {
			r.row(at, vals)
		}
		if r.emitErr != nil {
			break
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	return r.finish()
}

// value is the text of column c as rows keep it: cell ids as written (data.CheckCellID refuses
// surrounding spaces), except OpenCelliD's numbers; everything else trimmed.
func (r *measurementReader) value(c, text string) string {
	if c == "cell_id" && !r.openCellID {
		return text
	}
	return strings.TrimSpace(text)
}

// csvHeader maps header cells to measurement columns ("" for ignored ones), recording errors for
// repeated or missing columns and a warning for each unknown one.
func (r *measurementReader) csvHeader(header []string) []string {
	at := loc{line: 1, sector: -1}
	lower := make([]string, len(header))
	for i, h := range header {
		lower[i] = strings.ToLower(strings.TrimSpace(h))
	}
	r.openCellID = slices.Contains(lower, "mcc") && slices.Contains(lower, "net") && slices.Contains(lower, "cell") &&
		slices.Contains(lower, "signal")
	if r.openCellID {
		r.rep.Format = MeasurementOpenCellID
	} else {
		r.rep.Format = MeasurementCSV
	}
	cols := make([]string, len(header))
	seen := map[string]string{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			r.fail(at, "", h, "header is not valid UTF-8")
			continue
		}
		name := strings.TrimSpace(h)
		c, known := openCellIDColumns[lower[i]]
		if !r.openCellID {
			c = measurementAlias(name)
			known = c != ""
		}
		switch {
		case !known:
			r.warnOnce("column "+name, at, name, "column not used")
		case c == "":
		case seen[c] != "":
			r.fail(at, c, "", fmt.Sprintf("columns %q and %q both give %s", seen[c], name, c))
		default:
			seen[c] = name
			cols[i] = c
			if c == data.FieldLevel {
				r.metric = metricOf(name)
			}
		}
	}
	required := []string{data.FieldTime, "lon", "lat", "tech", data.FieldLevel}
	if r.openCellID {
		required = append(required, colMCC)
	}
	if r.carrier == "" {
		required = append(required, "carrier")
	}
	for _, c := range required {
		if seen[c] == "" {
			msg := "required column is missing"
			if c == "carrier" {
				msg += " (or upload with a carrier's token: its rows are that carrier's)"
			}
			r.fail(at, c, "", msg)
		}
	}
	return cols
}

// ReadMeasurementsGeoJSON reads measurements from a GeoJSON FeatureCollection of Point features
// (WGS84 lon/lat; a third coordinate is ignored) whose properties are the CSV columns (same names
// and aliases; lon/lat properties are ignored, the geometry is the position), values JSON numbers
// or strings (time also as a Unix number). The collection is streamed feature by feature (data
// after it is an error naming its offset), each sample checked and emitted as in
// ReadMeasurementsCSV, errors naming "feature N" (1-based).
func ReadMeasurementsGeoJSON(rd io.Reader, opts MeasurementOptions, emit func(*data.Measurement) error) (*MeasurementReport, error) {
	r, err := newMeasurementReader(opts, emit)
	if err != nil {
		return nil, err
	}
	r.rep.Format = MeasurementGeoJSON
	fc := readFeatureCollection(rd, "measurement", 0)
	vals := map[string]string{}
	for n, raw := range fc.Features() {
		if r.Full || r.emitErr != nil {
			break
		}
		r.rep.Rows++
		at := loc{feature: n, sector: -1}
		f, lon, lat, perr := decodePoint(n, raw)
		if perr != nil {
			r.Record(perr)
			continue
		}
		clear(vals)
		if !r.properties(at, f.Properties, vals) {
			continue
		}
		vals["lon"], vals["lat"] = lon, lat
		r.row(at, vals)
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	return r.finish()
}

// properties copies a feature's properties into dst by measurement column; false when one was
// unusable (error recorded).
func (r *measurementReader) properties(at loc, props map[string]any, dst map[string]string) bool {
	ok := true
	seen := map[string]string{}
	r.metric = ""
	for _, k := range slices.Sorted(maps.Keys(props)) {
		c := measurementAlias(k)
		switch {
		case c == "":
			r.warnOnce("property "+k, at, k, "property not used")
			continue
		case c == "lon" || c == "lat":
			r.warnOnce("property "+k, at, k, "ignored; the geometry gives the position")
			continue
		case seen[c] != "":
			r.fail(at, c, "", fmt.Sprintf("properties %q and %q both give %s", seen[c], k, c))
			ok = false
			continue
		}
		seen[c] = k
		if c == data.FieldLevel {
			r.metric = metricOf(k)
		}
		switch v := props[k].(type) {
		case string:
			dst[c] = r.value(c, v)
		case json.Number:
			dst[c] = v.String()
		case nil:
		default:
			r.fail(at, c, "", "is not a number or text")
			ok = false
		}
	}
	return ok
}
