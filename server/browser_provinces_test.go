package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"phusong/data/testenv"
)

// TestBrowserProvinces serves the demo labelled as two invented provinces and, on a phone:
// the title says "2 provinces" (never the demo's Trà Vinh); the layers panel offers All, East
// and West; picking East names it in the title, fits the view to East's box (the map's centre
// inside it), draws East's communes only and fetches the coverage and gaps of East alone
// (province=East in their URLs); picking All again draws every commune.
func TestBrowserProvinces(t *testing.T) {
	testenv.Heavy(t, "a browser test; TestBrowserMap, TestBrowserPeople, TestBrowserCSP and TestBrowserUploadPage run in a quick run")
	t.Parallel()
	needChromium(t)
	st, want, bounds := twoProvinces(t)
	_, ts := serveState(t, st, Options{})
	root := newBrowser(t)
	b := openTab(t, root, viewport{"phone", 360, 640, true, "en"}, "provinces", ts.URL+"/?lang=en", 3*time.Minute)
	b.ready()
	opts := b.poll("province options", `!document.getElementById('province-row').hidden &&
		Array.from(document.querySelectorAll('#province option')).map(o => o.value + '=' + o.textContent).join(';')`)
	if opts != "=All;East=East;West=West" {
		t.Fatalf("province options %q, want All, East, West", opts)
	}
	title := `document.getElementById('province-name').textContent + '|' + document.title`
	if got := b.poll("title", title); got != "2 provinces|Coverage 2 provinces" {
		t.Errorf("title %q, want the number of provinces", got)
	}
	b.do(b.press(`#layers-btn`))
	pick := func(name string) {
		b.poll("layers panel", `!document.getElementById('layers').hidden && 'open'`)
		b.poll("pick "+name, fmt.Sprintf(`(() => { const s = document.getElementById('province'); s.value = %q;
			s.dispatchEvent(new Event('change', {bubbles: true})); return 'picked'; })()`, name))
	}
	pick("East")
	if got := b.poll("East's title", `(t => t.startsWith('East') && t)(`+title+`)`); got != "East|Coverage East" {
		t.Errorf("title after picking East %q, want East", got)
	}
	e := bounds["East"]
	// Wait for East's communes and for its coverage to have been fetched (the coverage layer of
	// every province stays drawn until East's answer replaces it), then check what was drawn.
	got := b.poll("East's communes and coverage", fmt.Sprintf(`(() => {
	  const urls = performance.getEntriesByType('resource').map(e => e.name);
	  if (!phusong.idle() || phusong.state.communes.features.length !== %d || !phusong.layers.coverage ||
	    !urls.some(u => u.includes('/api/v1/coverage?') && u.includes('province=East'))) return '';
	  const c = phusong.map().getCenter();
	  return [c.lng > %f && c.lng < %f && c.lat > %f && c.lat < %f, phusong.state.communes.features.every(f => f.id)].join(',');
	})()`, want["East"].Communes, e.Min[0], e.Max[0], e.Min[1], e.Max[1]))
	if got != "true,true" {
		t.Fatalf("after picking East: centre inside its box, communes with ids = %s", got)
	}
	b.do(b.press(`#l-gaps`))
	b.poll("East gaps", `performance.getEntriesByType('resource').some(e => e.name.includes('/api/v1/gaps?') && e.name.includes('province=East')) && phusong.layers.gaps && 'yes'`)
	b.shot("east")
	pick("")
	n := b.poll("all communes", fmt.Sprintf(`phusong.state.communes.features.length === %d && 'all'`, len(st.Communes)))
	if !strings.Contains(n, "all") {
		t.Fatal(n)
	}
}
