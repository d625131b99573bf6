package demo

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"phusong/data"
	"phusong/data/input"
)

// TestNationalSubset generates the two southernmost provinces twice: the same bytes, every
// commune in a province with people, the files read back through the ordinary readers with no
// overlap or gap between communes, every site inside its commune's area and the note says
// SYNTHETIC.
func TestNationalSubset(t *testing.T) {
	a, err := GenerateNational(NationalOptions{Provinces: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateNational(NationalOptions{Provinces: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.CommunesGeoJSON, b.CommunesGeoJSON) || !bytes.Equal(a.SitesCSV, b.SitesCSV) {
		t.Fatal("two runs with the same options differ")
	}
	if a.Provinces != 2 || len(a.Communes) < 100 || len(a.Sites) < 5000 {
		t.Fatalf("%d provinces, %d communes, %d sites: too few", a.Provinces, len(a.Communes), len(a.Sites))
	}
	if !strings.Contains(string(a.CommunesGeoJSON), "SYNTHETIC") {
		t.Error("the communes file does not say SYNTHETIC")
	}
	rep, err := input.ReadCommunesGeoJSON(bytes.NewReader(a.CommunesGeoJSON))
	if err != nil {
		t.Fatal(err)
	}
	if rep.OverlapAreaM2 > 0.5e6 || rep.GapAreaM2 > 0.5e6 {
		t.Errorf("communes overlap %.0f m², gaps %.0f m²", rep.OverlapAreaM2, rep.GapAreaM2)
	}
	provinces := map[string]int{}
	for _, c := range rep.Communes {
		if c.Province == "" || c.Population <= 0 {
			t.Fatalf("commune %s: province %q, population %d", c.Code, c.Province, c.Population)
		}
		provinces[c.Province]++
	}
	if len(provinces) != 2 {
		t.Errorf("provinces read back: %v", provinces)
	}
	sr, err := input.ReadSitesCSV(bytes.NewReader(a.SitesCSV), input.SiteOptions{Area: data.AreaOf(rep.Communes)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Sites) != len(a.Sites) {
		t.Fatalf("%d sites read back of %d", len(sr.Sites), len(a.Sites))
	}
	var land orb.MultiPolygon
	for _, c := range rep.Communes {
		land = append(land, c.Geometry...)
	}
	with4G := 0
	for _, s := range sr.Sites {
		if !planar.MultiPolygonContains(land, orb.Point{s.Lon, s.Lat}) {
			t.Errorf("site %s/%s at %v,%v is outside the communes", s.Carrier, s.SiteID, s.Lon, s.Lat)
		}
		if s.HasTech(data.Tech4G) {
			with4G++
		}
	}
	if share := float64(with4G) / float64(len(sr.Sites)); math.Abs(share-Share4G) > 0.02 {
		t.Errorf("4G share %.3f, want about %.2f", share, Share4G)
	}
}
