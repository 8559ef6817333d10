# Vigil: `make demo` runs the main job, `make test` runs every test (what CI runs).
GO ?= go
export PATH := $(PATH):/usr/local/go/bin
DEMO_DIR ?= /tmp/vigil-demo
# DEMO_ARGS are vigil demo's flags; by default it ends after two minutes with its summary line
# (make demo DEMO_ARGS= runs until Ctrl-C; DEMO_ARGS="--users 300 --speed 120" for more).
DEMO_ARGS ?= --duration 2m

.PHONY: build test bench bench-large demo demo-offline setup vet fuzz samples

build:
	@test -x bin/vigil || echo "building vigil (the first build compiles SQLite through cgo: a minute or two)..."
	$(GO) build -o bin/vigil ./cmd/vigil

setup:
	./scripts/setup.sh

vet:
	@echo "vet, staticcheck, gofmt (the first run builds staticcheck and SQLite through cgo: a minute or two)"
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above are not formatted"; exit 1)

fuzz:
	./scripts/fuzz-smoke.sh

samples:
	./scripts/check-samples.sh

# test: setup, vet, a short run of every fuzz target, the third-party sample check, then
# every Go test (last, so its summary closes the output).
test: setup vet fuzz samples
	@echo "go test ./... (every package; the daemon, emulator and kill-and-restart tests take a few minutes)"
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./...

# bench-large: the behavioural detector at 1,000,000 identities (minutes to build).
bench-large:
	VIGIL_BENCH_LARGE=1 $(GO) test -run '^$$' -bench 'Observe/entities=1000000' -benchtime 1000000x -timeout 30m ./internal/detect/behavior

# demo: the main job — vigil demo, a simulated tenant served live over the real protocols
# on loopback, collected, detected, alerts printed as they come (Ctrl-C ends it).
demo: build
	./bin/vigil demo $(DEMO_ARGS)

# demo-offline: the offline tools on the simulated tenant and the example logs.
demo-offline:
	DEMO_DIR=$(DEMO_DIR) ./scripts/demo.sh
