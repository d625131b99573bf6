package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"phusong/data/coverage"
	"phusong/data/persist"
	"phusong/data/testenv"
	"phusong/server/app"
)

// TestBackendsServeAlikeRegional: the demo served region by region from a SQLite and from a
// PostgreSQL database — first computed (the regions queued, taken and stored), then, by a second
// app on the same database, assembled from the stored results — gives byte-for-byte the same
// answers all four times (the second start computes no region): the per-commune report, the communes, and coverage layers of two
// technologies, carriers and zooms.
func TestBackendsServeAlikeRegional(t *testing.T) {
	testenv.Heavy(t, "the demo served region by region on two databases, twice each")
	base := demoState(t)
	in := app.Input{Communes: base.Communes, Carriers: base.Carriers, Sites: demoInput.Sites, Note: demoInput.Note,
		Coverage: coverage.Options{CellM: 200}, RegionCells: 48 * 48}
	paths := []string{"/api/v1/report.csv", "/api/v1/communes.geojson?tech=4G",
		"/api/v1/coverage.geojson?tech=4G&carrier=any&zoom=10", "/api/v1/coverage.geojson?tech=3G&carrier=viettel&zoom=12"}
	type run struct {
		name    string
		answers [][]byte
	}
	var runs []run
	for _, b := range []persist.Backend{persist.SQLite, persist.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			db := openDB(t, b)
			t.Cleanup(func() { db.Close() })
			for _, start := range []string{"computed", "assembled"} {
				a, err := app.OpenDB(context.Background(), db, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				s, err := New(a, Options{Limits: testDeadlines(Limits{AnonRatePerMinute: -1}), SpoolDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				ts := httptest.NewServer(s.Handler())
				r := run{name: string(b) + " " + start}
				for _, p := range paths {
					resp, err := http.Get(ts.URL + p)
					if err != nil {
						t.Fatal(err)
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						t.Fatalf("GET %s: %d %v %s", p, resp.StatusCode, err, body)
					}
					r.answers = append(r.answers, body)
				}
				ts.Close()
				a.Close()
				runs = append(runs, r)
			}
			// the second start computed nothing: every region's job was taken once, by the first
			heads, err := db.Sites().Heads(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			fp, err := app.Fingerprint(in.Communes, nil, in.Coverage, in.RegionCells)
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := db.RegionJobs(context.Background(), fp, persist.DataVersion(heads))
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) < 10 {
				t.Errorf("%d region jobs, want one a region (at least 10)", len(jobs))
			}
			for _, j := range jobs {
				if j.State != persist.JobDone || j.Attempts != 1 {
					t.Errorf("region %d: %s after %d attempts, want done once", j.Region, j.State, j.Attempts)
				}
			}
		})
	}
	if len(runs) != 4 {
		t.Fatalf("%d runs, want 4", len(runs))
	}
	for _, r := range runs[1:] {
		for i, p := range paths {
			if len(runs[0].answers[i]) < 500 {
				t.Errorf("GET %s: %d bytes, too few to compare anything", p, len(runs[0].answers[i]))
			}
			if !bytes.Equal(r.answers[i], runs[0].answers[i]) {
				t.Errorf("GET %s differs: %d bytes (%s), %d bytes (%s)", p, len(r.answers[i]), r.name, len(runs[0].answers[i]), runs[0].name)
			}
		}
	}
}
