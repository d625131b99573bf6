package input

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"phusong/data"
)

var candArea = orb.Bound{Min: orb.Point{105.9, 9.5}, Max: orb.Point{106.7, 10.1}}

func TestReadCandidatesCSV(t *testing.T) {
	got, err := ReadCandidatesCSV(strings.NewReader("name;lon;lat;height_m\nA;106.3;9.9;\nB;106.31;9.91;45\n"), candArea)
	if err != nil {
		t.Fatal(err)
	}
	want := []Candidate{{Lon: 106.3, Lat: 9.9, Name: "A"}, {Lon: 106.31, Lat: 9.91, Name: "B", HeightM: 45}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("%+v", got)
	}
	for _, c := range []struct{ name, in, field string }{
		{"no lat column", "lon\n106.3\n", "lat"},
		{"not a number", "lon,lat\n106.3,north\n", "lat"},
		{"outside", "lon,lat\n107.5,9.9\n", "lon"},
		{"height", "lon,lat,height_m\n106.3,9.9,900\n", "height_m"},
		{"empty", "lon,lat\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCandidatesCSV(strings.NewReader(c.in), candArea)
			var pe data.ParseErrors
			if !errors.As(err, &pe) || pe[0].Field != c.field {
				t.Fatalf("%v, want a problem with field %q", err, c.field)
			}
		})
	}
}

func FuzzReadCandidatesCSV(f *testing.F) {
	f.Add("lon,lat\n106.3,9.9\n")
	f.Add("name;lon;lat;height_m\nA;106.3;9.9;30\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ReadCandidatesCSV(strings.NewReader(in), candArea)
		if err == nil && len(got) == 0 {
			t.Fatal("no error and no candidate")
		}
		for _, c := range got {
			if !candArea.Contains(orb.Point{c.Lon, c.Lat}) {
				t.Fatalf("candidate outside the area: %+v", c)
			}
		}
	})
}
