package server

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"phusong/data/persist"
)

// authAction is one protected request of the authorisation matrix, about viettel's data. path
// may create what the request needs (a token to revoke); ok is the status when allowed.
type authAction struct {
	name    string
	method  string
	path    func(t *testing.T) string
	body    []byte
	headers []string
	ok      int
}

// authRole is one kind of token: the actions it may do (every other one is refused with
// refused: 403 for a valid token, 401 without one), and whose uploads GET /api/v1/uploads
// lists for it (nil: everyone's).
type authRole struct {
	name    string
	token   string
	may     []string
	refused int
	sees    []string
}

// TestAuthorizationMatrix runs every role against every protected action, both ways: what a
// role may do answers the action's success status, everything else 403 (401 without a valid
// token), across carriers (mobifone's token on viettel's uploads, diffs and rollbacks) and for
// the admin token (which reads and rolls back any carrier's list but uploads none). A new role
// (a planner's read-only token) is one more row of roles.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, Limits{})
	ctx := t.Context()
	seeds := map[string]int64{}
	ups, err := e.db.Uploads(ctx, persist.UploadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		seeds[u.Carrier] = u.ID
	}
	viettel := seeds["viettel"]
	if viettel == 0 || seeds["mobifone"] == 0 {
		t.Fatalf("seed uploads %v: want viettel's and mobifone's", seeds)
	}
	revoked, info, err := e.db.CreateToken(ctx, "viettel", false, "revoked")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	fixed := func(p string) func(*testing.T) string { return func(*testing.T) string { return p } }
	upload := fmt.Sprintf("/api/v1/uploads/%d", viettel)
	fibre := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.30,9.90],[106.31,9.90]]},"properties":{"route_id":"T-1","kind":"distribution"}}]}`)
	actions := []authAction{
		{"upload viettel's sites", "POST", fixed("/api/v1/carriers/viettel/sites?mode=upsert&dry_run=true"),
			sitesCSV(t, genSites("viettel", 1, 2)), []string{"Content-Type: text/csv"}, 200},
		{"upload viettel's fibre", "POST", fixed("/api/v1/operators/viettel/fibre?dry_run=true"), fibre, []string{"Content-Type: application/geo+json"}, 200},
		{"read viettel's upload", "GET", fixed(upload), nil, nil, 200},
		{"diff viettel's upload", "GET", fixed(upload + "/diff"), nil, nil, 200},
		{"roll back viettel's upload", "POST", fixed(upload + "/rollback?dry_run=true"), nil, nil, 200},
		{"list viettel's uploads", "GET", fixed("/api/v1/uploads?carrier=viettel"), nil, nil, 200},
		{"list tokens", "GET", fixed("/api/v1/admin/tokens"), nil, nil, 200},
		{"create a token", "POST", fixed("/api/v1/admin/tokens"), []byte(`{"carrier":"gmobile","note":"matrix"}`), nil, 201},
		{"revoke a token", "DELETE", func(t *testing.T) string {
			_, spare, err := e.db.CreateToken(ctx, "gmobile", false, "to revoke")
			if err != nil {
				t.Fatal(err)
			}
			return "/api/v1/admin/tokens/" + spare.ID
		}, nil, nil, 204},
		{"who am I", "GET", fixed("/api/v1/token"), nil, nil, 200},
	}
	viettelOwn := []string{"upload viettel's sites", "upload viettel's fibre", "read viettel's upload", "diff viettel's upload",
		"roll back viettel's upload", "list viettel's uploads", "who am I"}
	otherUpload := []string{"read viettel's upload", "diff viettel's upload", "roll back viettel's upload"}
	roles := []authRole{
		{"viettel's carrier token", e.tok["viettel"], viettelOwn, http.StatusForbidden, []string{"viettel"}},
		{"mobifone's carrier token", e.tok["mobifone"], []string{"who am I"}, http.StatusForbidden, []string{"mobifone"}},
		{"admin token", e.tok["admin"], []string{"read viettel's upload", "diff viettel's upload", "roll back viettel's upload",
			"list viettel's uploads", "list tokens", "create a token", "revoke a token", "who am I"}, http.StatusForbidden, nil},
		{"revoked viettel token", revoked, nil, http.StatusUnauthorized, nil},
		{"no token", "", nil, http.StatusUnauthorized, nil},
	}
	for _, role := range roles {
		t.Run(role.name, func(t *testing.T) {
			for _, a := range actions {
				want := role.refused
				switch {
				case slices.Contains(role.may, a.name):
					want = a.ok
				case role.refused == http.StatusForbidden && role.sees != nil && slices.Contains(otherUpload, a.name):
					// Another carrier's upload is not found, as an unknown one is: a 403 would tell a
					// rival which carrier uploaded when.
					want = http.StatusNotFound
				}
				path := a.path(t)
				r := e.call(t, a.method, path, role.token, a.body, a.headers...)
				if r.status != want {
					t.Errorf("%s: %s %s → %d %s, want %d", a.name, a.method, path, r.status, truncate(string(r.body), 200), want)
				}
			}
			if role.refused == http.StatusUnauthorized {
				return
			}
			// Every upload: the role's own carrier's, or everyone's.
			list := decode[uploadsBody](t, e.call(t, "GET", "/api/v1/uploads?limit=1000", role.token, nil))
			var carriers []string
			for _, u := range list.Uploads {
				if !slices.Contains(carriers, u.Carrier) {
					carriers = append(carriers, u.Carrier)
				}
			}
			slices.Sort(carriers)
			want := role.sees
			if want == nil {
				want = slices.Sorted(func(yield func(string) bool) {
					for c := range seeds {
						if !yield(c) {
							return
						}
					}
				})
			}
			if !slices.Equal(carriers, want) {
				t.Errorf("GET /api/v1/uploads lists uploads of %v, want %v", carriers, want)
			}
		})
	}
}
