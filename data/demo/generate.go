package demo

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"phusong/data"
	"phusong/data/input"
)

// Input files under the shared data directory, and output file names.
const (
	FactsPath       = "travinh/wards_2025_facts.csv"
	OutlinePath     = "travinh/province_outline_500m.geojson"
	CommunesFile    = "communes.geojson"
	SitesFile       = "sites.csv"
	outputFilePerms = 0o644
)

// Files is one generated demo province, ready to write or compare.
type Files struct {
	CommunesGeoJSON []byte
	SitesCSV        []byte
	Summary         Summary
}

// Generate builds the demo province from sharedDataDir (the folder holding travinh/): the
// schematic communes (BuildCommunes, EncodeCommunes) and, from those communes as the
// embedded file will return them, the synthetic stations (GenerateSites with DefaultSeed).
// The result depends only on the two input files: same inputs, same bytes.
func Generate(sharedDataDir string) (*Files, error) {
	facts, err := readWith(filepath.Join(sharedDataDir, FactsPath), ReadFacts)
	if err != nil {
		return nil, err
	}
	outline, err := readWith(filepath.Join(sharedDataDir, OutlinePath), ReadOutline)
	if err != nil {
		return nil, err
	}
	built, err := BuildCommunes(facts, outline)
	if err != nil {
		return nil, err
	}
	gj, err := EncodeCommunes(built)
	if err != nil {
		return nil, err
	}
	rep, err := input.ReadCommunesGeoJSON(bytes.NewReader(gj))
	if err != nil {
		return nil, fmt.Errorf("demo: generated communes do not read back: %w", err)
	}
	sites, err := GenerateSites(rep.Communes, outline, DefaultSeed)
	if err != nil {
		return nil, err
	}
	var csv bytes.Buffer
	if err := input.WriteSitesCSV(&csv, sites); err != nil {
		return nil, err
	}
	return &Files{CommunesGeoJSON: gj, SitesCSV: csv.Bytes(), Summary: Summarize(rep.Communes, sites)}, nil
}

func readWith[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// NamedFile is one output file: its name in the output folder and its bytes.
type NamedFile struct {
	Name  string
	Bytes []byte
}

// Named lists the output files in a fixed order: communes.geojson, sites.csv.
func (f *Files) Named() []NamedFile {
	return []NamedFile{{CommunesFile, f.CommunesGeoJSON}, {SitesFile, f.SitesCSV}}
}

// WriteDir writes communes.geojson and sites.csv into dir, creating it if needed and
// replacing existing files.
func (f *Files) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, nf := range f.Named() {
		if err := os.WriteFile(filepath.Join(dir, nf.Name), nf.Bytes, outputFilePerms); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// CarrierCount is the number of sites of one carrier.
type CarrierCount struct {
	Carrier string
	Sites   int
	Sites4G int
}

// Summary describes a demo province in figures.
type Summary struct {
	Communes       int
	Wards          int // communes of type data.TypeWard
	Population2019 int
	Households2019 int
	Sites          int
	Sites4G        int     // sites with at least one 4G sector
	Share4G        float64 // Sites4G / Sites; 0 when there are no sites
	Planned        int     // sites with status planned
	Sectors        int
	ByCarrier      []CarrierCount // data.DefaultCarriers order, then any other carrier in order of appearance
}

// Summarize counts communes, people and stations.
func Summarize(communes []data.Commune, sites []data.Site) Summary {
	s := Summary{Communes: len(communes), Sites: len(sites)}
	for _, c := range communes {
		s.Population2019 += c.Population
		s.Households2019 += c.Households
		if c.Type == data.TypeWard {
			s.Wards++
		}
	}
	idx := map[string]int{}
	for _, c := range data.DefaultCarriers() {
		idx[c.ID] = len(s.ByCarrier)
		s.ByCarrier = append(s.ByCarrier, CarrierCount{Carrier: c.ID})
	}
	for i := range sites {
		st := &sites[i]
		k, ok := idx[st.Carrier]
		if !ok {
			k = len(s.ByCarrier)
			idx[st.Carrier] = k
			s.ByCarrier = append(s.ByCarrier, CarrierCount{Carrier: st.Carrier})
		}
		s.ByCarrier[k].Sites++
		s.Sectors += len(st.Sectors)
		if st.HasTech(data.Tech4G) {
			s.Sites4G++
			s.ByCarrier[k].Sites4G++
		}
		if st.Status == data.StatusPlanned {
			s.Planned++
		}
	}
	if s.Sites > 0 {
		s.Share4G = float64(s.Sites4G) / float64(s.Sites)
	}
	return s
}
