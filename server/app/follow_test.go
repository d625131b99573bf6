package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"phusong/data"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/persist/pgtest"
	"phusong/data/store"
	"phusong/data/testenv"
)

// pg is the PostgreSQL server of this package's tests, started by the first test that needs
// it and stopped by TestMain.
var pg = pgtest.New()

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, pg)) }

// openTwice opens two handles on one fresh database of backend b (as two processes would),
// closed when t ends.
func openTwice(t *testing.T, b persist.Backend) (*persist.DB, *persist.DB) {
	t.Helper()
	open := func() func() (*persist.DB, error) {
		if b == persist.Postgres {
			url := pg.URL(t)
			return func() (*persist.DB, error) { return persist.OpenURL(t.Context(), url, persist.Options{}) }
		}
		dir := t.TempDir()
		return func() (*persist.DB, error) { return persist.Open(dir) }
	}()
	var dbs [2]*persist.DB
	for i := range dbs {
		db, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// regionBackends are the backends of the region-job tests other than TestRegionJobs: both when
// the whole suite runs (testenv.Full: CI=true or PHUSONG_HEAVY=1), SQLite alone in a quick make
// test. Their PostgreSQL side takes the app's path of the SQLite side, each a whole regional
// compute of the demo: persist's own tests run the jobs' SQL on both backends, and the quick
// set keeps TestRegionJobs and TestTwoWritersLoseNothing on PostgreSQL.
func regionBackends() []persist.Backend {
	if testenv.Full() {
		return []persist.Backend{persist.SQLite, persist.Postgres}
	}
	return []persist.Backend{persist.SQLite}
}

// servedIDs are the ids of carrier's sites a serves, sorted.
func servedIDs(a *App, carrier string) []string {
	var ids []string
	for _, s := range a.State().Snapshot.Sites(store.Filter{Carrier: carrier}) {
		ids = append(ids, s.SiteID)
	}
	slices.Sort(ids)
	return ids
}

// TestTwoWritersLoseNothing: two Apps (replicas) on one database upsert new sites of the same
// carrier at the same time, one site per upload. No upload is lost (each was computed from the
// list as it stood when it committed: a write computed from a list the other replica changed
// meanwhile is read and computed again, persist.ErrStale), and after Sync both serve exactly
// the stored list — on SQLite (two handles on one file) and on PostgreSQL.
func TestTwoWritersLoseNothing(t *testing.T) {
	st := mustDemo(t)
	var seed []data.Site
	for _, s := range st.Snapshot.Sites(store.Filter{}) {
		seed = append(seed, *s)
	}
	const carrier, perWriter = "viettel", 4
	template := *st.Snapshot.Sites(store.Filter{Carrier: carrier})[0]
	for _, b := range []persist.Backend{persist.SQLite, persist.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			dbA, dbB := openTwice(t, b)
			var apps [2]*App
			for i, db := range []*persist.DB{dbA, dbB} {
				a, err := OpenDB(ctx, db, Input{Engine: st.Engine, Communes: st.Communes, Carriers: st.Carriers, Sites: seed}, nil)
				if err != nil {
					t.Fatal(err)
				}
				apps[i] = a
			}
			_, tok, err := dbA.CreateToken(ctx, carrier, false, "two writers")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 2*perWriter)
			for w, a := range apps {
				wg.Go(func() {
					for k := range perWriter {
						s := template
						s.SiteID = fmt.Sprintf("replica-%c-%d", 'a'+w, k)
						s.Lon += 0.001 * float64(1+k+perWriter*w)
						var csv bytes.Buffer
						if err := input.WriteSitesCSV(&csv, []data.Site{s}); err != nil {
							errs <- err
							return
						}
						if _, err := a.Apply(ctx, tok, Upload{Kind: "sites", Owner: carrier, Mode: persist.ModeUpsert,
							Format: FormatCSV, Body: &csv}); err != nil {
							errs <- fmt.Errorf("writer %c upload %d: %w", 'a'+w, k, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			stored, err := dbA.Sites().Current(ctx, carrier)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, s := range stored {
				want = append(want, s.SiteID)
			}
			for w := range 2 {
				for k := range perWriter {
					if id := fmt.Sprintf("replica-%c-%d", 'a'+w, k); !slices.Contains(want, id) {
						t.Errorf("upload of %s was acknowledged but is not in the stored list", id)
					}
				}
			}
			for i, a := range apps {
				if _, err := a.Sync(ctx); err != nil {
					t.Fatal(err)
				}
				if got := servedIDs(a, carrier); !slices.Equal(got, want) {
					t.Errorf("replica %d serves %d sites of %s after Sync, the database holds %d", i, len(got), carrier, len(want))
				}
				if n, err := a.Sync(ctx); err != nil || n != 0 {
					t.Errorf("a second Sync brought %d lists in (%v), want none", n, err)
				}
			}
		})
	}
}
