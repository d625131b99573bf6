package coverage

import (
	"math"
	"math/rand/v2"
	"testing"

	"phusong/data"
	"phusong/geo"
)

// At cell centres the predictor gives the grid's level and serving site: the same tables and
// exact functions, at a point instead of a cell.
func TestPredictorMatchesGrid(t *testing.T) {
	e, r := smallCase(t, 25)
	p := e.NewPredictor(storeWith(t, e, smallSites()).Snapshot())
	g := e.Grid()
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	checked := 0
	for range 3000 {
		i, j := rng.IntN(g.NX), rng.IntN(g.NY)
		c := e.Projection().Inverse(g.Center(i, j))
		for _, pl := range r.At(c) {
			if pl.Carrier == AnyCarrier || math.IsNaN(pl.LevelDBm) {
				continue
			}
			got := p.Predict(pl.Carrier, pl.Tech, c[0], c[1], "")
			if math.Abs(got.LevelDBm-pl.LevelDBm) > 1e-3 || got.Site != pl.Serving || got.Matched {
				t.Fatalf("cell (%d, %d) %s %s: predictor %.5f dBm from %v, grid %.5f from %v", i, j, pl.Carrier, pl.Tech,
					got.LevelDBm, got.Site, pl.LevelDBm, pl.Serving)
			}
			checked++
		}
	}
	if checked < 500 {
		t.Fatalf("only %d predictions compared", checked)
	}
}

// A cell id picks its sector even where another sector is stronger, and beyond the grid's
// cutoff the level is still predicted (the exact functions), falling with distance.
func TestPredictorCellID(t *testing.T) {
	e, _ := smallCase(t, 25)
	p := e.NewPredictor(storeWith(t, e, smallSites()).Snapshot())
	// 1 km north of P1: sector P1-0 (azimuth 0) is the best server; P1-1 (120°) is weaker.
	pt := smallPoint(2000, 1000)
	best := p.Predict("vinaphone", data.Tech4G, pt[0], pt[1], "")
	if best.Site.SiteID != "P1" || best.Sector != 0 || best.Matched {
		t.Fatalf("best server %+v, want P1 sector 0", best)
	}
	side := p.Predict("vinaphone", data.Tech4G, pt[0], pt[1], "P1-1")
	if !side.Matched || side.Sector != 1 || !(side.LevelDBm < best.LevelDBm-3) {
		t.Fatalf("cell P1-1: %+v, want the matched sector 1, weaker than %.1f dBm", side, best.LevelDBm)
	}
	if math.Abs(side.DistanceM-1000) > 1 {
		t.Errorf("distance %.2f m, want 1000", side.DistanceM)
	}
	// An unknown cell id falls back to the best server.
	if other := p.Predict("vinaphone", data.Tech4G, pt[0], pt[1], "P9-9"); other.Matched || other.Sector != 0 {
		t.Errorf("unknown cell id: %+v", other)
	}
	// Another carrier's cell id does not match.
	if other := p.Predict("viettel", data.Tech4G, pt[0], pt[1], "P1-1"); other.Matched || other.Site.SiteID != "V1" {
		t.Errorf("vinaphone's cell id under viettel: %+v", other)
	}
	// Far east of everything, past the cutoff: still a level, lower than nearer.
	cutoff, _ := e.CutoffDBm(data.Tech4G)
	near := p.Predict("viettel", data.Tech4G, pt[0], pt[1], "")
	farPt := smallPoint(3900, 0)
	far := p.Predict("viettel", data.Tech4G, farPt[0], farPt[1], "")
	if math.IsNaN(far.LevelDBm) || !(far.LevelDBm < near.LevelDBm) {
		t.Errorf("far level %.1f dBm (near %.1f, cutoff %.1f)", far.LevelDBm, near.LevelDBm, cutoff)
	}
	// Exact at the far point: constant − loss on boresight of an omni (vertical pattern only).
	s := smallSites()[0]
	sec := s.Sectors[0]
	ref, _ := geo.LTEReferenceSignalDBm(sec.PowerDBm, sec.BandwidthMHz)
	d := far.DistanceM
	pl := geo.PathLoss{Model: geo.ModelExtHata, Env: geo.EnvSuburban}
	want := ref + sec.GainDBi - sec.FeederLossDB - pl.LossDB(1800, 30, 1.5, d/1000) +
		geo.Antenna{Omni: true, VBeamwidthDeg: e.antenna.VBeamwidthDeg, TiltDeg: sec.TiltDeg, SideLobeDB: e.antenna.SideLobeDB,
			MaxAttenuationDB: e.antenna.MaxAttenuationDB}.PatternDB(0, geo.DepressionDeg(30, 1.5, d))
	if math.Abs(far.LevelDBm-want) > 1e-6 {
		t.Errorf("far level %.6f dBm, exact %.6f", far.LevelDBm, want)
	}
	// Outside the grid: NaN.
	if out := p.Predict("viettel", data.Tech4G, fixLon+1, fixLat, ""); !math.IsNaN(out.LevelDBm) || out.Commune != -1 {
		t.Errorf("outside the grid: %+v", out)
	}
}
