# CityBrain: two commands for a newcomer.
#   make demo   set everything up and run the demo city
#   make test   set everything up and pass the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ASSETS := citybrain/web/node_modules/.package-lock.json

.PHONY: demo test bench lint install assets sysdeps-demo sysdeps-test clean

demo: sysdeps-demo $(INSTALLED) $(ASSETS)
	$(VENV)/bin/citybrain demo

test: sysdeps-test $(INSTALLED) $(ASSETS)
	$(PY) -m pytest

# the anchors the benchmarks compare against (Great Expectations) are a separate extra
BENCH_INSTALLED := $(VENV)/.bench-installed

bench: $(INSTALLED) $(BENCH_INSTALLED) $(ASSETS)
	@for b in bench/*.py; do $(PY) $$b || exit 1; done

$(BENCH_INSTALLED): $(INSTALLED) pyproject.toml
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

lint: $(INSTALLED)
	$(VENV)/bin/ruff check citybrain tests bench

install: $(INSTALLED)

assets: $(ASSETS)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# ECharts and friends come from npm into citybrain/web/node_modules; never from a CDN.
$(ASSETS): citybrain/web/package.json citybrain/web/package-lock.json
	cd citybrain/web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

sysdeps-demo:
	@scripts/system-deps.sh demo

sysdeps-test:
	@scripts/system-deps.sh test

clean:
	rm -rf $(VENV) citybrain/web/node_modules citybrain-data test-artifacts .pytest_cache
