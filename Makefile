# Hearth: two commands. `make run` sets up and starts the hub; `make test` sets up and runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --no-input
CONFIG ?= config
HEARTH_USER ?= hearth
NODE_DIR := tests/acceptance/js
# MDN HTTP Observatory's scanner; --ignore-scripts: its install scripts would download lists.
OBSERVATORY_DIR := tests/acceptance/observatory

.PHONY: run test lint typecheck pytest setup setup-dev system-test-deps lock clean \
	bench bench-smoke bench-deps sbom audit fuzz soak bytecode

# As root, the hub never serves as root: a locked system user (no shell, no password, no home)
# is created once, and `hearth run --user` switches to it after binding its ports.
run: setup bytecode
	$(PY) -m hearth --config $(CONFIG) init-demo
	@if [ "$$(id -u)" = 0 ]; then \
	  if ! id -u $(HEARTH_USER) >/dev/null 2>&1; then \
	    echo "Creating the system user $(HEARTH_USER) (no shell, no password, no home) to run the hub"; \
	    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
	      $(HEARTH_USER) || exit 1; \
	  fi; \
	  exec $(PY) -m hearth --config $(CONFIG) run --user $(HEARTH_USER); \
	else \
	  exec $(PY) -m hearth --config $(CONFIG) run; \
	fi

test: setup-dev system-test-deps lint typecheck pytest

setup: $(VENV)/.runtime

# Hearth's own modules compiled ahead (pip compiles the dependencies): a start then reads
# bytecode instead of compiling some 300 modules, about 0.25 s less, even where
# PYTHONDONTWRITEBYTECODE keeps Python from writing it itself. Only changed files are redone.
bytecode: setup
	@$(PY) -m compileall -q -j0 src/hearth >/dev/null

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
	chromium:chromium chromedriver:chromium-driver systemd-analyze:systemd setpriv:util-linux \
	unshare:util-linux useradd:passwd mosquitto:mosquitto mosquitto_passwd:mosquitto \
	ssh:openssh-client
SSLYZE_VENV := .venv-sslyze
SCHEMATHESIS_VENV := .venv-schemathesis

system-test-deps: $(SSLYZE_VENV)/.done $(SCHEMATHESIS_VENV)/.done
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

# schemathesis' pytest plugin patches Hypothesis for every test of a venv it is installed in, so
# the API fuzzer gets a venv of its own too; tests/fuzz runs it as a separate process.
$(SCHEMATHESIS_VENV)/.done: requirements-schemathesis.lock
	@[ -x $(SCHEMATHESIS_VENV)/bin/python ] || $(PYTHON) -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/python -m pip --disable-pip-version-check --no-input install -q --require-hashes --only-binary=:all: -r requirements-schemathesis.lock
	@touch $@

lint: setup-dev
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/ruff format --check src tests bench tools

typecheck: setup-dev
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy bench
	$(VENV)/bin/mypy tools

# Test files are shared out between PYTEST_WORKERS processes (pytest-xdist; 0 runs them in this
# process): most acceptance tests wait on a hub they started, so two workers fit two cores.
PYTEST_WORKERS ?= 2
pytest: setup-dev bytecode
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The benchmark suite (bench/, not part of `make test`): wrk and openssl drive the load, taskset
# pins server and client to different CPUs. `make bench` takes a few minutes and puts its table
# into the README; `make bench-smoke` only proves, in seconds, that every case still runs.
BENCH_TOOLS := wrk:wrk openssl:openssl taskset:util-linux chromium:chromium \
	chromedriver:chromium-driver

# setup-dev: the dashboard cases drive Chromium through selenium.
bench-deps: setup-dev bytecode
	@missing=""; for pair in $(BENCH_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then echo "installing from Debian:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

bench: bench-deps
	$(PY) -m bench --readme README.md

bench-smoke: bench-deps
	$(PY) -m bench --smoke

# The fault suite's fuzzers (tests/fuzz/) with 40 times the examples of `make test` and fresh
# random inputs each run (hypothesis profile `long`); about an hour on 2 cores. FUZZ_ARGS are
# passed to pytest, e.g. FUZZ_ARGS=tests/fuzz/test_websocket.py.
FUZZ_ARGS ?= tests/fuzz
fuzz: setup-dev system-test-deps
	HEARTH_FUZZ_PROFILE=long $(PY) -m pytest -q -p no:cacheprovider --timeout=0 $(FUZZ_ARGS)

# Mixed traffic against a real hub for SOAK_SECONDS (default 10 minutes), sampling RSS, open
# descriptors and latency every second; fails on growth beyond the printed bounds. The CSV and
# the PNG chart go to bench/results/. Not part of `make test`.
SOAK_SECONDS ?= 600
soak: setup-dev
	$(PY) -m bench.soak --seconds $(SOAK_SECONDS)

# Re-lock after editing requirements*.in (needs network access to PyPI).
lock:
	$(PIP) install -q uv
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements.in -o requirements.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-build.in -o requirements-build.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-dev.in -o requirements-dev.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-sslyze.in -o requirements-sslyze.lock
	$(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --no-header requirements-schemathesis.in -o requirements-schemathesis.lock

# Supply chain. `make sbom` writes a CycloneDX SBOM (JSON) of the runtime dependencies exactly as
# requirements.lock pins them; `make audit` looks them up in the PyPA vulnerability database.
SBOM ?= sbom.cdx.json

sbom: setup-dev
	$(VENV)/bin/cyclonedx-py requirements --pyproject pyproject.toml --mc-type application \
	  --output-reproducible --of JSON -o $(SBOM) requirements.lock
	@echo "Wrote $(SBOM): the runtime dependencies of requirements.lock (CycloneDX JSON)"

# Exit codes: 0 no known vulnerability, 1 vulnerable (pip-audit lists them), 3 not checked:
# the vulnerability database could not be reached (pip-audit says why).
audit: setup-dev
	@$(PY) tools/audit_lock.py requirements.lock

clean:
	rm -rf $(VENV) $(SSLYZE_VENV) $(SCHEMATHESIS_VENV) .mypy_cache .pytest_cache .ruff_cache
