package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserUploadPage drives the carrier upload page in headless Chromium (the map's
// browser harness) at a phone and a desktop viewport: paste a token, pick a file, preview
// (dry run: counts and the impact table), apply, and see a bad file's errors by line and
// field. The applied sites must then be served by the API. The carrier is I-Telecom, whose 25
// demo stations leave room for five new ones to change its coverage.
func TestBrowserUploadPage(t *testing.T) {
	t.Parallel()
	needChromium(t)
	e := newUploadEnv(t, Limits{TokenRatePerMinute: -1})
	const carrier = "itelecom"
	token, info, err := e.db.CreateToken(t.Context(), carrier, false, "browser test")
	if err != nil {
		t.Fatal(err)
	}
	if idx := get(t, e.ts.URL+"/"); !strings.Contains(string(idx.body), `href="upload"`) {
		t.Fatal("the map page has no link to the upload page")
	}
	art := artifactsDir(t)
	dir := t.TempDir()
	bad, err := filepath.Abs(filepath.Join(corpusDir, "unknown_tech.csv"))
	if err != nil {
		t.Fatal(err)
	}
	root := newBrowser(t)
	cases := []struct {
		vp  viewport
		gen int
	}{
		{viewport{"phone", 360, 640, true, "vi"}, 9},
		{viewport{"desktop", 1280, 800, false, "en"}, 10},
	}
	for _, tc := range cases {
		vp := tc.vp
		t.Run(vp.name, func(t *testing.T) {
			sites := genSites(carrier, tc.gen, 5)
			good := filepath.Join(dir, vp.name+".csv")
			if err := os.WriteFile(good, sitesCSV(t, sites), 0o644); err != nil {
				t.Fatal(err)
			}
			tab, cancel := chromedp.NewContext(root)
			defer cancel()
			tab, cancelTimeout := context.WithTimeout(tab, 2*time.Minute)
			defer cancelTimeout()
			console := watchConsole(tab)
			press := func(css string) chromedp.Action[chromedp.Void] {
				if vp.phone {
					return chromedp.Tap(chromedp.CSS(css))
				}
				return chromedp.Click(chromedp.CSS(css))
			}
			waitState := func(want string) {
				t.Helper()
				got, err := chromedp.Run(tab, chromedp.Poll[string](`(s => s === 'checking' || s === 'applying' ? false : s)(document.body.dataset.state)`,
					chromedp.WithPollingTimeout(60*time.Second)))
				if err != nil || got != want {
					text, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('result').innerText`))
					t.Fatalf("page state %q (%v), want %q; result:\n%s", got, err, want, text)
				}
			}
			shot := func(name string) {
				t.Helper()
				if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](`void window.scrollTo(0, 0)`)); err != nil {
					t.Fatal(err)
				}
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(art, "upload_"+vp.name+"_"+name+".png")
				if err := os.WriteFile(p, png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot %s", p)
			}
			opts := []chromedp.EmulateViewportOption{}
			if vp.phone {
				opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(tab,
				chromedp.EmulateViewport(vp.width, vp.height, opts...),
				chromedp.Navigate(e.ts.URL+"/upload?lang="+vp.lang),
			); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.body.dataset.ready === 'true'`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
				t.Fatalf("upload page not ready: %v; console: %v", err, console.errors())
			}

			// The token is checked and kept for this tab only.
			if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`#token`), token), press(`#token-check`)); err != nil {
				t.Fatal(err)
			}
			who, err := chromedp.Run(tab, chromedp.Poll[string](`(s => s.indexOf('I-Telecom') >= 0 && s)(document.getElementById('who').textContent)`,
				chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil || !strings.Contains(who, info.ID) {
				t.Fatalf("token not accepted: %q (%v)", who, err)
			}
			type stores struct{ Session, Local, Field string }
			got, err := chromedp.Run(tab, chromedp.Evaluate[stores](`({session: sessionStorage.getItem('phusong.token') || '',
				local: JSON.stringify(localStorage), field: document.getElementById('token').value})`))
			if err != nil || got.Session != token || strings.Contains(got.Local, "phs_") || got.Field != "" {
				t.Fatalf("token storage: session %v, localStorage %q, field %q (%v)", got.Session != "", got.Local, got.Field, err)
			}

			// Preview an upsert of five new sites: counts, the pockets per technology and the
			// commune impact table.
			if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{good}),
				press(`input[name=mode][value=upsert]`), press(`#check`)); err != nil {
				t.Fatal(err)
			}
			waitState("checked")
			type preview struct {
				Added    string
				Communes int
				Pockets  int
				Apply    bool
			}
			pv, err := chromedp.Run(tab, chromedp.Evaluate[preview](`({
				added: document.querySelector('#result .kpi b').textContent,
				communes: document.querySelectorAll('#impact-communes tbody tr').length,
				pockets: [...document.querySelectorAll('#result h3')].filter(h => h.nextElementSibling && h.nextElementSibling.querySelectorAll('tbody tr').length === 2 &&
					/pocket|lõm/.test(h.textContent)).length,
				apply: !document.getElementById('apply-row').hidden})`))
			if err != nil || pv.Added != "5" || pv.Communes == 0 || pv.Pockets != 1 || !pv.Apply {
				t.Fatalf("preview %+v (%v): want 5 added, commune rows, a pockets table of 3G and 4G, an Apply button", pv, err)
			}
			if ids, _ := siteIDsOf(t, e.ts.URL, carrier); slices.Contains(ids, sites[0].SiteID) {
				t.Fatal("the preview changed the served sites")
			}
			shot("preview")

			// Apply: the API serves the new sites at once.
			if err := chromedp.Do(tab, press(`#apply`)); err != nil {
				t.Fatal(err)
			}
			waitState("applied")
			ids, _ := siteIDsOf(t, e.ts.URL, carrier)
			for _, s := range sites {
				if !slices.Contains(ids, s.SiteID) {
					t.Fatalf("applied, but %s is not served", s.SiteID)
				}
			}
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.querySelectorAll('#history-table [data-rollback]').length > 0`,
				chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatalf("no upload history with rollback buttons: %v", err)
			}
			shot("applied")

			// Undo the upload from the history: the list is as it was right before it, the page
			// and the history say so.
			upID, err := chromedp.Run(tab, chromedp.Evaluate[string](`(b => b ? b.dataset.undo : '')(document.querySelector('#history-table [data-undo]'))`))
			if err != nil || upID == "" {
				t.Fatalf("no undo button in the history (%v)", err)
			}
			if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](`void (window.confirm = () => true)`), press(`#history-table [data-undo="`+upID+`"]`)); err != nil {
				t.Fatal(err)
			}
			waitState("applied")
			undone := map[string]string{"vi": "Đã hoàn tác lần tải #" + upID, "en": "Undid upload #" + upID}[vp.lang]
			history := map[string]string{"vi": "hoàn tác #" + upID, "en": "undo of #" + upID}[vp.lang]
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById('result-body').innerText.includes(%q) &&
				document.getElementById('history-table').innerText.includes(%q)`, undone, history), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				text, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('result-body').innerText + '\n' + document.getElementById('history-table').innerText`))
				t.Fatalf("after undo the page does not say %q and %q: %v\n%s", undone, history, err, text)
			}
			if ids, _ := siteIDsOf(t, e.ts.URL, carrier); slices.Contains(ids, sites[0].SiteID) {
				t.Fatal("undone, but the upload's sites are still served")
			}
			shot("undone")

			// A bad file: every error with its line and field, nothing applied.
			if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{bad}), press(`#check`)); err != nil {
				t.Fatal(err)
			}
			waitState("invalid")
			errText, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('result-body').innerText`))
			line := map[string]string{"vi": "dòng 4", "en": "line 4"}[vp.lang]
			if err != nil || !strings.Contains(errText, line) || !strings.Contains(errText, "tech") || !strings.Contains(errText, "6G") {
				t.Fatalf("error table lacks %q, tech, 6G:\n%s", line, errText)
			}
			shot("invalid")
			if errs := console.errors(); len(errs) > 0 {
				// The 422 answer itself is logged by Chromium as a failed resource load; anything else is a bug.
				var other []string
				for _, m := range errs {
					if !strings.Contains(m, "422") {
						other = append(other, m)
					}
				}
				if len(other) > 0 {
					t.Fatalf("console errors:\n%s", strings.Join(other, "\n"))
				}
			}
		})
	}
}
