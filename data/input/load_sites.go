package input

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"phusong/data"
)

// SiteCSVColumns returns the station list columns in the canonical order WriteSitesCSV writes
// them. One row is one sector;
// rows with the same (carrier, site_id) form one site and must agree on lon, lat, height_m
// and status (an empty height_m or status takes the site's value from its other rows).
//
//	carrier         carrier id (viettel, vinaphone, mobifone, vietnamobile, gmobile, itelecom),
//	                name or MNC ("04", "4"); required unless the caller names the carrier
//	site_id         the carrier's site id, required; data.CheckSiteID: no surrounding spaces
//	                (never trimmed), no control characters, no '/', at most 100 bytes
//	lon, lat        WGS84 degrees, required, inside SiteOptions.Area
//	height_m        antenna height above ground, 5–150 m; default 30 (warning)
//	status          active | planned; default active (warning)
//	cell_id         optional; unique within a site; data.CheckCellID (as site_id, '/' allowed)
//	tech            2G/3G/4G/5G or GSM/UMTS/WCDMA/LTE/NR, required
//	band_mhz        700, 850, 900, 1800, 2100, 2300, 2600 or 3500, valid for the tech
//	azimuth_deg     degrees clockwise from true north, [0, 360] (360 reads as 0), or "omni"
//	beamwidth_deg   horizontal half-power beamwidth, 1–360°; 360 for omni
//	tilt_deg        downtilt, −10..30°
//	power_dbm       LTE/NR power per port, UMTS CPICH, GSM BCCH; 0–60 dBm
//	bandwidth_mhz   2G 0.2, 3G 5, 4G 1.4/3/5/10/15/20, 5G 5–100
//	gain_dbi        0–25 dBi
//	feeder_loss_db  0–10 dB
//
// Empty band and RF values are filled by ApplyDefaults with a warning each; a value given is
// kept, so band_mhz, beamwidth_deg or bandwidth_mhz 0 is an error, not a default. An empty
// azimuth_deg with beamwidth_deg 360 means omni; a file without an azimuth_deg column at all
// (a bare site list, an OpenCelliD export) gets omni antennas with a warning.
func SiteCSVColumns() []string { return slices.Clone(siteColumns) }

// siteColumns backs SiteCSVColumns.
var siteColumns = []string{"carrier", "site_id", "lon", "lat", "height_m", "status", "cell_id", "tech",
	data.FieldBand, data.FieldAzimuth, data.FieldBeamwidth, data.FieldTilt, data.FieldPower, data.FieldBandwidth, data.FieldGain, data.FieldFeeder}

// OpenCelliD columns with a meaning of their own (the others are aliases or ignored).
const (
	colMCC   = "mcc"
	colArea  = "area"
	colRange = "range"
)

// columnAliases maps lower-cased header names (spaces and hyphens read as underscores) to
// canonical columns. OpenCelliD's radio, net and cell are aliases of tech, carrier and cell_id.
var columnAliases = map[string]string{
	"operator": "carrier", "network": "carrier", "mnc": "carrier", "net": "carrier",
	"site": "site_id", "siteid": "site_id", "site_code": "site_id", "site_name": "site_id",
	"longitude": "lon", "lng": "lon", "long": "lon", "x": "lon",
	"latitude": "lat", "y": "lat",
	"height": "height_m", "antenna_height": "height_m", "antenna_height_m": "height_m", "agl_m": "height_m",
	"state": "status",
	"cell":  "cell_id", "cellid": "cell_id", "cell_name": "cell_id", "ci": "cell_id",
	"technology": "tech", "radio": "tech", "rat": "tech",
	"band": data.FieldBand, "freq_mhz": data.FieldBand, "frequency_mhz": data.FieldBand, "frequency": data.FieldBand,
	"azimuth": data.FieldAzimuth, "az": data.FieldAzimuth, "bearing": data.FieldAzimuth,
	"beamwidth": data.FieldBeamwidth, "beam_width": data.FieldBeamwidth, "hbw": data.FieldBeamwidth, "hbw_deg": data.FieldBeamwidth,
	"tilt": data.FieldTilt, "downtilt": data.FieldTilt, "downtilt_deg": data.FieldTilt,
	"power": data.FieldPower, "tx_power": data.FieldPower, "tx_power_dbm": data.FieldPower,
	"bandwidth": data.FieldBandwidth, "bw": data.FieldBandwidth, "bw_mhz": data.FieldBandwidth,
	"gain": data.FieldGain, "antenna_gain": data.FieldGain, "antenna_gain_dbi": data.FieldGain,
	"feeder_loss": data.FieldFeeder, "cable_loss": data.FieldFeeder, "cable_loss_db": data.FieldFeeder,
	colMCC: colMCC, colArea: colArea, colRange: colRange,
}

// openCellIDIgnored are OpenCelliD columns read silently and not used.
var openCellIDIgnored = map[string]bool{"unit": true, "samples": true, "changeable": true, "created": true,
	"updated": true, "averagesignal": true}

// sectorFields are the per-sector columns (named "sectors[i].…" inside GeoJSON sectors arrays).
var sectorFields = map[string]bool{"cell_id": true, data.SectorIdentity: true, "tech": true, data.FieldBand: true, data.FieldAzimuth: true,
	data.FieldBeamwidth: true, data.FieldTilt: true, data.FieldPower: true, data.FieldBandwidth: true, data.FieldGain: true, data.FieldFeeder: true}

// canonicalColumn maps a header or property name to its canonical column, or "": a canonical
// name (siteColumns) is itself, another one its alias.
func canonicalColumn(name string) string {
	n := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(name)))
	if slices.Contains(siteColumns, n) {
		return n
	}
	return columnAliases[n]
}

// SiteLoadReport is the result of reading a station list.
type SiteLoadReport struct {
	Sites    []data.Site    // in order of first appearance; sectors in input order
	Warnings []data.Warning // defaults applied, columns ignored …, in input order
	Rows     int            // CSV data rows or GeoJSON features read
}

// loc is Where a row came from: a CSV line, or a GeoJSON feature and, inside its sectors
// array, a sector index (-1 outside one).
type loc struct{ line, feature, sector int }

// String is "line N" or "feature N".
func (l loc) String() string { return strings.TrimSuffix(data.Where(l.line, l.feature), ": ") }

func (l loc) field(f string) string {
	if l.sector >= 0 && sectorFields[f] {
		return "sectors[" + strconv.Itoa(l.sector) + "]." + f
	}
	return f
}

// rawRow is one sector's text values by canonical column; a key is present when its column
// (or property) exists, even with an empty value.
type rawRow struct {
	at   loc
	vals map[string]string
}

func (r rawRow) has(f string) bool { _, ok := r.vals[f]; return ok }

// siteAcc is a site being assembled from its rows.
type siteAcc struct {
	site                     data.Site
	at                       loc
	heightGiven, statusGiven bool
	tooManySectors           bool    // over Limits.MaxSectorsPerSite (reported once)
	lonSum, latSum           float64 // OpenCelliD: positions of the cells, averaged
	cells                    int
	sectorAt                 map[string]loc // sector identity → first row
}

// SiteOptions say how to read a station list.
type SiteOptions struct {
	// Carrier is the carrier of every row (an id, name or MNC); "" requires a carrier column
	// (or property).
	Carrier string
	// Area is where positions must lie: data.AreaOf the communes served. It is required
	// (data.CheckArea).
	Area orb.Bound
	// Limits bound the rows, sites, sectors per site and feature bytes read (zero: none).
	Limits Limits
}

// siteBuilder turns rows into sites, collecting every error and warning.
type siteBuilder struct {
	carrier      string // resolved carrier the caller named, or ""
	area         orb.Bound
	lim          Limits
	openCellID   bool
	decimalComma bool
	data.ErrorList
	limit *data.LimitError // a limit reached: reading stopped
	warns warnList
	order []*siteAcc
	index map[data.SiteKey]*siteAcc
	rows  int
	once  map[string]bool // one-time warnings already given
	// missing is rowSector's "field left empty" per sector field, cleared for each row: one map
	// for the whole file instead of one per row (a national list has 900,000 rows)
	missing map[string]bool
}

func newSiteBuilder(opts SiteOptions) (*siteBuilder, error) {
	if err := data.CheckArea(opts.Area); err != nil {
		return nil, err
	}
	b := &siteBuilder{area: opts.Area, lim: opts.Limits, index: map[data.SiteKey]*siteAcc{}, once: map[string]bool{},
		missing: map[string]bool{}}
	if opts.Carrier != "" {
		id, ok := data.ResolveCarrier(opts.Carrier)
		if !ok {
			return nil, fmt.Errorf("%w: carrier %q is not a known carrier id or MNC", data.ErrInvalidInput, opts.Carrier)
		}
		b.carrier = id
	}
	return b, nil
}

func (b *siteBuilder) fail(at loc, field, value, msg string) {
	b.Record(&data.ParseError{Line: at.line, Feature: at.feature, Field: at.field(field), Value: value, Msg: msg})
}

func (b *siteBuilder) warn(at loc, field, msg string) {
	b.warns.add(data.Warning{Line: at.line, Feature: at.feature, Field: at.field(field), Message: msg})
}

// warnOnce gives a warning only the first time key is seen.
func (b *siteBuilder) warnOnce(key string, at loc, field, msg string) {
	if !b.once[key] {
		b.once[key] = true
		b.warn(at, field, msg)
	}
}

// number parses r's value of field f. given is false for an empty or absent value; ok is
// false (and an error recorded) for text that is not a finite number.
func (b *siteBuilder) number(r rawRow, f string) (v float64, given, ok bool) {
	text := r.vals[f]
	if text == "" {
		return 0, false, true
	}
	v, msg := parseNumber(text, b.decimalComma)
	if msg != "" {
		b.fail(r.at, f, text, msg)
		return 0, true, false
	}
	return v, true, true
}

// parseNumber reads a decimal number; msg says why text is not one. A single decimal comma is
// accepted when decimalComma is set (semicolon-separated files). Hex, NaN and Inf are refused.
func parseNumber(text string, decimalComma bool) (v float64, msg string) {
	t := text
	if decimalComma && strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	switch strings.ToLower(strings.TrimLeft(t, "+-")) {
	case "nan", "inf", "infinity":
		return 0, "is not a finite number"
	}
	if strings.Trim(t, "0123456789+-.eE") != "" || t == "" {
		if _, err := strconv.ParseFloat(strings.Replace(t, ",", ".", 1), 64); err == nil {
			return 0, "is not a number (decimal comma? use a dot)"
		}
		return 0, "is not a number"
	}
	v, err := strconv.ParseFloat(t, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, "is not a finite number"
	case err != nil:
		return 0, "is not a number"
	}
	return v, ""
}

// value is the text of column c as the rows keep it: ids as written (CheckSiteID and
// CheckCellID refuse surrounding spaces rather than trim them: " A1" and "A1" would be two
// sites, or one deleted by the other's id), everything else trimmed. OpenCelliD cell ids are
// numbers and are trimmed.
func (b *siteBuilder) value(c, text string) string {
	if c == "site_id" || (c == "cell_id" && !b.openCellID) {
		return text
	}
	return strings.TrimSpace(text)
}

// required returns r's value of f, recording an error when it is empty.
func (b *siteBuilder) required(r rawRow, f string) (string, bool) {
	v := r.vals[f]
	if v == "" {
		b.fail(r.at, f, "", "missing value")
		return "", false
	}
	return v, true
}

// row turns one sector row into a sector of its site.
func (b *siteBuilder) row(r rawRow) {
	nErr := len(b.Errs)
	carrier := b.rowCarrier(r)
	siteID := b.rowSiteID(r)
	lon, lonGiven, lonOK := b.number(r, "lon")
	lat, latGiven, latOK := b.number(r, "lat")
	if !lonGiven {
		b.required(r, "lon")
	}
	if !latGiven {
		b.required(r, "lat")
	}
	if lonGiven && latGiven && lonOK && latOK {
		for _, e := range data.CheckPosition(lon, lat, b.area) {
			v := r.vals[e.Field]
			if e.Field == "lon/lat" {
				v = r.vals["lon"] + "," + r.vals["lat"]
			}
			b.fail(r.at, e.Field, v, e.Msg)
		}
	}
	height, heightGiven, heightOK := b.number(r, "height_m")
	if heightGiven && heightOK {
		if e := data.CheckRange("height_m", height, data.MinHeightM, data.MaxHeightM, " m"); e != nil {
			b.fail(r.at, "height_m", r.vals["height_m"], e.Msg)
		}
	}
	status, statusGiven := data.DefaultStatus, false
	if text := r.vals["status"]; text != "" {
		st, ok := data.ParseStatus(text)
		if !ok {
			b.fail(r.at, "status", text, "is not active or planned")
		}
		status, statusGiven = st, true
	}
	sec, ok := b.rowSector(r)
	if !ok || len(b.Errs) > nErr || b.Full {
		return
	}
	b.add(r, carrier, siteID, lon, lat, height, heightGiven, status, statusGiven, sec)
}

func (b *siteBuilder) rowCarrier(r rawRow) string {
	text := r.vals["carrier"]
	if text == "" {
		if b.carrier != "" {
			return b.carrier
		}
		b.required(r, "carrier")
		return ""
	}
	id, ok := data.ResolveCarrier(text)
	switch {
	case !ok:
		b.fail(r.at, "carrier", text, "is not a known carrier id or MNC")
	case b.carrier != "" && id != b.carrier:
		b.fail(r.at, "carrier", text, fmt.Sprintf("is %s, not %s (the carrier given)", id, b.carrier))
	}
	return id
}

// rowSiteID is site_id, or for OpenCelliD rows "area-cell" ("area-eNB" for LTE, with eNB =
// cell>>8, so that the cells of one eNodeB form one site).
func (b *siteBuilder) rowSiteID(r rawRow) string {
	if !b.openCellID {
		id, ok := b.required(r, "site_id")
		if e := data.CheckSiteID(id); ok && e != nil {
			b.fail(r.at, e.Field, e.Value, e.Msg)
		}
		return id
	}
	if mcc, ok := b.required(r, colMCC); ok && mcc != data.MCCVietnam {
		b.fail(r.at, colMCC, mcc, "is not Vietnam's "+data.MCCVietnam)
	}
	area, okA := b.whole(r, colArea)
	cell, okC := b.whole(r, "cell_id")
	if !okA || !okC {
		return ""
	}
	if t, _ := data.ParseTech(r.vals["tech"]); t == data.Tech4G {
		return fmt.Sprintf("%d-%d", area, cell>>8)
	}
	return fmt.Sprintf("%d-%d", area, cell)
}

// whole parses a required non-negative integer.
func (b *siteBuilder) whole(r rawRow, f string) (uint64, bool) {
	text, ok := b.required(r, f)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		b.fail(r.at, f, text, "is not a whole number")
		return 0, false
	}
	return n, true
}

// rowSector reads the sector columns, applies defaults and validates.
func (b *siteBuilder) rowSector(r rawRow) (data.Sector, bool) {
	var s data.Sector
	text, techOK := b.required(r, "tech")
	if techOK {
		if s.Tech, techOK = data.ParseTech(text); !techOK {
			b.fail(r.at, "tech", text, "is not one of 2G, 3G, 4G, 5G (or GSM, UMTS, WCDMA, LTE, NR)")
		}
	}
	s.CellID = r.vals["cell_id"]
	if e := data.CheckCellID(s.CellID); e != nil {
		b.fail(r.at, e.Field, e.Value, e.Msg)
	}
	missing := b.missing
	clear(missing)
	numOK := true
	for _, f := range []struct {
		name string
		dst  *float64
	}{{data.FieldBand, &s.BandMHz}, {data.FieldBeamwidth, &s.BeamwidthDeg}, {data.FieldTilt, &s.TiltDeg},
		{data.FieldPower, &s.PowerDBm}, {data.FieldBandwidth, &s.BandwidthMHz}, {data.FieldGain, &s.GainDBi},
		{data.FieldFeeder, &s.FeederLossDB}} {
		v, given, ok := b.number(r, f.name)
		numOK = numOK && ok
		*f.dst = v
		missing[f.name] = !given
	}
	if !b.rowAzimuth(r, &s, missing[data.FieldBeamwidth]) || !numOK || !techOK {
		return s, false
	}
	for _, w := range data.ApplyDefaults(&s, missing) {
		b.warn(r.at, w.Field, w.Message)
	}
	errs := data.CheckSector(&s)
	for _, e := range errs {
		v, msg := e.Value, e.Msg
		if t := r.vals[e.Field]; t != "" {
			v = t
		}
		if zeroNotDefault(e.Field) && e.Value == "0" {
			msg += "; leave it empty for the default"
		}
		b.fail(r.at, e.Field, v, msg)
	}
	return s, len(errs) == 0
}

// zeroNotDefault reports the sector fields for which 0 is never valid: given as 0 they are an
// error (with a hint), not a blank that ApplyDefaults fills.
func zeroNotDefault(field string) bool {
	return field == data.FieldBand || field == data.FieldBeamwidth || field == data.FieldBandwidth
}

// rowAzimuth sets Omni or AzimuthDeg (see SiteCSVColumns for the rules).
func (b *siteBuilder) rowAzimuth(r rawRow, s *data.Sector, beamwidthMissing bool) bool {
	text := r.vals[data.FieldAzimuth]
	switch {
	case strings.EqualFold(text, "omni"):
		s.Omni = true
	case text != "":
		v, _, ok := b.number(r, data.FieldAzimuth)
		if v == 360 {
			v = 0
		}
		s.AzimuthDeg = v
		return ok
	case !beamwidthMissing && s.BeamwidthDeg == data.OmniBeamwidthDeg:
		s.Omni = true
	case !r.has(data.FieldAzimuth) && beamwidthMissing:
		s.Omni = true
		b.warn(r.at, data.FieldAzimuth, "missing; treating the antenna as omni")
	default:
		b.fail(r.at, data.FieldAzimuth, "", "missing value (give a bearing in degrees, or omni)")
		return false
	}
	return true
}

// add files a valid sector under its site, checking it agrees with the site's other rows.
func (b *siteBuilder) add(r rawRow, carrier, siteID string, lon, lat, height float64, heightGiven bool,
	status data.Status, statusGiven bool, sec data.Sector) {
	key := data.SiteKey{Carrier: carrier, SiteID: siteID}
	a := b.index[key]
	if a == nil && over(len(b.order)+1, b.lim.MaxSites) {
		b.limit = &data.LimitError{What: "sites", Max: int64(b.lim.MaxSites), Line: r.at.line, Feature: r.at.feature}
		return
	}
	if a == nil {
		a = &siteAcc{site: data.Site{Carrier: carrier, SiteID: siteID, Lon: lon, Lat: lat, HeightM: height, Status: status},
			at: r.at, heightGiven: heightGiven, statusGiven: statusGiven, sectorAt: map[string]loc{}}
		b.index[key] = a
		b.order = append(b.order, a)
	} else if !b.agree(r, a, lon, lat, height, heightGiven, status, statusGiven) {
		return
	}
	if over(len(a.site.Sectors)+1, b.lim.MaxSectorsPerSite) {
		if !a.tooManySectors {
			a.tooManySectors = true
			b.fail(r.at, "site_id", siteID, fmt.Sprintf("has more than %d sectors (the limit per site; first row %s)",
				b.lim.MaxSectorsPerSite, a.at))
		}
		return
	}
	a.lonSum += lon
	a.latSum += lat
	a.cells++
	field, value := data.SectorKey(&sec)
	id := field + "=" + value
	if first, dup := a.sectorAt[id]; dup {
		msg := "repeats " + first.String() + " of the same site"
		if sec.CellID == "" {
			msg += "; give cell_id to tell them apart"
		}
		b.fail(r.at, field, value, msg)
		return
	}
	a.sectorAt[id] = r.at
	a.site.Sectors = append(a.site.Sectors, sec)
}

// agree checks a further row of site a; OpenCelliD cells of one eNodeB keep their own
// positions (averaged later).
func (b *siteBuilder) agree(r rawRow, a *siteAcc, lon, lat, height float64, heightGiven bool, status data.Status, statusGiven bool) bool {
	ok := true
	differs := func(f string, want string) {
		b.fail(r.at, f, r.vals[f], fmt.Sprintf("differs from %s on %s of the same site", want, a.at))
		ok = false
	}
	const posTolDeg = 1e-6 // ~0.1 m: %.6f round-off
	if !b.openCellID {
		if math.Abs(lon-a.site.Lon) > posTolDeg {
			differs("lon", data.FormatNum(a.site.Lon))
		}
		if math.Abs(lat-a.site.Lat) > posTolDeg {
			differs("lat", data.FormatNum(a.site.Lat))
		}
	}
	switch {
	case heightGiven && a.heightGiven && height != a.site.HeightM:
		differs("height_m", data.FormatNum(a.site.HeightM))
	case heightGiven && !a.heightGiven:
		a.site.HeightM, a.heightGiven = height, true
	}
	switch {
	case statusGiven && a.statusGiven && status != a.site.Status:
		differs("status", string(a.site.Status))
	case statusGiven && !a.statusGiven:
		a.site.Status, a.statusGiven = status, true
	}
	return ok
}

// finish applies site-level defaults, checks spacing and returns the report or the errors.
func (b *siteBuilder) finish() (*SiteLoadReport, error) {
	if len(b.Errs) > 0 {
		return nil, b.Errs
	}
	sites := make([]data.Site, len(b.order))
	for i, a := range b.order {
		if !a.heightGiven {
			a.site.HeightM = data.DefaultHeightM
			b.warn(a.at, "height_m", "missing; using "+data.FormatNum(data.DefaultHeightM)+" m (typical rural tower)")
		}
		if !a.statusGiven && !b.openCellID {
			b.warn(a.at, "status", "missing; using "+string(data.DefaultStatus))
		}
		if b.openCellID {
			a.site.Lon, a.site.Lat = a.lonSum/float64(a.cells), a.latSum/float64(a.cells)
		}
		sites[i] = a.site
	}
	b.checkSpacing(sites)
	for _, a := range b.order {
		if err := data.CheckSite(&a.site, b.area); err != nil { // defensive: every row was checked
			for _, e := range err.(data.ParseErrors) {
				b.fail(a.at, e.Field, e.Value, e.Msg)
			}
		}
	}
	if len(b.Errs) > 0 {
		return nil, b.Errs
	}
	return &SiteLoadReport{Sites: sites, Warnings: b.warns.result(), Rows: b.rows}, nil
}

// checkSpacing reports two site ids of one carrier closer than data.MinSiteSpacingM
// (data.CloseSites; sites in b.order's order). OpenCelliD positions are crowd-sourced
// estimates, so there it is a warning.
func (b *siteBuilder) checkSpacing(sites []data.Site) {
	for _, p := range data.CloseSites(sites) {
		a, o := b.order[p.Second], b.order[p.First]
		msg := fmt.Sprintf("is %.1f m from site %q (%s) of the same carrier; sites closer than %s m must be one site",
			p.DistanceM, o.site.SiteID, o.at, data.FormatNum(data.MinSiteSpacingM))
		if b.openCellID {
			b.warn(a.at, "site_id", strconv.Quote(a.site.SiteID)+" "+msg)
		} else {
			b.fail(a.at, "site_id", a.site.SiteID, msg)
		}
	}
}

// ReadSitesCSV reads a station list in CSV, one row per sector (columns: see SiteCSVColumns'
// doc; header names are matched case-insensitively with aliases such as longitude/lng/x,
// latitude/y, height/antenna_height, technology/radio, band/freq_mhz, azimuth …).
// opts.Carrier "" requires a carrier column (id, name or MNC); otherwise every row belongs to
// that carrier and a carrier column, if any, must agree. Positions must lie in opts.Area.
//
// Input: UTF-8 with or without a byte-order mark, comma, semicolon or tab separated (the
// header line decides: the most frequent of the three outside quotes; in semicolon files a
// decimal comma is accepted), CRLF or LF line ends (CR-only ones are refused), blank lines
// skipped. Every CSV reader of this package opens its input this way.
//
// OpenCelliD exports (radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,
// updated,averageSignal) are recognised by their mcc, area and cell columns: radio GSM/UMTS/
// LTE/NR gives the tech, net the carrier (by MNC), mcc must be 452; a site is "area-cell",
// except that LTE cells group by eNodeB, "area-eNB" with eNB = cell>>8 (the 28-bit E-UTRAN
// cell id is eNB id << 8 | cell), placed at the mean of its cells' estimated positions.
// Status is active (the cells were observed) without a warning, antennas omni and RF values
// defaults (warned); range is ignored (warned once); the 20 m spacing rule only warns.
//
// Validation is all-or-nothing: on any error no sites are returned and the error is a
// ParseErrors listing every bad value with its line and field: unreadable or non-finite
// numbers, positions outside opts.Area (with a hint for swapped lat/lon or a stray minus), unknown tech/band/status, out-of-range values, repeated sectors (same cell_id,
// or same tech, band and azimuth when there is none), rows of one site that disagree, two
// site ids of one carrier within 20 m (geodesic), missing required columns (site_id, lon,
// lat, tech; carrier when not given), invalid UTF-8, ids that break data.CheckSiteID or
// data.CheckCellID. Values are trimmed of surrounding spaces, except ids. Defaults applied
// are Warnings.
func ReadSitesCSV(r io.Reader, opts SiteOptions) (*SiteLoadReport, error) {
	b, err := newSiteBuilder(opts)
	if err != nil {
		return nil, err
	}
	in, err := openCSV(r, "station")
	if err != nil {
		return nil, err
	}
	b.decimalComma = in.sep == ';'
	header := in.header
	cols := b.csvHeader(header)
	if len(b.Errs) > 0 {
		return nil, b.Errs
	}
	vals := make(map[string]string, len(cols))
	for line, rec := range in.records(&b.ErrorList) {
		if b.rows++; b.limit == nil {
			b.limit = b.lim.rowLimit(b.rows, line, 0)
		}
		if b.limit != nil {
			break
		}
		at := loc{line: line, sector: -1}
		if len(rec) != len(header) {
			b.fail(at, "", "", fmt.Sprintf("row has %d fields, the header %d", len(rec), len(header)))
			continue
		}
		clear(vals) // b.row keeps nothing of a row's values
		row := rawRow{at: at, vals: vals}
		valid := true
		for i, c := range cols {
			if !utf8.ValidString(rec[i]) {
				b.fail(at, cmp.Or(c, header[i]), rec[i], "is not valid UTF-8")
				valid = false
			}
			if c != "" {
				row.vals[c] = b.value(c, rec[i])
			}
		}
		if valid {
			b.row(row)
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	if b.limit != nil {
		return nil, b.limit
	}
	return b.finish()
}

// csvHeader maps header cells to canonical columns ("" for ignored ones), recording errors
// for duplicate or missing columns and warnings for unknown ones.
func (b *siteBuilder) csvHeader(header []string) []string {
	at := loc{line: 1, sector: -1}
	cols := make([]string, len(header))
	seen := map[string]string{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			b.fail(at, "", h, "header is not valid UTF-8")
			continue
		}
		name := strings.TrimSpace(h)
		c := canonicalColumn(name)
		switch {
		case c == "" && openCellIDIgnored[strings.ToLower(name)]:
		case c == "":
			b.warn(at, name, "column not used")
		case seen[c] != "":
			b.fail(at, c, "", fmt.Sprintf("columns %q and %q both give %s", seen[c], name, c))
		default:
			seen[c] = name
			cols[i] = c
		}
	}
	b.openCellID = seen[colMCC] != "" && seen[colArea] != "" && seen["cell_id"] != "" && seen["site_id"] == ""
	b.checkColumns(at, func(c string) bool { return seen[c] != "" })
	return cols
}

// checkColumns records an error for each required column absent, and the one-time warnings
// about OpenCelliD's range.
func (b *siteBuilder) checkColumns(at loc, has func(string) bool) {
	required := []string{"site_id", "lon", "lat", "tech"}
	if b.openCellID {
		required = []string{colMCC, colArea, "cell_id", "lon", "lat", "tech"}
	}
	if b.carrier == "" {
		required = append([]string{"carrier"}, required...)
	}
	for _, c := range required {
		if !has(c) {
			msg := "required column is missing"
			if c == "carrier" {
				msg += " (or name the carrier of the whole file)"
			}
			b.fail(at, c, "", msg)
		}
	}
	if has(colRange) {
		b.warnOnce(colRange, at, colRange, "ignored (OpenCelliD's reach estimate; coverage is predicted instead)")
	}
}

// ReadSitesGeoJSON reads a station list as a GeoJSON FeatureCollection of Point features
// (WGS84 lon/lat; a third coordinate is ignored). Properties are the CSV columns (same names
// and aliases; lon/lat properties are ignored, the geometry is the position), values JSON
// numbers or strings. A feature is one sector, or, with a "sectors" array of objects holding
// the sector columns, one site with several sectors; features with the same (carrier,
// site_id) join one site as CSV rows do. Errors and warnings name "feature N" (1-based) and
// fields inside the array "sectors[i].field" (0-based). Validation, defaults and options as
// in ReadSitesCSV; SiteLoadReport.Rows counts features. The input is one FeatureCollection and
// nothing after it; a JSON syntax error names its line.
func ReadSitesGeoJSON(r io.Reader, opts SiteOptions) (*SiteLoadReport, error) {
	b, err := newSiteBuilder(opts)
	if err != nil {
		return nil, err
	}
	fc := readFeatureCollection(r, "station", opts.Limits.MaxFeatureBytes)
	for n, raw := range fc.Features() {
		if b.rows++; b.limit == nil {
			b.limit = b.lim.rowLimit(b.rows, 0, n)
		}
		if b.Full || b.limit != nil {
			break
		}
		b.feature(n, raw)
		if b.limit != nil {
			break
		}
	}
	if err := fc.Err(); err != nil {
		return nil, err
	}
	if b.limit != nil {
		return nil, b.limit
	}
	return b.finish()
}

// feature turns site feature n into one row per sector.
func (b *siteBuilder) feature(n int, raw json.RawMessage) {
	at := loc{feature: n, sector: -1}
	f, lon, lat, perr := decodePoint(n, raw)
	if perr != nil {
		b.fail(at, perr.Field, perr.Value, perr.Msg)
		return
	}
	base := map[string]string{}
	sectors, ok := b.properties(at, f.Properties, base)
	base["lon"], base["lat"] = lon, lat
	switch {
	case !ok:
	case sectors == nil:
		b.row(rawRow{at: at, vals: base})
	case len(sectors) == 0:
		b.fail(at, "sectors", "", "is empty")
	default:
		for i, s := range sectors {
			sat := loc{feature: n, sector: i}
			obj, isObj := s.(map[string]any)
			if !isObj {
				b.fail(at, "sectors["+strconv.Itoa(i)+"]", "", "is not an object")
				continue
			}
			vals := maps.Clone(base)
			if _, ok := b.properties(sat, obj, vals); ok {
				b.row(rawRow{at: sat, vals: vals})
			}
		}
	}
}

// properties copies the values of props into dst by canonical column. At feature level it
// returns the "sectors" array (nil when absent); inside a sector object (at.sector >= 0) only
// sector columns are allowed. ok is false when a value was unusable (error recorded).
func (b *siteBuilder) properties(at loc, props map[string]any, dst map[string]string) (sectors []any, ok bool) {
	ok = true
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v := props[k]
		if k == "sectors" && at.sector < 0 {
			if arr, isArr := v.([]any); isArr {
				sectors = arr
				if sectors == nil {
					sectors = []any{}
				}
				continue
			}
			b.fail(at, k, "", "is not an array")
			ok = false
			continue
		}
		c := canonicalColumn(k)
		switch {
		case c == "" || c == colMCC || c == colArea || c == colRange:
			b.warnOnce("property "+k, at, k, "property not used")
			continue
		case c == "lon" || c == "lat":
			b.warnOnce("property "+k, at, k, "ignored; the geometry gives the position")
			continue
		case at.sector >= 0 && !sectorFields[c]:
			b.fail(at, k, "", "is a site field; put it in the feature's properties")
			ok = false
			continue
		case seen[c] != "":
			b.fail(at, c, "", fmt.Sprintf("properties %q and %q both give %s", seen[c], k, c))
			ok = false
			continue
		}
		seen[c] = k
		switch v := v.(type) {
		case string:
			dst[c] = b.value(c, v)
		case json.Number:
			dst[c] = v.String()
		case nil:
			dst[c] = ""
		default:
			b.fail(at, c, "", "is not a number or text")
			ok = false
		}
	}
	return sectors, ok
}

// LoadSitesFile reads a station list from path: .csv with ReadSitesCSV, .geojson or .json
// with ReadSitesGeoJSON (extension case-insensitive). Errors are prefixed with the path and
// wrap the reader's (errors.As(err, &ParseErrors{}) still works).
func LoadSitesFile(path string, opts SiteOptions) (*SiteLoadReport, error) {
	var read func(io.Reader, SiteOptions) (*SiteLoadReport, error)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		read = ReadSitesCSV
	case ".geojson", ".json":
		read = ReadSitesGeoJSON
	default:
		return nil, fmt.Errorf("%w: %s: unknown station file type (want .csv, .geojson or .json)", data.ErrInvalidInput, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	rep, err := read(f, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
