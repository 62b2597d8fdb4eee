# magnet: `make run` starts the app, `make test` checks everything. Both build .venv on first use.
# On Windows, without make: .\make.ps1 run / .\make.ps1 test do the same.

VENV := .venv
BIN := $(VENV)/bin
# Any Python 3 runs the setup (tools/bootstrap.py): it picks a python3.12 or python3.11 for .venv
# (automerge 1.0.0rc1 has wheels for those only), or has uv install CPython 3.12 where there is none.
# `make PYTHON=python3.13` forces an interpreter (e.g. to build Automerge from source with Rust).
SETUP_PYTHON := $(shell for p in python3 python python3.12 python3.11; do command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
SETUP = @if [ -z "$(SETUP_PYTHON)" ]; then \
	  echo "magnet setup: no Python 3 here to start from: install python3 (Debian, Ubuntu, Raspberry Pi OS: sudo apt install python3), then run make again."; \
	  exit 1; fi; \
	PYTHON="$(PYTHON)" $(SETUP_PYTHON) tools/bootstrap.py --venv $(VENV)
LOCK = $(BIN)/uv pip compile pyproject.toml --quiet --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"

.PHONY: run test lint typecheck typecheck-platforms unit bench test-floors lock clean

$(VENV)/.installed: pyproject.toml requirements/run.txt tools/bootstrap.py
	$(SETUP)

$(VENV)/.installed-test: pyproject.toml requirements/test.txt tools/bootstrap.py
	$(SETUP) --test

run: $(VENV)/.installed
	$(BIN)/magnet

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# The code must stay portable to the machines neighbors bring: type-check it as macOS and Windows see it.
typecheck-platforms: $(VENV)/.installed-test
	$(BIN)/mypy --platform darwin
	$(BIN)/mypy --platform win32

# Two workers: the suite waits on processes, sockets and terminals more than it computes (9.5 min -> 5).
unit: $(VENV)/.installed-test
	$(BIN)/pytest -q -n 2

test: lint typecheck typecheck-platforms unit

bench: $(VENV)/.installed
	$(BIN)/python bench/store.py

# The suite on the oldest releases pyproject.toml allows (not the lock): keeps its floors honest.
test-floors: $(VENV)/.installed-test
	rm -rf .venv-floors
	$(BIN)/uv venv --quiet --python $(BIN)/python .venv-floors
	$(BIN)/uv pip install --quiet --python .venv-floors/bin/python --resolution lowest-direct -e '.[test]'
	.venv-floors/bin/pytest -q -p no:cacheprovider

# Pin what make installs, for every OS and for Python 3.11 and 3.12, with hashes; commit the result.
# Needs uv in .venv (the test extras have it): after editing pyproject.toml, `make lock && make test`.
lock:
	$(LOCK) --extra test -o requirements/test.txt
	$(LOCK) -c requirements/test.txt -o requirements/run.txt
	echo "uv==$$($(BIN)/uv --version | cut -d' ' -f2)" | $(BIN)/uv pip compile - --quiet --universal --generate-hashes \
	  --python-version 3.8 --custom-compile-command "make lock" -o requirements/bootstrap.txt

clean:
	rm -rf $(VENV) .venv-bootstrap .venv-floors build *.egg-info .mypy_cache .pytest_cache .ruff_cache
