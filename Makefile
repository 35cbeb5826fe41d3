SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-builtin-rules

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/dagnfs
E2E_STATE := $(CURDIR)/.e2e

.PHONY: build demo test deps unit e2e bench fmt vet clean corpus-verdicts

build:
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/dagnfs

demo: build
	scripts/demo.sh $(BIN) examples/dags

# The whole suite: formatting, vet, unit tests, then end-to-end tests against
# a real nfs-ganesha that scripts/ganesha.sh installs, starts and stops.
test: deps fmt vet unit e2e

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

unit:
	go test -count=1 ./...

e2e: build
	scripts/e2e.sh $(BIN) $(E2E_STATE)

# What the tests need and a fresh machine lacks (apt-get; root).
deps:
	scripts/ganesha.sh install

bench: build
	scripts/bench.sh $(BIN) $(E2E_STATE)

clean:
	rm -rf bin $(E2E_STATE)

# Regenerate validate/testdata/pycorpus-3.X.jsonl (CPython's verdicts on
# ../shared/pycorpus) with the interpreters named in PYTHONS.
PYTHONS ?= python3.11 python3.12 python3.13
corpus-verdicts:
	for py in $(PYTHONS); do v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  (cd ../shared/pycorpus && $$py verdict.py invalid/*.py valid/*.py valid312/*.py valid313/*.py) > validate/testdata/pycorpus-$$v.jsonl; done
