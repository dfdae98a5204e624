# SCAILFIN HPC operator: build, test and the local stack.
# Run `make help` for the targets. Most stack targets need root (namespaces, mounts, debootstrap).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Node.js: the pinned runtime that hack/install-node.sh puts into .cache, first on PATH for every recipe (npm,
# tsc, jest, tsx, the operator and the scripts they start), whatever node the host has.
NODE_VERSION := $(shell sed -n 's/^VERSION=//p' hack/install-node.sh)
NODE_HOME := $(or $(HPC_CACHE),$(CURDIR)/.cache)/node-$(NODE_VERSION)
export PATH := $(NODE_HOME)/bin:$(PATH)
JEST := NODE_OPTIONS=--experimental-vm-modules node_modules/.bin/jest
# Suites that drive real processes end with --forceExit and under a timeout, so that a handle left open by
# a failed test can never hang CI: the failure is reported, the run goes on.
JEST_STACK := NODE_OPTIONS=--experimental-vm-modules timeout --kill-after=30 2400 node_modules/.bin/jest --runInBand --forceExit
STACK := test/e2e/stack/stack.sh
SHELL_SCRIPTS := $(shell git ls-files '*.sh' 2>/dev/null) .ci/run plugins/kubectl-hpc plugins/kubectl_complete-hpc

.PHONY: help node deps build manifests lint typecheck test test-unit test-sim test-e2e test-chaos test-audit test-reana \
	test-reana-unit test-rules host-deps stack-up stack-down stack-status run demo demo-down bench clean helm hadolint install-check krew krew-tool

help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(NODE_HOME)/bin/node:
	hack/install-node.sh $(NODE_HOME) >/dev/null

node: $(NODE_HOME)/bin/node ## Install the pinned Node.js into .cache (cached; make puts it first on PATH).
	@echo "node $$(node --version) from $$(command -v node)"

# Order-only: the runtime is in place before npm runs; a new one needs no new node_modules.
node_modules/.stamp: package.json package-lock.json | $(NODE_HOME)/bin/node
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.stamp ## Install npm dependencies (npm ci).

build: deps ## Compile TypeScript into dist/.
	node_modules/.bin/tsc -p tsconfig.build.json

manifests: deps ## Regenerate config/crd from src/crds (and the Helm chart's copies).
	node_modules/.bin/tsx src/crds/generate.ts
	charts/sync-crds.sh

.PHONY: docs
docs: deps ## Regenerate docs/reference from src/crds
	node_modules/.bin/tsx src/crds/docs.ts

typecheck: deps
	node_modules/.bin/tsc -p tsconfig.json --noEmit

lint: deps typecheck ## eslint, prettier --check, shellcheck, and the CRD YAML up to date.
	node_modules/.bin/eslint .
	node_modules/.bin/prettier --check .
	shellcheck -x $(SHELL_SCRIPTS)
	node_modules/.bin/tsx src/crds/generate.ts --check
	node_modules/.bin/tsx src/crds/docs.ts --check
	charts/sync-crds.sh --check

test-unit: deps hadolint ## Unit tests (no stack needed).
	$(JEST) --selectProjects unit

# The chart's alert rules (charts/hpc-operator/files/prometheus-rules.yaml), by Prometheus' own tool: syntax,
# then each alert firing when it should and not before (test/prometheus/alerts.test.yaml).
test-rules: ## promtool check rules + promtool test rules (Debian package prometheus: make host-deps).
	@command -v promtool >/dev/null || { echo "promtool is missing: run make host-deps (Debian package prometheus)" >&2; exit 1; }
	promtool check rules charts/hpc-operator/files/prometheus-rules.yaml
	promtool test rules test/prometheus/alerts.test.yaml

# The deterministic simulation (test/sim/README.md): random schedules of faults against in-memory models, the
# invariants checked after every step. A failing seed prints its trace and the command that replays it.
SEEDS ?= 10000
FROM ?= 1
test-sim: deps ## Simulation: SEEDS random schedules from seed FROM (default 10000; SEEDS=1000000 hunts longer).
	node --import tsx test/sim/run.ts --seeds $(SEEDS) --from $(FROM)

test-e2e: deps helm krew-tool stack-up ## e2e tests against the local stack (started if needed, left running).
	JEST='$(JEST_STACK)' test/e2e/lanes.sh run

REANA_VENV := integrations/reana/.venv

$(REANA_VENV)/.stamp: integrations/reana/pyproject.toml
	python3 -m venv $(REANA_VENV)
	$(REANA_VENV)/bin/pip install --quiet -e 'integrations/reana[test]'
	@touch $@

REANA_PYTEST := $(REANA_VENV)/bin/python -m pytest integrations/reana -q
# The REANA tests drive reana-job-controller's stand-in (integrations/reana/tests/rjc_standin); with
# REANA_JOB_CONTROLLER_SRC=<checkout of reanahub/reana-job-controller> the unit tests run against that code
# too, and the e2e tests against it only. The checkout is imported from where it is, never copied here.
# Unit and e2e run in separate processes: a job-controller's monitor is a per-process singleton for one workflow.
test-reana-unit: $(REANA_VENV)/.stamp ## REANA backend unit tests (pytest, no stack needed; see REANA_JOB_CONTROLLER_SRC).
	env -u REANA_JOB_CONTROLLER_SRC $(REANA_PYTEST) -m 'not e2e'
	$(if $(REANA_JOB_CONTROLLER_SRC),REANA_JOB_CONTROLLER_SRC='$(REANA_JOB_CONTROLLER_SRC)' $(REANA_PYTEST) -m 'not e2e')

test-reana: deps $(REANA_VENV)/.stamp stack-up ## REANA backend: unit and e2e tests (pytest) on the local stack.
	$(MAKE) --no-print-directory test-reana-unit
	$(REANA_PYTEST) -m e2e

test-chaos: deps stack-up ## Faults on the local stack: kill -9 rounds, leader failover, schedd/apiserver/site outages.
	$(JEST_STACK) --selectProjects chaos

test-audit: deps ## After a run: no key or token material in operator logs, Events or CR status.
	$(JEST_STACK) --selectProjects audit

# The README's test command: lint, unit tests, the simulation, then e2e and the fault suite on a stack it starts and stops,
# the secrets audit over what they left, and proof that stopping the stack left no process or mount behind.
test: lint test-unit test-rules test-sim ## Everything: lint, unit, simulation, e2e + faults on a fresh stack, audit, clean stack-down.
	@status=0; \
	$(MAKE) --no-print-directory test-e2e || status=$$?; \
	$(MAKE) --no-print-directory test-reana || status=$$?; \
	$(MAKE) --no-print-directory test-chaos || status=$$?; \
	$(MAKE) --no-print-directory test-audit || status=$$?; \
	$(MAKE) --no-print-directory stack-down || status=1; \
	test/e2e/stack/verify-down.sh || status=1; \
	exit $$status

helm: ## Build the helm CLI pinned in hack/tools/go.mod into .cache/bin (cached).
	hack/build-helm.sh

# The kubectl hpc plugin for krew: the archive in dist/krew and plugins/hpc.yaml pointing at it (sha256).
krew: deps ## Build the kubectl hpc krew archive (dist/krew) and its manifest plugins/hpc.yaml.
	hack/krew-archive.sh

krew-tool: ## Build the krew CLI pinned in hack/tools/krew/go.mod into .cache/bin (cached; for the e2e test).
	hack/build-krew.sh

hadolint: ## Fetch the Dockerfile linter into .cache/bin (cached).
	hack/tools/install-hadolint.sh

# Install checks only: kustomize and Helm dry runs, chart drift, each chart toggle and the values schema, the
# token setup, RBAC as the ServiceAccount.
install-check: deps helm stack-up ## The install e2e tests (config/, charts/ and its toggles, RBAC) on the local stack.
	$(JEST_STACK) test/e2e/install.e2e.test.ts test/e2e/chart.e2e.test.ts --selectProjects e2e

host-deps: ## Install the Debian packages the stack, tests and demo need (only those missing; root).
	hack/install-host-packages.sh

stack-up: host-deps ## Start the local stack (kube-apiserver, etcd, HTCondor pool, SLURM site); idempotent.
	$(STACK) up

stack-down: ## Stop every process of the local stack; its mounts go with its namespaces.
	$(STACK) down

stack-status: ## Each component of the local stack with pid, address and health.
	$(STACK) status

run: build ## The operator in the foreground against the current KUBECONFIG.
	node dist/main.js

demo: build stack-up ## The whole story: CRDs, operator, a VirtualCluster on SLURM, HPCJobs, live table, summary.
	demo/demo.sh

demo-down: ## Remove what make demo made (HPCJobs, pilots, the demo operator); the stack keeps running.
	demo/demo-down.sh

bench: build stack-up ## Benchmarks on the local stack (prints tables; see docs/performance.md).
	node --import tsx bench/hpcjobs.ts
	node --import tsx bench/api-status-cost.ts
	node --import tsx bench/hpcjobset.ts
	node --import tsx bench/staging.ts
	node --import tsx bench/walltime.ts

clean: ## Remove build output (keeps the cached control plane and Debian root in .cache/).
	rm -rf dist coverage
