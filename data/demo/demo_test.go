package demo

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/input"
	"phusong/geo"
)

// Households2019 of the embedded communes: the sum of households_2019 over the 41 facts rows
// (SOURCES.md states 280,222).
const wantHouseholds2019 = 280222

func embedded(t *testing.T) ([]data.Commune, []data.Site) {
	t.Helper()
	communes, err := Communes()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := Sites()
	if err != nil {
		t.Fatal(err)
	}
	return communes, sites
}

func TestEmbeddedCommunes(t *testing.T) {
	communes, _ := embedded(t)
	s := Summarize(communes, nil)
	// 6 phường and 35 xã (SOURCES.md); 993,555 people and 280,222 households.
	if s.Communes != 41 || s.Wards != 6 {
		t.Errorf("%d communes, %d wards; want 41, 6", s.Communes, s.Wards)
	}
	if s.Population2019 != Population2019 {
		t.Errorf("population %d, want %d", s.Population2019, Population2019)
	}
	if s.Households2019 != wantHouseholds2019 {
		t.Errorf("households %d, want %d", s.Households2019, wantHouseholds2019)
	}
	// The cells tile the outline: the loader's lattice finds no overlap and no gap, and no
	// property needed a default.
	rep, err := input.ReadCommunesGeoJSON(bytes.NewReader(CommunesGeoJSON()))
	if err != nil {
		t.Fatalf("communes.geojson: %v", err)
	}
	if len(rep.Warnings) > 0 || rep.OverlapAreaM2 > 0 || rep.GapAreaM2 > 0 {
		t.Errorf("communes.geojson: warnings %v, overlap %v m², gap %v m²", rep.Warnings, rep.OverlapAreaM2, rep.GapAreaM2)
	}
	if !bytes.Contains(CommunesGeoJSON(), []byte(`"phusong_note":"`+CommunesNote+`"`)) {
		t.Error("communes.geojson lacks its phusong_note")
	}
}

// TestEmbeddedPopulationMatchesFacts recomputes the expected total from the facts table.
func TestEmbeddedPopulationMatchesFacts(t *testing.T) {
	facts, _ := readSharedFacts(t)
	want := 0
	for _, f := range facts {
		want += f.Population
	}
	communes, _ := embedded(t)
	if got := Summarize(communes, nil).Population2019; got != want || want != Population2019 {
		t.Fatalf("embedded population %d, facts %d, constant %d", got, want, Population2019)
	}
}

func TestEmbeddedSites(t *testing.T) {
	communes, sites := embedded(t)
	s := Summarize(communes, sites)
	if s.Sites < 1200 || s.Sites > 1300 {
		t.Errorf("%d sites, want 1,200–1,300", s.Sites)
	}
	if s.Share4G < 0.85 || s.Share4G > 0.87 {
		t.Errorf("4G share %.4f, want 0.85–0.87", s.Share4G)
	}
	dc := data.DefaultCarriers()
	if len(s.ByCarrier) != len(dc) {
		t.Fatalf("carriers %+v, want exactly the %d default ones", s.ByCarrier, len(dc))
	}
	for i, c := range s.ByCarrier {
		if c.Carrier != dc[i].ID || c.Sites == 0 {
			t.Errorf("carrier %d: %+v, want %s with sites", i, c, dc[i].ID)
		}
		if i > 0 && c.Sites > s.ByCarrier[i-1].Sites {
			t.Errorf("%s has more sites than %s", c.Carrier, s.ByCarrier[i-1].Carrier)
		}
	}
	// The two largest carry most sites.
	if big2 := s.ByCarrier[0].Sites + s.ByCarrier[1].Sites; 2*big2 <= s.Sites {
		t.Errorf("viettel+vinaphone = %d of %d sites", big2, s.Sites)
	}
	rep, err := input.ReadSitesCSV(bytes.NewReader(SitesCSV()), input.SiteOptions{Area: data.AreaOf(communes)})
	if err != nil {
		t.Fatalf("sites.csv: %v", err)
	}
	if len(rep.Warnings) > 0 {
		t.Errorf("sites.csv: warnings %v", rep.Warnings)
	}
	checkSites(t, communes, sites)
}

// TestEmbeddedPicture checks the intended map: wards denser than rural communes, small
// carriers absent from most communes, the thinned coastal communes thinner than the median.
func TestEmbeddedPicture(t *testing.T) {
	communes, sites := embedded(t)
	o := OutlineOrigin(mergeCommunes(communes))
	tm := geo.NewLocalTM(o[0], o[1])
	type tally struct{ big, small int }
	per := make([]tally, len(communes))
	for i := range sites {
		p := orb.Point{sites[i].Lon, sites[i].Lat}
		for ci, c := range communes {
			if planar.MultiPolygonContains(c.Geometry, p) {
				if sites[i].Carrier == "viettel" || sites[i].Carrier == "vinaphone" || sites[i].Carrier == "mobifone" {
					per[ci].big++
				} else {
					per[ci].small++
				}
				break
			}
		}
	}
	var wardSites, xaSites int
	var wardKM2, xaKM2 float64
	noSmall := 0
	dens := make(map[string]float64, len(communes))
	for ci, c := range communes {
		km2 := geo.AreaM2(tm, c.Geometry) / 1e6
		dens[c.Code] = float64(per[ci].big) / km2
		if c.Type == data.TypeWard {
			wardSites, wardKM2 = wardSites+per[ci].big, wardKM2+km2
		} else {
			xaSites, xaKM2 = xaSites+per[ci].big, xaKM2+km2
		}
		if per[ci].small == 0 {
			noSmall++
		}
	}
	wardD, xaD := float64(wardSites)/wardKM2, float64(xaSites)/xaKM2
	t.Logf("big-three sites per km²: wards %.2f, xã %.2f; communes without a small-carrier site: %d", wardD, xaD, noSmall)
	if wardD < 1.5*xaD {
		t.Errorf("ward density %.2f/km² is not well above rural %.2f/km²", wardD, xaD)
	}
	if noSmall < 5 {
		t.Errorf("only %d communes lack small-carrier sites; small carriers should be sparse", noSmall)
	}
	for code := range thinCoastal {
		if dens[code] >= xaD {
			t.Errorf("thinned coastal commune %s has %.2f big-three sites/km², rural mean %.2f", code, dens[code], xaD)
		}
	}
}

func mergeCommunes(cs []data.Commune) orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, c := range cs {
		mp = append(mp, c.Geometry...)
	}
	return mp
}

func TestNoteSaysSynthetic(t *testing.T) {
	readme := mustRead(t, filepath.Join(".", "README.md"))
	for _, text := range []string{Note, string(readme)} {
		if !strings.Contains(strings.ToLower(text), "synthetic") {
			t.Errorf("%.60q… does not say the stations are synthetic", text)
		}
	}
	if strings.Count(Note, ". ") > 0 || !strings.HasSuffix(Note, ".") {
		t.Errorf("Note should be one sentence: %q", Note)
	}
}

// TestArea checks the demo's area by hand: the communes' bounding box, lon 105.953199..106.581177
// and lat 9.5275..10.082127 (a scan of communes.geojson), grown by 25 km — 0.22609° of latitude
// (25,000 m / 110,574.3 m, a degree at the equator) and 0.22824° of longitude (25,000 m /
// 109,534 m, a degree at 10.308° N) — to 105.725..106.809, 9.301..10.308, then rounded outward
// to 0.01°.
func TestArea(t *testing.T) {
	area, err := Area()
	if err != nil {
		t.Fatal(err)
	}
	if want := (orb.Bound{Min: orb.Point{105.72, 9.3}, Max: orb.Point{106.81, 10.31}}); area != want {
		t.Errorf("area %v, want %v", area, want)
	}
}
