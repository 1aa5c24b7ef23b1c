# Kiosk — the two commands a newcomer needs are `make dev` and `make test`.
SHELL := /bin/bash
GO    ?= go

.PHONY: dev test build dist tools vet client lint-openapi fuzz bench reliability synth deploy diff lint-template clean new-domain invoke event diagram eval scale

# The pinned CDK CLI, offline-friendly: no notices, no version check, no telemetry.
CDK := CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk

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

## client: the TypeScript client's types (clients/typescript/schema.d.ts) from infra/topology/openapi.json; commit them
## (a test fails while the committed ones are stale)
client: tools
	npx --no-install openapi-typescript infra/topology/openapi.json -o clients/typescript/schema.d.ts

## lint-openapi: Redocly CLI (recommended, redocly.yaml) and Spectral (spectral:oas, .spectral.yaml) on the API contract;
## any error or warning fails
lint-openapi: tools
	@mkdir -p .kiosk; REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint infra/topology/openapi.json --format=stylish > .kiosk/redocly.log 2>&1; rc=$$?; \
	grep -v '[║╔╚]' .kiosk/redocly.log | grep -v '^ *$$'; \
	if [ $$rc -ne 0 ] || grep -qE '^ +[0-9]+:[0-9]+ +(warning|error)' .kiosk/redocly.log; then echo "lint-openapi: Redocly found problems"; exit 1; fi
	npx --no-install spectral lint infra/topology/openapi.json --fail-severity=warn

vet:
	@unformatted=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## diagram: docs/topology.svg, the topology drawn (functions by domain, routes, schedules, rules, events, tables, grants)
diagram:
	$(GO) run ./infra/cmd/diagram -o docs/topology.svg

## synth: every stack's CloudFormation template into cdk.out/ (cdk.json's build step runs make dist)
synth: tools
	rm -rf cdk.out
	$(CDK) synth --no-notices --quiet -c stage=$(STAGE)

# The stage, and the stack a DOMAIN names: Kiosk-$(STAGE)-<domain>, or platform or gateway. Without
# DOMAIN, every stack in dependency order; with it, that stack only (--exclusively: not the stacks it
# reads from, which a domain release must not redeploy).
STAGE  ?= dev
STACKS  = $(if $(DOMAIN),--exclusively Kiosk-$(STAGE)-$(DOMAIN),--all)

## deploy: cdk deploy, e.g. make deploy STAGE=dev DOMAIN=feed (only Kiosk-dev-feed); without DOMAIN every
## stack (platform, domains, gateway); ARGS pass on, e.g. ARGS="-c alarmEmail=oncall@example.com"
deploy: tools
	$(CDK) deploy --no-notices -c stage=$(STAGE) $(STACKS) $(ARGS)

## diff: what make deploy would change, e.g. make diff DOMAIN=feed (without DOMAIN, every stack)
diff: tools
	$(CDK) diff --no-notices -c stage=$(STAGE) $(if $(DOMAIN),--exclusively Kiosk-$(STAGE)-$(DOMAIN)) $(ARGS)

# cfn-lint: on PATH (the project's machines have it), or the virtualenv .ci/run installs it into.
CFN_LINT = $(shell command -v cfn-lint 2>/dev/null || { test -x .kiosk/cfn-lint/bin/cfn-lint && echo .kiosk/cfn-lint/bin/cfn-lint; })

## lint-template: make synth, then cfn-lint on every stack's template: an error fails, warnings are shown
## (LINT_OPTIONAL=1, as make test sets it, skips with a message when cfn-lint is not installed)
lint-template: synth
	@if [ -z "$(CFN_LINT)" ]; then \
	  if [ -n "$(LINT_OPTIONAL)" ]; then echo "lint-template: SKIPPED: cfn-lint is not installed (pip install cfn-lint; .ci/run tries)"; exit 0; fi; \
	  echo "lint-template: cfn-lint is not installed (pip install cfn-lint)"; exit 1; \
	fi; \
	templates=$$(ls cdk.out/Kiosk-$(STAGE)-*.template.json); \
	echo "$(CFN_LINT) $$($(CFN_LINT) --version) on $$(echo $$templates | wc -w) templates"; \
	$(CFN_LINT) --non-zero-exit-code error --format parseable $$templates \
	  && echo "lint-template: no errors" || { echo "lint-template: cfn-lint found errors"; exit 1; }

## test: vet, unit tests, end-to-end tests against the real local cloud and CDK stacks, a short fuzz pass, cdk synth and cfn-lint
test: tools build vet lint-openapi
	$(GO) test -count=1 -timeout 25m ./...
	KIOSK_TEST_DUPLICATES=on $(GO) test -count=1 -run 'TestAPublished|TestASchedule|TestSampleNews|TestTracking|TestTrending|TestLoad|TestOneTrace|TestFeed|TestClicks|TestPersonal|TestModeration' ./infra/local
	$(GO) test -run '^$$' -fuzz FuzzMatch -fuzztime 40000x ./infra/pattern
	$(GO) test -run '^$$' -fuzz FuzzSchedule -fuzztime 20000x ./infra/schedule
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 4000x ./shared/platform/httpapi
	$(GO) test -run '^$$' -fuzz FuzzFromItem -fuzztime 4000x ./shared/article/feedparse
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime 20000x ./shared/auth
	$(GO) test -run '^$$' -fuzz FuzzCursors -fuzztime 20000x ./shared/feed
	$(GO) test -run '^$$' -fuzz FuzzConsoleHandlers -fuzztime 1000x -parallel 1 ./functions/admin-console
	$(MAKE) lint-template LINT_OPTIONAL=1

## fuzz: the longer fuzz pass
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzMatch -fuzztime 2m ./infra/pattern
	$(GO) test -run '^$$' -fuzz FuzzSchedule -fuzztime 1m ./infra/schedule
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 2m ./shared/platform/httpapi
	$(GO) test -run '^$$' -fuzz FuzzFromItem -fuzztime 2m ./shared/article/feedparse
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime 2m ./shared/auth
	$(GO) test -run '^$$' -fuzz FuzzCursors -fuzztime 2m ./shared/feed
	$(GO) test -run '^$$' -fuzz FuzzConsoleHandlers -fuzztime 2m -parallel 1 ./functions/admin-console

## bench: the benchmark report (sizes and what links them, the read route vs a peer-shaped baseline, cold starts vs hello world, init costs, warm latency vs a bare server, DynamoDB calls per route, throughput, cost model) into build/bench/REPORT.md and chart.svg
bench: tools
	$(GO) run ./infra/cmd/bench

## reliability: the bad-input corpus, the authorization matrix and 3 minutes of mixed load with every bus event delivered twice and faults injected (DynamoDB throttling, errors, lost responses; EventBridge errors; killed instances), dead letters redriven, memory sampled; written to RELIABILITY.md
reliability: tools
	KIOSK_TEST_DUPLICATES=on KIOSK_RELIABILITY_DURATION=$${KIOSK_RELIABILITY_DURATION:-3m} \
	  $(GO) test -count=1 -timeout 20m -run 'TestAuthorizationMatrix|TestBadInputCorpus|TestNothingIsLostUnderFaults' -v ./infra/local
	cp build/reliability/RELIABILITY.md RELIABILITY.md

## eval: the offline ranking evaluation (simulated readers, seeds 1-3, MIND's metrics, baselines) into EVAL.md and
## docs/eval-chart.svg (SEEDS=1,2,3 to choose); with MIND=<folder> (e.g. MINDsmall_dev) the same metrics on real MIND
## data into build/eval/MIND.md
eval:
	$(GO) run ./infra/cmd/eval $(if $(MIND),-mind "$(MIND)") $(if $(SEEDS),-seeds "$(SEEDS)")

## scale: the scale curves (a trending fan-out to 1M readers seeded in bulk, 50 of them reading their inbox until it
## lists the trend; ranking over 10k articles and the public and personal feed
## pages at each size, a 1,000-entry inbox, 20k events and the KPI batch, a KPI run late in a day of 96k events, the
## relay of 3,000 articles, feed-events over 1,000 articles, learn-interests over 3,000 users, ingestion at 10k articles a
## day and over 3,000 sources: wall time, DynamoDB units, GB-s, memory, fitted growth exponents, limits, a month's cost
## at 3M daily readers) into SCALE.md and docs/scale-*.svg, in about 13 minutes (the fan-out about 4 of them, the
## day-spread KPI run about 2)
scale: tools
	$(GO) run ./infra/cmd/scale

## invoke: run one function once, e.g. make invoke FN=articles-api EVENT="GET /v1/articles" (or a file,
## "scheduled", or a detail type such as article.published); uses the running make dev if there is one
invoke: build
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo 'usage: make invoke FN=<function> EVENT=<file|scheduled|"METHOD /path"|detail.type>'; exit 2; }
	@$(GO) run ./infra/cmd/invoke -fn "$(FN)" -event "$(EVENT)"

## event: print a sample event, e.g. make event ROUTE="GET /v1/articles/{id}" or make event EVENT=article.published
event:
	@$(GO) run ./infra/cmd/invoke -print -event "$(if $(ROUTE),$(ROUTE),$(EVENT))"

## new-domain: scaffold a domain, e.g. make new-domain NAME=weather [EVENT=weather.updated]
new-domain:
	@test -n "$(NAME)" || { echo "usage: make new-domain NAME=<domain> [EVENT=<domain>.<what_happened>]"; exit 2; }
	$(GO) run ./infra/cmd/newdomain -name "$(NAME)" -event "$(EVENT)"

clean:
	rm -rf dist .kiosk cdk.out
