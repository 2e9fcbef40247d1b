# Every Go module in the repository: the core (.) and each module with a driver.
MODULES := $(patsubst ./%,%,$(shell find . -name go.mod -not -path './.git/*' -exec dirname {} \; | sort))
GO ?= go
STATICCHECK_VERSION ?= v0.6.1
TESTFLAGS ?= -race -count=1 -timeout 25m

.PHONY: test lint bench bench-http fuzz demo services chaos

## test: run every module's tests (the README's test command), then the
## core again built with C zlib (-tags czlib) when cgo and zlib are there
test:
	@set -e; for m in $(MODULES); do echo "== go test $$m"; (cd $$m && $(GO) test $(TESTFLAGS) ./...); done
	@if [ "$$($(GO) env CGO_ENABLED)" = 1 ] && [ -f /usr/include/zlib.h ]; then \
		echo "== go test -tags czlib (byte-identical compressed cookies)"; \
		$(GO) test $(TESTFLAGS) -tags czlib . ./signer; \
	elif [ "$$CI" = true ]; then echo "czlib: cgo or zlib.h missing" >&2; exit 1; \
	else echo "== SKIPPED -tags czlib: needs cgo and zlib1g-dev"; fi

## lint: gofmt, go vet and staticcheck on every module
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do echo "== vet+staticcheck $$m"; (cd $$m && $(GO) vet ./... && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...); done
	$(GO) vet -tags czlib . ./signer

## bench: side-by-side benchmarks (this library, gorilla/sessions, scs, Flask)
bench:
	cd bench && $(GO) test -run='^$$' -bench=. -benchmem ./...

## bench-http: load benchmark over real HTTP (wrk on loopback, a private
## redis-server; see bench/README.md). BENCH_DURATION=5s per cell,
## BENCH_LIBS=ours-redis,scs-redis and BENCH_CELLS=hot-write pick a subset
bench-http:
	cd bench && $(GO) run ./cmd/benchhttp

## fuzz: run every fuzz target for FUZZTIME (default 30s each; 10000000x
## means ten million executions); FUZZPKGS narrows the list
FUZZTIME ?= 30s
FUZZPKGS ?= taggedjson signer seal flasksession filestore cachelibstore . cmd/sessionctl cmd/sessiondemo redisstore memcachestore sqlstore
fuzz:
	@set -e; for p in $(FUZZPKGS); do for f in $$(cd $$p && $(GO) test -list 'Fuzz.*' . | grep ^Fuzz); do echo "== $$p $$f"; (cd $$p && $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) .); done; done

## chaos: the fault harness, short form (every fault once per store, ~3 min;
## CHAOS_LONG=1 for the long form); starts its own servers on ports 17000-17999
CHAOS_TIMEOUT ?= 60m
chaos:
	cd chaos && $(GO) test -count=1 -v -timeout $(CHAOS_TIMEOUT) .

## demo: the demo shop on the signed-cookie store
demo:
	$(GO) run ./cmd/sessiondemo

## services: start the databases and caches the tests use
services:
	bash scripts/services.sh
