# The README's commands.  `make demo` runs the main job; `make test` runs every test.
# Both set everything up first (virtual environment, Python packages, JS bundle).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.mmphate-installed

.PHONY: setup demo test test-fast lint format bench reference browser clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall when the package definition or the JS sources change.
$(STAMP): $(PY) pyproject.toml js/package.json $(wildcard js/src/*) js/build.mjs
	$(PIP) install --quiet "torch==$(TORCH_VERSION)"
	$(PIP) install --quiet -e ".[test,torch]"
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the real-browser tests (Playwright never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'"; exit 1; fi; }

demo: setup
	$(VENV)/bin/mmphate demo $(DEMO_ARGS)

test: setup browser
	$(PY) -m pytest -ra $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -ra -m "not ui and not slow" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts

format: setup
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts
	$(VENV)/bin/ruff format src tests benchmarks scripts

# The reference implementation (m-phate) in its own environment, for fixtures and benchmarks.
REF_VENV ?= .venv-ref
reference: $(REF_VENV)/bin/python
$(REF_VENV)/bin/python:
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/pip install --quiet --upgrade pip
	$(REF_VENV)/bin/pip install --quiet m-phate
	$(REF_VENV)/bin/pip install --quiet "pandas>=2.2.3"

bench: setup reference
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist src/mmphate/static/*.js js/node_modules
