package persist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"phusong/data"
	"phusong/data/demo"
)

// site is a small hand-made site; h is its height in metres (the field tests change).
func site(carrier, id string, h float64) data.Site {
	return data.Site{Carrier: carrier, SiteID: id, Lon: 106.3, Lat: 9.9, HeightM: h, Status: data.StatusActive,
		Sectors: []data.Sector{{Tech: data.Tech4G, BandMHz: 1800, AzimuthDeg: 120, BeamwidthDeg: 65, TiltDeg: 4,
			PowerDBm: 43, BandwidthMHz: 10, GainDBi: 17, FeederLossDB: 2}}}
}

// ids lists the "id:height" of sites, in order.
func ids(sites []data.Site) string {
	var b []string
	for _, s := range sites {
		b = append(b, fmt.Sprintf("%s:%g", s.SiteID, s.HeightM))
	}
	return strings.Join(b, " ")
}

func TestApplyMode(t *testing.T) {
	v := "viettel"
	cur := []data.Site{site(v, "c", 30), site(v, "a", 30), site(v, "b", 30)}
	cases := []struct {
		name     string
		incoming []data.Site
		mode     string
		next     string // id:height of the next list
		added    string
		changed  string // before → after heights
		removed  string
	}{
		{"replace", []data.Site{site(v, "d", 40), site(v, "b", 31)}, ModeReplace,
			"b:31 d:40", "d:40", "b:30→b:31", "a:30 c:30"},
		{"replace-identical", []data.Site{site(v, "b", 30), site(v, "a", 30), site(v, "c", 30)}, ModeReplace,
			"a:30 b:30 c:30", "", "", ""},
		{"replace-empty", nil, ModeReplace, "", "", "", "a:30 b:30 c:30"},
		{"upsert", []data.Site{site(v, "d", 40), site(v, "b", 31), site(v, "a", 30)}, ModeUpsert,
			"a:30 b:31 c:30 d:40", "d:40", "b:30→b:31", ""},
		{"upsert-empty", nil, ModeUpsert, "a:30 b:30 c:30", "", "", ""},
		{"delete", []data.Site{site(v, "b", 99), site(v, "a", 0)}, ModeDelete, "c:30", "", "", "a:30 b:30"},
		{"delete-all", []data.Site{site(v, "c", 0), site(v, "b", 0), site(v, "a", 0)}, ModeDelete, "", "", "", "a:30 b:30 c:30"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := slices.Clone(cur)
			next, d, err := SiteKind().ApplyMode(cur, c.incoming, c.mode)
			if err != nil {
				t.Fatal(err)
			}
			var changed []string
			for _, ch := range d.Changed {
				changed = append(changed, ids([]data.Site{ch.Before})+"→"+ids([]data.Site{ch.After}))
			}
			got := []string{ids(next), ids(d.Added), strings.Join(changed, " "), ids(d.Removed)}
			want := []string{c.next, c.added, c.changed, c.removed}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("next, added, changed, removed =\n%q\nwant\n%q", got, want)
			}
			if !reflect.DeepEqual(cur, before) {
				t.Error("ApplyMode changed its input")
			}
		})
	}
}

func TestApplyModeRefuses(t *testing.T) {
	v := "viettel"
	cur := []data.Site{site(v, "a", 30), site(v, "b", 30)}
	cases := []struct {
		name     string
		current  []data.Site
		incoming []data.Site
		mode     string
		msg      string // expected error text
	}{
		{"delete-unknown", cur, []data.Site{site(v, "zz", 0), site(v, "a", 0), site(v, "y", 0)}, ModeDelete,
			`persist: invalid argument: delete: 2 ids not in the current sites list: "y", "zz"`},
		{"duplicate-incoming", cur, []data.Site{site(v, "x", 1), site(v, "x", 2), site(v, "x", 3)}, ModeUpsert,
			`persist: invalid argument: duplicate ids in the sites list: "x"`},
		{"duplicate-current", []data.Site{site(v, "a", 1), site(v, "a", 2)}, nil, ModeReplace,
			`persist: invalid argument: duplicate ids in the sites list: "a"`},
		{"empty-id", cur, []data.Site{site(v, "", 1)}, ModeReplace,
			`persist: invalid argument: an item of the sites list has an empty id`},
		{"unknown-mode", cur, nil, "merge", `persist: invalid argument: mode "merge": want replace, upsert or delete`},
		{"rollback-is-not-a-carrier-mode", cur, nil, ModeRollback,
			`persist: invalid argument: mode "rollback": want replace, upsert or delete`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := SiteKind().ApplyMode(c.current, c.incoming, c.mode)
			if !errors.Is(err, ErrInvalid) || err.Error() != c.msg {
				t.Errorf("err = %v\nwant  %s", err, c.msg)
			}
		})
	}
}

func TestListIDsCapsAtTen(t *testing.T) {
	ten := `"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"`
	for n, want := range map[int]string{1: `"0"`, 10: ten, 11: ten + " … (11 in all)", 12: ten + " … (12 in all)"} {
		var in []string
		for i := range n {
			in = append(in, fmt.Sprint(i))
		}
		if got := listIDs(in); got != want {
			t.Errorf("listIDs of %d ids = %s, want %s", n, got, want)
		}
	}
}

func TestApplyAndRead(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		sites := db.Sites()
		tok, info, err := db.CreateToken(ctx, "viettel", false, "")
		if err != nil || tok == "" {
			t.Fatal(err)
		}
		v, m := "viettel", "mobifone"
		warn := []data.Warning{{Line: 3, Field: "tilt_deg", Message: "missing; using 4°"}}

		u1, err := sites.Apply(ctx, Upload{Carrier: v, TokenID: info.ID, Mode: ModeReplace, Rows: 4, Warnings: warn},
			[]data.Site{site(v, "b", 30), site(v, "a", 30)})
		if err != nil {
			t.Fatal(err)
		}
		if u1.Kind != "sites" || u1.Added != 2 || u1.Modified != 0 || u1.Removed != 0 || u1.Total != 2 || u1.CreatedAt.IsZero() {
			t.Errorf("upload 1 = %+v", u1)
		}
		if _, err := sites.Apply(ctx, Upload{Carrier: m, Mode: ModeReplace}, []data.Site{site(m, "a", 20)}); err != nil {
			t.Fatal(err)
		}
		dry, err := sites.Apply(ctx, Upload{Carrier: v, TokenID: info.ID, Mode: ModeReplace, DryRun: true},
			[]data.Site{site(v, "z", 30)})
		if err != nil {
			t.Fatal(err)
		}
		if dry.Added != 1 || dry.Removed != 2 || dry.Total != 1 {
			t.Errorf("dry run counts %+v", dry)
		}
		u3, err := sites.Apply(ctx, Upload{Carrier: v, TokenID: info.ID, Mode: ModeUpsert, Rows: 2},
			[]data.Site{site(v, "a", 35), site(v, "c", 30)})
		if err != nil {
			t.Fatal(err)
		}
		if u3.Added != 1 || u3.Modified != 1 || u3.Removed != 1 || u3.Total != 2 {
			t.Errorf("upload 3 counts %+v (b was left out of the full list: removed)", u3)
		}

		all, err := sites.Current(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%s/%s %s/%s %s/%s", all[0].Carrier, ids(all[:1]), all[1].Carrier, ids(all[1:2]), all[2].Carrier, ids(all[2:])); got != "mobifone/a:20 viettel/a:35 viettel/c:30" {
			t.Errorf("Current all = %s", got)
		}
		if cur, _ := sites.Current(ctx, v); ids(cur) != "a:35 c:30" {
			t.Errorf("Current viettel = %s", ids(cur))
		}
		if cur, err := sites.Current(ctx, "nobody"); err != nil || cur == nil || len(cur) != 0 {
			t.Errorf("Current of an unknown carrier = %v, %v; want [] ", cur, err)
		}
		if at, _ := sites.At(ctx, u1.ID); ids(at) != "a:30 b:30" {
			t.Errorf("At(u1) = %s", ids(at))
		}
		d, err := sites.Diff(ctx, u3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ids(d.Added) != "c:30" || len(d.Changed) != 1 || ids([]data.Site{d.Changed[0].Before, d.Changed[0].After}) != "a:30 a:35" || ids(d.Removed) != "b:30" {
			t.Errorf("Diff(u3) = %+v", d)
		}

		got, err := db.Upload(ctx, u1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(u1.CreatedAt) {
			t.Errorf("stored time %v, returned %v", got.CreatedAt, u1.CreatedAt)
		}
		got.CreatedAt = u1.CreatedAt
		if !reflect.DeepEqual(got, u1) || !reflect.DeepEqual(got.Warnings, warn) {
			t.Errorf("Upload(%d) =\n%+v\nApply returned\n%+v\nwarnings given %+v", u1.ID, got, u1, warn)
		}
		// An upload without warnings stores an empty list (JSON [], never null).
		if got, err := db.Upload(ctx, u3.ID); err != nil || got.Warnings == nil || len(got.Warnings) != 0 {
			t.Errorf("Upload(%d) warnings %#v, %v; want []", u3.ID, got.Warnings, err)
		}
		list, err := db.Uploads(ctx, UploadFilter{Carrier: v})
		if err != nil {
			t.Fatal(err)
		}
		var order []int64
		for _, u := range list {
			order = append(order, u.ID)
		}
		if !slices.Equal(order, []int64{u3.ID, dry.ID, u1.ID}) {
			t.Errorf("Uploads(viettel) ids %v, want newest first %v", order, []int64{u3.ID, dry.ID, u1.ID})
		}
		page, _ := db.Uploads(ctx, UploadFilter{Kind: "sites", BeforeID: u3.ID, Limit: 2})
		if len(page) != 2 || page[0].ID != dry.ID || page[1].Carrier != m {
			t.Errorf("page before %d = %+v", u3.ID, page)
		}
		if other, _ := db.Uploads(ctx, UploadFilter{Kind: "fibre"}); len(other) != 0 {
			t.Errorf("fibre uploads: %+v", other)
		}

		for name, err := range map[string]error{
			"Diff(dry)":    func() error { _, err := sites.Diff(ctx, dry.ID); return err }(),
			"At(dry)":      func() error { _, err := sites.At(ctx, dry.ID); return err }(),
			"Diff(404)":    func() error { _, err := sites.Diff(ctx, 999); return err }(),
			"Upload(404)":  func() error { _, err := db.Upload(ctx, 999); return err }(),
			"At(404)":      func() error { _, err := sites.At(ctx, 999); return err }(),
			"fibre At(u1)": func() error { _, err := For(db, otherKind()).At(ctx, u1.ID); return err }(),
		} {
			want := ErrNotFound
			if strings.Contains(name, "dry") {
				want = ErrDryRun
			}
			if !errors.Is(err, want) {
				t.Errorf("%s = %v, want %v", name, err, want)
			}
		}
	})
}

// otherKind is a second kind over the same tables, standing in for fibre.
func otherKind() Kind[data.Site] {
	k := SiteKind()
	k.Name = "fibre"
	return k
}

func TestKindsAreSeparate(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fibre := For(db, otherKind())
		if _, err := db.Sites().Apply(ctx, Upload{Carrier: "vnpt", Mode: ModeReplace}, []data.Site{site("vnpt", "a", 30)}); err != nil {
			t.Fatal(err)
		}
		if _, err := fibre.Apply(ctx, Upload{Carrier: "vnpt", Mode: ModeReplace}, []data.Site{site("vnpt", "r1", 10), site("vnpt", "a", 11)}); err != nil {
			t.Fatal(err)
		}
		s, _ := db.Sites().Current(ctx, "")
		f, _ := fibre.Current(ctx, "vnpt")
		if ids(s) != "a:30" || ids(f) != "a:11 r1:10" {
			t.Errorf("sites %s, fibre %s", ids(s), ids(f))
		}
		if seeded, err := db.Sites().SeedIfEmpty(ctx, []data.Site{site("viettel", "x", 1)}, "demo"); seeded || err != nil {
			t.Errorf("sites seeded after an upload: %v, %v", seeded, err)
		}
	})
}

func TestApplyRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		sites := db.Sites()
		_, vt, _ := db.CreateToken(ctx, "viettel", false, "")
		_, mt, _ := db.CreateToken(ctx, "mobifone", false, "")
		_, rt, _ := db.CreateToken(ctx, "viettel", false, "")
		_, admin, _ := db.CreateToken(ctx, "", true, "")
		if err := db.RevokeToken(ctx, rt.ID); err != nil {
			t.Fatal(err)
		}
		v := "viettel"
		base, err := sites.Apply(ctx, Upload{Carrier: v, TokenID: vt.ID, Mode: ModeReplace}, []data.Site{site(v, "a", 30)})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := sites.Apply(ctx, Upload{Carrier: "mobifone", Mode: ModeReplace}, []data.Site{site("mobifone", "m", 30)})
		dry, _ := sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace, DryRun: true}, nil)
		id := func(i int64) *int64 { return &i }
		cases := []struct {
			name string
			u    Upload
			next []data.Site
			want error
		}{
			{"other-carriers-site", Upload{Carrier: v, Mode: ModeReplace}, []data.Site{site(v, "a", 1), site("mobifone", "b", 1)}, ErrInvalid},
			{"duplicate", Upload{Carrier: v, Mode: ModeReplace}, []data.Site{site(v, "a", 1), site(v, "a", 2)}, ErrInvalid},
			{"no-carrier", Upload{Mode: ModeReplace}, nil, ErrInvalid},
			{"bad-mode", Upload{Carrier: v, Mode: "merge"}, nil, ErrInvalid},
			{"negative-rows", Upload{Carrier: v, Mode: ModeReplace, Rows: -1}, nil, ErrInvalid},
			{"rollback-without-target", Upload{Carrier: v, Mode: ModeRollback}, nil, ErrInvalid},
			{"target-without-rollback", Upload{Carrier: v, Mode: ModeReplace, RollbackTo: id(base.ID)}, nil, ErrInvalid},
			{"rollback-to-other-carrier", Upload{Carrier: v, Mode: ModeRollback, RollbackTo: id(other.ID)}, nil, ErrInvalid},
			{"rollback-to-dry-run", Upload{Carrier: v, Mode: ModeRollback, RollbackTo: id(dry.ID)}, nil, ErrInvalid},
			{"rollback-to-nothing", Upload{Carrier: v, Mode: ModeRollback, RollbackTo: id(12345)}, nil, ErrNotFound},
			{"other-carriers-token", Upload{Carrier: v, TokenID: mt.ID, Mode: ModeReplace}, nil, ErrUnauthorized},
			{"revoked-token", Upload{Carrier: v, TokenID: rt.ID, Mode: ModeReplace}, nil, ErrUnauthorized},
			{"unknown-token", Upload{Carrier: v, TokenID: "000000000000", Mode: ModeReplace}, nil, ErrUnauthorized},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if _, err := sites.Apply(ctx, c.u, c.next); !errors.Is(err, c.want) {
					t.Errorf("Apply = %v, want %v", err, c.want)
				}
			})
		}
		// The mode/rollback_to mismatch says which side is wrong.
		for mode, has := range map[string]string{ModeRollback: "rollback_to false", ModeReplace: "rollback_to true"} {
			u := Upload{Carrier: v, Mode: mode}
			if mode == ModeReplace {
				u.RollbackTo = id(base.ID)
			}
			if _, err := sites.Apply(ctx, u, nil); err == nil || !strings.Contains(err.Error(), `mode "`+mode+`" with `+has) {
				t.Errorf("mode %s: %v, want it to say %q", mode, err, has)
			}
		}
		if cur, _ := sites.Current(ctx, v); ids(cur) != "a:30" {
			t.Errorf("viettel's list changed to %s", ids(cur))
		}
		if all, _ := db.Uploads(ctx, UploadFilter{}); len(all) != 3 {
			t.Errorf("%d uploads recorded, want the 3 good ones", len(all))
		}
		// An admin token may write any carrier; a rollback to an applied version works.
		rb, err := sites.Apply(ctx, Upload{Carrier: v, TokenID: admin.ID, Mode: ModeRollback, RollbackTo: id(base.ID)}, []data.Site{site(v, "a", 30)})
		if err != nil || rb.Added+rb.Modified+rb.Removed != 0 || *rb.RollbackTo != base.ID {
			t.Errorf("admin rollback = %+v, %v", rb, err)
		}
	})
}

func TestSeedIfEmpty(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		sites := db.Sites()
		if seeded, err := sites.SeedIfEmpty(ctx, nil, "demo"); seeded || err != nil {
			t.Fatalf("seeding nothing = %v, %v", seeded, err)
		}
		if _, err := sites.SeedIfEmpty(ctx, []data.Site{site("Bad Carrier", "a", 1)}, "demo"); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad carrier seeded: %v", err)
		}
		seed := []data.Site{site("vinaphone", "x", 1), site("viettel", "b", 2), site("viettel", "a", 3)}
		seeded, err := sites.SeedIfEmpty(ctx, seed, "embedded demo")
		if err != nil || !seeded {
			t.Fatalf("SeedIfEmpty = %v, %v", seeded, err)
		}
		ups, _ := db.Uploads(ctx, UploadFilter{})
		if len(ups) != 2 || ups[1].Carrier != "viettel" || ups[1].Mode != ModeSeed || ups[1].Rows != 2 || ups[1].Added != 2 ||
			ups[1].Note != "embedded demo" || ups[1].TokenID != "" || ups[0].Carrier != "vinaphone" {
			t.Errorf("seed uploads %+v", ups)
		}
		// The carrier empties its list: the database is not "empty" again.
		if _, err := sites.Apply(ctx, Upload{Carrier: "viettel", Mode: ModeReplace}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := sites.Apply(ctx, Upload{Carrier: "vinaphone", Mode: ModeReplace}, nil); err != nil {
			t.Fatal(err)
		}
		if seeded, err := sites.SeedIfEmpty(ctx, seed, "again"); seeded || err != nil {
			t.Errorf("seeded again: %v, %v", seeded, err)
		}
		if cur, _ := sites.Current(ctx, ""); len(cur) != 0 {
			t.Errorf("current %s", ids(cur))
		}
	})
}

// randomSites returns n random sites of carrier with ids drawn from a pool of 3n, so that
// successive lists overlap, share ids and differ in content.
func randomSites(rng *rand.Rand, carrier string, n int) []data.Site {
	seen := map[string]bool{}
	var out []data.Site
	for len(out) < n {
		id := fmt.Sprintf("S%03d", rng.IntN(3*n+1))
		if seen[id] {
			continue
		}
		seen[id] = true
		s := data.Site{Carrier: carrier, SiteID: id, Lon: 105.7 + 1.2*rng.Float64(), Lat: 9.3 + rng.Float64(),
			HeightM: float64(5 + rng.IntN(4)*10), Status: data.StatusActive}
		if rng.IntN(5) == 0 {
			s.Status = data.StatusPlanned
		}
		for range 1 + rng.IntN(3) {
			s.Sectors = append(s.Sectors, data.Sector{Tech: []data.Tech{data.Tech3G, data.Tech4G}[rng.IntN(2)],
				BandMHz: []float64{900, 1800, 2100}[rng.IntN(3)], AzimuthDeg: float64(rng.IntN(360)),
				BeamwidthDeg: 65, TiltDeg: rng.Float64() * 8, PowerDBm: 43, BandwidthMHz: 10, GainDBi: 17})
		}
		out = append(out, s)
	}
	return out
}

// model is the test's independent oracle: a carrier's list as a map, changed by the plain
// meaning of each mode.
type model map[string]data.Site

func (m model) apply(incoming []data.Site, mode string) model {
	next := model{}
	if mode != ModeReplace {
		for k, s := range m {
			next[k] = s
		}
	}
	for _, s := range incoming {
		if mode == ModeDelete {
			delete(next, s.SiteID)
		} else {
			next[s.SiteID] = s
		}
	}
	return next
}

func (m model) sorted() []data.Site {
	out := make([]data.Site, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b data.Site) int { return strings.Compare(a.SiteID, b.SiteID) })
	return out
}

// TestRandomVersionsReconstruct applies a seeded random stream of uploads (replace, upsert,
// delete, rollback) for two carriers, then rebuilds every version with At and checks it, and
// each Diff's counts, against the oracle's state after that upload.
func TestRandomVersionsReconstruct(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 0))
		ctx := context.Background()
		sites := db.Sites()
		carriers := []string{"viettel", "vinaphone"}
		state := map[string]model{"viettel": {}, "vinaphone": {}}
		type version struct {
			u    Upload
			want []data.Site
		}
		var versions []version
		for i := range 50 {
			c := carriers[rng.IntN(len(carriers))]
			cur := state[c]
			mode := []string{ModeReplace, ModeUpsert, ModeDelete, ModeRollback}[rng.IntN(4)]
			var incoming []data.Site
			u := Upload{Carrier: c, Mode: mode}
			switch mode {
			case ModeDelete:
				for _, s := range cur.sorted() {
					if rng.IntN(3) == 0 {
						incoming = append(incoming, data.Site{Carrier: c, SiteID: s.SiteID})
					}
				}
			case ModeRollback:
				var mine []version
				for _, v := range versions {
					if v.u.Carrier == c {
						mine = append(mine, v)
					}
				}
				if len(mine) == 0 {
					mode, u.Mode = ModeReplace, ModeReplace
					incoming = randomSites(rng, c, 1+rng.IntN(30))
					break
				}
				target := mine[rng.IntN(len(mine))]
				u.RollbackTo = &target.u.ID
				incoming = slices.Clone(target.want) // the oracle's copy, not At's
			default:
				incoming = randomSites(rng, c, rng.IntN(30))
			}
			listMode := mode
			if mode == ModeRollback {
				listMode = ModeReplace
			}
			next := cur.apply(incoming, listMode)
			computed, _, err := SiteKind().ApplyMode(cur.sorted(), incoming, listMode)
			if err != nil {
				t.Fatalf("upload %d (%s %s): %v", i, c, mode, err)
			}
			u.Rows = len(incoming)
			got, err := sites.Apply(ctx, u, computed)
			if err != nil {
				t.Fatalf("upload %d (%s %s): %v", i, c, mode, err)
			}
			var added, modified, removed int
			for k, s := range next {
				if old, ok := cur[k]; !ok {
					added++
				} else if !reflect.DeepEqual(old, s) {
					modified++
				}
			}
			for k := range cur {
				if _, ok := next[k]; !ok {
					removed++
				}
			}
			if got.Added != added || got.Modified != modified || got.Removed != removed || got.Total != len(next) {
				t.Errorf("upload %d (%s %s): counts +%d ~%d -%d =%d, oracle +%d ~%d -%d =%d", i, c, mode,
					got.Added, got.Modified, got.Removed, got.Total, added, modified, removed, len(next))
			}
			state[c] = next
			versions = append(versions, version{got, next.sorted()})
		}
		for _, v := range versions {
			at, err := sites.At(ctx, v.u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(at, v.want) {
				t.Errorf("version %d (%s %s): rebuilt %d sites, want %d: %s\nwant %s", v.u.ID, v.u.Carrier, v.u.Mode,
					len(at), len(v.want), ids(at), ids(v.want))
			}
			d, err := sites.Diff(ctx, v.u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Added) != v.u.Added || len(d.Changed) != v.u.Modified || len(d.Removed) != v.u.Removed {
				t.Errorf("version %d: diff +%d ~%d -%d, upload says +%d ~%d -%d", v.u.ID,
					len(d.Added), len(d.Changed), len(d.Removed), v.u.Added, v.u.Modified, v.u.Removed)
			}
		}
		for _, c := range carriers {
			cur, _ := sites.Current(ctx, c)
			if want := state[c].sorted(); !reflect.DeepEqual(cur, want) {
				t.Errorf("%s current %s\nwant %s", c, ids(cur), ids(want))
			}
		}
	})
}

// generation returns the list a writer uploads at generation g: 3+g%7 sites, all with height
// 10+g m, so that a reader can tell a whole list (one height, the right count) from a mix.
func generation(carrier string, g int) []data.Site {
	out := make([]data.Site, 3+g%7)
	for i := range out {
		out[i] = site(carrier, fmt.Sprintf("G%02d", (i+g)%11), float64(10+g))
	}
	return out
}

// TestConcurrentUploadsAndReaders: writers for several carriers, readers of every API and a
// second handle on the same file creating tokens (like the CLI while the server runs), at once.
// Readers must only ever see whole lists. Run with -race.
func TestConcurrentUploadsAndReaders(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	carriers := []string{"viettel", "vinaphone", "mobifone", "gmobile"}
	const gens = 12
	var writers, readers sync.WaitGroup
	done := make(chan struct{})
	for _, c := range carriers {
		writers.Go(func() {
			for g := range gens {
				next, _, err := SiteKind().ApplyMode(nil, generation(c, g), ModeReplace)
				if err == nil {
					_, err = db.Sites().Apply(ctx, Upload{Carrier: c, Mode: ModeReplace, Rows: len(next)}, next)
				}
				if err != nil {
					t.Errorf("%s generation %d: %v", c, g, err)
					return
				}
			}
		})
	}
	writers.Go(func() {
		cli, err := Open(dir)
		if err != nil {
			t.Error(err)
			return
		}
		defer cli.Close()
		for range 10 {
			if _, _, err := cli.CreateToken(ctx, "viettel", false, "concurrent"); err != nil {
				t.Errorf("token from a second handle: %v", err)
				return
			}
		}
	})
	var reads atomic.Int64
	for r := range 3 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				all, err := db.Sites().Current(ctx, "")
				if err != nil {
					t.Error(err)
					return
				}
				checkWhole(t, all)
				ups, err := db.Uploads(ctx, UploadFilter{Limit: 5})
				if err != nil {
					t.Error(err)
					return
				}
				for _, u := range ups {
					at, err := db.Sites().At(ctx, u.ID)
					if err != nil {
						t.Error(err)
						return
					}
					checkWhole(t, at)
					if _, err := db.Sites().Diff(ctx, u.ID); err != nil {
						t.Error(err)
						return
					}
				}
				if r == 0 {
					if _, err := db.ListTokens(ctx); err != nil {
						t.Error(err)
					}
				}
				reads.Add(1)
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()
	t.Logf("%d reader passes", reads.Load())
	all, _ := db.Sites().Current(ctx, "")
	checkWhole(t, all)
	if len(all) != len(carriers)*len(generation("x", gens-1)) || all[0].HeightM != 10+gens-1 {
		t.Errorf("final lists: %d sites, first height %g", len(all), all[0].HeightM)
	}
	if ups, _ := db.Uploads(ctx, UploadFilter{}); len(ups) != len(carriers)*gens {
		t.Errorf("%d uploads, want %d", len(ups), len(carriers)*gens)
	}
}

// checkWhole fails unless each carrier's sites in list are exactly one generation's list.
func checkWhole(t *testing.T, list []data.Site) {
	t.Helper()
	by := map[string][]data.Site{}
	for _, s := range list {
		by[s.Carrier] = append(by[s.Carrier], s)
	}
	for c, sites := range by {
		g := int(sites[0].HeightM) - 10
		want := generation(c, g)
		slices.SortFunc(want, func(a, b data.Site) int { return strings.Compare(a.SiteID, b.SiteID) })
		if !reflect.DeepEqual(sites, want) {
			t.Errorf("%s: a list that is not generation %d: %s", c, g, ids(sites))
		}
	}
}

// demoSites returns all the embedded demo's synthetic stations (1,250) as one carrier's list:
// the size of the "1,300-site replace".
func demoSites(tb testing.TB) (string, []data.Site) {
	tb.Helper()
	all, err := demo.Sites()
	if err != nil {
		tb.Fatal(err)
	}
	for i := range all {
		all[i].Carrier = "viettel" // site ids are unique across the demo's carriers
	}
	return "viettel", all
}

// BenchmarkApplyReplaceDemo is a full replace of the demo-sized list where every site
// changed (heights alternate between two values): diff, writes and the commit, on each backend
// (the test PostgreSQL runs with fsync off, SQLite fsyncs: compare with that in mind).
func BenchmarkApplyReplaceDemo(b *testing.B) {
	for _, bk := range backends {
		b.Run(string(bk), func(b *testing.B) {
			b.ReportAllocs()
			db := openBackend(b, bk)
			ctx := context.Background()
			c, list := demoSites(b)
			lists := [2][]data.Site{list, slices.Clone(list)}
			for i := range lists[1] {
				lists[1][i].HeightM++
			}
			i := 0
			for b.Loop() {
				u, err := db.Sites().Apply(ctx, Upload{Carrier: c, Mode: ModeReplace}, lists[i%2])
				if err != nil || u.Added+u.Modified != len(list) {
					b.Fatalf("%+v %v", u, err)
				}
				i++
			}
			b.ReportMetric(float64(len(list)), "sites")
		})
	}
}

// BenchmarkAtDemoHistory rebuilds the first version of the demo-sized list after 50 uploads
// each changing a tenth of its sites: the cost of a rollback to an old version.
func BenchmarkAtDemoHistory(b *testing.B) {
	for _, bk := range backends {
		b.Run(string(bk), func(b *testing.B) {
			b.ReportAllocs()
			db := openBackend(b, bk)
			ctx := context.Background()
			c, list := demoSites(b)
			first, err := db.Sites().Apply(ctx, Upload{Carrier: c, Mode: ModeReplace}, list)
			if err != nil {
				b.Fatal(err)
			}
			next := slices.Clone(list)
			for v := range 50 {
				for i := v % 10; i < len(next); i += 10 {
					next[i].HeightM++
				}
				if _, err := db.Sites().Apply(ctx, Upload{Carrier: c, Mode: ModeReplace}, next); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				at, err := db.Sites().At(ctx, first.ID)
				if err != nil || len(at) != len(list) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(list)), "sites")
		})
	}
}

// TestNeighbours: the applied uploads right before and after one, of its own kind and
// carrier only; dry runs and other carriers' or kinds' uploads in between do not count.
//
//	id  1 viettel sites   2 vnpt sites   3 viettel sites (dry)   4 viettel fibre   5 viettel sites   6 viettel sites
func TestNeighbours(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		fibre := For(db, otherKind())
		steps := []struct {
			store Versioned[data.Site]
			u     Upload
		}{
			{db.Sites(), Upload{Carrier: "viettel", Mode: ModeReplace}},
			{db.Sites(), Upload{Carrier: "vnpt", Mode: ModeReplace}},
			{db.Sites(), Upload{Carrier: "viettel", Mode: ModeReplace, DryRun: true}},
			{fibre, Upload{Carrier: "viettel", Mode: ModeReplace}},
			{db.Sites(), Upload{Carrier: "viettel", Mode: ModeReplace}},
			{db.Sites(), Upload{Carrier: "viettel", Mode: ModeReplace}},
		}
		for i, st := range steps {
			u, err := st.store.Apply(ctx, st.u, []data.Site{site(st.u.Carrier, "a", float64(i))})
			if err != nil || u.ID != int64(i+1) {
				t.Fatalf("step %d: upload %d, %v", i+1, u.ID, err)
			}
		}
		for _, c := range []struct {
			id, prev, next int64
			err            error
		}{
			{1, 0, 5, nil},
			{5, 1, 6, nil},
			{6, 5, 0, nil},
			{2, 0, 0, nil},
			{3, 0, 0, ErrDryRun},
			{4, 0, 0, ErrNotFound}, // a fibre upload, asked of the sites store
			{99, 0, 0, ErrNotFound},
		} {
			prev, next, err := db.Sites().Neighbours(ctx, c.id)
			if prev != c.prev || next != c.next || !errors.Is(err, c.err) {
				t.Errorf("Neighbours(%d) = %d, %d, %v; want %d, %d, %v", c.id, prev, next, err, c.prev, c.next, c.err)
			}
		}
	})
}

// TestDiffRefusesCorruptItems: a stored change that no longer decodes (a database edited by
// hand, or written by a newer version) is an error naming the upload, never a zero item.
func TestDiffRefusesCorruptItems(t *testing.T) {
	for _, col := range []string{"before", "after"} {
		t.Run(col, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, db *DB) {
				ctx := context.Background()
				sites := db.Sites()
				v := "viettel"
				if _, err := sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace}, []data.Site{site(v, "a", 30), site(v, "b", 30)}); err != nil {
					t.Fatal(err)
				}
				u, err := sites.Apply(ctx, Upload{Carrier: v, Mode: ModeReplace}, []data.Site{site(v, "a", 35), site(v, "c", 30)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.w.ExecContext(ctx, `UPDATE changes SET `+col+` = '{"height_m": "tall"}' WHERE upload_id = ? AND item_id = 'a'`, u.ID); err != nil {
					t.Fatal(err)
				}
				if d, err := sites.Diff(ctx, u.ID); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("diff %d: stored item", u.ID)) {
					t.Errorf("Diff of a corrupt %s = %+v, %v; want an error naming upload %d", col, d, err, u.ID)
				}
			})
		})
	}
}

// TestSeedIfEmptyFrom: a seed records its file in its own transaction (an instance finding the
// kind seeded finds its source too); a seed refused (another kind's upload exists, or a bad
// hash) records nothing.
func TestSeedIfEmptyFrom(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		sites := db.Sites()
		a, b := SeedSource{strings.Repeat("a", 64), "a.csv"}, SeedSource{strings.Repeat("b", 64), "b.csv"}
		if _, err := sites.SeedIfEmptyFrom(ctx, []data.Site{site("viettel", "x", 1)}, "", SeedSource{SHA256: "abc"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a short hash: %v, want ErrInvalid", err)
		}
		if ups, _ := db.Uploads(ctx, UploadFilter{}); len(ups) != 0 {
			t.Errorf("a refused seed wrote %d uploads", len(ups))
		}
		if seeded, err := sites.SeedIfEmptyFrom(ctx, []data.Site{site("viettel", "x", 1)}, "", a); !seeded || err != nil {
			t.Fatalf("SeedIfEmptyFrom = %v, %v", seeded, err)
		}
		if h, ok, err := db.SeedFile(ctx, "sites"); h != a.SHA256 || !ok || err != nil {
			t.Errorf("seed file %q %v %v, want a's", h, ok, err)
		}
		if seeded, err := sites.SeedIfEmptyFrom(ctx, []data.Site{site("viettel", "y", 2)}, "", b); seeded || err != nil {
			t.Fatalf("seeding a seeded kind = %v, %v", seeded, err)
		}
		if h, _, _ := db.SeedFile(ctx, "sites"); h != a.SHA256 {
			t.Errorf("a seed not made recorded its file: %q", h)
		}
		if _, ok, _ := db.SeedFile(ctx, "fibre"); ok {
			t.Errorf("another kind has a seed file")
		}
	})
}
