package static

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The front-end packages are committed under vendor/ so that plain `go build` works on a fresh
// clone. The chain of proof from the lockfile to the embedded bytes:
//
//	package-lock.json  integrity = sha512 of the npm tarball
//	vendor.json        the same integrity, and for every vendored file its tarball entry,
//	                   size and sha512 (written from the verified tarball by -update-vendor)
//	vendor/…           the committed files
//
// TestVendorMatchesLockfile (offline, always) checks the lockfile against vendor.json and every
// committed byte against vendor.json; TestVendorFromTarball (needs the tarball in the npm
// cache, which `cd static && npm ci` fills; required under CI=true) hashes the tarball against
// the lockfile and compares each vendored file with its entry, byte for byte. Together they fail
// when a vendored byte changes, a file is added or dropped, or the lockfile moves on without a
// new vendoring.
//
// To vendor a new version: change package.json, `cd static && npm install` (updates the
// lockfile and the cache), then `go test ./static -run TestVendorFromTarball -update-vendor`.

var updateVendor = flag.Bool("update-vendor", false, "rewrite vendor/ and vendor.json from the npm tarballs the lockfile pins")

// vendorRule says which entries of a package's tarball are vendored, and where: an entry named
// in take, or under a folder of take, is copied to to + its name without "package/" and "dist/".
type vendorRule struct {
	pkg  string
	to   string
	take []string // entry names or prefixes ending in "/" (every entry under them)
}

// vendorRules are the front-end packages the pages use (one per dependency of package.json).
var vendorRules = []vendorRule{
	{pkg: "leaflet", to: "vendor/leaflet/", take: []string{
		"package/LICENSE", "package/dist/leaflet.js", "package/dist/leaflet.css", "package/dist/images/",
	}},
}

// target is where entry name of r's tarball goes, "" when it is not vendored.
func (r vendorRule) target(name string) string {
	for _, p := range r.take {
		if name == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(name, p)) {
			return r.to + strings.TrimPrefix(strings.TrimPrefix(name, "package/"), "dist/")
		}
	}
	return ""
}

// vendorManifest is vendor.json.
type vendorManifest struct {
	Note     string          `json:"note"`
	Packages []vendorPackage `json:"packages"`
}

type vendorPackage struct {
	Name      string       `json:"name"`
	Version   string       `json:"version"`
	Integrity string       `json:"integrity"` // as package-lock.json gives it: sha512 of the tarball
	License   string       `json:"license"`
	Files     []vendorFile `json:"files"`
}

type vendorFile struct {
	Path   string `json:"path"`   // in this folder, e.g. vendor/leaflet/leaflet.js
	From   string `json:"from"`   // the tarball entry, e.g. package/dist/leaflet.js
	Size   int    `json:"size"`   // bytes
	SHA512 string `json:"sha512"` // hex
}

// lockfile is the part of package-lock.json (v3) read here.
type lockfile struct {
	Packages map[string]struct {
		Version      string            `json:"version"`
		Integrity    string            `json:"integrity"`
		License      string            `json:"license"`
		Dependencies map[string]string `json:"dependencies"`
		Dev          bool              `json:"dev"`
	} `json:"packages"`
}

func readJSONFile(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func sha512Hex(b []byte) string {
	s := sha512.Sum512(b)
	return hex.EncodeToString(s[:])
}

// TestVendorMatchesLockfile: every package the lockfile pins (dev tools aside) is vendored at the
// pinned version and integrity, and the embedded vendor/ holds exactly the files vendor.json
// lists, with their sizes and SHA-512s.
func TestVendorMatchesLockfile(t *testing.T) {
	var lock lockfile
	var man vendorManifest
	readJSONFile(t, "package-lock.json", &lock)
	readJSONFile(t, "vendor.json", &man)
	root, ok := lock.Packages[""]
	if !ok {
		t.Fatal(`package-lock.json: no root package ""`)
	}
	byName := map[string]vendorPackage{}
	for _, p := range man.Packages {
		byName[p.Name] = p
	}
	for key, lp := range lock.Packages {
		name, ok := strings.CutPrefix(key, "node_modules/")
		if !ok || lp.Dev {
			continue
		}
		p, ok := byName[name]
		switch {
		case !ok:
			t.Errorf("the lockfile pins %s %s, which vendor.json does not vendor", name, lp.Version)
		case p.Version != lp.Version || p.Integrity != lp.Integrity:
			t.Errorf("%s: vendored %s (%s), the lockfile pins %s (%s): re-vendor with -update-vendor", name, p.Version, p.Integrity, lp.Version, lp.Integrity)
		case p.License != lp.License:
			t.Errorf("%s: vendor.json says licence %q, the lockfile %q", name, p.License, lp.License)
		}
		if root.Dependencies[name] == "" {
			t.Errorf("%s is in the lockfile but not a dependency of package.json", name)
		}
	}
	for name := range root.Dependencies {
		if _, ok := byName[name]; !ok {
			t.Errorf("package.json depends on %s, which is not vendored", name)
		}
	}
	listed := map[string]bool{}
	for _, p := range man.Packages {
		if _, ok := lock.Packages["node_modules/"+p.Name]; !ok {
			t.Errorf("vendor.json vendors %s, which the lockfile does not pin", p.Name)
		}
		if len(p.Files) == 0 {
			t.Errorf("vendor.json: %s has no files", p.Name)
		}
		for _, f := range p.Files {
			listed[f.Path] = true
			b, err := fs.ReadFile(FS(), f.Path)
			if err != nil {
				t.Errorf("%s (from %s %s): %v", f.Path, p.Name, p.Version, err)
				continue
			}
			if len(b) != f.Size || sha512Hex(b) != f.SHA512 {
				t.Errorf("%s: %d bytes, sha512 %.16s…; %s %s's %s is %d bytes, sha512 %.16s…: the vendored file was changed",
					f.Path, len(b), sha512Hex(b), p.Name, p.Version, f.From, f.Size, f.SHA512)
			}
		}
	}
	err := fs.WalkDir(FS(), "vendor", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !listed[p] {
			t.Errorf("%s is embedded but vendor.json does not list it (vendor/ holds only files from the pinned packages)", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// npmTarball returns the npm tarball of integrity from npm's content-addressed cache
// ($npm_config_cache or ~/.npm), where `npm ci` leaves it.
func npmTarball(integrity string) ([]byte, error) {
	alg, b64, ok := strings.Cut(integrity, "-")
	if !ok || alg != "sha512" {
		return nil, fmt.Errorf("integrity %q: want sha512-<base64>", integrity)
	}
	sum, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("integrity %q: %w", integrity, err)
	}
	cache := os.Getenv("npm_config_cache")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		cache = filepath.Join(home, ".npm")
	}
	h := hex.EncodeToString(sum)
	b, err := os.ReadFile(filepath.Join(cache, "_cacache", "content-v2", "sha512", h[:2], h[2:4], h[4:]))
	if err != nil {
		return nil, err
	}
	if got := sha512.Sum512(b); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("the cached tarball's sha512 is not %s", integrity)
	}
	return b, nil
}

// tarEntries reads the regular files of a .tgz.
func tarEntries(tgz []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if out[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
}

// TestVendorFromTarball opens each pinned package's npm tarball (its sha512 checked against
// the lockfile) and compares every vendored file with the tarball entry it comes from, byte for
// byte; the rules must give exactly vendor.json's file list. With -update-vendor it rewrites
// vendor/ and vendor.json from the tarballs instead.
func TestVendorFromTarball(t *testing.T) {
	var lock lockfile
	readJSONFile(t, "package-lock.json", &lock)
	var man vendorManifest
	if !*updateVendor {
		readJSONFile(t, "vendor.json", &man)
	}
	next := vendorManifest{Note: "Front-end packages committed under vendor/, from the npm tarballs package-lock.json pins. " +
		"Written by `go test ./static -run TestVendorFromTarball -update-vendor`; checked by vendor_test.go."}
	for _, r := range vendorRules {
		lp, ok := lock.Packages["node_modules/"+r.pkg]
		if !ok {
			t.Fatalf("the lockfile does not pin %s", r.pkg)
		}
		tgz, err := npmTarball(lp.Integrity)
		if err != nil {
			msg := fmt.Sprintf("%s %s: no verified tarball in the npm cache (%v); `cd static && npm ci` fetches it", r.pkg, lp.Version, err)
			if os.Getenv("CI") == "true" || *updateVendor {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		entries, err := tarEntries(tgz)
		if err != nil {
			t.Fatalf("%s %s tarball: %v", r.pkg, lp.Version, err)
		}
		p := vendorPackage{Name: r.pkg, Version: lp.Version, Integrity: lp.Integrity, License: lp.License}
		names := make([]string, 0, len(entries))
		for name := range entries {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if to := r.target(name); to != "" {
				b := entries[name]
				p.Files = append(p.Files, vendorFile{Path: to, From: name, Size: len(b), SHA512: sha512Hex(b)})
			}
		}
		for _, f := range p.Files {
			b := entries[f.From]
			if *updateVendor {
				if err := os.MkdirAll(filepath.Dir(filepath.FromSlash(f.Path)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.FromSlash(f.Path), b, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(filepath.FromSlash(f.Path))
			if err != nil {
				t.Errorf("%s %s's %s is not vendored: %v", r.pkg, lp.Version, f.From, err)
			} else if !bytes.Equal(got, b) {
				t.Errorf("%s differs from %s in the %s %s tarball", f.Path, f.From, r.pkg, lp.Version)
			}
		}
		next.Packages = append(next.Packages, p)
	}
	if *updateVendor {
		b, err := json.MarshalIndent(next, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("vendor.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, _ := json.Marshal(next.Packages)
	got, _ := json.Marshal(man.Packages)
	if !bytes.Equal(got, want) {
		t.Errorf("vendor.json does not list what the tarballs give:\n got %s\nwant %s", got, want)
	}
}

// TestVendorRuleTargets pins where tarball entries go.
func TestVendorRuleTargets(t *testing.T) {
	r := vendorRules[0]
	for name, want := range map[string]string{
		"package/LICENSE":                "vendor/leaflet/LICENSE",
		"package/dist/leaflet.js":        "vendor/leaflet/leaflet.js",
		"package/dist/images/layers.png": "vendor/leaflet/images/layers.png",
		"package/dist/leaflet.js.map":    "",
		"package/dist/leaflet-src.js":    "",
		"package/README.md":              "",
	} {
		if got := r.target(name); got != want {
			t.Errorf("target(%q) = %q, want %q", name, got, want)
		}
	}
}
