// Package measure compares measurements (drive tests, crowd samples) with the coverage
// engine's predictions and calibrates the path-loss model on them.
//
//   - Compare predicts the level at every sample for its carrier and technology (the sector
//     whose cell id the sample names, else the best server: coverage.Predictor) and keeps the
//     residual, measured − predicted, in dB (positive: the model is pessimistic there).
//   - Comparison.Stats sums residuals per carrier × technology × land class (ward land, where the
//     definition uses ward_env, or commune land) and per distance bin, and counts per commune how
//     often measured and predicted coverage agree.
//   - Calibrate fits, per carrier × technology × land class, the offset K1 (dB) and slope K2
//     (dB per decade of distance) that the Standard Propagation Model's calibration adds to the
//     path loss, by robust least squares (Huber's M-estimator by iteratively reweighted least
//     squares), validates each fit on spatial k-fold hold-out, refuses those with too few samples,
//     outside sane bounds or that do not lower the hold-out error, and returns a new versioned
//     coverage definition holding the corrections and their provenance.
//   - Synthesize makes drive tests from a "truth" (another definition, log-normal shadowing with
//     spatial correlation) for tests and benchmarks.
//
// Distances are horizontal, in the engine's metric frame (coverage.Engine.Projection). A
// Comparison holds a few tens of bytes per sample (a million samples: about 40 MB).
package measure

import (
	"cmp"
	"context"
	"iter"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/geo"
)

// record is what a Comparison keeps of one sample.
type record struct {
	x, y    float32 // position in the engine frame, metres
	unixS   int64   // time, Unix seconds
	level   float32 // measured, dBm
	pred    float32 // predicted, dBm; NaN: no prediction
	distKM  float32 // horizontal distance from the predicted sector's mast, km
	group   uint16  // index into Comparison.groups
	commune int16   // index into Engine.Communes, -1 outside
	matched bool    // the sector was the one the sample's cell id names
}

// Group is one carrier × technology × land class.
type Group struct {
	Carrier string           `json:"carrier"`
	Tech    data.Tech        `json:"tech"`
	Land    data.CommuneType `json:"land"` // data.TypeWard or data.TypeCommune
}

// Comparison is measurements set against one engine's predictions. It is immutable once
// Compare returns it and safe for concurrent readers.
type Comparison struct {
	eng        *coverage.Engine
	groups     []Group
	recs       []record
	calibrated bool // the engine's definition carries a calibration
}

// Options tune Compare. The zero value gives the defaults.
type Options struct {
	Workers int // parallel predictors; 0 = GOMAXPROCS
}

// batchSize is how many samples go to a worker at a time.
const batchSize = 4096

// Compare predicts the level at every sample of samples (measurements of 3G or 4G; others are
// skipped) with pred and keeps the residuals. Samples are read once, in batches handed to
// Options.Workers forks of pred, so that memory holds the records and a few batches; the records
// keep the samples' order, whichever worker finishes first (a scan of Bins is a run in it). It stops
// with ctx's error when ctx is cancelled, and with the error samples yields (its second value).
func Compare(ctx context.Context, pred *coverage.Predictor, samples iter.Seq2[data.Measurement, error], o Options) (*Comparison, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c := &Comparison{eng: pred.Engine(), calibrated: pred.Engine().Definition().Calibration != nil}
	var (
		mu     sync.Mutex // guards c.groups lookups from the workers
		index  = map[Group]uint16{}
		jobs   = make(chan batchOf[data.Measurement], workers)
		outs   = make(chan batchOf[record], workers)
		wg     sync.WaitGroup
		bufs   = sync.Pool{New: func() any { return make([]data.Measurement, 0, batchSize) }}
		tm     = c.eng.Projection()
		groupf = func(g Group) uint16 {
			mu.Lock()
			defer mu.Unlock()
			i, ok := index[g]
			if !ok {
				i = uint16(len(c.groups))
				index[g] = i
				c.groups = append(c.groups, g)
			}
			return i
		}
	)
	for range workers {
		wg.Go(func() {
			p := pred.Fork()
			for job := range jobs {
				batch := job.items
				out := make([]record, 0, len(batch))
				for i := range batch {
					m := &batch[i]
					pr := p.Predict(m.Carrier, m.Tech, m.Lon, m.Lat, m.CellID)
					land := data.TypeCommune
					if pr.Ward {
						land = data.TypeWard
					}
					xy := tm.Forward([2]float64{m.Lon, m.Lat})
					out = append(out, record{x: float32(xy[0]), y: float32(xy[1]), unixS: m.Time.Unix(),
						level: float32(m.LevelDBm), pred: float32(pr.LevelDBm), distKM: float32(pr.DistanceM / 1000),
						group: groupf(Group{m.Carrier, m.Tech, land}), commune: int16(pr.Commune), matched: pr.Matched})
				}
				bufs.Put(batch[:0])
				outs <- batchOf[record]{job.n, out}
			}
		})
	}
	done := make(chan struct{})
	go func() { // the records in the samples' order, whichever worker finishes first (Bins reads scans in it)
		pending := map[int][]record{}
		next := 0
		for out := range outs {
			pending[out.n] = out.items
			for recs, ok := pending[next]; ok; recs, ok = pending[next] {
				c.recs = append(c.recs, recs...)
				delete(pending, next)
				next++
			}
		}
		close(done)
	}()
	var err error
	batches := 0
	send := func(batch []data.Measurement) {
		jobs <- batchOf[data.Measurement]{batches, batch}
		batches++
	}
	batch := bufs.Get().([]data.Measurement)
	for m, e := range samples {
		if e != nil {
			err = e
			break
		}
		if !slices.Contains(data.AnalysedTechs, m.Tech) {
			continue
		}
		batch = append(batch, m)
		if len(batch) == batchSize {
			if err = ctx.Err(); err != nil {
				break
			}
			send(batch)
			batch = bufs.Get().([]data.Measurement)
		}
	}
	if len(batch) > 0 && err == nil {
		send(batch)
	}
	close(jobs)
	wg.Wait()
	close(outs)
	<-done
	if err != nil {
		return nil, err
	}
	c.sortGroups()
	return c, nil
}

// batchOf is the n-th batch of samples (from 0) or its records.
type batchOf[T any] struct {
	n     int
	items []T
}

// sortGroups puts the groups in display order (carriers as data.DefaultCarriers, then by id;
// 3G before 4G; commune land before ward land) and renumbers the records.
func (c *Comparison) sortGroups() {
	order := make([]int, len(c.groups))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmpGroup(c.groups[a], c.groups[b]) })
	renum := make([]uint16, len(c.groups))
	sorted := make([]Group, len(c.groups))
	for n, i := range order {
		renum[i], sorted[n] = uint16(n), c.groups[i]
	}
	c.groups = sorted
	for i := range c.recs {
		c.recs[i].group = renum[c.recs[i].group]
	}
}

// carrierRank orders carrier ids: data.DefaultCarriers first, in its order, then the others.
func carrierRank(id string) int {
	if i := slices.IndexFunc(data.DefaultCarriers(), func(c data.Carrier) bool { return c.ID == id }); i >= 0 {
		return i
	}
	return math.MaxInt
}

func cmpGroup(a, b Group) int {
	return cmp.Or(cmp.Compare(carrierRank(a.Carrier), carrierRank(b.Carrier)), cmp.Compare(a.Carrier, b.Carrier),
		cmp.Compare(a.Tech, b.Tech), cmp.Compare(a.Land, b.Land))
}

// Engine returns the engine whose predictions the comparison holds.
func (c *Comparison) Engine() *coverage.Engine { return c.eng }

// Len returns the number of samples compared.
func (c *Comparison) Len() int { return len(c.recs) }

// Groups returns the carrier × technology × land classes the samples fall in, in display order.
func (c *Comparison) Groups() []Group { return slices.Clone(c.groups) }

// Span returns the time of the first and the last sample (zero without samples), UTC.
func (c *Comparison) Span() (from, to time.Time) {
	for i, r := range c.recs {
		if i == 0 || r.unixS < from.Unix() {
			from = time.Unix(r.unixS, 0)
		}
		if i == 0 || r.unixS > to.Unix() {
			to = time.Unix(r.unixS, 0)
		}
	}
	return from.UTC(), to.UTC()
}

// residualSum accumulates residuals.
type residualSum struct {
	n          int
	sum, sumSq float64
}

func (s *residualSum) add(r float64) {
	s.n++
	s.sum += r
	s.sumSq += r * r
}

// stats returns the count, mean, population standard deviation and RMSE, rounded to 0.01 dB.
func (s residualSum) stats() coverage.ResidualStats {
	if s.n == 0 {
		return coverage.ResidualStats{}
	}
	n := float64(s.n)
	mean := s.sum / n
	msq := s.sumSq / n
	return coverage.ResidualStats{Count: s.n, MeanDB: round2(mean), StdDB: round2(math.Sqrt(max(0, msq-mean*mean))), RMSEDB: round2(math.Sqrt(msq))}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// valid reports whether r has a prediction.
func (r *record) valid() bool { return !math.IsNaN(float64(r.pred)) }

// residual is measured − predicted, dB.
func (r *record) residual() float64 { return float64(r.level) - float64(r.pred) }

// lgDistance returns lg of the distance in km the fits use, clamped below at geo.CorrectionMinKM as the
// correction is.
func lgDistance(distKM float32) float64 {
	return math.Log10(max(float64(distKM), geo.CorrectionMinKM))
}
