package static

import (
	"os"
	"strings"
	"testing"
)

// compatibleLicences are the SPDX ids of front-end packages that may be vendored into an
// Apache-2.0 phusong (permissive; see NOTICE for their attributions).
var compatibleLicences = map[string]bool{"MIT": true, "BSD-2-Clause": true, "BSD-3-Clause": true, "ISC": true, "Apache-2.0": true}

// TestLicence: the repository's LICENSE is Apache 2.0, package.json and its lockfile say so,
// and every vendored package has a licence compatible with it, with its text vendored.
func TestLicence(t *testing.T) {
	lic, err := os.ReadFile("../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lic), "Apache License") || !strings.Contains(string(lic), "Version 2.0, January 2004") {
		t.Fatalf("../LICENSE is not the Apache License 2.0")
	}
	var pkg struct{ License string }
	readJSONFile(t, "package.json", &pkg)
	var lock lockfile
	readJSONFile(t, "package-lock.json", &lock)
	if pkg.License != "Apache-2.0" || lock.Packages[""].License != pkg.License {
		t.Errorf("package.json licence %q, lockfile %q: want Apache-2.0 in both", pkg.License, lock.Packages[""].License)
	}
	var man vendorManifest
	readJSONFile(t, "vendor.json", &man)
	for _, p := range man.Packages {
		if !compatibleLicences[p.License] {
			t.Errorf("%s %s is %q, not a licence known to be compatible with Apache-2.0", p.Name, p.Version, p.License)
		}
		hasText := false
		for _, f := range p.Files {
			hasText = hasText || strings.HasSuffix(f.Path, "/LICENSE")
		}
		if !hasText {
			t.Errorf("%s: its LICENSE is not vendored (permissive licences ask for it in redistributions)", p.Name)
		}
	}
}
