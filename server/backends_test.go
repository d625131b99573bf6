package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"phusong/data/persist"
)

// openDB opens a fresh database of backend b for t (closed by the environment made on it).
func openDB(t *testing.T, b persist.Backend) *persist.DB {
	t.Helper()
	var db *persist.DB
	var err error
	if b == persist.Postgres {
		db, err = persist.OpenURL(context.Background(), pg.URL(t), persist.Options{})
	} else {
		db, err = persist.Open(t.TempDir())
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestBackendsServeAlike: the same uploads over HTTP (a replace, an upsert, a delete, a
// rollback), each served at once, on a server over SQLite and one over PostgreSQL, give
// byte-for-byte the same answers: the per-commune report, the communes, the sites and the 4G
// coverage.
func TestBackendsServeAlike(t *testing.T) {
	t.Parallel()
	base := demoState(t)
	answers := map[persist.Backend][][]byte{}
	paths := []string{"/api/v1/report.csv", "/api/v1/communes.geojson?tech=4G", "/api/v1/sites.csv",
		"/api/v1/coverage.geojson?tech=4G&carrier=any&zoom=10"}
	for _, b := range []persist.Backend{persist.SQLite, persist.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			e := newUploadEnvDB(t, openDB(t, b), base, Limits{}, nil, "")
			post := func(path, token string, body []byte) uploadReply {
				t.Helper()
				r := e.call(t, http.MethodPost, path, token, body, "Content-Type: text/csv")
				if r.status != http.StatusOK {
					t.Fatalf("POST %s: %d %s", path, r.status, r.body)
				}
				return decode[uploadReply](t, r)
			}
			v, m := "viettel", "mobifone"
			first := post("/api/v1/carriers/"+v+"/sites?mode=replace", e.tok[v], sitesCSV(t, genSites(v, 1, 9)))
			if got, _ := siteIDsOf(t, e.ts.URL, v); !slices.Equal(got, idsOf(genSites(v, 1, 9))) {
				t.Fatalf("after the replace %s serves %v", v, got)
			}
			post("/api/v1/carriers/"+m+"/sites?mode=upsert", e.tok[m], sitesCSV(t, genSites(m, 2, 5)))
			post("/api/v1/carriers/"+v+"/sites?mode=replace", e.tok[v], sitesCSV(t, genSites(v, 3, 4)))
			del := genSites(m, 2, 5)[:2]
			post("/api/v1/carriers/"+m+"/sites?mode=delete", e.tok[m], sitesCSV(t, del))
			post(fmt.Sprintf("/api/v1/uploads/%d/rollback", first.Upload.ID), e.tok[v], nil)
			if got, _ := siteIDsOf(t, e.ts.URL, v); !slices.Equal(got, idsOf(genSites(v, 1, 9))) {
				t.Fatalf("after the rollback %s serves %v", v, got)
			}
			for _, p := range paths {
				r := e.call(t, http.MethodGet, p, "", nil)
				if r.status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", p, r.status, r.body)
				}
				answers[b] = append(answers[b], r.body)
			}
		})
	}
	lite, pgs := answers[persist.SQLite], answers[persist.Postgres]
	if len(lite) != len(paths) || len(pgs) != len(paths) {
		t.Fatalf("answers: %d on SQLite, %d on PostgreSQL, want %d each", len(lite), len(pgs), len(paths))
	}
	for i, p := range paths {
		if len(lite[i]) < 500 {
			t.Errorf("GET %s: %d bytes, too few to compare anything", p, len(lite[i]))
		}
		if !bytes.Equal(lite[i], pgs[i]) {
			t.Errorf("GET %s differs: %d bytes on SQLite, %d on PostgreSQL", p, len(lite[i]), len(pgs[i]))
		}
	}
}
