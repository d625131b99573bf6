package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"phusong/data"
	"phusong/data/coverage"
	"phusong/data/demo"
	"phusong/data/input"
	"phusong/data/persist"
	"phusong/data/store"
)

// demoState is the embedded demo at 200 m cells (fast under -race), built once.
var demoState = sync.OnceValues(func() (*State, error) {
	in, _, err := Load(Sources{NoFibre: true})
	if err != nil {
		return nil, err
	}
	in.Coverage = coverage.Options{CellM: 200}
	return Build(context.Background(), in)
})

func mustDemo(t *testing.T) *State {
	t.Helper()
	st, err := demoState()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestNewRefusesIncompleteState(t *testing.T) {
	st := mustDemo(t)
	cases := []struct {
		name string
		st   *State
	}{
		{"nil", nil},
		{"no snapshot", &State{Coverage: st.Coverage, Communes: st.Communes}},
		{"no coverage", &State{Snapshot: st.Snapshot, Communes: st.Communes}},
		{"no communes", &State{Snapshot: st.Snapshot, Coverage: st.Coverage}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.st, nil, nil); !errors.Is(err, ErrNoState) {
				t.Fatalf("New: %v, want ErrNoState", err)
			}
		})
	}
}

// TestLoadNotes: the demo's notes say what is synthetic, and only then.
func TestLoadNotes(t *testing.T) {
	in, _, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Note != demo.Note || in.FibreNote != demo.FibreNote || in.Fibre == nil || len(in.Sites) == 0 || len(in.Communes) == 0 {
		t.Fatalf("demo: note %q, fibre note %q, fibre %v, %d sites, %d communes", in.Note, in.FibreNote, in.Fibre != nil, len(in.Sites), len(in.Communes))
	}
	if in, _, err = Load(Sources{NoFibre: true}); err != nil || in.Fibre != nil || in.FibreNote != "" {
		t.Fatalf("NoFibre: %v, fibre %v, note %q", err, in.Fibre, in.FibreNote)
	}
}

// TestWithSitesIsForkedAndIncremental: a change made with WithSites leaves the original state
// as it was (its store, snapshot and coverage), and its coverage equals a full computation of
// the edited list on a fresh store, commune by commune.
func TestWithSitesIsForkedAndIncremental(t *testing.T) {
	st := mustDemo(t)
	before := st.Snapshot.Len()
	viettel := st.Snapshot.Sites(store.Filter{Carrier: "viettel"})
	if len(viettel) < 10 {
		t.Fatalf("%d viettel sites", len(viettel))
	}
	next := make([]data.Site, 0, len(viettel))
	for i, s := range viettel {
		if i%3 == 0 { // drop a third of the sites
			continue
		}
		c := *s
		if i%3 == 1 {
			c.HeightM += 15
		}
		next = append(next, c)
	}
	ns, err := st.WithSites(context.Background(), "viettel", next)
	if err != nil {
		t.Fatal(err)
	}
	if st.Snapshot.Len() != before || st.Store.Version() != st.Snapshot.Version() {
		t.Fatalf("the original state changed: %d sites (was %d), store v%d, snapshot v%d", st.Snapshot.Len(), before, st.Store.Version(), st.Snapshot.Version())
	}
	if ns.Snapshot.Version() <= st.Snapshot.Version() || ns.Snapshot.Len() != before-len(viettel)+len(next) {
		t.Fatalf("new state v%d (old v%d) with %d sites", ns.Snapshot.Version(), st.Snapshot.Version(), ns.Snapshot.Len())
	}
	var all []data.Site
	for _, s := range ns.Snapshot.Sites(store.Filter{}) {
		all = append(all, *s)
	}
	full, err := Build(context.Background(), Input{Engine: st.Engine, Sites: all})
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, tech := range data.AnalysedTechs {
		got, want := ns.Coverage.CommuneStatsFor(tech), full.Coverage.CommuneStatsFor(tech)
		old := st.Coverage.CommuneStatsFor(tech)
		for i := range want {
			if got[i].CoveredAreaKM2 != want[i].CoveredAreaKM2 || got[i].CoveredPopulation != want[i].CoveredPopulation ||
				!slices.Equal(got[i].AreaByCarrierCountKM2[:], want[i].AreaByCarrierCountKM2[:]) {
				t.Fatalf("%s %s: incremental %+v, full %+v", tech, want[i].Code, got[i], want[i])
			}
			if old[i].CoveredAreaKM2 != got[i].CoveredAreaKM2 {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Fatal("the change moved no commune's coverage: the test compares nothing")
	}
}

// TestLayerArguments: unknown communes and carriers are argument errors naming the argument;
// a listed carrier without sites is ErrNoSites.
func TestLayerArguments(t *testing.T) {
	st := mustDemo(t)
	var ae *ArgError
	if _, _, err := st.Layer(LayerRequest{Kind: LayerGaps, Tech: data.Tech4G, Commune: "nope"}); !errors.As(err, &ae) || ae.Name != "commune" {
		t.Errorf("unknown commune: %v", err)
	}
	if _, _, err := st.Layer(LayerRequest{Kind: LayerCoverage, Tech: data.Tech4G, Carrier: "acme"}); !errors.As(err, &ae) || ae.Name != "carrier" {
		t.Errorf("unknown carrier: %v", err)
	}
	if _, _, err := st.Layer(LayerRequest{Kind: "roads"}); !errors.As(err, &ae) || ae.Name != "layer" {
		t.Errorf("unknown layer: %v", err)
	}
	listed := *st
	listed.Carriers = append(slices.Clone(st.Carriers), data.Carrier{ID: "listed-only", Name: "Listed only"})
	if _, _, err := listed.Layer(LayerRequest{Kind: LayerCoverage, Tech: data.Tech4G, Carrier: "listed-only"}); !errors.Is(err, ErrNoSites) {
		t.Errorf("listed carrier without sites: %v", err)
	}
	fc, l, err := st.Layer(LayerRequest{Kind: LayerGaps, Tech: data.Tech4G, Commune: st.Communes[0].Code, MinGapAreaM2: 0})
	if err != nil || len(fc.Features) == 0 || l.ID == "" {
		t.Fatalf("gaps of %s: %v, %d features, layer %q", st.Communes[0].Code, err, len(fc.Features), l.ID)
	}
	for _, f := range fc.Features {
		if f.Properties["synthetic"] != true {
			t.Fatalf("a demo feature without the synthetic flag: %v", f.Properties)
		}
	}
}

// openDemo opens an app over the demo at 200 m (no fibre) with a database of its own in a
// temporary folder, seeded as serve seeds it (one upload per carrier).
func openDemo(t *testing.T) (*App, *persist.DB) {
	t.Helper()
	st := mustDemo(t)
	db, err := persist.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var sites []data.Site
	for _, s := range st.Snapshot.Sites(store.Filter{}) {
		sites = append(sites, *s)
	}
	a, err := OpenDB(context.Background(), db, Input{Engine: st.Engine, Communes: st.Communes, Carriers: st.Carriers, Sites: sites, Note: st.Note}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, db
}

// TestTokenRules runs each role's token against every use case that checks a token, both ways:
// what the role may do succeeds, everything else is ErrForbidden (a *DeniedError). Roles are
// rows: a carrier's token acts on its own carrier's lists only; the admin token reads, diffs
// and rolls back any carrier's list and manages tokens, but uploads no list. A new role (a
// planner's read-only token) is one more row.
func TestTokenRules(t *testing.T) {
	a, db := openDemo(t)
	ctx := t.Context()
	tokens := map[string]persist.TokenInfo{}
	for _, c := range []string{"admin", "viettel", "mobifone"} {
		_, info, err := db.CreateToken(ctx, strings.TrimPrefix(c, "admin"), c == "admin", "rules "+c)
		if err != nil {
			t.Fatal(err)
		}
		tokens[c] = info
	}
	seeds := map[string]int64{}
	ups, err := db.Uploads(ctx, persist.UploadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		seeds[u.Carrier] = u.ID
	}
	viettel := seeds["viettel"]
	var csv bytes.Buffer
	own := a.State().Snapshot.Sites(store.Filter{Carrier: "viettel"})
	if err := input.WriteSitesCSV(&csv, []data.Site{*own[0]}); err != nil {
		t.Fatal(err)
	}
	actions := []struct {
		name string
		do   func(tok persist.TokenInfo) error
	}{
		{"may upload viettel's sites", func(tok persist.TokenInfo) error { return a.MayUpload(tok, "sites", "viettel") }},
		{"upload viettel's sites", func(tok persist.TokenInfo) error {
			_, err := a.Apply(ctx, tok, Upload{Kind: "sites", Owner: "viettel", Mode: persist.ModeUpsert, DryRun: true,
				Format: FormatCSV, Body: bytes.NewReader(csv.Bytes())})
			return err
		}},
		{"may upload viettel's fibre", func(tok persist.TokenInfo) error { return a.MayUpload(tok, "fibre", "viettel") }},
		{"read viettel's upload", func(tok persist.TokenInfo) error { _, err := a.UploadRecord(ctx, tok, viettel); return err }},
		{"diff viettel's upload", func(tok persist.TokenInfo) error { _, err := a.Diff(ctx, tok, viettel); return err }},
		{"roll back viettel's upload", func(tok persist.TokenInfo) error { _, _, err := a.Rollback(ctx, tok, viettel, true); return err }},
		{"list viettel's uploads", func(tok persist.TokenInfo) error {
			_, _, err := a.Uploads(ctx, tok, UploadFilter{Carrier: "viettel", Limit: 10})
			return err
		}},
		{"list tokens", func(tok persist.TokenInfo) error { _, err := a.Tokens(ctx, tok); return err }},
		{"create a token", func(tok persist.TokenInfo) error {
			_, _, err := a.CreateToken(ctx, tok, "gmobile", false, "rules")
			return err
		}},
		{"revoke a token", func(tok persist.TokenInfo) error {
			_, spare, err := db.CreateToken(ctx, "gmobile", false, "to revoke")
			if err != nil {
				t.Fatal(err)
			}
			return a.RevokeToken(ctx, tok, spare.ID)
		}},
		{"admin", func(tok persist.TokenInfo) error { return MayAdmin(tok) }},
	}
	viettelOwn := []string{"may upload viettel's sites", "upload viettel's sites", "may upload viettel's fibre",
		"read viettel's upload", "diff viettel's upload", "roll back viettel's upload", "list viettel's uploads"}
	roles := []struct {
		name string
		tok  persist.TokenInfo
		may  []string
		sees []string // whose uploads Uploads lists (nil: everyone's)
	}{
		{"viettel's carrier token", tokens["viettel"], viettelOwn, []string{"viettel"}},
		{"mobifone's carrier token", tokens["mobifone"], nil, []string{"mobifone"}},
		{"admin token", tokens["admin"], []string{"read viettel's upload", "diff viettel's upload", "roll back viettel's upload",
			"list viettel's uploads", "list tokens", "create a token", "revoke a token", "admin"}, nil},
	}
	for _, role := range roles {
		t.Run(role.name, func(t *testing.T) {
			for _, act := range actions {
				err := act.do(role.tok)
				var denied *DeniedError
				switch allowed := slices.Contains(role.may, act.name); {
				case allowed && err != nil:
					t.Errorf("%s: %v, want it allowed", act.name, err)
				case !allowed && role.sees != nil && strings.HasSuffix(act.name, "viettel's upload"):
					// Another carrier's upload is not found, as an unknown one is (no 403 telling a
					// rival which carrier uploaded when).
					if !errors.Is(err, persist.ErrNotFound) {
						t.Errorf("%s: %v, want not found", act.name, err)
					}
				case !allowed && (!errors.Is(err, ErrForbidden) || !errors.As(err, &denied) || !strings.Contains(err.Error(), role.tok.Prefix())):
					t.Errorf("%s: %v, want ErrForbidden naming the token %s", act.name, err, role.tok.Prefix())
				}
			}
			list, _, err := a.Uploads(ctx, role.tok, UploadFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var carriers []string
			for _, u := range list {
				if !slices.Contains(carriers, u.Carrier) {
					carriers = append(carriers, u.Carrier)
				}
			}
			slices.Sort(carriers)
			want := role.sees
			if want == nil {
				want = slices.Sorted(maps.Keys(seeds))
			}
			if !slices.Equal(carriers, want) {
				t.Errorf("Uploads lists uploads of %v, want %v", carriers, want)
			}
		})
	}
	// An upload for a carrier the state does not list: ErrNotFound for that carrier's own
	// token (another carrier's token is refused first).
	_, acme, err := db.CreateToken(ctx, "acme", false, "unlisted")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.MayUpload(acme, "sites", "acme"); !errors.Is(err, ErrNotFound) {
		t.Errorf("acme's token uploading acme's sites: %v, want ErrNotFound", err)
	}
	if err := a.MayUpload(tokens["viettel"], "lists", "viettel"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown kind of list: %v, want ErrNotFound", err)
	}
}

// TestOpenWritableClose: Open creates the database in a folder and Close closes it (the next
// use fails); an app made by New without a database is read-only, refuses authentication and
// token management with ErrNoDatabase, and its Close does nothing; a folder that cannot hold a
// database, or inputs that do not build, fail Open with nothing left open.
func TestOpenWritableClose(t *testing.T) {
	st := mustDemo(t)
	ctx := t.Context()
	in := Input{Engine: st.Engine, Communes: st.Communes, Carriers: st.Carriers}
	dir := t.TempDir()
	a, err := Open(ctx, dir, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Writable() {
		t.Error("an app with a database is not writable")
	}
	who := persist.TokenInfo{ID: "000000000000", Admin: true}
	if _, err := a.Tokens(ctx, who); err != nil {
		t.Errorf("Tokens before Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Tokens(ctx, who); err == nil {
		t.Error("the database still answers after Close")
	}
	// The same folder opens again: the database was closed, not left locked.
	b, err := Open(ctx, dir, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	ro, err := New(st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ro.Writable() || ro.Close() != nil {
		t.Error("an app without a database is writable, or its Close fails")
	}
	if _, err := ro.Authenticate(ctx, "phs_x"); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Authenticate without a database: %v", err)
	}
	for name, err := range map[string]error{
		"Tokens":      func() error { _, err := ro.Tokens(ctx, who); return err }(),
		"CreateToken": func() error { _, _, err := ro.CreateToken(ctx, who, "viettel", false, ""); return err }(),
		"RevokeToken": ro.RevokeToken(ctx, who, "000000000000"),
		"MayUpload":   ro.MayUpload(who, "sites", "viettel"),
	} {
		if !errors.Is(err, ErrNoDatabase) || !errors.Is(err, ErrNotFound) {
			t.Errorf("%s without a database: %v, want ErrNoDatabase (a not-found)", name, err)
		}
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if a, err := Open(ctx, file, in, nil); err == nil {
		a.Close()
		t.Error("Open on a file, not a folder: no error")
	}
	bad := t.TempDir()
	if _, err := Open(ctx, bad, Input{}, nil); err == nil {
		t.Error("Open with no communes: no error")
	}
	c, err := Open(ctx, bad, in, nil) // the failed Open closed its database
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestLogs: what the app logs to the logger it is given — each state published (with whether
// its data is a synthetic demo), each token made or revoked with its id and the admin's.
func TestLogs(t *testing.T) {
	st := mustDemo(t)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	db, err := persist.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	quiet, demo := *st, *st
	quiet.Note, demo.Note = "", "synthetic"
	a, err := New(&quiet, db, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(&demo); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, admin, err := db.CreateToken(ctx, "", true, "admin")
	if err != nil {
		t.Fatal(err)
	}
	plain, made, err := a.CreateToken(ctx, admin, "viettel", false, "logs")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.Authenticate(ctx, plain); err != nil || got.ID != made.ID || got.Carrier != "viettel" {
		t.Errorf("the token CreateToken returned authenticates as %+v, %v; want %+v", got, err, made)
	}
	if err := a.RevokeToken(ctx, admin, made.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, plain); !errors.Is(err, persist.ErrUnauthorized) {
		t.Errorf("a revoked token authenticates: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`msg="data loaded" .* demo=false`,
		`msg="data loaded" .* demo=true`,
		`msg="token created" token_id=` + made.ID + ` carrier=viettel admin=false by=` + admin.ID,
		`msg="token revoked" token_id=` + made.ID + ` by=` + admin.ID,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines logged, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("line %d: %s\nwant it to match %s", i, lines[i], w)
		}
	}
	if a.Publishes() != 2 {
		t.Errorf("%d states published, want 2", a.Publishes())
	}
}
