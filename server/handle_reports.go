package server

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"phusong/data"
	"phusong/data/persist"
	"phusong/server/app"
)

// "No signal here": POST /api/v1/reports takes a report from anyone, without an account; the
// transport bounds the body, and rate-limits by client address (an IPv6 client by its /64) and
// by the device id the map sends. Nothing of the address is stored (the app stores a keyed hash
// of the device id only). GET /api/v1/disputes is the public map's layer of disputed cells;
// the carriers' review queue needs their token.

// ReportOptions limit the public reports. Zero values take the defaults.
type ReportOptions struct {
	PerAddressPerHour float64 // reports per client address an hour; 0 = 30, < 0 = unlimited
	AddressBurst      int     // reports an address may send at once; 0 = 10 (a family, a shop, a NAT)
	PerDevicePerHour  float64 // reports per device id an hour; 0 = 6, < 0 = unlimited
	DeviceBurst       int     // reports a device may send at once; 0 = 3
}

// Default report limits.
const (
	defaultReportsPerAddress = 30
	defaultAddressBurst      = 10
	defaultReportsPerDevice  = 6
	defaultDeviceBurst       = 3
	maxReportBytes           = 2 << 10
)

// reportLimits are the report rate limiters.
type reportLimits struct {
	perAddress, perDevice *limiter
}

// newReportLimits returns the limiters of o, on the clock now.
func newReportLimits(o ReportOptions, now func() time.Time) *reportLimits {
	if o.PerAddressPerHour == 0 {
		o.PerAddressPerHour = defaultReportsPerAddress
	}
	if o.PerDevicePerHour == 0 {
		o.PerDevicePerHour = defaultReportsPerDevice
	}
	if o.AddressBurst <= 0 {
		o.AddressBurst = defaultAddressBurst
	}
	if o.DeviceBurst <= 0 {
		o.DeviceBurst = defaultDeviceBurst
	}
	l := &reportLimits{perAddress: newLimiter(o.PerAddressPerHour/3600, o.AddressBurst), perDevice: newLimiter(o.PerDevicePerHour/3600, o.DeviceBurst)}
	l.perAddress.now, l.perDevice.now = now, now
	return l
}

// handleSignalReport is POST /api/v1/reports {lon, lat, carrier, tech, outcome, device}: files
// one report (201 with where it was filed, rounded to 100 m, and what the map predicts there);
// 422 naming the bad fields, 429 when the address, the device or the place (a cell, per day) has
// had its share.
func (s *Server) handleSignalReport(c *gin.Context, _ *view) error {
	if s.reports == nil {
		return app.ErrNoDatabase
	}
	if ok, wait := s.reports.perAddress.allow(clientKey(c.ClientIP())); !ok { // the peer, or what a trusted proxy says
		return tooManyRequests(c, int(wait.Seconds()), "reports from this address")
	}
	var req app.SignalReportRequest
	if err := bodyError(decodeOne(io.LimitReader(c.Request.Body, maxReportBytes), &req),
		`{"lon": …, "lat": …, "carrier": ID, "tech": "4G", "outcome": "no_service|weak|drops|fine", "device": ID}`); err != nil {
		return err
	}
	if req.Device != "" {
		if ok, wait := s.reports.perDevice.allow(req.Device); !ok {
			return tooManyRequests(c, int(wait.Seconds()), "reports from this device")
		}
	}
	ack, err := s.app.ReportSignal(c.Request.Context(), req)
	if errors.Is(err, persist.ErrReportCap) {
		return tooManyRequests(c, 3600, "reports for this place today")
	}
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, ack)
	return nil
}

// handleDisputes is GET /api/v1/disputes?tech=&carrier=: the disputed cells (at least 3
// independent reports on at least 2 days contradicting the prediction) as GeoJSON squares with
// their counts and review state; nothing about single reports.
func (s *Server) handleDisputes(c *gin.Context, _ *view) error {
	f, err := measurementFilter(c)
	if err != nil {
		return err
	}
	fc, err := s.app.DisputesLayer(c.Request.Context(), f)
	if err != nil {
		return appError(err)
	}
	return sendJSON(c, ctGeoJSON, fc)
}

// reviewQueueBody is GET /api/v1/carriers/{carrier}/disputes.
type reviewQueueBody struct {
	Carrier string            `json:"carrier"`
	Cells   []app.DisputeCell `json:"cells"`
}

// handleReviewQueue is GET /api/v1/carriers/{carrier}/disputes: every cell where reports
// contradict the carrier's predicted coverage (disputed or not yet), with counts by outcome and
// its review; the carrier's token or an admin token.
func (s *Server) handleReviewQueue(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	carrier := c.Param("carrier")
	cells, err := s.app.ReviewQueue(c.Request.Context(), tok, carrier)
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, reviewQueueBody{Carrier: carrier, Cells: cells})
	return nil
}

// reviewRequest is the body of PUT /api/v1/carriers/{carrier}/disputes/{tech}/{cell}.
type reviewRequest struct {
	State string `json:"state"` // open, reviewed or resolved
	Note  string `json:"note"`
}

// handleReview is PUT /api/v1/carriers/{carrier}/disputes/{tech}/{cell} {state, note}: the
// carrier's review of a cell of its queue (the note stays in the queue; the public map shows the
// state).
func (s *Server) handleReview(c *gin.Context, _ *view) error {
	tok, err := s.authenticate(c)
	if err != nil {
		return err
	}
	t := data.Tech(c.Param("tech"))
	if t != data.Tech3G && t != data.Tech4G {
		return badParam("tech", c.Param("tech"), "must be 3G or 4G")
	}
	var req reviewRequest
	if err := bodyError(decodeOne(io.LimitReader(c.Request.Body, persist.MaxReviewNote+maxReportBytes), &req),
		`{"state": "reviewed|resolved|open", "note": TEXT}`); err != nil {
		return err
	}
	rv, err := s.app.Review(c.Request.Context(), tok, persist.Review{Carrier: c.Param("carrier"), Tech: t, Cell: c.Param("cell"),
		State: req.State, Note: req.Note})
	if err != nil {
		return appError(err)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rv)
	return nil
}
