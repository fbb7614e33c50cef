# `make demo` and `make test` work on a fresh machine: they create .venv,
# install the project into it, and (for tests) the Debian packages of the real
# servers the tests start and the npm packages of Grafana's dashboard types.
# Nothing else needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What `make demo` needs (the runtime dependencies), and what `make test` adds.
RUNTIME_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP     := $(VENV)/.dev-stamp
# Grafana's published dashboard types and TypeScript, pinned in tests/grafana_schema/.
NODE_STAMP    := tests/grafana_schema/node_modules/.installed-stamp
# Real servers the tests run against (and the PDF tools they read reports with).
DEBIAN_PACKAGES := postgresql prometheus prometheus-alertmanager poppler-utils chromium sqlite3
# Only `make bench` needs these: the probes' target and the scrape's static peer (nginx),
# the side-by-side CPU figure (blackbox_exporter).
BENCH_PACKAGES := nginx-light prometheus-blackbox-exporter curl

# grafana-client's HTTP library (niquests) brings urllib3-future, whose wheel
# replaces the urllib3 package at every interpreter start; requests (used by
# schemathesis) then breaks. Built from source with URLLIB3_NO_OVERRIDE it
# stays in its own urllib3_future namespace, which is all niquests needs.
# setuptools notes every editable install with a warning ("Editable
# installation", nothing to act on): silenced by its text, nothing else.
PIP_INSTALL := URLLIB3_NO_OVERRIDE=1 PYTHONWARNINGS='ignore:Editable installation' \
  $(BIN)/pip install --quiet --no-binary urllib3-future

.PHONY: install demo test lint bench system-packages node-packages clean

# Plain `make`: the product installed, so that .venv/bin/lienthong runs (docs/huong-dan.md).
install: $(RUNTIME_STAMP)

$(BIN)/pip:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/pip
	$(PIP_INSTALL) -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/pip
	$(PIP_INSTALL) -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/lienthong demo

test: $(DEV_STAMP) system-packages node-packages lint
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(DEV_STAMP)
	$(MAKE) system-packages DEBIAN_PACKAGES="$(DEBIAN_PACKAGES) $(BENCH_PACKAGES)"
	$(BIN)/python -m bench

node-packages: $(NODE_STAMP)

# Node.js from Debian only when no node and npm are on the PATH (one installed
# otherwise, e.g. with its bundled npm, is used as it is).
$(NODE_STAMP): tests/grafana_schema/package.json tests/grafana_schema/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || \
	  $(MAKE) system-packages DEBIAN_PACKAGES="nodejs npm"
	cd tests/grafana_schema && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache tests/grafana_schema/node_modules
