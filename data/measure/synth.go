package measure

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/input"
	"phusong/data/store"
)

// SynthOptions describe synthetic drive tests. The zero value of each field but Pairs gives its
// default.
type SynthOptions struct {
	// Truth are the corrections that make the measured world differ from the engine's model
	// (added to its uncalibrated definition's path loss): what comparing and calibrating should
	// find. None: the world is the model (plus shadowing and noise).
	Truth   []coverage.Correction
	Seed    uint64
	Samples int // samples to make in all (about: a step yields one per pair heard); 0 = 10,000
	Routes  int // drives, each starting at a random place on land, two hours after the previous one; 0 = 20
	// Pairs are the carrier × technology measured at every step (a scanner measures several
	// networks at once).
	Pairs []Pair
	StepM float64 // distance between samples, metres; 0 = 15 (one a second at 54 km/h)
	// Shadowing: log-normal, σ ShadowSigmaDB (0 = 8 dB), per link (site), correlated along the
	// route with Gudmundson's exponential model: ρ = exp(−step / DecorrelationM) (0 = 50 m).
	ShadowSigmaDB  float64
	DecorrelationM float64
	NoiseDB        float64 // independent measurement noise per sample, σ dB; 0 = 2, < 0 = none
	FloorDBm       float64 // weaker samples are not recorded (the receiver cannot decode); 0 = −140
	CellIDShare    float64 // share of samples naming their cell; 0 = all, < 0 = none
	// Phone records, per step and pair, only the serving (strongest) cell, as a phone does;
	// otherwise every decodable cell is a sample, as a scanner records them. A phone's samples
	// are biased: the serving cell is the one whose shadowing happens to be high, so they read
	// several dB above the model even when the model is right. Calibrate on scanner data.
	Phone bool
	Start time.Time
	// Inside reports whether a point is on land (drives stay on it); required.
	Inside func(lon, lat float64) bool
}

// link is one link's shadowing, dB, as of route step step.
type link struct {
	dB   float64
	step int
}

// Pair is a carrier and a technology.
type Pair struct {
	Carrier string
	Tech    data.Tech
}

// ErrSynth: Synthesize was given no pair, or no land to start on.
var ErrSynth = errors.New("measure: synthetic drive test needs Pairs and land")

// truthOf returns a predictor of a world whose path loss differs from e's model by the
// corrections ks (on top of e's definition, uncalibrated), over sites.
func truthOf(e *coverage.Engine, sites []data.Site, ks []coverage.Correction) (*coverage.Predictor, error) {
	def := *e.Definition().Uncalibrated()
	def.Version += " (synthetic truth)"
	def.Calibration = &coverage.Calibration{BaseVersion: e.Definition().Uncalibrated().Version, Corrections: ks}
	truth, err := e.WithDefinition(&def)
	if err != nil {
		return nil, err
	}
	s := store.New(truth.Reach)
	if _, err := s.Upsert(sites); err != nil {
		return nil, err
	}
	return truth.NewPredictor(s.Snapshot()), nil
}

// Synthesize makes drive tests measured in the world of e's definition corrected by o.Truth, over
// sites: drives of StepM steps on land, each step measuring every pair: the level of every candidate sector (truth.Each) plus that
// link's shadowing and noise, every decodable cell (a scanner) or only the strongest (Phone);
// recorded when at or above FloorDBm (and at most −31 dBm). A drive ends when its share of
// Samples is made. Samples go to emit in drive order; emit's error stops the drives.
func Synthesize(e *coverage.Engine, sites []data.Site, o SynthOptions, emit func(*data.Measurement) error) error {
	if len(o.Pairs) == 0 {
		return ErrSynth
	}
	truth, err := truthOf(e, sites, o.Truth)
	if err != nil {
		return err
	}
	if o.Inside == nil {
		loc := data.NewCommuneLocator(truth.Engine().Communes())
		o.Inside = func(lon, lat float64) bool { return loc.At(lon, lat) >= 0 }
	}
	if o.Samples <= 0 {
		o.Samples = 10_000
	}
	if o.Routes <= 0 {
		o.Routes = 20
	}
	if o.StepM <= 0 {
		o.StepM = 15
	}
	if o.ShadowSigmaDB <= 0 {
		o.ShadowSigmaDB = 8
	}
	if o.DecorrelationM <= 0 {
		o.DecorrelationM = 50
	}
	switch {
	case o.NoiseDB == 0:
		o.NoiseDB = 2
	case o.NoiseDB < 0:
		o.NoiseDB = 0
	}
	if o.FloorDBm == 0 {
		o.FloorDBm = -140
	}
	if o.CellIDShare == 0 {
		o.CellIDShare = 1
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	eng := truth.Engine()
	tm := eng.Projection()
	grid := eng.Grid().Bound()
	randomLand := func() (orb.Point, bool) {
		for range 10_000 {
			p := orb.Point{grid.Min[0] + rng.Float64()*(grid.Max[0]-grid.Min[0]), grid.Min[1] + rng.Float64()*(grid.Max[1]-grid.Min[1])}
			if ll := tm.Inverse(p); o.Inside(ll[0], ll[1]) {
				return p, true
			}
		}
		return orb.Point{}, false
	}
	rho := math.Exp(-o.StepM / o.DecorrelationM)
	made := 0
	for route := range o.Routes {
		pos, ok := randomLand()
		if !ok {
			return ErrSynth
		}
		heading := rng.Float64() * 2 * math.Pi
		at := o.Start.Add(time.Duration(route) * 2 * time.Hour)
		shadow := make([]map[data.SiteKey]link, len(o.Pairs))
		for i := range shadow {
			shadow[i] = map[data.SiteKey]link{}
		}
		routeEnd := made + (o.Samples-made)/(o.Routes-route)
		maxSteps := 20*(routeEnd-made) + 1000 // a drive where nothing is heard ends too
		var heard []coverage.SectorLevel
		for n := 0; made < routeEnd && n < maxSteps; n++ {
			ll := tm.Inverse(pos)
			for pi, pr := range o.Pairs {
				sh := shadow[pi]
				heard = heard[:0]
				truth.Each(pr.Carrier, pr.Tech, ll[0], ll[1], func(s coverage.SectorLevel) {
					l, seen := sh[s.Site]
					switch {
					case !seen:
						l = link{o.ShadowSigmaDB * rng.NormFloat64(), n}
					case l.step < n: // AR(1) over the steps since: ρ^g·v + σ·√(1 − ρ^2g)·N(0, 1)
						r := math.Pow(rho, float64(n-l.step))
						l = link{r*l.dB + o.ShadowSigmaDB*math.Sqrt(1-r*r)*rng.NormFloat64(), n}
					}
					sh[s.Site] = l
					s.LevelDBm += l.dB + o.NoiseDB*rng.NormFloat64()
					heard = append(heard, s)
				})
				if o.Phone && len(heard) > 0 {
					best := heard[0]
					for _, s := range heard[1:] {
						if s.LevelDBm > best.LevelDBm {
							best = s
						}
					}
					heard = append(heard[:0], best)
				}
				for _, s := range heard {
					if s.LevelDBm < o.FloorDBm || s.LevelDBm > -31 {
						continue
					}
					m := data.Measurement{Time: at, Lon: ll[0], Lat: ll[1], Carrier: pr.Carrier, Tech: pr.Tech,
						LevelDBm: math.Round(s.LevelDBm*10) / 10, PCI: -1}
					if rng.Float64() < o.CellIDShare {
						m.CellID = s.CellID
					}
					if err := emit(&m); err != nil {
						return err
					}
					made++
				}
			}
			at = at.Add(time.Second)
			pos = step(pos, &heading, o.StepM, rng, func(p orb.Point) bool { q := tm.Inverse(p); return o.Inside(q[0], q[1]) })
		}
	}
	return nil
}

// step moves pos by stepM along heading (radians from east), which wanders by a few degrees a
// step; at the edge of the land it turns back (up to 16 tries), else it stays.
func step(pos orb.Point, heading *float64, stepM float64, rng *rand.Rand, inside func(orb.Point) bool) orb.Point {
	*heading += 0.15 * rng.NormFloat64()
	for range 16 {
		next := orb.Point{pos[0] + stepM*math.Cos(*heading), pos[1] + stepM*math.Sin(*heading)}
		if inside(next) {
			return next
		}
		*heading += math.Pi/2 + rng.Float64()*math.Pi
	}
	return pos
}

// SynthesizeCSV writes Synthesize's samples to w as a measurement CSV (input.MeasurementWriter)
// and returns how many it wrote.
func SynthesizeCSV(w io.Writer, e *coverage.Engine, sites []data.Site, o SynthOptions) (int, error) {
	mw := input.NewMeasurementWriter(w)
	n := 0
	err := Synthesize(e, sites, o, func(m *data.Measurement) error { n++; return mw.Write(m) })
	if err != nil {
		return n, err
	}
	return n, mw.Flush()
}
