# phusong: the two commands are `make run` and `make test` (see README.md).
GO ?= go
ADDR ?= :8080
SHARED ?= ../shared/data

.PHONY: run test bench lint build demo-data clean

run:
	$(GO) run ./cmd/phusong report

test:
	$(GO) test -race ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o phusong ./cmd/phusong

# Regenerate the embedded demo province from ../shared (deterministic; output committed).
demo-data:
	$(GO) run ./cmd/phusong demo-data --shared $(SHARED) --out data/demo

clean:
	rm -rf phusong phusong-data artifacts
