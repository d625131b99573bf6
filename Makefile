# phusong: the two commands are `make run` and `make test` (see README.md).
GO ?= go
ADDR ?= :8080
SHARED ?= ../shared/data
NPM ?= npm

# The web map's front-end packages (Leaflet) are committed under static/vendor, checked against
# static/package-lock.json by static/vendor_test.go: plain `go build` works on a fresh clone.
# `make vendor` re-vendors after a change of static/package.json (needs npm).

.PHONY: run test bench load lint build vendor demo-data clean

run:
	$(GO) run ./cmd/phusong serve --addr $(ADDR)

test:
	$(GO) test -race ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Loopback load test of the API against a plain static file server (bounded, ~1 minute).
load:
	$(GO) run ./bench/load

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o phusong ./cmd/phusong

vendor:
	cd static && $(NPM) install --no-audit --no-fund
	$(GO) test ./static -run TestVendorFromTarball -update-vendor
	$(GO) test ./static -run Vendor

# Regenerate the embedded demo province from ../shared (deterministic; output committed).
demo-data:
	$(GO) run ./cmd/phusong demo-data --shared $(SHARED) --out data/demo

clean:
	rm -rf phusong phusong-data artifacts
