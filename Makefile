# propdesk: the two commands are `make dev` (the whole system running locally) and `make test` (every test).
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
.DEFAULT_GOAL := help

PYTHON_BASE ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCAL := .local
PYTEST := $(PY) -m pytest

.PHONY: help dev test bench install layer local-cloud-install java lint types unit integration infra e2e \
        packaging local-down clean bench-fast checks suites

help:
	@echo "make dev    set everything up, deploy the real stack into the local cloud, seed a demo firm, run it"
	@echo "make test   lint, types, unit, integration (DynamoDB Local), infrastructure, end-to-end (local cloud)"
	@echo "make bench  benchmarks (risk engine, cold starts; API latency, a purchase burst, enforcement in the local cloud)"

# ---- installation (every step the project needs, from a fresh clone) ----
$(VENV)/.installed: requirements.txt layers/dependencies/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(LOCAL)/ministack/.installed: scripts/local_cloud/requirements.txt
	test -x $(LOCAL)/ministack/bin/python || $(PYTHON_BASE) -m venv $(LOCAL)/ministack
	$(LOCAL)/ministack/bin/python -m pip install --quiet --disable-pip-version-check \
	    -r scripts/local_cloud/requirements.txt
	test -x $(LOCAL)/runtime/bin/python || $(PYTHON_BASE) -m venv --without-pip $(LOCAL)/runtime
	touch $@

java:
	@command -v java >/dev/null || { echo "installing Java 17 for DynamoDB Local"; \
	    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

install: $(VENV)/.installed node_modules/.installed $(LOCAL)/ministack/.installed java

layer: $(VENV)/.installed
	$(PY) scripts/build_layer.py arm64 host

local-cloud-install: $(LOCAL)/ministack/.installed

# ---- the first command: the whole system on this machine ----
dev: install layer
	$(PY) scripts/dev.py

local-down:
	$(PY) scripts/dev.py --stop

# ---- the second command: every test ----
# Two lanes at once, then the end-to-end suite alone (its deploy into the local cloud needs the machine).
# Lane 1 is one process at a time (ruff, mypy, the CDK synths); lane 2 the suites xdist spreads over two
# workers. A lane runs its stages in order; once the other lane is done, it may run two at once. Each
# stage's output is printed whole when it ends.
test: install layer
	$(MAKE) --no-print-directory -j2 --output-sync=target checks suites
	$(MAKE) --no-print-directory e2e

checks:
	$(MAKE) --no-print-directory lint types infra

suites:
	$(MAKE) --no-print-directory unit packaging integration

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

types:
	$(PY) -m mypy

unit:
	$(PYTEST) tests/unit tests/contract tests/acceptance -q -n 2 -p no:cacheprovider

packaging:
	$(PYTEST) tests/packaging -q -n 2 -p no:cacheprovider

integration:
	$(PYTEST) tests/integration -q -n 2 -p no:cacheprovider

infra:
	$(PYTEST) tests/infrastructure -q -p no:cacheprovider

e2e:
	$(PYTEST) tests/e2e -q -p no:cacheprovider

# ---- benchmarks ----
bench: install layer
	$(PY) benchmarks/run_all.py

bench-fast: install layer
	$(PY) benchmarks/run_all.py --fast

clean:
	rm -rf .build cdk.out $(LOCAL)/tmp
