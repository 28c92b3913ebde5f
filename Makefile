# Hearth: two commands. `make run` sets up and starts the hub; `make test` sets up and runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --no-input
CONFIG ?= config
NODE_DIR := tests/acceptance/js
# MDN HTTP Observatory's scanner; --ignore-scripts: its install scripts would download lists.
OBSERVATORY_DIR := tests/acceptance/observatory

.PHONY: run test lint typecheck pytest setup setup-dev system-test-deps lock clean \
	bench bench-smoke bench-deps

run: setup
	$(PY) -m hearth --config $(CONFIG) init-demo
	$(PY) -m hearth --config $(CONFIG) run

test: setup-dev system-test-deps lint typecheck pytest

setup: $(VENV)/.runtime

setup-dev: $(VENV)/.dev

# A venv from locked, hash-pinned dependencies only (pip refuses anything without a matching hash).
$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Hearth needs Python 3.11 or newer"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
	  || (command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq python3-venv)
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(VENV)/bin/python requirements.lock requirements-build.lock pyproject.toml
	$(PIP) install -q --require-hashes --only-binary=:all: -r requirements.lock -r requirements-build.lock
	$(PIP) install -q --no-deps --no-build-isolation --no-index -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PIP) install -q --require-hashes --only-binary=:all: -r requirements-dev.lock
	@touch $@

# Tools the tests drive for real; installed from Debian when missing (command:package pairs).
TEST_TOOLS := node:nodejs npm:npm openssl:openssl nginx:nginx fail2ban-regex:fail2ban pebble:pebble \
	chromium:chromium chromedriver:chromium-driver
SSLYZE_VENV := .venv-sslyze

system-test-deps: $(SSLYZE_VENV)/.done
	@missing=""; for pair in $(TEST_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null || [ -x "/usr/sbin/$${pair%%:*}" ] || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then echo "installing from Debian:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
	@if [ ! -d $(NODE_DIR)/node_modules ] || [ $(NODE_DIR)/package-lock.json -nt $(NODE_DIR)/node_modules ]; then \
	  cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules; fi
	@if [ ! -d $(OBSERVATORY_DIR)/node_modules ] || [ $(OBSERVATORY_DIR)/package-lock.json -nt $(OBSERVATORY_DIR)/node_modules ]; then \
	  cd $(OBSERVATORY_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules; fi

# sslyze pins an older cryptography than the hub uses, so the scanner gets a venv of its own.
$(SSLYZE_VENV)/.done: requirements-sslyze.lock
	@[ -x $(SSLYZE_VENV)/bin/python ] || $(PYTHON) -m venv $(SSLYZE_VENV)
	$(SSLYZE_VENV)/bin/python -m pip --disable-pip-version-check --no-input install -q --require-hashes -r requirements-sslyze.lock
	@touch $@

lint: setup-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: setup-dev
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy bench

pytest: setup-dev
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The benchmark suite (bench/, not part of `make test`): wrk and openssl drive the load, taskset
# pins server and client to different CPUs. `make bench` takes a few minutes and puts its table
# into the README; `make bench-smoke` only proves, in seconds, that every case still runs.
BENCH_TOOLS := wrk:wrk openssl:openssl taskset:util-linux chromium:chromium \
	chromedriver:chromium-driver

# setup-dev: the dashboard cases drive Chromium through selenium.
bench-deps: setup-dev
	@missing=""; for pair in $(BENCH_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then echo "installing from Debian:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

bench: bench-deps
	$(PY) -m bench --readme README.md

bench-smoke: bench-deps
	$(PY) -m bench --smoke

# Re-lock after editing requirements*.in (needs network access to PyPI).
lock:
	$(PIP) install -q uv
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements.in -o requirements.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-build.in -o requirements-build.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-dev.in -o requirements-dev.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-sslyze.in -o requirements-sslyze.lock

clean:
	rm -rf $(VENV) $(SSLYZE_VENV) .mypy_cache .pytest_cache .ruff_cache
