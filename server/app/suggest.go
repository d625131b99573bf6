package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"time"

	"phusong/data/persist"
	"phusong/data/plan"
)

// Suggest chooses up to opts.Count new sites on st (plan.Suggest over st's coverage, sites
// and fibre network); opts.Workers 0 uses GOMAXPROCS.
func (st *State) Suggest(ctx context.Context, opts plan.Options) (*plan.Result, error) {
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return plan.Suggest(ctx, st.Coverage, st.Snapshot, st.Fibre, opts)
}

// Suggestion job states.
const (
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// maxJobs is how many suggestion jobs the app remembers (the oldest finished ones are
// forgotten first); maxRunningJobs how many may run at once.
const (
	maxJobs        = 32
	maxRunningJobs = 2
)

// SuggestJob is a suggestion run on a scenario, in the background.
type SuggestJob struct {
	ID       string       `json:"id"`
	Scenario int64        `json:"scenario"`
	Status   string       `json:"status"`
	Done     int          `json:"done"`  // candidates whose footprint is computed
	Total    int          `json:"total"` // candidates (0 until known)
	Started  time.Time    `json:"started"`
	Result   *plan.Result `json:"result,omitempty"`
	Error    string       `json:"error,omitempty"`

	ownerKind, owner string
	cancel           context.CancelFunc
}

// jobs holds the app's suggestion jobs.
type jobs struct {
	mu    sync.Mutex
	byID  map[string]*SuggestJob
	order []string
}

// StartSuggestion starts plan.Suggest on scenario id's state (its edits applied to the
// published data, with the app's roads when opts has none) if who owns the scenario, and
// returns the job at once; SuggestionJob reads its progress and result, CancelSuggestion
// stops it.
func (a *App) StartSuggestion(ctx context.Context, who persist.TokenInfo, id int64, opts plan.Options) (SuggestJob, error) {
	ns, _, _, _, err := a.scenarioState(ctx, who, id)
	if err != nil {
		return SuggestJob{}, err
	}
	if may := mayEditCarrier(who); may != nil && !may(opts.Carrier) {
		return SuggestJob{}, denied("token %s suggests sites for carrier %q only", who.Prefix(), who.Carrier)
	}
	kind, owner, _ := scenarioOwner(who)
	var raw [8]byte
	rand.Read(raw[:])
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	j := &SuggestJob{ID: hex.EncodeToString(raw[:]), Scenario: id, Status: JobRunning, Started: time.Now().UTC(),
		ownerKind: kind, owner: owner, cancel: cancel}
	a.jobs.mu.Lock()
	running := 0
	for _, o := range a.jobs.byID {
		if o.Status == JobRunning {
			running++
		}
	}
	if running >= maxRunningJobs {
		a.jobs.mu.Unlock()
		cancel()
		return SuggestJob{}, &BusyError{Msg: fmt.Sprintf("%d suggestion runs are in progress; try again when one ends", running)}
	}
	if a.jobs.byID == nil {
		a.jobs.byID = map[string]*SuggestJob{}
	}
	a.jobs.byID[j.ID] = j
	a.jobs.order = append(a.jobs.order, j.ID)
	for len(a.jobs.order) > maxJobs {
		old := a.jobs.order[0]
		if a.jobs.byID[old].Status == JobRunning {
			break
		}
		delete(a.jobs.byID, old)
		a.jobs.order = a.jobs.order[1:]
	}
	snap := *j
	a.jobs.mu.Unlock()
	if opts.Roads == nil {
		opts.Roads = a.roads
	}
	opts.Progress = func(done, total int) {
		a.jobs.mu.Lock()
		j.Done, j.Total = done, total
		a.jobs.mu.Unlock()
	}
	go func() {
		res, err := ns.Suggest(jctx, opts)
		a.jobs.mu.Lock()
		defer a.jobs.mu.Unlock()
		switch {
		case err == nil:
			j.Status, j.Result = JobDone, res
		case jctx.Err() != nil:
			j.Status, j.Error = JobCancelled, "cancelled"
		default:
			j.Status, j.Error = JobFailed, err.Error()
		}
		cancel()
		a.log.Info("suggestion", "job", j.ID, "scenario", id, "status", j.Status, "ms", time.Since(j.Started).Milliseconds())
	}()
	return snap, nil
}

// BusyError: too many long runs in progress (503 with Retry-After).
type BusyError struct{ Msg string }

func (e *BusyError) Error() string { return e.Msg }

// job returns a copy of job jobID of scenario id if who owns it (ErrNotFound otherwise).
func (a *App) job(who persist.TokenInfo, id int64, jobID string, cancel bool) (SuggestJob, error) {
	kind, owner, err := scenarioOwner(who)
	if err != nil {
		return SuggestJob{}, err
	}
	a.jobs.mu.Lock()
	defer a.jobs.mu.Unlock()
	j, ok := a.jobs.byID[jobID]
	if !ok || j.Scenario != id || j.ownerKind != kind || j.owner != owner {
		return SuggestJob{}, fmt.Errorf("suggestion %q of scenario %d: %w", jobID, id, ErrNotFound)
	}
	if cancel && j.Status == JobRunning {
		j.cancel()
	}
	return *j, nil
}

// SuggestionJob returns the job's progress and, when done, its result.
func (a *App) SuggestionJob(who persist.TokenInfo, id int64, jobID string) (SuggestJob, error) {
	return a.job(who, id, jobID, false)
}

// CancelSuggestion asks a running job to stop (its status turns cancelled shortly after).
func (a *App) CancelSuggestion(who persist.TokenInfo, id int64, jobID string) (SuggestJob, error) {
	return a.job(who, id, jobID, true)
}

// cancelAll asks every running job to stop.
func (js *jobs) cancelAll() {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range js.byID {
		if j.Status == JobRunning {
			j.cancel()
		}
	}
}
