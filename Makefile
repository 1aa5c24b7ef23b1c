# Kiosk — the two commands a newcomer needs are `make dev` and `make test`.
SHELL := /bin/bash
GO    ?= go

.PHONY: dev test build dist tools unit e2e vet fuzz clean

# npm ci only when the lock file changed since the last install.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

tools: node_modules/.package-lock.json

## build: every function as a static bootstrap for this machine, into dist/<function>/bootstrap
build:
	$(GO) run ./infra/cmd/build

## dist: every function for linux/arm64, plus dist/<function>.zip for the CDK stack
dist:
	$(GO) run ./infra/cmd/build -arm64

## dev: the local cloud with sample data on http://127.0.0.1:$${KIOSK_PORT:-3000}
dev: tools build
	$(GO) build -o .kiosk/bin/kiosk-dev ./infra/cmd/dev
	exec .kiosk/bin/kiosk-dev

vet:
	@unformatted=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## test: vet, unit tests, end-to-end tests against the real local cloud, a short fuzz pass
test: tools build vet
	$(GO) test -count=1 ./...
	$(GO) test -run '^$$' -fuzz FuzzMatch -fuzztime 8s ./infra/pattern
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 8s ./shared/platform/httpapi

## fuzz: the longer fuzz pass
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzMatch -fuzztime 2m ./infra/pattern
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 2m ./shared/platform/httpapi

clean:
	rm -rf dist .kiosk cdk.out
