package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"phusong/data"
	"phusong/data/testenv"
)

// Browser tests: the embedded map in Debian's headless Chromium, driven over the DevTools
// protocol, against the demo served on loopback. Screenshots go to <repo>/artifacts/.

const chromiumPath = "/usr/bin/chromium"

// needChromium skips without Chromium, except under CI=true where its absence is a failure
// (testenv.Missing).
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "the browser tests need %s (apt-get install chromium): %v", chromiumPath, err)
	}
	if testing.Short() && !testenv.CI() {
		t.Skip("browser tests skipped with -short")
	}
}

// artifactsDir returns <repo>/artifacts (the folder holding go.mod), creating it.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "artifacts")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// chromium is the package's one headless Chromium: started by the first browser test, stopped
// by TestMain. Each test has a browser context of its own (newBrowser), so tests share the
// process but no cookies, storage, cache or permissions.
type chromium struct {
	mu     sync.Mutex
	ctx    context.Context // the browser; nil until started
	stopFn func()
	err    error
}

var chrome = &chromium{}

// browser starts Chromium once and returns its context (the error of that start for every
// caller when it failed).
func (c *chromium) browser() (context.Context, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil || c.err != nil {
		return c.ctx, c.err
	}
	dir, err := os.MkdirTemp("", "phusong-chromium-")
	if err != nil {
		c.err = err
		return nil, err
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(dir),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	c.stopFn = func() { cancel(); cancelAlloc(); os.RemoveAll(dir) }
	if err := chromedp.Do(ctx); err != nil {
		c.stopFn()
		c.err = fmt.Errorf("starting %s: %w", chromiumPath, err)
		return nil, c.err
	}
	c.ctx = ctx
	return ctx, nil
}

// stop ends Chromium if it was started (TestMain, after the tests).
func (c *chromium) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopFn != nil {
		c.stopFn()
		c.stopFn, c.ctx = nil, nil
	}
}

// newBrowser gives the test a fresh browser context (an empty profile) in the package's
// Chromium, disposed of when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	root, err := chrome.browser()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("a browser context in %s: %v", chromiumPath, err)
	}
	return ctx
}

// browserContextOf is the id of the browser context tab belongs to (for browser-wide
// commands such as permissions, which apply to the default context without it).
func browserContextOf(tab context.Context) cdp.BrowserContextID {
	return chromedp.FromContext(tab).BrowserContextID
}

// consoleLog collects a tab's console errors and uncaught exceptions.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
	done chan struct{}
	stop context.CancelFunc
}

func watchConsole(tab context.Context) *consoleLog {
	ctx, stop := context.WithCancel(tab)
	l := &consoleLog{done: make(chan struct{}), stop: stop}
	msgs := chromedp.Console(ctx)
	go func() {
		defer close(l.done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				l.mu.Lock()
				l.errs = append(l.errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// errors stops watching and returns what was seen.
func (l *consoleLog) errors() []string {
	l.stop()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}

// viewport is one screen the map must work on.
type viewport struct {
	name          string
	width, height int64
	phone         bool // mobile emulation with touch, DPR 2
	lang          string
}

// tapPointJS finds a point of the map, in CSS pixels of the page, where a tap reaches the map
// (no control or panel above it), inside a commune, and at least 18 px from the edge of every
// site mark that takes taps (dots from the tap zoom on, clusters below it).
const tapPointJS = `(() => {
  const m = phusong.map(), rect = m.getContainer().getBoundingClientRect();
  const sites = [];
  if (phusong.layers.sites) phusong.layers.sites.eachLayer(l => {
    if (l instanceof L.CircleMarker && l.options.interactive) { const p = m.latLngToContainerPoint(l.getLatLng()); p.r = l.getRadius(); sites.push(p); }
  });
  let best = null;
  for (let y = 40; y < rect.height - 40; y += 11) {
    for (let x = 30; x < rect.width - 30; x += 11) {
      const el = document.elementFromPoint(rect.left + x, rect.top + y);
      if (!el || !el.closest('#map') || el.closest('.leaflet-control')) continue;
      const f = phusong.communeAt(m.containerPointToLatLng([x, y]));
      if (!f) continue;
      let d = 1e9;
      for (const p of sites) d = Math.min(d, Math.hypot(p.x - x, p.y - y) - p.r);
      if (d < 18) continue;
      const cx = rect.width / 2, cy = rect.height / 2, score = Math.hypot(x - cx, y - cy);
      if (!best || score < best.score) best = {x: rect.left + x, y: rect.top + y, code: f.properties.code, score};
    }
  }
  return best;
})()`

// sitePointJS finds a drawn site marker the user can tap (on the map, not under a control).
const sitePointJS = `(() => {
  const m = phusong.map(), rect = m.getContainer().getBoundingClientRect();
  let best = null;
  phusong.layers.sites.eachLayer(l => {
    const p = m.latLngToContainerPoint(l.getLatLng());
    if (p.x < 40 || p.y < 60 || p.x > rect.width - 40 || p.y > rect.height - 100) return;
    const el = document.elementFromPoint(rect.left + p.x, rect.top + p.y);
    if (!el || !el.closest('#map') || el.closest('.leaflet-control')) return;
    const score = Math.hypot(p.x - rect.width / 2, p.y - rect.height / 2);
    if (!best || score < best.score) best = {x: rect.left + p.x, y: rect.top + p.y, code: l.options.siteKey || '', score};
  });
  return best;
})()`

type pagePoint struct {
	X, Y  float64
	Code  string
	Score float64
}

// browserTab is one tab of the harness at a viewport: input by the viewport's means (touch on
// a phone, mouse on a desktop), console errors watched, screenshots of the map page saved as
// artifacts/<prefix>_<viewport>_<name>.png.
type browserTab struct {
	t       *testing.T
	ctx     context.Context
	vp      viewport
	art     string
	prefix  string
	console *consoleLog
}

// openTab opens a tab of root emulating vp and navigates it to url; the tab lives until the
// test ends or timeout passes. Its pages record Content-Security-Policy violations in
// window.cspViolations (cspRecorderJS).
func openTab(t *testing.T, root context.Context, vp viewport, prefix, url string, timeout time.Duration) *browserTab {
	t.Helper()
	tab, cancel := chromedp.NewContext(root)
	t.Cleanup(cancel)
	tab, cancelTimeout := context.WithTimeout(tab, timeout)
	t.Cleanup(cancelTimeout)
	b := &browserTab{t: t, ctx: tab, vp: vp, art: artifactsDir(t), prefix: prefix, console: watchConsole(tab)}
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorderJS}); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.EmulateViewportOption{}
	if vp.phone {
		opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(vp.width, vp.height, opts...), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	return b
}

// shot waits for the map (on the map page) to stop moving and saves a full-page screenshot.
func (b *browserTab) shot(name string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`typeof phusong === "undefined" || phusong.idle()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		b.t.Fatalf("map still moving before screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.art, b.prefix+"_"+b.vp.name+"_"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", p)
}

// tap taps (phone) or clicks (desktop) a point of the page, in CSS pixels.
func (b *browserTab) tap(p pagePoint) chromedp.Action[chromedp.Void] {
	if b.vp.phone {
		return chromedp.TapXY(p.X, p.Y)
	}
	return chromedp.MouseClickXY(p.X, p.Y)
}

// press taps (phone) or clicks (desktop) the element css selects.
func (b *browserTab) press(css string) chromedp.Action[chromedp.Void] {
	if b.vp.phone {
		return chromedp.Tap(chromedp.CSS(css))
	}
	return chromedp.Click(chromedp.CSS(css))
}

// stateJS is what poll and tapMap report of the map when they fail: the state of its layers,
// panel, sheet and status line, and in planner mode the planner's (edits, the edits the figures
// shown were computed with, requests in flight, an evaluation running, the last answer).
const stateJS = `(async () => {
  if (typeof phusong === 'undefined') return 'no map page';
  const status = document.getElementById('status');
  const s = {choro: phusong.state.choro, cov: phusong.state.cov, covKey: phusong.state.covKey, coverage: !!phusong.layers.coverage,
    measureKey: phusong.state.measureKey, measureDrawn: phusong.state.measureDrawn, status: status.hidden ? '' : status.textContent,
    panel: !document.getElementById('layers').hidden, sheet: !document.getElementById('sheet').hidden, zoom: phusong.map() && phusong.map().getZoom(),
    idle: phusong.idle()};
  if (document.body.classList.contains('planning')) {
    const p = (await phusong.planner()).pl;
    s.planner = {edits: p.edits.length, shown: p.result ? p.result.scenario.edits.length : null, pending: p.pending, busy: p.busy,
      req: p.req, last: p.last, job: p.job && p.job.status};
  }
  return JSON.stringify(s);
})()`

// state is stateJS's answer, or why there is none.
func (b *browserTab) state() string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](stateJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return s
}

// tapMap taps (or clicks) p once the map is still and the topmost element there is the map's own
// (not a panel, the sheet, the status line or a control drawn over it since p was chosen): a tap
// that lands on something else is lost and the test would wait for its effect in vain. It fails
// the test with what covers p and the map's state when that does not come within 20 s.
func (b *browserTab) tapMap(what string, p pagePoint) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
  const e = document.elementFromPoint(%f, %f);
  if (phusong.idle() && e && e.closest('#map') && !e.closest('.leaflet-control')) return 'ok';
  window.phusongTapBlocker = !e ? 'nothing' : e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.closest('[id]') ? ' in #' + e.closest('[id]').id : '') + (phusong.idle() ? '' : ', map moving');
  return '';
})()`, p.X, p.Y)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		blocker, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(window.phusongTapBlocker)`))
		b.t.Fatalf("%s: the point %.0f,%.0f is not the map's (%s): %v; state %s; console: %v", what, p.X, p.Y, blocker, err, b.state(), b.console.errors())
	}
	b.do(b.tap(p))
}

// do runs actions in the tab, failing the test on an error.
func (b *browserTab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// poll waits up to 40 s for js to give a non-empty string and returns it; on a timeout it fails
// the test with what, the map's state and the console's errors.
func (b *browserTab) poll(what, js string) string {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Poll[string](js, chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil {
		b.t.Fatalf("%s: %v; state %s; console: %v", what, err, b.state(), b.console.errors())
	}
	return got
}

// notLoaded fails the test if the page has fetched a resource whose URL contains one of parts
// (what must stay off the first paint).
func (b *browserTab) notLoaded(parts ...string) {
	b.t.Helper()
	urls, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name)`))
	if err != nil {
		b.t.Fatal(err)
	}
	for _, u := range urls {
		for _, p := range parts {
			if strings.Contains(u, p) {
				b.t.Fatalf("the page loaded %s", u)
			}
		}
	}
}

// ready waits for the map page to have loaded its first data.
func (b *browserTab) ready() {
	b.t.Helper()
	ready, err := chromedp.Run(b.ctx, chromedp.Poll[string](`document.body.dataset.ready`, chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil || ready != "true" {
		b.t.Fatalf("page not ready (%q, %v); console: %v", ready, err, b.console.errors())
	}
}

func TestBrowserMap(t *testing.T) {
	t.Parallel()
	needChromium(t)
	_, ts := newTestServer(t)
	root := newBrowser(t)
	cases := []viewport{
		{"phone", 360, 640, true, "vi"},
		{"desktop", 1280, 800, false, "en"},
	}
	for _, vp := range cases {
		t.Run(vp.name, func(t *testing.T) {
			m := openTab(t, root, vp, "map", ts.URL+"/?lang="+vp.lang, 3*time.Minute)
			tab, console, shot, press := m.ctx, m.console, m.shot, m.press

			// The page loads, draws every layer and says the stations are synthetic.
			m.ready()
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](`!!(phusong.layers.coverage && phusong.layers.coverage.getLayers().length > 0)`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
				t.Fatalf("coverage layer never drawn: %v", err)
			}
			type layerCounts struct {
				Communes, Coverage int
				Sites              sitesDrawn
				Note               string
				NoteVisible        bool
				Lang               string
			}
			got, err := chromedp.Run(tab, chromedp.Evaluate[layerCounts](`({
				communes: phusong.layers.communes.getLayers().length,
				coverage: phusong.layers.coverage.getLayers().length,
				sites: phusong.sitesDrawn(),
				note: document.getElementById('demo-note').textContent,
				noteVisible: document.getElementById('demo-note').getBoundingClientRect().height > 0,
				lang: document.documentElement.lang})`))
			if err != nil {
				t.Fatal(err)
			}
			// At province zoom the sites are clusters standing for every 4G site.
			if got.Communes != len(demoInput.Communes) || got.Coverage == 0 || got.Sites.Mode != "clusters" ||
				got.Sites.Sites != sitesWith(func(s data.Site) bool { return s.HasTech("4G") }) || got.Sites.Marks*5 > got.Sites.Sites {
				t.Fatalf("layers drawn: %+v; want %d communes, coverage, clusters of every 4G site", got, len(demoInput.Communes))
			}
			wantNote := map[string]string{"vi": "giả lập", "en": "synthetic"}[vp.lang]
			if !got.NoteVisible || !strings.Contains(got.Note, wantNote) || got.Lang != vp.lang {
				t.Fatalf("demo note visible=%v %q (want %q), lang %q", got.NoteVisible, got.Note, wantNote, got.Lang)
			}
			shot("loaded")

			// First page weight: everything transferred so far (page, scripts, styles, first
			// data), as the browser counts it (compressed bodies plus headers).
			weight, err := chromedp.Run(tab, chromedp.Evaluate[int](`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, e) => n + e.transferSize, 0)`))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("page load transferred %d bytes (%.1f KB; the desktop tab follows the phone tab in the same browser, so it revalidates from cache)", weight, float64(weight)/1024)
			if weight <= 0 || weight > 400*1024 {
				t.Fatalf("first load transferred %d bytes; the budget is 400 KB", weight)
			}

			// The layers panel holds the toggles and the full legend.
			if err := chromedp.Do(tab, press(`#layers-btn`)); err != nil {
				t.Fatal(err)
			}
			rows, err := chromedp.Run(tab, chromedp.Poll[int](`!document.getElementById('layers').hidden && document.querySelectorAll('#legend .lg-row').length`, chromedp.WithPollingTimeout(10*time.Second)))
			if err != nil || rows < 5+1 {
				t.Fatalf("layers panel legend: %d rows (%v)", rows, err)
			}
			shot("layers")
			if err := chromedp.Do(tab, press(`[data-close=layers]`)); err != nil {
				t.Fatal(err)
			}

			// Tapping a commune opens the sheet with its numbers, as the API gives them.
			pt, err := chromedp.Run(tab, chromedp.Evaluate[*pagePoint](tapPointJS))
			if err != nil || pt == nil {
				t.Fatalf("no tappable commune point (%v)", err)
			}
			want := decode[communeBody](t, get(t, ts.URL+"/api/v1/communes/"+pt.Code))
			m.tapMap("commune "+pt.Code, *pt)
			sheet, err := chromedp.Run(tab, chromedp.Poll[string](
				`!document.getElementById('sheet').hidden && document.querySelector('#sheet .kpis') && document.getElementById('sheet').innerText`,
				chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil {
				t.Fatalf("tapping commune %s at %.0f,%.0f opened no sheet: %v", pt.Code, pt.X, pt.Y, err)
			}
			s4 := want.Techs["4G"]
			areaPct := localPct(s4.CoveredAreaPct, vp.lang)
			for _, w := range []string{want.Name, areaPct} {
				if !strings.Contains(sheet, w) {
					t.Fatalf("commune sheet lacks %q:\n%s", w, sheet)
				}
			}
			shot("commune")

			// Tapping a site shows its carrier, technologies and sectors.
			if err := chromedp.Do(tab, press(`#sheet .close`)); err != nil {
				t.Fatal(err)
			}
			// Sites take taps from zoom 11.5 on; zoom to a town first.
			town := demoInput.Sites[0]
			if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void phusong.map().setView([%f, %f], 13, {animate: false})`, town.Lat, town.Lon))); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](`phusong.idle() && phusong.sitesTappable()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatal(err)
			}
			sp, err := chromedp.Run(tab, chromedp.Evaluate[*pagePoint](sitePointJS))
			if err != nil || sp == nil {
				t.Fatalf("no tappable site (%v)", err)
			}
			m.tapMap("site "+sp.Code, *sp)
			siteSheet, err := chromedp.Run(tab, chromedp.Poll[string](
				`!document.getElementById('sheet').hidden && document.querySelector('#sheet table') && document.getElementById('sheet').innerText`,
				chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil {
				t.Fatalf("tapping the site at %.0f,%.0f opened no sheet: %v", sp.X, sp.Y, err)
			}
			if !strings.Contains(siteSheet, "MHz") || !strings.Contains(siteSheet, "4G") {
				t.Fatalf("site sheet lacks sectors:\n%s", siteSheet)
			}
			shot("site")

			// "Here": the browser's position goes to /api/v1/signal.
			here := demoInput.Sites[0]
			if _, err := chromedp.CallBrowser(tab, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: ts.URL,
				BrowserContextID: browserContextOf(tab),
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(tab, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
				Latitude: new(here.Lat + 0.002), Longitude: new(here.Lon), Accuracy: new(10.0),
			}); err != nil {
				t.Fatal(err)
			}
			for _, sel := range []string{`#sheet .close`, `#here`} {
				pctx, pcancel := context.WithTimeout(tab, 15*time.Second)
				err := chromedp.Do(pctx, press(sel))
				pcancel()
				if err != nil {
					dbg, _ := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify({sheet: document.getElementById('sheet').hidden, body: document.body.className, here: document.getElementById('here').getBoundingClientRect(), disp: getComputedStyle(document.getElementById('here')).display})`))
					t.Fatalf("pressing %s: %v %s", sel, err, dbg)
				}
			}
			sig, err := chromedp.Run(tab, chromedp.Poll[string](
				`!document.getElementById('sheet').hidden && document.querySelector('#sheet td .ok, #sheet td .no') && document.getElementById('sheet').innerText`,
				chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil {
				t.Fatalf("the Here button gave no signal answer: %v", err)
			}
			if !strings.Contains(sig, "dBm") {
				t.Fatalf("signal sheet lacks levels:\n%s", sig)
			}
			shot("here")

			// The language toggle relabels the page; Vietnamese names keep their diacritics.
			other := map[string]string{"vi": "en", "en": "vi"}[vp.lang]
			if err := chromedp.Do(tab, press(`#lang`)); err != nil {
				t.Fatal(err)
			}
			title, err := chromedp.Run(tab, chromedp.Poll[string](`document.documentElement.lang === '`+other+`' && document.querySelector('#title span').textContent`, chromedp.WithPollingTimeout(10*time.Second)))
			if want := map[string]string{"vi": "Phủ sóng", "en": "Coverage"}[other]; err != nil || title != want {
				t.Fatalf("after the language toggle the title is %q (%v), want %q", title, err, want)
			}
			shot("here_" + other)

			// Other layers: one carrier, signal tiers, gaps, 3G.
			if err := chromedp.Do(tab, press(`[data-close=sheet]`), press(`#layers-btn`),
				chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('carrier'); s.value = 'viettel'; s.dispatchEvent(new Event('change')); })()`),
				press(`#covmode [data-cov=tiers]`), press(`#l-gaps`), press(`#techs [data-tech="3G"]`), press(`[data-close=layers]`),
			); err != nil {
				t.Fatal(err)
			}
			type toggled struct {
				Tiers, Gaps int
				Sites       sitesDrawn
				Legend      string
			}
			tg, err := chromedp.Run(tab, chromedp.Poll[*toggled](`phusong.layers.gaps && phusong.layers.coverage && phusong.state.tech === '3G' &&
				phusong.layers.coverage.getLayers().length > 1 && {tiers: phusong.layers.coverage.getLayers().length,
				gaps: phusong.layers.gaps.getLayers().length, sites: phusong.sitesDrawn(),
				legend: document.getElementById('legend').innerText}`, chromedp.WithPollingTimeout(30*time.Second)))
			if err != nil {
				t.Fatalf("layers after toggling: %v", err)
			}
			viettel3G := sitesWith(func(s data.Site) bool { return s.Carrier == "viettel" && s.HasTech("3G") })
			if tg.Tiers != 4 || tg.Gaps == 0 || tg.Sites.Sites != viettel3G || !strings.Contains(tg.Legend, "RSCP") {
				t.Fatalf("after toggling: %+v; want 4 tiers, gaps, %d Viettel 3G sites, an RSCP legend", tg, viettel3G)
			}
			shot("toggled")

			if errs := console.errors(); len(errs) > 0 {
				t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// localPct formats a percentage as the page does (one decimal, locale separator, NBSP, %).
func localPct(x float64, lang string) string {
	s := fmt.Sprintf("%.1f", x)
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "\u00a0%"
}

// sitesDrawn is phusong.sitesDrawn(): how the map draws the sites now.
type sitesDrawn struct {
	Mode  string // clusters or dots
	Marks int    // circles drawn
	Sites int    // sites they stand for
}

// sitesWith counts the demo's sites for which keep is true.
func sitesWith(keep func(data.Site) bool) int {
	n := 0
	for _, s := range demoInput.Sites {
		if keep(s) {
			n++
		}
	}
	return n
}
