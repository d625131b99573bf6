package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// layerOf ranks the module's packages: a package may import only packages of a lower layer, or
// of its own layer where the layer says so. Imports flow one way: cmd → server (the HTTP
// transport) → server/app (the use cases) → data/* (the domain) → data → geo.
func layerOf(pkg string) (rank int, ok bool) {
	p := strings.TrimPrefix(pkg, "phusong/")
	switch {
	case p == "geo", p == "data/testenv": // testenv: imported by tests only (geo's too), imports nothing of ours
		return 0, true
	case p == "data":
		return 1, true
	case p == "static", strings.HasPrefix(p, "data/"):
		return 2, true // the domain packages may use each other (Go forbids cycles)
	case p == "server/app":
		return 3, true
	case p == "server":
		return 4, true
	case strings.HasPrefix(p, "cmd/"), strings.HasPrefix(p, "bench/"):
		return 5, true
	}
	return 0, false
}

// TestImportsFlowOneWay lists every package's imports (go list) and fails on an import of a
// higher layer, or of an unranked package of the module.
func TestImportsFlowOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "phusong/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		from, ok := layerOf(f[0])
		if !ok {
			t.Errorf("package %s has no layer: add it to layerOf", f[0])
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, "phusong/") {
				continue
			}
			n++
			to, ok := layerOf(imp)
			if !ok || to > from || (to == from && from != 2) {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports flow cmd → server → server/app → data/* → data → geo", f[0], from, imp, to)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d imports between the module's packages: go list answered %q", n, out)
	}
}
