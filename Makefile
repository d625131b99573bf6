# phusong: the two commands are `make run` and `make test` (see README.md).
GO ?= go
ADDR ?= :8080
SHARED ?= ../shared/data
NPM ?= npm

# The web map's Leaflet comes from the npm registry (pinned by static/package-lock.json) and is
# copied into static/vendor, which static/static.go embeds: every Go build needs it first.
LEAFLET_DIST := static/node_modules/leaflet/dist
VENDOR_STAMP := static/vendor/leaflet/leaflet.js

.PHONY: run test bench load lint build vendor demo-data clean mutate

run: vendor
	$(GO) run ./cmd/phusong serve --addr $(ADDR)

test: vendor
	$(GO) test -race ./...

bench: vendor
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Mutation testing (gremlins, not part of `make test`: an hour or more on 2 cores): the efficacy
# per package, and every mutant that lived; see bench/README.md. MUTATE names the targets
# (default: the five with the 85 % goal; `make mutate MUTATE=all`, or e.g. MUTATE="geo stats").
GREMLINS_VERSION ?= v0.6.0
MUTATE ?= core
mutate: vendor
	$(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	$(GO) run ./bench/mutate $(MUTATE)

# Loopback load test of the API against a plain static file server (bounded, ~1 minute).
load: vendor
	$(GO) run ./bench/load

lint: vendor
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build: vendor
	$(GO) build -o phusong ./cmd/phusong

vendor: $(VENDOR_STAMP)

$(LEAFLET_DIST)/leaflet.js: static/package.json static/package-lock.json
	cd static && $(NPM) ci --no-audit --no-fund
	touch $@

$(VENDOR_STAMP): $(LEAFLET_DIST)/leaflet.js
	rm -rf static/vendor
	mkdir -p static/vendor/leaflet
	cp -R $(LEAFLET_DIST)/leaflet.css $(LEAFLET_DIST)/images static/vendor/leaflet/
	cp static/node_modules/leaflet/LICENSE static/vendor/leaflet/LICENSE
	cp $(LEAFLET_DIST)/leaflet.js $@

# Regenerate the embedded demo province from ../shared (deterministic; output committed).
demo-data:
	$(GO) run ./cmd/phusong demo-data --shared $(SHARED) --out data/demo

clean:
	rm -rf phusong phusong-data artifacts static/vendor
