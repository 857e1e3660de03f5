# byok-compiler: the one entry point. Every target bootstraps what it needs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.runtime
CHECKOV_VENV := .venv-checkov
TF_RC := $(CURDIR)/.build/terraformrc
export TF_CLI_CONFIG_FILE := $(TF_RC)
export TF_IN_AUTOMATION := 1
export CHECKPOINT_DISABLE := 1
PYTEST_ARGS ?=

.PHONY: help venv lock test-latest tf-config chromium generate check-generated test test-fast e2e check static lint \
        typecheck fmt lint-tf docs check-docs review bench fuzz clean sandbox sandbox-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# Every venv is installed from a lock file (locks/*.txt: exact versions with hashes, written by
# pip-compile; `make lock` refreshes them) with --require-hashes, never from the ranges in
# pyproject.toml, so a fresh machine gets the same distributions as CI. `generate` needs only
# the runtime lock; the dev lock (a superset at the same versions) comes with the first target
# that tests or checks, into the same venv. A changed lock rebuilds the venv from scratch, so
# nothing the lock dropped lingers (tests/test_lock.py compares the venv with the lock).
PIP_LOCKED := -m pip install -q --disable-pip-version-check --require-hashes --no-deps
$(RUN_STAMP): pyproject.toml setup.py locks/runtime.txt locks/dev.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_LOCKED) -r locks/runtime.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(STAMP): $(RUN_STAMP)
	$(BIN)/python $(PIP_LOCKED) -r locks/dev.txt
	touch $@

venv: $(STAMP) ## create .venv with the compiler and its dev tools (from locks/dev.txt)

# pip-compile (pip-tools, itself locked in locks/tools.txt) in a venv of its own. `make lock`
# moves every pin to the newest release pyproject.toml's ranges allow; review the diff of
# locks/, then `make test e2e`. The runtime lock is compiled under the dev lock's versions.
LOCK_VENV := .venv-lock
PIP_COMPILE = $(LOCK_VENV)/bin/pip-compile -q --upgrade --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links
lock: ## refresh locks/*.txt (exact versions with hashes) from pyproject.toml and locks/*.in
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python $(PIP_LOCKED) -r locks/tools.txt
	$(PIP_COMPILE) --extra dev --extra aws -o locks/dev.txt pyproject.toml locks/extra.in
	$(PIP_COMPILE) -c locks/dev.txt -o locks/runtime.txt pyproject.toml locks/extra.in
	$(PIP_COMPILE) -o locks/checkov.txt locks/checkov.in
	$(PIP_COMPILE) -o locks/tools.txt locks/tools.in

# The drift job (examples/github-actions-drift.yml runs it on a schedule): the newest releases
# the ranges in pyproject.toml allow, in a venv of their own, then the whole suite, e2e
# included. scripts/lockdiff.py first names every package that differs from the lock, so a
# red run says which release broke it before it reaches a lock refresh.
LATEST_VENV := .venv-latest
test-latest: tf-config chromium ## the whole suite against the newest releases pyproject.toml allows
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade pip setuptools wheel
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[dev,aws]'
	$(LATEST_VENV)/bin/python scripts/lockdiff.py --report locks/dev.txt
	$(LATEST_VENV)/bin/pytest -p no:cacheprovider -n 4 --dist loadfile --durations=15 \
	  --deselect tests/test_lock.py::test_venv_matches_the_lock $(PYTEST_ARGS)

tf-config: ## write the project's Terraform CLI config (.build/terraformrc)
	@scripts/tf-cli-config.sh $(TF_RC)

# The enterprise example (README, "Enterprise example"), regenerated and checked with the root.
EXAMPLE := examples/enterprise

generate: $(RUN_STAMP) ## compile org.yaml + vendors/ into generated/ (and examples/enterprise)
	$(BIN)/byok generate
	$(if $(wildcard $(EXAMPLE)/org.yaml),$(BIN)/byok -C $(EXAMPLE) generate)

check-generated: $(STAMP) ## fail if generated/ is not what `make generate` produces
	$(BIN)/byok generate --check
	$(if $(wildcard $(EXAMPLE)/org.yaml),$(BIN)/byok -C $(EXAMPLE) generate --check)

# Tests run on every core (pytest-xdist); the 15 slowest are listed at the end of every run.
# worksteal: an idle worker takes tests queued for the other, so a few long tests (terraform
# test, the incremental shards) do not leave one core idle at the end (2m50 vs 3m00 here).
# e2e: one worker per test file (each starts its own moto server); its applies mostly wait on
# the AWS provider's pollers, so more workers than cores pay off.
XDIST := -n auto --dist worksteal --durations=15
test: $(STAMP) tf-config chromium ## unit, golden, property, Terraform static and module tests
	$(BIN)/pytest -m 'not e2e' $(XDIST) $(PYTEST_ARGS)

# The `byok report` browser test needs Chromium and chromedriver (Debian's packages); the
# script returns at once when they are installed.
chromium: ## install Chromium and chromedriver for the report's browser test (idempotent)
	@scripts/install-chromium.sh

test-fast: $(STAMP) ## tests that need no Terraform
	$(BIN)/pytest -m 'not e2e and not terraform and not slow' $(XDIST) $(PYTEST_ARGS)

e2e: $(STAMP) tf-config ## terraform apply against a local moto server
	$(BIN)/pytest -m e2e -n 4 --dist loadfile --durations=15 $(PYTEST_ARGS)

lint: $(STAMP) ## ruff
	$(BIN)/ruff check compiler tests scripts bench
	$(BIN)/ruff format --check compiler tests scripts bench

typecheck: $(STAMP) ## mypy --strict on compiler/
	$(BIN)/mypy

fmt: $(STAMP) tf-config ## format Python and Terraform
	$(BIN)/ruff format compiler tests scripts bench
	$(BIN)/ruff check --fix compiler tests scripts bench
	terraform fmt -recursive modules tests/fixtures/terraform
	terraform fmt main.tf variables.tf outputs.tf versions.tf

$(CHECKOV_VENV)/.installed: locks/checkov.txt
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP_LOCKED) -r locks/checkov.txt
	touch $@

# One checkov run per directory: given several -d at once, checkov 3.3 reported the first
# directory's results once per -d and never scanned the others.
lint-tf: $(CHECKOV_VENV)/.installed ## checkov on modules/, generated/ and examples/enterprise/generated/ (own venv)
	for d in modules generated $(EXAMPLE)/generated; do \
	  echo "checkov: $$d"; \
	  $(CHECKOV_VENV)/bin/checkov -d $$d --framework terraform --compact --quiet --skip-download; \
	done

docs: $(STAMP) ## regenerate docs/diagnostics.md, docs/schema/*.json and the module READMEs' tables
	$(BIN)/byok docs > docs/diagnostics.md
	$(BIN)/byok schema org > docs/schema/org.json
	$(BIN)/byok schema vendor > docs/schema/vendor.json
	$(BIN)/python scripts/tf_docs.py

review: $(STAMP) ## semantic access diff of the current inputs against HEAD
	$(BIN)/byok diff --base HEAD

sandbox: $(STAMP) tf-config ## apply the root to a local moto server that keeps running
	$(BIN)/python scripts/sandbox.py up

sandbox-down: ## stop the `make sandbox` moto server (by its PID)
	$(PYTHON) scripts/sandbox.py down

bench: $(STAMP) ## benchmarks: generate / diff / check-generated / checkov at scale
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.startup

fuzz: $(STAMP) ## long fuzzing run of the loader and model
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/test_fuzz.py $(PYTEST_ARGS)

check-docs: $(STAMP) ## fail if docs/diagnostics.md or the module READMEs are stale
	$(BIN)/byok docs | diff -u docs/diagnostics.md - || { echo "docs/diagnostics.md is stale: run 'make docs'"; exit 1; }
	for k in org vendor; do $(BIN)/byok schema $$k | diff -u docs/schema/$$k.json - || { echo "docs/schema/$$k.json is stale: run 'make docs'"; exit 1; }; done
	$(BIN)/python scripts/tf_docs.py --check

static: lint typecheck check-generated lint-tf check-docs ## every check but the tests

check: static test ## everything CI checks but the moto end-to-end run (make e2e)

clean: ## remove venvs and build files
	rm -rf $(VENV) $(CHECKOV_VENV) .build .pytest_cache .mypy_cache .ruff_cache
