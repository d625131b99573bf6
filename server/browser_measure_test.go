package server

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/measure"
	"phusong/data/testenv"
	"phusong/server/app"
)

// TestBrowserMeasurements drives the map's measurement layers in headless Chromium at a phone and
// a desktop viewport, against a server holding a synthetic drive test and reports that dispute a
// place: nothing of them loads on first paint; the squares draw coloured by level, then by
// measured − predicted; the disputed place draws and opens its sheet; the calibration sheet
// shows the served state (uncalibrated) and the comparison; "Here" offers the one-tap report,
// and a tap files it at the rounded position.
func TestBrowserMeasurements(t *testing.T) {
	testenv.Heavy(t, "a browser test; TestBrowserMap, TestBrowserPeople, TestBrowserCSP and TestBrowserUploadPage run in a quick run")
	t.Parallel()
	needChromium(t)
	c := &clock{t: time.Now().Add(-24 * time.Hour)}
	e := newEnv(t, demoState(t), Options{Limits: Limits{TokenRatePerMinute: -1}, Now: c.now}, nil, "",
		func(a *app.App) { a.WithClock(c.now) })
	ctx := context.Background()
	file := driveTest(t, 12_000, 9, []coverage.Correction{{Carrier: "viettel", Tech: data.Tech4G, Land: data.TypeCommune, OffsetDB: 6}},
		measure.Pair{Carrier: "viettel", Tech: data.Tech4G})
	if r := e.postMeasurements(t, e.tok["viettel"], "", file); r.status != 201 {
		t.Fatalf("measurements: %d %s", r.status, r.body)
	}
	// Three devices yesterday and today say there is no Viettel 4G at a place the map covers.
	place := covered(t)
	for day, devices := range [][]string{{"browser-test-device-1", "browser-test-device-2"}, {"browser-test-device-3"}} {
		if day == 1 {
			c.add(24 * time.Hour)
		}
		for _, d := range devices {
			if _, err := e.s.App().ReportSignal(ctx, app.SignalReportRequest{Lon: place[0], Lat: place[1], Carrier: "viettel",
				Tech: data.Tech4G, Outcome: "no_service", Device: d}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The server sends its Content-Security-Policy on every answer (security.go).
	ts := httptest.NewServer(e.s.Handler())
	t.Cleanup(ts.Close)
	root := newBrowser(t)
	for _, vp := range []viewport{{"phone", 360, 640, true, "vi"}, {"desktop", 1280, 800, false, "en"}} {
		t.Run(vp.name, func(t *testing.T) {
			b := openTab(t, root, vp, "measure", ts.URL+"/?lang="+vp.lang, 3*time.Minute)
			tab := b.ctx
			b.ready()
			run, poll := b.do, b.poll
			first, err := chromedp.Run(tab, chromedp.Evaluate[string](`performance.getEntriesByType('resource').map(e => e.name).join(' ')`))
			if err != nil || strings.Contains(first, "/measurements") || strings.Contains(first, "/disputes") || strings.Contains(first, "measure.js") {
				t.Fatalf("first paint loaded measurement data or code: %v %s", err, first)
			}
			wantLabel := map[string]string{"vi": "chưa hiệu chỉnh", "en": "uncalibrated"}[vp.lang]
			if got := poll("calibration label", `document.getElementById('calib').textContent`); !strings.Contains(got, wantLabel) {
				t.Errorf("calibration label %q, want %q", got, wantLabel)
			}

			// The squares, by level: the tier colours.
			run(b.press(`#layers-btn`), chromedp.Evaluate[chromedp.Void](`document.getElementById('measure-set').scrollIntoView({block: 'center'})`), b.press(`#l-measure`))
			n := poll("measurement squares", `phusong.state.measureDrawn === phusong.state.measureKey && phusong.layers.measure &&
				phusong.layers.measure.getLayers().length > 10 && String(phusong.layers.measure.getLayers().length)`)
			levels := poll("level colours", `String(new Set(phusong.layers.measure.getLayers().map(l => l.options.fillColor)).size)`)
			if levels == "1" {
				t.Errorf("%s squares all of one colour by level", n)
			}
			// By measured − predicted: the truth is 6 dB weaker than the model, so red (weaker) dominates.
			run(b.press(`#measure-mode [data-measure=residual]`))
			reds := poll("residual colours", `phusong.state.measureKey.includes('|residual|') && phusong.state.measureDrawn === phusong.state.measureKey && (() => {
				const fills = phusong.layers.measure.getLayers().map(l => l.options.fillColor);
				return fills.length + ' ' + fills.filter(c => c === '#b2182b' || c === '#ef8a62').length; })()`)
			var total, weaker int
			fmt.Sscanf(reds, "%d %d", &total, &weaker)
			if weaker*2 < total {
				t.Errorf("residual colours: %d of %d squares weaker than predicted; the truth is 6 dB weaker", weaker, total)
			}
			legend := poll("legend", `document.getElementById('legend').innerText`)
			if !strings.Contains(legend, "dB") {
				t.Errorf("legend lacks the residual ramp:\n%s", legend)
			}

			// The disputed place, and its sheet.
			run(b.press(`#l-disputes`))
			poll("disputes", `phusong.layers.disputes && phusong.layers.disputes.getLayers().length === 1 && 'ok'`)
			run(b.press(`[data-close=layers]`),
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void phusong.map().setView([%f, %f], 15, {animate: false})`, place[1], place[0])))
			poll("disputes at zoom 15", `phusong.idle() && phusong.layers.disputes && 'ok'`)
			b.shot("disputes")
			run(chromedp.Evaluate[chromedp.Void](`(() => { const l = phusong.layers.disputes.getLayers()[0]; l.fire('click', {latlng: l.getBounds().getCenter()}); })()`))
			sheet := poll("dispute sheet", `!document.getElementById('sheet').hidden && document.getElementById('sheet').innerText`)
			api := decode[featureCollectionJSON](t, get(t, e.ts.URL+"/api/v1/disputes?tech=4G"))
			if len(api.Features) != 1 || !strings.Contains(sheet, "Viettel") ||
				!strings.Contains(sheet, fmt.Sprintf("%v\t%v", api.Features[0].Properties["reporters"], api.Features[0].Properties["days"])) {
				t.Errorf("dispute sheet (the API says %+v):\n%s", api.Features[0].Properties, sheet)
			}
			run(b.press(`[data-close=sheet]`))

			// The calibration sheet: uncalibrated, and the comparison of Viettel's samples.
			run(b.press(`#layers-btn`), chromedp.Evaluate[chromedp.Void](`document.getElementById('measure-set').scrollIntoView({block: 'center'})`), b.press(`#calib-more`))
			cal := poll("calibration sheet", `!document.getElementById('sheet').hidden && document.querySelector('#sheet table') && document.getElementById('sheet').innerText`)
			if !strings.Contains(cal, "Viettel") || !strings.Contains(cal, "RMSE") {
				t.Errorf("calibration sheet:\n%s", cal)
			}
			b.shot("calibration")
			run(b.press(`[data-close=sheet]`))
			if shown(t, tab, `#layers`) {
				run(b.press(`[data-close=layers]`))
			}

			// "Here" at the place: the report box; a tap files a report.
			if _, err := chromedp.CallBrowser(tab, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: ts.URL,
				BrowserContextID: browserContextOf(tab),
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(tab, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
				Latitude: new(place[1] + 0.0004), Longitude: new(place[0]), Accuracy: new(10.0),
			}); err != nil {
				t.Fatal(err)
			}
			run(b.press(`#here`))
			poll("report box", `document.querySelector('#report-box .outcomes button') && 'ok'`)
			b.shot("report")
			before := reportCount(t, e)
			run(b.press(`#report-box [data-outcome=weak]`))
			done := poll("report sent", `document.querySelector('#report-result.report-done') && document.getElementById('report-result').textContent`)
			if want := map[string]string{"vi": "Cảm ơn", "en": "Thank you"}[vp.lang]; !strings.Contains(done, want) {
				t.Errorf("after the tap: %q", done)
			}
			reports, err := e.db.Reports(ctx, time.Time{})
			if err != nil || len(reports) != before+1 {
				t.Fatalf("%d reports stored, want %d (%v)", len(reports), before+1, err)
			}
			last := reports[len(reports)-1]
			if last.Outcome != "weak" || math.Abs(last.Lat-place[1]) > 0.002 || last.Lat == place[1]+0.0004 {
				t.Errorf("stored report %+v: want weak, near the place, rounded", last)
			}
			b.shot("reported")
			if v, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`window.cspViolations`)); err != nil || len(v) > 0 {
				t.Errorf("Content-Security-Policy violations: %v %v", v, err)
			}
			if errs := b.console.errors(); len(errs) > 0 {
				t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
			}

			// Viettel's review queue on the upload page: the disputed cell, marked resolved with a note.
			u := openTab(t, root, vp, "review", ts.URL+"/upload?lang="+vp.lang, 2*time.Minute)
			u.poll("upload page", `document.body.dataset.ready === 'true' && 'ok'`)
			u.do(chromedp.SendKeys(`#token`, e.tok["viettel"]), u.press(`#token-check`))
			cellText := u.poll("review queue", `document.querySelector('#review-table tbody tr') && document.getElementById('review').innerText`)
			want := map[string]string{"vi": "tranh chấp", "en": "disputed"}[vp.lang]
			if !strings.Contains(cellText, want) {
				t.Errorf("review queue lacks %q:\n%s", want, cellText)
			}
			note := "checked on site " + vp.name
			u.do(chromedp.SetValue(`#review-table tbody tr input`, note), chromedp.Evaluate[chromedp.Void](`document.querySelector('#review-table [data-review=resolved]').scrollIntoView({block: 'center'})`),
				u.press(`#review-table [data-review=resolved]`))
			wantState := map[string]string{"vi": "đã khắc phục", "en": "resolved"}[vp.lang]
			u.poll("reviewed", `document.querySelector('#review-table tbody tr') && document.querySelector('#review-table tbody tr').innerText.includes('`+wantState+`') && 'ok'`)
			u.shot("queue")
			q := decode[reviewQueueBody](t, e.call(t, "GET", "/api/v1/carriers/viettel/disputes", e.tok["viettel"], nil))
			if len(q.Cells) == 0 || q.Cells[0].Review.State != "resolved" || q.Cells[0].Review.Note != note {
				t.Errorf("review stored: %+v", q.Cells)
			}
			if errs := u.console.errors(); len(errs) > 0 {
				t.Fatalf("upload page console errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// reportCount is the number of stored reports.
func reportCount(t *testing.T, e *uploadEnv) int {
	t.Helper()
	rs, err := e.db.Reports(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// shown tells whether the element css selects is shown.
func shown(t *testing.T, tab context.Context, css string) bool {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+"`"+css+"`"+`); return !!e && !e.hidden; })()`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
