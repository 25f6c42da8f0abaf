# Every target does its own set-up: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
# Python keeps the compiled bytecode of the bot's modules (__pycache__/, git-ignored) even where the
# environment asks it not to: compiling them again costs each start of the bot about 0.13 s, and every
# e2e test starts one, as do the benchmarks that time the start.
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck bench docs check demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/python -m bot run

# Also writes the bytecode of the bot's modules: the service user cannot, and compiling them at every
# start would cost it about 0.1 s (the upgrade steps run make check).
check: $(RUNTIME_STAMP)
	$(BIN)/python -m compileall -q bot cogs
	$(BIN)/python -m bot check

lint: $(DEV_STAMP)
	$(BIN)/ruff check bot cogs tests
	$(BIN)/ruff format --check bot cogs tests

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

# The browser tests (tests/browser, tests/demo) drive Debian's chromium: installed if missing.
# TEST_WORKERS pytest processes share the tests (pytest-xdist; tests/parallel.py says how): the e2e
# tests mostly wait on the bot and the double, so more workers than cores still pay.
# make test TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= 8
# Compiled first, once: otherwise each worker, and each bot an e2e test starts, compiles the same
# modules again on a fresh clone.
test: lint typecheck
	sh tests/browser/ensure_chromium.sh
	$(BIN)/python -m compileall -q bot cogs tests
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# The guided tour: the real bot against the local Discord double (no token, loopback only).
# Prints what each member saw and writes data/demo/index.html. make demo READER_ZONE=Europe/Paris
READER_ZONE ?= UTC
demo: $(DEV_STAMP)
	$(BIN)/python -m tests.demo --reader-zone $(READER_ZONE)

bench: $(DEV_STAMP)
	$(BIN)/python -m tests.bench

docs: $(RUNTIME_STAMP)
	$(BIN)/python -m bot docs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
