package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/persist"
)

// resultsFormat names the stored results' meaning; it is part of every fingerprint, so a
// phusong that computes differently never reads another's results. Change it with the engine.
const resultsFormat = "phusong region results 1"

// Fingerprint is the SHA-256 (hex) of every input of a region-by-region computation besides the
// station lists: the communes (codes, names, types, provinces, census figures and geometry to the
// bit), the coverage definition (its JSON: rules, tiers, calibration), the engine options that
// change results (cell size, planned sites, technologies) and the region size. Stored results
// are keyed by it (and by each region's sites), so a result computed from other inputs is never
// served.
func Fingerprint(communes []data.Commune, def *coverage.Definition, opts coverage.Options, regionCells int) (string, error) {
	if def == nil {
		def = coverage.DefaultDefinition()
	}
	h := sha256.New()
	put := func(b []byte) {
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	put([]byte(resultsFormat))
	d, err := json.Marshal(def)
	if err != nil {
		return "", fmt.Errorf("app: fingerprint: %w", err)
	}
	put(d)
	cellM := opts.CellM
	if cellM == 0 {
		cellM = coverage.DefaultCellM
	}
	if regionCells <= 0 {
		regionCells = coverage.DefaultRegionCells
	}
	o, _ := json.Marshal(struct {
		CellM          float64
		IncludePlanned bool
		Techs          []data.Tech
		RegionCells    int
	}{cellM, opts.IncludePlanned, opts.Techs, regionCells})
	put(o)
	for i := range communes {
		c, err := json.Marshal(&communes[i])
		if err != nil {
			return "", fmt.Errorf("app: fingerprint: %w", err)
		}
		put(c)
		put(coverage.EncodeMultiPolygon(communes[i].Geometry)) // to the bit
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Regions computes a country region by region through a database: every region's result is
// stored there (persist.PutRegionResult) by whichever process computes it, keyed by the inputs
// Fingerprint and the region's sites, and the regions still missing are jobs (region_jobs) that
// any process with the same inputs takes (Work). A serve process assembles the stored results
// instead of computing them again: at start on a database that holds them (openRegions, which
// computes the missing ones for serving and stores them afterwards: complete), and after a
// replica's upload for the regions that replica computed.
type Regions struct {
	db     *persist.DB
	plan   *coverage.RegionPlan
	fp     string
	worker string        // this process's name in the jobs it takes
	lease  time.Duration // how long a taken job is this worker's without renewal
	poll   time.Duration // how often Assemble looks for regions computed by others
	log    *slog.Logger

	storeMu sync.Mutex  // one storeState at a time
	start   StartReport // how openRegions filled the regions
}

// DefaultJobLease is how long a worker holds a region job without renewing it (it renews every
// third of it): a killed worker's job is taken again after at most this long.
const DefaultJobLease = 30 * time.Second

// NewRegions plans in's regions (in.RegionCells, in.Communes, in.Definition, in.Coverage) and
// computes their fingerprint. worker names this process in the jobs it takes ("" =
// host:pid:random).
func NewRegions(db *persist.DB, in Input, worker string, log *slog.Logger) (*Regions, error) {
	if db == nil {
		return nil, errors.New("app: regions through a database need one")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if in.Population != nil || in.Engine != nil {
		return nil, ErrRegions
	}
	def, _ := in.defaults()
	plan, err := coverage.PlanRegions(in.Communes, def, in.Coverage, in.RegionCells)
	if err != nil {
		return nil, fmt.Errorf("app: regions: %w", err)
	}
	fp, err := Fingerprint(in.Communes, def, in.Coverage, in.RegionCells)
	if err != nil {
		return nil, err
	}
	if worker == "" { // two Apps of one process are two workers
		host, _ := os.Hostname()
		worker = host + ":" + strconv.Itoa(os.Getpid()) + ":" + rand.Text()[:8]
	}
	return &Regions{db: db, plan: plan, fp: fp, worker: worker, lease: DefaultJobLease, poll: 200 * time.Millisecond, log: log}, nil
}

// WithLease sets how long a taken job is this worker's without renewal (tests: a short one).
func (r *Regions) WithLease(lease time.Duration) *Regions { r.lease = lease; return r }

// Fingerprint returns the inputs fingerprint the results and jobs are keyed by.
func (r *Regions) Fingerprint() string { return r.fp }

// Len returns the number of regions.
func (r *Regions) Len() int { return r.plan.Len() }

// keys returns the region keys of sites.
func (r *Regions) keys(sites []data.Site) ([]persist.RegionKey, error) {
	inputs, err := r.plan.Inputs(sites)
	if err != nil {
		return nil, err
	}
	keys := make([]persist.RegionKey, len(inputs))
	for ri, in := range inputs {
		keys[ri] = persist.RegionKey{Fingerprint: r.fp, Region: ri, Inputs: in}
	}
	return keys, nil
}

// AssembleReport says how Assemble got a version's regions.
type AssembleReport struct {
	Regions  int // in the plan
	Stored   int // found in the database at first
	Queued   int // jobs added for the missing ones
	Computed int // computed by this process (Work)
}

// Assemble returns the Regional result of sites (the lists of data version version) from the
// stored results: the missing regions are queued as jobs, this process works on them alongside
// any other worker, and it waits for those others take until every region is stored (polling).
// Nothing of the layers is read until a layer is asked for.
func (r *Regions) Assemble(ctx context.Context, version string, sites []data.Site) (*coverage.Result, *coverage.RegionReport, AssembleReport, error) {
	keys, err := r.keys(sites)
	if err != nil {
		return nil, nil, AssembleReport{Regions: r.plan.Len()}, err
	}
	sums, rep, err := r.fill(ctx, version, &served{version: version, sites: sites, keys: keys})
	if err != nil {
		return nil, nil, rep, err
	}
	res, crep, err := r.plan.AssembleRegions(sites, sums, r.source(ctx, keys))
	return res, crep, rep, err
}

// served is a data version's site lists and region keys at hand, and the Regional result
// served for them when there is one (a job of that version and key then stores the result's
// RegionOutput: its levels computed again once, its pieces and gaps shared with the serving).
type served struct {
	version string
	sites   []data.Site
	keys    []persist.RegionKey
	res     *coverage.Result // nil: none
}

// fill makes every region of in stored: the missing regions are queued as jobs, this process
// works on them alongside any other worker, and it waits for those others take until every
// region is stored (polling). It returns the stored summaries of in.keys.
func (r *Regions) fill(ctx context.Context, version string, in *served) ([][]byte, AssembleReport, error) {
	rep := AssembleReport{Regions: r.plan.Len()}
	cur := *in // work may move it to another version's lists
	for first := true; ; first = false {
		sums, missing, err := r.stored(ctx, in.keys)
		if err != nil {
			return nil, rep, err
		}
		if first {
			rep.Stored = len(in.keys) - len(missing)
			if len(missing) > 0 {
				if rep.Queued, err = r.db.EnqueueRegionJobs(ctx, version, missing); err != nil {
					return nil, rep, err
				}
				r.log.Info("regions to compute", slog.Int("stored", rep.Stored), slog.Int("missing", len(missing)),
					slog.String("fingerprint", r.fp[:12]), slog.String("data_version", version))
			}
		}
		if len(missing) == 0 {
			return sums, rep, nil
		}
		n, err := r.work(ctx, &cur)
		rep.Computed += n
		if err != nil {
			return nil, rep, err
		}
		if n == 0 { // others hold the rest: wait for them (or for their leases to run out)
			select {
			case <-ctx.Done():
				return nil, rep, ctx.Err()
			case <-time.After(r.poll):
			}
		}
	}
}

// source is the LayerSource of results stored under keys.
func (r *Regions) source(ctx context.Context, keys []persist.RegionKey) coverage.LayerSource {
	ctx = context.WithoutCancel(ctx) // layers are read while serving, long after the start
	return func(carrier string, tech data.Tech, tier int, regions []int) ([][]byte, error) {
		ks := make([]persist.RegionKey, len(regions))
		for n, ri := range regions {
			ks[n] = keys[ri]
		}
		return r.db.RegionLayer(ctx, carrier, string(tech), tier, ks)
	}
}

// Work takes this fingerprint's region jobs until none is left to take, computing each and
// storing its result; it returns how many it computed. A job's list of sites is read at its data
// version (persist.Versioned.At per carrier, or the current lists when they are that version).
func (r *Regions) Work(ctx context.Context) (int, error) {
	return r.work(ctx, &served{})
}

// work is Work with the site lists of one version at hand (in; its list and keys are replaced
// when a job of another version is taken).
func (r *Regions) work(ctx context.Context, in *served) (int, error) {
	done := 0
	for {
		job, ok, err := r.db.ClaimRegionJob(ctx, r.fp, r.worker, r.lease)
		if err != nil || !ok {
			return done, err
		}
		if in.sites == nil || in.version != job.DataVersion {
			sites, err := sitesAt(ctx, r.db, job.DataVersion)
			if err != nil {
				return done, err
			}
			*in = served{version: job.DataVersion, sites: sites} // keep one version
		}
		if in.keys == nil {
			if in.keys, err = r.keys(in.sites); err != nil {
				return done, err
			}
		}
		if k := in.keys[job.Region]; k.Inputs != job.Inputs {
			// the lists read at the version's heads are not the ones the job was queued with (a
			// server read its lists while another replica's upload landed): leave the job to the
			// server that queued it, which holds those lists
			r.log.Warn("region job of other inputs than its data version's lists: left to its server", slog.Int("region", job.Region),
				slog.String("data_version", job.DataVersion))
			continue
		}
		compute := func(ctx context.Context) (*coverage.RegionOutput, error) {
			return r.plan.Compute(ctx, job.Region, in.sites)
		}
		if res := in.res; res != nil {
			compute = func(ctx context.Context) (*coverage.RegionOutput, error) {
				return res.RegionOutputContext(ctx, job.Region)
			}
		}
		if err := r.runJob(ctx, job, compute); err != nil {
			if errors.Is(err, persist.ErrJobLost) {
				r.log.Warn("region job taken by another worker", slog.Int("region", job.Region), slog.String("err", err.Error()))
				continue
			}
			return done, err
		}
		done++
	}
}

// runJob computes job with compute, renewing its lease meanwhile, and stores the result.
func (r *Regions) runJob(ctx context.Context, job persist.RegionJob, compute func(context.Context) (*coverage.RegionOutput, error)) error {
	start := time.Now()
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := r.renewing(jctx, func(ctx context.Context) error {
		var err error
		job, err = r.db.RenewRegionJob(ctx, job, r.lease)
		return err
	}, func(error) { cancel() }) // lost (or the database is gone): stop computing
	out, err := compute(jctx)
	cancel()
	if rerr := stop(); rerr != nil {
		return rerr
	}
	if err != nil {
		return err
	}
	if err := r.db.FinishRegionJob(context.WithoutCancel(ctx), job, regionResult(job.RegionKey, job.DataVersion, r.worker, out)); err != nil {
		return err
	}
	r.log.Info("region computed", slog.Int("region", job.Region), slog.Int("of", r.plan.Len()),
		slog.Duration("took", time.Since(start)), slog.Int("layers", len(out.Layers)))
	return nil
}

// sitesAt returns every carrier's site list at data version v.
func sitesAt(ctx context.Context, db *persist.DB, v string) ([]data.Site, error) {
	heads, err := persist.ParseDataVersion(v)
	if err != nil {
		return nil, err
	}
	cur, err := db.Sites().Heads(ctx)
	if err != nil {
		return nil, err
	}
	if persist.DataVersion(cur) == v {
		return db.Sites().Current(ctx, "")
	}
	var out []data.Site
	for _, id := range heads {
		list, err := db.Sites().At(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("app: sites of data version %s: %w", v, err)
		}
		out = append(out, list...)
	}
	return out, nil
}

// storeState writes the regions of st (a Regional state served now) that the database does not
// hold yet, and the per-commune statistics of its version: what an upload or a follow computed
// becomes every replica's (and the next start's). Errors are logged: serving goes on.
func (r *Regions) storeState(ctx context.Context, st *State) {
	r.storeMu.Lock()
	defer r.storeMu.Unlock()
	start := time.Now()
	heads, err := r.db.Sites().Heads(ctx)
	if err != nil {
		r.log.Warn("storing results", slog.String("err", err.Error()))
		return
	}
	version := persist.DataVersion(heads) // the version the lists are at now (st's, or just after)
	sites := sitesOf(st.Snapshot)
	keys, err := r.keys(sites)
	if err != nil {
		r.log.Warn("storing results", slog.String("err", err.Error()))
		return
	}
	_, missing, err := r.stored(ctx, keys)
	if err != nil {
		r.log.Warn("storing results", slog.String("err", err.Error()))
		return
	}
	stored := 0
	for _, k := range missing {
		ri := k.Region
		out, err := st.Coverage.RegionOutput(ri)
		if err == nil {
			err = r.db.PutRegionResult(ctx, regionResult(k, version, r.worker, out))
		}
		if err != nil {
			r.log.Warn("storing a region's result", slog.Int("region", ri), slog.String("err", err.Error()))
			return
		}
		stored++
	}
	if err := r.storeStats(ctx, st, version); err != nil {
		r.log.Warn("storing the commune statistics", slog.String("err", err.Error()))
		return
	}
	r.log.Info("results stored", slog.Int("regions", stored), slog.String("data_version", version), slog.Duration("took", time.Since(start)))
}

// storeStats writes st's per-commune and whole-area statistics as the results of version.
func (r *Regions) storeStats(ctx context.Context, st *State, version string) error {
	var rows []persist.CommuneResult
	for _, tech := range data.AnalysedTechs {
		all := append([]coverage.CommuneStats{st.Coverage.Province(tech)}, st.Coverage.CommuneStatsFor(tech)...)
		for _, s := range all {
			b, err := json.Marshal(s)
			if err != nil {
				return err
			}
			rows = append(rows, persist.CommuneResult{Tech: string(tech), Code: s.Code, Stats: b})
		}
	}
	return r.db.PutCommuneResults(ctx, r.fp, version, rows)
}

// openRegions returns the Regions of in over db and the State of in.Sites (db's lists at the
// data version of heads): the regions stored assembled, the missing ones computed as
// ServeRegions computes them (their statistics and the map's first layers now, every other layer
// and gap when asked), so that a first start serves as soon as the statistics are there. Replicas
// starting together on one database share the missing ones region by region (fillClaimed: each
// computes the regions it claims and assembles the others' partial results). pending
// is nil when every region was stored; otherwise the missing regions are still to be stored
// (complete, in the background once serving).
func openRegions(ctx context.Context, db *persist.DB, in Input, heads map[headsKey]int64, log *slog.Logger) (r *Regions, st *State, pending *served, err error) {
	r, err = NewRegions(db, in, "", log)
	if err != nil {
		return nil, nil, nil, err
	}
	siteHeads := map[string]int64{}
	for k, id := range heads {
		if k.kind == siteKind.kind.Name {
			siteHeads[k.carrier] = id
		}
	}
	start := time.Now()
	version := persist.DataVersion(siteHeads)
	keys, err := r.keys(in.Sites)
	if err != nil {
		return nil, nil, nil, err
	}
	sums, missing, err := r.stored(ctx, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	r.start = StartReport{Regions: r.Len(), Stored: r.Len() - len(missing)}
	res, rep, err := r.plan.ServeFilled(ctx, in.Sites, sums, r.source(ctx, keys), r.fillClaimed(ctx, keys, &r.start))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("app: computing coverage: %w", err)
	}
	log.Info("coverage assembled from the database", slog.Int("regions", r.Len()), slog.Int("stored", r.start.Stored),
		slog.Int("computed_here", r.start.Computed), slog.Int("retaken", r.start.Retaken), slog.Int("from_other_replicas", r.start.Partial+r.start.Later),
		slog.Duration("took", time.Since(start)))
	def, carriers := in.defaults()
	sites, err := openStore(r.plan.ReachOf(in.Sites), in.Sites, in.MinVersion) // reaches measured once, by Inputs
	if err != nil {
		return nil, nil, nil, err
	}
	st = &State{Snapshot: sites.Snapshot(), Coverage: res, Communes: res.Engine().Communes(), Area: data.AreaOf(in.Communes),
		Carriers: carriers, Definition: def, Note: in.Note, Store: sites, Regions: rep, answers: newStoredAnswers(db, res, r.fp, version, log)}
	if st, err = st.withInputFibre(in); err != nil {
		return nil, nil, nil, err
	}
	if len(missing) > 0 {
		pending = &served{version: version, sites: in.Sites, keys: keys, res: res}
	}
	return r, st, pending, nil
}

// complete stores the results of the regions of in (the state served at start) that the
// database lacks, through their region jobs: queued, taken by this process (storing the served
// result's RegionOutput: the first layers already contoured are not contoured again) alongside
// any other worker, and waited for when others hold them, until every region is stored or ctx
// is done. A process stopped meanwhile leaves the rest queued (or leased: taken again once the
// lease runs out), for the next start or a worker. Errors are logged: serving goes on.
func (r *Regions) complete(ctx context.Context, in *served) {
	start := time.Now()
	_, rep, err := r.fill(ctx, in.version, in)
	if err != nil {
		lvl := slog.LevelWarn
		if ctx.Err() != nil {
			lvl = slog.LevelInfo
		}
		r.log.Log(context.WithoutCancel(ctx), lvl, "storing the regions' results stopped", slog.Int("computed_here", rep.Computed), slog.String("err", err.Error()))
		return
	}
	r.log.Info("results stored", slog.Int("regions", rep.Regions-rep.Stored), slog.Int("computed_here", rep.Computed),
		slog.String("data_version", in.version), slog.Duration("took", time.Since(start)))
}

// storeStartStats stores the commune statistics of st, the state served at start for version,
// unless they are stored.
func (r *Regions) storeStartStats(ctx context.Context, st *State, version string) {
	has, err := r.db.HasCommuneResults(ctx, r.fp, version)
	if err == nil && !has {
		err = r.storeStats(ctx, st, version)
	}
	if err != nil {
		r.log.Warn("storing the commune statistics", slog.String("err", err.Error()))
	}
}

// storeResults stores, in the background, the results of st that the database lacks, when the
// app computes region by region through it (Close waits for the writes).
func (a *App) storeResults(st *State) {
	if a.regions == nil || st.Regions == nil {
		return
	}
	a.storing.Go(func() { a.regions.storeState(context.Background(), st) })
}

// OpenWorker returns the Regions a worker process takes jobs for: in's communes, definition (or,
// when in names none, the calibration the database serves, as a server does), options and region
// size over db. Its fingerprint must equal the servers' for it to find their jobs: run it with
// the same --communes, --config, --cell-m and --region-cells.
func OpenWorker(ctx context.Context, db *persist.DB, in Input, name string, log *slog.Logger) (*Regions, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := useServedDefinition(ctx, db, &in, log); err != nil {
		return nil, err
	}
	return NewRegions(db, in, name, log)
}

// Enqueue queues as jobs the regions of sites (the lists of data version version) whose results
// are not stored, for workers (Work, `phusong worker`) to compute; it returns how many it queued.
func (r *Regions) Enqueue(ctx context.Context, version string, sites []data.Site) (int, error) {
	keys, err := r.keys(sites)
	if err != nil {
		return 0, err
	}
	_, missing, err := r.stored(ctx, keys)
	if err != nil {
		return 0, err
	}
	return r.db.EnqueueRegionJobs(ctx, version, missing)
}

// stored returns the stored summaries of keys (nil where none is) and the keys without one.
func (r *Regions) stored(ctx context.Context, keys []persist.RegionKey) ([][]byte, []persist.RegionKey, error) {
	inputs := make([]string, len(keys))
	for ri, k := range keys {
		inputs[ri] = k.Inputs
	}
	sums, err := r.db.RegionSummaries(ctx, r.fp, inputs)
	if err != nil {
		return nil, nil, err
	}
	var missing []persist.RegionKey
	for ri, s := range sums {
		if s == nil {
			missing = append(missing, keys[ri])
		}
	}
	return sums, missing, nil
}

// regionResult is out as stored under k.
func regionResult(k persist.RegionKey, version, worker string, out *coverage.RegionOutput) persist.RegionResult {
	res := persist.RegionResult{RegionKey: k, DataVersion: version, Worker: worker, Summary: out.Summary}
	for _, l := range out.Layers {
		res.Layers = append(res.Layers, persist.LayerPiece{Carrier: l.Carrier, Tech: string(l.Tech), Tier: l.Tier, Polygons: l.Polygons})
	}
	return res
}
