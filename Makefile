# phusong: the two commands are `make run` and `make test` (see README.md).
GO ?= go
ADDR ?= :8080
SHARED ?= ../shared/data
NPM ?= npm

# The web map's Leaflet comes from the npm registry (pinned by static/package-lock.json) and is
# copied into static/vendor, which static/static.go embeds: every Go build needs it first.
LEAFLET_DIST := static/node_modules/leaflet/dist
VENDOR_STAMP := static/vendor/leaflet/leaflet.js

.PHONY: run test bench load lint build vendor demo-data clean

run: vendor
	$(GO) run ./cmd/phusong serve --addr $(ADDR)

test: vendor
	$(GO) test -race ./...

bench: vendor
	$(GO) test -run '^$$' -bench . -benchmem ./...

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
