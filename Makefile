# Vigil: `make run` starts a collector and an agent on this machine; `make test` runs
# every test. See README.md.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
# CI runs on 2 cores; -race costs time but finds what matters in a daemon.
TESTFLAGS ?= -race -count=1 -timeout 20m
FUZZTIME  ?= 10s
FUZZ      := GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

.PHONY: all build run test fuzz bench lint clean

all: build

build:
	$(BUILD) -o bin/vigil-agent ./agent
	$(BUILD) -o bin/vigil-collector ./collector

## run: build, then start a collector (embedded store in .run/) and one agent against it.
run: build
	$(GO) build -o bin/vigil-devrun ./internal/devrun
	bin/vigil-devrun -bin bin -dir .run

## test: vet, unit + integration + end-to-end tests (fuzz seed corpora included), short fuzz runs.
test: build
	$(GO) vet ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: files above need formatting"; exit 1; }
	VIGIL_BIN=$(CURDIR)/bin $(GO) test $(TESTFLAGS) ./...
	@# -race perturbs allocation counts (sync.Pool drops entries), so the zero-allocation tests run once more without it.
	$(GO) test -count=1 -run 'DoesNotAllocate' ./...
	bin/vigil-collector test-rules configs/rules/tests/*_test.yaml
	$(MAKE) --no-print-directory fuzz

## fuzz: run each fuzz target for FUZZTIME beyond its seed corpus.
fuzz:
	$(FUZZ) FuzzDecodeBatch ./collector/ingest
	$(FUZZ) FuzzParse ./internal/config
	$(FUZZ) FuzzParseFile ./collector/rules
	$(FUZZ) FuzzParseValues ./collector/rules
	$(FUZZ) FuzzParseMatcher ./collector/alert
	$(FUZZ) FuzzDecodeRecord ./collector/outbox
	$(FUZZ) FuzzAppendString ./collector/store/elastic
	$(FUZZ) FuzzMetricEvent ./collector/store/elastic
	$(FUZZ) FuzzParseRange ./internal/nagios
	$(FUZZ) FuzzParsePerf ./internal/nagios
	$(FUZZ) FuzzParseOutput ./internal/nagios
	@# Seeds are whole captured packets (1-4 KB): shrinking each new input for the default 60s would stall the run.
	$(FUZZ) FuzzDecode ./internal/nrpe -fuzzminimizetime 2s
	$(FUZZ) FuzzServer ./agent/nrpe -fuzzminimizetime 1s
	$(FUZZ) FuzzParseStat ./checks

## bench: Go micro-benchmarks, then the side-by-side table (agent vs prometheus-node-exporter, collector ingest).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./agent/... ./collector/... ./internal/...
	$(GO) run ./internal/benchtable -bin bin

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

clean:
	rm -rf bin .run
