package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"phusong/data/testenv"
)

// TestBrowserCoverageTiles opens the map zoomed in on Trà Vinh city (#map=14/…) with its coverage
// from vector tiles (?coverage=tiles): the page asks for the threshold tiles of 4G any-carrier
// coverage at zoom 14, paints them (pixels in the coverage colour on the tile canvases) and logs
// no error; switching to 3G asks for the 3G collection's tiles.
func TestBrowserCoverageTiles(t *testing.T) {
	testenv.Heavy(t, "a browser test; TestBrowserMap, TestBrowserPeople, TestBrowserCSP and TestBrowserUploadPage run in a quick run")
	t.Parallel()
	needChromium(t)
	_, ts := newTestServer(t)
	root := newBrowser(t)
	m := openTab(t, root, viewport{"phone", 360, 640, true, "en"}, "tiles", ts.URL+"/?lang=en&coverage=tiles#map=14/9.935/106.345", 3*time.Minute)
	m.ready()
	if _, err := chromedp.Run(m.ctx, chromedp.Poll[bool](`performance.getEntriesByName('coverage-drawn').length > 0`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("coverage tiles never drawn: %v; console %v", err, m.console.errors())
	}
	type state struct {
		Zoom    float64
		Tiles   []string
		Painted int // tile canvases with pixels of the any-carrier colour #0b5394
	}
	got, err := chromedp.Run(m.ctx, chromedp.Evaluate[state](`(() => {
		const tiles = performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('/tiles/'));
		let painted = 0;
		document.querySelectorAll('.leaflet-pane canvas.leaflet-tile').forEach((c) => {
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			for (let i = 0; i < d.length; i += 4 * 97) {
				if (d[i + 3] > 0 && d[i + 2] > d[i] && Math.abs(d[i] - 11) < 8 && Math.abs(d[i + 1] - 83) < 8 && Math.abs(d[i + 2] - 148) < 8) { painted++; break; }
			}
		});
		return { zoom: phusong.map().getZoom(), tiles, painted };
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Zoom != 14 || len(got.Tiles) == 0 || got.Painted == 0 {
		t.Fatalf("zoom %v, %d tile requests, %d painted tiles", got.Zoom, len(got.Tiles), got.Painted)
	}
	for _, u := range got.Tiles {
		if !strings.Contains(u, "/tiles/coverage_any_4g/14/") || !strings.HasSuffix(u, ".mvt?tier=0") {
			t.Errorf("unexpected tile request %s", u)
		}
	}
	m.shot("z14")
	if err := chromedp.Do(m.ctx, m.press(`#techs button[data-tech="3G"]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(m.ctx, chromedp.Poll[bool](`performance.getEntriesByType('resource').some((r) => r.name.includes('/tiles/coverage_any_3g/14/'))`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("no 3G tiles after switching: %v", err)
	}
	if errs := m.console.errors(); len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
}
