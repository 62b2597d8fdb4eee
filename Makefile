# magnet: `make run` starts the app, `make test` checks everything. Both build .venv on first use.

VENV := .venv
BIN := $(VENV)/bin
# automerge 1.0.0rc1 ships wheels for CPython 3.11 and 3.12 only: pick one of those when present.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if (3,11) <= sys.version_info[:2] <= (3,12) else 1)' 2>/dev/null; then \
	    echo $$p; break; fi; done)

.PHONY: run test lint typecheck unit bench clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "magnet needs Python 3.11 or 3.12 (its Automerge binding, automerge==1.0.0rc1, has wheels for those only)."; \
	  echo "Install one, e.g. 'sudo apt install python3.11-venv' or 'pyenv install 3.12', then run make again."; \
	  echo "To build Automerge from source on another Python, install a Rust toolchain and run: make PYTHON=python3.13"; \
	  exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/magnet

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(VENV)/.installed
	$(BIN)/python bench/store.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
