# The two commands of the README: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
RAILYARD := node bin/railyard.js

.PHONY: demo demo-down test test-unit setup build binaries lint typecheck cluster-up cluster-down

## demo: install what is needed, build the control plane once, start the local cluster "local"
demo: binaries
	@scripts/demo.sh

## demo-down: stop the demo server and cluster
demo-down: build
	@if [ -f .railyard/demo/server.pid ]; then kill "$$(cat .railyard/demo/server.pid)" 2>/dev/null || true; rm -f .railyard/demo/server.pid; fi
	@$(RAILYARD) cluster down --name local

## test: install everything, then typecheck, lint and run unit + integration tests on one local cluster
test: setup binaries typecheck lint
	@npm test --silent

## test-unit: the fast tests only, no cluster
test-unit: setup
	@npm run --silent test:unit

setup:
	@scripts/setup.sh

build: setup
	@npm run --silent build

## binaries: build (first run, ~10 minutes) or check the cached etcd, kube-* and kwok binaries
binaries: build
	@$(RAILYARD) cluster build

typecheck: setup
	@npx tsc -p tsconfig.json && npx tsc -p web/tsconfig.json

lint: setup
	@npx eslint . && npx prettier --check --log-level=warn .

cluster-up: build
	@$(RAILYARD) cluster up

cluster-down: build
	@$(RAILYARD) cluster down
