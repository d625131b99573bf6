package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/persist"
	"phusong/server/app"
)

// Upload API over real HTTP (loopback) against a server with its own database.

func TestUploadAuth(t *testing.T) {
	e := newUploadEnv(t, Limits{MaxBodyBytes: 64 << 10, MaxDecompressedBytes: 256 << 10})
	ctx := t.Context()
	revoked, info, err := e.db.CreateToken(ctx, "viettel", false, "to revoke")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	unlisted, _, err := e.db.CreateToken(ctx, "acme", false, "carrier not listed")
	if err != nil {
		t.Fatal(err)
	}
	good := sitesCSV(t, genSites("viettel", 1, 3))
	big := bytes.Repeat([]byte("x"), 65<<10)
	bomb := gzipped(append([]byte("site_id,lon,lat,tech"), bytes.Repeat([]byte("\n"), 300<<10)...)) // 300 KB decoded from ~300 B
	post := "/api/v1/carriers/viettel/sites?dry_run=true"
	cases := []struct {
		name    string
		method  string
		path    string
		token   string
		body    []byte
		headers []string
		status  int
		inError string // substring of the JSON error
	}{
		{"no token", "POST", post, "", good, []string{"Content-Type: text/csv"}, 401, "missing token"},
		{"malformed token", "POST", post, "secret", good, []string{"Content-Type: text/csv"}, 401, "invalid or revoked"},
		{"unknown token", "POST", post, "phs_000000000000_" + strings.Repeat("0", 64), good, []string{"Content-Type: text/csv"}, 401, "invalid or revoked"},
		{"revoked token", "POST", post, revoked, good, []string{"Content-Type: text/csv"}, 401, "invalid or revoked"},
		{"basic scheme", "POST", post, "", good, []string{"Content-Type: text/csv", "Authorization: Basic dXNlcjpwdw=="}, 401, "missing token"},
		{"another carrier's token", "POST", post, e.tok["vinaphone"], good, []string{"Content-Type: text/csv"}, 403, `writes carrier "vinaphone", not "viettel"`},
		{"admin token uploads nothing", "POST", post, e.tok["admin"], good, []string{"Content-Type: text/csv"}, 403, "admin token"},
		{"carrier not listed", "POST", "/api/v1/carriers/acme/sites", unlisted, good, []string{"Content-Type: text/csv"}, 404, `carrier "acme"`},
		{"bad mode", "POST", "/api/v1/carriers/viettel/sites?mode=merge", e.tok["viettel"], good, []string{"Content-Type: text/csv"}, 400, "mode"},
		{"bad dry_run", "POST", "/api/v1/carriers/viettel/sites?dry_run=maybe", e.tok["viettel"], good, []string{"Content-Type: text/csv"}, 400, "dry_run"},
		{"no content type", "POST", post, e.tok["viettel"], good, nil, 415, "text/csv"},
		{"xml", "POST", post, e.tok["viettel"], good, []string{"Content-Type: application/xml"}, 415, "application/xml"},
		{"brotli", "POST", post, e.tok["viettel"], good, []string{"Content-Type: text/csv", "Content-Encoding: br"}, 415, "Content-Encoding"},
		{"over the raw limit", "POST", post, e.tok["viettel"], big, []string{"Content-Type: text/csv"}, 413, "65536 bytes"},
		{"gzip bomb", "POST", post, e.tok["viettel"], bomb, []string{"Content-Type: text/csv", "Content-Encoding: gzip"}, 413, "decompressed body"},
		{"not gzip", "POST", post, e.tok["viettel"], good, []string{"Content-Type: text/csv", "Content-Encoding: gzip"}, 400, "not valid gzip"},
		{"truncated gzip", "POST", post, e.tok["viettel"], gzipped(good)[:40], []string{"Content-Type: text/csv", "Content-Encoding: gzip"}, 400, "not valid gzip"},
		{"gzip accepted", "POST", post, e.tok["viettel"], gzipped(good), []string{"Content-Type: text/csv", "Content-Encoding: gzip"}, 200, ""},
		{"csv with charset accepted", "POST", post, e.tok["viettel"], good, []string{"Content-Type: text/csv; charset=utf-8"}, 200, ""},
		{"uploads need a token", "GET", "/api/v1/uploads", "", nil, nil, 401, "missing token"},
		{"other carrier's history", "GET", "/api/v1/uploads?carrier=viettel", e.tok["mobifone"], nil, nil, 403, "mobifone"},
		{"tokens need admin", "GET", "/api/v1/admin/tokens", e.tok["viettel"], nil, nil, 403, "admin token"},
		{"create token needs admin", "POST", "/api/v1/admin/tokens", e.tok["viettel"], []byte(`{"carrier":"viettel"}`), nil, 403, "admin token"},
		{"revoke needs admin", "DELETE", "/api/v1/admin/tokens/" + e.inf["viettel"].ID, e.tok["viettel"], nil, nil, 403, "admin token"},
		{"whoami", "GET", "/api/v1/token", e.tok["mobifone"], nil, nil, 200, ""},
		{"rollback of unknown upload", "POST", "/api/v1/uploads/999999/rollback", e.tok["viettel"], nil, nil, 404, "not found"},
		{"rollback with a bad id", "POST", "/api/v1/uploads/x/rollback", e.tok["viettel"], nil, nil, 400, "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, tc.method, tc.path, tc.token, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("%s %s → %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.status)
			}
			if tc.status >= 400 {
				eb := decode[errorBody](t, r)
				if eb.Status != tc.status || !strings.Contains(eb.Error, tc.inError) {
					t.Fatalf("error body %+v, want status %d and %q", eb, tc.status, tc.inError)
				}
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			for _, tk := range []string{tc.token, e.tok["viettel"]} {
				if tk != "" && bytes.Contains(r.body, []byte(tk)) {
					t.Fatal("the reply echoes a token")
				}
			}
		})
	}
}

// TestUploadRateLimit runs the server's limiters on a fake clock (no request depends on how
// fast the machine is): 60 per minute, burst 3, per token; 3 bad tokens at once per address.
func TestUploadRateLimit(t *testing.T) {
	// 60 per minute, burst 3: the 4th request at once is refused for about a second.
	e := newUploadEnv(t, Limits{TokenRatePerMinute: 60, TokenBurst: 3, BadTokenRatePerMinute: 60, BadTokenBurst: 3})
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e.s.up.perToken.now, e.s.up.failures.now = clk.now, clk.now
	whoami := func(token string) reply { return e.call(t, "GET", "/api/v1/token", token, nil) }
	for i := range 3 {
		if r := whoami(e.tok["viettel"]); r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	// The 4th at once is refused for a second (1 request at 1/s), and so it stays until the
	// second has passed, to the millisecond.
	for _, after := range []time.Duration{0, 999 * time.Millisecond} {
		clk.advance(after)
		r := whoami(e.tok["viettel"])
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
			t.Fatalf("4th request %v later: %d, Retry-After %q; want 429, 1", after, r.status, r.header.Get("Retry-After"))
		}
		if eb := decode[errorBody](t, r); eb.Status != 429 || !strings.Contains(eb.Error, e.inf["viettel"].Prefix()) {
			t.Fatalf("429 body %+v", eb)
		}
	}
	clk.advance(time.Millisecond)
	if r := whoami(e.tok["viettel"]); r.status != 200 {
		t.Fatalf("a second after the burst: %d, want 200", r.status)
	}
	if r := whoami(e.tok["viettel"]); r.status != http.StatusTooManyRequests {
		t.Fatalf("the second's one request used: %d, want 429", r.status)
	}
	// Another token has its own bucket.
	if r := whoami(e.tok["mobifone"]); r.status != 200 {
		t.Fatalf("other token: %d", r.status)
	}
	// Bad tokens from one address: 401 while the address's bucket lasts, then 429; a second
	// later one more 401.
	var got []int
	for range 5 {
		got = append(got, whoami("phs_bad").status)
	}
	clk.advance(time.Second)
	got = append(got, whoami("phs_bad").status, whoami("phs_bad").status)
	if !slices.Equal(got, []int{401, 401, 401, 429, 429, 401, 429}) {
		t.Fatalf("bad tokens → %v, want 3×401, 2×429, then after a second 401, 429", got)
	}
	// The bad-token limit comes before the check: once it is reached, a right guess from the
	// address is refused unchecked too (before, it was answered 200, so guessing went on at
	// full speed). Valid tokens do not use the address's bucket up.
	if r := e.call(t, "GET", "/api/v1/token", e.tok["vinaphone"], nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("valid token after the bad ones: %d, want 429", r.status)
	}
	e2 := newUploadEnv(t, Limits{TokenRatePerMinute: -1, BadTokenRatePerMinute: 60, BadTokenBurst: 3})
	for i := range 10 {
		if r := e2.call(t, "GET", "/api/v1/token", e2.tok["viettel"], nil); r.status != 200 {
			t.Fatalf("valid request %d: %d", i, r.status)
		}
	}
	if r := e2.call(t, "GET", "/api/v1/token", "phs_bad", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("a bad token after 10 good ones: %d, want 401", r.status)
	}
}

// uploadReply is the JSON of a 200 upload answer, as a client reads it.
type uploadReply struct {
	Summary     string         `json:"summary"`
	Upload      persist.Upload `json:"upload"`
	DataVersion uint64         `json:"data_version"`
	Changes     app.ChangedIDs `json:"changes"`
	Impact      app.SiteImpact `json:"impact"`
	Timings     app.Timings    `json:"timings_ms"`
}

func TestUploadDryRunThenApply(t *testing.T) {
	e := newUploadEnv(t, Limits{})
	before, v0 := siteIDsOf(t, e.ts.URL, "viettel")
	etag0 := get(t, e.ts.URL+"/api/v1/communes").header.Get("Etag")
	// Replace viettel's list: keep its first 400 sites, move one, add 2 generated ones.
	var kept []data.Site
	for _, s := range demoInput.Sites {
		if s.Carrier == "viettel" && len(kept) < 400 {
			kept = append(kept, s)
		}
	}
	kept[0].HeightM += 10
	next := append(slices.Clone(kept), genSites("viettel", 1, 2)...)
	file := sitesCSV(t, next)

	r := e.uploadCSV(t, "viettel", "replace", true, file)
	if r.status != 200 {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	dry := decode[uploadReply](t, r)
	removed := len(before) - len(kept)
	if !dry.Upload.DryRun || dry.Upload.Added != 2 || dry.Upload.Modified != 1 || dry.Upload.Removed != removed ||
		dry.Upload.Total != len(next) || dry.DataVersion != v0 {
		t.Fatalf("dry run record %+v (version %d); want dry, +2 ~1 -%d, total %d, version %d",
			dry.Upload, dry.DataVersion, removed, len(next), v0)
	}
	if len(dry.Changes.Added) != 2 || dry.Changes.Changed[0] != kept[0].SiteID || len(dry.Changes.Removed) != removed {
		t.Fatalf("dry run changes %+v", dry.Changes)
	}
	if len(dry.Impact.Communes) == 0 || len(dry.Impact.Province) != len(data.AnalysedTechs) {
		t.Fatalf("dry run impact: %d communes, %d province rows", len(dry.Impact.Communes), len(dry.Impact.Province))
	}
	// Removing 125 of viettel's sites cannot raise viettel's own coverage anywhere but near the
	// two new sites, and lowers its province 4G population.
	p4 := dry.Impact.Province[slices.Index(data.AnalysedTechs, data.Tech4G)]
	if !(p4.CarrierAfter.CoveredPopulation < p4.CarrierBefore.CoveredPopulation) {
		t.Fatalf("province 4G for viettel %+v → %+v: expected a loss", p4.CarrierBefore, p4.CarrierAfter)
	}
	// The impact's "before" is what the API serves now.
	cb := decode[communeBody](t, get(t, e.ts.URL+"/api/v1/communes/"+dry.Impact.Communes[0].Code))
	ci := dry.Impact.Communes[0]
	if got := cb.Techs[ci.Tech]; round2(got.CoveredAreaPct) != ci.Before.CoveredAreaPct {
		t.Fatalf("commune %s %s: impact before %.2f %%, API %.2f %%", ci.Code, ci.Tech, ci.Before.CoveredAreaPct, got.CoveredAreaPct)
	}
	// Nothing changed.
	if ids, v := siteIDsOf(t, e.ts.URL, "viettel"); v != v0 || !slices.Equal(ids, before) {
		t.Fatalf("dry run changed the served sites (version %d → %d)", v0, v)
	}
	if etag := get(t, e.ts.URL+"/api/v1/communes").header.Get("Etag"); etag != etag0 {
		t.Fatal("dry run changed the communes ETag")
	}

	// The real run applies the same change, at once.
	r = e.uploadCSV(t, "viettel", "replace", false, file)
	if r.status != 200 {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	real := decode[uploadReply](t, r)
	if real.Upload.DryRun || real.Upload.ID <= dry.Upload.ID || real.DataVersion != v0+1 {
		t.Fatalf("applied record %+v version %d; want a later id, version %d", real.Upload, real.DataVersion, v0+1)
	}
	dryImpact, _ := json.Marshal(dry.Impact)
	realImpact, _ := json.Marshal(real.Impact)
	if !bytes.Equal(dryImpact, realImpact) {
		t.Fatal("the applied impact differs from the dry run's on the same base")
	}
	ids, v := siteIDsOf(t, e.ts.URL, "viettel")
	want := make([]string, len(next))
	for i := range next {
		want[i] = next[i].SiteID
	}
	slices.Sort(want)
	if v != v0+1 || !slices.Equal(ids, want) {
		t.Fatalf("served viettel sites after apply: %d (version %d), want %d (version %d)", len(ids), v, len(want), v0+1)
	}
	r = get(t, e.ts.URL+"/api/v1/communes", "If-None-Match: "+etag0)
	if r.status != 200 || r.header.Get("Etag") == etag0 {
		t.Fatalf("communes after apply: %d with ETag %s (was %s)", r.status, r.header.Get("Etag"), etag0)
	}
	cb = decode[communeBody](t, get(t, e.ts.URL+"/api/v1/communes/"+ci.Code))
	if got := cb.Techs[ci.Tech]; round2(got.CoveredAreaPct) != ci.After.CoveredAreaPct {
		t.Fatalf("commune %s %s after apply: %.2f %%, impact said %.2f %%", ci.Code, ci.Tech, got.CoveredAreaPct, ci.After.CoveredAreaPct)
	}

	// The audit trail has both, newest first, and the diff of the applied one.
	list := decode[uploadsBody](t, e.call(t, "GET", "/api/v1/uploads", e.tok["viettel"], nil))
	if len(list.Uploads) < 3 || list.Uploads[0].ID != real.Upload.ID || list.Uploads[1].ID != dry.Upload.ID ||
		list.Uploads[len(list.Uploads)-1].Mode != persist.ModeSeed {
		t.Fatalf("viettel's uploads: %+v", list.Uploads)
	}
	for _, u := range list.Uploads {
		if u.Carrier != "viettel" {
			t.Fatalf("viettel's token sees upload %d of %s", u.ID, u.Carrier)
		}
	}
	d := decode[persist.Diff[data.Site]](t, e.call(t, "GET", fmt.Sprintf("/api/v1/uploads/%d/diff", real.Upload.ID), e.tok["viettel"], nil))
	if len(d.Added) != 2 || len(d.Changed) != 1 || d.Changed[0].After.HeightM != kept[0].HeightM || len(d.Removed) != removed {
		t.Fatalf("diff: +%d ~%d -%d", len(d.Added), len(d.Changed), len(d.Removed))
	}
	if r := e.call(t, "GET", fmt.Sprintf("/api/v1/uploads/%d/diff", dry.Upload.ID), e.tok["viettel"], nil); r.status != http.StatusConflict {
		t.Fatalf("diff of a dry run: %d, want 409", r.status)
	}
	// Another carrier's upload is answered as an unknown id would be: a 403 naming its carrier
	// let a rival map who uploads when.
	unknown := decode[errorBody](t, e.call(t, "GET", "/api/v1/uploads/999999", e.tok["mobifone"], nil))
	for _, path := range []string{"/api/v1/uploads/%d", "/api/v1/uploads/%d/diff", "/api/v1/uploads/%d/rollback?dry_run=true"} {
		method := http.MethodGet
		if strings.Contains(path, "rollback") {
			method = http.MethodPost
		}
		r := e.call(t, method, fmt.Sprintf(path, real.Upload.ID), e.tok["mobifone"], nil)
		eb := decode[errorBody](t, r)
		if r.status != http.StatusNotFound || eb.Error != strings.Replace(unknown.Error, "999999", fmt.Sprint(real.Upload.ID), 1) ||
			strings.Contains(string(r.body), "viettel") {
			t.Fatalf("mobifone %s %s: %d %s; want 404 as for an unknown id (%s)", method, path, r.status, r.body, unknown.Error)
		}
	}

	// Rollback to the seed restores the original list as a new version.
	seed := list.Uploads[len(list.Uploads)-1]
	r = e.call(t, "POST", fmt.Sprintf("/api/v1/uploads/%d/rollback", seed.ID), e.tok["viettel"], nil)
	if r.status != 200 {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	rb := decode[uploadReply](t, r)
	if rb.Upload.Mode != persist.ModeRollback || rb.Upload.RollbackTo == nil || *rb.Upload.RollbackTo != seed.ID ||
		rb.Upload.Added != removed || rb.Upload.Removed != 2 || rb.Upload.Modified != 1 {
		t.Fatalf("rollback record %+v", rb.Upload)
	}
	if ids, v := siteIDsOf(t, e.ts.URL, "viettel"); v != v0+2 || !slices.Equal(ids, before) {
		t.Fatalf("after rollback: %d sites (version %d), want the %d of the seed (version %d)", len(ids), v, len(before), v0+2)
	}
}

func TestUploadModes(t *testing.T) {
	e := newUploadEnv(t, Limits{})
	base := genSites("mobifone", 3, 10)
	steps := []struct {
		name    string
		mode    string
		sites   []data.Site
		file    []byte // instead of sites
		status  int
		wantIDs []string // mobifone's served ids afterwards (sorted)
	}{
		{"replace", "replace", base, nil, 200, idsOf(base)},
		{"upsert adds and updates", "upsert", append(genSites("mobifone", 4, 2), base[0]), nil, 200,
			sortedIDs(append(idsOf(base), idsOf(genSites("mobifone", 4, 2))...))},
		{"delete by id column", "delete", nil, []byte("site_id\n" + base[1].SiteID + "\n" + base[2].SiteID + "\n" + base[1].SiteID + "\n"), 200,
			sortedIDs(slices.Concat(idsOf(base[:1]), idsOf(base[3:]), idsOf(genSites("mobifone", 4, 2))))},
		{"delete of an unknown id changes nothing", "delete", nil, []byte("site_id\n" + base[0].SiteID + "\nNOPE\n"), 422,
			sortedIDs(slices.Concat(idsOf(base[:1]), idsOf(base[3:]), idsOf(genSites("mobifone", 4, 2))))},
		{"delete with an empty id", "delete", nil, []byte("site_id;x\n;1\n"), 422,
			sortedIDs(slices.Concat(idsOf(base[:1]), idsOf(base[3:]), idsOf(genSites("mobifone", 4, 2))))},
		{"delete with the full list", "delete", genSites("mobifone", 4, 2), nil, 200,
			sortedIDs(slices.Concat(idsOf(base[:1]), idsOf(base[3:])))},
	}
	for _, st := range steps {
		file := st.file
		if file == nil {
			file = sitesCSV(t, st.sites)
		}
		r := e.uploadCSV(t, "mobifone", st.mode, false, file)
		if r.status != st.status {
			t.Fatalf("%s: %d %s, want %d", st.name, r.status, r.body, st.status)
		}
		if ids, _ := siteIDsOf(t, e.ts.URL, "mobifone"); !slices.Equal(ids, st.wantIDs) {
			t.Fatalf("%s: served %v, want %v", st.name, ids, st.wantIDs)
		}
	}
	// GeoJSON delete: features with a site_id property.
	gj := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"site_id":%q}}]}`, base[0].SiteID)
	r := e.call(t, "POST", "/api/v1/carriers/mobifone/sites?mode=delete", e.tok["mobifone"], []byte(gj), "Content-Type: application/geo+json")
	if r.status != 200 || decode[uploadReply](t, r).Upload.Removed != 1 {
		t.Fatalf("GeoJSON delete: %d %s", r.status, r.body)
	}
}

func idsOf(sites []data.Site) []string {
	out := make([]string, len(sites))
	for i := range sites {
		out[i] = sites[i].SiteID
	}
	return sortedIDs(out)
}

func sortedIDs(ids []string) []string { ids = slices.Clone(ids); slices.Sort(ids); return ids }

func TestAdminTokens(t *testing.T) {
	e := newUploadEnv(t, Limits{})
	admin := e.tok["admin"]
	r := e.call(t, "POST", "/api/v1/admin/tokens", admin, []byte(`{"carrier":"gmobile","note":"ops"}`))
	if r.status != http.StatusCreated || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	made := decode[createTokenBody](t, r)
	if !strings.HasPrefix(made.Token, made.Info.Prefix()+"_") || made.Info.Carrier != "gmobile" {
		t.Fatalf("created %+v", made.Info)
	}
	who := decode[whoamiBody](t, e.call(t, "GET", "/api/v1/token", made.Token, nil))
	if who.Token.ID != made.Info.ID || who.Token.Carrier != "gmobile" {
		t.Fatalf("whoami %+v", who)
	}
	list := decode[tokensBody](t, e.call(t, "GET", "/api/v1/admin/tokens", admin, nil))
	if len(list.Tokens) != 1+len(envCarriers)+1 || bytes.Contains(e.call(t, "GET", "/api/v1/admin/tokens", admin, nil).body, []byte(made.Token)) {
		t.Fatalf("list: %d tokens (or a secret in it)", len(list.Tokens))
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		{"unknown carrier", "POST", "/api/v1/admin/tokens", `{"carrier":"acme"}`, 422},
		{"not JSON", "POST", "/api/v1/admin/tokens", `carrier=viettel`, 400},
		{"unknown field", "POST", "/api/v1/admin/tokens", `{"carrier":"viettel","expires":"never"}`, 400},
		{"note too long", "POST", "/api/v1/admin/tokens", `{"carrier":"viettel","note":"` + strings.Repeat("n", 201) + `"}`, 422},
		{"admin token", "POST", "/api/v1/admin/tokens", `{"admin":true}`, 201},
		{"revoke", "DELETE", "/api/v1/admin/tokens/" + made.Info.ID, "", 204},
		{"revoke again", "DELETE", "/api/v1/admin/tokens/" + made.Info.Prefix(), "", 204},
		{"revoke unknown", "DELETE", "/api/v1/admin/tokens/0123456789ab", "", 404},
		{"revoke by a whole token", "DELETE", "/api/v1/admin/tokens/" + e.tok["viettel"], "", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			if r := e.call(t, tc.method, tc.path, admin, body); r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
		})
	}
	if r := e.call(t, "GET", "/api/v1/token", made.Token, nil); r.status != 401 {
		t.Fatalf("revoked token still works: %d", r.status)
	}
}

func TestUploadsWithoutDatabase(t *testing.T) {
	_, ts := newTestServer(t)
	for _, p := range []string{"/api/v1/uploads", "/api/v1/token", "/api/v1/uploads/1"} {
		r := get(t, ts.URL+p, "Authorization: Bearer x")
		if r.status != 404 || !strings.Contains(decode[errorBody](t, r).Error, "not enabled") {
			t.Fatalf("%s on a read-only server: %d %s", p, r.status, r.body)
		}
	}
}

// ReceivingPerCarrier and fairness: while one viettel body is still arriving (a slow link or
// an attacker), another viettel upload gets 503 with Retry-After at once, but vinaphone's
// upload goes through (before, the upload slots were shared and taken before the body was
// read, so slow bodies of one carrier blocked every other); reads are not limited; once the
// first body is in, viettel may upload again.
func TestUploadReceivingPerCarrier(t *testing.T) {
	e := newUploadEnv(t, Limits{ReceivingPerCarrier: 1, TokenRatePerMinute: -1})
	file := sitesCSV(t, carrierSites("viettel"))
	url := e.ts.URL + "/api/v1/carriers/viettel/sites?mode=replace&dry_run=true"

	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.tok["viettel"])
	req.Header.Set("Content-Type", "text/csv")
	first := make(chan reply, 1)
	go func() {
		resp, err := rawClient.Do(req)
		if err != nil {
			first <- reply{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		first <- reply{resp.StatusCode, resp.Header, b}
	}()
	if _, err := pw.Write(file[:len(file)/2]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); e.s.up.receivingOf("viettel") == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first upload never started receiving")
		}
	}

	r := e.uploadCSV(t, "viettel", "replace", true, file)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("second viettel upload during the first: %d, Retry-After %q; want 503 (%s)", r.status, r.header.Get("Retry-After"), r.body)
	}
	if eb := decode[errorBody](t, r); eb.Status != 503 || !strings.Contains(eb.Error, "1 upload bodies of viettel are being received") {
		t.Fatalf("503 body %+v", eb)
	}
	if r := e.uploadCSV(t, "vinaphone", "replace", true, sitesCSV(t, carrierSites("vinaphone"))); r.status != 200 {
		t.Fatalf("vinaphone during viettel's slow body: %d %s", r.status, r.body)
	}
	if r := get(t, e.ts.URL+"/api/v1/communes"); r.status != 200 {
		t.Fatalf("a read during the upload: %d", r.status)
	}

	if _, err := pw.Write(file[len(file)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if r := <-first; r.status != 200 {
		t.Fatalf("first upload: %d %s", r.status, r.body)
	}
	if r := e.uploadCSV(t, "viettel", "replace", true, file); r.status != 200 {
		t.Fatalf("upload after the first finished: %d %s", r.status, r.body)
	}
}

// carrierSites are the demo's sites of carrier.
func carrierSites(carrier string) []data.Site {
	var out []data.Site
	for _, s := range demoInput.Sites {
		if s.Carrier == carrier {
			out = append(out, s)
		}
	}
	return out
}
