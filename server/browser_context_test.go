package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/testenv"
)

// markCoverJS measures, on a 3 px lattice over the map, the share of the province's pixels
// (inside a commune) that site marks cover: as drawn now, and as one dot per site would (radius
// and stroke of the dots at this zoom).
const markCoverJS = `(() => {
  const m = phusong.map(), size = m.getSize(), drawn = [], dots = [];
  phusong.layers.sites.eachLayer(l => {
    if (l instanceof L.CircleMarker) { const p = m.latLngToContainerPoint(l.getLatLng()); drawn.push([p.x, p.y, l.getRadius() + l.options.weight / 2]); }
  });
  const r = (m.getZoom() >= 14 ? 7 : m.getZoom() >= 12.5 ? 5 : m.getZoom() >= 11 ? 3.5 : 2.5) + 0.25;
  for (const f of phusong.state.sites.features) {
    const p = f.properties;
    if (p.technologies.indexOf(phusong.state.tech) < 0 || (phusong.state.carrier !== 'any' && p.carrier !== phusong.state.carrier)) continue;
    const c = m.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
    dots.push([c.x, c.y, r]);
  }
  const covered = (marks, x, y) => marks.some(([mx, my, mr]) => (mx - x) ** 2 + (my - y) ** 2 <= mr * mr);
  let land = 0, byDrawn = 0, byDots = 0;
  for (let y = 0; y < size.y; y += 3) for (let x = 0; x < size.x; x += 3) {
    if (!phusong.communeAt(m.containerPointToLatLng([x, y]))) continue;
    land++;
    if (covered(drawn, x, y)) byDrawn++;
    if (covered(dots, x, y)) byDots++;
  }
  return {drawn: byDrawn / land, dots: byDots / land, land};
})()`

// TestBrowserSitesByZoomAndContext serves the demo with the real national roads as the context
// layer (loaded at run time from ../shared/data) and checks, at phone and desktop sizes: the
// roads are drawn, credited and in the legend; at province zoom the sites are numbered clusters
// that stand for every site and cover less of the commune colours than dots would; a tap on a
// cluster zooms in to it; at town zoom every site is a dot; the context layer can be turned off.
func TestBrowserSitesByZoomAndContext(t *testing.T) {
	testenv.Heavy(t, "a browser test; TestBrowserMap, TestBrowserPeople, TestBrowserCSP and TestBrowserUploadPage run in a quick run")
	t.Parallel()
	needChromium(t)
	roads, err := input.LoadContextFile(testenv.SharedFile(t, "travinh/national_roads.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	const credit = "Roads © CTU-SematX LegoCity, CC BY 4.0"
	_, ts := serveState(t, demoState(t), Options{Context: roads, ContextAttribution: credit})
	root := newBrowser(t)
	for _, vp := range []viewport{{"phone", 360, 640, true, "en"}, {"desktop", 1280, 800, false, "vi"}} {
		t.Run(vp.name, func(t *testing.T) {
			b := openTab(t, root, vp, "context", ts.URL+"/?lang="+vp.lang, 3*time.Minute)
			b.ready()
			type first struct {
				Roads       int
				Attribution string
				Sites       sitesDrawn
			}
			got, err := chromedp.Run(b.ctx, chromedp.Poll[*first](`phusong.layers.context && phusong.idle() && {roads: phusong.layers.context.getLayers().length,
				attribution: document.querySelector('.leaflet-control-attribution').innerText, sites: phusong.sitesDrawn()}`, chromedp.WithPollingTimeout(30*time.Second)))
			if err != nil {
				t.Fatalf("context layer not drawn: %v", err)
			}
			all4G := sitesWith(func(s data.Site) bool { return s.HasTech("4G") })
			if got.Roads != len(roads.Features) || !strings.Contains(got.Attribution, credit) ||
				got.Sites.Mode != "clusters" || got.Sites.Sites != all4G || got.Sites.Marks*5 > all4G {
				t.Fatalf("at province zoom: %+v; want %d roads, the credit, clusters of %d sites", got, len(roads.Features), all4G)
			}
			type cover struct {
				Drawn, Dots float64
				Land        int
			}
			c, err := chromedp.Run(b.ctx, chromedp.Evaluate[cover](markCoverJS))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, zoom %s: site marks cover %.1f %% of the province's pixels as %d clusters, %.1f %% as %d dots (%d samples)",
				vp.name, zoomOf(t, b), 100*c.Drawn, got.Sites.Marks, 100*c.Dots, got.Sites.Sites, c.Land)
			if c.Land < 1000 || c.Drawn >= c.Dots {
				t.Fatalf("clusters cover %.3f of the province, dots %.3f (%d samples): the clusters must hide less", c.Drawn, c.Dots, c.Land)
			}
			if err := chromedp.Do(b.ctx, b.press(`#layers-btn`)); err != nil {
				t.Fatal(err)
			}
			legend, err := chromedp.Run(b.ctx, chromedp.Poll[string](`!document.getElementById('layers').hidden && document.getElementById('legend').innerText`, chromedp.WithPollingTimeout(10*time.Second)))
			want := map[string][]string{"en": {"Roads and rivers", "Road", "tap to zoom in"}, "vi": {"Đường, sông", "Đường", "chạm để phóng to"}}[vp.lang]
			for _, w := range want {
				if err != nil || !strings.Contains(legend, w) {
					t.Fatalf("legend lacks %q (%v):\n%s", w, err, legend)
				}
			}
			b.shot("legend")
			if err := chromedp.Do(b.ctx, b.press(`[data-close=layers]`)); err != nil {
				t.Fatal(err)
			}
			b.shot("province")

			// A tap on the biggest cluster zooms in to its sites.
			zoom0 := zoomOf(t, b)
			pt, err := chromedp.Run(b.ctx, chromedp.Evaluate[*pagePoint](`(() => {
			  const m = phusong.map(), rect = m.getContainer().getBoundingClientRect();
			  let best = null;
			  phusong.layers.sites.eachLayer(l => {
			    if (!(l instanceof L.CircleMarker) || !l.options.sites) return;
			    const p = m.latLngToContainerPoint(l.getLatLng());
			    const el = document.elementFromPoint(rect.left + p.x, rect.top + p.y);
			    if (!el || !el.closest('#map') || el.closest('.leaflet-control')) return;
			    if (!best || l.options.sites > best.score) best = {x: rect.left + p.x, y: rect.top + p.y, code: '', score: l.options.sites};
			  });
			  return best;
			})()`))
			if err != nil || pt == nil {
				t.Fatalf("no cluster to tap (%v)", err)
			}
			b.tapMap("the biggest cluster", *pt)
			if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`phusong.idle() && phusong.map().getZoom() > `+zoom0, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
				t.Fatalf("tapping a cluster of %.0f sites did not zoom in from %s: %v", pt.Score, zoom0, err)
			}
			if open, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!document.getElementById('sheet').hidden`)); open {
				t.Error("tapping a cluster opened a sheet instead of only zooming in")
			}
			b.shot("cluster_tapped")

			// At town zoom every site is a dot.
			town := demoInput.Sites[0]
			if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void phusong.map().setView([%f, %f], 13, {animate: false})`, town.Lat, town.Lon))); err != nil {
				t.Fatal(err)
			}
			dots, err := chromedp.Run(b.ctx, chromedp.Poll[*sitesDrawn](`phusong.idle() && phusong.state.siteMode === 'dots' && phusong.sitesDrawn()`, chromedp.WithPollingTimeout(15*time.Second)))
			if err != nil || dots.Marks != all4G || dots.Sites != all4G {
				t.Fatalf("at zoom 13: %+v (%v); want %d dots", dots, err, all4G)
			}
			b.shot("town")

			// The context layer can be turned off and on.
			for _, on := range []bool{false, true} {
				if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](`(() => { const c = document.getElementById('l-context'); c.checked = `+fmt.Sprint(on)+`; c.dispatchEvent(new Event('change')); })()`)); err != nil {
					t.Fatal(err)
				}
				if drawn, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!!phusong.layers.context`)); drawn != on {
					t.Fatalf("context box %v: layer drawn %v", on, drawn)
				}
			}
			if errs := b.console.errors(); len(errs) > 0 {
				t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// zoomOf is the map's zoom, as JavaScript prints it.
func zoomOf(t *testing.T, b *browserTab) string {
	t.Helper()
	z, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(phusong.map().getZoom())`))
	if err != nil {
		t.Fatal(err)
	}
	return z
}
