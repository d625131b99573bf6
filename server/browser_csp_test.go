package server

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// cspRecorderJS runs before a page's own scripts (openTab adds it to every page): it keeps
// every Content-Security-Policy violation in window.cspViolations.
const cspRecorderJS = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));`

// tileServer serves a plain 256 px PNG for every tile and counts the tiles asked for.
func tileServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range img.Pix {
		img.Pix[i] = []uint8{0xe4, 0xea, 0xd8, 0xff}[i%4]
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(b.Bytes())
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// TestBrowserCSP serves the map (with a base map from a tile server of another origin, and
// the fibre demo) and the upload page under the Content-Security-Policy the server sends on
// every answer (security.go): scripts, styles, data and images from the page's origin only,
// plus the tiles' origin and data: URLs for images, no inline script. A walk through every
// kind of DOM the pages build (legends, sheets, lists, tables, the upload report and errors)
// must cause no violation and no console error.
func TestBrowserCSP(t *testing.T) {
	t.Parallel()
	needChromium(t)
	tiles, tileCount := tileServer(t)
	credit := `&copy; <a href="https://example.org/">Test tiles</a>` // HTML, as serve --tiles-attribution takes it
	s, _ := serveState(t, fibreState(t), Options{TilesURL: tiles.URL + "/{z}/{x}/{y}.png", TilesAttribution: credit})
	mapTS := httptest.NewServer(s.Handler())
	t.Cleanup(mapTS.Close)
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	uploadTS := e.ts
	// Leaflet blanks a tile it drops with a data: GIF, so images may also be data: URLs.
	policy := get(t, mapTS.URL+"/").header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "style-src 'self';", "img-src 'self' data: " + tiles.URL + ";"} {
		if !strings.Contains(policy, want) {
			t.Fatalf("the map page is served with policy %q, which lacks %q", policy, want)
		}
	}
	if up := get(t, uploadTS.URL+"/upload").header.Get("Content-Security-Policy"); !strings.Contains(up, "script-src 'self';") {
		t.Fatalf("the upload page is served with policy %q", up)
	}
	root := newBrowser(t)
	vp := viewport{"phone", 360, 640, true, "en"}

	// step is one action on a page and what must hold after it (polled).
	type step struct{ what, do, until string }
	walk := func(t *testing.T, b *browserTab, steps ...step) {
		t.Helper()
		for _, st := range steps {
			if st.do != "" {
				if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](st.do)); err != nil {
					t.Fatalf("%s: %v", st.what, err)
				}
			}
			if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](st.until, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
				t.Fatalf("%s: %s never held: %v", st.what, st.until, err)
			}
		}
	}
	// clean fails on any violation or console error the tab has seen (it ends the tab's
	// console watch: call it last).
	clean := func(t *testing.T, b *browserTab) {
		t.Helper()
		violations, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
		if err != nil {
			t.Fatal(err)
		}
		var errs []string
		for _, m := range b.console.errors() {
			if !strings.Contains(m, "422") { // an invalid upload's answer, logged as a failed load
				errs = append(errs, m)
			}
		}
		if len(violations) > 0 || len(errs) > 0 {
			t.Fatalf("under %q: %d violations, %d console errors; the first:\n%s\n%s", policy, len(violations), len(errs),
				strings.Join(violations[:min(len(violations), 10)], "\n"), strings.Join(errs[:min(len(errs), 10)], "\n"))
		}
	}
	click := func(css string) string { return fmt.Sprintf(`document.querySelector(%q).click()`, css) }
	sheetHas := func(css string) string {
		return fmt.Sprintf(`!document.getElementById('sheet').hidden && !!document.querySelector('#sheet %s')`, css)
	}

	t.Run("map", func(t *testing.T) {
		b := openTab(t, root, vp, "csp", mapTS.URL+"/?lang="+vp.lang, 3*time.Minute)
		b.ready()
		site := demoInput.Sites[0]
		walk(t, b, []step{
			{"tiles and their credit", "", `document.querySelectorAll('.leaflet-tile-loaded').length > 0 &&
				document.querySelector('.leaflet-control-attribution').innerText === 'Leaflet | © Test tiles' &&
				!!document.querySelector('.leaflet-control-attribution a[href="https://example.org/"]')`},
			{"layers panel", click("#layers-btn"), `document.querySelectorAll('#legend .lg-row').length > 5`},
			{"signal tiers and gaps", click("#covmode [data-cov=tiers]") + `; ` + click("#l-gaps"),
				`!!(phusong.layers.gaps && phusong.layers.coverage && phusong.layers.coverage.getLayers().length > 1)`},
			{"fibre layers", click("#l-fibre-reach") + `; ` + click("#l-fibre-routes"),
				`!!(phusong.layers.fibreReach && phusong.layers.fibreRoutes) && document.getElementById('legend').innerText.includes('Cabinet')`},
			{"fibre colouring", click("#choro [data-choro=fibre]"), `document.querySelectorAll('#mini-legend .ramp span').length === 5`},
			{"combined view", click("#choro [data-choro=combined]"), `!!phusong.state.combined && document.querySelectorAll('#legend .bv-cell').length === 4`},
			{"combined list", click("#combined-list"), sheetHas("tr.pick")},
			{"a commune from the list", click("#sheet tr.pick"), sheetHas(".kpis")},
			{"a commune tapped on the map, then its signal", fmt.Sprintf(`(() => { const m = phusong.map(), f = phusong.layers.communes.getLayers()[0];
				document.querySelector('#sheet .close').click(); m.fire('click', {latlng: f.getBounds().getCenter()}); })()`),
				sheetHas("#sig-here")},
			{"signal", click("#sig-here"), sheetHas("td .ok, td .no")},
			{"a site", fmt.Sprintf(`void phusong.map().setView([%f, %f], 14, {animate: false})`, site.Lat, site.Lon),
				`phusong.idle() && phusong.sitesTappable() && (phusong.layers.sites.getLayers()[0].fire('click'), true)`},
			{"site sheet", "", sheetHas("td.n")},
			{"demo note", click("#demo-more"), `document.getElementById('sheet-body').innerText.length > 20`},
			{"language", click("#lang"), `document.documentElement.lang === 'vi' && document.querySelector('#title span').textContent === 'Phủ sóng'`},
		}...)
		if tileCount.Load() == 0 {
			t.Fatal("no tile was asked for")
		}
		b.shot("walked")
		clean(t, b)
	})

	t.Run("upload", func(t *testing.T) {
		dir := t.TempDir()
		good := filepath.Join(dir, "good.csv")
		if err := os.WriteFile(good, sitesCSV(t, genSites("viettel", 3, 2)), 0o644); err != nil {
			t.Fatal(err)
		}
		bad, err := filepath.Abs(filepath.Join(corpusDir, "unknown_tech.csv"))
		if err != nil {
			t.Fatal(err)
		}
		b := openTab(t, root, vp, "csp", uploadTS.URL+"/upload?lang=en", 2*time.Minute)
		state := func(s string) string { return `document.body.dataset.state === '` + s + `'` }
		walk(t, b, []step{
			{"ready", "", `document.body.dataset.ready === 'true'`},
			{"token", fmt.Sprintf(`document.getElementById('token').value = %q; `, e.tok["viettel"]) + click("#token-check"),
				`document.getElementById('who').textContent.includes('Viettel') && document.querySelectorAll('#history-table tbody tr').length > 0`},
		}...)
		for _, f := range []struct{ file, state, until string }{
			{good, "checked", `document.querySelectorAll('#result table').length >= 2`},
			{bad, "invalid", `document.getElementById('result-body').innerText.includes('6G')`},
		} {
			if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{f.file})); err != nil {
				t.Fatal(err)
			}
			walk(t, b, step{"check " + filepath.Base(f.file), click("#check"), state(f.state) + " && " + f.until})
		}
		clean(t, b)
	})
}
