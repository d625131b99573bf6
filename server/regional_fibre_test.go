package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"

	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/fibre"
	"phusong/data/testenv"
	"phusong/server/app"
)

// TestRegionalFibre serves the demo with its fibre network (no population grid, 200 m cells)
// from a whole engine and region by region (30 regions of 9.6 km), each from its own database,
// and asks both through HTTP: the operators' figures and every commune's fibre figures are byte
// for byte the same, and the reach layer answers 200 region by region with an area within 1 %
// of the whole engine's (its polygons are clipped along region borders). The cable-TV operator
// then uploads one access point in a commune its network does not reach through both: both
// accept it, the commune's answer changes, and the answers are still the same on both.
func TestRegionalFibre(t *testing.T) {
	testenv.Heavy(t, "the demo computed whole and region by region in two databases, an upload through each; server/app's TestRegionalFibreReach compares the figures in a quick run")
	base := demoState(t)
	in := app.Input{Communes: base.Communes, Carriers: base.Carriers, Sites: demoInput.Sites, Note: demoInput.Note,
		Coverage: coverage.Options{CellM: testCellM}, Fibre: fibreNet0(t), FibreNote: demo.FibreNote}
	whole, regional := wholeAndRegional(t, in)
	if regional.s.app.State().FibreReach == nil {
		t.Fatal("no fibre reach region by region")
	}
	const code = "29413" // Long Hoà: the cable-TV operator's network does not reach it
	paths := []string{"/api/v1/fibre", "/api/v1/communes/" + code}
	for _, c := range base.Communes {
		paths = append(paths, "/api/v1/communes/"+c.Code)
	}
	ask := func() [][]byte {
		out := askAlike(t, whole, regional, paths)
		for _, op := range []string{fibre.AnyOperator, "vinaphone"} {
			p := "/api/v1/fibre/reach?zoom=12&operator=" + op
			wa, ga := reachAreaKM2(t, whole.call(t, http.MethodGet, p, "", nil)), reachAreaKM2(t, regional.call(t, http.MethodGet, p, "", nil))
			if !(wa > 0 && math.Abs(ga-wa) <= 0.01*wa) {
				t.Errorf("%s: %g km² region by region, %g km² whole", p, ga, wa)
			}
		}
		return out
	}
	before := ask()
	p := apAtCellCentre(t, whole.s.app.State(), code)
	file := fmt.Appendf(nil, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[%s,%s]},"properties":{"id":"TEST-AP","ports":64}}]}`,
		ftoa(p[0]), ftoa(p[1]))
	for _, e := range []*uploadEnv{whole, regional} {
		tv, _, err := e.db.CreateToken(t.Context(), fibre.TVCable, false, "cable operator")
		if err != nil {
			t.Fatal(err)
		}
		if r := e.postFibre(t, fibre.TVCable, tv, "mode=upsert", file); r.status != http.StatusOK {
			t.Fatalf("fibre upload: %d %s", r.status, truncate(string(r.body), 300))
		}
	}
	after := ask()
	if bytes.Equal(before[1], after[1]) {
		t.Errorf("commune %s's answer did not change with an access point of its own", code)
	}
}

// reachAreaKM2 is the area of the reach layer answer r (its one feature's area_km2).
func reachAreaKM2(t *testing.T, r reply) float64 {
	t.Helper()
	var fc struct {
		Features []struct {
			Properties struct {
				AreaKM2 float64 `json:"area_km2"`
			} `json:"properties"`
		} `json:"features"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &fc) != nil || len(fc.Features) != 1 {
		t.Fatalf("reach layer: %d %s", r.status, truncate(string(r.body), 300))
	}
	return fc.Features[0].Properties.AreaKM2
}
