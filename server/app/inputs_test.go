package app

import (
	"os"
	"path/filepath"
	"testing"

	"phusong/data/demo"
)

// TestLoadProvinceName checks where the communes' province comes from: the demo's is Trà Vinh
// (its file names none); a communes file naming none leaves it unnamed unless
// Sources.ProvinceName names it, and a file's own name is never replaced.
func TestLoadProvinceName(t *testing.T) {
	in, _, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range in.Communes {
		if c.Province != demo.ProvinceName {
			t.Fatalf("demo commune %s in province %q, want %q", c.Code, c.Province, demo.ProvinceName)
		}
	}
	// Two invented communes over the demo's box (so that its sites load), the second naming
	// its province.
	file := filepath.Join(t.TempDir(), "communes.geojson")
	body := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"90001","name":"Xã Tây","type":"xa","population_2019":1000,"households_2019":300},
 "geometry":{"type":"Polygon","coordinates":[[[105.5,9.3],[106.3,9.3],[106.3,10.3],[105.5,10.3],[105.5,9.3]]]}},
{"type":"Feature","properties":{"code":"90002","name":"Xã Đông","type":"xa","province":"Đông","population_2019":2000,"households_2019":600},
 "geometry":{"type":"Polygon","coordinates":[[[106.3,9.3],[107.1,9.3],[107.1,10.3],[106.3,10.3],[106.3,9.3]]]}}]}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ flag, want string }{{"", ""}, {"Tây", "Tây"}} {
		in, _, err := Load(Sources{Communes: file, ProvinceName: tc.flag})
		if err != nil {
			t.Fatal(err)
		}
		if got := []string{in.Communes[0].Province, in.Communes[1].Province}; got[0] != tc.want || got[1] != "Đông" {
			t.Errorf("--province-name %q: provinces %q, want [%q Đông]", tc.flag, got, tc.want)
		}
	}
}
