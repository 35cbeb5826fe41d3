SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-builtin-rules

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/dagnfs
E2E_STATE := $(CURDIR)/.e2e

.PHONY: build demo test unit e2e bench fmt vet clean

build:
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/dagnfs

demo: build
	scripts/demo.sh $(BIN) examples/dags

# The whole suite: formatting, vet, unit tests, then end-to-end tests against
# a real nfs-ganesha that scripts/ganesha.sh installs, starts and stops.
test: fmt vet unit e2e

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

unit:
	go test -count=1 ./...

e2e: build
	scripts/ganesha.sh start $(E2E_STATE)
	set -a; source $(E2E_STATE)/env; set +a; \
	DAGNFS_BIN=$(CURDIR)/$(BIN) go test -count=1 -tags e2e -timeout 10m ./e2e/ -v 2>&1 | tee $(E2E_STATE)/e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go' ; \
	status=$${PIPESTATUS[0]}; scripts/ganesha.sh stop $(E2E_STATE); exit $$status

bench: build
	scripts/bench.sh $(BIN) $(E2E_STATE)

clean:
	rm -rf bin $(E2E_STATE)
