package demo

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"phusong/data"
	"phusong/data/testenv"
)

// TestGenerateDeterministic generates the province twice into two folders and compares them
// byte for byte with each other and with the committed (embedded) files.
func TestGenerateDeterministic(t *testing.T) {
	shared := testenv.SharedData(t)
	var dirs []string
	for range 2 {
		f, err := Generate(shared)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := f.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	for _, name := range []string{CommunesFile, SitesFile} {
		a := mustRead(t, filepath.Join(dirs[0], name))
		b := mustRead(t, filepath.Join(dirs[1], name))
		committed := mustRead(t, name)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two generations", name)
		}
		if !bytes.Equal(a, committed) {
			t.Errorf("%s differs from the committed file: run make demo-data", name)
		}
	}
	if !bytes.Equal(CommunesGeoJSON(), mustRead(t, CommunesFile)) || !bytes.Equal(SitesCSV(), mustRead(t, SitesFile)) {
		t.Error("embedded bytes differ from the files on disk")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateMissingInput(t *testing.T) {
	_, err := Generate(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "wards_2025_facts.csv") {
		t.Fatalf("err = %v, want a not-exist error naming the facts file", err)
	}
}

func TestSummarize(t *testing.T) {
	sec := func(tech data.Tech) data.Sector { return data.Sector{Tech: tech} }
	communes := []data.Commune{
		{Type: data.TypeWard, Population: 100, Households: 30},
		{Type: data.TypeCommune, Population: 250, Households: 70},
	}
	sites := []data.Site{
		{Carrier: "viettel", Status: data.StatusActive, Sectors: []data.Sector{sec(data.Tech3G), sec(data.Tech4G)}},
		{Carrier: "viettel", Status: data.StatusPlanned, Sectors: []data.Sector{sec(data.Tech3G)}},
		{Carrier: "itelecom", Status: data.StatusActive, Sectors: []data.Sector{sec(data.Tech4G)}},
		{Carrier: "acme", Status: data.StatusActive, Sectors: []data.Sector{sec(data.Tech2G)}},
	}
	got := Summarize(communes, sites)
	want := Summary{
		Communes: 2, Wards: 1, Population2019: 350, Households2019: 100,
		Sites: 4, Sites4G: 2, Share4G: 0.5, Planned: 1, Sectors: 5,
		ByCarrier: []CarrierCount{
			{"viettel", 2, 1}, {"vinaphone", 0, 0}, {"mobifone", 0, 0},
			{"vietnamobile", 0, 0}, {"gmobile", 0, 0}, {"itelecom", 1, 1}, {"acme", 1, 0},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Summarize =\n%+v\nwant\n%+v", got, want)
	}
	if empty := Summarize(nil, nil); empty.Share4G != 0 || empty.Sites != 0 {
		t.Fatalf("empty summary = %+v", empty)
	}
}
