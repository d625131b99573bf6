package static

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The pages and their entry modules.
var pages = []struct{ html, entry string }{
	{"index.html", "app.js"},
	{"upload.html", "upload.js"},
}

// entryRe is one line of the STRINGS table in strings.js: key: ['Vietnamese', 'English'],
var entryRe = regexp.MustCompile(`^  (\w+): \['((?:[^'\\]|\\.)*)', '((?:[^'\\]|\\.)*)'\],$`)

// stringsTable reads strings.js: key → [vi, en], and the line of each key. Every line between
// `export const STRINGS = {` and `};` must be an entry, a // comment or blank, so that this
// reading is the table the browser sees; a key given twice (JavaScript keeps the last) fails.
func stringsTable(t *testing.T) (map[string][2]string, map[string]int) {
	t.Helper()
	src := read(t, "strings.js")
	table, lines := map[string][2]string{}, map[string]int{}
	in, closed := false, false
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		switch {
		case line == "export const STRINGS = {":
			in = true
		case !in || closed:
		case line == "};":
			closed = true
		case strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "//"):
		default:
			m := entryRe.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("strings.js:%d: not an entry `  key: ['vi', 'en'],`: %s", n, line)
				continue
			}
			if prev, dup := lines[m[1]]; dup {
				t.Errorf("strings.js:%d: key %s is given again (first on line %d)", n, m[1], prev)
			}
			table[m[1]], lines[m[1]] = [2]string{m[2], m[3]}, n
		}
	}
	if !in || !closed || len(table) == 0 {
		t.Fatalf("strings.js: no table `export const STRINGS = { … };` (%d entries read)", len(table))
	}
	return table, lines
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var placeholderRe = regexp.MustCompile(`\{(\w+)\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestStringsBothLanguages: every string has a Vietnamese and an English text, with the same
// {placeholders}.
func TestStringsBothLanguages(t *testing.T) {
	table, lines := stringsTable(t)
	for key, s := range table {
		if strings.TrimSpace(s[0]) == "" || strings.TrimSpace(s[1]) == "" {
			t.Errorf("strings.js:%d: %s lacks a language: vi %q, en %q", lines[key], key, s[0], s[1])
		}
		if vi, en := placeholders(s[0]), placeholders(s[1]); !slices.Equal(vi, en) {
			t.Errorf("strings.js:%d: %s fills in %v in Vietnamese but %v in English", lines[key], key, vi, en)
		}
	}
}

var (
	staticImportRe  = regexp.MustCompile(`(?m)^import\s[^;]*?\sfrom\s+'([^']+)';|^import\s+'([^']+)';`)
	dynamicImportRe = regexp.MustCompile(`\bimport\(\s*'([^']+)'\s*\)`)
	tCallRe         = regexp.MustCompile(`\bt\(\s*'([^']*)'`)
	i18nAttrRe      = regexp.MustCompile(`\bdata-i18n(?:-title)?="([^"]*)"`)
	literalRe       = regexp.MustCompile(`'(\w+)'`)
	preloadRe       = regexp.MustCompile(`<link rel="modulepreload" href="assets/([^"]+)">`)
)

// modules returns the modules entry imports, itself included, by their paths in this folder:
// those imported statically (loaded with the page) and those imported with import() (on demand).
func modules(t *testing.T, entry string) (static, dynamic []string) {
	t.Helper()
	seen := map[string]bool{}
	var walk func(file string, lazy bool)
	walk = func(file string, lazy bool) {
		if seen[file] {
			return
		}
		seen[file] = true
		if lazy {
			dynamic = append(dynamic, file)
		} else {
			static = append(static, file)
		}
		src := read(t, file)
		for _, m := range staticImportRe.FindAllStringSubmatch(src, -1) {
			walk(path.Join(path.Dir(file), m[1]+m[2]), lazy)
		}
		for _, m := range dynamicImportRe.FindAllStringSubmatch(src, -1) {
			walk(path.Join(path.Dir(file), m[1]), true)
		}
	}
	walk(entry, false)
	// A module both pages reach statically and lazily counts as static.
	dynamic = slices.DeleteFunc(dynamic, func(m string) bool { return slices.Contains(static, m) })
	sort.Strings(static)
	sort.Strings(dynamic)
	return static, dynamic
}

// TestStringsUsed: every key a page uses (t('key') in its modules, data-i18n="key" and
// data-i18n-title="key" in its HTML) is in strings.js, and every key of strings.js is used
// somewhere (named as a literal in a module or by an HTML attribute).
func TestStringsUsed(t *testing.T) {
	table, lines := stringsTable(t)
	named := map[string]bool{}
	for _, p := range pages {
		static, dynamic := modules(t, p.entry)
		used := map[string]string{} // key → where
		html := read(t, p.html)
		for _, m := range i18nAttrRe.FindAllStringSubmatch(html, -1) {
			used[m[1]], named[m[1]] = p.html, true
		}
		for _, file := range append(static, dynamic...) {
			if file == "strings.js" {
				continue
			}
			src := read(t, file)
			for _, m := range tCallRe.FindAllStringSubmatch(src, -1) {
				used[m[1]] = file
			}
			for _, m := range literalRe.FindAllStringSubmatch(src, -1) {
				named[m[1]] = true
			}
		}
		if len(used) < 20 {
			t.Errorf("%s: only %d string keys found in use: is the scan still reading the modules?", p.html, len(used))
		}
		for key, where := range used {
			if _, ok := table[key]; !ok {
				t.Errorf("%s: %s uses string %q, which strings.js lacks", p.html, where, key)
			}
		}
	}
	for key := range table {
		if !named[key] {
			t.Errorf("strings.js:%d: %s is used by no page", lines[key], key)
		}
	}
}

// TestModuleDepth: no module a page needs at first paint is more than one round trip behind its
// entry module (so a phone on a slow network waits no longer than for the entry and then one
// more fetch): each is imported by the entry itself or preloaded by the page (link
// rel=modulepreload). A page preloads nothing it does not load statically (a module imported
// on demand stays off the first paint), loads its entry as a module, and every module of this
// folder serves some page.
func TestModuleDepth(t *testing.T) {
	all := map[string]bool{}
	for _, p := range pages {
		html := read(t, p.html)
		if !strings.Contains(html, `<script type="module" src="assets/`+p.entry+`"></script>`) {
			t.Errorf("%s does not load %s as a module", p.html, p.entry)
		}
		static, dynamic := modules(t, p.entry)
		near := map[string]bool{p.entry: true}
		for _, m := range staticImportRe.FindAllStringSubmatch(read(t, p.entry), -1) {
			near[path.Join(path.Dir(p.entry), m[1]+m[2])] = true
		}
		for _, m := range preloadRe.FindAllStringSubmatch(html, -1) {
			if !slices.Contains(static, m[1]) {
				t.Errorf("%s preloads %s, which %s does not import statically", p.html, m[1], p.entry)
			}
			near[m[1]] = true
		}
		for _, m := range static {
			if !near[m] {
				t.Errorf("%s: %s is two imports or more behind %s: import it there or preload it", p.html, m, p.entry)
			}
			all[m] = true
		}
		for _, m := range dynamic {
			all[m] = true
		}
	}
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") && !strings.HasPrefix(p, "vendor/") && !all[p] {
			t.Errorf("%s is imported by no page", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
