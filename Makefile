# `make demo` and `make test` work on a fresh machine: they create .venv,
# install the project into it, and (for tests) the Debian packages of the real
# servers the tests start. Nothing else needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Real servers the tests run against (and the PDF tools they read reports with).
DEBIAN_PACKAGES := postgresql prometheus prometheus-alertmanager poppler-utils chromium
# Only `make bench` needs this one (the side-by-side CPU figure).
BENCH_PACKAGES := prometheus-blackbox-exporter curl

.PHONY: demo test lint bench system-packages clean

# grafana-client's HTTP library (niquests) brings urllib3-future, whose wheel
# replaces the urllib3 package at every interpreter start; requests (used by
# schemathesis) then breaks. Built from source with URLLIB3_NO_OVERRIDE it
# stays in its own urllib3_future namespace, which is all niquests needs.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	URLLIB3_NO_OVERRIDE=1 $(BIN)/pip install --quiet -e '.[dev]' \
	  --config-settings editable_mode=compat --no-binary urllib3-future
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lienthong demo

test: $(STAMP) system-packages lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(MAKE) system-packages DEBIAN_PACKAGES="$(DEBIAN_PACKAGES) $(BENCH_PACKAGES)"
	$(BIN)/python -m bench

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
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
