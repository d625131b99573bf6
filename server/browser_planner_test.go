package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb/geojson"

	"phusong/data/testenv"
	"phusong/server/app"
)

// TestBrowserPlanner drives planner mode in headless Chromium against a server with a real
// database (the demo seeded): a planner token typed into the layers panel, a tap on the
// largest 4G dead-zone pocket adds a site, the sheet shows the people newly covered as the API
// computes them for that scenario, dragging the site re-evaluates it, the baseline/scenario
// toggle hides and shows the changed areas, and a suggestion run ends in five numbered markers.
func TestBrowserPlanner(t *testing.T) {
	testenv.Heavy(t, "a browser test; TestBrowserMap, TestBrowserPeople, TestBrowserCSP and TestBrowserUploadPage run in a quick run")
	t.Parallel()
	needChromium(t)
	e := newUploadEnv(t, Limits{})
	plain, _, err := e.db.CreatePlannerToken(context.Background(), "usf", "browser test")
	if err != nil {
		t.Fatal(err)
	}
	pockets, err := geojson.UnmarshalFeatureCollection(e.call(t, http.MethodGet, "/api/v1/pockets?tech=4G", "", nil).body)
	if err != nil || len(pockets.Features) == 0 {
		t.Fatalf("the demo's 4G pockets: %v", err)
	}
	lon, lat := pockets.Features[0].Properties.MustFloat64("centre_lon", 0), pockets.Features[0].Properties.MustFloat64("centre_lat", 0)
	root := newBrowser(t)
	for _, vp := range []viewport{{"desktop", 1280, 800, false, "en"}, {"phone", 360, 640, true, "vi"}} {
		t.Run(vp.name, func(t *testing.T) {
			b := openTab(t, root, vp, "planner", e.ts.URL+"/?lang="+vp.lang, 4*time.Minute)
			b.ready()
			b.notLoaded("planner.js", "/scenarios")
			b.do(b.press(`#layers-btn`), chromedp.SendKeys(chromedp.CSS(`#planner-token`), plain), b.press(`#planner-start`))
			// Planner mode has started when the baseline is evaluated and the layers panel closed:
			// the panel closes only then, and on a phone it lies over the upper half of the map,
			// where the tap below goes (under -race on a loaded machine the baseline's evaluation
			// took long enough for the tap to land on the panel and be lost).
			settled := `(async () => { const p = await phusong.planner(); return p.pl.pending === 0 && !p.pl.busy && phusong.idle() && 'ok'; })()`
			b.poll("planner started", `document.body.classList.contains('planning') && document.getElementById('plan-deltas') &&
				!document.getElementById('sheet').hidden && document.getElementById('layers').hidden &&
				document.querySelector('#plan-deltas[data-edits="0"]') && 'ok'`)
			b.poll("settled", settled)
			t.Logf("the baseline's evaluation: %s", b.poll("last", `(async () => JSON.stringify((await phusong.planner()).pl.last))()`))

			// Tap the largest pocket's centre (pan there first, so that it is on screen).
			// On a phone the sheet covers the lower half: bring the point to the middle of the rest.
			b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void (() => {
				const m = phusong.map();
				m.setView([%f, %f], 13, {animate: false});
				const r = m.getContainer().getBoundingClientRect(), sh = document.getElementById('sheet').getBoundingClientRect();
				const visibleH = sh.left > r.left + 10 ? r.height : Math.max(60, sh.top - r.top), p = m.latLngToContainerPoint([%f, %f]);
				m.panBy([p.x - r.width / 2, p.y - visibleH / 2], {animate: false});
			})()`, lat, lon, lat, lon)))
			pt, err := chromedp.Run(b.ctx, chromedp.Poll[*pagePoint](fmt.Sprintf(`phusong.idle() && (() => {
				const m = phusong.map(), r = m.getContainer().getBoundingClientRect(), p = m.latLngToContainerPoint([%f, %f]);
				return {X: r.left + p.x, Y: r.top + p.y};
			})()`, lat, lon), chromedp.WithPollingTimeout(10*time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			b.tapMap("the pocket's centre", *pt)
			kpi := b.poll("deltas after the tap", `document.querySelector('#plan-deltas[data-edits="1"] .kpi b') &&
				document.querySelector('#plan-deltas .kpi b').textContent !== '…' && document.querySelector('#plan-deltas .kpi b').textContent`)
			res := e.scenarioResult(t, plain)
			want := res.Province[1].Delta.CoveredPopulation
			if res.Province[1].Tech != "4G" || want <= 0 || kpi != "+"+localInt(want, vp.lang) {
				t.Fatalf("sheet says %q people newly covered, the API %+.1f", kpi, want)
			}
			b.poll("changed areas drawn", `phusong.layers.changes && phusong.layers.changes.getLayers().length > 0 && 'ok'`)
			b.shot("added")

			// Drag the site (desktop: a mouse drag of its marker) and see the figures move.
			if !vp.phone {
				b.do(chromedp.MouseEvent("mousePressed", pt.X, pt.Y, chromedp.ButtonLeft),
					chromedp.MouseEvent("mouseMoved", pt.X+40, pt.Y+10, chromedp.ButtonLeft),
					chromedp.MouseEvent("mouseMoved", pt.X+80, pt.Y+20, chromedp.ButtonLeft),
					chromedp.MouseEvent("mouseReleased", pt.X+80, pt.Y+20, chromedp.ButtonLeft))
				b.poll("moved site saved", fmt.Sprintf(`(async () => { const p = await phusong.planner(); const e = p.pl.edits[0];
					return p.pl.edits.length === 1 && Math.abs(e.lon - %f) > 1e-4 && !p.pl.busy && 'ok'; })()`, lon))
				moved := e.scenarioResult(t, plain).Province[1].Delta.CoveredPopulation
				b.poll("deltas after the drag", fmt.Sprintf(`document.querySelector('#plan-deltas .kpi b').textContent === %q && 'ok'`, "+"+localInt(moved, vp.lang)))
			}

			// Baseline hides the changed areas; scenario shows them again.
			b.poll("settled", settled)
			b.do(b.press(`#plan-view [data-view=baseline]`))
			b.poll("baseline view", `!phusong.layers.changes && 'ok'`)
			b.poll("settled", settled)
			b.do(b.press(`#plan-view [data-view=scenario]`))
			b.poll("scenario view", `phusong.layers.changes && 'ok'`)

			// Suggestions: five numbered markers with the people each gains.
			b.poll("settled", settled)
			b.do(b.press(`#plan-suggest`))
			n := b.poll("suggestions", `document.querySelectorAll('#plan-picks li').length === 5 && document.querySelectorAll('.plan-sugg').length + ''`)
			if n != "5" {
				t.Fatalf("%s suggestion markers", n)
			}
			b.shot("suggested")
			if errs := b.console.errors(); len(errs) > 0 {
				t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
			}
			// Start the next viewport from an empty scenario.
			sc := e.plannerScenario(t, plain)
			if r := e.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/scenarios/%d", sc.ID), plain, []byte(`{"edits": []}`)); r.status != http.StatusOK {
				t.Fatalf("clearing: %d %s", r.status, r.body)
			}
		})
	}
}

// plannerScenario is the planner's one scenario (the map's).
func (e *uploadEnv) plannerScenario(t *testing.T, token string) app.ScenarioInfo {
	t.Helper()
	var list struct{ Scenarios []app.ScenarioInfo }
	if r := e.call(t, http.MethodGet, "/api/v1/scenarios", token, nil); r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil || len(list.Scenarios) != 1 {
		t.Fatalf("scenarios: %d %s", r.status, r.body)
	}
	return list.Scenarios[0]
}

// scenarioResult evaluates the planner's scenario through the API.
func (e *uploadEnv) scenarioResult(t *testing.T, token string) app.ScenarioResult {
	t.Helper()
	var res app.ScenarioResult
	r := e.call(t, http.MethodGet, fmt.Sprintf("/api/v1/scenarios/%d/result", e.plannerScenario(t, token).ID), token, nil)
	if r.status != http.StatusOK || json.Unmarshal(r.body, &res) != nil {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	return res
}
