package server

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The OpenAPI document is checked two ways: every route of routes.go is described (and nothing
// else), and every JSON answer the server tests receive through fetch is validated against the
// schema the document gives for its path, method, status and media type.

// apiDoc is the parsed openapi.json with its schemas compiled on demand (JSON Schema 2020-12,
// the dialect of OpenAPI 3.1).
type apiDoc struct {
	raw      map[string]any
	paths    []apiPath
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

// apiPath is one path template as a pattern.
type apiPath struct {
	template string
	re       *regexp.Regexp
}

const apiDocURL = "file:///openapi.json"

var (
	apiDocOnce sync.Once
	apiDocVal  *apiDoc
	apiDocErr  error
)

// loadAPIDoc parses and indexes the embedded document once per test binary.
func loadAPIDoc(t testing.TB) *apiDoc {
	t.Helper()
	apiDocOnce.Do(func() {
		var raw any
		if raw, apiDocErr = jsonschema.UnmarshalJSON(bytes.NewReader(openAPI)); apiDocErr != nil {
			return
		}
		d := &apiDoc{raw: raw.(map[string]any), compiler: jsonschema.NewCompiler(), schemas: map[string]*jsonschema.Schema{}}
		d.compiler.DefaultDraft(jsonschema.Draft2020)
		d.compiler.AssertFormat()
		if apiDocErr = d.compiler.AddResource(apiDocURL, raw); apiDocErr != nil {
			return
		}
		param := regexp.MustCompile(`\\\{[^}]+\\\}(\\\.[a-z]+$)?`)
		for p := range d.raw["paths"].(map[string]any) {
			// {name} matches one segment, empty too (the router hands an empty one to the handler,
			// whose 400 is described), except the last of a feature id, which may hold '/'; a
			// final {y}.mvt matches any last segment (a wrong extension is the route's 400).
			expr := param.ReplaceAllStringFunc(regexp.QuoteMeta(p), func(m string) string {
				if strings.HasPrefix(m, `\{featureId\}`) || strings.HasPrefix(m, `\{path\}`) {
					return `.+`
				}
				return `[^/]*`
			})
			d.paths = append(d.paths, apiPath{p, regexp.MustCompile("^" + expr + "$")})
		}
		// Most specific first: fewer parameters, then longer templates.
		slices.SortFunc(d.paths, func(a, b apiPath) int {
			if n, m := strings.Count(a.template, "{"), strings.Count(b.template, "{"); n != m {
				return n - m
			}
			return len(b.template) - len(a.template)
		})
		apiDocVal = d
	})
	if apiDocErr != nil {
		t.Fatalf("openapi.json: %v", apiDocErr)
	}
	return apiDocVal
}

// pointer escapes s as a JSON pointer token.
func pointer(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

// deref follows an OpenAPI $ref ("#/components/…") to the object it names, with its location.
func (d *apiDoc) deref(v map[string]any, loc string) (map[string]any, string) {
	ref, ok := v["$ref"].(string)
	if !ok {
		return v, loc
	}
	cur := any(d.raw)
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur = cur.(map[string]any)[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	return cur.(map[string]any), ref
}

// schemaFor returns the compiled schema of the answer to method path with status and media
// type ct, nil when the document gives none (non-JSON bodies) and ok false when it does not
// describe that answer at all.
func (d *apiDoc) schemaFor(t testing.TB, method, path string, status int, ct string) (sch *jsonschema.Schema, ok bool) {
	t.Helper()
	var tmpl string
	for _, p := range d.paths {
		if p.re.MatchString(path) {
			tmpl = p.template
			break
		}
	}
	if tmpl == "" {
		return nil, false
	}
	ops := d.raw["paths"].(map[string]any)[tmpl].(map[string]any)
	m := strings.ToLower(method)
	if method == http.MethodHead {
		m = "get"
	}
	op, found := ops[m].(map[string]any)
	if !found {
		return nil, false
	}
	resps := op["responses"].(map[string]any)
	r, found := resps[strconv.Itoa(status)].(map[string]any)
	if !found {
		return nil, false
	}
	loc := "#/paths/" + pointer(tmpl) + "/" + m + "/responses/" + strconv.Itoa(status)
	r, loc = d.deref(r, loc)
	content, _ := r["content"].(map[string]any)
	mt, _, _ := mime.ParseMediaType(ct)
	for key, v := range content {
		km, _, _ := mime.ParseMediaType(key)
		if km != mt && key != "*/*" {
			continue
		}
		if _, has := v.(map[string]any)["schema"]; !has {
			return nil, true
		}
		at := apiDocURL + loc + "/content/" + pointer(key) + "/schema"
		d.mu.Lock()
		defer d.mu.Unlock()
		if s, ok := d.schemas[at]; ok {
			return s, true
		}
		s, err := d.compiler.Compile(at)
		if err != nil {
			t.Fatalf("openapi.json: compiling %s: %v", at, err)
		}
		d.schemas[at] = s
		return s, true
	}
	return nil, status == http.StatusNotModified || len(content) == 0
}

// checkOpenAPI validates one answer received by the tests: its status must be documented for
// its route (routes the document does not know, such as unmatched paths, are skipped), and a
// JSON body must match the documented schema. CORS preflights (OPTIONS) are the middleware's,
// not the routes'.
func checkOpenAPI(t testing.TB, method, rawURL string, r reply) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || method == http.MethodOptions || r.status == http.StatusNotModified || r.status == http.StatusMethodNotAllowed ||
		r.status == http.StatusPartialContent || r.status == http.StatusRequestedRangeNotSatisfiable || r.status == http.StatusPreconditionFailed {
		return
	}
	d := loadAPIDoc(t)
	ct := r.header.Get("Content-Type")
	sch, ok := d.schemaFor(t, method, u.Path, r.status, ct)
	if !ok {
		if r.status == http.StatusNotFound && !strings.HasPrefix(u.Path, "/api/") && !strings.HasPrefix(u.Path, "/ogc") && !strings.HasPrefix(u.Path, "/tiles") {
			return // an unmatched path outside the API
		}
		if r.status == http.StatusNotFound {
			return // the route table's 404 for an unknown path under the API is not per route
		}
		t.Errorf("openapi.json does not describe %s %s → %d (%s)", method, u.Path, r.status, ct)
		return
	}
	if sch == nil || method == http.MethodHead || len(r.body) == 0 || r.header.Get("Content-Encoding") != "" {
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("%s %s → %d: the body is not JSON: %v", method, u.Path, r.status, err)
		return
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s %s → %d does not match openapi.json: %v", method, rawURL, r.status, err)
	}
}

// openAPIPath turns a gin route into its OpenAPI template: :name and *name become {name}; the
// tile routes' last parameters carry their extension ({collection}.json, {y}.mvt).
func openAPIPath(ginPath string) []string {
	segs := strings.Split(ginPath, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	p := strings.Join(segs, "/")
	switch p {
	case "/tiles/{collection}":
		return []string{"/tiles/{collection}.json"}
	case "/tiles/{collection}/{z}/{x}/{y}":
		return []string{"/tiles/{collection}/{z}/{x}/{y}.mvt"}
	}
	return []string{p}
}

// TestOpenAPICoversRoutes fails when a route of routes.go is missing from openapi.json, or the
// document describes a route the server does not have.
func TestOpenAPICoversRoutes(t *testing.T) {
	s, _ := newTestServer(t)
	d := loadAPIDoc(t)
	paths := d.raw["paths"].(map[string]any)
	if d.raw["openapi"] != "3.1.0" {
		t.Errorf("openapi %v, want 3.1.0", d.raw["openapi"])
	}
	served := map[string]bool{}
	for _, r := range s.routes() {
		for _, p := range openAPIPath(r.path) {
			key := strings.ToLower(r.method) + " " + p
			served[key] = true
			ops, ok := paths[p].(map[string]any)
			if !ok || ops[strings.ToLower(r.method)] == nil {
				t.Errorf("route %s %s is missing from server/openapi.json (as %s)", r.method, r.path, p)
			}
		}
	}
	for p, ops := range paths {
		for m := range ops.(map[string]any) {
			if !served[m+" "+p] {
				t.Errorf("openapi.json describes %s %s, which routes.go does not serve", strings.ToUpper(m), p)
			}
		}
	}
	// Every operation has an id, a summary and a 2xx answer; the document is itself JSON the
	// server serves as it is.
	ids := map[string]bool{}
	for p, ops := range paths {
		for m, op := range ops.(map[string]any) {
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" || ids[id] || o["summary"] == "" {
				t.Errorf("%s %s: operationId %q (repeated: %v), summary %q", m, p, id, ids[id], o["summary"])
			}
			ids[id] = true
		}
	}
	_, ts := newTestServer(t)
	r := get(t, ts.URL+"/api/v1/openapi.json")
	var back any
	if r.status != http.StatusOK || json.Unmarshal(r.body, &back) != nil || !bytes.Equal(r.body, openAPI) {
		t.Fatalf("/api/v1/openapi.json: %d, %d bytes", r.status, len(r.body))
	}
}

// TestAPIAnswersMatchOpenAPI asks each read route once (their answers are validated by fetch)
// and checks that a wrong answer is caught: the validator is not vacuous.
func TestAPIAnswersMatchOpenAPI(t *testing.T) {
	ts := newFibreServer(t)
	for _, p := range []string{
		"/healthz", "/api/v1/info", "/api/v1/carriers", "/api/v1/sites?carrier=viettel&limit=3", "/api/v1/sites/viettel/TV-VT-0001",
		"/api/v1/coverage?zoom=8", "/api/v1/communes", "/api/v1/communes/29242", "/api/v1/gaps?tech=3G", "/api/v1/signal?lon=106.34&lat=9.93",
		"/api/v1/fibre?kind=access_point", "/api/v1/fibre/reach?zoom=8", "/api/v1/combined", "/api/v1/h3?resolution=8", "/api/v1/gaps.geojson",
		"/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/sites", "/ogc/collections/sites/items?limit=2",
		"/ogc/collections/communes/items/29242", "/tiles/gaps_4g.json", "/api/v1/sites?bbox=1", "/api/v1/communes/nope",
	} {
		if r := get(t, ts.URL+p); r.status >= 500 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	d := loadAPIDoc(t)
	sch, ok := d.schemaFor(t, http.MethodGet, "/api/v1/info", http.StatusOK, ctJSON)
	if !ok || sch == nil {
		t.Fatal("no schema for /api/v1/info")
	}
	if err := sch.Validate(map[string]any{"name": "phusong", "data_version": "seven"}); err == nil {
		t.Error("the Info schema accepts a string data_version and missing fields")
	}
}
