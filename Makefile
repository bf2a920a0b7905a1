# Micboard — GNU make. Works as root on a fresh Debian 12 with Go, Node.js/npm
# and git: `make run` to try it, `make test` to test it.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Go may be installed but not on PATH (the official tarball's location).
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := $(PATH):/usr/local/go/bin
endif

GO       ?= go
NPM      ?= npm
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

TAILWIND := node_modules/.bin/tailwindcss
CSS_IN   := static/css/input.css
CSS_OUT  := static/css/app.css
JS_OUT   := static/js/htmx.min.js static/js/sse.js

.PHONY: help deps browser-deps assets db build migrate run test soak bench bench-fleet bench-cluster fuzz screenshots fmt vet clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

deps: ## install what is missing: npm packages, Go modules, a C compiler for -race
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		if [ -f package-lock.json ]; then $(NPM) ci --no-audit --no-fund; else $(NPM) install --no-audit --no-fund; fi; \
	fi
	@$(GO) mod download
	@bash scripts/ensure-cc.sh

browser-deps: ## install Debian's chromium for the browser tests when it is missing (never a downloaded browser)
	@command -v chromium >/dev/null 2>&1 || { \
		echo "browser-deps: installing Debian's chromium"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	}

assets: deps ## copy htmx + its SSE extension into static/js, build the minified CSS
	@mkdir -p static/js
	@cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js
	@cp node_modules/htmx-ext-sse/dist/sse.js static/js/sse.js
	@$(TAILWIND) -i $(CSS_IN) -o $(CSS_OUT) --minify 2>&1 | grep -v -e '^$$' -e '^Rebuilding' -e '^Done in' -e 'Browserslist' -e 'npx update-browserslist' -e 'Why you should' || true
	@test -s $(CSS_OUT)

db: ## make sure PostgreSQL answers on 127.0.0.1:5432 and Mosquitto on 1883 (installs and starts them if needed); Redis stays optional
	@bash scripts/ensure-postgres.sh
	@bash scripts/ensure-redis.sh
	@bash scripts/ensure-mosquitto.sh

build: ## build bin/micboard (and bin/micsim when cmd/micsim exists)
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/micboard ./cmd/micboard
	@if [ -d cmd/micsim ]; then $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/micsim ./cmd/micsim; fi

migrate: build ## create the database if missing and apply the migrations
	$(BIN)/micboard migrate

run: deps assets db build migrate ## set everything up and serve on :8058 (with the demo fleet); serve prints the address it really serves
	@if $(BIN)/micboard serve --help 2>&1 | grep -q -- '--demo'; then \
		exec $(BIN)/micboard serve --demo; \
	else \
		exec $(BIN)/micboard serve; \
	fi

test: deps db browser-deps ## run every test against a real PostgreSQL, with the race detector (browser tests too)
	$(GO) test -race -count=1 ./...

soak: deps db ## run the long forms of the fault campaign (junk floods, fleet outages, SIGKILL loops; several minutes)
	MICBOARD_SOAK=1 $(GO) test -race -count=1 -timeout 30m -run 'Fault' -v ./app/monitor/ ./cmd/micboard/

bench: deps db ## run every benchmark (a few minutes: the fleet watches 1,000 channels for 60 s), then bench-cluster
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@$(MAKE) --no-print-directory bench-cluster

# fuzz: every Fuzz target of the device codecs (found by name, so a new
# vendor's targets join by themselves), one at a time with one worker, each
# for FUZZTIME. Crashers land in the package's testdata/fuzz and then fail
# make test until fixed. E.g. make fuzz FUZZTIME=5m
FUZZTIME ?= 10s
fuzz: ## fuzz every device codec for FUZZTIME each (default 10s; the README records 5m runs)
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' app/device); do \
		pkg=./$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$pkg $$t for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -parallel=1 $$pkg; \
		done; \
	done

# bench-fleet: the simulator fleet, `micboard serve` and the browsers in
# separate processes. Override any of these, e.g. make bench-fleet RUNS="100ms:0,10"
RECEIVERS ?= 250
RUNS      ?= 100ms:0,10,100 1s:2000
DURATION  ?= 40s
bench-fleet: deps db build ## a real server watching RECEIVERS simulated receivers: CPU, memory, bytes and latency per stream count (RUNS="rate:streams ...")
	@for run in $(RUNS); do \
		$(GO) run ./cmd/fleetbench --micboard $(BIN)/micboard --receivers $(RECEIVERS) --duration $(DURATION) \
			--meter-rate $${run%%:*} --streams $${run#*:} || exit 1; \
	done

# bench-cluster: CLUSTER_INSTANCES `micboard serve` instances on one
# database share CLUSTER_RECEIVERS simulated receivers metering every second,
# with CLUSTER_STREAMS board streams on each: CPU and memory per instance,
# update latency on the instance watching the receiver and on the others
# (the change crossed LISTEN/NOTIFY). E.g. make bench-cluster CLUSTER_INSTANCES=3
CLUSTER_INSTANCES ?= 2
CLUSTER_RECEIVERS ?= 500
CLUSTER_STREAMS   ?= 10
bench-cluster: deps db build ## several instances on one database sharing simulated receivers at 1 s metering: CPU, memory per instance, cross-instance latency
	$(GO) run ./cmd/fleetbench --micboard $(BIN)/micboard --instances $(CLUSTER_INSTANCES) --receivers $(CLUSTER_RECEIVERS) \
		--meter-rate 1s --streams $(CLUSTER_STREAMS) --duration $(DURATION)

screenshots: deps assets db browser-deps ## capture docs/screenshots: board, kiosk, phone and console from a simulated show, and wall displays of 12, 48 and 200 channels at 1080p and 4K
	@mkdir -p docs/screenshots
	MICBOARD_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test ./app/web/browser/ -run '^(TestScreenshots|TestScreensFit)$$' -count=1 -v

fmt: ## gofmt every Go package
	$(GO) fmt ./...

vet: ## go vet
	$(GO) vet ./...

clean: ## remove build output
	rm -rf $(BIN) coverage.out coverage.html
