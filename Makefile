# Two entry points, each working on a fresh machine with only Python 3.11 and pip:
#   make demo   creates .venv, installs hwnas, runs the main job
#   make test   creates .venv, installs hwnas with the test extra, runs the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out/demo

.PHONY: demo test test-fresh venv venv-test system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

system-deps:
	bash tools/system-deps.sh

demo: venv
	bash tools/demo.sh $(OUT)

test: venv-test system-deps
	$(BIN)/python -m pytest -q

# What CI runs (.ci/run, when CI=true): `make test` in a new virtual environment with pip's
# cache turned off, so a cached wheel can never hide a release that fails to build or run.
test-fresh:
	rm -rf .venv-fresh
	PIP_NO_CACHE_DIR=1 $(MAKE) test VENV=.venv-fresh

clean:
	rm -rf $(VENV) .venv-fresh out .pytest_cache
