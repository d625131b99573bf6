package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"phusong/data/fibre"
	"phusong/data/testenv"
)

// TestBrowserFibre drives the map's fibre layers in headless Chromium (the map's browser
// harness) against the demo with its synthetic fibre network, at a phone and a desktop
// viewport: nothing of fibre loads on first paint; the reach and route layers draw on demand
// (trunks at province zoom, the whole network and its access points in town); the communes
// colour by fibre reach and by the combined 4G × fibre view with its 2×2 legend and the
// list lacking both first; a commune's sheet shows its fibre figures as the API gives them.
func TestBrowserFibre(t *testing.T) {
	testenv.Heavy(t, "a browser test; TestBrowserMap, TestBrowserPeople, TestBrowserCSP and TestBrowserUploadPage run in a quick run")
	t.Parallel()
	needChromium(t)
	ts := newFibreServer(t)
	st := fibreState(t)
	root := newBrowser(t)
	for _, vp := range []viewport{{"phone", 360, 640, true, "vi"}, {"desktop", 1280, 800, false, "en"}} {
		t.Run(vp.name, func(t *testing.T) {
			b := openTab(t, root, vp, "map", ts.URL+"/?lang="+vp.lang, 3*time.Minute)
			tab := b.ctx
			b.ready()
			run, poll := b.do, b.poll

			// First paint fetches no fibre data.
			b.notLoaded("/fibre", "/combined")
			weight, err := chromedp.Run(tab, chromedp.Evaluate[int](`performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, e) => n + e.transferSize, 0)`))
			if err != nil || weight > 400*1024 {
				t.Fatalf("first paint transferred %d bytes (%v); the budget is 400 KB", weight, err)
			}
			t.Logf("first paint transferred %.1f KB (the desktop tab revalidates from the phone tab's cache)", float64(weight)/1024)

			// Reach and routes of any operator, at province zoom: reach polygons and trunks only.
			run(b.press(`#layers-btn`), b.press(`#l-fibre-reach`), b.press(`#l-fibre-routes`))
			poll("fibre layers drawn", `phusong.layers.fibreReach && phusong.layers.fibreRoutes && phusong.layers.fibreReach.getLayers().length > 0 &&
				JSON.stringify([phusong.layers.fibreReach.getLayers().length, phusong.layers.fibreRoutes.getLayers().map(g => g.getLayers().length)])`)
			trunks := poll("trunks", `JSON.stringify(phusong.layers.fibreRoutes.getLayers().map(g => g.getLayers().length))`)
			if want := fmt.Sprintf("[0,%d,%d]", countKind(st.Fibre, fibre.Feeder), countKind(st.Fibre, fibre.Backbone)); trunks != want {
				t.Errorf("route layers at province zoom (distribution, feeder, backbone): %s, want %s", trunks, want)
			}
			legend := poll("fibre legend", `document.getElementById('legend').innerText`)
			wantWords := map[string][]string{"vi": {"Trục chính", "Tuyến phân phối", "giả lập"}, "en": {"Backbone", "Distribution", "synthetic"}}[vp.lang]
			for _, w := range wantWords {
				if !strings.Contains(legend, w) {
					t.Errorf("legend lacks %q:\n%s", w, legend)
				}
			}
			run(chromedp.Evaluate[chromedp.Void](`document.getElementById('legend').scrollIntoView()`))
			b.shot("fibre_legend")
			run(b.press(`[data-close=layers]`))
			b.shot("fibre_layers")

			// In town: the whole network with its access points.
			run(chromedp.Evaluate[chromedp.Void](`void phusong.map().setView([9.935, 106.342], 13, {animate: false})`))
			town := poll("town routes", `phusong.idle() && phusong.layers.fibreRoutes.getLayers().length === 4 &&
				JSON.stringify(phusong.layers.fibreRoutes.getLayers().map(g => g.getLayers().length))`)
			if want := fmt.Sprintf("[%d,%d,%d,%d]", countKind(st.Fibre, fibre.Distribution), countKind(st.Fibre, fibre.Feeder),
				countKind(st.Fibre, fibre.Backbone), len(st.Fibre.AccessPoints)); town != want {
				t.Errorf("route layers in town: %s, want %s", town, want)
			}
			b.shot("fibre_town")
			run(chromedp.Evaluate[chromedp.Void](`void phusong.map().fitBounds(phusong.layers.communes.getBounds(), {animate: false})`))

			// Communes by fibre reach (the 4G polygons go off by themselves; the sites are turned
			// off here), then by the combined view at 90 %, with the list.
			// (The panel opens where it was left, scrolled to the legend: back to the top first, so
			// that no control hides under its sticky header.)
			run(b.press(`#layers-btn`), chromedp.Evaluate[chromedp.Void](`void (document.getElementById('layers').scrollTop = 0)`),
				b.press(`#l-fibre-routes`), b.press(`#l-fibre-reach`), b.press(`#l-sites`), b.press(`#choro [data-choro=fibre]`))
			fills := poll("fibre choropleth", `phusong.state.choro === 'fibre' && !phusong.layers.coverage && phusong.state.cov === 'off' &&
				String(new Set(phusong.layers.communes.getLayers().map(l => l.options.fillColor)).size)`)
			if fills == "1" {
				t.Error("every commune has the same fibre colour")
			}
			run(b.press(`[data-close=layers]`))
			b.shot("fibre_choropleth")
			run(b.press(`#layers-btn`), b.press(`#choro [data-choro=combined]`),
				chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('threshold'); s.value = '90'; s.dispatchEvent(new Event('change')); })()`))
			counts := poll("combined view", `phusong.state.combined && phusong.state.combined.threshold === 90 && JSON.stringify(phusong.state.combined.counts)`)
			cats := poll("commune colours", `String(new Set(phusong.layers.communes.getLayers().map(l => l.options.fillColor)).size)`)
			if !strings.Contains(counts, `"neither":`) || cats == "1" {
				t.Errorf("combined view: counts %s, %s colours", counts, cats)
			}
			grid := poll("2×2 legend", `document.querySelectorAll('#legend .bv-cell').length + ' ' + document.getElementById('legend').innerText`)
			if !strings.HasPrefix(grid, "4 ") {
				t.Errorf("combined legend: %s", grid)
			}
			run(chromedp.Evaluate[chromedp.Void](`document.getElementById('legend').scrollIntoView()`))
			b.shot("combined_legend")
			run(chromedp.Evaluate[chromedp.Void](`document.getElementById('combined-list').scrollIntoView({block: 'center'})`), b.press(`#combined-list`))
			list := poll("combined list", `!document.getElementById('sheet').hidden && document.querySelectorAll('#sheet tr.pick').length + '|' +
				document.querySelector('#sheet tr.pick').dataset.code`)
			if want := fmt.Sprintf("%d|%s", len(st.Communes), lackingFirst(t, ts.URL)); list != want {
				t.Errorf("combined list rows|first code: %s, want %s", list, want)
			}
			b.shot("combined_list")
			run(b.press(`#sheet .close`))
			b.shot("combined")

			// A commune's sheet has its fibre figures.
			pt, err := chromedp.Run(tab, chromedp.Evaluate[*pagePoint](tapPointJS))
			if err != nil || pt == nil {
				t.Fatalf("no tappable commune point (%v)", err)
			}
			want := decode[communeBody](t, get(t, ts.URL+"/api/v1/communes/"+pt.Code))
			b.tapMap("commune "+pt.Code, *pt)
			sheet := poll("commune sheet", `!document.getElementById('sheet').hidden && document.querySelectorAll('#sheet .kpis').length === 3 &&
				document.getElementById('sheet').innerText`) // people and area without 4G, coverage, fibre
			for _, w := range []string{want.Name, localPct(want.FibreReachPct, vp.lang), map[string]string{"vi": "Cáp quang", "en": "Fibre"}[vp.lang]} {
				if !strings.Contains(sheet, w) {
					t.Errorf("commune sheet lacks %q:\n%s", w, sheet)
				}
			}
			run(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#sheet .kcap')].pop().scrollIntoView()`))
			b.shot("fibre_commune")
			if errs := b.console.errors(); len(errs) > 0 {
				t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// countKind counts n's routes of kind k.
func countKind(n *fibre.Network, k fibre.Kind) int {
	c := 0
	for _, r := range n.Routes {
		if r.Kind == k {
			c++
		}
	}
	return c
}

// lackingFirst returns the first commune of the combined view at 90 % from the API.
func lackingFirst(t *testing.T, base string) string {
	t.Helper()
	c := decode[combinedBody](t, get(t, base+"/api/v1/combined?threshold_pct=90"))
	if len(c.Communes) == 0 {
		t.Fatal("empty combined view")
	}
	return c.Communes[0].Code
}
