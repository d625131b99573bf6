package input

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"phusong/data"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWriteSitesCSVGolden compares with the hand-written fixture.
func TestWriteSitesCSVGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/sites_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSitesCSV(&buf, smallSites()); err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// randomSites draws n valid sites of random carriers on a 100 m lattice (so no two are within
// 20 m), positions rounded to 6 decimals, every field from its valid set.
func randomSites(rng *rand.Rand, n int) []data.Site {
	carriers := data.DefaultCarriers()
	used := map[[2]int]bool{}
	sites := make([]data.Site, 0, n)
	for len(sites) < n {
		cell := [2]int{rng.IntN(1000), rng.IntN(900)}
		if used[cell] {
			continue
		}
		used[cell] = true
		s := data.Site{
			Carrier: carriers[rng.IntN(len(carriers))].ID,
			SiteID:  fmt.Sprintf("S-%d,%q", len(sites), "ư"), // comma and quote need CSV quoting
			Lon:     roundTo6(105.75 + float64(cell[0])*0.001),
			Lat:     roundTo6(9.35 + float64(cell[1])*0.001),
			HeightM: float64(5 + rng.IntN(146)),
			Status:  []data.Status{data.StatusActive, data.StatusPlanned}[rng.IntN(2)],
		}
		for k := range 1 + rng.IntN(6) {
			tech := []data.Tech{data.Tech2G, data.Tech3G, data.Tech4G, data.Tech5G}[rng.IntN(4)]
			bands := data.TechBands[tech]
			d := data.SectorDefaultsFor(tech, bands[rng.IntN(len(bands))])
			sec := data.Sector{Tech: tech, BandMHz: bands[rng.IntN(len(bands))], BandwidthMHz: d.BandwidthMHz,
				TiltDeg: float64(rng.IntN(81)-20) / 4, PowerDBm: rng.Float64() * 60, GainDBi: float64(rng.IntN(251)) / 10,
				FeederLossDB: rng.Float64() * 10, AzimuthDeg: rng.Float64() * 360, BeamwidthDeg: 1 + rng.Float64()*359}
			sec.BandwidthMHz = data.SectorDefaultsFor(tech, sec.BandMHz).BandwidthMHz
			if rng.IntN(5) == 0 {
				sec.Omni, sec.AzimuthDeg, sec.BeamwidthDeg = true, 0, 360
			}
			if sec.Omni || rng.IntN(3) > 0 {
				sec.CellID = fmt.Sprintf("c%d", k)
			} else {
				sec.AzimuthDeg = float64(k) // tech/band/azimuth stays unique
			}
			s.Sectors = append(s.Sectors, sec)
		}
		sites = append(sites, s)
	}
	return sites
}

func roundTo6(v float64) float64 {
	var r float64
	fmt.Sscanf(fmt.Sprintf("%.6f", v), "%g", &r)
	return r
}

// TestWriteReadRoundTrip checks Read(Write(x)) == x with no warnings, on seeded random sites.
func TestWriteReadRoundTrip(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for round := range 20 {
		sites := randomSites(rng, 1+rng.IntN(40))
		var buf bytes.Buffer
		if err := WriteSitesCSV(&buf, sites); err != nil {
			t.Fatalf("round %d: write: %v", round, err)
		}
		rep, err := ReadSitesCSV(bytes.NewReader(buf.Bytes()), siteOpts(""))
		if err != nil {
			t.Fatalf("round %d: read: %v\n%s", round, err, buf.String())
		}
		if i := firstDiff(rep.Sites, sites); i >= 0 {
			t.Fatalf("round %d: %d sites read back, %d written; first difference at site %d, want\n%+v",
				round, len(rep.Sites), len(sites), i, sites[min(i, len(sites)-1)])
		}
		if len(rep.Warnings) > 0 {
			t.Fatalf("round %d: warnings %v", round, rep.Warnings)
		}
	}
}

func TestWriteSitesCSVInvalid(t *testing.T) {
	sites := smallSites()
	sites[1].Sectors[0].BandMHz = 1900
	var buf bytes.Buffer
	err := WriteSitesCSV(&buf, sites)
	want := `data: writing site 1 (mobifone "TV-MF-0001"): data: sectors[0].band_mhz: "1900" is not one of 700, 850, 900, 1800, 2100, 2300, 2600, 3500 MHz`
	if err == nil || err.Error() != want || !errors.Is(err, data.ErrInvalidInput) {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes", buf.Len())
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteSitesCSVWriterError(t *testing.T) {
	err := WriteSitesCSV(failWriter{}, smallSites())
	if !errors.Is(err, errDiskFull) || !strings.HasPrefix(err.Error(), "data: writing sites:") {
		t.Errorf("got %v", err)
	}
}

func BenchmarkWriteReadSitesCSV(b *testing.B) {
	b.ReportAllocs()
	sites := randomSites(rand.New(rand.NewPCG(1, 2)), 1000)
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteSitesCSV(&buf, sites); err != nil {
			b.Fatal(err)
		}
		if _, err := ReadSitesCSV(&buf, siteOpts("")); err != nil {
			b.Fatal(err)
		}
	}
}

// firstDiff is the index of the first site Where got and want differ, or -1.
func firstDiff(got, want []data.Site) int {
	for i := range want {
		if i >= len(got) || !reflect.DeepEqual(got[i], want[i]) {
			return i
		}
	}
	if len(got) > len(want) {
		return len(want)
	}
	return -1
}
