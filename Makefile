# The two commands a new user needs: `make run` and `make test`.
SWIFT ?= swift
APT_PACKAGES := libcurl4-openssl-dev libsqlite3-dev

.PHONY: run test deps build lint format clean bench bench-backlog bench-store bench-pg fuzz

## Install the two system libraries the bridge links (libcurl, SQLite) when they are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

build: deps
	$(SWIFT) build

## Build and start the bridge: dry run (no credentials needed), SQLite store in ./data,
## segment port 8081, novu port 8082. Ctrl-C stops it gracefully.
run: build
	./.build/debug/bridge serve --dry-run

## Lint, build (the process tests run the built binary), then run every test: the in-process suites
## in parallel, then the suites that drive the real binary one at a time (they load both cores).
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip BridgeTests
	$(SWIFT) test --filter BridgeTests --no-parallel

## The benchmark (not a test): the bridge against a bare Hummingbird endpoint and the Node peer,
## all against one Novu sink, measured in one run. Prints one table with the ratios.
## BENCH_BASELINE=<an older bridge> measures it too; BENCH_ROUNDS=N interleaves N rounds of both and
## reports medians, with each round's ratios.
bench: deps
	bash bench/run.sh

## Single events on SQLite, on PostgreSQL with one replica and with two replicas on one database
## (a throwaway cluster from scripts/test-postgres.sh), in one run: end-to-end events/s and per core.
bench-pg: deps
	bash bench/pg.sh

## 1,000,000 queued events drained by the bridge: RSS and drain rate over time.
bench-backlog: deps
	bash bench/backlog.sh

## The ingest paths without HTTP (parse, map, group commit into a real store: Segment events, then signed
## Novu webhooks) and the relay's claims and settlements, in one process: CPU per event.
bench-store: deps
	$(SWIFT) build -c release --product BenchStore
	dir=$$(mktemp -d) && ./.build/release/BenchStore "$$dir" && rm -rf "$$dir"

## libFuzzer on the parsers that face the network (Fuzz/README.md): builds the targets with
## -sanitize=fuzzer,address into .build-fuzz, runs each for FUZZ_SECONDS from a copy of its seed corpus,
## fails when one crashes.
FUZZ_SECONDS ?= 60
fuzz: deps
	SWIFT=$(SWIFT) bash Fuzz/run.sh $(FUZZ_SECONDS)

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Fuzz

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests Fuzz

clean:
	rm -rf .build .build-fuzz data
