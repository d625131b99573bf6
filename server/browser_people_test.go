package server

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb/geojson"
)

// pocketPointJS finds a point of the page inside the largest pocket drawn (an even-odd test on
// its rings, sampled over its bounds) with 3 px of it all round, where a tap reaches the map.
const pocketPointJS = `(() => {
  const m = phusong.map(), rect = m.getContainer().getBoundingClientRect(), fc = phusong.state.pockets;
  const f = fc.features[0], polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  const inRing = (x, y, r) => { let c = false; for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    if ((r[i][1] > y) !== (r[j][1] > y) && x < (r[j][0] - r[i][0]) * (y - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]) c = !c; } return c; };
  const inside = (lon, lat) => polys.some(p => p.reduce((c, r) => c !== inRing(lon, lat, r), false));
  const b = L.geoJSON(f).getBounds();
  for (let k = 0; k < 4000; k++) {
    const lat = b.getSouth() + (b.getNorth() - b.getSouth()) * ((k * 0.6180339887) % 1), lon = b.getWest() + (b.getEast() - b.getWest()) * ((k * 0.7548776662) % 1);
    if (!inside(lon, lat)) continue;
    const p = m.latLngToContainerPoint([lat, lon]);
    if (![[3, 0], [-3, 0], [0, 3], [0, -3]].every(([dx, dy]) => { const q = m.containerPointToLatLng([p.x + dx, p.y + dy]); return inside(q.lng, q.lat); })) continue;
    if (p.x < 40 || p.y < 60 || p.x > rect.width - 40 || p.y > rect.height - 100) continue;
    const el = document.elementFromPoint(rect.left + p.x, rect.top + p.y);
    if (!el || !el.closest('#map') || el.closest('.leaflet-control') || el.closest('.pocket-label')) continue;
    // Not under a site or a cluster of sites (canvas circles, which take the tap first).
    let underSite = false;
    if (phusong.layers.sites) phusong.layers.sites.eachLayer((s) => {
      if (s instanceof L.CircleMarker && m.latLngToContainerPoint(s.getLatLng()).distanceTo(p) < s.getRadius() + 6) underSite = true;
    });
    if (underSite) continue;
    return {x: rect.left + p.x, y: rect.top + p.y, code: f.properties.commune, score: 0};
  }
  return null;
})()`

// TestBrowserPeople drives the map's people layers in headless Chromium against the demo (its
// synthetic population grid) at a phone and a desktop viewport: nothing of them loads on first
// paint; the density image draws over the province with its legend; the 4G pockets draw with
// their people as labels; tapping the largest opens its sheet with the API's figures; a
// commune's sheet shows its people without 4G first and lists its pockets.
func TestBrowserPeople(t *testing.T) {
	t.Parallel()
	needChromium(t)
	_, ts := newTestServer(t)
	root := newBrowser(t)
	pockets, err := geojson.UnmarshalFeatureCollection(get(t, ts.URL+"/api/v1/pockets?tech=4G").body)
	if err != nil || len(pockets.Features) == 0 {
		t.Fatalf("the demo's 4G pockets: %v (%d)", err, len(pockets.Features))
	}
	for _, vp := range []viewport{{"phone", 360, 640, true, "vi"}, {"desktop", 1280, 800, false, "en"}} {
		t.Run(vp.name, func(t *testing.T) {
			b := openTab(t, root, vp, "map", ts.URL+"/?lang="+vp.lang, 3*time.Minute)
			tab := b.ctx
			b.ready()
			run, poll := b.do, b.poll
			b.notLoaded("/pockets", "/population", "people.js")

			// Density: the image overlay covers the province's bounds and has loaded.
			run(b.press(`#layers-btn`), b.press(`#l-density`))
			size := poll("density image", `phusong.layers.density && phusong.layers.density.getElement() &&
				phusong.layers.density.getElement().complete && phusong.layers.density.getElement().naturalWidth > 0 &&
				phusong.layers.density.getElement().naturalWidth + 'x' + phusong.layers.density.getElement().naturalHeight`)
			img := decode[populationBody](t, get(t, ts.URL+"/api/v1/population")).Image
			if size != fmt.Sprintf("%dx%d", img.Width, img.Height) {
				t.Errorf("density image %s, the API says %d × %d", size, img.Width, img.Height)
			}
			legend := poll("density legend", `document.getElementById('legend').innerText`)
			for _, w := range map[string][]string{"vi": {"Mật độ dân số", "người/km²", "giả lập"}, "en": {"Population density", "people/km²", "synthetic"}}[vp.lang] {
				if !strings.Contains(legend, w) {
					t.Errorf("legend lacks %q:\n%s", w, legend)
				}
			}

			// Pockets: drawn with the people of the largest as labels.
			run(b.press(`#l-pockets`), b.press(`[data-close=layers]`))
			labels := poll("pocket labels", `phusong.layers.pockets && document.querySelectorAll('.pocket-label').length > 0 &&
				JSON.stringify([...document.querySelectorAll('.pocket-label')].map(e => e.textContent))`)
			top := pockets.Features[0].Properties.MustFloat64("people", 0)
			if !strings.Contains(labels, localInt(top, vp.lang)) {
				t.Errorf("labels %s lack the largest pocket's %s people", labels, localInt(top, vp.lang))
			}
			b.shot("pockets")

			// Tapping the largest pocket opens its sheet.
			// Zoomed out on a phone the site clusters may cover it all: zoom in on it, as a user would.
			pt, err := chromedp.Run(tab, chromedp.Evaluate[*pagePoint](pocketPointJS))
			for zoomIns := 0; err == nil && pt == nil && zoomIns < 3; zoomIns++ {
				run(chromedp.Evaluate[chromedp.Void](`void phusong.map().setView(L.geoJSON(phusong.state.pockets.features[0]).getBounds().getCenter(), phusong.map().getZoom() + 1, {animate: false})`))
				poll("pockets after zooming in", `phusong.layers.pockets && document.querySelectorAll('.pocket-label').length > 0 && 'ok'`)
				pt, err = chromedp.Run(tab, chromedp.Evaluate[*pagePoint](pocketPointJS))
			}
			if err != nil || pt == nil {
				t.Fatalf("no tappable point in the largest pocket (%v)", err)
			}
			b.tapMap("the largest pocket", *pt)
			sheet := poll("pocket sheet", `!document.getElementById('sheet').hidden && document.getElementById('sheet-title').textContent.includes('#1') &&
				document.getElementById('sheet').innerText`)
			for _, w := range []string{localInt(top, vp.lang), pockets.Features[0].Properties.MustString("commune_name", "")} {
				if !strings.Contains(sheet, w) {
					t.Errorf("pocket sheet lacks %q:\n%s", w, sheet)
				}
			}
			b.shot("pocket")

			// The commune of that pocket: its people without 4G first, and its pockets listed.
			run(b.press(`#sheet .close`))
			code := pockets.Features[0].Properties.MustString("commune", "")
			want := decode[communeBody](t, get(t, ts.URL+"/api/v1/communes/"+code)).Techs["4G"]
			run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void import('./assets/map/commune.js').then(m => m.showCommune(%q))`, code)))
			kpi := poll("commune sheet", `!document.getElementById('sheet').hidden && document.querySelector('#sheet .kpis.two b') &&
				document.querySelector('#sheet tr.pick') && document.querySelector('#sheet .kpis.two b').textContent`)
			if kpi != localInt(want.UncoveredPopulation, vp.lang) {
				t.Errorf("the commune sheet's first figure is %q, want the people without 4G %s", kpi, localInt(want.UncoveredPopulation, vp.lang))
			}
			b.shot("commune_pockets")
			if errs := b.console.errors(); len(errs) > 0 {
				t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// localInt formats a whole number as the page does (grouping by the language's separator).
func localInt(x float64, lang string) string {
	s := fmt.Sprintf("%d", int64(math.Round(x)))
	sep := map[string]string{"vi": ".", "en": ","}[lang]
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}
