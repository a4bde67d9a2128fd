# The README's commands.  `make demo` runs the main job; `make test` runs every test.
# Both set everything up first (virtual environment, Python packages, JS bundle):
# `make demo` installs only what the demo needs, `make test` adds the test and docs stacks.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0
PACKAGE_INPUTS := pyproject.toml js/package.json js/package-lock.json js/build.mjs $(wildcard js/src/*)
DEMO_STAMP := $(VENV)/.mmphate-demo
TEST_STAMP := $(VENV)/.mmphate-test

.PHONY: setup setup-demo demo test test-fast lint lint-imports format docs bench reference browser clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned, so that pip takes the CPU wheel rather than a CUDA build.
$(DEMO_STAMP): $(PY) $(PACKAGE_INPUTS)
	$(PIP) install --quiet "torch==$(TORCH_VERSION)"
	$(PIP) install --quiet -e ".[torch,datasets,jupyter]"
	touch $@

$(TEST_STAMP): $(PY) $(PACKAGE_INPUTS)
	$(PIP) install --quiet "torch==$(TORCH_VERSION)"
	$(PIP) install --quiet -e ".[all,test,docs]"
	touch $@ $(DEMO_STAMP)

setup-demo: $(DEMO_STAMP)
setup: $(TEST_STAMP)

# Debian's Chromium for the real-browser tests (Playwright never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=120 chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'"; exit 1; fi; }

demo: setup-demo
	$(VENV)/bin/mmphate demo $(DEMO_ARGS)

test: setup browser lint
	$(PY) -m pytest -ra $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -ra -m "not ui and not slow" $(PYTEST_ARGS)

lint-imports: setup
	$(VENV)/bin/lint-imports

lint: setup lint-imports
	$(VENV)/bin/ruff check src tests benchmarks scripts docs
	$(VENV)/bin/ruff format --check src tests benchmarks scripts docs

format: setup
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts docs
	$(VENV)/bin/ruff format src tests benchmarks scripts docs

# The documentation site, offline, warnings as errors: docs/_build/html/index.html.
docs: setup
	rm -rf docs/_build docs/api/generated
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html

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
	rm -rf $(VENV) build dist docs/_build src/mmphate/explorer/static/*.js js/node_modules
