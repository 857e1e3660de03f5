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

.PHONY: help venv tf-config generate check-generated test test-fast e2e check static lint \
        typecheck fmt lint-tf docs check-docs review bench fuzz clean sandbox sandbox-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# `generate` needs only the runtime dependencies; the dev toolchain (moto, mypy, ...) comes with
# the first target that tests or checks, into the same venv.
$(RUN_STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(RUN_STAMP) $@

venv: $(STAMP) ## create .venv with the compiler and its dev tools

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

test: $(STAMP) tf-config ## unit, golden, property, Terraform static and module tests
	$(BIN)/pytest -m 'not e2e' $(PYTEST_ARGS)

test-fast: $(STAMP) ## tests that need no Terraform
	$(BIN)/pytest -m 'not e2e and not terraform and not slow' $(PYTEST_ARGS)

e2e: $(STAMP) tf-config ## terraform apply against a local moto server
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

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

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov>=3.2,<4'
	touch $@

lint-tf: $(CHECKOV_VENV)/.installed ## checkov on modules/ and generated/ (own venv)
	$(CHECKOV_VENV)/bin/checkov -d modules -d generated --framework terraform --compact --quiet --skip-download

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
