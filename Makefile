# phusong: the two commands are `make run` and `make test` (see README.md).
GO ?= go
ADDR ?= :8080
SHARED ?= ../shared/data
NPM ?= npm

# The web map's front-end packages (Leaflet) are committed under static/vendor, checked against
# static/package-lock.json by static/vendor_test.go: plain `go build` works on a fresh clone.
# `make vendor` re-vendors after a change of static/package.json (needs npm).

.PHONY: run test test-race test-all bench load lint build vendor demo-data clean mutate

run:
	$(GO) run ./cmd/phusong serve --addr $(ADDR)

# -timeout: under the race detector on 2 cores, the server and coverage packages take several
# minutes each; go test's default of 10 minutes per package fails them on a loaded machine.
# `make test` (the quick set) skips the heaviest tests (concurrency, crashes, national data, the
# whole demo end to end) or runs a smaller variant of them (data/testenv: Heavy, Size), and runs
# the four end-to-end packages of NORACE without the race detector (it costs them 6.4× the CPU:
# bench/README.md), every other package under it. CI=true (as .ci/run sets it) or `make
# test-all` runs every test at full size, every package under -race; `make test-race` runs the
# quick set with every package under -race.
NORACE ?= ./server ./server/app ./cmd/phusong ./data/coverage
TESTFLAGS ?= -timeout 40m
test:
	@if [ "$$CI" = true ] || [ "$$PHUSONG_HEAVY" = 1 ]; then \
		echo "$(GO) test -race $(TESTFLAGS) ./..."; $(GO) test -race $(TESTFLAGS) ./...; \
	else \
		race=$$($(GO) list ./... | grep -vxF "$$($(GO) list $(NORACE))"); \
		echo "$(GO) test -race $(TESTFLAGS) <every package but $(NORACE)> && $(GO) test $(TESTFLAGS) $(NORACE)"; \
		$(GO) test -race $(TESTFLAGS) $$race && $(GO) test $(TESTFLAGS) $(NORACE); \
	fi

test-race:
	$(GO) test -race $(TESTFLAGS) ./...

test-all:
	PHUSONG_HEAVY=1 $(GO) test -race $(TESTFLAGS) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Mutation testing (gremlins, not part of `make test`: an hour or more on 2 cores): the efficacy
# per package, and every mutant that lived; see bench/README.md. MUTATE names the targets
# (default: the five with the 85 % goal; `make mutate MUTATE=all`, or e.g. MUTATE="geo stats").
GREMLINS_VERSION ?= v0.6.0
MUTATE ?= core
mutate:
	$(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	$(GO) run ./bench/mutate $(MUTATE)

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
