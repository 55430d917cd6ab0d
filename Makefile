# Samsa: a Kafka-compatible broker in one Go binary.
#
#   make run    build and start a single-node broker on localhost:9092 (data in ./data)
#   make test   everything CI runs: deps, vet, unit tests with -race, brief fuzzing,
#               end-to-end and client-compatibility tests against the real binary
#   make verify a long `samsa verify` run under faults (docs/verify.md), by hand
#   make bench  Samsa beside Apache Kafka 4.4: throughput, CPU, latency, RSS as ratios
#               (docs/bench.md); make bench-micro runs the Go micro-benchmarks

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

GO      ?= go
BIN     := bin/samsa
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# Go packages with unit tests: everything except the black-box suites in test/.
UNIT_PKGS = $$($(GO) list ./... | grep -v /test/)

.PHONY: all build run cluster test deps vet unit fuzz-brief e2e bench bench-micro fuzz verify clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/samsa

# The binary embeds configs/server.properties: PLAINTEXT on localhost:9092,
# log.dirs=./data/kafka-logs, a single-voter Raft controller in-process.
run: build
	./$(BIN) server

# Three nodes from configs/cluster (each broker and controller) on
# localhost:9092/9094/9096, data in ./data/node-N; Ctrl-C stops all three.
cluster: build
	@pids=""; trap 'kill $$pids 2>/dev/null; wait' INT TERM EXIT; \
	for n in 1 2 3; do ./$(BIN) server configs/cluster/node-$$n.properties & pids="$$pids $$!"; done; \
	echo "cluster: nodes$$pids starting; bootstrap with localhost:9092,localhost:9094,localhost:9096"; \
	wait

test: deps vet unit fuzz-brief e2e

# kcat, confluent-kafka-python and node/npm are needed by test/compat, a JDK
# (17) and Maven by test/javaclient; install them with apt only when missing
# (sudo only when not root), then kafkajs from
# test/compat/node/package-lock.json. test/javaclient builds test/java
# itself, once, resolving Apache Kafka's jars into ~/.m2 on first use.
deps:
	@need=""; \
	command -v kcat >/dev/null 2>&1 || need="$$need kcat"; \
	command -v npm >/dev/null 2>&1 || need="$$need nodejs npm"; \
	/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || need="$$need python3-confluent-kafka"; \
	command -v javac >/dev/null 2>&1 || need="$$need openjdk-17-jdk-headless"; \
	command -v mvn >/dev/null 2>&1 || need="$$need maven"; \
	if [ -n "$$need" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "deps: installing$$need"; \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$need; \
	fi
	cd test/compat/node && npm ci --no-audit --no-fund

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -timeout 15m $(UNIT_PKGS)

# Every fuzz target for 5 seconds (see test/fuzz.sh).
fuzz-brief:
	./test/fuzz.sh 5s

# Real binary, real clients; a missing kcat or python module fails instead of skipping.
e2e:
	SAMSA_REQUIRE_TOOLS=1 $(GO) test -timeout 15m -count=1 ./test/...

# Samsa beside Apache Kafka 4.4: the same load (1 KiB records, produce
# acks=all, consume, e2e latency at a fixed rate) on both, interleaved, with
# Samsa/Kafka ratios; a few minutes. Knobs (BENCH_*) in docs/bench.md.
bench:
	@command -v javac >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 || $(MAKE) deps
	$(GO) test -count=1 -run='^$$' -bench=BesideKafka -benchtime=1x -timeout 60m ./test/bench

# The Go micro-benchmarks of the packages (no broker).
bench-micro:
	$(GO) test -run='^$$' -bench=. -benchmem $(UNIT_PKGS)

# Long fuzzing, by hand: FUZZTIME=10m make fuzz
FUZZTIME ?= 2m
fuzz:
	./test/fuzz.sh $(FUZZTIME)

# Long consistency check, by hand (docs/verify.md): a 3-node cluster samsa
# verify starts itself, kill -9 and SIGSTOP faults, the history in
# bin/verify-history.jsonl. VERIFY_DURATION=30m make verify
VERIFY_DURATION ?= 5m
VERIFY_FAULTS   ?= kill,pause
verify: build
	./$(BIN) verify --nodes 3 --duration $(VERIFY_DURATION) --faults $(VERIFY_FAULTS) \
		--history bin/verify-history.jsonl --verbose

clean:
	rm -rf bin
