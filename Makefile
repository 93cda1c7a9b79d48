# Payment webhook receiver: Terraform stack, Lambda and test harness.
# `make test` prepares everything a clean machine needs, then runs every suite.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TERRAFORM  ?= terraform
ENV_SUFFIX ?= dev
export TERRAFORM ENV_SUFFIX

TOOLCHAIN := tools/toolchain.sh
GO_TOOLS  := tools/go-tools.sh
CACHE     ?= $(or $(WEBHOOK_CACHE),$(HOME)/.cache/webhook-stack)
# A terraform shim lands here when the PATH has none (see tools/toolchain.sh).
export PATH := $(PATH):$(CACHE)/bin
VENV      := $(shell $(TOOLCHAIN) venv-path)
PYTHON    := $(VENV)/bin/python
PYTEST    := $(PYTHON) -m pytest
# The harness and the function's package importable as `python -m ...` from the repository
# root without installing anything (`pip install -e .` installs them as console scripts).
export PYTHONPATH := $(CURDIR):$(CURDIR)/lambda_src$(if $(PYTHONPATH),:$(PYTHONPATH),)

# When the providers come from the local mirror, point the CLI at its config.
# Evaluated when a recipe runs, after `tools` may have written it.
CLI_CONFIG = $(shell $(TOOLCHAIN) cli-config-path)
TF_ENV     = $(if $(CLI_CONFIG),TF_CLI_CONFIG_FILE=$(CLI_CONFIG),)

.PHONY: help tools tofu rie stripe-mock lint-tools test test-unit test-functional test-terraform test-e2e plan up down demo bench lint docs fuzz faults load clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

tools: ## prepare the toolchain: virtualenv, Terraform CLI check, provider mirror when offline
	@$(if $(filter tofu,$(notdir $(TERRAFORM))),$(GO_TOOLS) tofu &&) $(TOOLCHAIN) all

tofu: ## build the OpenTofu CLI into the cache (TERRAFORM=tofu, second plan-test pass of `make test`)
	@$(GO_TOOLS) tofu

lint-tools: ## build tflint, actionlint and terraform-docs into the cache
	@$(GO_TOOLS) lint

# `make test` and `make test-terraform` plan once more under OpenTofu (the plan and
# validation tests only, to keep the added time small); nothing to add when the
# suite itself already ran under tofu.
TOFU_TESTS := tests/terraform/test_root_plan.py tests/terraform/test_validation.py \
              tests/terraform/test_providers_and_secrets.py tests/terraform/test_reserved_concurrency.py
TOFU_PASS   = $(if $(filter tofu,$(notdir $(TERRAFORM))),@true,$(TF_ENV) TERRAFORM=tofu $(PYTEST) $(TOFU_TESTS))

test: tools tofu rie stripe-mock ## everything: ruff + mypy first, then unit, functional, Terraform plan (Terraform and OpenTofu) and end-to-end tests
	PYTHON=$(PYTHON) tools/lint.sh python
	$(TF_ENV) $(PYTEST) tests
	$(TOFU_PASS)

test-unit: tools ## unit tests of the Lambda modules (no network)
	$(PYTEST) tests/unit

test-functional: tools ## the handler against moto
	$(PYTEST) tests/functional

test-terraform: tools tofu ## plan tests with tftest against the emulator (Terraform, then OpenTofu)
	$(TF_ENV) $(PYTEST) tests/terraform
	$(TOFU_PASS)

test-e2e: tools rie stripe-mock ## the local stack over HTTP
	$(TF_ENV) $(PYTEST) tests/e2e

plan: tools ## plan the root module against the emulator into build/plan.json
	$(TF_ENV) $(PYTHON) -m local_stack.plan --environment-suffix $(ENV_SUFFIX)

stripe-mock: ## build stripe-mock (Stripe's mock API, validates requests against its OpenAPI spec) into the cache; the reconciler's client is tested against it
	@$(GO_TOOLS) stripe-mock

rie: ## build aws-lambda-rie (AWS's Lambda Runtime Interface Emulator) into the cache; the local stack runs the function on it
	@$(GO_TOOLS) rie

up: tools rie ## start emulator (IAM enforced) + apply the stack + local Function URL on AWS's Lambda runtime; writes build/local.env
	$(TF_ENV) $(PYTHON) -m local_stack up --environment-suffix $(ENV_SUFFIX)

down: tools ## destroy the stack and stop every process `up` started
	$(TF_ENV) $(PYTHON) -m local_stack down

demo: tools rie ## up, send signed sample webhooks, show the stored transactions, down
	$(TF_ENV) $(PYTHON) -m webhook_cli.demo --environment-suffix $(ENV_SUFFIX)

bench: tools rie ## benchmark into build/bench.json
	$(TF_ENV) $(PYTHON) -m bench.run

FUZZ_EXAMPLES ?= 20000
fuzz: tools ## hostile input: hypothesis at FUZZ_EXAMPLES (default 20000) examples per property; executions, findings
	FUZZ_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) tests/fuzz -p no:cacheprovider -q

faults: tools rie ## fault tests on a Terraform-applied local stack: emulator frozen mid-load, then the full load
	FAULTS_STACK=terraform FREEZE_SECONDS=20 FREEZE_CONCURRENCY=16 LOAD_REQUESTS=2000 LOAD_CONCURRENCY=32 \
	  $(TF_ENV) $(PYTEST) tests/faults -p no:cacheprovider -s -q

load: tools rie ## 2000 requests, concurrency 32, 20 % re-deliveries on a Terraform-applied local stack: lost, doubled, p50/p99
	FAULTS_STACK=terraform LOAD_REQUESTS=$(or $(LOAD_REQUESTS),2000) LOAD_CONCURRENCY=$(or $(LOAD_CONCURRENCY),32) \
	  $(TF_ENV) $(PYTEST) tests/faults/test_load.py -p no:cacheprovider -s -q

lint: tools lint-tools ## every static check: ruff, mypy --strict (first), fmt/validate, tflint, checkov, docs, actionlint
	$(TF_ENV) PYTHON=$(PYTHON) tools/lint.sh

docs: tools lint-tools ## regenerate the terraform-docs tables in README.md and modules/*/README.md
	PYTHON=$(PYTHON) tools/lint.sh docs

clean: ## remove build outputs (not the toolchain cache)
	rm -rf build .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
