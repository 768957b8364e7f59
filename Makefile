# journeylens: `make demo` runs the main job, `make test` the tests. Both install what they need
# into .venv from the pinned lock files (requirements/*.lock).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
UV_VERSION := 0.13.9

.PHONY: demo test lint typecheck bench bench-peers bench-analytics lock clean help

help:
	@echo "make demo   - install, generate the demo world, ingest, build journeys, write summary.html"
	@echo "make test   - install the dev extras and run the test suite (lint, types, tests)"
	@echo "make bench  - run benchmarks/ (ingest + build at 1M and 10M events, XES import)"
	@echo "make bench-peers     - install the peer tools (retentioneering) into benchmarks/peers.venv"
	@echo "make bench-analytics - journeylens vs PM4Py vs retentioneering at 1M and 10M events"
	@echo "make lock   - re-pin requirements/*.lock from pyproject.toml"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.base: requirements/base.lock pyproject.toml | $(PY)
	$(UV) pip install --quiet --python $(PY) -r requirements/base.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

$(VENV)/.dev: requirements/dev.lock pyproject.toml | $(PY)
	$(UV) pip install --quiet --python $(PY) -r requirements/dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@ $(VENV)/.base

demo: $(VENV)/.base
	$(PY) -m journeylens demo --workspace demo-workspace

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

test: $(VENV)/.dev lint typecheck
	$(PY) -m pytest -q src tests

bench: $(VENV)/.dev
	$(PY) benchmarks/xes_import.py
	$(PY) benchmarks/ingest_build.py

# The peer tools of benchmarks/analytics.py live apart from the project (retentioneering is not
# a journeylens dependency and brings pandas 3, mcp, gensim...): pinned in benchmarks/peers.requirements.txt.
PEERS := benchmarks/peers.venv

$(PEERS)/.installed: benchmarks/peers.requirements.txt
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --disable-pip-version-check -r benchmarks/peers.requirements.txt
	touch $@

bench-peers: $(PEERS)/.installed

bench-analytics: $(VENV)/.dev $(PEERS)/.installed
	$(PY) benchmarks/analytics.py --sizes 1000000 10000000

lock: | $(PY)
	$(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/base.lock
	$(UV) pip compile pyproject.toml --extra spark --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.lock

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
